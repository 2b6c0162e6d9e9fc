"""Quick work in a real browser: ticking a task off without a page load, a lead's status from
its list, the quick-add dialog and the keyboard shortcuts, at 1366 px and 390 px, in English and
Arabic. What happened is said in a toast that stays clear of the navigation bar."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.models import Lead, LeadStatus, Task, TaskStatus

from .helpers import LANGUAGES, WIDTHS, overlaps

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def assert_toast_in_view(page, width):
    toast = page.locator("#toasts .toast").last
    expect(toast).to_be_visible()
    drawn = toast.bounding_box()
    assert drawn["x"] >= 0 and drawn["x"] + drawn["width"] <= width + 1
    assert drawn["y"] + drawn["height"] <= 800 + 1
    assert not overlaps(drawn, page.locator("nav.navbar").bounding_box())
    return toast


@LANGUAGES
@WIDTHS
def test_task_done_from_the_list_without_a_page_load(rep_page, crm_data, language, width):
    page = rep_page
    page.goto(reverse("crm:task-list"))
    page.evaluate("window.stayed = true")
    row = page.locator(f'tr[data-task="{crm_data.task.pk}"]')
    done = row.locator('[data-quick="complete"]')
    done.scroll_into_view_if_needed()
    expect(done).to_be_visible()
    done.click()
    expect(row.locator('[data-quick="reopen"]')).to_be_visible()
    assert page.evaluate("window.stayed") is True  # the same page: nothing reloaded
    toast = assert_toast_in_view(page, width)
    expect(toast).to_contain_text("Task completed." if language == "en" else "اكتملت")
    assert Task.objects.get(pk=crm_data.task.pk).status == TaskStatus.COMPLETED


@LANGUAGES
@WIDTHS
def test_task_done_from_the_dashboard(rep_page, crm_data, language, width):
    page = rep_page
    item = page.locator(f'[data-list="my-tasks"] [data-task="{crm_data.task.pk}"]')
    item.locator('[data-quick="complete"]').click()
    expect(item.locator('[data-quick="reopen"]')).to_be_visible()
    assert_toast_in_view(page, width)
    assert Task.objects.get(pk=crm_data.task.pk).status == TaskStatus.COMPLETED


@LANGUAGES
@WIDTHS
def test_lead_status_from_its_list(rep_page, crm_data, language, width):
    page = rep_page
    page.goto(reverse("crm:lead-list"))
    select = page.locator(f'[data-lead-status="{crm_data.lead.pk}"] select')
    select.scroll_into_view_if_needed()
    select.select_option(LeadStatus.QUALIFIED)
    assert_toast_in_view(page, width)
    expect(page.locator(f'[data-lead-status="{crm_data.lead.pk}"] select')).to_have_value(
        LeadStatus.QUALIFIED
    )
    assert Lead.objects.get(pk=crm_data.lead.pk).status == LeadStatus.QUALIFIED


@LANGUAGES
@WIDTHS
def test_quick_add_a_lead_from_any_page(rep_page, crm_data, language, width):
    page = rep_page
    page.goto(reverse("crm:opportunity-board"))
    button = page.locator("#quick-add-button")
    expect(button).to_be_visible()  # outside the folded menu on a phone too
    button.click()
    name = page.locator("#id_quick-name")
    expect(name).to_be_focused()
    name.fill("Yara Mansour")
    page.locator("#id_quick-phone").fill("0501112233")
    page.locator("#quick-lead-form button[type=submit]").click()
    expect(page.locator("#quick-lead-form .alert-success")).to_be_visible()
    expect(page.locator("#quick-lead-form .alert-success a")).to_have_attribute(
        "href", Lead.objects.get(name="Yara Mansour").get_absolute_url()
    )
    page.locator("#id_quick-email").fill("no-at-sign")
    page.locator("#quick-lead-form button[type=submit]").click()
    expect(page.locator("#quick-lead-form .invalid-feedback").first).to_be_visible()
    assert Lead.objects.filter(owner=crm_data.rep).count() == 2


@LANGUAGES
@pytest.mark.parametrize("width", [1366])
def test_keyboard_shortcuts(rep_page, crm_data, language, width):
    page = rep_page
    page.keyboard.press("?")
    help = page.locator("#shortcuts")
    expect(help).to_be_visible()
    expect(help.locator("kbd", has_text="n")).to_be_visible()
    expect(help).to_be_focused()  # shown: Bootstrap ignores Escape while the dialog fades in
    page.keyboard.press("Escape")
    expect(help).to_be_hidden()
    page.goto(reverse("crm:task-list"))
    page.keyboard.press("n")
    page.wait_for_url("**/crm/tasks/add")
    # Typing in a field is typing, not a shortcut.
    page.locator("#id_title").press("n")
    expect(page.locator("#id_title")).to_have_value("n")
    assert page.url.endswith("/crm/tasks/add")
