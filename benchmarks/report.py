"""The benchmark's output: the text report, the JSON document and the progress lines."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .pages import ARABIC_SEARCH
from .timing import FLOOR_LIMITS, Result

if TYPE_CHECKING:
    from .runner import Run

# How the table groups rows, in this order.
KINDS = {
    "list": "Lists (rep)",
    "detail": "Detail pages (rep)",
    "board": "Pipeline board (rep)",
    "dashboard": "Dashboard (rep)",
    "convert": "Lead conversion (rep)",
    "search": "Search everything (rep)",
    "floor": "The floor: a plain admin changelist of leads (manager)",
    "admin": "Admin changelists (manager)",
}
SLOW = "SLOW"  # marks a page over its limit in floors


def number(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def table(results: list[Result]) -> list[str]:
    """The results as text, one group per kind of page."""
    width = min(max((len(result.page.name) for result in results), default=10), 72)
    header = (
        f"{'page':<{width}}  {'median ms':>9}  {'p95 ms':>8}  {'queries':>7}  "
        f"{'× admin':>7}  {'× floor':>7}  status"
    )
    lines = []
    for kind, title in KINDS.items():
        rows = [result for result in results if result.page.kind == kind]
        if not rows:
            continue
        lines += ["", title, header, "-" * len(header)]
        for result in rows:
            lines.append(
                f"{result.page.name[:width]:<{width}}  {number(result.median_ms):>9}  "
                f"{number(result.p95_ms):>8}  {number(result.queries, 0):>7}  "
                f"{number(result.ratio, 2):>7}  {number(result.floor_ratio, 2):>7}  "
                f"{result.status or '—'}"
                + (f"  {SLOW} (over {result.floor_limit}× the floor)" if result.over_floor else "")
                + (f"  {result.error[:80]}" if result.error else "")
            )
    return lines


def floor_lines(results: list[Result]) -> list[str]:
    """The floor's median, each admin changelist against it, and every page over its limit."""
    floor = next((result for result in results if result.page.kind == "floor"), None)
    if floor is None or floor.median_ms is None:
        return []
    lines = [
        "",
        f"Against the floor ({number(floor.median_ms)} ms median; limits: admin "
        f"{FLOOR_LIMITS['admin']}×, reps' lists {FLOOR_LIMITS['list']}×):",
    ]
    admin = [result for result in results if result.page.kind == "admin" and result.median_ms]
    width = max((len(result.page.name) for result in admin), default=10)
    for result in admin:
        lines.append(
            f"  {result.page.name:<{width}}  {number(result.median_ms):>8} ms  "
            f"{number(result.floor_ratio, 2):>5}×" + (f"  {SLOW}" if result.over_floor else "")
        )
    lists = [result for result in results if result.page.kind == "list"]
    if lists:
        worst = max(lists, key=lambda result: result.floor_ratio or 0)
        lines.append(f"  reps' lists: worst {number(worst.floor_ratio, 2)}× ({worst.page.name})")
    slow = [result for result in results if result.over_floor]
    if slow:
        lines.append(f"  {len(slow)} page(s) over the limit: {SLOW} in the tables")
    else:
        lines.append("  every admin changelist and every reps' list is within its limit")
    return lines


def load_lines(load: dict) -> list[str]:
    lines = [
        "",
        f"Load test: {load['server']}",
        f"{load['concurrency']} client threads for {load['seconds']}s (the last requests done at "
        f"{load['elapsed']}s): {load['requests']} "
        f"requests, {load['rps']} requests/s, p50 {number(load['p50_ms'])} ms, "
        f"p99 {number(load['p99_ms'])} ms, {load['errors']} errors",
    ]
    width = max(len(page["name"]) for page in load["pages"])
    for page in load["pages"]:
        lines.append(
            f"  {page['name']:<{width}}  {page['requests']:>6} requests  "
            f"p50 {number(page['p50_ms']):>8} ms  p99 {number(page['p99_ms']):>8} ms  "
            f"{page['errors']} errors"
        )
    for sample in load["error_samples"]:
        lines.append(f"  error: {sample['page']}: {sample['status']} {sample['error']}")
    return lines


def text(run: Run) -> str:
    """The run as the command prints it: where, as whom, then the tables."""
    machine, plan = run.machine, run.plan
    database = machine["database"]
    rows = ", ".join(
        f"{label.removeprefix('crm.')} {count}"
        for label, count in machine["rows"].items()
        if not label.startswith("crm.Historical")
    )
    history = sum(
        count for label, count in machine["rows"].items() if label.startswith("crm.Historical")
    )
    lines = [
        f"Database: {database['vendor']} {database['name']}",
        f"Rows: {rows}; history rows {history}",
        f"Machine: {machine['cpu_count']} CPUs, {machine['platform']}, Python "
        f"{machine['python']}, Django {machine['django']}; load average "
        f"{machine['load_average']['before']} before the run, "
        f"{machine['load_average']['after']} after",
        f"In process, DEBUG={machine['debug']}"
        + (" (Django also logs every query, a small extra cost)" if machine["debug"] else ""),
        f"As {run.user.username} (admin: {run.admin_user.username}); {run.warmup} warm-up and "
        f"{run.repeat} timed requests per page",
        "Searched for: "
        + ", ".join(f"{record} {word!r}" for record, word in plan.words.items())
        + f", and {ARABIC_SEARCH!r}",
    ]
    if plan.skipped_filters:
        lines.append("Filters not timed (unknown kind): " + ", ".join(plan.skipped_filters))
    lines += table(run.results)
    lines += floor_lines(run.results)
    if run.load:
        lines += load_lines(run.load)
    if run.failed:
        lines += ["", f"{len(run.failed)} page(s) failed:"]
        lines += [f"  {result.page.name}: {result.status} {result.error}" for result in run.failed]
    return "\n".join(lines)


def document(run: Run) -> str:
    """The run as a JSON document: the machine, the run's settings, a row per page, the load."""
    return json.dumps(
        {
            "machine": run.machine,
            "run": {
                "user": run.user.username,
                "admin_user": run.admin_user.username,
                "repeat": run.repeat,
                "warmup": run.warmup,
                "only": run.only,
                "search_words": {**run.plan.words, "arabic": ARABIC_SEARCH},
                "skipped_filters": run.plan.skipped_filters,
            },
            "rows": [result.as_dict() for result in run.results],
            "load": run.load,
        },
        ensure_ascii=False,
        indent=2,
    )


def progress_line(done: int, total: int, result: Result) -> str:
    timing = "failed" if not result.ok else f"{number(result.median_ms)} ms"
    return f"[{done:>3}/{total}] {result.page.name}: {timing}"
