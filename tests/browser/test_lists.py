"""The lists in a real browser, at a laptop's width and a phone's, in both languages: the
filters can be seen and used, dates fit, headers look sortable, and bulk actions work."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.factories import LeadFactory
from crm.models import Lead, LeadStatus

from .helpers import LANGUAGES, SLACK, WIDTHS, assert_inside, box

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def assert_date_fits(page, name):
    """A date input shows a whole date: wide enough, inside the screen and the filter card."""
    card = box(page.locator("#filters"))
    for end in ("after", "before"):
        field = page.locator(f'input[name="{name}_{end}"]')
        expect(field).to_be_visible()
        drawn = box(field)
        assert drawn["width"] >= 130, f"{name}_{end} is {drawn['width']} px wide"
        assert_inside(drawn, card)
        # The text the browser draws fits its box (no "mm/dc").
        assert field.evaluate("e => e.scrollWidth <= e.clientWidth + 1")


@LANGUAGES
@WIDTHS
def test_filters_can_be_seen_and_used(rep_page, crm_data, language, width):
    page = rep_page
    page.goto(reverse("crm:lead-list"))
    status = page.locator("#id_status")
    toggle = page.locator("#filters-toggle")
    if width >= 768:
        expect(status).to_be_visible()
        expect(toggle).to_be_hidden()
    else:
        expect(status).to_be_hidden()
        expect(toggle).to_be_visible()
        toggle.click()
        expect(status).to_be_visible()
    assert_inside(box(status), {"x": 0, "width": width})
    assert_date_fits(page, "created_at")

    status.select_option(LeadStatus.NEW)
    page.locator("#filters button[type=submit]").click()
    page.wait_for_url("**status=new**")
    # Chosen filters stay in view, the panel as wide as the page's content.
    expect(page.locator("#id_status")).to_be_visible()
    panel, card = box(page.locator("#more-filters")), box(page.locator("#filters"))
    assert panel["width"] >= card["width"] * 0.85
    assert_date_fits(page, "created_at")
    expect(page.locator("main table tbody tr")).to_have_count(1)


@LANGUAGES
@WIDTHS
def test_headers_look_sortable_and_show_the_sort(rep_page, crm_data, language, width):
    page = rep_page
    page.goto(reverse("crm:opportunity-list"))
    header = page.locator('th[aria-sort] a[data-sort="amount"]')
    icon = header.locator(".sort-icon")
    expect(icon).to_be_visible()
    faint = float(icon.evaluate("e => getComputedStyle(e).opacity"))
    assert faint < 1
    header.click()
    page.wait_for_url("**ordering=amount**")
    sorted_header = page.locator('th:has(a[data-sort="amount"])')
    expect(sorted_header).to_have_attribute("aria-sort", "ascending")
    assert (
        float(sorted_header.locator(".sort-icon").evaluate("e => getComputedStyle(e).opacity")) == 1
    )
    # The icon stands after the label, in the reading direction.
    label = header.evaluate(
        "e => { const r = document.createRange(); r.setStart(e.firstChild, 0);"
        " r.setEnd(e.firstChild, e.firstChild.length); const b = r.getBoundingClientRect();"
        " return {left: b.left, right: b.right}; }"
    )
    drawn = box(sorted_header.locator(".sort-icon"))
    if language == "ar":
        assert drawn["x"] + drawn["width"] <= label["left"] + SLACK
    else:
        assert drawn["x"] >= label["right"] - SLACK


@LANGUAGES
@WIDTHS
def test_bulk_change_of_status(rep_page, crm_data, language, width):
    page = rep_page
    second = LeadFactory(name="Second lead", owner=crm_data.rep)
    page.goto(reverse("crm:lead-list"))
    bar = page.locator("#bulk-bar")
    expect(bar).to_be_hidden()
    page.locator(f'input[name="pk"][value="{second.pk}"]').check()
    expect(bar).to_be_visible()
    expect(bar.locator("[data-bulk-count]")).to_have_text("1")
    bar.locator('select[name="bulk-action"]').select_option("status")
    status = bar.locator('select[name="bulk-lead_status"]')
    expect(status).to_be_visible()
    expect(bar.locator('select[name="bulk-person"]')).to_be_hidden()
    status.select_option(LeadStatus.CONTACTED)
    submit = bar.locator("[data-bulk-submit]")
    assert_inside(box(submit), {"x": 0, "width": width})
    submit.click()
    expect(page.locator(".alert-success")).to_contain_text(
        "1 record changed." if language == "en" else "تغيّر سجل واحد."
    )
    assert Lead.objects.get(pk=second.pk).status == LeadStatus.CONTACTED
    assert Lead.objects.get(pk=crm_data.lead.pk).status == LeadStatus.NEW


@LANGUAGES
@pytest.mark.parametrize("width", [1366])
def test_select_the_whole_page_then_every_match(rep_page, crm_data, language, width):
    page = rep_page
    LeadFactory.create_batch(30, owner=crm_data.rep, status=LeadStatus.NEW)
    page.goto(reverse("crm:lead-list") + "?status=new")
    page.locator("[data-check-page]").check()
    bar = page.locator("#bulk-bar")
    expect(bar.locator("[data-bulk-count]")).to_have_text("25")
    everything = bar.locator("[data-bulk-select-all]")
    expect(everything).to_be_visible()
    everything.click()
    expect(bar.locator("[data-bulk-all-chosen]")).to_be_visible()
    bar.locator('select[name="bulk-action"]').select_option("status")
    bar.locator('select[name="bulk-lead_status"]').select_option(LeadStatus.QUALIFIED)
    bar.locator("[data-bulk-submit]").click()
    page.wait_for_load_state()
    assert Lead.objects.filter(status=LeadStatus.QUALIFIED).count() == 31
