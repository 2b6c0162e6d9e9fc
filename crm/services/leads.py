"""Leads: create, edit, mark lost, reopen, convert into a customer, delete."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from .. import events, notifications
from ..models import Contact, Interaction, InteractionKind, Lead, LeadStatus, Opportunity
from ..permissions import can_change
from .base import (
    Changes,
    announce,
    changed,
    create_record,
    delete_record,
    lock,
    require,
    update_record,
    write_fields,
)
from .opportunities import opportunity_create, refresh_customer_names

# The lead's fields that a new customer takes, and that fill an existing customer's blanks.
CONTACT_FIELDS_FROM_LEAD = ("name", "company", "title", "email", "phone")


@dataclass(frozen=True)
class Conversion:
    """What converting a lead produced."""

    lead: Lead
    contact: Contact
    opportunity: Opportunity | None
    contact_created: bool


def _status_rule(lead: Lead, before: Mapping[str, Any] | None) -> None:
    """ "Converted" comes from conversion alone and stays; a reason belongs to lost leads only."""
    was = before["status"] if before else None
    if lead.status == LeadStatus.CONVERTED and was != LeadStatus.CONVERTED:
        raise ValidationError(
            {"status": _("A lead becomes converted only through conversion to a customer.")},
            code="converted",
        )
    if was == LeadStatus.CONVERTED and lead.status != LeadStatus.CONVERTED:
        raise ValidationError({"status": _("A converted lead stays converted.")}, code="converted")
    lead.lost_reason = lead.lost_reason.strip() if lead.status == LeadStatus.LOST else ""


def _announce_changes(lead: Lead, by, changes: Changes) -> None:
    announce(
        events.LeadAssigned(lead, by, changes) if changed(changes, "owner") else None,
        events.LeadStatusChanged(lead, by, changes) if changed(changes, "status") else None,
    )


@transaction.atomic
def lead_create(*, by, data: Mapping[str, Any]) -> Lead:
    """A new lead, ``by`` its creator and (unless another is given) its owner."""
    lead, changes = create_record(
        Lead, by=by, data=data, prepare=lambda new: _status_rule(new, None)
    )
    announce(events.LeadCreated(lead, by, changes))
    return lead


@transaction.atomic
def lead_update(
    *, lead: Lead, by, data: Mapping[str, Any], seen_version: datetime.datetime | None = None
) -> Lead:
    """Change the lead's fields in ``data``; refuse a stale edit and an un-conversion."""
    lead, changes = update_record(
        lead, by=by, data=data, seen_version=seen_version, rule=_status_rule
    )
    if changed(changes, "name"):  # its deals without a customer show (and sort by) its name
        refresh_customer_names(lead.opportunities.filter(contact__isnull=True))
    _announce_changes(lead, by, changes)
    return lead


@transaction.atomic
def lead_mark_lost(*, lead: Lead, by, reason: str) -> Lead:
    """Give up on the lead, saying why."""

    def lose(lead: Lead) -> None:
        if lead.is_converted:
            raise ValidationError(_("A converted lead cannot be marked lost."), code="converted")
        if not (reason or "").strip():
            raise ValidationError({"lost_reason": _("Say why the lead was lost.")}, code="reason")
        lead.status = LeadStatus.LOST
        lead.lost_reason = reason.strip()

    lead, changes = write_fields(lead, by=by, rule=lose)
    _announce_changes(lead, by, changes)
    return lead


@transaction.atomic
def lead_reopen(*, lead: Lead, by) -> Lead:
    """Bring a lost lead back as new."""

    def reopen(lead: Lead) -> None:
        if lead.status != LeadStatus.LOST:
            raise ValidationError(_("Only a lost lead can be reopened."), code="not_lost")
        lead.status = LeadStatus.NEW
        lead.lost_reason = ""

    lead, changes = write_fields(lead, by=by, rule=reopen)
    _announce_changes(lead, by, changes)
    return lead


def lead_delete(*, lead: Lead, by) -> None:
    """Delete the lead (managers); one that became a customer or a deal is kept."""
    delete_record(lead, by=by)


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by,
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
    # The row lock makes a second, simultaneous conversion (or a mark-lost) wait and then see
    # the lead as it was left.
    lead = lock(Lead, lead.pk)
    require(can_change(by, lead) and by.has_perm("crm.add_contact"))
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(_("This lead has already been converted."), code="converted")
    if lead.status == LeadStatus.LOST:
        raise ValidationError(_("This lead is lost: reopen it before converting it."), code="lost")
    now = timezone.now()
    status_before = lead.status

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
        contact = lock(Contact, contact.pk)
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
        # The owner is told once, of the conversion (not also of "a deal given to you").
        with notifications.held():
            opportunity = opportunity_create(
                by=by,
                data={
                    "name": opportunity_name.strip() or lead.company or lead.name,
                    "contact": contact,
                    "lead": lead,
                    "campaign": lead.campaign,
                    "amount": lead.expected_revenue
                    if opportunity_amount is None
                    else opportunity_amount,
                    "owner": lead.owner,
                    "expected_close_date": expected_close_date,
                },
            )

    # The lead's interactions, tasks and deals follow it to the customer (and stay linked to the
    # lead), each change kept in the records' history.
    for related in (lead.interactions, lead.tasks, lead.opportunities):
        # Locked in id order, as every writer of several records takes them (see apply_each).
        records = list(related.filter(contact__isnull=True).select_for_update().order_by("pk"))
        for record in records:
            record.contact = contact
            record.updated_at = now
        if records:
            bulk_update_with_history(
                records, related.model, ["contact", "updated_at"], default_user=by
            )
    # Its deals now name the customer (bulk_update_with_history skips their save()).
    refresh_customer_names(lead.opportunities.filter(contact=contact))

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
    changes = {
        "status": (status_before, LeadStatus.CONVERTED),
        "contact": (None, contact.pk),
    }
    announce(
        events.LeadStatusChanged(lead, by, changes),
        events.LeadConverted(lead, by, changes),
    )
    return Conversion(
        lead=lead, contact=contact, opportunity=opportunity, contact_created=contact_created
    )
