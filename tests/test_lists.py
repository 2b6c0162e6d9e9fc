"""The lists as a rep works them: filters, sortable headers, the task list's default, export
(CSV and XLSX, exactly as shown) and bulk actions (each row through its service)."""

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
    stage,
)
from crm.models import Lead, LeadStatus, Opportunity, Task, TaskStatus

pytestmark = pytest.mark.django_db

LISTS = ["lead", "contact", "opportunity", "task", "interaction", "campaign"]


@pytest.fixture
def one_of_each(db):
    lead = LeadFactory()
    OpportunityFactory(lead=lead)
    ContactFactory()
    TaskFactory()
    InteractionFactory(lead=lead)
    CampaignFactory()


def page(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


# -- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_sortable_headers_look_sortable_and_say_the_current_sort(rep_client, one_of_each, name):
    content = page(rep_client, reverse(f"crm:{name}-list"))
    headers = re.findall(r'<th scope="col" class="sortable[^"]*" aria-sort="(\w+)">', content)
    assert headers, "a list without sortable headers"
    assert set(headers) == {"none"}
    assert content.count("bi-arrow-down-up") == len(headers)
    first = re.search(r'data-sort="(\w+)"', content).group(1)
    content = page(rep_client, reverse(f"crm:{name}-list") + f"?ordering={first}")
    assert 'aria-sort="ascending"' in content
    content = page(rep_client, reverse(f"crm:{name}-list") + f"?ordering=-{first}")
    assert 'aria-sort="descending"' in content


def test_every_row_has_as_many_cells_as_the_header(rep_client, rep):
    LeadFactory(owner=rep)
    content = page(rep_client, reverse("crm:lead-list"))
    head = re.search(r"<thead.*?</thead>", content, re.S).group(0)
    row = re.search(r"<tbody>.*?</tr>", content, re.S).group(0)
    assert len(re.findall(r"<th[ >]", head)) == len(re.findall(r"<td[ >]", row))


# -- filters ---------------------------------------------------------------------------------


def test_filters_panel_is_shown_from_tablets_up_and_folds_on_phones(rep_client):
    content = page(rep_client, reverse("crm:lead-list"))
    panel = re.search(r'<div class="([^"]*)" id="more-filters">', content).group(1).split()
    # Bootstrap's own classes: folded below 768 px, always shown from 768 px up.
    assert {"collapse", "d-md-block", "col-12"} <= set(panel)
    assert "show" not in panel
    assert 'id="filters-toggle"' in content


def test_a_filter_in_the_url_opens_the_panel_and_counts_on_the_button(rep_client, rep):
    content = page(rep_client, reverse("crm:lead-list") + "?status=new&source=website")
    panel = re.search(r'<div class="([^"]*)" id="more-filters">', content).group(1).split()
    assert "show" in panel
    toggle = re.search(r'id="filters-toggle">(.*?)</button>', content, re.S).group(1)
    assert '<span class="badge text-bg-primary">2</span>' in toggle


def test_date_range_has_room_for_both_dates(rep_client):
    content = page(rep_client, reverse("crm:lead-list"))
    box = re.search(r'<div class="([^"]*)">\s*<div id="div_id_created_at"', content).group(1)
    assert "col-md-6" in box and "col-12" in box
    assert content.count('class="date-range-part"') == 2


# -- the task list opens on open work ---------------------------------------------------------


def test_task_list_opens_on_open_work_overdue_first(rep_client, rep):
    today = timezone.localdate()
    TaskFactory(title="Done long ago", status=TaskStatus.COMPLETED, due_date=today.replace(day=1))
    TaskFactory(title="Cancelled", status=TaskStatus.CANCELLED, due_date=today)
    TaskFactory(title="Due next week", due_date=today + datetime.timedelta(days=7))
    TaskFactory(title="Overdue", due_date=today - datetime.timedelta(days=3))
    TaskFactory(title="In progress", status=TaskStatus.IN_PROGRESS, due_date=today)
    content = page(rep_client, reverse("crm:task-list"))
    titles = re.findall(r'<td><a href="/crm/tasks/\d+"[^>]*>([^<]+)</a>', content)
    assert titles == ["Overdue", "In progress", "Due next week"]
    assert re.search(r'class="btn btn-outline-primary active"[^>]*data-show="open"', content)

    every = page(rep_client, reverse("crm:task-list") + "?show=all")
    assert len(re.findall(r'<td><a href="/crm/tasks/\d+"[^>]*>', every)) == 5
    done = page(rep_client, reverse("crm:task-list") + "?show=done")
    titles = re.findall(r'<td><a href="/crm/tasks/\d+"[^>]*>([^<]+)</a>', done)
    assert titles == ["Done long ago", "Cancelled"]


def test_task_list_by_status_shows_that_status(rep_client):
    TaskFactory(title="Finished", status=TaskStatus.COMPLETED)
    content = page(rep_client, reverse("crm:task-list") + "?status=completed")
    assert "Finished" in content


def test_task_list_with_nothing_open_offers_every_task(rep_client):
    TaskFactory(title="Finished", status=TaskStatus.COMPLETED)
    content = page(rep_client, reverse("crm:task-list"))
    assert "No open tasks: everything is done." in content
    assert 'href="?show=all"' in content


# -- a deal's change history -----------------------------------------------------------------


def test_deal_page_shows_its_field_changes(manager_client, manager):
    deal = OpportunityFactory(amount=Decimal("1000.00"))
    services.opportunity_update(opportunity=deal, by=manager, data={"amount": Decimal("2500")})
    content = page(manager_client, deal.get_absolute_url())
    history = re.search(r'id="history">(.*?)</div></div>', content, re.S).group(1)
    assert "<del>1,000.00</del>" in history or "<del>1000.00</del>" in history
    assert "2,500.00" in history or "2500.00" in history
    # No entry without what changed, other than the record's creation.
    changed = history.count("Changed")
    assert changed >= 1
    assert history.count("<ins>") >= changed
    assert "Stage history" in content  # the stage moves keep their own card


# -- export ----------------------------------------------------------------------------------


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_export_is_the_list_as_filtered_and_sorted(rep_client, rep):
    LeadFactory(name="Banana", status=LeadStatus.NEW, expected_revenue=Decimal("1234.50"))
    LeadFactory(name="Apple", status=LeadStatus.NEW)
    LeadFactory(name="Cherry", status=LeadStatus.CONTACTED)
    response = rep_client.get(reverse("crm:lead-list") + "?status=new&ordering=name&export=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="leads-' in response["Content-Disposition"]
    rows = csv_rows(response)
    header = rows[0]
    assert header[:5] == ["Name", "Company", "Email", "Phone", "Status"]
    assert [row[0] for row in rows[1:]] == ["Apple", "Banana"]
    banana = dict(zip(header, rows[2], strict=True))
    assert banana["Expected revenue"] == "1234.50"  # a number a spreadsheet can sum
    assert banana["Status"] == "New"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", banana["Created"])


def test_csv_export_reaches_past_the_first_page(rep_client):
    LeadFactory.create_batch(30)
    rows = csv_rows(rep_client.get(reverse("crm:lead-list") + "?export=csv"))
    assert len(rows) == 31


def test_export_writes_no_formula(rep_client):
    LeadFactory(name='=HYPERLINK("http://evil")', phone="+966501112233", company="@SUM(A1)")
    rows = csv_rows(rep_client.get(reverse("crm:lead-list") + "?export=csv"))
    lead = dict(zip(rows[0], rows[1], strict=True))
    assert lead["Name"].startswith("'=")
    assert lead["Company"].startswith("'@")
    assert lead["Phone"] == "+966501112233"  # a phone keeps its plus


def test_csv_export_in_arabic_has_arabic_headers(rep_client):
    LeadFactory()
    response = rep_client.get(
        reverse("crm:lead-list") + "?export=csv", headers={"accept-language": "ar"}
    )
    header = csv_rows(response)[0]
    assert header[0] == "الاسم"


def test_xlsx_export_has_real_cells_and_reads_right_to_left_in_arabic(rep_client):
    OpportunityFactory(
        name="Deal", amount=Decimal("1500.25"), expected_close_date=datetime.date(2027, 3, 1)
    )
    url = reverse("crm:opportunity-list") + "?export=xlsx"
    response = rep_client.get(url)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["Amount"] == 1500.25
    assert row["Expected close"] == datetime.datetime(2027, 3, 1)
    assert isinstance(row["Probability"], float) and 0 <= row["Probability"] <= 1
    assert not sheet.sheet_view.rightToLeft

    arabic = rep_client.get(url, headers={"accept-language": "ar"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(arabic.streaming_content))).active
    assert sheet.sheet_view.rightToLeft
    assert sheet["A1"].value == "الاسم"


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_every_list_exports(rep_client, name, kind):
    response = rep_client.get(reverse(f"crm:{name}-list") + f"?export={kind}&ordering=-nonsense")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)


def test_export_needs_the_right_to_see_the_list(client):
    client.force_login(UserFactory())
    assert client.get(reverse("crm:lead-list") + "?export=csv").status_code == 403


def test_export_runs_a_fixed_number_of_queries(rep_client, django_assert_max_num_queries):
    LeadFactory.create_batch(5)
    with django_assert_max_num_queries(6) as five:
        b"".join(rep_client.get(reverse("crm:lead-list") + "?export=csv").streaming_content)
    LeadFactory.create_batch(40)
    with django_assert_max_num_queries(len(five)):
        b"".join(rep_client.get(reverse("crm:lead-list") + "?export=csv").streaming_content)


# -- bulk actions ----------------------------------------------------------------------------


def bulk(client, url, action, pks=(), query="", **values):
    data = {"bulk-action": action, "bulk-query": query, "pk": [str(pk) for pk in pks]}
    data.update({f"bulk-{name}": value for name, value in values.items()})
    return client.post(url, data, follow=True)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_bulk_assign_goes_through_the_service_and_reports(manager_client, manager):
    other = UserFactory()
    leads = LeadFactory.create_batch(3)
    response = bulk(
        manager_client,
        reverse("crm:lead-list"),
        "assign",
        [lead.pk for lead in leads[:2]],
        query="status=new",
        person=other.pk,
    )
    assert response.redirect_chain[-1][0] == "?status=new"
    assert messages_of(response) == ["2 records changed."]
    assert set(Lead.objects.filter(owner=other)) == set(leads[:2])
    assert Lead.history.filter(owner=other, history_user=manager).count() == 2


def test_bulk_skips_rows_the_rep_may_not_change_and_says_why(rep_client, rep):
    mine = LeadFactory(owner=rep)
    theirs = LeadFactory()
    response = bulk(
        rep_client,
        reverse("crm:lead-list"),
        "status",
        [mine.pk, theirs.pk],
        lead_status="contacted",
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == LeadStatus.CONTACTED and theirs.status == LeadStatus.NEW
    said = messages_of(response)
    assert said[0] == "1 record changed."
    assert said[1].startswith("1 record skipped: ")


def test_bulk_every_matching_row_follows_the_filters(manager_client):
    CampaignFactory()
    campaign = CampaignFactory(name="Spring")
    new = LeadFactory.create_batch(30, status=LeadStatus.NEW)
    other = LeadFactory(status=LeadStatus.CONTACTED)
    response = bulk(
        manager_client,
        reverse("crm:lead-list"),
        "campaign",
        query="status=new",
        every="1",
        campaign=campaign.pk,
    )
    assert messages_of(response) == ["30 records changed."]
    assert Lead.objects.filter(campaign=campaign).count() == len(new)
    other.refresh_from_db()
    assert other.campaign_id != campaign.pk


def test_bulk_lost_needs_a_reason_and_saves_nothing_without(manager_client):
    lead = LeadFactory()
    response = bulk(
        manager_client, reverse("crm:lead-list"), "status", [lead.pk], lead_status="lost"
    )
    assert messages_of(response) == ["Choose a value for this action."]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    bulk(
        manager_client,
        reverse("crm:lead-list"),
        "status",
        [lead.pk],
        lead_status="lost",
        reason="Budget",
    )
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason) == (LeadStatus.LOST, "Budget")


def test_bulk_stage_move_and_task_completion(manager_client):
    deals = OpportunityFactory.create_batch(2)
    bulk(
        manager_client,
        reverse("crm:opportunity-list"),
        "stage",
        [d.pk for d in deals],
        stage=stage("closed_won").pk,
    )
    assert Opportunity.objects.filter(stage=stage("closed_won")).count() == 2
    tasks = TaskFactory.create_batch(3)
    response = bulk(manager_client, reverse("crm:task-list"), "complete", [t.pk for t in tasks])
    assert messages_of(response) == ["3 records changed."]
    assert Task.objects.filter(status=TaskStatus.COMPLETED).count() == 3


def test_only_managers_may_bulk_delete(rep_client, rep, manager):
    manager_client = Client()
    manager_client.force_login(manager)
    lead = LeadFactory(owner=rep)
    content = page(rep_client, reverse("crm:lead-list"))
    assert 'value="delete"' not in content
    response = bulk(rep_client, reverse("crm:lead-list"), "delete", [lead.pk])
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert "Select a valid choice" in messages_of(response)[0]
    assert 'value="delete"' in page(manager_client, reverse("crm:lead-list"))
    response = bulk(manager_client, reverse("crm:lead-list"), "delete", [lead.pk])
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert messages_of(response) == ["1 record changed."]


def test_bulk_refuses_more_than_its_limit(manager_client, monkeypatch):
    monkeypatch.setattr("crm.bulk.BULK_LIMIT", 2)
    leads = LeadFactory.create_batch(3)
    response = bulk(
        manager_client, reverse("crm:lead-list"), "assign", every="1", person=leads[0].owner_id
    )
    assert messages_of(response) == ["A bulk action changes at most 2 records: narrow the filters."]
    assert Lead.history.filter(history_type="~").count() == 0


@pytest.mark.parametrize("pks", [["x"], ["²"], ["9" * 40], ["-1"], [""], ["1\x00"]])
def test_bulk_hostile_ids_do_no_harm(manager_client, pks):
    response = manager_client.post(
        reverse("crm:lead-list"), {"bulk-action": "delete", "pk": pks}, follow=True
    )
    assert response.status_code in (200, 400)


def test_bulk_without_a_tick_says_so(manager_client):
    LeadFactory()
    response = bulk(manager_client, reverse("crm:lead-list"), "delete", [])
    assert messages_of(response) == ["Tick at least one row first."]
