"""The dashboard: its figures on a known data set, its chart data, and a fixed query count."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from crm.factories import (
    CampaignFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
    stage,
)
from crm.models import Lead, LeadStatus, Opportunity, Stage, TaskStatus
from crm.reports.team import month_starts

pytestmark = pytest.mark.django_db

URL = reverse("crm:dashboard")


def chart_data(response) -> dict:
    """The JSON the page hands to dashboard.js."""
    match = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.DOTALL,
    )
    assert match, "the page carries no #dashboard-data"
    return json.loads(match.group(1))


def stat(response, name: str) -> str:
    """The text of one of the counters at the top of the page, tags removed."""
    match = re.search(rf'data-stat="{name}">(.*?)</p>', response.content.decode(), re.DOTALL)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def start_of_this_month() -> datetime.datetime:
    today = timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(today.replace(day=1), datetime.time()))


def won_on(when: datetime.datetime, amount: str, **kwargs) -> Opportunity:
    return OpportunityFactory(
        stage=stage("closed_won"), amount=Decimal(amount), closed_at=when, **kwargs
    )


@pytest.fixture
def known_data():
    """Four leads (one converted, one from last month), a small pipeline, wins and campaigns."""
    last_month = start_of_this_month() - datetime.timedelta(days=1)
    LeadFactory.create_batch(2, status=LeadStatus.NEW)
    LeadFactory(status=LeadStatus.LOST)
    LeadFactory(status=LeadStatus.CONVERTED, contact=ContactFactory(), converted_at=timezone.now())
    Lead.objects.filter(pk=Lead.objects.order_by("pk").first().pk).update(created_at=last_month)

    OpportunityFactory(stage=stage("prospecting"), amount=Decimal("10000.00"))  # 1,000 weighted
    OpportunityFactory(stage=stage("proposal"), amount=Decimal("20000.00"))  # 10,000 weighted
    # 999 × 33% is 329.67, not SQLite's integer 329.
    OpportunityFactory(stage=stage("negotiation"), amount=Decimal("999.00"), probability=33)
    OpportunityFactory(stage=stage("closed_lost"), amount=Decimal("4000.00"))

    best = CampaignFactory(name="Best campaign", actual_cost=Decimal("2000.00"))
    CampaignFactory(name="Free campaign", actual_cost=Decimal("0.00"))
    CampaignFactory(name="Costly campaign", actual_cost=Decimal("1000.00"))
    won_on(timezone.now(), "5000.00", campaign=best)
    won_on(last_month, "3000.00")
    won_on(start_of_this_month() - datetime.timedelta(days=400), "7000.00")


def test_dashboard_is_the_home_of_the_crm(rep_client):
    for url in (URL, reverse("crm:dashboard-alias")):
        response = rep_client.get(url)
        assert response.status_code == 200
        assert response.context["nav"] == "dashboard"
        assert response.templates[0].name == "crm/dashboard.html"


def test_dashboard_figures_on_known_data(rep_client, known_data):
    response = rep_client.get(URL)

    leads = response.context["leads"]
    assert leads["total"] == 4
    assert leads["new_this_month"] == 3
    assert leads["conversion_rate"] == Decimal("25.00")
    assert dict(leads["by_status"])[LeadStatus.NEW] == 2
    assert stat(response, "new-leads") == "3"
    assert stat(response, "conversion-rate") == "25%"

    pipeline = response.context["pipeline"]
    assert pipeline["open_count"] == 3
    assert pipeline["open_amount"] == Decimal("30999.00")
    assert pipeline["open_weighted"] == Decimal("11329.67")
    assert stat(response, "open-opportunities") == "3"
    assert stat(response, "pipeline-value").startswith("30,999.00")
    assert stat(response, "weighted-value").startswith("11,329.67")

    won = response.context["won_this_month"]
    assert (won["count"], won["amount"]) == (1, Decimal("5000.00"))
    assert stat(response, "won-amount").startswith("5,000.00")
    assert stat(response, "won-count") == "1 deal won"


def test_dashboard_chart_data_on_known_data(rep_client, known_data):
    data = chart_data(rep_client.get(URL))

    status = data["leadsByStatus"]
    assert status["labels"] == [str(s.label) for s in LeadStatus]
    assert dict(zip(status["labels"], status["values"], strict=True)) == {
        "New": 2,
        "Contacted": 0,
        "Qualified": 0,
        "Lost": 1,
        "Converted": 1,
    }
    assert sum(data["leadsBySource"]["values"]) == 4

    pipeline = data["pipelineByStage"]
    assert pipeline["labels"] == [s.name for s in Stage.objects.open()]
    amounts, weighted = ([Decimal(v) for v in series["values"]] for series in pipeline["series"])
    assert amounts == [Decimal(n) for n in ("10000", "0", "20000", "999", "0")]
    assert weighted == [Decimal(n) for n in ("1000", "0", "10000", "329.67", "0")]

    # Twelve months, the empty ones included, oldest first; the win from 400 days ago is out.
    revenue = data["wonByMonth"]
    assert len(revenue["labels"]) == len(revenue["values"]) == 12
    assert [Decimal(v) for v in revenue["values"]] == [0] * 10 + [3000, 5000]
    assert revenue["labels"][-1] == timezone.localdate().strftime("%b %Y")

    # Campaigns by ROI, best first; one without a cost has no ROI and is left out.
    roi = data["campaignRoi"]
    assert roi["labels"] == ["Best campaign", "Costly campaign"]
    assert [Decimal(v) for v in roi["values"]] == [Decimal("150"), Decimal("-100")]


def test_dashboard_without_leads_shows_a_dash_for_the_conversion_rate(rep_client):
    response = rep_client.get(URL)
    assert response.context["leads"]["conversion_rate"] is None
    assert stat(response, "conversion-rate") == "—"
    assert stat(response, "new-leads") == "0"
    data = chart_data(response)
    assert data["campaignRoi"]["labels"] == []
    assert [Decimal(v) for v in data["wonByMonth"]["values"]] == [0] * 12


def test_dashboard_my_tasks_overdue_first_and_only_mine(rep_client, rep):
    today = timezone.localdate()
    later = TaskFactory(title="Later", assigned_to=rep, due_date=today + datetime.timedelta(5))
    overdue = TaskFactory(title="Late", assigned_to=rep, due_date=today - datetime.timedelta(2))
    soon = TaskFactory(title="Soon", assigned_to=rep, due_date=today + datetime.timedelta(1))
    TaskFactory(title="Finished", assigned_to=rep, status=TaskStatus.COMPLETED)
    TaskFactory(title="Cancelled", assigned_to=rep, status=TaskStatus.CANCELLED)
    TaskFactory(title="Not mine", due_date=today - datetime.timedelta(10))

    response = rep_client.get(URL)

    assert list(response.context["my_tasks"]) == [overdue, soon, later]
    content = response.content.decode()
    assert reverse("crm:task-detail", args=[overdue.pk]) in content
    assert "Not mine" not in content
    assert "Finished" not in content and "Cancelled" not in content


def test_dashboard_my_tasks_are_read_in_order_from_an_index(on_postgres, rep, rf):
    from django.db import connection

    from crm.views import DashboardView

    TaskFactory.create_batch(3, assigned_to=rep)
    view = DashboardView()
    view.request = rf.get(URL)
    view.request.user = rep
    sql, params = view.my_tasks().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask for the index
        cursor.execute("EXPLAIN " + sql, params)
        shown = "\n".join(row[0] for row in cursor.fetchall())
    # No sort of every open task of the rep (34 ms at 1M leads): the first ten, in order.
    assert "crm_task_open_mine_idx" in shown, shown
    assert "Sort" not in shown, shown


def test_dashboard_my_tasks_are_limited(rep_client, rep):
    TaskFactory.create_batch(12, assigned_to=rep)
    assert len(rep_client.get(URL).context["my_tasks"]) == 10


def test_dashboard_active_opportunities_close_soonest_then_largest(rep_client):
    today = timezone.localdate()
    undated = OpportunityFactory(name="Undated", expected_close_date=None)
    small = OpportunityFactory(amount=Decimal("100"), expected_close_date=today)
    large = OpportunityFactory(amount=Decimal("900"), expected_close_date=today)
    next_week = OpportunityFactory(expected_close_date=today + datetime.timedelta(7))
    OpportunityFactory(name="Closed deal", stage=stage("closed_won"))

    response = rep_client.get(URL)

    assert list(response.context["active_opportunities"]) == [large, small, next_week, undated]
    content = response.content.decode()
    assert reverse("crm:opportunity-detail", args=[large.pk]) in content
    assert "Closed deal" not in content


def test_dashboard_queries_do_not_grow_with_rows(
    rep_client, rep, django_assert_max_num_queries, settings
):
    settings.CRM_DASHBOARD_CACHE_SECONDS = 0  # every request computes the team figures

    def add_rows(n):
        LeadFactory.create_batch(n)
        OpportunityFactory.create_batch(n)
        for month in range(n):
            won_on(timezone.now() - datetime.timedelta(days=30 * month), "100.00")
        CampaignFactory.create_batch(n)
        TaskFactory.create_batch(n, assigned_to=rep)

    add_rows(1)
    # session, user, 2 for the user's permissions, and the dashboard's own 8
    with django_assert_max_num_queries(12) as few:
        response = rep_client.get(URL)
    assert response.status_code == 200
    add_rows(15)
    with django_assert_max_num_queries(len(few)):
        response = rep_client.get(URL)
    assert len(response.context["active_opportunities"]) == 10
    assert len(chart_data(response)["campaignRoi"]["labels"]) == 10


def test_dashboard_in_arabic_is_right_to_left_with_arabic_labels(rep_client):
    response = rep_client.get(URL, headers={"accept-language": "ar"})
    content = response.content.decode()
    assert 'dir="rtl"' in content
    assert "استكشاف" in content
    data = chart_data(response)
    assert data["pipelineByStage"]["labels"][0] == "استكشاف"
    assert data["pipelineByStage"]["series"][1]["label"] != "Weighted value"
    assert "New" not in data["leadsByStatus"]["labels"]


def test_dashboard_charts_are_accessible_canvases(rep_client, known_data):
    content = rep_client.get(URL).content.decode()
    canvases = re.findall(r"<canvas [^>]*>", content)
    assert {re.search(r'data-chart="(\w+)"', c).group(1) for c in canvases} == {
        "pipelineByStage",
        "leadsByStatus",
        "leadsBySource",
        "wonByMonth",
        "campaignRoi",
    }
    assert all('role="img"' in c and 'aria-label="' in c for c in canvases)
    assert "vendor/chart.js/chart.umd.min.js" in content
    assert "crm/dashboard.js" in content
    # No inline script: only the JSON data block, which a strict CSP allows.
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", content)
    assert scripts == ['<script id="dashboard-data" type="application/json">']


def test_dashboard_needs_a_crm_role(client):
    client.force_login(UserFactory())  # logged in, but in no group
    assert client.get(URL).status_code == 403


def test_month_starts_ends_with_this_month_and_crosses_years():
    months = month_starts(datetime.date(2026, 2, 15), 12)
    assert months[0] == datetime.date(2025, 3, 1)
    assert months[-1] == datetime.date(2026, 2, 1)
    assert len(set(months)) == 12


def test_dashboard_keeps_team_figures_briefly_and_says_how_old(
    rep_client, rep, settings, django_assert_max_num_queries
):
    settings.CRM_DASHBOARD_CACHE_SECONDS = 60
    LeadFactory.create_batch(2)
    TaskFactory(assigned_to=rep, title="Call back")
    first = rep_client.get(URL)
    assert first.context["leads"]["total"] == 2
    assert "Team figures as of" in first.content.decode()

    LeadFactory()
    TaskFactory(assigned_to=rep, title="Send the offer")
    # session, user, 2 for the permissions, my tasks and active deals: no aggregate at all
    with django_assert_max_num_queries(6):
        second = rep_client.get(URL)
    assert second.context["leads"]["total"] == 2  # kept: at most a minute old
    assert second.context["figures_as_of"] == first.context["figures_as_of"]
    assert "Send the offer" in second.content.decode()  # the rep's own rows are always fresh

    cache.clear()  # as when the minute is over
    third = rep_client.get(URL)
    assert third.context["leads"]["total"] == 3
    assert third.context["figures_as_of"] > first.context["figures_as_of"]


def test_dashboard_without_cache_time_recomputes_every_request(rep_client, settings):
    settings.CRM_DASHBOARD_CACHE_SECONDS = 0
    LeadFactory()
    assert rep_client.get(URL).context["leads"]["total"] == 1
    LeadFactory()
    response = rep_client.get(URL)
    assert response.context["leads"]["total"] == 2
    assert "Team figures as of" not in response.content.decode()
