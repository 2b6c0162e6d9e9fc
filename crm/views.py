"""The reps' pages: thin views over the models' querysets and the services."""

from django.db.models import Count
from django.views.generic import TemplateView

from .models import Lead, LeadStatus, Opportunity, Task


class DashboardView(TemplateView):
    """The team's numbers at a glance, in a fixed number of queries."""

    template_name = "crm/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        by_status = dict(
            Lead.objects.order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        context["lead_counts"] = [
            (status.label, by_status.get(status.value, 0)) for status in LeadStatus
        ]
        context["pipeline"] = Opportunity.objects.pipeline_summary()
        context["my_tasks"] = (
            Task.objects.open()
            .with_overdue()
            .filter(assigned_to=self.request.user)
            .select_related("lead", "contact", "opportunity")
            .order_by("-is_overdue", "due_date", "pk")[:10]
        )
        return context
