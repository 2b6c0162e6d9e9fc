"""Loading many records fast: batched inserts with their history, the indexes built once at the end.

Also what goes with it: the progress bar of a long load, emptying the CRM before one, and the
planner's statistics refreshed after it. ``note`` is where the few lines of news are written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from itertools import islice

from django.apps import apps
from django.db import connection, models, reset_queries
from simple_history.utils import bulk_create_with_history

from crm.models import (
    Campaign,
    Contact,
    Interaction,
    Lead,
    Opportunity,
    StageChange,
    Task,
    fill_search_text,
)

# Models in the order --reset empties them: each one only after everything that points to it.
RESET_ORDER = (Interaction, Task, StageChange, Opportunity, Lead, Contact, Campaign)

# Plain English names for the command's own output, whatever the site's language.
NAMES = {
    Campaign: "campaigns",
    Lead: "leads",
    Contact: "contacts",
    Opportunity: "opportunities",
    StageChange: "stage changes",
    Interaction: "interactions",
    Task: "tasks",
}
SUMMARY_ORDER = (Campaign, Lead, Contact, Opportunity, Interaction, Task)


@dataclass
class ProgressBar:
    """A progress bar on long runs (a line per batch); small runs stay quiet unless -v 2."""

    write: Callable[[str], None]
    verbosity: int
    batch_size: int
    started: float

    def __call__(self, label: str, done: int, total: int) -> None:
        if self.verbosity >= 2 or (self.verbosity >= 1 and total > self.batch_size):
            filled = round(20 * done / total) if total else 20
            bar = "█" * filled + "·" * (20 - filled)
            elapsed = time.monotonic() - self.started
            self.write(f"{label:>13} [{bar}] {done:>9,}/{total:,}  {elapsed:6.1f}s")


def batches(rows: Iterable, size: int) -> Iterator[list]:
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


@contextmanager
def explicit_created_at(model: type[models.Model]):
    """Let ``bulk_create`` keep the ``created_at`` we give instead of stamping now."""
    # auto_now_add overwrites any value on insert, and the demo must look like a year of work;
    # switching it off around one insert costs nothing, where updating every row afterwards
    # would write each row twice.
    field = model._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def insert(
    model: type[models.Model],
    rows: Iterable,
    *,
    label: str,
    total: int,
    batch_size: int,
    history: bool,
    progress: Callable[[str, int, int], None],
    keep: Callable | None = None,
) -> list:
    """``bulk_create`` the rows in batches, reporting progress; return ``keep`` of each row."""
    kept = []
    done = 0
    has_created_at = any(field.name == "created_at" for field in model._meta.fields)
    for batch in batches(rows, batch_size):
        fill_search_text(batch)  # bulk_create skips save(), which would do it
        with explicit_created_at(model) if has_created_at else nullcontext():
            if history and hasattr(model, "history"):  # records start with history
                bulk_create_with_history(batch, model, batch_size=len(batch))
            else:
                model.objects.bulk_create(batch)
        if keep is not None:
            kept.extend(keep(obj) for obj in batch)
        # With DEBUG on, Django keeps every query's SQL: thousands of 2,000-row inserts.
        reset_queries()
        done += len(batch)
        progress(label, done, total)
    return kept


@contextmanager
def indexes_built_after(*, enabled: bool, note: Callable[[str], None]):
    """For a big seed, the records' own indexes are dropped first and built at the end.

    Building an index once from sorted rows is much cheaper than updating some thirty
    indexes row by row; at a million leads this is minutes. Inside the seed's transaction
    (both databases change their schema transactionally), so a failed seed gives every
    index back. Only the indexes the models name (Meta.indexes) and PostgreSQL's trigram
    indexes are deferred; keys and foreign-key indexes stay.
    """
    if not enabled:
        yield
        return
    models_with_indexes = [
        model for model in apps.get_app_config("crm").get_models() if model._meta.indexes
    ]
    trigram = trigram_indexes()
    # The statements alone: SQLite's schema editor cannot be entered inside a transaction.
    editor = connection.schema_editor()
    named = [(model, index) for model in models_with_indexes for index in model._meta.indexes]
    note("Dropping the indexes, to build them once the rows are in...")
    with connection.cursor() as cursor:
        for _model, index in named:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(index.name)}")
        for name, _definition in trigram:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    started = time.monotonic()
    if connection.vendor == "postgresql":
        # Foreign keys are checked at commit: check them now, as PostgreSQL builds no index
        # on a table with checks still pending.
        connection.check_constraints()
    with connection.cursor() as cursor:
        for model, index in named:
            cursor.execute(str(index.create_sql(model, editor)))
        for _name, definition in trigram:
            cursor.execute(definition)
    note(f"Indexes built in {time.monotonic() - started:.1f}s.")


def trigram_indexes() -> list[tuple[str, str]]:
    """PostgreSQL's trigram indexes on search_text (migration 0003): names and definitions."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND indexname LIKE %s",
            ["crm\\_%\\_search\\_trgm"],
        )
        return cursor.fetchall()


def refresh_statistics(*, note: Callable[[str], None]) -> None:
    """Let the query planner see the new rows at once, rather than at its next sweep.

    PostgreSQL also gets a VACUUM, which marks the new pages all-visible so that the lists'
    index-only scans need not visit the table (not possible inside a transaction, where
    tests run; ANALYZE alone is done there).
    """
    note("Updating the database's statistics...")
    tables = [model._meta.db_table for model in apps.get_app_config("crm").get_models()]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            return
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        for table in tables:
            cursor.execute(f"{command} {connection.ops.quote_name(table)}")


def reset(*, note: Callable[[str], None]) -> None:
    """Delete every CRM record, dependents first; users and stages stay."""
    # A converted lead must keep its contact (a constraint), so only the contacts' link back
    # to their lead is cut; leads then go before the contacts they point to.
    Contact.objects.filter(source_lead__isnull=False).update(source_lead=None)
    for model in RESET_ORDER:
        deleted, _ = model.objects.all().delete()
        if hasattr(model, "history"):
            # A reset starts the demo over: its records' history goes with them.
            model.history.all().delete()
        if deleted:
            note(f"Deleted {deleted} {NAMES[model]}.")


def totals() -> dict[str, int]:
    """How many of each record there are, by their plain English names."""
    return {NAMES[model]: model.objects.count() for model in SUMMARY_ORDER}
