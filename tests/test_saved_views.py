"""Saved views: a list's filters and sort under a name, private or shared, one the default."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import services
from crm.factories import LeadFactory, UserFactory
from crm.models import LeadStatus, ListDefault, SavedView
from crm.services.saved_views import clean_query

pytestmark = pytest.mark.django_db

LIST = reverse("crm:lead-list")


def rep_named(username):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name="Sales rep"))
    return user


def save(client, name="Hot ones", query="status=qualified", **extra):
    data = {"list": "lead", "query": query, "saved-name": name, **extra}
    return client.post(reverse("crm:saved-view-create"), data, follow=True)


def shown(response):
    return [lead.name for lead in response.context["object_list"]]


@pytest.fixture
def leads(rep):
    LeadFactory(name="Qualified one", owner=rep, status=LeadStatus.QUALIFIED)
    LeadFactory(name="New one", owner=rep, status=LeadStatus.NEW)


def test_a_saved_view_brings_back_its_filters_and_says_its_name(rep_client, rep, leads):
    response = save(rep_client, query="status=qualified&ordering=-name&page=3&export=csv")
    view = SavedView.objects.get()
    assert (view.owner, view.list, view.query) == (rep, "lead", "ordering=-name&status=qualified")
    assert response.redirect_chain[-1][0] == f"{LIST}?view={view.pk}"
    assert shown(response) == ["Qualified one"]
    content = response.content.decode()
    assert "View saved: Hot ones." in content
    button = content.split('id="saved-views-button"')[1].split("</button>")[0]
    assert "Hot ones" in button and "All records" not in button
    # Back to every lead, then to the view from its menu.
    assert sorted(shown(rep_client.get(LIST, {"view": "0"}))) == ["New one", "Qualified one"]
    assert shown(rep_client.get(LIST, {"view": view.pk})) == ["Qualified one"]


def test_the_url_overrides_the_view_and_a_submitted_form_says_everything(rep_client, leads):
    save(rep_client)
    view = SavedView.objects.get()
    # A sort clicked on top of the view keeps its filters.
    assert shown(rep_client.get(LIST, {"view": view.pk, "ordering": "name"})) == ["Qualified one"]
    # The filter form sent with the status emptied: the view's status no longer applies.
    response = rep_client.get(LIST, {"view": view.pk, "f": "1", "status": ""})
    assert sorted(shown(response)) == ["New one", "Qualified one"]
    content = response.content.decode()
    assert "changed" in content and "Keep these filters in “Hot ones”" in content


def test_keeping_the_changed_filters_updates_the_view(rep_client, leads):
    save(rep_client)
    view = SavedView.objects.get()
    response = rep_client.post(
        reverse("crm:saved-view-update", args=[view.pk]), {"query": "status=new"}, follow=True
    )
    assert "View updated: Hot ones." in response.content.decode()
    assert SavedView.objects.get().query == "status=new"
    assert shown(response) == ["New one"]


def test_the_default_view_opens_the_list_and_view_0_shows_everything(rep_client, rep, leads):
    save(rep_client, **{"saved-default": "on"})
    view = SavedView.objects.get()
    response = rep_client.get(LIST)
    assert response.status_code == 302 and response["Location"] == f"?view={view.pk}"
    assert rep_client.get(LIST, {"page": "1"}).status_code == 302
    assert rep_client.get(LIST, {"status": "new"}).status_code == 200  # the URL says what
    assert len(shown(rep_client.get(LIST, {"view": "0"}))) == 2
    response = rep_client.post(
        reverse("crm:saved-view-default"), {"list": "lead", "view": ""}, follow=True
    )
    assert "This list now opens without a saved view." in response.content.decode()
    assert not ListDefault.objects.exists()
    assert rep_client.get(LIST).status_code == 200


def test_shared_views_are_seen_by_the_team_and_changed_by_their_owner_only(client, rep, leads):
    other = rep_named("other")
    client.force_login(rep)
    save(client, name="Team view", **{"saved-shared": "on"})
    save(client, name="Mine only", query="status=new")
    shared = SavedView.objects.get(name="Team view")
    private = SavedView.objects.get(name="Mine only")
    assert (shared.shared, private.shared) == (True, False)

    client.force_login(other)
    response = client.get(LIST, {"view": "0"})
    menu = response.content.decode().split('class="dropdown-menu saved-views-menu"')[1]
    owner = rep.get_full_name() or rep.username
    assert "Team view" in menu and f"by {owner}" in menu and "Mine only" not in menu
    # The view's filters apply to what the other rep may see.
    assert shown(client.get(LIST, {"view": shared.pk})) == ["Qualified one"]
    response = client.get(LIST, {"view": private.pk}, follow=True)
    assert "That saved view is gone, or not shared with you." in response.content.decode()
    assert len(shown(response)) == 2
    # Others may open it on their list, not change or delete it.
    client.post(reverse("crm:saved-view-default"), {"list": "lead", "view": shared.pk})
    assert ListDefault.objects.get(user=other).view == shared
    response = client.post(
        reverse("crm:saved-view-update", args=[shared.pk]), {"query": "status=lost"}, follow=True
    )
    assert "You are not allowed to do that." in response.content.decode()
    assert client.post(reverse("crm:saved-view-delete", args=[private.pk])).status_code == 404
    client.post(reverse("crm:saved-view-delete", args=[shared.pk]))
    assert SavedView.objects.get(pk=shared.pk).query == "status=qualified"

    # Unsharing it takes it off the others' lists, their default included.
    client.force_login(rep)
    client.post(reverse("crm:saved-view-update", args=[shared.pk]), {"shared": "0"})
    assert not SavedView.objects.get(pk=shared.pk).shared
    assert not ListDefault.objects.filter(user=other).exists()


def test_a_manager_may_delete_a_shared_view_of_the_team(client, rep, manager):
    view = services.saved_view_create(
        by=rep, data={"list": "lead", "name": "Shared", "query": "", "shared": True}
    )
    client.force_login(manager)
    response = client.post(reverse("crm:saved-view-delete", args=[view.pk]), follow=True)
    assert "View deleted: Shared." in response.content.decode()
    assert not SavedView.objects.exists()


def test_bad_input_says_why_and_saves_nothing(rep_client, rep):
    save(rep_client, name="Hot ones")
    response = save(rep_client, name="  Hot   ones ")
    assert "You already have a view of this list named “Hot ones”." in response.content.decode()
    response = save(rep_client, name="   ")
    assert "Give the view a name." in response.content.decode()
    response = save(rep_client, name="x" * 81)
    assert "at most 80 characters" in response.content.decode()
    response = save(rep_client, name="Long", query="&".join(f"q{n}=v" for n in range(50)))
    assert "These filters are too many to save." in response.content.decode()
    assert SavedView.objects.count() == 1
    # A list that does not exist, an id that is not one, a view that is gone: 404s.
    assert save(rep_client, **{"list": "user"}).status_code == 404
    post = rep_client.post
    assert (
        post(reverse("crm:saved-view-default"), {"list": "lead", "view": "x1"}).status_code == 404
    )
    assert post(reverse("crm:saved-view-delete", args=[999999])).status_code == 404
    assert rep_client.get(reverse("crm:saved-view-create")).status_code == 405
    for value in ("abc", "99999999999999999999", "-1", "1\u00b2"):
        assert rep_client.get(LIST, {"view": value}).status_code == 200


def test_a_user_who_may_not_see_the_list_may_not_keep_views_of_it(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("crm:saved-view-create"), {"list": "lead", "saved-name": "Mine"}, follow=True
    )
    assert not SavedView.objects.exists()
    assert response.redirect_chain  # back to the list, which itself says no (403)


def test_the_export_follows_the_view(rep_client, leads):
    save(rep_client)
    view = SavedView.objects.get()
    response = rep_client.get(LIST, {"view": view.pk, "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Qualified one" in text and "New one" not in text
    page = rep_client.get(LIST, {"view": view.pk}).content.decode()
    assert f"view={view.pk}" in page.split('data-export="csv"')[0].rsplit("href=", 1)[1]


def test_bulk_every_matching_row_follows_the_view(rep_client, leads):
    save(rep_client)
    view = SavedView.objects.get()
    response = rep_client.get(LIST, {"view": view.pk})
    query = response.context["list_query"]
    rep_client.post(
        LIST,
        {
            "bulk-action": "status",
            "bulk-lead_status": "contacted",
            "bulk-every": "on",
            "bulk-query": query,
        },
    )
    statuses = dict(LeadFactory._meta.model.objects.values_list("name", "status"))
    assert statuses == {"Qualified one": "contacted", "New one": "new"}


def test_the_list_costs_the_same_queries_with_many_views(rep_client, rep):
    LeadFactory.create_batch(3)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert rep_client.get(LIST, {"view": "0"}).status_code == 200
        return len(captured)

    none = queries()
    for n in range(8):
        services.saved_view_create(
            by=rep,
            data={"list": "lead", "name": f"View {n}", "query": "status=new", "default": n == 3},
        )
    services.saved_view_create(
        by=rep_named("other"), data={"list": "lead", "name": "Shared", "shared": True}
    )
    assert queries() == none
    content = rep_client.get(LIST, {"view": "0"}).content.decode()
    assert content.count("data-saved-view=") == 9


def test_clean_query_keeps_filters_and_sort_only():
    assert clean_query("page=2&status=new&export=xlsx&view=3&f=1&bulk-action=x&q=&owner=4") == (
        "owner=4&status=new"
    )
    assert clean_query("q=%D8%A3%D8%AD%D9%85%D8%AF&ordering=-name") == (
        "ordering=-name&q=%D8%A3%D8%AD%D9%85%D8%AF"
    )
