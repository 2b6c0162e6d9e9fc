"""Right to left done right, measured in a real browser (Chromium) against the live server.

Each page is drawn in English and in Arabic, screenshotted (into the test's tmp_path) and checked
by measuring where its boxes stand: in Arabic everything that starts a line, a row or a flow
stands on the right, and in English on the left. The ``page`` fixture fails a test on any
console error, failed request or request to another origin.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.factories import stage

pytestmark = [
    pytest.mark.slow,
    # Data migrations make the stages and the role groups: restore them after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LANGUAGES = pytest.mark.parametrize("language", ["en", "ar"])
# Pixels of slack for rounding and anti-aliasing.
SLACK = 2

TEXT_BOX = """(element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    const box = range.getBoundingClientRect();
    return {left: box.left, right: box.right, top: box.top, bottom: box.bottom};
}"""
CONTENT_BOX = """(element) => {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return {
        left: box.left + parseFloat(style.paddingLeft),
        right: box.right - parseFloat(style.paddingRight),
    };
}"""
# Where an amount's number and its currency stand: the .money span holds the number (.ltr)
# and then the currency as text.
MONEY_PARTS = """(element) => {
    const number = element.querySelector(".ltr").getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(element.lastChild);
    const currency = range.getBoundingClientRect();
    return {
        text: element.textContent,
        number: {left: number.left, right: number.right},
        currency: {left: currency.left, right: currency.right},
    };
}"""


@pytest.fixture
def rep_page(page, crm_data, language):
    """The page, logged in as the rep through the login form, in ``language``."""
    page.goto("/accounts/login/")
    page.fill("#id_username", crm_data.rep.username)
    page.fill("#id_password", crm_data.password)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url("**/crm/")
    if language == "ar":
        # The navbar's language select submits itself and comes back to the same page.
        page.select_option("#language-select", "ar")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    return page


def text_box(locator) -> dict:
    """The box of an element's text (not of the element, which may span the whole line)."""
    return locator.evaluate(TEXT_BOX)


def screenshot(page, tmp_path, name: str):
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def assert_at_start(language, inner: dict, outer: dict):
    """``inner`` starts where ``outer`` starts: on the right in Arabic, on the left in English."""
    if language == "ar":
        assert abs(inner["right"] - outer["right"]) <= SLACK, (inner, outer)
        assert inner["left"] > outer["left"] + SLACK, (inner, outer)
    else:
        assert abs(inner["left"] - outer["left"]) <= SLACK, (inner, outer)
        assert inner["right"] < outer["right"] - SLACK, (inner, outer)


def assert_reads_before(language, first: dict, then: dict):
    """``first`` is read before ``then``: right of it in Arabic, left of it in English."""
    if language == "ar":
        assert first["left"] >= then["right"] - SLACK, (first, then)
    else:
        assert first["right"] <= then["left"] + SLACK, (first, then)


def assert_money_reads_right(language, locator, currency: str):
    """The number, then its currency, in the reading order of the page."""
    parts = locator.evaluate(MONEY_PARTS)
    assert parts["text"].endswith(f" {currency}"), parts
    assert_reads_before(language, parts["number"], parts["currency"])


def currency(language) -> str:
    return "ر.س" if language == "ar" else "SAR"


@LANGUAGES
def test_dashboard_reads_in_page_direction(rep_page, language, tmp_path):
    page = rep_page
    expect(page.locator("canvas[data-chart]")).to_have_count(5)
    page.wait_for_function("() => window.crmCharts && window.crmCharts.length === 5")
    screenshot(page, tmp_path, f"dashboard-{language}")

    # The brand starts the navbar: on the right half in Arabic, on the left half in English.
    brand = page.locator(".navbar-brand").bounding_box()
    middle = page.viewport_size["width"] / 2
    if language == "ar":
        assert brand["x"] > middle, brand
    else:
        assert brand["x"] + brand["width"] < middle, brand

    # The heading starts at the container's start edge.
    main = page.locator("main").evaluate(CONTENT_BOX)
    assert_at_start(language, text_box(page.locator("main h1")), main)

    # The pipeline chart's stages run in the reading direction, its value axis on the start side.
    chart = page.evaluate(
        """() => {
            const chart = window.crmCharts.find(
                (chart) => chart.canvas.dataset.chart === "pipelineByStage"
            );
            const x = chart.scales.x, y = chart.scales.y;
            return {
                reverse: chart.options.scales.x.reverse,
                first: x.getPixelForValue(0),
                last: x.getPixelForValue(chart.data.labels.length - 1),
                axis: {left: y.left, right: y.right},
                area: {left: chart.chartArea.left, right: chart.chartArea.right},
            };
        }"""
    )
    assert chart["reverse"] is (language == "ar")
    if language == "ar":
        assert chart["first"] > chart["last"], chart
        assert chart["axis"]["left"] >= chart["area"]["right"] - SLACK, chart
    else:
        assert chart["first"] < chart["last"], chart
        assert chart["axis"]["right"] <= chart["area"]["left"] + SLACK, chart

    assert_money_reads_right(
        language, page.locator('[data-stat="pipeline-value"] .money'), currency(language)
    )


@LANGUAGES
def test_list_reads_in_page_direction(rep_page, crm_data, language, tmp_path):
    page = rep_page
    page.goto(reverse("crm:lead-list"))
    screenshot(page, tmp_path, f"lead-list-{language}")

    main = page.locator("main").evaluate(CONTENT_BOX)
    assert_at_start(language, text_box(page.locator("main h1")), main)

    # The first column (the name) is read first.
    headers = page.locator("main table thead th")
    first, last = headers.first.bounding_box(), headers.last.bounding_box()
    first = {"left": first["x"], "right": first["x"] + first["width"]}
    last = {"left": last["x"], "right": last["x"] + last["width"]}
    assert_reads_before(language, first, last)

    # The email stays a left-to-right run inside the Arabic table.
    email = page.locator("main table tbody .ltr", has_text=crm_data.lead.email)
    expect(email).to_have_css("direction", "ltr")
    expect(email).to_have_css("unicode-bidi", "isolate")
    assert_money_reads_right(
        language, page.locator("main table tbody .money").first, currency(language)
    )


@LANGUAGES
def test_form_reads_in_page_direction(rep_page, language, tmp_path):
    page = rep_page
    page.goto(reverse("crm:lead-create"))
    screenshot(page, tmp_path, f"lead-form-{language}")

    # Labels stand above their inputs, lined up with the inputs' start edge.
    for field in ("name", "email", "expected_revenue"):
        label = text_box(page.locator(f"label[for=id_{field}]"))
        field_box = page.locator(f"#id_{field}").bounding_box()
        field_box = {
            "left": field_box["x"],
            "right": field_box["x"] + field_box["width"],
            "top": field_box["y"],
        }
        assert label["bottom"] <= field_box["top"] + SLACK, (field, label, field_box)
        assert_at_start(language, label, field_box)

    # Emails, phone numbers and amounts are typed left to right, on the fields' start side.
    for field in ("email", "phone", "expected_revenue"):
        box = page.locator(f"#id_{field}")
        expect(box).to_have_css("direction", "ltr")
        expect(box).to_have_css("text-align", "right" if language == "ar" else "start")

    # Save comes first, then Cancel.
    save = page.locator("main form button[type=submit]").bounding_box()
    cancel = page.locator("main form a.btn-outline-secondary").bounding_box()
    assert_reads_before(
        language,
        {"left": save["x"], "right": save["x"] + save["width"]},
        {"left": cancel["x"], "right": cancel["x"] + cancel["width"]},
    )


@LANGUAGES
def test_board_flows_in_page_direction(rep_page, crm_data, language, tmp_path):
    page = rep_page
    page.goto(reverse("crm:opportunity-board"))
    expect(page.locator(".board-card")).to_have_count(2)  # the two open deals
    screenshot(page, tmp_path, f"board-{language}")

    # The stages run in the reading direction: prospecting first, the closed ones last.
    columns = page.locator("#board > .board-column, #board > .board-closed")
    boxes = [columns.nth(i).bounding_box() for i in range(columns.count())]
    starts = [box["x"] + box["width"] if language == "ar" else box["x"] for box in boxes]
    expected = sorted(starts, reverse=language == "ar")
    assert starts == expected, starts
    # ...and that first column, on the right in Arabic, is prospecting's.
    header = page.locator(f'[data-stage-header="{stage("prospecting").pk}"]').bounding_box()
    first = boxes[0]
    assert first["x"] - SLACK <= header["x"], (header, first)
    assert header["x"] + header["width"] <= first["x"] + first["width"] + SLACK, (header, first)

    card = page.locator(f'.board-card[data-id="{crm_data.prospect.pk}"]')
    assert_money_reads_right(language, card.locator(".money").first, currency(language))


@LANGUAGES
def test_arrows_point_the_reading_way(rep_page, crm_data, language):
    page = rep_page
    page.goto(crm_data.lead.get_absolute_url())
    icon = page.locator("#convert .bi")
    transform = icon.evaluate("(element) => getComputedStyle(element, '::before').transform")
    assert transform == ("matrix(-1, 0, 0, 1, 0, 0)" if language == "ar" else "none")

    # The email and the phone stay left-to-right runs inside Arabic text.
    email = page.locator(f'main a[href="mailto:{crm_data.lead.email}"]')
    expect(email).to_have_css("direction", "ltr")
