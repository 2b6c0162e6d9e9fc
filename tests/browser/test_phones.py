"""Phones and duplicates in a real browser, at 1366 px and 390 px, in English and Arabic: the
possible-duplicate warning appears while the user types, with its links, whole on the screen,
and saving still works; a phone reads left to right ("+966…", never "…966+") in Arabic, in the
reps' pages and in the admin."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from crm.factories import ContactFactory, LeadFactory, UserFactory
from crm.models import Lead

from .helpers import LANGUAGES, WIDTHS, assert_inside, box, log_in

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = "+966539566621"

# Where the first and the last character of an element's text are drawn.
ENDS = """(element) => {
    const text = element.firstChild;
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(text, 1);
    const first = range.getBoundingClientRect();
    range.setStart(text, text.length - 1);
    range.setEnd(text, text.length);
    const last = range.getBoundingClientRect();
    return {text: text.textContent, first: first.left, last: last.left};
}"""


def assert_on_screen(page, locator, width):
    expect(locator).to_be_visible()
    drawn = box(locator)
    assert_inside(drawn, {"x": 0, "width": width})
    # Nothing inside it is cut: its content fits its box.
    assert locator.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    return drawn


def assert_reads_left_to_right(locator, text):
    ends = locator.evaluate(ENDS)
    assert ends["text"] == text
    assert ends["first"] < ends["last"], ends  # "+" drawn on the left of the last digit


@LANGUAGES
@WIDTHS
def test_duplicate_warning_appears_while_typing_with_its_links(rep_page, crm_data, language, width):
    page = rep_page
    customer = ContactFactory(name="Existing Customer", email="dup@example.com", phone=PHONE)
    page.goto(reverse("crm:lead-create"))
    expect(page.locator("#look-alikes-warning")).to_have_count(0)

    page.fill("#id_name", "Walid Typing")
    page.locator("#id_phone").press_sequentially("053 956 6621")  # the same number, typed so
    warning = page.locator("#look-alikes-warning")
    drawn = assert_on_screen(page, warning, width)
    link = warning.locator(f'a[href="{customer.get_absolute_url()}"]')
    expect(link).to_have_text("Existing Customer")
    assert_inside(box(link), drawn)
    phone = warning.locator("bdi", has_text=PHONE)
    expect(phone).to_have_css("direction", "ltr")
    assert_reads_left_to_right(phone, PHONE)
    if language == "ar":
        expect(warning).to_have_css("direction", "rtl")
    else:
        expect(warning).to_contain_text("Possible duplicate: 1 record has the same email")

    # The warning does not stop the save; the new lead's page says it again, with the link.
    page.fill("#id_email", "walid@example.com")
    page.locator("main form button[type=submit]").click()
    lead = Lead.objects.get(name="Walid Typing")
    page.wait_for_url(f"**{lead.get_absolute_url()}")
    again = page.locator("#look-alikes-warning")
    assert_on_screen(page, again, width)
    expect(again.locator(f'a[href="{customer.get_absolute_url()}"]')).to_be_visible()


@LANGUAGES
@WIDTHS
def test_duplicate_warning_goes_when_the_email_no_longer_matches(
    rep_page, crm_data, language, width
):
    page = rep_page
    ContactFactory(name="Same Mail", email="same@example.com", phone="")
    page.goto(reverse("crm:contact-create"))
    page.locator("#id_email").press_sequentially("SAME@example.com")
    expect(page.locator("#look-alikes-warning")).to_be_visible()
    page.locator("#id_email").press_sequentially("x")
    expect(page.locator("#look-alikes-warning")).to_have_count(0)


@LANGUAGES
@WIDTHS
def test_phone_reads_left_to_right_on_the_reps_pages(rep_page, crm_data, language, width):
    page = rep_page
    lead = LeadFactory(name="Phone Reader", phone=PHONE, email="", owner=crm_data.rep)
    page.goto(lead.get_absolute_url())
    link = page.locator(f'a[href="tel:{PHONE}"]')
    expect(link).to_have_css("direction", "ltr")
    expect(link).to_have_css("unicode-bidi", "isolate")
    assert_on_screen(page, link, width)
    assert_reads_left_to_right(link, PHONE)

    page.goto(reverse("crm:lead-update", args=[lead.pk]))
    field = page.locator("#id_phone")
    expect(field).to_have_css("direction", "ltr")
    expect(field).to_have_value(PHONE)


@LANGUAGES
@WIDTHS
def test_phone_reads_left_to_right_in_the_admin(page, crm_data, language, width):
    manager = UserFactory(username="maha", password=crm_data.password, is_staff=True)
    manager.groups.add(Group.objects.get(name="Sales manager"))
    LeadFactory(name="Admin Phone", phone=PHONE, email="", owner=crm_data.rep)
    log_in(page, manager.username, crm_data.password, language, width)
    page.goto(reverse("admin:crm_lead_changelist"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    phone = page.locator("td.field-phone_ltr bdi", has_text=PHONE)
    phone.scroll_into_view_if_needed()
    expect(phone).to_have_css("direction", "ltr")
    assert_reads_left_to_right(phone, PHONE)
