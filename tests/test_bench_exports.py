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
