"""The bell in a real browser, at 1366 px and 390 px, in English and Arabic: its count drawn on
every page, its menu inside the screen with the newest first, a notification opening its record
and leaving the count one less, and "mark all read" clearing it without a page load."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import Notification

from .helpers import LANGUAGES, WIDTHS, assert_inside, box

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def told(crm_data):
    """Three unread notifications for the rep, the newest about her lead."""
    now = timezone.now()
    rows = [
        ("Your deal Oasis licences was won.", crm_data.won, 30),
        ("The task Send the quote is yours now.", crm_data.task, 20),
        ("Manager gave you the lead Omar Haddad.", crm_data.lead, 10),
    ]
    for text, target, minutes in rows:
        notification = Notification(
            recipient=crm_data.rep,
            kind="assigned",
            text=text,
            created_at=now - datetime.timedelta(minutes=minutes),
        )
        notification.target_type = ContentType.objects.get_for_model(target)
        notification.target_id = target.pk
        notification.save()
    return rows


def open_bell(page):
    page.goto(reverse("crm:dashboard"))  # drawn after the notifications were made
    count = page.locator("#bell-count")
    expect(count).to_be_visible()
    page.locator("#bell-button").click()
    menu = page.locator("#bell-menu")
    expect(menu.locator("#bell-list")).to_be_visible()
    return menu


@LANGUAGES
@WIDTHS
def test_the_bell_counts_and_opens_inside_the_screen(rep_page, told, language, width):
    page = rep_page
    for url in (reverse("crm:dashboard"), reverse("crm:lead-list")):
        page.goto(url)
        count = page.locator("#bell-count")
        expect(count).to_have_text("3")
        bell = box(page.locator("#bell-button"))
        assert bell["x"] >= 0 and bell["x"] + bell["width"] <= width + 1  # not cut off
        assert bell["y"] < 80  # in the navigation bar, without opening its menu
    menu = open_bell(page)
    drawn = box(menu)
    assert drawn["x"] >= -1 and drawn["x"] + drawn["width"] <= width + 1
    items = menu.locator("[data-notification]")
    expect(items).to_have_count(3)
    texts = [items.nth(n).locator(".notification-text") for n in range(3)]
    expect(texts[0]).to_have_text("Manager gave you the lead Omar Haddad.")  # newest first
    tops = [box(text)["y"] for text in texts]
    assert tops == sorted(tops)
    for text in texts:
        expect(text).to_be_visible()
        assert_inside(box(text), drawn)
    direction = page.evaluate("getComputedStyle(document.querySelector('#bell-list')).direction")
    assert direction == ("rtl" if language == "ar" else "ltr")


@LANGUAGES
@WIDTHS
def test_a_notification_opens_its_record_and_the_count_goes_down(
    rep_page, crm_data, told, language, width
):
    page = rep_page
    menu = open_bell(page)
    menu.locator("[data-notification] .notification-open").first.click()
    page.wait_for_url(f"**{reverse('crm:lead-detail', args=[crm_data.lead.pk])}")
    expect(page.locator("#bell-count")).to_have_text("2")
    assert Notification.objects.filter(read_at__isnull=True).count() == 2


@LANGUAGES
@WIDTHS
def test_mark_all_read_clears_the_count_without_a_page_load(rep_page, told, language, width):
    page = rep_page
    menu = open_bell(page)
    page.evaluate("window.stayed = true")
    menu.locator("#bell-read-all").click()
    expect(page.locator("#bell-count")).to_have_count(0)
    expect(menu.locator(".notification-unread")).to_have_count(0)
    assert page.evaluate("window.stayed") is True
    assert not Notification.objects.filter(read_at__isnull=True).exists()


@LANGUAGES
@WIDTHS
def test_the_settings_page_fits_and_saves(rep_page, crm_data, language, width):
    page = rep_page
    page.goto(reverse("crm:notification-settings"))
    select = page.locator("select[name=assigned]")
    expect(select).to_be_visible()
    assert box(select)["x"] + box(select)["width"] <= width + 1
    select.select_option("digest")
    page.locator("#save-notification-settings").click()
    expect(page.locator(".alert-success, .toast")).to_have_count(1)
    expect(page.locator("select[name=assigned]")).to_have_value("digest")
