"""Bulk actions on a list: the ticked rows, or every row the list's filters match.

Each row goes through its record's service, one transaction each, so each is checked against
the user's rights and the record's rules exactly as a single edit is; a row refused is skipped,
counted and its reason reported, and the others still happen. At most ``BULK_LIMIT`` rows at
once: a larger set is refused as a whole with a message (narrow the filters).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .filters import active_users
from .forms import SearchSelect
from .models import (
    Campaign,
    CampaignStatus,
    Contact,
    Interaction,
    Lead,
    LeadStatus,
    Opportunity,
    Stage,
    Task,
    TaskStatus,
)
from .permissions import is_manager

BULK_LIMIT = 1000


@dataclass(frozen=True)
class BulkAction:
    key: str
    label: Any
    run: Callable[..., Any]
    params: tuple[str, ...] = ()
    managers_only: bool = False


def assign(field: str):
    def run(record, *, by, data):
        services.for_model(type(record)).update(record, by=by, data={field: data["person"]})

    return run


def set_lead_status(lead, *, by, data):
    status = data["lead_status"]
    if status == LeadStatus.LOST:
        services.lead_mark_lost(lead=lead, by=by, reason=data["reason"])
    elif lead.status == LeadStatus.LOST and status == LeadStatus.NEW:
        services.lead_reopen(lead=lead, by=by)
    else:
        services.lead_update(lead=lead, by=by, data={"status": status})


def add_to_campaign(lead, *, by, data):
    services.lead_update(lead=lead, by=by, data={"campaign": data["campaign"]})


def move_to_stage(deal, *, by, data):
    services.opportunity_move_stage(
        opportunity=deal, stage=data["stage"], by=by, lost_reason=data["reason"]
    )


def complete(task, *, by, data):
    services.task_complete(task=task, by=by)


def set_task_status(task, *, by, data):
    services.task_update(task=task, by=by, data={"status": data["task_status"]})


def set_campaign_status(campaign, *, by, data):
    services.campaign_update(campaign=campaign, by=by, data={"status": data["campaign_status"]})


def delete(record, *, by, data):
    services.for_model(type(record)).delete(record, by=by)


ASSIGN_OWNER = BulkAction("assign", _("Assign owner"), assign("owner"), ("person",))
DELETE = BulkAction("delete", _("Delete"), delete, managers_only=True)

ACTIONS: dict[type, tuple[BulkAction, ...]] = {
    Lead: (
        ASSIGN_OWNER,
        BulkAction("status", _("Change status"), set_lead_status, ("lead_status", "reason")),
        BulkAction("campaign", _("Add to campaign"), add_to_campaign, ("campaign",)),
        DELETE,
    ),
    Contact: (ASSIGN_OWNER, DELETE),
    Opportunity: (
        ASSIGN_OWNER,
        BulkAction("stage", _("Move to stage"), move_to_stage, ("stage", "reason")),
        DELETE,
    ),
    Task: (
        BulkAction("complete", _("Mark completed"), complete),
        BulkAction("assign", _("Assign to"), assign("assigned_to"), ("person",)),
        BulkAction("status", _("Change status"), set_task_status, ("task_status",)),
        DELETE,
    ),
    Interaction: (DELETE,),
    Campaign: (
        ASSIGN_OWNER,
        BulkAction("status", _("Change status"), set_campaign_status, ("campaign_status",)),
        DELETE,
    ),
}

# Lead statuses a person may set; "converted" comes from conversion alone.
SETTABLE_LEAD_STATUSES = [c for c in LeadStatus.choices if c[0] != LeadStatus.CONVERTED]


def actions_for(model, user) -> list[BulkAction]:
    manager = is_manager(user, model)
    return [a for a in ACTIONS.get(model, ()) if manager or not a.managers_only]


class BulkForm(forms.Form):
    """What to do to the chosen rows, and with what; only the chosen action's values count."""

    action = forms.ChoiceField(label=_("Action"))
    person = forms.ModelChoiceField(queryset=None, required=False, label=_("Person"))
    lead_status = forms.ChoiceField(
        choices=[("", "—"), *SETTABLE_LEAD_STATUSES], required=False, label=_("Status")
    )
    task_status = forms.ChoiceField(
        choices=[("", "—"), *TaskStatus.choices], required=False, label=_("Status")
    )
    campaign_status = forms.ChoiceField(
        choices=[("", "—"), *CampaignStatus.choices], required=False, label=_("Status")
    )
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.all(), required=False, label=_("Stage"), empty_label="—"
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.order_by("name"),
        required=False,
        label=_("Campaign"),
        widget=SearchSelect("campaigns"),
    )
    reason = forms.CharField(
        required=False, max_length=255, label=_("Reason (when lost)"), strip=True
    )
    every = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, model, user, **kwargs):
        kwargs.setdefault("prefix", "bulk")
        super().__init__(*args, **kwargs)
        self.model = model
        self.actions = {action.key: action for action in actions_for(model, user)}
        self.fields["action"].choices = [("", _("Choose an action…"))] + [
            (a.key, a.label) for a in self.actions.values()
        ]
        self.fields["person"].queryset = active_users()
        used = {param for action in self.actions.values() for param in action.params}
        for name in list(self.fields):
            if name not in ("action", "every") and name not in used:
                del self.fields[name]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select) and not isinstance(widget, SearchSelect):
                field.widget.attrs["class"] = "form-select form-select-sm"
            elif isinstance(field.widget, forms.TextInput):
                field.widget.attrs.update({"class": "form-control form-control-sm", "dir": "auto"})

    def params_of(self, name: str) -> str:
        """The actions that use field ``name``, for the page to show it only with them."""
        return " ".join(a.key for a in self.actions.values() if name in a.params)

    def clean(self):
        data = super().clean()
        action = self.actions.get(data.get("action"))
        if action is None:
            return data
        for name in action.params:
            needed = name != "reason" or self.reason_needed(data)
            if needed and data.get(name) in (None, ""):
                self.add_error(name, _("Choose a value for this action."))
        data["reason"] = data.get("reason") or ""
        return data

    @staticmethod
    def reason_needed(data) -> bool:
        stage = data.get("stage")
        return data.get("lead_status") == LeadStatus.LOST or bool(
            stage and stage.is_closed and not stage.is_won
        )

    @property
    def chosen(self) -> BulkAction:
        return self.actions[self.cleaned_data["action"]]


@dataclass
class Outcome:
    done: int = 0
    skipped: int = 0
    reasons: Counter | None = None

    def messages(self) -> list[tuple[str, str]]:
        """(level, text) lines for the user: what was done, and what was skipped and why."""
        lines = []
        if self.done:
            lines.append(
                (
                    "success",
                    ngettext("%(count)d record changed.", "%(count)d records changed.", self.done)
                    % {"count": self.done},
                )
            )
        if self.skipped:
            why = "; ".join(reason for reason, _count in self.reasons.most_common(3))
            lines.append(
                (
                    "warning",
                    ngettext(
                        "%(count)d record skipped: %(why)s",
                        "%(count)d records skipped: %(why)s",
                        self.skipped,
                    )
                    % {"count": self.skipped, "why": why},
                )
            )
        return lines


def reason_of(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error) or str(services.base.NOT_ALLOWED)


def run(action: BulkAction, rows, *, by, data) -> Outcome:
    """Do ``action`` to each of ``rows`` through its service; refusals are counted, not raised."""
    outcome = Outcome(reasons=Counter())
    for record in rows:
        try:
            action.run(record, by=by, data=data)
        except (ValidationError, PermissionDenied) as error:
            outcome.skipped += 1
            outcome.reasons[reason_of(error)] += 1
        else:
            outcome.done += 1
    return outcome
