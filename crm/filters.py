"""One FilterSet per list: a ``q`` search, the record's choices, people, campaign and dates."""

from functools import reduce
from operator import or_

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.lookups import Exact
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .forms import SearchSelect
from .models import (
    TASK_OPEN_STATUSES,
    Campaign,
    CampaignKind,
    CampaignStatus,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    Stage,
    Task,
    TaskPriority,
    TaskStatus,
)
from .models.activity import CLOSED_LAST
from .search import search


def active_users():
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "username")


class DateRangeWidget(django_filters.widgets.DateRangeWidget):
    """Two date pickers, "from" and "to", side by side where they fit, each labelled."""

    template_name = "crm/widgets/date_range.html"

    def __init__(self, attrs=None):
        attrs = {"type": "date", **(attrs or {})}
        super().__init__(attrs)


def date_range(label):
    return django_filters.DateFromToRangeFilter(label=label, widget=DateRangeWidget())


class CRMFilterSet(django_filters.FilterSet):
    """Shared: the ``q`` search box (Arabic-aware, see ``crm.search``) and the "mine" switch."""

    mine_fields: tuple[str, ...] = ("owner",)

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    mine = django_filters.BooleanFilter(
        method="filter_mine", label=_("Only mine"), widget=forms.CheckboxInput
    )

    def filter_q(self, queryset, name, value):
        return search(queryset, value)

    def filter_mine(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        user = self.request.user
        return queryset.filter(reduce(or_, (Q(**{field: user}) for field in self.mine_fields)))


ANY = _("Any")


def person_filter(label):
    return django_filters.ModelChoiceFilter(
        queryset=lambda request: active_users(), label=label, empty_label=ANY
    )


def campaign_filter():
    # Picked by searching, as in the forms: a page never lists every campaign as an option.
    return django_filters.ModelChoiceFilter(
        queryset=Campaign.objects.order_by("name"),
        label=_("Campaign"),
        empty_label=ANY,
        widget=SearchSelect("campaigns"),
    )


class LeadFilter(CRMFilterSet):
    status = django_filters.ChoiceFilter(choices=LeadStatus.choices, label=_("Status"))
    source = django_filters.ChoiceFilter(choices=LeadSource.choices, label=_("Source"))
    rating = django_filters.ChoiceFilter(
        choices=[(n, "★" * n) for n in range(1, 6)], label=_("Rating")
    )
    owner = person_filter(_("Owner"))
    campaign = campaign_filter()
    created_at = date_range(_("Created"))

    class Meta:
        model = Lead
        fields = ["q", "status", "source", "rating", "owner", "campaign", "created_at", "mine"]


class ContactFilter(CRMFilterSet):
    owner = person_filter(_("Owner"))
    created_at = date_range(_("Created"))

    class Meta:
        model = Contact
        fields = ["q", "owner", "created_at", "mine"]


class OpportunityFilter(CRMFilterSet):
    STATE_CHOICES = [
        ("open", pgettext_lazy("opportunity state", "Open")),
        ("won", pgettext_lazy("opportunity state", "Won")),
        ("lost", pgettext_lazy("opportunity state", "Lost")),
    ]

    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES, method="filter_state", label=_("Open or closed")
    )
    stage = django_filters.ModelChoiceFilter(
        queryset=Stage.objects.all(), label=_("Stage"), empty_label=ANY
    )
    owner = person_filter(_("Owner"))
    campaign = campaign_filter()
    expected_close_date = date_range(_("Expected close"))

    class Meta:
        model = Opportunity
        fields = ["q", "state", "stage", "owner", "campaign", "expected_close_date", "mine"]

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(stage__is_closed=False)
        if value == "won":
            return queryset.filter(stage__is_won=True)
        if value == "lost":
            return queryset.filter(stage__is_closed=True, stage__is_won=False)
        return queryset


class InteractionFilter(CRMFilterSet):
    mine_fields = ("created_by",)

    kind = django_filters.ChoiceFilter(choices=InteractionKind.choices, label=_("Type"))
    created_by = person_filter(_("Logged by"))
    occurred_at = date_range(_("Date"))

    class Meta:
        model = Interaction
        fields = ["q", "kind", "created_by", "occurred_at", "mine"]


class TaskFilter(CRMFilterSet):
    """Tasks open on the work still to do (pending and in progress, overdue first, as the
    list's order by due date puts them), unless a status or "every task" is chosen."""

    mine_fields = ("assigned_to",)
    OPEN, DONE, EVERY = "open", "done", "all"
    SHOW_CHOICES = [
        (OPEN, _("Open work")),
        (DONE, _("Done or cancelled")),
        (EVERY, _("Every task")),
    ]

    show = django_filters.ChoiceFilter(
        choices=SHOW_CHOICES, method="filter_show", label=_("Show"), empty_label=None
    )

    status = django_filters.ChoiceFilter(choices=TaskStatus.choices, label=_("Status"))
    priority = django_filters.ChoiceFilter(choices=TaskPriority.choices, label=_("Priority"))
    assigned_to = person_filter(_("Assigned to"))
    due_date = date_range(_("Due date"))
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("Overdue only"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Task
        fields = ["q", "show", "status", "priority", "assigned_to", "due_date", "overdue", "mine"]

    def __init__(self, data=None, *args, **kwargs):
        if data is None or not data.get("show"):
            data = QueryDict(mutable=True) if data is None else data.copy()
            # A chosen status speaks for itself; otherwise the list opens on open work.
            data["show"] = self.EVERY if data.get("status") else self.OPEN
        super().__init__(data, *args, **kwargs)

    def filter_show(self, queryset, name, value):
        # By the first key of the "overdue first" sort (open 0, done 1), so that sorted either
        # way a page is read from that key's range of its index instead of walking past
        # 150,000 done tasks; open work by status too, which its count reads from the
        # (status, due date) index alone (2 ms at 1M leads, against 12 by the key).
        if value == self.OPEN:
            return queryset.filter(Exact(CLOSED_LAST, 0), status__in=TASK_OPEN_STATUSES)
        if value == self.DONE:
            return queryset.filter(Exact(CLOSED_LAST, 1))
        return queryset

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status__in=TASK_OPEN_STATUSES, due_date__lt=timezone.localdate())


class CampaignFilter(CRMFilterSet):
    kind = django_filters.ChoiceFilter(choices=CampaignKind.choices, label=_("Type"))
    status = django_filters.ChoiceFilter(choices=CampaignStatus.choices, label=_("Status"))
    owner = person_filter(_("Owner"))
    start_date = date_range(_("Start date"))

    class Meta:
        model = Campaign
        fields = ["q", "kind", "status", "owner", "start_date", "mine"]
