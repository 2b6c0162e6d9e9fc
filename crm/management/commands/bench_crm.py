"""``manage.py bench_crm``: time every page of the CRM on the current database (see crm.bench)."""

from __future__ import annotations

import argparse
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm import bench


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
        "record, on page 1 and searched. Each page: --warmup untimed requests, --repeat timed "
        "ones (median and 95th percentile in milliseconds), then one more to count its SQL "
        "queries. A list's ratio is its median over the median of the admin changelist of the "
        "same record (a search against the admin's search for the same words, anything else "
        "against the admin's page 1). Any page that does not answer 200 is shown and makes the "
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
            "and the admin's.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print a JSON document instead of the table."
        )
        parser.add_argument(
            "--load",
            metavar="SECONDS",
            type=bounded(0, bench.LOAD_MAX_SECONDS),
            default=0,
            help=f"Run the HTTP load test for SECONDS (at most {bench.LOAD_MAX_SECONDS}; "
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
        # The test client calls itself "testserver".
        if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        user = self.get_user(options["user"])
        if not user.groups.filter(name=bench.REP_GROUP).exists():
            raise CommandError(f"{user.username} is not in the group {bench.REP_GROUP!r}.")
        admin_user = self.get_user(options["admin_user"])
        if not admin_user.is_staff:
            raise CommandError(f"{admin_user.username} is not staff: the admin would refuse.")

        load_before = bench.load_average()
        plan = bench.plan_pages(user)
        pages = plan.pages
        if options["only"]:
            pages = [page for page in pages if any(text in page.name for text in options["only"])]
            if not pages:
                raise CommandError(f"No page's name contains any of {options['only']}.")
        results = bench.time_pages(
            pages,
            user=user,
            admin_user=admin_user,
            repeat=options["repeat"],
            warmup=options["warmup"],
            progress=self.progress,
        )
        load = None
        if options["load"]:
            self.note(f"Load test: {options['load']}s ...")
            load = bench.run_load(
                user=user,
                records=plan.records,
                seconds=options["load"],
                concurrency=options["concurrency"],
                workers=options["workers"],
            )

        machine = bench.machine_info(load_before=load_before)
        if options["json"]:
            document = {
                "machine": machine,
                "run": {
                    "user": user.username,
                    "admin_user": admin_user.username,
                    "repeat": options["repeat"],
                    "warmup": options["warmup"],
                    "only": options["only"],
                    "search_words": {**plan.words, "arabic": bench.ARABIC_SEARCH},
                    "skipped_filters": plan.skipped_filters,
                },
                "rows": [result.as_dict() for result in results],
                "load": load,
            }
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
        else:
            self.print_report(machine, plan, results, options, user, admin_user, load)

        failed = [result for result in results if not result.ok]
        problems = [f"{result.page.name}: {result.status} {result.error}" for result in failed]
        if load and load["errors"]:
            problems.append(f"load test: {load['errors']} errors")
        if problems:
            raise CommandError(
                f"{len(problems)} failure(s):\n" + "\n".join(f"  {line}" for line in problems)
            )

    def get_user(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"No user {username!r}: run seed_crm first.") from error

    def note(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stderr.write(message)

    def progress(self, done: int, total: int, result: bench.Result) -> None:
        if self.verbosity >= 1:
            timing = "failed" if not result.ok else f"{bench.number(result.median_ms)} ms"
            self.stderr.write(f"[{done:>3}/{total}] {result.page.name}: {timing}")

    def print_report(self, machine, plan, results, options, user, admin_user, load) -> None:
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
            f"As {user.username} (admin: {admin_user.username}); {options['warmup']} warm-up and "
            f"{options['repeat']} timed requests per page",
            "Searched for: "
            + ", ".join(f"{record} {word!r}" for record, word in plan.words.items())
            + f", and {bench.ARABIC_SEARCH!r}",
        ]
        if plan.skipped_filters:
            lines.append("Filters not timed (unknown kind): " + ", ".join(plan.skipped_filters))
        lines += bench.table(results)
        if load:
            lines += bench.load_lines(load)
        failed = [result for result in results if not result.ok]
        if failed:
            lines += ["", f"{len(failed)} page(s) failed:"]
            lines += [f"  {result.page.name}: {result.status} {result.error}" for result in failed]
        self.stdout.write("\n".join(lines))
