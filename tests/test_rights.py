"""Every URL of the project, walked as an anonymous user, a rep, a manager and a user with no
role: each gets exactly their rights, whatever the buttons on the pages show."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
)
from crm.models import Lead, Notification, Opportunity, SavedView, Task

from .helpers import admin_form, inline_prefix

pytestmark = pytest.mark.django_db

# Pages reachable without a login (the admin and static files have their own rules).
PUBLIC = {"login", "set_language"}
# Changes: POST only, for those who may change the record.
ACTIONS = {
    "crm:lead-mark-lost",
    "crm:lead-reopen",
    "crm:lead-status",
    "crm:task-complete",
    "crm:task-reopen",
    "crm:opportunity-move",
}
# Reading notifications: POST only; someone else's is missing (tests/test_notifications.py).
NOTIFICATION_ACTIONS = {
    "crm:notification-open",
    "crm:notification-read",
    "crm:notification-read-all",
}
# Pages for managers only: a rep is refused.
MANAGERS_ONLY = {"crm:automation-runs"}
# Saved views: POST only too; a refusal is said on the list (tests/test_saved_views.py).
VIEW_ACTIONS = {
    "crm:saved-view-create",
    "crm:saved-view-default",
    "crm:saved-view-update",
    "crm:saved-view-delete",
}


def url_names(patterns=None, namespace=""):
    """Every named URL of the project, with its namespace."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


ALL_URLS = sorted(set(url_names()))


def world(owner):
    """One record of each kind owned by (assigned to, logged by) ``owner``."""
    campaign = CampaignFactory(owner=owner)
    lead = LeadFactory(owner=owner, campaign=campaign)
    contact = ContactFactory(owner=owner)
    opportunity = OpportunityFactory(owner=owner, contact=contact, lead=lead)
    interaction = InteractionFactory(lead=lead, created_by=owner)
    task = TaskFactory(assigned_to=owner, lead=lead)
    saved = SavedView.objects.create(owner=owner, list="lead", name="Shared", shared=True)
    notification = Notification.objects.create(recipient=owner, kind="automation", text="Hi")
    return {
        "saved": saved,
        "notification": notification,
        "lead": lead,
        "contact": contact,
        "opportunity": opportunity,
        "interaction": interaction,
        "task": task,
        "campaign": campaign,
    }


def build(name, records):
    """The URL for ``name`` about ``records`` (one of each kind)."""
    if name == "crm:lookup":
        return reverse(name, args=["leads"]) + "?q=a"
    if name == "crm:look-alikes":
        return reverse(name, args=["leads"]) + "?email=a@example.com"
    kind = name.split(":")[-1].split("-")[0]
    if kind in records and not name.endswith(
        (
            "-list",
            "-create",
            "-board",
            "-quick-add",
            "-default",
            "-bell",
            "-menu",
            "-settings",
            "-all",
        )
    ):
        return reverse(name, args=[records[kind].pk])
    return reverse(name)


def test_url_walk_covers_the_crm():
    crm_urls = [name for name in ALL_URLS if name.startswith("crm:")]
    assert len(crm_urls) >= 30
    assert {"login", "logout", "set_language"} <= set(ALL_URLS)


@pytest.mark.parametrize("name", ALL_URLS)
def test_url_anonymous_is_sent_to_login(client, name):
    records = world(UserFactory())
    url = build(name, records)
    response = client.get(url)
    if name in PUBLIC:
        assert response.status_code in (200, 302, 405)
        assert reverse("login") + "?" not in response.get("Location", "")
    elif name == "logout":
        assert response.status_code in (302, 405)
    else:
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
    if name in ACTIONS | VIEW_ACTIONS | NOTIFICATION_ACTIONS:
        assert client.post(url).status_code == 302


def expected_for_rep(name, own):
    """What a rep gets on ``name``: own records may change; others' only be seen."""
    if name in ACTIONS | VIEW_ACTIONS | NOTIFICATION_ACTIONS:
        return 405  # a GET on a change, whoever asks
    if name.endswith(("-update", "-convert")) and not own or name in MANAGERS_ONLY:
        return 403
    return 200


@pytest.mark.parametrize("own", [True, False], ids=["own", "others"])
@pytest.mark.parametrize("name", [n for n in ALL_URLS if n.startswith("crm:")])
def test_url_rep_gets_exactly_their_rights(rep_client, rep, name, own):
    records = world(rep if own else UserFactory())
    url = build(name, records)
    assert rep_client.get(url).status_code == expected_for_rep(name, own), url
    if name in ACTIONS:
        post = rep_client.post(url, {"lost_reason": "x", "stage": records["opportunity"].stage_id})
        assert (post.status_code == 403) is (not own), url
    if name in NOTIFICATION_ACTIONS - {"crm:notification-read-all"}:
        assert (rep_client.post(url).status_code == 404) is (not own), url


@pytest.mark.parametrize("name", [n for n in ALL_URLS if n.startswith("crm:")])
def test_url_manager_may_do_everything(manager_client, name):
    records = world(UserFactory())
    url = build(name, records)
    expected = 405 if name in ACTIONS | VIEW_ACTIONS | NOTIFICATION_ACTIONS else 200
    assert manager_client.get(url).status_code == expected, url


@pytest.mark.parametrize("name", [n for n in ALL_URLS if n.startswith("crm:")])
def test_url_user_without_role_is_refused(client, name):
    client.force_login(UserFactory())
    records = world(UserFactory())
    url = build(name, records)
    status = client.get(url).status_code
    assert status in (403, 404, 405), url
    if name in ACTIONS:
        assert client.post(url).status_code == 403


def test_rep_actions_on_others_change_nothing(rep_client):
    records = world(UserFactory())
    lead, task, opportunity = records["lead"], records["task"], records["opportunity"]
    rep_client.post(reverse("crm:lead-mark-lost", args=[lead.pk]), {"lost_reason": "x"})
    rep_client.post(reverse("crm:task-complete", args=[task.pk]))
    rep_client.post(
        reverse("crm:opportunity-move", args=[opportunity.pk]), {"stage": opportunity.stage_id}
    )
    assert Lead.objects.get(pk=lead.pk).status == "new"
    assert Task.objects.get(pk=task.pk).status == "pending"
    assert not Opportunity.objects.get(pk=opportunity.pk).stage_changes.exists()


def test_staff_rep_cannot_change_others_records_in_admin(client):
    from django.contrib.auth.models import Group

    rep = UserFactory(is_staff=True)
    rep.groups.add(Group.objects.get(name="Sales rep"))
    client.force_login(rep)
    others = world(UserFactory())
    mine = world(rep)
    for kind in ("lead", "contact", "opportunity", "campaign", "task", "interaction"):
        url = reverse(f"admin:crm_{kind}_change", args=[others[kind].pk])
        response = client.post(url, {"name": "hijacked"})
        assert response.status_code in (302, 403), kind
        page = client.get(reverse(f"admin:crm_{kind}_change", args=[mine[kind].pk]))
        assert page.status_code == 200, kind
    assert Lead.objects.get(pk=others["lead"].pk).name != "hijacked"
    response = client.get(reverse("admin:crm_lead_change", args=[others["lead"].pk]))
    assert b'name="_save"' not in response.content  # read only


@pytest.fixture
def staff_rep(db):
    from django.contrib.auth.models import Group

    rep = UserFactory(is_staff=True, username="staff-rep")
    rep.groups.add(Group.objects.get(name="Sales rep"))
    return rep


def test_staff_rep_cannot_revert_another_reps_record_through_history(client, staff_rep):
    """A past version may name the rep as owner: the right is the one on the record now."""
    from crm import services

    lead = LeadFactory(owner=staff_rep, name="Mine once")
    other = UserFactory()
    other.groups.add(staff_rep.groups.get())
    version = lead.history.earliest().history_id
    services.lead_update(lead=lead, by=UserFactory(is_superuser=True), data={"owner": other})
    client.force_login(staff_rep)
    url = reverse("admin:crm_lead_simple_history", args=[lead.pk, version])
    response = client.post(url, {**admin_form(client, url), "name": "Taken back"})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert (lead.owner, lead.name) == (other, "Mine once")
    page = client.get(reverse("admin:crm_lead_history", args=[lead.pk]))
    assert page.status_code == 200  # the history stays readable


def test_staff_rep_reverts_own_record_through_history(client, staff_rep):
    from crm import services

    lead = LeadFactory(owner=staff_rep, name="First name")
    version = lead.history.earliest().history_id
    services.lead_update(lead=lead, by=staff_rep, data={"name": "Second name"})
    client.force_login(staff_rep)
    url = reverse("admin:crm_lead_simple_history", args=[lead.pk, version])
    response = client.post(url, admin_form(client, url))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.name == "First name"
    latest = lead.history.first()
    assert (latest.history_user, latest.name) == (staff_rep, "First name")


def test_staff_rep_cannot_change_another_reps_task_through_own_lead_inline(client, staff_rep):
    lead = LeadFactory(owner=staff_rep)
    theirs = TaskFactory(lead=lead, assigned_to=UserFactory(), title="Their task")
    client.force_login(staff_rep)
    url = reverse("admin:crm_lead_change", args=[lead.pk])
    data = admin_form(client, url)
    prefix = inline_prefix(data)
    data[f"{prefix}-0-title"] = "Hijacked"
    data[f"{prefix}-0-assigned_to"] = staff_rep.pk
    response = client.post(url, data)
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.title == "Their task"
    assert theirs.assigned_to != staff_rep
