"""The reps' main journeys in a real browser (Chromium) against the live server.

Every page the tests open is watched by the ``page`` fixture: no request may leave the server,
and no response of 400 or more, console error or uncaught exception may happen.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.factories import stage
from crm.models import Contact, Interaction, Lead, LeadStatus, Opportunity, StageChange

pytestmark = [
    pytest.mark.slow,
    # Data migrations make the stages and the role groups: restore them after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def log_in(page, username: str, password: str):
    """Log in through the login form, as a person would."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()


@pytest.fixture
def rep_page(page, crm_data):
    """The page, logged in as the sales rep through the login form, on the dashboard."""
    log_in(page, crm_data.rep.username, crm_data.password)
    page.wait_for_url("**/crm/")
    return page


def column(page, stage_pk):
    """The board's list of cards for one stage."""
    return page.locator(f'[data-cards][data-stage="{stage_pk}"]')


def total(page, stage_pk, name):
    """One of a board column's totals: count, amount or weighted."""
    return page.locator(f'[data-stage-header="{stage_pk}"] [data-total="{name}"]')


def test_login_form_logs_rep_in(page, crm_data, live_server):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))

    log_in(page, crm_data.rep.username, "not the password")
    expect(page.locator("main .alert-danger, main .invalid-feedback").first).to_be_visible()

    page.fill("#id_password", crm_data.password)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/crm/")
    expect(page.locator("#user-menu-button")).to_contain_text("Rania Saleh")


def test_lead_add_shows_errors_then_saves(rep_page, crm_data):
    page = rep_page
    leads_before = Lead.objects.count()
    page.goto(reverse("crm:lead-create"))
    page.fill("#id_name", "Sara Evans")
    page.fill("#id_company", "Northwind Foods")
    page.select_option("#id_rating", "4")
    page.get_by_role("button", name="Save").click()

    message = "Give an email or a phone number to reach this lead."
    for field in ("email", "phone"):
        expect(page.locator(f"#id_{field}")).to_have_class(re.compile(r"\bis-invalid\b"))
        expect(page.locator(f"#id_{field}").locator("xpath=..")).to_contain_text(message)
    expect(page.locator("#id_rating")).to_have_value("4")  # what was typed is kept
    assert Lead.objects.count() == leads_before

    page.fill("#id_email", "sara@example.com")
    page.get_by_role("button", name="Save").click()

    lead = Lead.objects.get(email="sara@example.com")
    expect(page).to_have_url(re.compile(rf"/crm/leads/{lead.pk}$"))
    expect(page.locator("h1")).to_contain_text("Sara Evans")
    assert (lead.name, lead.rating, lead.owner) == ("Sara Evans", 4, crm_data.rep)


def test_lead_page_logs_interaction(rep_page, crm_data):
    page = rep_page
    lead = crm_data.lead
    page.goto(lead.get_absolute_url())
    page.click("#log-interaction")
    expect(page).to_have_url(re.compile(rf"/crm/interactions/add\?lead={lead.pk}"))

    page.select_option("#id_kind", "meeting")
    page.fill("#id_subject", "Requirements meeting with the board")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"/crm/leads/{lead.pk}$"))
    expect(page.locator(".timeline")).to_contain_text("Requirements meeting with the board")
    interaction = Interaction.objects.get(subject="Requirements meeting with the board")
    assert (interaction.lead, interaction.kind, interaction.created_by) == (
        lead,
        "meeting",
        crm_data.rep,
    )


def test_lead_convert_happens_once(rep_page, crm_data):
    page = rep_page
    lead = crm_data.lead
    # A second tab opens the convert page before the lead is converted in the first one.
    late_tab = page.context.new_page()
    late_tab.goto(reverse("crm:lead-convert", args=[lead.pk]))

    page.goto(lead.get_absolute_url())
    page.click("#convert")
    expect(page.locator("input[name=customer][value=new]")).to_be_checked()
    page.check("input[name=create_opportunity]")
    page.locator("main form").get_by_role("button", name="Convert").click()

    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    expect(page).to_have_url(re.compile(rf"/crm/contacts/{lead.contact_id}$"))
    expect(page.locator("h1")).to_contain_text(lead.name)
    assert Opportunity.objects.filter(lead=lead, contact=lead.contact).count() == 1

    page.goto(lead.get_absolute_url())
    expect(page.locator("#view-customer")).to_be_visible()
    expect(page.locator("#convert")).to_have_count(0)

    contacts = Contact.objects.count()
    late_tab.locator("main form").get_by_role("button", name="Convert").click()
    expect(late_tab).to_have_url(re.compile(rf"/crm/leads/{lead.pk}$"))
    expect(late_tab.locator(".alert-danger")).to_contain_text(
        "This lead has already been converted."
    )
    assert Contact.objects.count() == contacts


def test_board_drag_moves_deal_to_stage(rep_page, crm_data):
    page = rep_page
    deal = crm_data.prospect
    prospecting, proposal = stage("prospecting"), stage("proposal")
    page.goto(reverse("crm:opportunity-board"))
    card = page.locator(f'.board-card[data-id="{deal.pk}"]')
    expect(column(page, prospecting.pk).locator(card)).to_have_count(1)
    expect(total(page, proposal.pk, "count")).to_have_text("0")

    with page.expect_response(re.compile(r"/move$")) as moved:
        card.drag_to(column(page, proposal.pk))
    assert moved.value.ok

    # The totals change without a reload...
    expect(total(page, prospecting.pk, "count")).to_have_text("0")
    expect(total(page, proposal.pk, "count")).to_have_text("1")
    expect(total(page, proposal.pk, "amount")).to_have_text("10,000.00 SAR")
    expect(total(page, proposal.pk, "weighted")).to_have_text("5,000.00 SAR")
    expect(card.locator('[data-field="probability"]')).to_have_text("50%")
    # ...and the move stays after one.
    page.reload()
    expect(column(page, proposal.pk).locator(f'[data-id="{deal.pk}"]')).to_have_count(1)
    expect(total(page, proposal.pk, "count")).to_have_text("1")

    deal.refresh_from_db()
    assert deal.stage == proposal
    assert StageChange.objects.filter(
        opportunity=deal, from_stage=prospecting, to_stage=proposal, changed_by=crm_data.rep
    ).exists()


def test_board_drop_on_lost_asks_why(rep_page, crm_data):
    page = rep_page
    deal = crm_data.qualified
    lost = stage("closed_lost")
    page.goto(reverse("crm:opportunity-board"))
    card = page.locator(f'.board-card[data-id="{deal.pk}"]')

    card.drag_to(column(page, lost.pk))
    modal = page.locator("#move-modal")
    expect(modal).to_be_visible()
    expect(modal.locator("#move-lost-reason")).to_be_focused()
    modal.locator("#move-lost-reason").fill("Chose a competitor")
    with page.expect_response(re.compile(r"/move$")) as moved:
        modal.locator("button[type=submit]").click()
    assert moved.value.ok

    expect(card).to_have_count(0)
    expect(total(page, lost.pk, "count")).to_have_text("1")
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason) == (lost, "Chose a competitor")
    assert deal.closed_at is not None


def test_dashboard_draws_its_charts(rep_page):
    page = rep_page
    canvases = page.locator("canvas[data-chart]")
    expect(canvases).to_have_count(5)
    charts = page.evaluate(
        """() => window.crmCharts.map((chart) => ({
            name: chart.canvas.dataset.chart,
            points: chart.data.datasets.flatMap((set) => set.data),
        }))"""
    )
    assert sorted(chart["name"] for chart in charts) == sorted(
        ["pipelineByStage", "leadsByStatus", "leadsBySource", "wonByMonth", "campaignRoi"]
    )
    for chart in charts:
        assert chart["points"] and any(chart["points"]), chart
    # Something is painted on every canvas (Chart.js animates, so wait for it).
    page.wait_for_function(
        """() => [...document.querySelectorAll("canvas[data-chart]")].every((canvas) => {
            const pixels = canvas.getContext("2d")
                .getImageData(0, 0, canvas.width, canvas.height).data;
            return pixels.some((value, index) => index % 4 === 3 && value > 0);
        })"""
    )


def every_page(data) -> list[str]:
    """Every list, add page, record page, the board and the dashboard."""
    records = {
        "lead": data.lead,
        "contact": data.contact,
        "opportunity": data.prospect,
        "interaction": data.interaction,
        "task": data.task,
        "campaign": data.campaign,
    }
    urls = [reverse("crm:dashboard"), reverse("crm:opportunity-board")]
    for name, record in records.items():
        urls += [
            reverse(f"crm:{name}-list"),
            reverse(f"crm:{name}-create"),
            reverse(f"crm:{name}-detail", args=[record.pk]),
            reverse(f"crm:{name}-update", args=[record.pk]),
        ]
    urls.append(reverse("crm:lead-convert", args=[data.lead.pk]))
    return urls


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("ar", "rtl")])
def test_pages_load_without_errors(rep_page, crm_data, language, direction):
    page = rep_page
    if language == "ar":
        # The navbar's language select submits itself and comes back to the same page.
        page.select_option("#language-select", "ar")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
    for url in every_page(crm_data):
        response = page.goto(url)
        assert response.status == 200, url
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("html")).to_have_attribute("dir", direction)
    # The page fixture then checks that no page had an error in the console or a failed request.


def test_page_fixture_reports_every_problem(page, page_problems):
    """The watch the other tests rely on: each kind of problem is caught, in every tab."""
    # A static file carries no content security policy, so the request reaches the route guard
    # (on the app's pages the policy itself refuses it first, as another test checks).
    page.goto("/static/crm/crm.css")
    outside = page.evaluate(
        "() => fetch('https://cdn.example.com/x.js').then(() => 'loaded', () => 'blocked')"
    )
    other_tab = page.context.new_page()
    other_tab.goto("/accounts/login/")
    other_tab.evaluate("() => console.error('broken widget')")
    with other_tab.expect_event("pageerror"):
        other_tab.evaluate("() => setTimeout(() => { throw new Error('unhandled'); })")
    missing = other_tab.goto("/static/crm/missing.js")

    assert (outside, missing.status) == ("blocked", 404)
    problems = "\n".join(page_problems)
    assert "blocked request to another origin: https://cdn.example.com/x.js" in problems
    assert "console error" in problems and "broken widget" in problems
    assert "uncaught exception" in problems and "unhandled" in problems
    assert "404 for GET" in problems
    page_problems.clear()  # all seen: the page fixture would fail the test otherwise


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_content_security_policy_refuses_outside_scripts(page, page_problems):
    """The app's own pages run under a policy that refuses anything from elsewhere."""
    page.goto("/accounts/login/")
    outcome = page.evaluate(
        "() => fetch('https://cdn.example.com/x.js').then(() => 'loaded', () => 'blocked')"
    )
    assert outcome == "blocked"
    problems = "\n".join(page_problems)
    assert "Content Security Policy" in problems
    assert "blocked request to another origin" not in problems  # it never left the browser
    page_problems.clear()
