"""Customers and campaigns: create, edit, delete (their rules are the records' own bounds)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ..models import Campaign, Contact
from .base import changed, create_record, delete_record, update_record
from .opportunities import refresh_customer_names


@transaction.atomic
def contact_create(*, by, data: Mapping[str, Any]) -> Contact:
    """A new customer, ``by`` its creator and (unless another is given) its owner."""
    return create_record(Contact, by=by, data=data)[0]


@transaction.atomic
def contact_update(
    *, contact: Contact, by, data: Mapping[str, Any], seen_version: datetime.datetime | None = None
) -> Contact:
    contact, changes = update_record(contact, by=by, data=data, seen_version=seen_version)
    if changed(changes, "name"):  # the row stays locked: no deal can read the old name now
        refresh_customer_names(contact.opportunities.all())
    return contact


def contact_delete(*, contact: Contact, by) -> None:
    """Delete the customer (managers); one with deals or leads pointing to it is kept."""
    delete_record(contact, by=by)


@transaction.atomic
def campaign_create(*, by, data: Mapping[str, Any]) -> Campaign:
    return create_record(Campaign, by=by, data=data)[0]


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    by,
    data: Mapping[str, Any],
    seen_version: datetime.datetime | None = None,
) -> Campaign:
    return update_record(campaign, by=by, data=data, seen_version=seen_version)[0]


def campaign_delete(*, campaign: Campaign, by) -> None:
    """Delete the campaign (managers); its leads and deals stay, without it."""
    delete_record(campaign, by=by)
