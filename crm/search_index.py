"""SQLite's counterpart of the trigram indexes PostgreSQL gets (migration 0003): FTS5 tables.

Each searchable record's table gets an FTS5 table with the trigram tokenizer over its
``search_text`` column, kept in step by triggers (so bulk inserts, ``update()`` and deletes are
covered as well as saves). A substring search then reads the trigrams of what was typed instead
of scanning every row. Migrations may rebuild a table (SQLite drops its triggers then) or drop
the column, so the triggers are taken off before migrations run and put back after, and the
index is rebuilt whenever they had to be.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connections

# The FTS5 trigram tokenizer needs SQLite 3.34; older ones search without the index.
MINIMUM_SQLITE = (3, 34, 0)
# Shorter words have no trigram to look up: they are matched by scanning search_text.
MINIMUM_TERM = 3


def searchable_tables() -> list[str]:
    """The tables of the records with a ``search_text`` column."""
    return sorted(
        model._meta.db_table
        for model in apps.get_app_config("crm").get_models()
        if any(field.name == "search_text" for field in model._meta.concrete_fields)
    )


def index_table(table: str) -> str:
    return f"{table}_search"


def supported(connection) -> bool:
    if connection.vendor != "sqlite":
        return False
    import sqlite3

    return sqlite3.sqlite_version_info >= MINIMUM_SQLITE


def phrase(term: str) -> str:
    """An FTS5 query for ``term`` anywhere in the text.

    With the trigram tokenizer a quoted phrase is a substring match, read from the index alone
    (a LIKE or GLOB would also test each candidate row's text). Inside the quotes every
    character is literal; a quote is doubled.
    """
    return '"' + term.replace('"', '""') + '"'


def trigger_sql(table: str) -> dict[str, str]:
    fts = index_table(table)
    remove = (
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    )
    add = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);"
    return {
        f"{fts}_insert": f"AFTER INSERT ON {table} BEGIN {add} END",
        f"{fts}_delete": f"AFTER DELETE ON {table} BEGIN {remove} END",
        f"{fts}_update": f"AFTER UPDATE OF search_text ON {table} BEGIN {remove} {add} END",
    }


def ensure(using: str = "default") -> list[str]:
    """Make the FTS5 tables and triggers that are missing; returns the tables rebuilt."""
    connection = connections[using]
    if not supported(connection):
        return []
    rebuilt = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        existing = {(kind, name) for kind, name in cursor.fetchall()}
        for table in searchable_tables():
            fts = index_table(table)
            if ("table", table) not in existing or not has_search_text(cursor, table):
                # Migrated back to before the column existed: nothing to index.
                cursor.execute(f"DROP TABLE IF EXISTS {fts}")
                continue
            triggers = trigger_sql(table)
            missing = [name for name in triggers if ("trigger", name) not in existing]
            if ("table", fts) in existing and not missing:
                continue
            if ("table", fts) not in existing:
                cursor.execute(
                    f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', "
                    f"content_rowid='id', tokenize='trigram')"
                )
            for name in missing:
                cursor.execute(f"CREATE TRIGGER {name} {triggers[name]}")
            # Rows written while a trigger was missing are not in the index: read them all again.
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
            rebuilt.append(table)
    return rebuilt


def has_search_text(cursor, table: str) -> bool:
    cursor.execute(f"PRAGMA table_info({table})")
    return any(column[1] == "search_text" for column in cursor.fetchall())


def drop_triggers(using: str = "default") -> None:
    """Remove the triggers (migrations may rebuild or change the tables they watch)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table in searchable_tables():
            for name in trigger_sql(table):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def drop(using: str = "default") -> None:
    """Remove the triggers and the FTS5 tables; the next ``migrate`` makes them again."""
    drop_triggers(using)
    if connections[using].vendor != "sqlite":
        return
    with connections[using].cursor() as cursor:
        for table in searchable_tables():
            cursor.execute(f"DROP TABLE IF EXISTS {index_table(table)}")


def before_migrate(sender, using="default", plan=None, **kwargs) -> None:
    """``pre_migrate``: when migrations will run, take the triggers off the tables first.

    A migration may rebuild a table (SQLite's way to alter one) or drop ``search_text``;
    ``after_migrate`` puts the triggers back and rebuilds the index from the tables.
    """
    if sender.label == "crm" and plan:
        drop_triggers(using)


def after_migrate(sender, using="default", **kwargs) -> None:
    """``post_migrate``: keep the index in step with the tables migrations may have rebuilt."""
    if sender.label == "crm":
        ensure(using)
