"""The dashboard: the team's numbers at a glance."""

from __future__ import annotations

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from ..models import Opportunity, Task
from ..models.choices import LEAD_STATUS_COLOURS
from ..reports import team
from ..templatetags.crm_tags import currency_symbol
from .base import ModelPermissionMixin, NavMixin

LIST_SIZE = 10  # rows in "my pending tasks" and "active opportunities"


class DashboardView(ModelPermissionMixin, NavMixin, TemplateView):
    """The team's numbers at a glance, in a fixed number of queries whatever the data size."""

    permission_required = "crm.view_lead"  # a CRM role: a login alone shows no team figures

    template_name = "crm/dashboard.html"
    nav = "dashboard"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The rep's own tasks and deals below are always read fresh.
        figures = team.read()  # the same for everyone, as the last job computed them
        leads, pipeline, won, campaigns = (
            figures["leads"],
            figures["pipeline"],
            figures["won"],
            figures["campaigns"],
        )
        context.update(
            leads=leads,
            pipeline=pipeline,
            won_this_month=won[-1],
            figures_as_of=figures["as_of"],
            figures_max_age=settings.CRM_DASHBOARD_CACHE_SECONDS,
            my_tasks=self.my_tasks(),
            active_opportunities=self.active_opportunities(
                [row["stage"] for row in pipeline["stages"] if not row["stage"].is_closed]
            ),
            data=self.chart_data(leads=leads, pipeline=pipeline, won=won, campaigns=campaigns),
        )
        return context

    def my_tasks(self):
        """My open tasks, overdue ones first, then by due date."""
        return (
            Task.objects.open()
            .with_overdue()
            .filter(assigned_to=self.request.user)
            .select_related("lead", "contact", "opportunity")
            # An open task is overdue exactly when it was due before today: by due date, the
            # overdue come first, read in order from the index of a person's open tasks.
            .order_by("due_date", "pk")[:LIST_SIZE]
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
