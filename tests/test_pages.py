"""The reps' pages: every page loads, needs a login and the right permission, meets bad ids with
a 404, changes data only on POST, and runs a fixed number of queries however many rows it shows."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
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
    UserFactory,
    stage,
)
from crm.models import (
    Campaign,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    LeadStatus,
    Opportunity,
    Task,
    TaskStatus,
)

pytestmark = pytest.mark.django_db

LISTS = [
    "lead-list",
    "contact-list",
    "opportunity-list",
    "interaction-list",
    "task-list",
    "campaign-list",
]
ADD_PAGES = [
    "lead-create",
    "contact-create",
    "opportunity-create",
    "interaction-create",
    "task-create",
    "campaign-create",
]
# (url name, model) of the pages about one record.
RECORD_PAGES = [
    ("lead-detail", Lead),
    ("lead-update", Lead),
    ("lead-convert", Lead),
    ("contact-detail", Contact),
    ("contact-update", Contact),
    ("opportunity-detail", Opportunity),
    ("opportunity-update", Opportunity),
    ("interaction-detail", Interaction),
    ("interaction-update", Interaction),
    ("task-detail", Task),
    ("task-update", Task),
    ("campaign-detail", Campaign),
    ("campaign-update", Campaign),
]
ACTIONS = [
    ("lead-mark-lost", Lead),
    ("lead-reopen", Lead),
    ("task-complete", Task),
    ("task-reopen", Task),
    ("opportunity-move", Opportunity),
]


def make_world(n=1, owner=None):
    """``n`` linked records of every kind, owned by (assigned to, logged by) ``owner``."""
    mine = {"owner": owner} if owner else {}
    for _ in range(n):
        campaign = CampaignFactory(**mine)
        lead = LeadFactory(campaign=campaign, **mine)
        contact = ContactFactory(**mine)
        opportunity = OpportunityFactory(contact=contact, lead=lead, campaign=campaign, **mine)
        links = {"lead": lead, "contact": contact, "opportunity": opportunity}
        InteractionFactory(**links, **({"created_by": owner} if owner else {}))
        TaskFactory(**links, **({"assigned_to": owner} if owner else {}))


def record_url(name, model):
    return reverse(f"crm:{name}", args=[model.objects.order_by("pk").first().pk])


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


# --- Every page ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dashboard", *LISTS, *ADD_PAGES, "opportunity-board"])
def test_page_loads_for_rep(rep_client, name):
    make_world()
    assert rep_client.get(reverse(f"crm:{name}")).status_code == 200


@pytest.mark.parametrize(("name", "model"), RECORD_PAGES)
def test_record_page_loads_for_rep(rep_client, rep, name, model):
    make_world(owner=rep)
    assert rep_client.get(record_url(name, model)).status_code == 200


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/crm/", None),
        ("/crm/dashboard", None),
        ("/crm/leads", None),
        ("/crm/leads/add", None),
        ("/crm/leads/{pk}", Lead),
        ("/crm/leads/{pk}/edit", Lead),
        ("/crm/leads/{pk}/convert", Lead),
        ("/crm/opportunities", None),
        ("/crm/opportunities/add", None),
        ("/crm/opportunities/{pk}", Opportunity),
        ("/crm/interactions", None),
        ("/crm/interactions/add", None),
        ("/crm/tasks", None),
        ("/crm/tasks/add", None),
        ("/crm/campaigns", None),
        ("/crm/campaigns/add", None),
        ("/crm/campaigns/{pk}", Campaign),
    ],
)
def test_specification_paths_exist(rep_client, rep, path, model):
    """The paths of the original specification, exactly as written there."""
    make_world(owner=rep)
    if model is not None:
        path = path.format(pk=model.objects.order_by("pk").first().pk)
    assert rep_client.get(path).status_code == 200


@pytest.mark.parametrize("name", [*LISTS, *ADD_PAGES])
def test_page_sends_anonymous_to_login(client, name):
    response = client.get(reverse(f"crm:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", [*LISTS, *ADD_PAGES])
def test_page_refuses_user_without_role(client, name):
    client.force_login(UserFactory())  # in no group: no permission
    assert client.get(reverse(f"crm:{name}")).status_code == 403


@pytest.mark.parametrize(("name", "model"), RECORD_PAGES + ACTIONS)
@pytest.mark.parametrize("bad_id", ["999999", "999999999999999999"])
def test_record_page_bad_id_is_404(rep_client, name, model, bad_id):
    url = reverse(f"crm:{name}", args=[1]).replace("/1", f"/{bad_id}", 1)
    response = rep_client.post(url) if (name, model) in ACTIONS else rep_client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/crm/leads/abc", "/crm/leads/99999999999999999999999", "/crm/x"])
def test_unknown_path_is_404(rep_client, path):
    assert rep_client.get(path).status_code == 404


@pytest.mark.parametrize(("name", "model"), ACTIONS)
def test_action_is_post_only(rep_client, rep, name, model):
    make_world(owner=rep)
    assert rep_client.get(record_url(name, model)).status_code == 405


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dashboard", *LISTS, "opportunity-board"])
def test_list_queries_do_not_grow_with_rows(rep_client, rep, name, settings):
    settings.CRM_DASHBOARD_CACHE_SECONDS = 0  # the dashboard computes its figures each time
    url = reverse(f"crm:{name}")
    make_world(2, owner=rep)
    few = count_queries(rep_client, url)
    make_world(30, owner=rep)  # more than a page
    assert count_queries(rep_client, url) == few
    assert count_queries(rep_client, url + "?page=2&ordering=-name&mine=on") <= few + 1


@pytest.mark.parametrize(("name", "model"), [p for p in RECORD_PAGES if p[0].endswith("detail")])
def test_detail_queries_do_not_grow_with_rows(rep_client, name, model):
    make_world(1)
    url = record_url(name, model)
    few = count_queries(rep_client, url)
    lead = Lead.objects.order_by("pk").first()
    contact = Contact.objects.order_by("pk").first()
    opportunity = Opportunity.objects.order_by("pk").first()
    campaign = Campaign.objects.order_by("pk").first()
    links = {"lead": lead, "contact": contact, "opportunity": opportunity}
    InteractionFactory.create_batch(10, **links)
    TaskFactory.create_batch(10, **links)
    OpportunityFactory.create_batch(5, contact=contact, lead=lead, campaign=campaign)
    LeadFactory.create_batch(10, campaign=campaign)
    assert count_queries(rep_client, url) == few


# --- Lists: search, filters, sorting, paging -------------------------------------------------


def names(response):
    return [str(obj) for obj in response.context["object_list"]]


def test_lead_list_search_filters_and_mine(rep_client, rep):
    LeadFactory(name="Zaid Haddad", company="Acme", status=LeadStatus.NEW, owner=rep)
    LeadFactory(name="Mona Saleh", company="Acme", status=LeadStatus.QUALIFIED)
    LeadFactory(name="Other Person", company="Globex", status=LeadStatus.NEW)
    url = reverse("crm:lead-list")
    assert sorted(names(rep_client.get(url, {"q": "acme"}))) == ["Mona Saleh", "Zaid Haddad"]
    assert names(rep_client.get(url, {"q": "ACME", "status": "qualified"})) == ["Mona Saleh"]
    assert names(rep_client.get(url, {"mine": "on"})) == ["Zaid Haddad"]


def test_lead_list_searches_arabic(rep_client):
    LeadFactory(name="أحمد العتيبي")
    LeadFactory(name="Someone Else")
    assert names(rep_client.get(reverse("crm:lead-list"), {"q": "العتيبي"})) == ["أحمد العتيبي"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"ordering": "password"},
        {"ordering": "-owner__password"},
        {"page": "abc"},
        {"page": "99999"},
        {"page": "-1"},
        {"created_at_after": "not-a-date"},
        {"owner": "abc"},
        {"campaign": "999999999999"},
        {"rating": "9"},
        {"q": "x" * 5000},
        {"q": "%_\\'\""},
    ],
    ids=str,
)
@pytest.mark.parametrize("name", LISTS)
def test_list_bad_parameters_are_ignored_or_reported(rep_client, name, params):
    make_world(3)
    response = rep_client.get(reverse(f"crm:{name}"), params)
    assert response.status_code == 200


def test_lead_list_reports_bad_filter_and_applies_the_rest(rep_client):
    LeadFactory(name="Kept", status=LeadStatus.NEW)
    response = rep_client.get(
        reverse("crm:lead-list"), {"status": "bogus", "q": "kept", "created_at_after": "x"}
    )
    assert response.context["filter"].errors
    assert names(response) == ["Kept"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [("name", ["Alpha", "Bravo", "Charlie"]), ("-name", ["Charlie", "Bravo", "Alpha"])],
)
def test_lead_list_sorts_by_shown_column(rep_client, ordering, expected):
    for name in ("Bravo", "Charlie", "Alpha"):
        LeadFactory(name=name)
    assert names(rep_client.get(reverse("crm:lead-list"), {"ordering": ordering})) == expected


def test_lead_list_ignores_unknown_ordering(rep_client):
    first = LeadFactory(name="First")
    second = LeadFactory(name="Second")
    response = rep_client.get(reverse("crm:lead-list"), {"ordering": "email"})
    assert list(response.context["object_list"]) == [second, first]  # newest first


def test_opportunity_list_sorts_by_expected_value(rep_client):
    OpportunityFactory(name="Small", amount=Decimal("1000"), probability=10)
    OpportunityFactory(name="Big", amount=Decimal("999"), probability=100)
    OpportunityFactory(name="Middle", amount=Decimal("5000"), probability=10)
    response = rep_client.get(reverse("crm:opportunity-list"), {"ordering": "-expected_value"})
    assert names(response) == ["Big", "Middle", "Small"]
    assert "999.00" in response.content.decode()


def test_list_pages_of_25_keep_filters_and_sort(rep_client):
    LeadFactory.create_batch(30, status=LeadStatus.NEW)
    LeadFactory.create_batch(3, status=LeadStatus.QUALIFIED)
    url = reverse("crm:lead-list")
    response = rep_client.get(url, {"status": "new", "ordering": "name"})
    assert len(response.context["object_list"]) == 25
    assert response.context["page_obj"].paginator.count == 30
    content = response.content.decode()
    assert "30 results" in content
    assert "?status=new&amp;ordering=name&amp;page=2" in content
    page2 = rep_client.get(url, {"status": "new", "ordering": "name", "page": 2})
    assert len(page2.context["object_list"]) == 5


def test_list_sort_links_keep_filters_and_drop_page(rep_client):
    LeadFactory()
    content = rep_client.get(reverse("crm:lead-list"), {"status": "new", "page": "1"}).content
    assert b'href="?status=new&amp;ordering=name"' in content


def test_list_empty_state(rep_client):
    response = rep_client.get(reverse("crm:lead-list"))
    assert b'id="empty-state"' in response.content
    filtered = rep_client.get(reverse("crm:lead-list"), {"q": "nothing"})
    assert b"Clear the filters" in filtered.content


def test_task_list_flags_overdue(rep_client):
    TaskFactory(title="Late one", due_date=timezone.localdate() - datetime.timedelta(days=2))
    TaskFactory(title="Future one", due_date=timezone.localdate() + datetime.timedelta(days=2))
    url = reverse("crm:task-list")
    assert names(rep_client.get(url, {"overdue": "on"})) == ["Late one"]
    assert b"table-danger" in rep_client.get(url).content


def test_campaign_list_shows_metrics_and_dash(rep_client):
    CampaignFactory(name="Empty", actual_cost=Decimal("0"))
    content = rep_client.get(reverse("crm:campaign-list")).content.decode()
    assert "Empty" in content
    assert "—" in content


def test_lead_list_shows_stars_and_status_badge(rep_client):
    LeadFactory(rating=4, status=LeadStatus.QUALIFIED)
    content = rep_client.get(reverse("crm:lead-list")).content.decode()
    assert "★★★★" in content
    assert "badge-status-qualified" in content


# --- Forms -----------------------------------------------------------------------------------


def seen_version(client, url):
    """The record version an edit page hands out, as a browser would send it back."""
    return client.get(url).context["form"]["seen_version"].value()


def lead_data(**overrides):
    data = {
        "owner": Lead.owner.field.related_model.objects.get(username="rep").pk,
        "name": "سارة الحربي",
        "company": "شركة الأفق",
        "email": "sara@example.com",
        "phone": "",
        "status": LeadStatus.NEW,
        "source": "website",
        "rating": "4",
        "expected_revenue": "2500",
        "notes": "",
        "lost_reason": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "", "phone": ""}, "email"),
        ({"expected_revenue": "-1"}, "expected_revenue"),
        ({"rating": "9"}, "rating"),
        ({"status": "converted"}, "status"),
        ({"status": "sleeping"}, "status"),
        ({"status": "lost", "lost_reason": ""}, "lost_reason"),
        ({"name": "x" * 300}, "name"),
        ({"phone": "not a phone", "email": ""}, "phone"),
        ({"campaign": "999999"}, "campaign"),
        ({"campaign": "99999999999999999999999999"}, "campaign"),
        ({"campaign": "-1"}, "campaign"),
        ({"owner": "abc"}, "owner"),
    ],
    ids=str,
)
def test_lead_create_bad_input_saves_nothing(rep_client, overrides, field):
    response = rep_client.post(reverse("crm:lead-create"), lead_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Lead.objects.exists()


def test_lead_create_saves_with_owner_and_creator(rep_client, rep):
    response = rep_client.post(reverse("crm:lead-create"), lead_data())
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == lead.get_absolute_url()
    assert (lead.owner, lead.created_by, lead.rating) == (rep, rep, 4)


def test_lead_edit_without_owner_is_refused_not_a_server_error(rep_client, rep):
    lead = LeadFactory(owner=rep)
    response = rep_client.post(reverse("crm:lead-update", args=[lead.pk]), lead_data(owner=""))
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors


def test_lead_edit_cannot_set_converted(rep_client, rep):
    lead = LeadFactory(owner=rep)
    response = rep_client.post(
        reverse("crm:lead-update", args=[lead.pk]), lead_data(status="converted")
    )
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_interaction_from_lead_page_is_linked_and_returns_there(rep_client, rep):
    lead = LeadFactory()
    url = reverse("crm:interaction-create") + f"?lead={lead.pk}"
    form = rep_client.get(url).context["form"]
    assert form.initial["lead"] == lead.pk
    response = rep_client.post(
        url,
        {
            "kind": InteractionKind.CALL,
            "subject": "مكالمة تعريفية",
            "occurred_at": "2026-11-20T10:30",
            "duration": "15",
            "outcome": "Reached",
            "lead": lead.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == lead.get_absolute_url()
    interaction = Interaction.objects.get()
    assert (interaction.lead, interaction.created_by) == (lead, rep)
    assert "مكالمة تعريفية" in rep_client.get(lead.get_absolute_url()).content.decode()


def test_interaction_without_link_is_refused(rep_client):
    response = rep_client.post(
        reverse("crm:interaction-create"),
        {"kind": "call", "subject": "Orphan", "occurred_at": "2026-11-20T10:30"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Interaction.objects.exists()


def test_record_picker_lists_only_the_chosen_record(rep_client):
    LeadFactory.create_batch(5)
    chosen = LeadFactory(name="The chosen one")
    content = rep_client.get(reverse("crm:task-create") + f"?lead={chosen.pk}").content.decode()
    assert f'<option value="{chosen.pk}" selected>The chosen one</option>' in content
    assert content.count("<option") < 40  # not every lead


def test_lookup_returns_matching_options(rep_client):
    LeadFactory(name="Nadia Haddad")
    LeadFactory(name="Someone")
    response = rep_client.get(reverse("crm:lookup", args=["leads"]), {"lead__search": "nadia"})
    content = response.content.decode()
    assert "Nadia Haddad" in content
    assert "Someone" not in content


def test_lookup_unknown_kind_is_404(rep_client):
    assert rep_client.get(reverse("crm:lookup", args=["users"]), {"q": "a"}).status_code == 404


def test_campaign_end_before_start_is_refused(rep_client):
    response = rep_client.post(
        reverse("crm:campaign-create"),
        {
            "name": "Bad dates",
            "kind": "email",
            "status": "planned",
            "start_date": "2026-05-10",
            "end_date": "2026-05-01",
            "budget": "100",
            "actual_cost": "0",
        },
    )
    assert response.status_code == 200
    assert "end_date" in response.context["form"].errors
    assert not Campaign.objects.exists()


def opportunity_data(contact, **overrides):
    data = {
        "owner": contact.owner_id,
        "name": "New deal",
        "contact": contact.pk,
        "amount": "1000",
        "stage": stage("prospecting").pk,
        "probability": "",
        "description": "",
        "lost_reason": "",
    }
    data.update(overrides)
    return data


def test_opportunity_create_takes_stage_default_probability(rep_client, rep):
    contact = ContactFactory()
    data = opportunity_data(contact, stage=stage("proposal").pk, owner=rep.pk)
    response = rep_client.post(reverse("crm:opportunity-create"), data)
    assert response.status_code == 302
    opportunity = Opportunity.objects.get()
    assert (opportunity.probability, opportunity.owner) == (50, rep)
    assert opportunity.stage_changes.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"probability": "130"}, "probability"),
        ({"contact": ""}, "contact"),
        ({"stage": "999999"}, "stage"),
    ],
    ids=str,
)
def test_opportunity_create_bad_input_saves_nothing(rep_client, overrides, field):
    contact = ContactFactory()
    data = opportunity_data(contact)
    data.update(overrides)
    response = rep_client.post(reverse("crm:opportunity-create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Opportunity.objects.exists()


def test_opportunity_edit_probability_by_hand_is_kept(rep_client, rep):
    opportunity = OpportunityFactory(owner=rep)
    url = reverse("crm:opportunity-update", args=[opportunity.pk])
    data = opportunity_data(
        opportunity.contact, owner=rep.pk, name=opportunity.name, probability="35"
    )
    rep_client.post(url, {**data, "seen_version": seen_version(rep_client, url)})
    moved = {
        **data,
        "stage": stage("negotiation").pk,
        "seen_version": seen_version(rep_client, url),
    }
    assert rep_client.post(url, moved).status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.stage.code, opportunity.probability) == ("negotiation", 35)


def test_opportunity_edit_to_lost_needs_reason(rep_client, rep):
    opportunity = OpportunityFactory(owner=rep)
    url = reverse("crm:opportunity-update", args=[opportunity.pk])
    data = opportunity_data(opportunity.contact, owner=rep.pk, stage=stage("closed_lost").pk)
    response = rep_client.post(url, data)
    assert response.status_code == 200
    assert "lost_reason" in response.context["form"].errors
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "prospecting"


# --- Record pages ----------------------------------------------------------------------------


def test_lead_page_shows_timeline_tasks_and_convert(rep_client, rep):
    lead = LeadFactory(rating=3, owner=rep)
    InteractionFactory(lead=lead, subject="First call")
    TaskFactory(lead=lead, title="Send brochure")
    content = rep_client.get(lead.get_absolute_url()).content.decode()
    assert "First call" in content
    assert "Send brochure" in content
    assert "★★★" in content
    assert reverse("crm:lead-convert", args=[lead.pk]) in content
    assert f"/crm/interactions/add?lead={lead.pk}" in content


def test_converted_lead_page_links_to_customer_not_convert(rep_client, rep):
    from crm.services import lead_convert

    lead = LeadFactory(owner=rep)
    contact = lead_convert(lead=lead, by=rep).contact
    content = rep_client.get(lead.get_absolute_url()).content.decode()
    assert reverse("crm:lead-convert", args=[lead.pk]) not in content
    assert contact.get_absolute_url() in content


def test_lead_mark_lost_and_reopen(rep_client, rep):
    lead = LeadFactory(owner=rep)
    rep_client.post(reverse("crm:lead-mark-lost", args=[lead.pk]), {"lost_reason": ""})
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    rep_client.post(reverse("crm:lead-mark-lost", args=[lead.pk]), {"lost_reason": "No budget"})
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason) == (LeadStatus.LOST, "No budget")
    rep_client.post(reverse("crm:lead-reopen", args=[lead.pk]))
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_task_complete_and_reopen(rep_client, rep):
    task = TaskFactory(assigned_to=rep)
    rep_client.post(reverse("crm:task-complete", args=[task.pk]))
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    assert task.completed_at
    rep_client.post(reverse("crm:task-reopen", args=[task.pk]))
    task.refresh_from_db()
    assert (task.status, task.completed_at) == (TaskStatus.PENDING, None)


def test_opportunity_page_shows_stage_path_and_history(rep_client, rep):
    from crm.services import opportunity_move_stage

    opportunity = OpportunityFactory(amount=Decimal("999"), owner=rep)
    opportunity_move_stage(opportunity=opportunity, stage=stage("proposal"), by=rep)
    content = rep_client.get(opportunity.get_absolute_url()).content.decode()
    assert 'aria-current="step"' in content
    assert "Proposal" in content
    assert "499.50" in content  # expected value 999 × 50%


def test_campaign_page_flags_over_budget(rep_client):
    campaign = CampaignFactory(budget=Decimal("100"), actual_cost=Decimal("150"))
    LeadFactory(campaign=campaign, name="Campaign lead")
    content = rep_client.get(campaign.get_absolute_url()).content.decode()
    assert 'id="over-budget"' in content
    assert "Campaign lead" in content


def test_contact_page_shows_source_lead(rep_client, rep):
    from crm.services import lead_convert

    lead = LeadFactory(name="Origin Lead", owner=rep)
    contact = lead_convert(lead=lead, by=rep, create_opportunity=True).contact
    content = rep_client.get(contact.get_absolute_url()).content.decode()
    assert "Origin Lead" in content
    assert lead.get_absolute_url() in content


# --- Conversion ------------------------------------------------------------------------------


def test_convert_page_proposes_customers_with_same_email_or_phone(rep_client, rep):
    lead = LeadFactory(email="dup@example.com", phone="+966500000123", owner=rep)
    same_email = ContactFactory(name="Same Email", email="DUP@example.com")
    same_phone = ContactFactory(name="Same Phone", phone="+966500000123")
    ContactFactory(name="Stranger")
    response = rep_client.get(reverse("crm:lead-convert", args=[lead.pk]))
    content = response.content.decode()
    assert 'id="duplicates"' in content
    assert "Same Email" in content and "Same Phone" in content
    assert "Stranger" not in content
    assert set(response.context["form"].matches) == {str(same_email.pk), str(same_phone.pk)}


def test_convert_creates_customer_and_opportunity(rep_client, rep):
    lead = LeadFactory(expected_revenue=Decimal("4200"), owner=rep)
    form = rep_client.get(reverse("crm:lead-convert", args=[lead.pk])).context["form"]
    assert form["opportunity_amount"].value() == Decimal("4200")
    response = rep_client.post(
        reverse("crm:lead-convert", args=[lead.pk]),
        {
            "customer": "new",
            "create_opportunity": "on",
            "opportunity_name": "First order",
            "opportunity_amount": "4200",
        },
        follow=True,
    )
    contact = Contact.objects.get()
    assert response.redirect_chain[-1][0] == contact.get_absolute_url()
    assert Opportunity.objects.get().name == "First order"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED


def test_convert_attaches_to_existing_customer(rep_client, rep):
    existing = ContactFactory(email="same@example.com", company="")
    lead = LeadFactory(email="same@example.com", company="Lead Co", owner=rep)
    rep_client.post(
        reverse("crm:lead-convert", args=[lead.pk]),
        {"customer": str(existing.pk), "opportunity_amount": ""},
    )
    existing.refresh_from_db()
    assert Contact.objects.count() == 1
    assert existing.company == "Lead Co"
    lead.refresh_from_db()
    assert lead.contact == existing


def test_convert_twice_is_refused_with_message(rep_client, rep):
    lead = LeadFactory(owner=rep)
    url = reverse("crm:lead-convert", args=[lead.pk])
    rep_client.post(url, {"customer": "new"})
    response = rep_client.post(url, {"customer": "new"}, follow=True)
    assert Contact.objects.count() == 1
    messages = [str(m) for m in response.context["messages"]]
    assert "This lead has already been converted." in messages
    page = rep_client.get(url).content.decode()
    assert "already been converted" in page


def test_convert_bad_choice_saves_nothing(rep_client, rep):
    lead = LeadFactory(owner=rep)
    other = ContactFactory(email="unrelated@example.com")
    response = rep_client.post(
        reverse("crm:lead-convert", args=[lead.pk]),
        {"customer": str(other.pk), "opportunity_amount": "-3"},
    )
    assert response.status_code == 200
    assert {"customer", "opportunity_amount"} <= set(response.context["form"].errors)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_convert_lost_lead_is_refused(rep_client, rep):
    lead = LeadFactory(status=LeadStatus.LOST, owner=rep)
    response = rep_client.post(reverse("crm:lead-convert", args=[lead.pk]), {"customer": "new"})
    assert response.status_code == 302
    assert not Contact.objects.exists()


def test_convert_needs_permission(client):
    user = UserFactory()
    user.groups.add(Group.objects.get(name="Sales rep"))
    user.user_permissions.clear()
    lead = LeadFactory()
    client.force_login(UserFactory())
    assert client.post(reverse("crm:lead-convert", args=[lead.pk])).status_code == 403


# --- Record rights ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "model"), [p for p in RECORD_PAGES if p[0].endswith(("update", "convert"))]
)
def test_rep_cannot_edit_someone_elses_record(rep_client, name, model):
    make_world()  # owned by other users
    url = record_url(name, model)
    assert rep_client.get(url).status_code == 403
    assert rep_client.post(url, {}).status_code == 403


@pytest.mark.parametrize(("name", "model"), ACTIONS)
def test_rep_cannot_act_on_someone_elses_record(rep_client, name, model):
    make_world()
    assert rep_client.post(record_url(name, model), {"lost_reason": "x"}).status_code == 403


def test_rep_posting_to_another_reps_edit_url_changes_nothing(rep_client):
    lead = LeadFactory(name="Not yours")
    response = rep_client.post(reverse("crm:lead-update", args=[lead.pk]), lead_data(name="Mine"))
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.name == "Not yours"


def test_detail_page_hides_edit_buttons_from_others(rep_client):
    lead = LeadFactory()
    content = rep_client.get(lead.get_absolute_url()).content.decode()
    assert reverse("crm:lead-update", args=[lead.pk]) not in content
    assert reverse("crm:lead-convert", args=[lead.pk]) not in content


@pytest.mark.parametrize(("name", "model"), [p for p in RECORD_PAGES if p[0].endswith("update")])
def test_manager_can_edit_any_record(manager_client, name, model):
    make_world()
    assert manager_client.get(record_url(name, model)).status_code == 200


def test_list_count_is_capped_on_huge_lists(rep_client, monkeypatch):
    from crm import paging

    monkeypatch.setattr(paging, "COUNT_LIMIT", 30)
    LeadFactory.create_batch(40)
    response = rep_client.get(reverse("crm:lead-list"))
    paginator = response.context["page_obj"].paginator
    assert paginator.capped
    assert paginator.num_pages == 2  # 31 rows counted: pages never go deeper than the cap
    assert "More than 30 results" in response.content.decode()
    deep = rep_client.get(reverse("crm:lead-list"), {"page": 99})
    assert deep.context["page_obj"].number == 2


def test_list_count_is_exact_below_the_cap(rep_client):
    LeadFactory.create_batch(3)
    response = rep_client.get(reverse("crm:lead-list"))
    assert not response.context["page_obj"].paginator.capped
    assert "3 results" in response.content.decode()


@pytest.mark.parametrize(
    ("url_name", "view_name", "factory"),
    [
        ("crm:lead-list", "LeadListView", LeadFactory),
        ("crm:opportunity-list", "OpportunityListView", OpportunityFactory),
        ("crm:task-list", "TaskListView", TaskFactory),
    ],
)
def test_list_pages_follow_every_sort_without_gaps_or_repeats(
    rep_client, url_name, view_name, factory
):
    """Pages are read keys first (a deferred join): together they are the sorted list, exactly."""
    from crm import views

    factory.create_batch(30)
    view = getattr(views, view_name)
    for sort in [*view.sort_fields, *(f"-{key}" for key in view.sort_fields)]:
        shown = []
        for page in (1, 2):
            with CaptureQueriesContext(connection) as queries:
                response = rep_client.get(reverse(url_name), {"ordering": sort, "page": page})
            shown += [row.pk for row in response.context["object_list"]]
            assert any("IN (SELECT" in query["sql"] for query in queries), sort
        assert len(shown) == 30 == len(set(shown)), sort
        rows = response.context["paginator"].object_list
        assert shown == [row.pk for row in rows], sort


def test_campaign_filter_is_picked_by_search_not_a_list_of_every_campaign(rep_client):
    chosen = CampaignFactory(name="Ramadan offers")
    CampaignFactory(name="Autumn fair")
    LeadFactory(campaign=chosen, name="From Ramadan")
    LeadFactory(name="From elsewhere")
    response = rep_client.get(reverse("crm:lead-list"), {"campaign": chosen.pk})
    content = response.content.decode()
    assert [lead.name for lead in response.context["object_list"]] == ["From Ramadan"]
    assert "Ramadan offers</option>" in content
    assert "Autumn fair" not in content  # only the chosen campaign is an option
    assert reverse("crm:lookup", args=["campaigns"]) in content
    found = rep_client.get(reverse("crm:lookup", args=["campaigns"]), {"q": "autumn"})
    assert "Autumn fair</option>" in found.content.decode()


def test_campaign_list_rates_are_the_databases_rates(rep_client):
    """The list computes its rates from the counts; they match the SQL of with_metrics."""
    won = stage("closed_won")
    shapes = [
        (3, 1, "1000.00", "2500.50"),
        (7, 2, "333.33", "0"),
        (0, 0, "0", "0"),
        (6, 1, "10", "9.99"),
    ]
    for leads, converted, cost, revenue in shapes:
        campaign = CampaignFactory(actual_cost=Decimal(cost), budget=Decimal("5000"))
        LeadFactory.create_batch(leads - converted, campaign=campaign)
        for _ in range(converted):
            LeadFactory(
                campaign=campaign,
                status=LeadStatus.CONVERTED,
                contact=ContactFactory(),
                converted_at=timezone.now(),
            )
        if Decimal(revenue):
            OpportunityFactory(campaign=campaign, stage=won, amount=Decimal(revenue))
    expected = {
        c.pk: (c.leads_count, c.conversion_rate, c.cost_per_lead, c.roi)
        for c in Campaign.objects.with_metrics()
    }
    for ordering in ["", "roi", "-conversion_rate", "cost_per_lead"]:
        response = rep_client.get(reverse("crm:campaign-list"), {"ordering": ordering})
        shown = {
            c.pk: (c.leads_count, c.conversion_rate, c.cost_per_lead, c.roi)
            for c in response.context["object_list"]
        }
        assert shown == expected, ordering
    rates = [rate for _count, *values in expected.values() for rate in values]
    assert None in rates and Decimal("33.33") in rates  # a zero divisor, and a rounded rate
