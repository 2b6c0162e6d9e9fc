"""Arabic in a real browser, at 1366 px and 390 px (and English beside it): free text keeps its
own direction, the count of results is a word, history says "created", and the dashboard's
status chart paints each status in its badge's colour, with units on its axes."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.factories import LeadFactory

from .helpers import LANGUAGES, WIDTHS, assert_inside, box

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@LANGUAGES
@WIDTHS
def test_free_text_keeps_its_direction_and_history_says_created(
    rep_page, crm_data, language, width
):
    page = rep_page
    lead = LeadFactory(owner=crm_data.rep, name="Acme Inc.", notes="Referred by a friend.")
    page.goto(lead.get_absolute_url())
    note = page.locator("p", has_text="Referred by a friend.")
    expect(note).to_be_visible()
    assert_inside(box(note), {"x": 0, "width": width})
    # An English note reads left to right in the Arabic page: its full stop ends it.
    assert note.evaluate("e => getComputedStyle(e).direction") == "ltr"
    title = page.locator("h1 bdi")
    assert title.evaluate("e => getComputedStyle(e).direction") == "ltr"
    history = page.locator("#history")
    created = "أُنشئ" if language == "ar" else "Created"
    expect(history.get_by_text(created, exact=True).first).to_be_visible()
    if language == "ar":
        expect(history.get_by_text("تاريخ الإنشاء", exact=True)).to_have_count(0)


@LANGUAGES
@pytest.mark.parametrize("width", [390])
def test_no_results_is_said_in_words(rep_page, crm_data, language, width):
    page = rep_page
    page.goto(reverse("crm:lead-list") + "?q=nothing-like-this")
    count = page.locator("#result-count")
    expect(count).to_be_visible()
    expect(count).to_have_text("لا نتائج" if language == "ar" else "0 results")


@LANGUAGES
@pytest.mark.parametrize("width", [1366])
def test_status_chart_colours_are_the_badges_and_axes_say_their_units(
    rep_page, crm_data, language, width
):
    page = rep_page
    LeadFactory(owner=crm_data.rep, status="qualified")
    LeadFactory(owner=crm_data.rep, status="lost", lost_reason="Too dear")
    page.goto(reverse("crm:dashboard"))
    page.wait_for_function("() => window.crmCharts && window.crmCharts.length === 5")
    same = page.evaluate(
        """() => {
          const chart = window.crmCharts.find((c) => c.canvas.dataset.chart === "leadsByStatus");
          const data = JSON.parse(document.getElementById("dashboard-data").textContent);
          const paint = (value) => { const e = document.createElement("i");
            e.style.color = value; document.body.append(e);
            const out = getComputedStyle(e).color; e.remove(); return out; };
          const statuses = { "primary": "new", "info": "contacted", "success": "qualified",
                             "secondary": "lost", "dark": "converted" };
          return data.leadsByStatus.colours.map((name, i) => {
            const badge = document.createElement("span");
            badge.className = "badge badge-status-" + statuses[name];
            document.body.append(badge);
            const wanted = getComputedStyle(badge).backgroundColor;
            badge.remove();
            return [paint(chart.data.datasets[0].backgroundColor[i]), wanted];
          });
        }"""
    )
    assert same and all(drawn == wanted for drawn, wanted in same), same
    titles = page.evaluate(
        """() => Object.fromEntries(window.crmCharts.filter((c) => c.options.scales &&
             c.options.scales.x).map((c) => [c.canvas.dataset.chart,
             [c.options.scales.x.title.text, c.options.scales.y.title.text]]))"""
    )
    currency = "ر.س" if language == "ar" else "SAR"
    assert currency in titles["pipelineByStage"][1] and currency in titles["wonByMonth"][1]
    assert "%" in titles["campaignRoi"][0]
