"""Writes that span records: converting leads and moving opportunities through the pipeline.

Views, the admin, imports and ``seed_crm`` all call these, so each rule lives in one place.
They take plain objects (never a request) and keyword-only arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from .models import (
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    LeadStatus,
    Opportunity,
    Stage,
    StageChange,
)

# The lead's fields that a new customer takes, and that fill an existing customer's blanks.
CONTACT_FIELDS_FROM_LEAD = ("name", "company", "title", "email", "phone")

PROSPECTING = "prospecting"


@dataclass(frozen=True)
class Conversion:
    """What converting a lead produced."""

    lead: Lead
    contact: Contact
    opportunity: Opportunity | None
    contact_created: bool


def first_stage() -> Stage:
    """The stage new deals start in: prospecting, or the first open stage if it was renamed."""
    stage = Stage.objects.filter(code=PROSPECTING, is_closed=False).first()
    stage = stage or Stage.objects.open().order_by("order", "pk").first()
    if stage is None:
        raise ValidationError(_("The pipeline has no open stage."), code="no_stage")
    return stage


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by: AbstractBaseUser,
    contact: Contact | None = None,
    create_opportunity: bool = False,
    opportunity_name: str = "",
    opportunity_amount: Decimal | None = None,
    expected_close_date: date | None = None,
) -> Conversion:
    """Turn a lead into a customer, optionally with a deal; refuse a second conversion.

    With ``contact`` the lead is attached to that existing customer and only the customer's empty
    fields are filled from the lead; without it a new customer is made. All or nothing.
    """
    # The row lock makes a second, simultaneous conversion wait and then see "converted".
    lead = Lead.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=lead.pk)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(_("This lead has already been converted."), code="converted")
    if lead.status == LeadStatus.LOST:
        raise ValidationError(_("This lead is lost: reopen it before converting it."), code="lost")
    now = timezone.now()

    if contact is None:
        contact = Contact(
            **{field: getattr(lead, field) for field in CONTACT_FIELDS_FROM_LEAD},
            owner=lead.owner,
            source_lead=lead,
            created_by=by,
        )
        contact.full_clean()
        contact.save()
        contact_created = True
    else:
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        filled = [
            field
            for field in CONTACT_FIELDS_FROM_LEAD
            if not getattr(contact, field) and getattr(lead, field)
        ]
        for field in filled:
            setattr(contact, field, getattr(lead, field))
        if contact.source_lead_id is None:
            contact.source_lead = lead
            filled.append("source_lead")
        if filled:
            contact.full_clean()
            contact.save(update_fields=[*filled, "updated_at"])
        contact_created = False

    opportunity = None
    if create_opportunity:
        opportunity = Opportunity(
            name=opportunity_name.strip() or lead.company or lead.name,
            contact=contact,
            lead=lead,
            campaign=lead.campaign,
            amount=lead.expected_revenue if opportunity_amount is None else opportunity_amount,
            stage=first_stage(),
            owner=lead.owner,
            expected_close_date=expected_close_date,
        )
        opportunity_save(opportunity=opportunity, by=by)

    # The lead's interactions, tasks and deals follow it to the customer (and stay linked to the
    # lead), each change kept in the records' history.
    for related in (lead.interactions, lead.tasks, lead.opportunities):
        records = list(related.filter(contact__isnull=True))
        for record in records:
            record.contact = contact
            record.updated_at = now
        if records:
            bulk_update_with_history(
                records, related.model, ["contact", "updated_at"], default_user=by
            )

    lead.status = LeadStatus.CONVERTED
    lead.contact = contact
    lead.converted_at = now
    lead.converted_by = by
    lead.save(update_fields=["status", "contact", "converted_at", "converted_by", "updated_at"])

    if contact_created:
        subject = _("Converted to the new customer %(name)s") % {"name": contact.name}
    else:
        subject = _("Converted and attached to the customer %(name)s") % {"name": contact.name}
    Interaction.objects.create(
        kind=InteractionKind.NOTE,
        subject=subject[:200],
        notes=_("Opportunity created: %(name)s") % {"name": opportunity.name}
        if opportunity
        else "",
        occurred_at=now,
        lead=lead,
        contact=contact,
        opportunity=opportunity,
        created_by=by,
    )
    return Conversion(
        lead=lead, contact=contact, opportunity=opportunity, contact_created=contact_created
    )


def _apply_stage_rule(opportunity: Opportunity, *, from_stage: Stage | None, now) -> None:
    """Set probability, ``closed_at`` and the lost reason for the stage the deal is entering."""
    stage = opportunity.stage
    reopened = from_stage is not None and from_stage.is_closed and not stage.is_closed
    if stage.is_won:
        opportunity.probability = 100
        opportunity.lost_reason = ""
    elif stage.is_closed:
        if not opportunity.lost_reason.strip():
            raise ValidationError(
                {"lost_reason": _("Say why the opportunity was lost.")}, code="lost_reason"
            )
        opportunity.probability = 0
    else:
        if reopened:
            # Closing overwrote any hand-set figure with 100 or 0; start again from the stage's.
            opportunity.probability_is_manual = False
        if not opportunity.probability_is_manual:
            opportunity.probability = stage.default_probability
        opportunity.lost_reason = ""
    if stage.is_closed:
        if from_stage is None or not from_stage.is_closed or opportunity.closed_at is None:
            opportunity.closed_at = now
    else:
        opportunity.closed_at = None


@transaction.atomic
def opportunity_save(
    *, opportunity: Opportunity, by: AbstractBaseUser, probability_set_by_hand: bool = False
) -> Opportunity:
    """Create or update a deal, applying the stage rule and recording each stage change.

    ``probability_set_by_hand`` says the user typed the probability: later moves keep it (won
    and lost still force 100 and 0).
    """
    now = timezone.now()
    previous_stage = None
    if opportunity._state.adding:
        opportunity.created_by = by
        opportunity.fill_owner(by)
    else:
        previous_stage = (
            Opportunity.objects.select_for_update(of=("self",))
            .select_related("stage")
            .get(pk=opportunity.pk)
        ).stage
    if probability_set_by_hand:
        opportunity.probability_is_manual = True
    stage_changed = previous_stage is None or previous_stage.pk != opportunity.stage_id
    if stage_changed:
        _apply_stage_rule(opportunity, from_stage=previous_stage, now=now)
    opportunity.full_clean()
    opportunity.save()
    if stage_changed:
        StageChange.objects.create(
            opportunity=opportunity,
            from_stage=previous_stage,
            to_stage=opportunity.stage,
            changed_by=by,
            changed_at=now,
            amount=opportunity.amount,
            probability=opportunity.probability,
        )
    return opportunity


def opportunity_move_stage(
    *,
    opportunity: Opportunity,
    stage: Stage,
    by: AbstractBaseUser,
    lost_reason: str = "",
    probability: int | None = None,
) -> Opportunity:
    """Move a deal to ``stage``: the pipeline board, the deal's page and admin actions call this."""
    if lost_reason:
        opportunity.lost_reason = lost_reason.strip()
    if probability is not None:
        opportunity.probability = probability
    opportunity.stage = stage
    return opportunity_save(
        opportunity=opportunity, by=by, probability_set_by_hand=probability is not None
    )
