"""The automation run log in a real browser, at 1366 px and 390 px, in English and Arabic: its
filters and runs drawn inside the screen, in reading order, a long error wrapped rather than cut
off, and a filter narrowing the list; reached from the user menu."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from playwright.sync_api import expect

from crm.factories import UserFactory
from crm.models import Rule, RuleRun

from .conftest import PASSWORD
from .helpers import LANGUAGES, WIDTHS, assert_inside, box, log_in

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OUTCOMES = {"en": ("Succeeded", "Failed"), "ar": ("نجح", "فشل")}


@LANGUAGES
@WIDTHS
def test_the_run_log_is_readable_and_filters(page, crm_data, language, width):
    manager = UserFactory(username="mona", first_name="Mona", password=PASSWORD, is_staff=True)
    manager.groups.add(Group.objects.get(name="Sales manager"))
    kind = ContentType.objects.get_for_model(crm_data.lead)
    follow = Rule.objects.create(
        name="Website follow-up", record="lead", trigger="created", created_by=manager
    )
    notify = Rule.objects.create(
        name="Tell the owner", record="lead", trigger="created", created_by=manager
    )
    RuleRun.objects.create(
        rule=follow,
        target_type=kind,
        target_id=crm_data.lead.pk,
        trigger="created",
        chain="a",
        outcome="succeeded",
        attempts=1,
    )
    error = "Assign the owner: No active user to give it to. " * 4
    RuleRun.objects.create(
        rule=notify,
        target_type=kind,
        target_id=crm_data.lead.pk,
        trigger="created",
        chain="b",
        outcome="failed",
        attempts=5,
        error=error,
    )

    log_in(page, "mona", PASSWORD, language, width)
    if page.locator(".navbar-toggler").is_visible():  # a phone: the menu is folded away
        page.locator(".navbar-toggler").click()
    page.locator("#user-menu-button").click()
    page.locator("#automation-link").click()
    page.wait_for_url("**" + reverse("crm:automation-runs"))
    screen = {"x": 0, "width": width}
    items = page.locator(".run-item")
    expect(items).to_have_count(2)
    first, second = box(items.nth(0)), box(items.nth(1))
    assert first["y"] < second["y"]  # newest first, one under the other
    for n in range(2):
        assert_inside(box(items.nth(n)), screen)
    succeeded, failed = OUTCOMES[language]
    expect(items.nth(0).get_by_text(failed, exact=True)).to_be_visible()
    shown_error = items.nth(0).locator(".run-error")
    expect(shown_error).to_be_visible()
    assert_inside(box(shown_error), box(items.nth(0)))  # wrapped, not cut off
    for name in ("rule", "outcome"):
        field = page.locator(f"#id_{name}")
        expect(field).to_be_visible()
        assert_inside(box(field), screen)

    page.select_option("#id_outcome", "succeeded")
    page.locator("#run-filters button[type=submit]").click()
    expect(items).to_have_count(1)
    expect(items.first.get_by_text(succeeded, exact=True)).to_be_visible()
    expect(items.first.get_by_text("Website follow-up")).to_be_visible()
