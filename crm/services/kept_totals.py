"""Kept totals (``models.kept``): read, folded, counted afresh.

Each save or delete of a counted record adds its rows itself (``KeepsTotals.save``); this is the
rest: the sums the board, the dashboard's job and the campaign list read, folding the rows into one
per group once they are many, and counting every record afresh after a bulk load and every night.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.db import OperationalError, connections, transaction

from ..models import StageTotal
from ..models.kept import KeptTotal, paused
from ..models.pipeline import summarise_stages

logger = logging.getLogger(__name__)

# The rows kept before a read folds them into one per group.
FOLD_AFTER = 500


def kept_total_models() -> list[type[KeptTotal]]:
    models = apps.get_app_config("crm").get_models()
    return [model for model in models if issubclass(model, KeptTotal)]


def pipeline_summary() -> dict:
    """The whole pipeline as ``OpportunityQuerySet.pipeline_summary`` gives it, from the kept
    totals (two small queries whatever the number of deals)."""
    rows = StageTotal.objects.sums()
    if sum(row["rows"] for row in rows.values()) > FOLD_AFTER:
        fold_soon(StageTotal)
    return summarise_stages(rows)


def fold_if_many(total: type[KeptTotal]) -> None:
    """Fold ``total``'s rows if there are ``FOLD_AFTER`` more than its groups (a count of the
    groups, a few hundred, and an indexed probe to know): folded, one row a group is left."""
    groups = total._meta.get_field(total.GROUP).related_model._default_manager.count()
    limit = groups + FOLD_AFTER
    if total.objects.order_by("pk")[limit : limit + 1].exists():
        fold_soon(total)


def fold_soon(total: type[KeptTotal]) -> None:
    """Fold now; a fold that meets a busy database is left to the next read."""
    try:
        kept_totals_fold(total)
    except OperationalError:  # SQLite's "database is locked", a lock timeout
        name = total._meta.verbose_name_plural
        logger.warning("The %s were not folded this time", name, exc_info=True)


def kept_totals_fold(total: type[KeptTotal], *, using: str = "default") -> None:
    """One row per group in place of its many, the sums unchanged.

    The rows folded are locked first: a second fold at the same moment waits, then finds them
    gone, and folds only what came after (nothing is counted twice).
    """
    rows = total.objects.using(using)
    fields = list(total.SUMS.values())
    with transaction.atomic(using=using):
        folded = list(
            rows.select_for_update().order_by("pk").values_list("pk", f"{total.GROUP}_id", *fields)
        )
        if len(folded) <= len({row[1] for row in folded}):
            return
        sums: dict = {}
        for _pk, group, *values in folded:
            was = sums.get(group, [0] * len(fields))
            sums[group] = [a + b for a, b in zip(was, values, strict=True)]
        rows.filter(pk__in=[row[0] for row in folded]).delete()
        rows.bulk_create(total.row((group, *values)) for group, values in sums.items())


def kept_totals_rebuild(*, using: str = "default") -> None:
    """Count every record afresh into every kept total (a bulk load's end; the nightly check
    that nothing drifted).

    Writers that add rows meanwhile wait (on PostgreSQL the tables are locked against them for
    the sums' time), so none is lost or counted twice.
    """
    totals = kept_total_models()
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Writers queue behind the lock: one that holds a record this recount would
                # wait for, while waiting for the lock itself, would deadlock. Give up soon
                # instead (the nightly job retries).
                cursor.execute("SET LOCAL lock_timeout = '5s'")
                tables = ", ".join(total._meta.db_table for total in totals)
                cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        for total in totals:
            rows = total.objects.using(using)
            rows.all().delete()  # on SQLite, this write holds off every other writer
            rows.bulk_create(total.row(share) for share in total.counted_afresh(using))


@contextmanager
def rebuilt_after() -> Iterator[None]:
    """Skip the bookkeeping of each counted record inside the block, then count once."""
    token = paused.set(True)
    try:
        yield
    finally:
        paused.reset(token)
    kept_totals_rebuild()
