"""Opportunities: the list, the record's page with its stage path, and its forms."""

from itertools import pairwise

from django.db.models import F
from django.utils.functional import cached_property

from .. import columns, services
from ..filters import OpportunityFilter
from ..forms import OpportunityForm
from ..models import Opportunity, Stage
from ..models.pipeline import EXPECTED_VALUE_ORDER
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

    @cached_property
    def stages_follow_their_ids(self) -> bool:
        """Whether the pipeline's order is its stages' id order (until a manager reorders
        them): each stage's position strictly after the one of the stage made before it."""
        positions = list(Stage.objects.order_by("pk").values_list("order", flat=True))
        return all(earlier < later for earlier, later in pairwise(positions))

    def get_ordering(self):
        if self.get_sort().lstrip("-") == "stage" and self.stages_follow_their_ids:
            # The same order, read from the deals' own (stage, id) index: sorting 300,000 deals
            # by the joined stage's position took 85-100 ms at 1M leads, this 25 index entries.
            key = F("stage_id")
            descending = self.get_sort().startswith("-")
            return (key.desc(), F("pk").desc()) if descending else (key.asc(), F("pk").asc())
        return super().get_ordering()


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
