"""The dashboard: the team's numbers at a glance."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from ..models import (
    ZERO,
    Campaign,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    Task,
)
from ..models.choices import LEAD_STATUS_COLOURS
from ..templatetags.crm_tags import currency_symbol
from .base import ModelPermissionMixin, NavMixin

LIST_SIZE = 10  # rows in "my pending tasks" and "active opportunities"
TOP_CAMPAIGNS = 10
REVENUE_MONTHS = 12


def month_starts(today: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    year, month = today.year, today.month
    starts = []
    for _index in range(count):
        starts.append(datetime.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


class DashboardView(ModelPermissionMixin, NavMixin, TemplateView):
    """The team's numbers at a glance, in a fixed number of queries whatever the data size."""

    permission_required = "crm.view_lead"  # a CRM role: a login alone shows no team figures

    template_name = "crm/dashboard.html"
    nav = "dashboard"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        team = self.team_figures()
        leads, pipeline, won, campaigns = (
            team["leads"],
            team["pipeline"],
            team["won"],
            team["campaigns"],
        )
        context.update(
            leads=leads,
            pipeline=pipeline,
            won_this_month=won[-1],
            figures_as_of=team["as_of"],
            figures_max_age=settings.CRM_DASHBOARD_CACHE_SECONDS,
            my_tasks=self.my_tasks(),
            active_opportunities=self.active_opportunities(
                [row["stage"] for row in pipeline["stages"] if not row["stage"].is_closed]
            ),
            data=self.chart_data(leads=leads, pipeline=pipeline, won=won, campaigns=campaigns),
        )
        return context

    def team_figures(self) -> dict:
        """The team-wide figures, the same for everyone: kept for CRM_DASHBOARD_CACHE_SECONDS.

        They aggregate every lead and deal, which at a million leads costs more than the rest
        of the page together; the page says how old they are. The rep's own tasks and deals
        are always read fresh. A cache time of 0 computes them on every request.
        """
        today = timezone.localdate()
        key = f"crm:dashboard:team:{today.isoformat()}:{timezone.get_current_timezone_name()}"
        seconds = settings.CRM_DASHBOARD_CACHE_SECONDS
        figures = cache.get(key) if seconds > 0 else None
        if figures is None:
            months = month_starts(today, REVENUE_MONTHS)
            figures = {
                "leads": self.lead_numbers(since=self.start_of(months[-1])),
                "pipeline": Opportunity.objects.pipeline_summary(),
                "won": self.won_by_month(months),
                "campaigns": self.campaigns_by_roi(),
                "as_of": timezone.now(),
            }
            if seconds > 0:
                cache.set(key, figures, seconds)
        return figures

    @staticmethod
    def start_of(day: datetime.date) -> datetime.datetime:
        """Midnight at the start of ``day`` in the active time zone."""
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    def lead_numbers(self, *, since: datetime.datetime) -> dict:
        """Leads by status and by source, new ones since ``since`` and the conversion rate."""
        # One pass over the (status, source) index, grouped; the month's count reads its range
        # of the created_at index.
        by_status, by_source = Counter(), Counter()
        for row in Lead.objects.order_by().values("status", "source").annotate(n=Count("*")):
            by_status[row["status"]] += row["n"]
            by_source[row["source"]] += row["n"]
        total = sum(by_status.values())
        converted = by_status[LeadStatus.CONVERTED.value]
        return {
            "total": total,
            "new_this_month": Lead.objects.filter(created_at__gte=since).count(),
            "by_status": [(s, by_status[s.value]) for s in LeadStatus],
            "by_source": [(s, by_source[s.value]) for s in LeadSource],
            # No leads, no rate: the page shows "—" rather than 0.
            "conversion_rate": (
                (Decimal(converted * 100) / total).quantize(Decimal("0.01"), ROUND_HALF_UP)
                if total
                else None
            ),
        }

    def won_by_month(self, months: list[datetime.date]) -> list[dict]:
        """Deals won in each of ``months`` (by when they closed), empty months included.

        One pass over the year's range of the closed_at index, a count and a sum per month
        (grouping by a truncated date would call a function on every row, in Python on SQLite).
        """
        last = months[-1]
        after = datetime.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
        bounds = [self.start_of(month) for month in [*months, after]]
        aggregates = {}
        for index in range(len(months)):
            in_month = Q(closed_at__gte=bounds[index], closed_at__lt=bounds[index + 1])
            aggregates[f"count_{index}"] = Count("pk", filter=in_month)
            aggregates[f"amount_{index}"] = Sum("amount", filter=in_month)
        totals = (
            Opportunity.objects.won()
            .filter(closed_at__gte=bounds[0], closed_at__lt=bounds[-1])
            .aggregate(**aggregates)
        )
        return [
            {
                "month": month,
                "count": totals[f"count_{index}"],
                "amount": totals[f"amount_{index}"] or ZERO,
            }
            for index, month in enumerate(months)
        ]

    def campaigns_by_roi(self):
        """The campaigns with the best return on investment (those with a cost only)."""
        return list(
            Campaign.objects.with_metrics()
            .filter(roi__isnull=False)
            .order_by("-roi", "pk")[:TOP_CAMPAIGNS]
        )

    def my_tasks(self):
        """My open tasks, overdue ones first, then by due date."""
        return (
            Task.objects.open()
            .with_overdue()
            .filter(assigned_to=self.request.user)
            .select_related("lead", "contact", "opportunity")
            .order_by("-is_overdue", "due_date", "pk")[:LIST_SIZE]
        )

    def active_opportunities(self, open_stages):
        """Open deals closing soonest, then the largest: the first of each open stage's."""
        return (
            Opportunity.objects.first_per_stage(LIST_SIZE, open_stages)
            .with_expected_value()
            .select_related("stage", "contact", "lead", "owner")[:LIST_SIZE]
        )

    def chart_data(self, *, leads, pipeline, won, campaigns) -> dict:
        """What dashboard.js draws; labels translated here, amounts as exact decimal strings."""
        open_stages = [row for row in pipeline["stages"] if not row["stage"].is_closed]
        money_axis = _("Amount (%(currency)s)") % {"currency": currency_symbol()}
        return {
            "leadsByStatus": {
                "label": _("Leads"),
                "labels": [str(status.label) for status, _n in leads["by_status"]],
                "values": [n for _status, n in leads["by_status"]],
                "colours": [LEAD_STATUS_COLOURS[status] for status, _n in leads["by_status"]],
            },
            "leadsBySource": {
                "label": _("Leads"),
                "labels": [str(source.label) for source, _n in leads["by_source"]],
                "values": [n for _source, n in leads["by_source"]],
            },
            "pipelineByStage": {
                "axes": {"category": _("Stage"), "value": money_axis},
                "labels": [row["stage"].display_name for row in open_stages],
                "series": [
                    {"label": _("Amount"), "values": [row["amount"] for row in open_stages]},
                    {
                        "label": _("Weighted value"),
                        "values": [row["weighted"] for row in open_stages],
                    },
                ],
            },
            "wonByMonth": {
                "axes": {"category": _("Month"), "value": money_axis},
                "label": _("Won revenue"),
                "labels": [date_format(row["month"], "M Y") for row in won],
                "values": [row["amount"] for row in won],
            },
            "campaignRoi": {
                "axes": {"category": _("Campaign"), "value": _("Return on investment (%)")},
                "label": _("ROI (%)"),
                "labels": [campaign.name for campaign in campaigns],
                "values": [campaign.roi for campaign in campaigns],
            },
        }
