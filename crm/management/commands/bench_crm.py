"""``manage.py bench_crm``: time every page of the CRM on the current database (see benchmarks)."""

from __future__ import annotations

import argparse
import json

from django.core.management.base import BaseCommand, CommandError

from benchmarks import report
from benchmarks.exports import lines as export_lines
from benchmarks.exports import time_exports
from benchmarks.load import LOAD_MAX_SECONDS
from benchmarks.runner import run_benchmark
from benchmarks.timing import Result


def bounded(low: int, high: int | None = None):
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(value: str) -> int:
        number = int(value)
        if number < low or (high is not None and number > high):
            raise argparse.ArgumentTypeError(
                f"must be from {low} to {high}" if high is not None else f"must be {low} or more"
            )
        return number

    return parse


class Command(BaseCommand):
    help = (
        "Time every page a user touches, on the database the settings point to (seed it first "
        "with seed_crm). In process, through Django's test client, logged in as a sales rep "
        "(--user): each list on page 1, its middle and last page, searched for a common word of "
        "its data and for an Arabic name, with each filter of its FilterSet (one representative "
        "value each) and sorted by each sortable column both ways; a detail page of each record "
        "(one with many related rows), the pipeline board, the dashboard and the convert page "
        "of an open lead; and, as a staff manager (--admin-user), the admin changelist of each "
        "record, on page 1 and searched, and the floor: a plain ModelAdmin changelist of the "
        "lead table (model fields only, list_select_related; on an admin site of its own, "
        "mounted only while the benchmark runs). Each page: --warmup untimed requests, --repeat "
        "timed ones (median and 95th percentile in milliseconds), then one more to count its SQL "
        "queries. A list's ratio is its median over the median of the admin changelist of the "
        "same record (a search against the admin's search for the same words, anything else "
        "against the admin's page 1); every list and admin changelist also gets its ratio to "
        "the floor's median, and is marked SLOW above 1.5 (admin) or 1.0 (a rep's list). Any "
        "page that does not answer 200 is shown and makes the "
        "command exit non-zero. --load SECONDS then serves the app with gunicorn on 127.0.0.1 "
        "(production settings, DEBUG=false, HTTPS settings off, static files collected into a "
        "temporary directory) and requests a fixed mix of pages from --concurrency threads: "
        "requests per second, p50/p99 latency and errors (any error also exits non-zero)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--user", default="rep1", help="The sales rep the pages are opened as (default rep1)."
        )
        parser.add_argument(
            "--admin-user",
            default="manager",
            help="The staff user the admin changelists are opened as (default manager).",
        )
        parser.add_argument(
            "--repeat",
            type=bounded(1),
            default=20,
            help="Timed requests per page (default 20).",
        )
        parser.add_argument(
            "--warmup",
            type=bounded(0),
            default=2,
            help="Untimed requests per page before timing it (default 2).",
        )
        parser.add_argument(
            "--only",
            metavar="PATTERN",
            action="append",
            help="Time only the pages whose name contains PATTERN, e.g. 'lead' or 'q='; give it "
            "again for more. A list's ratio needs its admin row: 'lead' keeps both 'lead-list' "
            "and the admin's; the floor is kept whenever a list or admin page is.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print a JSON document instead of the table."
        )
        parser.add_argument(
            "--exports",
            action="store_true",
            help="Also export the whole lead and deal lists to CSV and XLSX, and print rows "
            "per second and peak memory.",
        )
        parser.add_argument(
            "--load",
            metavar="SECONDS",
            type=bounded(0, LOAD_MAX_SECONDS),
            default=0,
            help=f"Run the HTTP load test for SECONDS (at most {LOAD_MAX_SECONDS}; "
            "default 0: no load test). Needs gunicorn.",
        )
        parser.add_argument(
            "--concurrency",
            type=bounded(1, 64),
            default=8,
            help="Client threads of the load test (default 8).",
        )
        parser.add_argument(
            "--workers",
            type=bounded(1, 16),
            default=2,
            help="gunicorn worker processes of the load test (default 2).",
        )

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        run = run_benchmark(
            username=options["user"],
            admin_username=options["admin_user"],
            repeat=options["repeat"],
            warmup=options["warmup"],
            only=options["only"],
            load_seconds=options["load"],
            concurrency=options["concurrency"],
            workers=options["workers"],
            progress=self.progress,
            note=self.note,
        )
        exported = time_exports(run.user) if options["exports"] else []
        if options["json"]:
            document = json.loads(report.document(run))
            document["exports"] = [result.as_dict() for result in exported]
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(report.text(run))
            if exported:
                self.stdout.write("\n".join(export_lines(exported)))
        problems = run.problems + [
            f"export {result.record} {result.kind}: {result.status}"
            for result in exported
            if result.status != 200
        ]
        if problems:
            raise CommandError(
                f"{len(problems)} failure(s):\n" + "\n".join(f"  {line}" for line in problems)
            )

    def note(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stderr.write(message)

    def progress(self, done: int, total: int, result: Result) -> None:
        if self.verbosity >= 1:
            self.stderr.write(report.progress_line(done, total, result))
