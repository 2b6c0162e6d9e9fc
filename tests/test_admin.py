"""The managers' admin: pages load, computed columns cost no query per row, actions apply rules."""

import datetime
import io
from decimal import Decimal

import pytest
import tablib
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    stage,
)
from crm.models import (
    Campaign,
    Contact,
    Lead,
    LeadStatus,
    Opportunity,
    StageChange,
    Task,
    TaskStatus,
)

pytestmark = pytest.mark.django_db

MODELS = [
    "lead",
    "contact",
    "opportunity",
    "campaign",
    "interaction",
    "task",
    "stage",
    "stagechange",
]


def make_rows(n):
    """``n`` of every record, linked the way real data is."""
    for _ in range(n):
        campaign = CampaignFactory()
        lead = LeadFactory(campaign=campaign)
        contact = ContactFactory()
        opportunity = OpportunityFactory(contact=contact, lead=lead, campaign=campaign)
        StageChange.objects.create(
            opportunity=opportunity,
            to_stage=opportunity.stage,
            amount=opportunity.amount,
            probability=opportunity.probability,
        )
        InteractionFactory(lead=lead, contact=contact, opportunity=opportunity)
        TaskFactory(lead=lead, contact=contact, opportunity=opportunity)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelist_queries_do_not_grow_with_rows(manager_client, model):
    url = reverse(f"admin:crm_{model}_changelist")
    make_rows(2)
    few = count_queries(manager_client, url)
    make_rows(8)
    many = count_queries(manager_client, url)
    assert many == few, f"{model}: {few} queries with 2 rows, {many} with 10"


@pytest.mark.parametrize("model", [m for m in MODELS if m != "stagechange"])
def test_admin_add_page_loads(manager_client, model):
    response = manager_client.get(reverse(f"admin:crm_{model}_add"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", ["lead", "contact", "opportunity", "campaign", "task"])
def test_admin_change_page_loads(manager_client, model):
    make_rows(1)
    model_class = {
        "lead": Lead,
        "contact": Contact,
        "opportunity": Opportunity,
        "campaign": Campaign,
        "task": Task,
    }[model]
    obj = model_class.objects.first()
    response = manager_client.get(reverse(f"admin:crm_{model}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_admin_missing_record_is_not_a_server_error(manager_client):
    response = manager_client.get(reverse("admin:crm_lead_change", args=[999999]))
    assert response.status_code in (302, 404)


def test_admin_needs_staff(rep_client):
    response = rep_client.get(reverse("admin:crm_lead_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_campaign_columns_show_metrics_and_dash(manager_client, manager):
    campaign = CampaignFactory(name="Zero campaign", actual_cost=Decimal("0"))
    response = manager_client.get(reverse("admin:crm_campaign_changelist"))
    content = response.content.decode()
    assert campaign.name in content
    assert "—" in content  # conversion rate, cost per lead and ROI have no value


def test_admin_opportunity_expected_value_column_sorts(manager_client):
    OpportunityFactory(name="Low", amount=Decimal("100"), probability=10)
    OpportunityFactory(name="High", amount=Decimal("1000"), probability=90)
    changelist = reverse("admin:crm_opportunity_changelist")
    response = manager_client.get(changelist, {"o": "-7"})  # expected value, descending
    names = [o.name for o in response.context["cl"].result_list]
    assert names == ["High", "Low"]
    assert response.context["cl"].result_list[0].expected_value == Decimal("900.00")


def test_admin_task_overdue_filter(manager_client):
    TaskFactory(title="Late", due_date=timezone.localdate() - datetime.timedelta(days=3))
    TaskFactory(title="Fine", due_date=timezone.localdate() + datetime.timedelta(days=3))
    response = manager_client.get(reverse("admin:crm_task_changelist"), {"overdue": "yes"})
    assert [t.title for t in response.context["cl"].result_list] == ["Late"]


def test_admin_lead_add_fills_owner_and_created_by(manager_client, manager):
    response = manager_client.post(
        reverse("admin:crm_lead_add"),
        {
            "name": "سارة الحربي",
            "email": "sara@example.com",
            "status": LeadStatus.NEW,
            "source": "website",
            "expected_revenue": "1000",
            **empty_inlines(),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    lead = Lead.objects.get()
    assert (lead.owner, lead.created_by) == (manager, manager)


def empty_inlines():
    data = {}
    for prefix in ("interactions", "tasks"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"rating": "9"}, "rating"),
        ({"expected_revenue": "-5"}, "expected_revenue"),
        ({"email": "", "phone": ""}, "email"),
        ({"status": LeadStatus.CONVERTED}, "status"),
    ],
    ids=str,
)
def test_admin_lead_bad_input_saves_nothing(manager_client, values, field):
    data = {
        "name": "Bad",
        "email": "bad@example.com",
        "status": LeadStatus.NEW,
        "source": "website",
        "expected_revenue": "0",
        **empty_inlines(),
    }
    data.update(values)
    response = manager_client.post(reverse("admin:crm_lead_add"), data)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Lead.objects.exists()


def test_admin_opportunity_stage_change_goes_through_rule(manager_client, manager):
    opportunity = OpportunityFactory()
    url = reverse("admin:crm_opportunity_change", args=[opportunity.pk])
    data = {
        "name": opportunity.name,
        "contact": opportunity.contact_id,
        "amount": "2000",
        "stage": stage("negotiation").pk,
        "probability": opportunity.probability,
        "owner": opportunity.owner_id,
        "lost_reason": "",
        "stage_changes-TOTAL_FORMS": "0",
        "stage_changes-INITIAL_FORMS": "0",
        "stage_changes-MIN_NUM_FORMS": "0",
        "stage_changes-MAX_NUM_FORMS": "1000",
    }
    response = manager_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    opportunity.refresh_from_db()
    assert opportunity.probability == 75
    change = opportunity.stage_changes.get()
    assert (change.to_stage.code, change.changed_by) == ("negotiation", manager)

    data.update(stage=stage("closed_lost").pk, lost_reason="")
    response = manager_client.post(url, data)
    assert response.status_code == 200
    assert "lost_reason" in response.context["adminform"].form.errors


def post_action(client, model, action, objects, **extra):
    return client.post(
        reverse(f"admin:crm_{model}_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **extra},
        follow=True,
    )


def test_admin_action_convert_selected_leads(manager_client, manager):
    fresh = LeadFactory(email="new@example.com")
    existing = ContactFactory(email="known@example.com", company="")
    attach = LeadFactory(email="known@example.com", company="Lead Co")
    lost = LeadFactory(status=LeadStatus.LOST)
    post_action(manager_client, "lead", "convert_selected", [fresh, attach, lost])
    fresh.refresh_from_db()
    attach.refresh_from_db()
    lost.refresh_from_db()
    existing.refresh_from_db()
    assert fresh.status == LeadStatus.CONVERTED
    assert fresh.converted_by == manager
    assert attach.contact == existing
    assert existing.company == "Lead Co"
    assert lost.status == LeadStatus.LOST
    assert Contact.objects.count() == 2


def test_admin_action_mark_tasks_completed(manager_client):
    tasks = TaskFactory.create_batch(3)
    post_action(manager_client, "task", "mark_completed", tasks[:2])
    statuses = sorted(Task.objects.values_list("status", flat=True))
    assert statuses == [TaskStatus.COMPLETED, TaskStatus.COMPLETED, TaskStatus.PENDING]
    assert Task.objects.filter(completed_at__isnull=False).count() == 2


def test_admin_action_close_as_lost_asks_for_reason(manager_client, manager):
    deals = OpportunityFactory.create_batch(2)
    won = OpportunityFactory(stage=stage("closed_won"), probability=100)
    response = post_action(manager_client, "opportunity", "close_as_lost", [*deals, won])
    assert response.status_code == 200
    assert b"lost_reason" in response.content
    assert not Opportunity.objects.filter(stage__code="closed_lost").exists()

    post_action(
        manager_client,
        "opportunity",
        "close_as_lost",
        [*deals, won],
        apply="1",
        lost_reason="Budget cut",
    )
    lost = Opportunity.objects.filter(stage__code="closed_lost")
    assert lost.count() == 2
    assert set(lost.values_list("lost_reason", "probability")) == {("Budget cut", 0)}
    assert all(o.closed_at for o in lost)
    won.refresh_from_db()
    assert won.stage.code == "closed_won"
    assert StageChange.objects.filter(to_stage__code="closed_lost", changed_by=manager).count() == 2


# --- Import and export -----------------------------------------------------------------------


def export(client, model, file_format):
    """Export every row through the admin's export page; ``file_format`` is 0 (CSV) or 1 (XLSX)."""
    url = reverse(f"admin:crm_{model}_export")
    form = client.get(url).context["form"]
    # Every column, as a manager who leaves the export page's boxes ticked would get.
    data = {name: "on" for name, field in form.fields.items() if field.initial is True}
    response = client.post(url, {**data, "format": str(file_format), "resource": "0"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return response


def import_file(client, model, content, name, file_format):
    """Upload, then confirm if the dry run found no error; returns the last response."""
    url = reverse(f"admin:crm_{model}_import")
    upload = SimpleUploadedFile(name, content)
    response = client.post(url, {"format": str(file_format), "import_file": upload})
    assert response.status_code == 200
    confirm = response.context.get("confirm_form")
    if confirm is None:
        return response
    data = dict(confirm.initial)
    return client.post(reverse(f"admin:crm_{model}_process_import"), data, follow=True)


@pytest.mark.parametrize(("file_format", "name"), [(0, "leads.csv"), (1, "leads.xlsx")])
def test_admin_lead_export_import_round_trips_arabic(manager_client, file_format, name):
    lead = LeadFactory(name="فاطمة الزهراني", company="شركة النخبة", notes="ملاحظة: مهتمة جداً")
    response = export(manager_client, "lead", file_format)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    Lead.objects.filter(pk=lead.pk).update(name="changed", notes="")

    import_file(manager_client, "lead", content, name, file_format)

    assert Lead.objects.count() == 1  # updated, not duplicated
    lead.refresh_from_db()
    assert (lead.name, lead.company, lead.notes) == (
        "فاطمة الزهراني",
        "شركة النخبة",
        "ملاحظة: مهتمة جداً",
    )


def csv_bytes(headers, rows):
    dataset = tablib.Dataset(*rows, headers=headers)
    return dataset.export("csv").encode("utf-8")


def test_admin_lead_import_new_rows_take_importer_as_owner(manager_client, manager):
    content = csv_bytes(
        ["id", "name", "email", "phone", "status", "source", "expected_revenue"],
        [["", "خالد الشمري", "khaled@example.com", "", "new", "referral", "2500"]],
    )
    import_file(manager_client, "lead", content, "leads.csv", 0)
    lead = Lead.objects.get()
    assert (lead.name, lead.owner, lead.created_by) == ("خالد الشمري", manager, manager)
    assert lead.expected_revenue == Decimal("2500")


@pytest.mark.parametrize(
    "bad_row",
    [
        ["", "Bad revenue", "a@example.com", "", "new", "website", "-10"],
        ["", "No reach", "", "", "new", "website", "10"],
        ["", "Bad status", "b@example.com", "", "sleeping", "website", "10"],
    ],
    ids=["negative", "unreachable", "unknown-status"],
)
def test_admin_lead_import_bad_row_saves_nothing(manager_client, bad_row):
    content = csv_bytes(
        ["id", "name", "email", "phone", "status", "source", "expected_revenue"],
        [
            ["", "Good one", "good@example.com", "", "new", "website", "10"],
            bad_row,
        ],
    )
    response = import_file(manager_client, "lead", content, "leads.csv", 0)
    assert not Lead.objects.exists()
    result = response.context["result"]
    assert result.has_validation_errors() or result.has_errors()
    invalid_rows = [row.number for row in result.invalid_rows]
    assert invalid_rows == [2]
    assert response.context.get("confirm_form") is None


def test_admin_opportunity_import_applies_stage_rule(manager_client, manager):
    contact = ContactFactory()
    content = csv_bytes(
        ["id", "name", "contact", "amount", "stage", "probability"],
        [["", "Imported deal", contact.pk, "4000", "closed_won", ""]],
    )
    import_file(manager_client, "opportunity", content, "deals.csv", 0)
    deal = Opportunity.objects.get()
    assert (deal.probability, deal.owner) == (100, manager)
    assert deal.closed_at is not None
    assert deal.stage_changes.get().to_stage.code == "closed_won"


@pytest.mark.parametrize("model", ["contact", "campaign", "opportunity"])
def test_admin_export_import_round_trip_updates(manager_client, model):
    make_rows(2)
    model_class = {"contact": Contact, "campaign": Campaign, "opportunity": Opportunity}[model]
    before = model_class.objects.count()
    content = export(manager_client, model, 0).content
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    response = import_file(manager_client, model, content, "file.csv", 0)
    assert response.status_code == 200
    assert model_class.objects.count() == before


def test_admin_campaign_export_has_metrics(manager_client):
    campaign = CampaignFactory(actual_cost=Decimal("0"))
    LeadFactory(campaign=campaign)
    content = export(manager_client, "campaign", 0).content.decode("utf-8-sig")
    dataset = tablib.Dataset().load(io.StringIO(content).read(), format="csv")
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["leads"] == "1"
    assert row["roi"] == ""


def test_admin_interaction_outcome_offers_common_choices(manager_client):
    response = manager_client.get(reverse("admin:crm_interaction_add"))
    content = response.content.decode()
    assert 'list="id_outcome-options"' in content
    assert '<option value="Follow-up needed">' in content
