"""The automation run log: every run of every rule, newest first, filtered by rule and outcome
(managers; the rules themselves are written in the admin)."""

from __future__ import annotations

import django_filters
from django_filters.views import FilterView

from ..models.automation import Rule, RuleRun, RunOutcome
from .base import CappedPaginator, ModelPermissionMixin, NavMixin


class RuleRunFilter(django_filters.FilterSet):
    rule = django_filters.ModelChoiceFilter(
        queryset=Rule.objects.order_by("name"), label=Rule._meta.verbose_name.capitalize()
    )
    outcome = django_filters.ChoiceFilter(
        choices=RunOutcome.choices, label=RuleRun._meta.get_field("outcome").verbose_name
    )

    class Meta:
        model = RuleRun
        fields = ["rule", "outcome"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-select"


class RuleRunListView(ModelPermissionMixin, NavMixin, FilterView):
    permission_required = "crm.view_rulerun"
    model = RuleRun
    filterset_class = RuleRunFilter
    template_name = "crm/automation_runs.html"
    context_object_name = "runs"
    paginate_by = 25
    paginator_class = CappedPaginator
    strict = False
    nav = "automation"

    def get_queryset(self):
        return RuleRun.objects.for_list().order_by("-created_at", "-pk")
