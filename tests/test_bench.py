"""The benchmark: ``manage.py bench_crm`` over a tiny seeded CRM."""

import importlib.util
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from benchmarks import pages
from crm.models import Lead

TINY = {
    "campaigns": 3,
    "leads": 30,
    "contacts": 8,
    "opportunities": 12,
    "interactions": 30,
    "tasks": 12,
    "conversions": 3,
    "seed": 7,
    "password": "bench-password-1",
}


def seed_tiny() -> None:
    call_command("seed_crm", stdout=io.StringIO(), stderr=io.StringIO(), **TINY)


def run_bench(*args) -> dict:
    """One quick pass of the benchmark, as its JSON document."""
    out = io.StringIO()
    call_command(
        "bench_crm", "--repeat", "1", "--warmup", "0", "--json", *args,
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return json.loads(out.getvalue())


def params(row: dict) -> dict[str, list[str]]:
    return parse_qs(urlsplit(row["url"]).query)


@pytest.mark.django_db
def test_bench_crm_times_every_page():
    seed_tiny()

    document = run_bench()

    rows = document["rows"]
    assert rows
    for row in rows:
        assert row["status"] == 200, row
        assert row["queries"] > 0, row
        assert 0 <= row["median_ms"] <= row["p95_ms"], row
    kinds = {row["kind"] for row in rows}
    assert kinds == {
        "list", "detail", "board", "dashboard", "convert", "admin", "floor", "search",
    }  # fmt: skip
    searched = [row["url"] for row in rows if row["kind"] == "search"]
    assert len(searched) == 3 and all(url.startswith("/crm/search?q=") for url in searched)
    (floor,) = [row for row in rows if row["kind"] == "floor"]
    assert "/bench-floor/" in floor["url"]
    for row in rows:
        if row["kind"] in ("list", "admin"):
            assert isinstance(row["floor_ratio"], float) and row["floor_ratio"] > 0, row
    for record in pages.RECORDS:
        view = pages.list_view(record)
        lists = [row for row in rows if row["kind"] == "list" and row["record"] == record]
        assert {row["variant"] for row in lists} == {
            "page1", "middle", "last", "search", "filter", "sort",
        }  # fmt: skip
        searched = {params(row)["q"][0] for row in lists if row["variant"] == "search"}
        assert pages.ARABIC_SEARCH in searched
        assert len(searched) == 2
        sent = set().union(*(params(row) for row in lists if row["variant"] == "filter"))
        for name in view.filterset_class.base_filters:
            assert name == "q" or name in sent or f"{name}_after" in sent, name
        sorted_by = {params(row)["ordering"][0] for row in lists if row["variant"] == "sort"}
        assert sorted_by == {*view.sort_fields, *(f"-{key}" for key in view.sort_fields)}
        for row in lists:
            assert isinstance(row["ratio"], float) and row["ratio"] > 0, row
        assert [row["kind"] for row in rows if row["record"] == record].count("detail") == 1
        admin = [row for row in rows if row["kind"] == "admin" and row["record"] == record]
        assert sorted(row["variant"] for row in admin) == ["page1", "search", "search"]
    machine = document["machine"]
    assert machine["database"]["vendor"] == connection.vendor
    assert machine["rows"]["crm.Lead"] == Lead.objects.count()
    assert machine["cpu_count"] >= 1
    assert machine["python"] and machine["django"]
    assert document["load"] is None


@pytest.mark.django_db
def test_bench_crm_only_keeps_the_matching_pages():
    seed_tiny()

    document = run_bench("--only", "campaign-")

    names = [row["name"] for row in document["rows"]]
    # The matching pages, and the floor their ratios need.
    assert names[0] == pages.FLOOR_NAME
    assert names[1:]
    assert all("campaign-" in name for name in names[1:])


@pytest.mark.django_db
def test_bench_crm_failing_page_is_reported_and_fails_the_command(monkeypatch):
    seed_tiny()

    def broken(*args, **kwargs):
        raise RuntimeError("dashboard broke")

    monkeypatch.setattr("crm.views.DashboardView.get_context_data", broken)
    out = io.StringIO()

    with pytest.raises(CommandError, match="dashboard"):
        call_command(
            "bench_crm", "--repeat", "1", "--warmup", "0", "--json", "--only", "dashboard",
            stdout=out, stderr=io.StringIO(),
        )  # fmt: skip

    rows = json.loads(out.getvalue())["rows"]
    assert [row["name"] for row in rows] == [
        "dashboard",
        "dashboard, team figures stale",
        "dashboard, no team figures kept",
    ]
    assert all(row["status"] == 500 for row in rows)
    assert all("dashboard broke" in row["error"] for row in rows)


@pytest.mark.django_db
def test_bench_crm_refuses_a_user_who_is_not_a_rep():
    seed_tiny()

    with pytest.raises(CommandError, match="Sales rep"):
        run_bench("--user", "manager")


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("gunicorn") is None, reason="gunicorn is not installed"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bench_crm_load_test_serves_the_mix_without_errors():
    if connection.vendor == "sqlite":
        pytest.skip(
            "the SQLite test database lives in memory, out of gunicorn's reach: run with "
            "DATABASE_URL=postgres://..."
        )
    # Committed (transaction=True), so gunicorn, given this test database, sees the data.
    seed_tiny()

    document = run_bench("--only", "dashboard", "--load", "2", "--concurrency", "2")

    load = document["load"]
    assert load["requests"] > 0
    assert load["rps"] > 0
    assert load["errors"] == 0
    assert {page["name"].split(" ")[0] for page in load["pages"]} == {
        "lead-list", "lead-detail", "dashboard", "opportunity-board", "opportunity-list",
    }  # fmt: skip
