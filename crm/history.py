"""A record's change history as people read it: who changed which fields, from what to what."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.utils import formats
from django.utils.translation import gettext_lazy as _

# Bookkeeping that changes on every save, or is derived from other fields: not news to anyone.
NOT_SHOWN = {
    "id",
    "updated_at",
    "created_at",
    "created_by",
    "search_text",
    "phone_e164",
    "email_key",
    "customer_name",  # its customer's or lead's name, kept for sorting
    "stage_entered_at",  # follows the stage, whose change is shown
}
ENTRIES_SHOWN = 20
NO_VALUE = "—"


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: object
    who: object
    kind: str  # "created", "changed" or "deleted"
    changes: list[Change] = field(default_factory=list)


KINDS = {"+": "created", "~": "changed", "-": "deleted"}


def record_history(record, limit: int = ENTRIES_SHOWN) -> list[Entry]:
    """The newest ``limit`` changes of ``record``, in a fixed number of queries.

    One query reads the history rows (one more than shown, to diff the oldest against); one
    query per kind of linked record turns the ids that changed into names.
    """
    rows = list(
        record.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    kept = {f.name for f in record.history.model._meta.concrete_fields}  # not the excluded ones
    shown = [
        f for f in type(record)._meta.concrete_fields if f.name not in NOT_SHOWN and f.name in kept
    ]
    diffs = []
    linked_ids = defaultdict(set)
    for index, row in enumerate(rows[:limit]):
        before = rows[index + 1] if index + 1 < len(rows) else None
        changed = []
        if row.history_type == "~" and before is not None:
            for model_field in shown:
                old = getattr(before, model_field.attname)
                new = getattr(row, model_field.attname)
                if old != new:
                    changed.append((model_field, old, new))
                    if model_field.is_relation:
                        linked_ids[model_field.related_model].update(
                            value for value in (old, new) if value is not None
                        )
        diffs.append((row, changed))
    names = {
        model: {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=ids)}
        for model, ids in linked_ids.items()
    }
    return [
        Entry(
            when=row.history_date,
            who=row.history_user,
            kind=KINDS.get(row.history_type, "changed"),
            changes=[
                Change(
                    label=str(model_field.verbose_name),
                    old=shown_value(model_field, old, names),
                    new=shown_value(model_field, new, names),
                )
                for model_field, old, new in changed
            ],
        )
        for row, changed in diffs
    ]


def shown_value(model_field, value, names) -> str:
    """A stored value as the record's page shows it."""
    if value is None or value == "":
        return NO_VALUE
    if model_field.is_relation:
        return names.get(model_field.related_model, {}).get(value, f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return str(_("yes") if value else _("no"))
    return str(formats.localize(value, use_l10n=True))
