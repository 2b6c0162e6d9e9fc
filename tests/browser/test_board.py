"""The pipeline board in a real browser, at 1366 px and 390 px, in English and Arabic: the owner
filter, the "rotting" marker, and a refused move that says why (in a toast clear of the
navigation bar's language and user menu, where the logout is) and puts the card back."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from crm import services
from crm.factories import OpportunityFactory, UserFactory, stage
from crm.models import Opportunity, Stage

from .helpers import LANGUAGES, SLACK, WIDTHS, assert_inside, box, overlaps

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEIGHT = 800  # the signed-in page's height (conftest.rep_page)


@pytest.fixture
def board_data(crm_data):
    """The rep's two deals (prospecting rotting after 10 days, the rep's 12 days in it) and a
    colleague's deal in prospecting."""
    Stage.objects.filter(code="prospecting").update(rotting_days=10)
    Opportunity.objects.filter(pk=crm_data.prospect.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=12)
    )
    colleague = UserFactory(username="sami", first_name="Sami", last_name="Khoury")
    colleague.groups.add(Group.objects.get(name="Sales rep"))
    crm_data.colleague = colleague
    crm_data.theirs = OpportunityFactory(
        name="Sami's tender", owner=colleague, amount=Decimal("7000.00")
    )
    return crm_data


@pytest.fixture
def rep_page(rep_page, board_data):
    """The signed-in rep (conftest), with the board's deals in place."""
    return rep_page


def assert_in_view(locator, width):
    """Drawn whole inside the screen, and its text not cut off by its own box."""
    locator.scroll_into_view_if_needed()
    expect(locator).to_be_visible()
    drawn = box(locator)
    assert drawn["x"] >= -SLACK and drawn["x"] + drawn["width"] <= width + SLACK, drawn
    assert drawn["y"] >= -SLACK and drawn["y"] + drawn["height"] <= HEIGHT + SLACK, drawn
    assert locator.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "its text is cut off"
    return drawn


def card(page, deal):
    return page.locator(f'.board-card[data-id="{deal.pk}"]')


def column(page, code):
    return page.locator(f'[data-cards][data-stage="{stage(code).pk}"]')


def count_badge(page, code):
    return page.locator(f'[data-stage-header="{stage(code).pk}"] [data-total="count"]')


def assert_toast_clear_of_the_nav(page, width, text):
    """The toast says ``text``, whole and on screen, and covers neither the language switch
    nor the user's menu with the logout (unfolded from the menu on a phone)."""
    toast = page.locator("#toasts .toast").last
    expect(toast).to_contain_text(text)
    drawn = assert_in_view(toast, width)
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))
    page.evaluate("window.scrollTo(0, 0)")
    drawn = box(toast)  # fixed: where it stands after the scroll
    for control in (
        page.locator("#language-select"),
        page.locator("#user-menu-button"),
    ):
        expect(control).to_be_visible()
        assert not overlaps(drawn, box(control)), (drawn, box(control))
    return toast


@LANGUAGES
@WIDTHS
def test_board_filters_by_owner_and_mine(rep_page, board_data, language, width):
    page = rep_page
    page.goto(reverse("crm:opportunity-board"))
    expect(card(page, board_data.theirs)).to_be_visible()
    expect(count_badge(page, "prospecting")).to_have_text("2")
    select = page.locator("#board-owner")
    assert_in_view(select, width)

    select.select_option(str(board_data.colleague.pk))
    page.wait_for_url(re.compile(rf"\?owner={board_data.colleague.pk}$"))
    expect(card(page, board_data.theirs)).to_be_visible()
    expect(card(page, board_data.prospect)).to_have_count(0)
    expect(card(page, board_data.qualified)).to_have_count(0)
    expect(count_badge(page, "prospecting")).to_have_text("1")
    expect(count_badge(page, "qualification")).to_have_text("0")
    expect(page.locator("#board-owner")).to_have_value(str(board_data.colleague.pk))

    mine = page.locator("[data-owner-mine]")
    assert_in_view(mine, width)
    mine.click()
    page.wait_for_url(re.compile(r"\?owner=me$"))
    expect(card(page, board_data.prospect)).to_be_visible()
    expect(card(page, board_data.theirs)).to_have_count(0)
    expect(count_badge(page, "prospecting")).to_have_text("1")
    expect(count_badge(page, "qualification")).to_have_text("1")
    expect(page.locator("[data-owner-mine]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#board-owner")).to_have_value("me")


@LANGUAGES
@WIDTHS
def test_board_says_an_unknown_owner_is_ignored(rep_page, board_data, language, width):
    page = rep_page
    page.goto(reverse("crm:opportunity-board") + "?owner=99999999999999")
    alert = page.locator("main .alert-warning")
    assert_in_view(alert, width)
    if language == "en":
        expect(alert).to_contain_text("Unknown owner")
    expect(card(page, board_data.theirs)).to_be_visible()


@LANGUAGES
@WIDTHS
def test_board_marks_a_rotting_card(rep_page, board_data, language, width):
    page = rep_page
    page.goto(reverse("crm:opportunity-board"))
    rotting = card(page, board_data.prospect)
    marker = rotting.locator("[data-field=stage-age][data-rotting]")
    drawn = assert_in_view(marker, width)
    assert_inside(drawn, box(rotting))
    expect(marker).to_contain_text("12")
    if language == "en":
        expect(marker).to_have_text(re.compile(r"^\s*12 days in this stage"))
    expect(marker.locator(".bi-exclamation-triangle-fill")).to_be_visible()
    # A warning colour: the marker's background is not the card's.
    colours = marker.evaluate(
        "e => [getComputedStyle(e).backgroundColor,"
        " getComputedStyle(e.closest('.board-card')).backgroundColor]"
    )
    assert colours[0] != colours[1], colours
    # A card within its stage's limit shows its days too, without the warning.
    fresh = card(page, board_data.theirs).locator("[data-field=stage-age]")
    assert_in_view(fresh, width)
    expect(fresh).not_to_have_attribute("data-rotting", re.compile(".*"))


def forgive_the_refusal(problems):
    """The refused move's 4xx (and the browser's console line for it) is the point of the test."""
    problems[:] = [
        problem
        for problem in problems
        if not re.search(r"/move(\?\S*)?$|status of 40[39]", problem)
    ]


def move_with_the_button(page, deal, to_code):
    """Move ``deal`` to another stage through its move button and dialog (any width)."""
    button = card(page, deal).locator("[data-move-button]")
    button.scroll_into_view_if_needed()
    button.click()
    dialog = page.locator("#move-modal")
    expect(dialog).to_be_visible()
    dialog.locator("#move-stage").select_option(str(stage(to_code).pk))
    with page.expect_response(re.compile(r"/move(\?.*)?$")) as answer:
        dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden(timeout=10_000)  # the move's answer, on a busy machine too
    return answer.value


@LANGUAGES
@WIDTHS
def test_board_refused_move_says_why_and_puts_the_card_back(
    rep_page, board_data, language, width, page_problems
):
    page = rep_page
    deal = board_data.prospect
    page.goto(reverse("crm:opportunity-board"))
    expect(column(page, "prospecting").locator(card(page, deal))).to_have_count(1)
    # Meanwhile a manager gives the deal to the colleague: the rep may no longer move it.
    manager = UserFactory(username="boss")
    manager.groups.add(Group.objects.get(name="Sales manager"))
    services.opportunity_update(opportunity=deal, by=manager, data={"owner": board_data.colleague})

    answer = move_with_the_button(page, deal, "proposal")

    assert answer.status == 403
    reason = answer.json()["message"]
    assert deal.name in reason
    if language == "en":
        assert "Only its owner or a manager can move this opportunity." in reason
    assert_toast_clear_of_the_nav(page, width, reason)
    expect(column(page, "prospecting").locator(card(page, deal))).to_have_count(1)
    expect(column(page, "proposal").locator(card(page, deal))).to_have_count(0)
    deal.refresh_from_db()
    assert deal.stage.code == "prospecting"
    forgive_the_refusal(page_problems)


@LANGUAGES
@WIDTHS
def test_board_move_of_a_deal_changed_meanwhile_says_so(
    rep_page, board_data, language, width, page_problems
):
    page = rep_page
    deal = board_data.qualified
    page.goto(reverse("crm:opportunity-board"))
    services.opportunity_update(
        opportunity=deal, by=board_data.rep, data={"amount": Decimal("25000.00")}
    )

    answer = move_with_the_button(page, deal, "proposal")

    assert answer.status == 409
    reason = answer.json()["message"]
    if language == "en":
        assert reason == (
            "Globex expansion was not moved: Someone else changed it after this board was "
            "loaded. Reload the board to see it as it is now."
        )
    assert_toast_clear_of_the_nav(page, width, reason)
    expect(column(page, "qualification").locator(card(page, deal))).to_have_count(1)
    forgive_the_refusal(page_problems)


@LANGUAGES
@WIDTHS
def test_board_locked_card_says_why(rep_page, board_data, language, width):
    page = rep_page
    page.goto(reverse("crm:opportunity-board"))
    lock = card(page, board_data.theirs).locator("[data-locked-button]")
    lock.scroll_into_view_if_needed()
    lock.click()
    text = lock.get_attribute("aria-label")
    if language == "en":
        assert text == "Only its owner or a manager can move it"
    assert_toast_clear_of_the_nav(page, width, text)


@LANGUAGES
@pytest.mark.parametrize("width", [1366])
def test_board_move_keeps_the_owner_filter_and_restarts_the_clock(
    rep_page, board_data, language, width
):
    page = rep_page
    deal = board_data.prospect
    page.goto(reverse("crm:opportunity-board") + "?owner=me")
    expect(card(page, deal)).to_have_class(re.compile(r"\bboard-card-rotting\b"))

    answer = move_with_the_button(page, deal, "proposal")

    assert answer.ok
    expect(count_badge(page, "prospecting")).to_have_text("0")  # the rep's, not everyone's
    expect(count_badge(page, "proposal")).to_have_text("1")
    expect(page.locator('[data-board-summary] [data-total="count"]')).to_have_text("2")
    moved = card(page, deal)
    expect(moved).not_to_have_class(re.compile(r"\bboard-card-rotting\b"))
    expect(moved.locator("[data-field=stage-age]")).not_to_have_attribute(
        "data-rotting", re.compile(".*")
    )
    if language == "en":
        expect(moved.locator("[data-field=stage-age]")).to_have_text(
            re.compile(r"Entered this stage today")
        )
    toast = page.locator("#toasts .toast").last
    expect(toast).to_be_visible()
