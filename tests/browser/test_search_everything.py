"""The navigation bar's search box in a real browser, at 1366 px and 390 px, in English and
Arabic: on every page, in reach of "/", and its results grouped by record, best first."""

import os

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from crm.factories import ContactFactory, LeadFactory, TaskFactory

from .helpers import LANGUAGES, WIDTHS, assert_inside, box, overlaps

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@LANGUAGES
@WIDTHS
def test_the_search_box_is_on_every_page_and_groups_what_it_finds(
    rep_page, crm_data, language, width
):
    page = rep_page
    LeadFactory(name="Samir Haddad", company="Nile Foods", owner=crm_data.rep)
    LeadFactory(name="Haddad", company="Dunes", owner=crm_data.rep)
    ContactFactory(name="Maha Haddad", owner=crm_data.rep)
    TaskFactory(title="Call Haddad back", assigned_to=crm_data.rep)
    page.goto(reverse("crm:opportunity-board"))
    field = page.locator("#nav-search-q")
    expect(field).to_be_visible()  # outside the folded menu on a phone too
    drawn = box(field)
    assert_inside(drawn, {"x": 0, "width": width})
    assert drawn["width"] >= 120
    for other in ("#quick-add-button", ".navbar-brand", ".navbar-toggler"):
        if page.locator(other).is_visible():
            assert not overlaps(drawn, box(page.locator(other))), other
    if width < 1200:  # the folded bar: brand, quick add, search and menu button in one row
        assert box(page.locator("nav.navbar"))["height"] < 70
    if os.environ.get("SHOTS"):
        page.screenshot(path=f"/tmp/search-{language}-{width}.png")
    page.keyboard.press("/")
    expect(field).to_be_focused()
    field.fill("Haddad")
    field.press("Enter")
    page.wait_for_url("**/crm/search?q=*")
    groups = page.locator("[data-result-group]")
    expect(groups).to_have_count(3)
    kinds = [groups.nth(n).get_attribute("data-result-group") for n in range(3)]
    assert kinds == ["lead", "contact", "task"]
    leads = groups.nth(0).locator("[data-result]")
    # The exact name first, then the name that has it as a word.
    expect(leads.nth(0)).to_have_text("Haddad")
    expect(leads.nth(1)).to_have_text("Samir Haddad")
    for n in range(3):
        group = groups.nth(n)
        expect(group).to_be_visible()
        assert_inside(box(group), {"x": 0, "width": width})
    tops = [box(groups.nth(n))["y"] for n in range(3)]
    if width < 992:
        assert tops == sorted(tops)  # one column, in order
    if os.environ.get("SHOTS"):
        page.screenshot(path=f"/tmp/results-{language}-{width}.png", full_page=True)
    groups.nth(0).locator("[data-see-all]").click()
    page.wait_for_url("**/crm/leads?q=Haddad")
    expect(page.locator("#list-table tbody tr")).to_have_count(3)  # Omar Haddad too


@LANGUAGES
@pytest.mark.parametrize("width", [1366])
def test_a_managers_navigation_bar_fits_one_row_with_the_language_named_in_full(
    rep_page, crm_data, language, width
):
    """A manager sees the most: every item, the search, the quick add, the language and their
    menu (with the administration) stand in one row, and the language reads "العربيّة"."""
    page = rep_page
    crm_data.rep.is_staff = True
    crm_data.rep.save(update_fields=["is_staff"])
    crm_data.rep.groups.add(Group.objects.get(name="Sales manager"))
    page.goto(reverse("crm:dashboard"))
    nav = box(page.locator("nav.navbar"))
    assert nav["height"] < 70, "the navigation bar wraps onto a second row"
    parts = ["#nav-search-q", "#quick-add-button", "#language-select", "#user-menu-button"]
    parts += [".navbar-nav .nav-link >> nth=0", ".navbar-nav .nav-link >> nth=-1"]
    for part in parts:
        drawn = box(page.locator(part))
        assert_inside(drawn, {"x": 0, "width": width})
        assert drawn["y"] + drawn["height"] <= nav["y"] + nav["height"], part
    select = page.locator("#language-select")
    # The chosen language's name fits the box beside the arrow.
    assert select.evaluate(
        """e => {
          const probe = document.createElement("span");
          const style = getComputedStyle(e);
          probe.style.font = style.font;
          probe.textContent = e.options[e.selectedIndex].text;
          document.body.append(probe);
          const needed = probe.getBoundingClientRect().width;
          probe.remove();
          const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
          return needed <= e.clientWidth - padding + 1;
        }"""
    )
    page.locator("#user-menu-button").click()
    admin = page.locator("#admin-link")
    expect(admin).to_be_visible()
    assert_inside(box(admin), {"x": 0, "width": width})
    expect(page.locator("#logout-button")).to_be_visible()
