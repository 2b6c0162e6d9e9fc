"""Opportunities: the list, the record's page with its stage path, and its forms."""

from django.utils.functional import cached_property

from .. import columns, services
from ..filters import OpportunityFilter
from ..forms import OpportunityForm
from ..models import Opportunity, Stage
from ..models.pipeline import EXPECTED_VALUE_ORDER, stage_sort_key
from .base import CRMCreateView, CRMDetailView, CRMListView, CRMUpdateView


class OpportunityListView(CRMListView):
    model = Opportunity
    filterset_class = OpportunityFilter
    template_name = "crm/opportunity_list.html"
    nav = "opportunities"
    columns = columns.OPPORTUNITY
    sort_fields = {
        "name": "name",
        "customer": "customer_name",
        "stage": "stage__order",
        "amount": "amount",
        "probability": "probability",
        "expected_value": EXPECTED_VALUE_ORDER,
        "close": "expected_close_date",
        "owner": "owner_id",
    }

    def get_rows(self):
        return Opportunity.objects.for_list()

    def get_sort_fields(self) -> dict:
        if self.get_sort().lstrip("-") != "stage":
            return self.sort_fields
        return {**self.sort_fields, "stage": self.stage_key}

    @cached_property
    def stage_key(self) -> str:
        # The pipeline's order read from the deals' own (stage, id) index while it can be:
        # sorting 300,000 deals by the joined stage's position took 85-100 ms at 1M leads.
        return stage_sort_key()


class OpportunityDetailView(CRMDetailView):
    model = Opportunity
    template_name = "crm/opportunity_detail.html"
    nav = "opportunities"

    def get_queryset(self):
        return Opportunity.objects.for_list().select_related("created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        opportunity = self.object
        context["stages"] = list(Stage.objects.all())
        context["stage_changes"] = opportunity.stage_changes.select_related(
            "from_stage", "to_stage", "changed_by"
        )
        context["interactions"] = opportunity.interactions.select_related("created_by")[:50]
        context["tasks"] = opportunity.tasks.with_overdue().select_related("assigned_to")
        return context


class OpportunityFormMixin:
    model = Opportunity
    form_class = OpportunityForm
    nav = "opportunities"


class OpportunityCreateView(OpportunityFormMixin, CRMCreateView):
    def get_initial(self):
        initial = super().get_initial()
        initial.setdefault("stage", services.first_stage().pk)
        return initial


class OpportunityUpdateView(OpportunityFormMixin, CRMUpdateView):
    pass
