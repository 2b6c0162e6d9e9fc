"""Interactions and tasks: lists, pages, forms, and completing or reopening a task."""

from .. import columns
from ..filters import InteractionFilter, TaskFilter
from ..forms import InteractionForm, TaskForm
from ..models import Interaction, InteractionKind, Task
from ..models.activity import OVERDUE_FIRST
from .base import (
    CRMCreateView,
    CRMDetailView,
    CRMListView,
    CRMUpdateView,
    SortKey,
    redirect_to,
)


class LinkedRecordMixin:
    """After saving from a lead's (customer's, deal's) page, go back to that page."""

    def get_success_record(self):
        for name in ("lead", "contact", "opportunity"):
            if self.request.GET.get(name) and getattr(self.object, f"{name}_id"):
                return getattr(self.object, name)
        return self.object

    def form_valid(self, form):
        response = super().form_valid(form)
        return redirect_to(self.get_success_record()) if response.status_code == 302 else response

    def get_cancel_url(self):
        for name in ("lead", "contact", "opportunity"):
            value = self.request.GET.get(name, "")
            if value.isdecimal() and len(value) <= 18:
                model = Interaction._meta.get_field(name).related_model
                record = model.objects.filter(pk=value).first()
                if record:
                    return record.get_absolute_url()
        return super().get_cancel_url()


class InteractionListView(CRMListView):
    model = Interaction
    filterset_class = InteractionFilter
    template_name = "crm/interaction_list.html"
    nav = "interactions"
    columns = columns.INTERACTION
    sort_fields = {
        "subject": "subject",
        "kind": "kind",
        "occurred": "occurred_at",
        "duration": "duration",
        "outcome": "outcome",
        "by": "created_by_id",
    }
    default_ordering = ("-occurred_at", "-pk")

    def get_rows(self):
        return Interaction.objects.for_list()


class InteractionDetailView(CRMDetailView):
    model = Interaction
    template_name = "crm/interaction_detail.html"
    nav = "interactions"

    def get_queryset(self):
        return Interaction.objects.for_detail()


class InteractionCreateView(LinkedRecordMixin, CRMCreateView):
    model = Interaction
    form_class = InteractionForm
    nav = "interactions"

    def get_initial(self):
        return {"kind": InteractionKind.CALL, **super().get_initial()}


class InteractionUpdateView(LinkedRecordMixin, CRMUpdateView):
    model = Interaction
    form_class = InteractionForm
    nav = "interactions"


class TaskListView(CRMListView):
    model = Task
    filterset_class = TaskFilter
    template_name = "crm/task_list.html"
    nav = "tasks"
    columns = columns.TASK
    sort_fields = {
        "title": "title",
        "priority": "priority",
        "status": "status",
        "due": "due_date",
        "assigned_to": "assigned_to_id",
        "overdue": SortKey(OVERDUE_FIRST, flipped=True),
    }
    default_ordering = ("due_date", "pk")

    def get_rows(self):
        return Task.objects.for_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not context["object_list"] and not context["filtered"]:
            # Open work is a filter too: with none left, say so (and offer every task) unless
            # there is no task at all.
            context["filtered"] = Task.objects.exists()
        return context


class TaskDetailView(CRMDetailView):
    model = Task
    template_name = "crm/task_detail.html"
    nav = "tasks"

    def get_queryset(self):
        return Task.objects.for_detail()


class TaskCreateView(LinkedRecordMixin, CRMCreateView):
    model = Task
    form_class = TaskForm
    nav = "tasks"


class TaskUpdateView(LinkedRecordMixin, CRMUpdateView):
    model = Task
    form_class = TaskForm
    nav = "tasks"
