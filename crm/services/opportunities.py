"""Opportunities: create, edit, move through the pipeline's stages, delete.

The stage rule, in one place: entering a stage sets its default probability unless the
probability was typed for this deal; won is 100 and lost 0 (with a reason); closing sets
``closed_at`` and reopening clears it; every move is kept as a ``StageChange`` and restarts
``stage_entered_at``, the clock of the board's "rotting" marker.

The probability is a single input: ``None`` means "follow the stage", a figure equal to the
stored one means "unchanged", and any other figure was typed by hand and is kept on later moves.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events
from ..models import Contact, Lead, Opportunity, Stage, StageChange
from ..models.pipeline import customer_name_expression
from .base import Changes, announce, changed, create_record, delete_record, update_record

PROSPECTING = "prospecting"


def first_stage() -> Stage:
    """The stage new deals start in: prospecting, or the first open stage if it was renamed."""
    stage = Stage.objects.filter(code=PROSPECTING, is_closed=False).first()
    stage = stage or Stage.objects.open().order_by("order", "pk").first()
    if stage is None:
        raise ValidationError(_("The pipeline has no open stage."), code="no_stage")
    return stage


def _stage_rule(deal: Opportunity, before: Mapping[str, Any] | None) -> None:
    """Set probability, ``closed_at`` and the lost reason for the deal's stage."""
    if deal.stage_id is None:
        deal.stage = first_stage()
    stage = deal.stage
    from_stage = Stage.objects.get(pk=before["stage"]) if before else None
    moved = from_stage is None or from_stage.pk != stage.pk
    if moved:
        deal.stage_entered_at = timezone.now()
    if deal.probability is None:
        deal.probability_is_manual = False
    elif before is None:
        deal.probability_is_manual = deal.probability != stage.default_probability
    elif deal.probability != before["probability"]:
        deal.probability_is_manual = True
    if moved and from_stage is not None and from_stage.is_closed and not stage.is_closed:
        # Closing overwrote any hand-set figure with 100 or 0; start again from the stage's.
        deal.probability_is_manual = False

    if stage.is_won:
        deal.probability = 100
        deal.lost_reason = ""
    elif stage.is_closed:
        deal.lost_reason = (deal.lost_reason or "").strip()
        if not deal.lost_reason:
            raise ValidationError(
                {"lost_reason": _("Say why the opportunity was lost.")}, code="lost_reason"
            )
        deal.probability = 0
    else:
        if not deal.probability_is_manual:
            deal.probability = stage.default_probability
        deal.lost_reason = ""

    if not stage.is_closed:
        deal.closed_at = None
    elif (moved and (from_stage is None or not from_stage.is_closed)) or deal.closed_at is None:
        deal.closed_at = timezone.now()


def _record_move(deal: Opportunity, by, from_stage_id) -> None:
    StageChange.objects.create(
        opportunity=deal,
        from_stage_id=from_stage_id,
        to_stage=deal.stage,
        changed_by=by,
        changed_at=deal.stage_entered_at,
        amount=deal.amount,
        probability=deal.probability,
    )


def _stage_events(deal: Opportunity, by, changes: Changes) -> list:
    if not changed(changes, "stage"):
        return []
    stage = deal.stage
    return [
        events.DealStageChanged(deal, by, changes),
        events.DealWon(deal, by, changes) if stage.is_won else None,
        events.DealLost(deal, by, changes) if stage.is_lost else None,
    ]


def _lock_linked(data: Mapping[str, Any], deal: Opportunity | None = None) -> None:
    """Before a deal is saved with other links, hold (a share of) the rows of every lead and
    customer its name may come from, before and after, until the transaction ends.

    A deal keeps its customer's name, else its lead's (``customer_name``), read when it is
    saved; a rename of that customer or lead rewrites its deals. Held, the name cannot be read
    while a rename is on its way: the rename waits, then rewrites the deal with the rest. The
    order is the one every writer takes: leads, then customers (each by id), then deals, as a
    conversion takes its lead and then its customer, and a rename its record and then its deals.
    """
    if "contact" not in data and "lead" not in data:
        return  # the deal's name keeps its source; a rename meanwhile waits for its row
    linked = {"lead": set(), "contact": set()}
    if deal is not None:
        stored = Opportunity.objects.filter(pk=deal.pk).values("contact_id", "lead_id").first()
        for name in linked:
            if stored and stored[f"{name}_id"] is not None:
                linked[name].add(stored[f"{name}_id"])
    for name in linked:
        if data.get(name) is not None:
            linked[name].add(data[name].pk)
    for name, model in (("lead", Lead), ("contact", Contact)):
        if linked[name]:
            rows = model.objects.select_for_update(no_key=True).filter(pk__in=linked[name])
            list(rows.order_by("pk").values_list("pk", flat=True))


def refresh_customer_names(deals) -> int:
    """Rewrite ``customer_name`` of ``deals`` (a queryset) from their customers' or leads'
    names, in one UPDATE: after a rename, or a conversion's re-linking. Call inside the
    rename's or conversion's transaction.

    The deals are locked first, in id order, the order in which every writer of several deals
    in one transaction takes them (the admin's actions): one UPDATE would take them in
    whatever order it meets them, and could wait for a deal that waits for it.
    """
    ids = list(deals.select_for_update().order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    return Opportunity.objects.filter(pk__in=ids).update(customer_name=customer_name_expression())


@transaction.atomic
def opportunity_create(*, by, data: Mapping[str, Any]) -> Opportunity:
    """A new deal (in the first stage unless one is given), its first stage change recorded."""
    data = {"probability": None, **data}  # none given: the stage's
    _lock_linked(data)
    deal, changes = create_record(
        Opportunity, by=by, data=data, prepare=lambda new: _stage_rule(new, None)
    )
    _record_move(deal, by, None)
    # The stage it starts in is one of its values, not a move: no stage event.
    announce(events.DealCreated(deal, by, changes))
    return deal


@transaction.atomic
def opportunity_update(
    *,
    opportunity: Opportunity,
    by,
    data: Mapping[str, Any],
    seen_version: datetime.datetime | None = None,
) -> Opportunity:
    """Change the deal's fields in ``data``, the stage rule applied; refuse a stale edit."""
    _lock_linked(data, opportunity)
    deal, changes = update_record(
        opportunity, by=by, data=data, seen_version=seen_version, rule=_stage_rule
    )
    if changed(changes, "stage"):
        _record_move(deal, by, changes["stage"][0])
    announce(
        events.DealAssigned(deal, by, changes) if changed(changes, "owner") else None,
        *_stage_events(deal, by, changes),
    )
    return deal


def opportunity_move_stage(
    *,
    opportunity: Opportunity,
    stage: Stage,
    by,
    lost_reason: str = "",
    probability: int | None = None,
    seen_version: datetime.datetime | None = None,
) -> Opportunity:
    """Move a deal to ``stage`` (the board, the deal's page, admin actions, automation).

    Writes only what the move changes, so an edit saved meanwhile is kept.
    """
    data: dict[str, Any] = {"stage": stage}
    if lost_reason.strip():
        data["lost_reason"] = lost_reason
    if probability is not None:
        data["probability"] = probability
    return opportunity_update(opportunity=opportunity, by=by, data=data, seen_version=seen_version)


def opportunity_delete(*, opportunity: Opportunity, by) -> None:
    """Delete the deal (managers), with its stage history."""
    delete_record(opportunity, by=by)
