"""What every write service shares: rights, the locked row, the version check, changed fields.

A service creates, updates or deletes one record for an acting user (``by``):

- it checks ``by``'s right on the stored row, locked for the rest of the transaction, so a
  rule is checked against what is really there, not against a copy a page read earlier;
- an update applies ``data`` (field name → value) to that locked row and writes only the
  fields whose values differ, so a stage move never overwrites an edit made meanwhile;
- an edit that started from an older version of the record is refused (``StaleEdit``);
- what changed is returned, for the service to announce once the transaction commits.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import events
from ..permissions import can_change, can_create, can_delete

NOT_ALLOWED = gettext_lazy("You are not allowed to do that.")
STALE = gettext_lazy(
    "Someone else changed this record while you were editing it, so your changes were not "
    "saved. Reload the page to see theirs; saving this form again will overwrite them."
)
# Bookkeeping that every save rewrites: never a change anyone made.
NOT_COMPARED = {"updated_at", "search_text", "phone_e164", "email_key", "customer_name"}

Changes = dict[str, tuple[Any, Any]]


class StaleEdit(ValidationError):
    """The record changed since the edit began; ``current_version`` is its ``updated_at`` now."""

    def __init__(self, current_version: datetime.datetime):
        super().__init__(STALE, code="stale")
        self.current_version = current_version


def require(allowed: bool) -> None:
    """Refuse with a 403 (``PermissionDenied``) unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)


def lock(model: type[models.Model], pk) -> models.Model:
    """The stored row ``pk``, locked until the transaction ends (``model.DoesNotExist`` if gone).

    No join: PostgreSQL re-reads a locked row that a concurrent transaction changed, and with
    a join that re-read can find no row at all.
    """
    return model._default_manager.select_for_update().get(pk=pk)


def snapshot(record: models.Model) -> dict[str, Any]:
    """The record's stored values by field name (a link as its id)."""
    return {
        f.name: getattr(record, f.attname)
        for f in record._meta.concrete_fields
        if f.name not in NOT_COMPARED
    }


def diff(before: Mapping[str, Any], record: models.Model) -> Changes:
    """The fields of ``record`` whose values differ from ``before``, as (old, new)."""
    after = snapshot(record)
    return {name: (old, after[name]) for name, old in before.items() if after[name] != old}


def check_version(record: models.Model, seen_version: datetime.datetime | None) -> None:
    """Refuse an edit that began from another version (``None``: the caller checks none)."""
    if seen_version is not None and record.updated_at != seen_version:
        raise StaleEdit(record.updated_at)


def check_fields(model: type[models.Model], data: Mapping[str, Any]) -> None:
    """Only the fields people fill in may be written through ``data``."""
    unknown = set(data) - set(model.EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"{model.__name__} fields not editable here: {sorted(unknown)}")


def create_record(
    model: type[models.Model],
    *,
    by,
    data: Mapping[str, Any],
    prepare: Callable[[models.Model], None] | None = None,
) -> tuple[models.Model, Changes]:
    """Make a ``model`` from ``data``, ``by`` as its creator (and owner, if none is given).

    ``prepare`` applies the record's own rules before the right to create it is checked.
    Call inside a transaction.
    """
    check_fields(model, data)
    record = model(**data)
    record.created_by = by
    if hasattr(record, "fill_owner"):
        record.fill_owner(by)
    if prepare is not None:
        prepare(record)
    require(can_create(by, record))
    record.full_clean()
    record.save()
    changes = {name: (None, value) for name, value in snapshot(record).items() if value}
    return record, changes


def update_record(
    record: models.Model,
    *,
    by,
    data: Mapping[str, Any],
    seen_version: datetime.datetime | None = None,
    rule: Callable[[models.Model, dict[str, Any]], None] | None = None,
) -> tuple[models.Model, Changes]:
    """Apply ``data`` to the stored, locked row of ``record`` and write what differs.

    ``rule(locked, before)`` enforces the record's rules on the changed row (``before`` holds
    the stored values). Returns the saved row and its changes; no change, no write.
    Call inside a transaction.
    """
    model = type(record)
    check_fields(model, data)
    locked = lock(model, record.pk)
    require(can_change(by, locked))
    check_version(locked, seen_version)
    before = snapshot(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    if rule is not None:
        rule(locked, before)
    changes = save_changes(locked, before)
    return locked, changes


def write_fields(record: models.Model, *, by, rule: Callable[[models.Model], None]):
    """Lock ``record``'s row, check ``by`` may change it, let ``rule`` change it, save.

    For transitions (mark lost, complete, reopen) whose fields the service sets itself.
    Returns the saved row and its changes. Call inside a transaction.
    """
    locked = lock(type(record), record.pk)
    require(can_change(by, locked))
    before = snapshot(locked)
    rule(locked)
    changes = save_changes(locked, before)
    return locked, changes


def save_changes(locked: models.Model, before: Mapping[str, Any]) -> Changes:
    """Validate and write the fields of ``locked`` that differ from ``before`` (if any)."""
    if not diff(before, locked):
        return {}
    locked.full_clean()  # may derive fields of its own (a task's completed_at)
    changes = diff(before, locked)
    locked.save(update_fields=[*changes, "updated_at"])
    return changes


@transaction.atomic
def delete_record(record: models.Model, *, by) -> None:
    """Delete ``record`` if ``by`` may; a record others still point to is refused, with why."""
    locked = lock(type(record), record.pk)
    require(can_delete(by, locked))
    try:
        locked.delete()
    except (ProtectedError, RestrictedError) as error:
        linked = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
        raise ValidationError(
            _("%(record)s cannot be deleted while these records point to it: %(linked)s.")
            % {"record": locked, "linked": ", ".join(linked)},
            code="protected",
        ) from error


def take_saved(copy: models.Model, saved: models.Model) -> None:
    """Make a caller's own copy of a record (the admin's form instance, an import's row) the
    row the service saved: its id, its values, its links."""
    for model_field in saved._meta.concrete_fields:
        setattr(copy, model_field.attname, getattr(saved, model_field.attname))
    copy._state.adding = False
    copy._state.db = saved._state.db
    copy._state.fields_cache = dict(saved._state.fields_cache)


def announce(*happened: events.Event | None) -> None:
    """Emit each event (``None`` skipped) once the transaction commits; the events of one
    write (an owner and a status changed together) are one chain, so a rule runs once for it."""
    told = [event for event in happened if event is not None]
    if len(told) > 1 and not events.chain_id.get():
        told = [dataclasses.replace(event, chain=told[0].chain) for event in told]
    for event in told:
        events.emit(event)


def changed(changes: Changes, *names: str) -> bool:
    return any(name in changes for name in names)


@dataclass(frozen=True)
class RecordServices:
    """The create, update and delete services of one record, callable alike for any record
    (the admin, imports and the generic pages use these)."""

    create: Callable[..., models.Model]
    update_by_name: Callable[..., models.Model]
    delete_by_name: Callable[..., None]
    argument: str  # the name under which the record's own services take it

    def update(self, record, *, by, data, seen_version=None):
        return self.update_by_name(
            **{self.argument: record}, by=by, data=data, seen_version=seen_version
        )

    def delete(self, record, *, by):
        return self.delete_by_name(**{self.argument: record}, by=by)
