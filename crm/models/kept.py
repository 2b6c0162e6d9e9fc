"""Totals kept as their records change: the board's sums per stage, each campaign's lead counts.

Summing a million rows to sort 500 campaigns, or to head the board's columns, costs a page most of
its time. Instead each save or delete of a counted record adds a row of what it changed to its
group's totals (never an UPDATE of a shared row: concurrent writers neither wait for one another
nor deadlock), in the record's own transaction; a group's totals are the sums of its rows. The rows
are written by the record's own ``save()`` and delete, so every path that writes it (services,
factories, cascades, a history revert) keeps them; folding the rows and counting them afresh are
``services.kept_totals``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable

from django.db import connections, models, router, transaction
from django.db.models import Count, Sum
from django.db.models.signals import post_delete, post_save

# Set while a bulk write (a seed, a reset) changes records without their bookkeeping; the totals
# are counted afresh once it is done (``services.kept_totals.rebuilt_after``).
paused: contextvars.ContextVar[bool] = contextvars.ContextVar("kept_totals_paused", default=False)


class KeptTotalQuerySet(models.QuerySet):
    def record(self, before: tuple | None, after: tuple | None) -> None:
        """Keep the change from ``before`` to ``after`` (each a share, see ``KeptTotal.share_of``,
        or None for a record that counts nowhere)."""
        if before == after or paused.get():
            return
        rows = []
        if before is not None:
            rows.append(self.model.row(before, sign=-1))
        if after is not None:
            rows.append(self.model.row(after, sign=1))
        self.bulk_create(rows)

    def sums(self) -> dict:
        """``{group id: {sum name: value, …, "rows": n}}``: each group's sums, named as
        ``SUMS`` names them, and how many rows they came from."""
        model = self.model
        annotations = {name: Sum(field) for name, field in model.SUMS.items()}
        return {
            row[model.GROUP]: row
            for row in self.order_by().values(model.GROUP).annotate(**annotations, rows=Count("*"))
        }


class KeptTotal(models.Model):
    """A change to one group's totals. A concrete subclass names its group (``GROUP``, a foreign
    key), its sums (``SUMS``: name read → field kept), the fields of the counted record its share
    depends on (``WATCHED``), and how one record's share and every record's sums are computed;
    ``@keeps_totals_of(Model)`` connects it to the records it counts."""

    GROUP: str
    SUMS: dict[str, str]
    WATCHED: tuple[str, ...]
    counted: type[models.Model]

    objects = KeptTotalQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def share_of(cls, *watched) -> tuple | None:
        """What one record adds, from its ``WATCHED`` values: (group id, *one value per SUMS
        field), or None when it counts nowhere."""
        raise NotImplementedError

    @classmethod
    def counted_afresh(cls, using: str) -> Iterable[tuple]:
        """Each group's sums over every record there is, as shares: (group id, *values)."""
        raise NotImplementedError

    @classmethod
    def share(cls, record) -> tuple | None:
        return cls.share_of(*(getattr(record, name) for name in cls.WATCHED))

    @classmethod
    def row(cls, share: tuple, *, sign: int = 1) -> KeptTotal:
        group, *values = share
        fields = dict(zip(cls.SUMS.values(), (sign * value for value in values), strict=True))
        return cls(**{f"{cls.GROUP}_id": group}, **fields)


class KeepsTotals(models.Model):
    """A record counted in kept totals (see the module): its saves record what they change."""

    kept_totals: tuple[type[KeptTotal], ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        written = None
        if update_fields is not None:
            written = {self._meta.get_field(name).attname for name in update_fields}
        totals = [
            total for total in self.kept_totals if written is None or written & {*total.WATCHED}
        ]
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        before = {total: self.kept_before(total, using) for total in totals}
        # The record and its totals' change are written together (no savepoint of their own).
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)
            kept = self.__dict__.setdefault("_kept", {})
            for total in totals:
                kept[total] = total.share(self)
                total.objects.using(using).record(before[total], kept[total])

    @classmethod
    def from_db(cls, db, field_names, values):
        record = super().from_db(db, field_names, values)
        loaded = record.__dict__
        record._kept = {
            total: total.share(record)
            for total in cls.kept_totals
            if all(name in loaded for name in total.WATCHED)
        }
        return record

    def kept_before(self, total: type[KeptTotal], using: str) -> tuple | None:
        """What the stored row counts for in ``total`` (None for a new record)."""
        if self._state.adding and self.pk is None:
            return None
        kept = self.__dict__.get("_kept", {})
        if not self._state.adding and total in kept:
            return kept[total]
        # Made by hand (a history revert builds the record anew, with its id), or read in part.
        stored = (
            type(self)._base_manager.using(using).filter(pk=self.pk).values_list(*total.WATCHED)
        )
        return total.share_of(*stored[0]) if stored else None

    def kept_before_delete(self, total: type[KeptTotal]) -> tuple | None:
        kept = self.__dict__.get("_kept", {})
        return kept[total] if total in kept else total.share(self)


def keeps_totals_of(counted: type[KeepsTotals]):
    """Class decorator: the ``KeptTotal`` counts ``counted`` records."""

    def connect(total: type[KeptTotal]) -> type[KeptTotal]:
        total.counted = counted
        counted.kept_totals = (*counted.kept_totals, total)
        label = f"crm.kept_totals.{counted.__name__}"
        post_delete.connect(record_deleted, sender=counted, dispatch_uid=f"{label}.deleted")
        post_save.connect(record_loaded, sender=counted, dispatch_uid=f"{label}.loaded")
        return total

    return connect


def record_deleted(sender, instance: KeepsTotals, using, **kwargs) -> None:
    """A deleted record leaves its totals (in the delete's transaction)."""
    for total in sender.kept_totals:
        total.objects.using(using).record(instance.kept_before_delete(total), None)


class _Rebuild:
    """The recount a raw load asks for once it commits: one per database and transaction."""

    def __init__(self, using: str):
        self.using = using

    def __call__(self):
        from ..services.kept_totals import kept_totals_rebuild

        kept_totals_rebuild(using=self.using)


_REBUILDS: dict[str, _Rebuild] = {}


def record_loaded(sender, instance: KeepsTotals, raw: bool, using, **kwargs) -> None:
    """A record written by ``loaddata`` (a raw save, without ``save()``): the totals are counted
    afresh once the load commits (once however many records it wrote; a load rolled back asks
    for nothing)."""
    if not raw:
        return
    rebuild = _REBUILDS.setdefault(using, _Rebuild(using))
    connection = connections[using]
    if any(entry[1] is rebuild for entry in connection.run_on_commit):
        return
    transaction.on_commit(rebuild, using=using)
