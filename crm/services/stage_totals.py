"""The board's kept stage totals (``StageTotal``): read, folded, recounted.

Each save or delete of a deal adds its row itself (``Opportunity.save``); this is the rest: the
totals the board and the dashboard's job read, folding the rows into one per stage once they are
many, and counting every deal afresh after a bulk load and every night.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connections, transaction
from django.db.models import Count, Sum

from ..models import ZERO, Opportunity, StageTotal
from ..models.base import expected_value
from ..models.pipeline import _totals_paused, summarise_stages

logger = logging.getLogger(__name__)

# The rows kept before a read folds them into one per stage.
FOLD_AFTER = 500


def pipeline_summary() -> dict:
    """The whole pipeline as ``OpportunityQuerySet.pipeline_summary`` gives it, from the kept
    totals (two small queries whatever the number of deals); past ``FOLD_AFTER`` rows they are
    folded first (a fold that meets a busy database is left to the next read)."""
    rows = StageTotal.objects.per_stage()
    if sum(row["rows"] for row in rows.values()) > FOLD_AFTER:
        try:
            stage_totals_fold()
        except OperationalError:  # SQLite's "database is locked", a lock timeout
            logger.warning("The stage totals were not folded this time", exc_info=True)
    return summarise_stages(rows)


def stage_totals_fold(*, using: str = "default") -> None:
    """One row per stage in place of its many, the sums unchanged.

    The rows folded are locked first: a second fold at the same moment waits, then finds them
    gone, and folds only what came after (nothing is counted twice).
    """
    totals = StageTotal.objects.using(using)
    with transaction.atomic(using=using):
        folded = list(
            totals.select_for_update()
            .order_by("pk")
            .values_list("pk", "stage_id", "count", "amount", "weighted")
        )
        if len(folded) <= len({row[1] for row in folded}):
            return
        sums: dict = {}
        for _pk, stage, count, amount, weighted in folded:
            was = sums.get(stage, (0, ZERO, ZERO))
            sums[stage] = (was[0] + count, was[1] + amount, was[2] + weighted)
        totals.filter(pk__in=[row[0] for row in folded]).delete()
        totals.bulk_create(
            StageTotal(stage_id=stage, count=count, amount=amount, weighted=weighted)
            for stage, (count, amount, weighted) in sums.items()
        )


def stage_totals_rebuild(*, using: str = "default") -> None:
    """Count every deal afresh (a bulk load's end; the nightly check that nothing drifted).

    Writers that add rows meanwhile wait (on PostgreSQL the table is locked against them for
    the sum's time), so none is lost or counted twice.
    """
    totals = StageTotal.objects.using(using)
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Writers queue behind the lock: one that holds a deal row this rebuild would
                # wait for, while waiting for the lock itself, would deadlock. Give up soon
                # instead (the nightly job retries).
                cursor.execute("SET LOCAL lock_timeout = '5s'")
                cursor.execute(f"LOCK TABLE {StageTotal._meta.db_table} IN EXCLUSIVE MODE")
        totals.all().delete()  # on SQLite, this write holds off every other writer
        sums = (
            Opportunity.objects.using(using)
            .order_by()
            .values("stage")
            .annotate(n=Count("*"), total=Sum("amount"), weighted_total=Sum(expected_value()))
        )
        totals.bulk_create(
            StageTotal(
                stage_id=row["stage"],
                count=row["n"],
                amount=row["total"] or ZERO,
                weighted=row["weighted_total"] or ZERO,
            )
            for row in sums
        )


@contextmanager
def rebuilt_after() -> Iterator[None]:
    """Skip the bookkeeping of each deal inside the block, then recount the totals once."""
    token = _totals_paused.set(True)
    try:
        yield
    finally:
        _totals_paused.reset(token)
    stage_totals_rebuild()
