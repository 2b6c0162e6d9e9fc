"""Saved views in a real browser, at 1366 px and 390 px, in English and Arabic: a filtered list
saved under a name, opened again from its menu, and made the list's default."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.factories import LeadFactory
from crm.models import LeadStatus, SavedView

from .helpers import LANGUAGES, WIDTHS, assert_inside, box

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@LANGUAGES
@WIDTHS
def test_save_a_filtered_list_and_open_the_list_on_it(rep_page, crm_data, language, width):
    page = rep_page
    LeadFactory(name="Qualified Qasim", owner=crm_data.rep, status=LeadStatus.QUALIFIED)
    page.goto(reverse("crm:lead-list") + "?status=qualified")
    screen = {"x": 0, "width": width}
    button = page.locator("#saved-views-button")
    expect(button).to_be_visible()
    assert_inside(box(button), screen)
    button.click()
    menu = page.locator(".saved-views-menu")
    expect(menu).to_be_visible()
    assert_inside(box(menu), screen)
    page.locator("#save-view-open").click()
    dialog = page.locator("#save-view")
    expect(dialog).to_be_visible()
    name = "مؤهلون" if language == "ar" else "Qualified ones"
    page.locator("#id_saved-name").fill(name)
    page.locator("#id_saved-default").check()
    dialog.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    view = SavedView.objects.get()
    assert view.query == "status=qualified"
    expect(button).to_contain_text(name)
    assert_inside(box(button), screen)
    rows = page.locator("#list-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Qualified Qasim")

    # The bare list opens on it; "All records" shows everything.
    page.goto(reverse("crm:lead-list"))
    page.wait_for_url(f"**/crm/leads?view={view.pk}")
    expect(button).to_contain_text(name)
    button.click()
    star = menu.locator(f'[data-saved-view="{view.pk}"] .bi-star-fill')
    expect(star).to_be_visible()
    assert_inside(box(star), box(menu))
    menu.locator('a[href="?view=0"]').click()
    expect(rows).to_have_count(2)
    expect(button).to_contain_text("كل السجلات" if language == "ar" else "All records")
