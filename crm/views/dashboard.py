"""The dashboard: the team's numbers at a glance."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
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
        months = month_starts(timezone.localdate(), REVENUE_MONTHS)
        leads = self.lead_numbers(since=self.start_of(months[-1]))
        pipeline = Opportunity.objects.pipeline_summary()
        won = self.won_by_month(months)
        campaigns = self.campaigns_by_roi()
        context.update(
            leads=leads,
            pipeline=pipeline,
            won_this_month=won[-1],
            my_tasks=self.my_tasks(),
            active_opportunities=self.active_opportunities(),
            data=self.chart_data(leads=leads, pipeline=pipeline, won=won, campaigns=campaigns),
        )
        return context

    @staticmethod
    def start_of(day: datetime.date) -> datetime.datetime:
        """Midnight at the start of ``day`` in the active time zone."""
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    def lead_numbers(self, *, since: datetime.datetime) -> dict:
        """Leads by status and by source, new ones since ``since`` and the conversion rate."""
        counts = Lead.objects.aggregate(
            total=Count("pk"),
            new_this_month=Count("pk", filter=Q(created_at__gte=since)),
            **{f"status_{s}": Count("pk", filter=Q(status=s)) for s in LeadStatus.values},
            **{f"source_{s}": Count("pk", filter=Q(source=s)) for s in LeadSource.values},
        )
        total = counts["total"]
        converted = counts[f"status_{LeadStatus.CONVERTED}"]
        return {
            "total": total,
            "new_this_month": counts["new_this_month"],
            "by_status": [(s, counts[f"status_{s.value}"]) for s in LeadStatus],
            "by_source": [(s, counts[f"source_{s.value}"]) for s in LeadSource],
            # No leads, no rate: the page shows "—" rather than 0.
            "conversion_rate": (
                (Decimal(converted * 100) / total).quantize(Decimal("0.01"), ROUND_HALF_UP)
                if total
                else None
            ),
        }

    def won_by_month(self, months: list[datetime.date]) -> list[dict]:
        """Deals won in each of ``months`` (by when they closed), empty months included."""
        rows = (
            Opportunity.objects.won()
            .filter(closed_at__gte=self.start_of(months[0]))
            .annotate(month=TruncMonth("closed_at"))
            .order_by("month")
            .values("month")
            .annotate(count=Count("pk"), amount=Sum("amount"))
        )
        by_month = {timezone.localdate(row["month"]): row for row in rows}
        return [
            {
                "month": month,
                "count": by_month.get(month, {}).get("count", 0),
                "amount": by_month.get(month, {}).get("amount") or ZERO,
            }
            for month in months
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

    def active_opportunities(self):
        """Open deals closing soonest, then the largest."""
        return (
            Opportunity.objects.open()
            .with_expected_value()
            .select_related("stage", "contact", "lead", "owner")
            .closing_soonest()[:LIST_SIZE]
        )

    def chart_data(self, *, leads, pipeline, won, campaigns) -> dict:
        """What dashboard.js draws; labels translated here, amounts as exact decimal strings."""
        open_stages = [row for row in pipeline["stages"] if not row["stage"].is_closed]
        return {
            "leadsByStatus": {
                "label": _("Leads"),
                "labels": [str(status.label) for status, _n in leads["by_status"]],
                "values": [n for _status, n in leads["by_status"]],
            },
            "leadsBySource": {
                "label": _("Leads"),
                "labels": [str(source.label) for source, _n in leads["by_source"]],
                "values": [n for _source, n in leads["by_source"]],
            },
            "pipelineByStage": {
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
                "label": _("Won revenue"),
                "labels": [date_format(row["month"], "M Y") for row in won],
                "values": [row["amount"] for row in won],
            },
            "campaignRoi": {
                "label": _("ROI (%)"),
                "labels": [campaign.name for campaign in campaigns],
                "values": [campaign.roi for campaign in campaigns],
            },
        }
