"""The export benchmark counts what it downloaded and measures it (bench_crm --exports)."""

import pytest

from benchmarks.exports import lines, time_exports
from crm.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_the_export_benchmark_reads_every_row_and_measures_it(rep):
    LeadFactory.create_batch(30, notes="two\nlines")
    results = time_exports(rep, records=("lead",))
    assert [(result.kind, result.rows, result.status) for result in results] == [
        ("csv", 30, 200),
        ("xlsx", 30, 200),
    ]
    for result in results:
        assert result.seconds > 0 and result.peak_bytes > 0 and result.size_bytes > 0
        assert result.rows_per_second > 0
    text = "\n".join(lines(results))
    assert "Exports (rep, whole list)" in text and "xlsx" in text


def test_bench_crm_exports_prints_them_in_its_document():
    from .test_bench import run_bench, seed_tiny

    seed_tiny()
    document = run_bench("--only", "search everything", "--exports")
    assert {row["kind"] for row in document["rows"]} == {"search"}
    exports = {(row["record"], row["format"]): row for row in document["exports"]}
    assert set(exports) == {(r, k) for r in ("lead", "opportunity") for k in ("csv", "xlsx")}
    assert all(row["status"] == 200 and row["rows"] > 0 for row in exports.values())
