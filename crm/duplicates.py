"""Possible duplicates: the leads and customers that share a record's email or phone.

Compared by their normal forms (``crm.phones``), an indexed equality each. A warning, never a
refusal: two people may share a company switchboard, and the rep decides (as HubSpot and
Pipedrive let them). A lead and the customer it was converted into are one person, not each
other's duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Contact, Lead
from .phones import normalize_email, normalize_phone

SHOWN = 5  # of each kind


@dataclass(frozen=True)
class LookAlike:
    record: models.Model
    kind: str
    same_email: bool
    same_phone: bool


@dataclass(frozen=True)
class LookAlikes:
    matches: tuple[LookAlike, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.matches)

    @property
    def count(self) -> int:
        return len(self.matches)


def look_alikes(*, email: str = "", phone: str = "", record: models.Model | None = None):
    """The leads and customers (at most ``SHOWN`` of each) sharing ``email`` or ``phone``,
    other than ``record`` itself and the lead or customer it is the other half of."""
    email_key, e164 = normalize_email(email), normalize_phone(phone)
    leads = Lead.objects.sharing(email=email, phone=phone)
    contacts = Contact.objects.sharing(email=email, phone=phone)
    if isinstance(record, Lead) and record.pk:
        leads = leads.exclude(pk=record.pk)
        if record.contact_id:
            contacts = contacts.exclude(pk=record.contact_id)
    elif isinstance(record, Contact) and record.pk:
        contacts = contacts.exclude(pk=record.pk)
        leads = leads.exclude(contact=record.pk)

    def found(rows, kind):
        return [
            LookAlike(
                record=row,
                kind=kind,
                same_email=bool(email_key) and row.email_key == email_key,
                same_phone=bool(e164) and row.phone_e164 == e164,
            )
            for row in rows.select_related("owner").order_by("-created_at", "-pk")[:SHOWN]
        ]

    return LookAlikes(
        (*found(contacts, _("Customer")), *found(leads, _("Lead"))),
    )
