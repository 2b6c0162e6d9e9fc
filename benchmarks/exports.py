"""The export's speed and memory: a list's whole CSV and XLSX, through the page a rep uses.

Each export is requested in process (Django's test client, as the pages are), its body read to
the end as a browser would download it; the time is wall-clock from the request to the last
byte, and the memory is the peak of Python's allocations during it (``tracemalloc``), which
stays flat when rows stream and grows with the rows when they do not.
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
import tracemalloc
from dataclasses import dataclass

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

# The lists exported whole.
EXPORTED = ("lead", "opportunity")


@dataclass
class ExportResult:
    record: str
    kind: str
    rows: int
    seconds: float
    peak_bytes: int
    size_bytes: int
    status: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "record": self.record,
            "format": self.kind,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second),
            "peak_mib": round(self.peak_bytes / 2**20, 1),
            "size_mib": round(self.size_bytes / 2**20, 1),
            "status": self.status,
        }


def download(response, into) -> int:
    """The response's body written to the file ``into``, chunk by chunk as a browser saves it
    (so the benchmark holds no copy of it); its size in bytes."""
    size = 0
    for chunk in response.streaming_content if response.streaming else [response.content]:
        into.write(chunk)
        size += len(chunk)
    return size


def export(client: Client, url: str, params: dict, kind: str, into):
    response = client.get(url, {**params, "view": "0", "export": kind})
    return response, download(response, into)


def count_rows(kind: str, saved) -> int:
    saved.seek(0)
    if kind == "csv":
        text = io.TextIOWrapper(saved, encoding="utf-8-sig", newline="")
        rows = sum(1 for _row in csv.reader(text)) - 1
        text.detach()
        return max(rows, 0)
    sheet = load_workbook(saved, read_only=True).worksheets[0]
    return max((sheet.max_row or 1) - 1, 0)


def time_export(client: Client, record: str, kind: str, params: dict | None = None):
    """One export of ``record``'s list as ``kind`` (csv or xlsx): timed on its own, then
    requested again under ``tracemalloc`` for its peak memory (which slows it down)."""
    url = reverse(f"crm:{record}-list")
    params = params or {}
    with tempfile.TemporaryFile() as saved:
        started = time.perf_counter()
        response, size = export(client, url, params, kind, saved)
        seconds = time.perf_counter() - started
        rows = count_rows(kind, saved)
    with tempfile.TemporaryFile() as again:
        tracemalloc.start()
        export(client, url, params, kind, again)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return ExportResult(record, kind, rows, seconds, peak, size, response.status_code)


def time_exports(user, records=EXPORTED, kinds=("csv", "xlsx")) -> list[ExportResult]:
    client = Client()
    client.force_login(user)
    return [time_export(client, record, kind) for record in records for kind in kinds]


def lines(results: list[ExportResult]) -> list[str]:
    out = [
        "",
        "Exports (rep, whole list)",
        f"{'list':<14} {'format':<6} {'rows':>9} {'seconds':>8} {'rows/s':>9} "
        f"{'peak MiB':>8} {'file MiB':>8}  status",
    ]
    for result in results:
        row = result.as_dict()
        out.append(
            f"{row['record']:<14} {row['format']:<6} {row['rows']:>9} {row['seconds']:>8.2f} "
            f"{row['rows_per_second']:>9} {row['peak_mib']:>8} {row['size_mib']:>8}  "
            f"{row['status']}"
        )
    return out
