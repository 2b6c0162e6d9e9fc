"""The admin in a real browser: a phone reads left to right in Arabic as in English."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from crm.factories import LeadFactory, UserFactory
from crm.models import UserPreference

from .conftest import PASSWORD

pytestmark = [
    pytest.mark.slow,
    # Data migrations make the stages and the role groups: restore them after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = "+966539566621"
# Where the phone's first character ("+") and its last digit are drawn, and its direction.
PHONE_GLYPHS = """(element) => {
    const text = element.firstChild;
    const glyph = (start) => {
        const range = document.createRange();
        range.setStart(text, start);
        range.setEnd(text, start + 1);
        const box = range.getBoundingClientRect();
        return {left: box.left, right: box.right};
    };
    return {
        text: element.textContent,
        direction: getComputedStyle(element).direction,
        plus: glyph(0),
        last: glyph(text.length - 1),
    };
}"""


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_admin_lead_changelist_phone_reads_left_to_right(page, language, width):
    manager = UserFactory(username="mona", is_staff=True, password=PASSWORD)
    manager.groups.add(Group.objects.get(name="Sales manager"))
    UserPreference.objects.remember_language(user=manager, language=language)
    LeadFactory(name="سارة العتيبي", phone=PHONE, owner=manager)
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/accounts/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url("**/crm/")
    page.goto("/admin/crm/lead/")

    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    phone = page.locator("td.field-phone_ltr bdi").first
    expect(phone).to_have_text(PHONE)
    drawn = phone.evaluate(PHONE_GLYPHS)
    assert drawn["text"] == PHONE
    assert drawn["direction"] == "ltr"
    # "+" first, on the left: not "966539566621+".
    assert drawn["plus"]["right"] <= drawn["last"]["left"], drawn


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_admin_says_more_than_the_cap_where_it_would_count(page, monkeypatch, language, width):
    """Past the count limit (lowered here to 3), the changelist says "More than 3 leads" under
    the list and beside the search, readable on a phone, in either language."""
    from crm import paging

    monkeypatch.setattr(paging, "COUNT_LIMIT", 3)
    manager = UserFactory(username="mona", is_staff=True, password=PASSWORD)
    manager.groups.add(Group.objects.get(name="Sales manager"))
    UserPreference.objects.remember_language(user=manager, language=language)
    LeadFactory.create_batch(5, company="Wilson Trading", owner=manager)
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/accounts/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url("**/crm/")
    page.goto("/admin/crm/lead/?q=Wilson")

    counted = page.locator("#changelist-search .quiet")
    paging_line = page.locator("p.paginator")
    if language == "ar":
        expect(counted).to_contain_text("أكثر من 3 نتيجة")
        expect(paging_line).to_contain_text("أكثر من 3 من")
    else:
        expect(counted).to_contain_text("More than 3 results")
        expect(paging_line).to_contain_text("More than 3 leads")
    for shown in (counted, paging_line):
        shown.scroll_into_view_if_needed()
        expect(shown).to_be_visible()
        drawn = shown.bounding_box()
        assert drawn["x"] >= -1 and drawn["x"] + drawn["width"] <= width + 1, (shown, drawn)
    # The rows are all there, each with its check-box, in the same markup as Django's own.
    expect(page.locator("input.action-select")).to_have_count(5)
