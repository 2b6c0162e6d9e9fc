"""Campaigns: the list with its metrics, the record's page and its forms."""

from .. import columns
from ..filters import CampaignFilter
from ..forms import CampaignForm
from ..models import Campaign, CampaignTotal
from ..models.campaign import metric_expressions
from ..services import kept_totals
from .base import CRMCreateView, CRMDetailView, CRMListView, CRMUpdateView

LEADS_SHOWN = 25


class CampaignListView(CRMListView):
    model = Campaign
    filterset_class = CampaignFilter
    template_name = "crm/campaign_list.html"
    nav = "campaigns"
    columns = columns.CAMPAIGN
    sort_fields = {
        "name": "name",
        "kind": "kind",
        "status": "status",
        "start": "start_date",
        "budget": "budget",
        "actual_cost": "actual_cost",
        "leads": "leads_count",
        **metric_expressions(),
    }
    default_ordering = ("-start_date", "-pk")

    def get_rows(self):
        # The kept lead counts it sorts by stay a few rows a campaign.
        kept_totals.fold_if_many(CampaignTotal)
        return Campaign.objects.for_list()


class CampaignDetailView(CRMDetailView):
    model = Campaign
    template_name = "crm/campaign_detail.html"
    nav = "campaigns"

    def get_queryset(self):
        return Campaign.objects.for_detail()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["leads"] = self.object.leads.select_related("owner").order_by("-created_at")[
            :LEADS_SHOWN
        ]
        return context


class CampaignCreateView(CRMCreateView):
    model = Campaign
    form_class = CampaignForm
    nav = "campaigns"


class CampaignUpdateView(CRMUpdateView):
    model = Campaign
    form_class = CampaignForm
    nav = "campaigns"
