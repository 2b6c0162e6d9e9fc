"""Campaigns: the list with its metrics, the record's page and its forms."""

from ..filters import CampaignFilter
from ..forms import CampaignForm
from ..models import Campaign
from .base import CRMCreateView, CRMDetailView, CRMListView, CRMUpdateView

LEADS_SHOWN = 25


class CampaignListView(CRMListView):
    model = Campaign
    filterset_class = CampaignFilter
    template_name = "crm/campaign_list.html"
    nav = "campaigns"
    sort_fields = {
        "name": "name",
        "kind": "kind",
        "status": "status",
        "start": "start_date",
        "budget": "budget",
        "actual_cost": "actual_cost",
        "leads": "leads_count",
        "conversion_rate": "conversion_rate",
        "cost_per_lead": "cost_per_lead",
        "roi": "roi",
    }
    default_ordering = ("-start_date", "-pk")

    def get_rows(self):
        return Campaign.objects.with_metrics().select_related("owner")


class CampaignDetailView(CRMDetailView):
    model = Campaign
    template_name = "crm/campaign_detail.html"
    nav = "campaigns"

    def get_queryset(self):
        return Campaign.objects.with_metrics().select_related("owner", "created_by")

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
