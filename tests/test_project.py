"""The project as ops meet it: migrations, deploy checks, fixtures."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm.models import Stage

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def test_migrate_builds_default_stages():
    stages = list(
        Stage.objects.order_by("order").values_list(
            "code", "name_ar", "default_probability", "is_closed", "is_won"
        )
    )
    assert stages == [
        ("prospecting", "استكشاف", 10, False, False),
        ("qualification", "تأهيل", 25, False, False),
        ("proposal", "عرض", 50, False, False),
        ("negotiation", "تفاوض", 75, False, False),
        ("closing", "إغلاق", 90, False, False),
        ("closed_won", "مغلقة - ربح", 100, True, True),
        ("closed_lost", "مغلقة - خسارة", 0, True, False),
    ]


def codenames(group_name):
    return set(Group.objects.get(name=group_name).permissions.values_list("codename", flat=True))


def test_migrate_builds_roles_with_permissions():
    rep = codenames("Sales rep")
    manager = codenames("Sales manager")
    assert {"add_lead", "change_lead", "view_campaign", "change_task"} <= rep
    assert not {c for c in rep if c.startswith("delete_")}
    assert {"delete_lead", "delete_opportunity", "change_stage", "delete_campaign"} <= manager


def test_no_missing_migrations():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrations_reverse_to_zero_and_forward_again():
    from crm import search_index

    # What `migrate` does around the migrations (its pre_ and post_migrate signals), without
    # the other apps' post_migrate, which would recreate content types under the test's feet.
    executor = MigrationExecutor(connection)
    leaf = executor.loader.graph.leaf_nodes("crm")
    search_index.drop_triggers()
    executor.migrate([("crm", None)])
    search_index.ensure()
    assert "crm_lead" not in connection.introspection.table_names()
    executor = MigrationExecutor(connection)
    search_index.drop_triggers()
    executor.migrate(leaf)
    search_index.ensure()
    assert Stage.objects.count() == 7
    assert Group.objects.filter(name__in=["Sales rep", "Sales manager"]).count() == 2
    # The search index (FTS5 on SQLite) came back with the tables, and follows new rows.
    from crm.factories import LeadFactory
    from crm.models import Lead
    from crm.search import search

    LeadFactory(name="Migrated Marwan")
    assert [lead.name for lead in search(Lead.objects.all(), "marwan")] == ["Migrated Marwan"]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-value-123456",
        "ALLOWED_HOSTS": "crm.example.com",
        "DJANGO_SETTINGS_MODULE": "crm_project.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def without_secret_key(*command: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(DJANGO_SETTINGS_MODULE="crm_project.settings", ALLOWED_HOSTS="crm.example.com")
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("entry_point", ["crm_project.wsgi", "crm_project.asgi"])
def test_server_refuses_to_start_without_secret_key_in_production(entry_point):
    result = without_secret_key("-c", f"import {entry_point}")
    assert result.returncode != 0
    assert "Set SECRET_KEY in the environment" in result.stderr


def test_check_deploy_fails_without_secret_key():
    result = without_secret_key("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_commands_needing_no_secret_run_without_one():
    result = without_secret_key("manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
