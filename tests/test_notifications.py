"""Notifications: who is told what (from the services' events, whatever path wrote), in their
own language; the bell, the menu and the list; reading them; how each person is told."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from crm import notifications, services
from crm.factories import LeadFactory, OpportunityFactory, TaskFactory, UserFactory, stage
from crm.models import Delivery, Notification, NotificationSetting, UserPreference
from crm.models.notifications import OFFERED_KINDS, UNREAD_SHOWN
from crm.services.notifications import notify

pytestmark = pytest.mark.django_db

BELL = reverse("crm:notification-bell")
MENU = reverse("crm:notification-menu")
LIST = reverse("crm:notification-list")
SETTINGS = reverse("crm:notification-settings")
READ_ALL = reverse("crm:notification-read-all")
HTMX = {"HX-Request": "true"}


def a_rep(username, language=""):
    user = UserFactory(username=username, first_name=username.title(), last_name="")
    user.groups.add(Group.objects.get(name="Sales rep"))
    if language:
        UserPreference.objects.remember_language(user=user, language=language)
    return user


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block's after-commit work (the events and their listeners) as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def told(user):
    return list(Notification.objects.for_user(user).values_list("kind", "text"))


def name(user) -> str:
    return user.get_full_name() or user.get_username()


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- who is told what -------------------------------------------------------------------------


def test_a_lead_given_to_someone_tells_them_and_not_the_giver(manager, committed):
    sara = a_rep("sara")
    lead = LeadFactory(owner=manager, name="Acme Trading")
    with committed():
        services.lead_update(lead=lead, by=manager, data={"owner": sara})
    assert told(sara) == [("assigned", f"{name(manager)} gave you the lead Acme Trading.")]
    assert told(manager) == []
    notification = Notification.objects.get(recipient=sara)
    assert notification.actor == manager
    assert notification.target_url() == reverse("crm:lead-detail", args=[lead.pk])


def test_what_i_do_for_myself_tells_nobody(rep, committed):
    with committed():
        lead = services.lead_create(by=rep, data={"name": "Mine", "phone": "+966500000009"})
        services.task_create(by=rep, data={"title": "Call", "due_date": timezone.localdate()})
        services.lead_update(lead=lead, by=rep, data={"owner": rep})
    assert not Notification.objects.exists()


def test_the_text_is_in_the_recipients_language(manager, committed):
    layla = a_rep("layla", language="ar")
    with committed():
        services.task_create(
            by=manager,
            data={
                "title": "اتصال متابعة",
                "assigned_to": layla,
                "due_date": datetime.date(2026, 12, 24),
            },
        )
    [(kind, text)] = told(layla)
    assert kind == "assigned"
    assert "اتصال متابعة" in text
    assert "gave you" not in text and "أسند" in text  # Arabic, whatever the manager reads
    assert "24" in text


def test_a_deal_won_or_lost_by_someone_else_tells_its_owner(manager, rep, committed):
    won = OpportunityFactory(owner=rep, name="Big order")
    lost = OpportunityFactory(owner=rep, name="Small order")
    with committed():
        services.opportunity_move_stage(opportunity=won, stage=stage("closed_won"), by=manager)
        services.opportunity_move_stage(
            opportunity=lost, stage=stage("closed_lost"), by=manager, lost_reason="Price"
        )
    assert sorted(told(rep)) == [
        ("deal_closed", f"{name(manager)} marked your deal Big order won."),
        ("deal_closed", f"{name(manager)} marked your deal Small order lost."),
    ]


def test_my_lead_converted_by_someone_else_tells_me_and_opens_the_customer(manager, rep, committed):
    lead = LeadFactory(owner=rep, name="Nour Foods")
    with committed():
        result = services.lead_convert(lead=lead, by=manager)
    [notification] = Notification.objects.for_user(rep).filter(kind="lead_converted")
    assert notification.text == f"{name(manager)} converted your lead Nour Foods into a customer."
    assert notification.target_url() == reverse("crm:contact-detail", args=[result.contact.pk])


def test_a_kind_turned_off_keeps_nothing_and_others_still_arrive(manager, committed):
    sara = a_rep("sara")
    services.notification_settings_set(by=sara, choices={"assigned": Delivery.OFF})
    with committed():
        LeadFactory(owner=sara)  # a factory writes no event: nothing
        services.lead_create(
            by=manager, data={"name": "X", "phone": "+966500000001", "owner": sara}
        )
        deal = OpportunityFactory(owner=sara)
        services.opportunity_move_stage(opportunity=deal, stage=stage("closed_won"), by=manager)
    assert [kind for kind, _text in told(sara)] == ["deal_closed"]


def test_an_inactive_user_is_told_nothing(manager, committed):
    gone = a_rep("gone")
    gone.is_active = False
    gone.save()
    lead = LeadFactory(owner=manager)
    with committed():
        services.lead_update(lead=lead, by=manager, data={"owner": gone})
    assert not Notification.objects.exists()


def test_writes_held_back_tell_nobody_they_were_given_anything(manager, committed):
    sara = a_rep("sara")
    with committed(), notifications.held():
        for number in range(3):
            services.lead_create(
                by=manager,
                data={
                    "name": f"Imported {number}",
                    "owner": sara,
                    "phone": f"+96650000000{number}",
                },
            )
    assert not Notification.objects.exists()


def test_a_keyed_notification_is_stored_once(rep):
    other = a_rep("other")
    first = notify(recipient=other, kind="task_due", text=lambda: "Soon", key="task:1:due")
    again = notify(recipient=other, kind="task_due", text=lambda: "Soon", key="task:1:due")
    assert first is not None and again == first
    assert Notification.objects.count() == 1
    assert notify(recipient=rep, kind="task_due", text=lambda: "Soon", key="task:1:due")
    assert Notification.objects.count() == 2  # the key is one person's


# -- the bell, the menu and the list ---------------------------------------------------------


def test_every_page_carries_the_bell_that_loads_its_count_afterwards(rep_client):
    content = rep_client.get(reverse("crm:lead-list")).content.decode()
    assert 'id="bell"' in content
    assert f'hx-get="{BELL}"' in content and "every 60s" in content


def test_the_bell_counts_my_unread_only_in_fixed_queries(
    rep, rep_client, django_assert_max_num_queries
):
    other = a_rep("other")
    notify(recipient=other, kind="automation", text=lambda: "Not mine")
    for number in range(3):
        notify(recipient=rep, kind="automation", text=lambda n=number: f"Mine {n}")
    Notification.objects.filter(text="Mine 0").update(read_at=timezone.now())
    with django_assert_max_num_queries(5):  # session, user, 2 for the role, the count
        html = rep_client.get(BELL).content.decode()
    assert 'id="bell-count"' in html
    assert re.search(r'id="bell-count"[^>]*>2<', html)
    assert "2 unread" in text_of(html)


def test_the_bell_stops_counting_at_99(rep, rep_client):
    Notification.objects.bulk_create(
        Notification(recipient=rep, kind="automation", text=f"n{n}") for n in range(120)
    )
    html = rep_client.get(BELL).content.decode()
    assert re.search(rf'id="bell-count"[^>]*>{UNREAD_SHOWN}\+<', html)
    assert "More than 99 unread" in text_of(html)


def test_the_bell_with_nothing_unread_shows_no_count(rep_client):
    html = rep_client.get(BELL).content.decode()
    assert "bell-count" not in html
    assert "Notifications" in html


def test_the_menu_lists_my_latest_newest_first(rep, rep_client, django_assert_max_num_queries):
    now = timezone.now()
    for number in range(10):
        Notification.objects.create(
            recipient=rep,
            kind="automation",
            text=f"Number {number}",
            created_at=now - datetime.timedelta(minutes=10 - number),
        )
    with django_assert_max_num_queries(6):  # session, user, 2 for the role, rows, count
        html = rep_client.get(MENU).content.decode()
    shown = re.findall(r"Number (\d)", html)
    assert shown == ["9", "8", "7", "6", "5", "4", "3", "2"]
    assert "Mark all read" in html and "See all" in html


def test_the_empty_menu_says_what_will_come(rep_client):
    assert "Nothing new" in rep_client.get(MENU).content.decode()


def test_opening_a_notification_reads_it_and_goes_to_its_record(rep, rep_client):
    lead = LeadFactory(owner=rep)
    notification = notify(recipient=rep, kind="assigned", text=lambda: "Yours", target=lead)
    response = rep_client.post(reverse("crm:notification-open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:lead-detail", args=[lead.pk])
    notification.refresh_from_db()
    assert notification.is_read


def test_a_notification_whose_record_is_gone_opens_the_list(rep, rep_client):
    lead = LeadFactory(owner=rep)
    notification = notify(recipient=rep, kind="assigned", text=lambda: "Yours", target=lead)
    url = reverse("crm:lead-detail", args=[lead.pk])
    lead.delete()
    response = rep_client.post(reverse("crm:notification-open", args=[notification.pk]))
    # The record's page says it is gone (a 404 page); the notification still opens.
    assert response["Location"] == url
    assert rep_client.get(url).status_code == 404
    no_target = notify(recipient=rep, kind="automation", text=lambda: "General")
    response = rep_client.post(reverse("crm:notification-open", args=[no_target.pk]))
    assert response["Location"] == LIST


def test_someone_elses_notification_is_missing_and_get_is_refused(rep_client):
    other = a_rep("other")
    theirs = notify(recipient=other, kind="automation", text=lambda: "Theirs")
    for name in ("crm:notification-open", "crm:notification-read"):
        assert rep_client.post(reverse(name, args=[theirs.pk])).status_code == 404
        assert rep_client.get(reverse(name, args=[theirs.pk])).status_code == 405
    for hostile in ("99999999999999999999", "-1", "abc", "0"):
        assert rep_client.post(f"/crm/notifications/{hostile}/open").status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_marking_one_read_redraws_it_and_asks_the_bell_to_recount(rep, rep_client):
    notification = notify(recipient=rep, kind="automation", text=lambda: "Read me")
    url = reverse("crm:notification-read", args=[notification.pk]) + "?as=menu"
    response = rep_client.post(url, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger-After-Swap"] == "crm:bell"
    html = response.content.decode()
    assert "Read me" in html and "notification-unread" not in html and "Mark read" not in html
    assert Notification.objects.unread().count() == 0


def test_mark_all_read(rep, rep_client):
    for number in range(3):
        notify(recipient=rep, kind="automation", text=lambda n=number: f"N{n}")
    other = a_rep("other")
    notify(recipient=other, kind="automation", text=lambda: "Theirs")
    response = rep_client.post(READ_ALL, headers=HTMX)
    assert response.status_code == 204
    assert (
        "crm:bell" in response["HX-Trigger"]
        and "Every notification is read" in (response["HX-Trigger"])
    )
    assert not Notification.objects.for_user(rep).unread().exists()
    assert Notification.objects.for_user(other).unread().count() == 1
    response = rep_client.post(READ_ALL, follow=True)
    assert "No notification was unread." in response.content.decode()


def test_the_list_pages_and_filters_unread(rep, rep_client, django_assert_max_num_queries):
    Notification.objects.bulk_create(
        Notification(recipient=rep, kind="automation", text=f"Item {n}") for n in range(30)
    )
    Notification.objects.filter(text__in=["Item 1", "Item 2"]).update(read_at=timezone.now())
    # session, user, 2 for the permissions (the navigation bar), the count, the page, unread
    with django_assert_max_num_queries(7):
        page = rep_client.get(LIST)
    content = page.content.decode()
    assert content.count('data-notification="') == 25
    assert "Page 1 of 2" in content
    assert "Unread (28)" in text_of(content)
    unread = rep_client.get(LIST, {"show": "unread"}).content.decode()
    assert "Item 1<" not in unread and "Item 2<" not in unread
    assert "Unread (28)" in text_of(unread)


def test_the_list_when_empty_says_so(rep_client):
    assert "No notifications yet" in rep_client.get(LIST).content.decode()
    assert "Everything is read." in rep_client.get(LIST, {"show": "unread"}).content.decode()


# -- how each person is told ----------------------------------------------------------------


def test_settings_offer_the_kinds_sent_and_keep_my_choices(rep, rep_client):
    content = rep_client.get(SETTINGS).content.decode()
    for kind in OFFERED_KINDS:
        assert f'name="{kind.value}"' in content
        assert str(kind.label) in content
    assert 'name="import_finished"' not in content  # not sent yet: not offered
    choices = {kind.value: Delivery.APP.value for kind in OFFERED_KINDS}
    choices.update(assigned="email", deal_closed="digest", lead_converted="off", task_due="email")
    response = rep_client.post(SETTINGS, choices, follow=True)
    assert "Your notification settings are saved." in response.content.decode()
    saved = dict(NotificationSetting.objects.filter(user=rep).values_list("kind", "delivery"))
    assert saved == {
        "assigned": "email", "deal_closed": "digest", "lead_converted": "off",
        "task_due": "email", "task_overdue": "app", "automation": "app",
    }  # fmt: skip
    content = rep_client.get(SETTINGS).content.decode()
    assert re.search(r'name="assigned"[^>]*>.*?<option value="email" selected', content, re.S)


@pytest.mark.parametrize("bad", ["", "loud", "\x00", "a" * 500])
def test_settings_refuse_what_is_not_offered_and_save_nothing(rep_client, bad):
    choices = {kind.value: Delivery.APP.value for kind in OFFERED_KINDS}
    choices["assigned"] = bad
    response = rep_client.post(SETTINGS, choices)
    assert response.status_code == 400
    if bad != "\x00":  # a NUL byte meets the 400 page of every form before the form
        assert "Choose one of the offered ways" in response.content.decode()
    assert not NotificationSetting.objects.exists()


def test_a_conversion_with_a_deal_tells_the_owner_once(manager, rep, committed):
    lead = LeadFactory(owner=rep, name="Nour Foods")
    with committed():
        services.lead_convert(lead=lead, by=manager, create_opportunity=True)
    assert [kind for kind, _text in told(rep)] == ["lead_converted"]


def test_the_chosen_delivery_is_kept_on_each_notification(manager, committed):
    sara = a_rep("sara")
    services.notification_settings_set(by=sara, choices={"assigned": Delivery.EMAIL})
    task = TaskFactory(assigned_to=manager)
    with committed():
        services.task_update(task=task, by=manager, data={"assigned_to": sara})
    assert Notification.objects.get(recipient=sara).delivery == "email"


def test_an_import_tells_nobody_of_each_lead_it_gives(
    manager_client, manager, django_capture_on_commit_callbacks
):
    import tablib

    from crm.models import Lead
    from tests.test_import_export import import_file

    sara = a_rep("sara")
    rows = [[f"Imported {n}", f"i{n}@example.com", "sara"] for n in range(3)]
    content = tablib.Dataset(*rows, headers=["name", "email", "owner"]).export("csv").encode()
    with django_capture_on_commit_callbacks(execute=True):
        import_file(manager_client, "lead", content)
    assert Lead.objects.filter(owner=sara).count() == 3
    assert not Notification.objects.exists()
    # The same write outside an import tells her.
    lead = Lead.objects.filter(owner=sara).first()
    with django_capture_on_commit_callbacks(execute=True):
        services.lead_update(lead=lead, by=manager, data={"owner": manager})
        services.lead_update(lead=lead, by=manager, data={"owner": sara})
    assert Notification.objects.filter(recipient=sara).count() == 1
