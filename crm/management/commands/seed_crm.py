"""``manage.py seed_crm``: fill the CRM with a realistic demo team and a year of its work.

The options are read here; the records come from ``crm.demo.generator``, the users from
``crm.demo.team``, and ``crm.demo.bulk`` writes them in batches, so a hundred thousand leads take
seconds.
"""

from __future__ import annotations

import argparse
import time
from random import Random

import factory.random
from django.core.management.base import BaseCommand
from django.db import transaction

from crm import automation
from crm.demo import bulk, rules, team
from crm.demo.generator import Demo
from crm.models import Lead
from crm.services import kept_totals

# Rows per INSERT. Read when the command runs, so a test can make batches small.
BATCH_SIZE = 2000
# --option: (default, help) for the size of each kind of record.
SIZES = {
    "campaigns": (8, "How many campaigns"),
    "leads": (300, "How many leads"),
    "contacts": (80, "How many customers made directly, not from leads"),
    "opportunities": (120, "How many opportunities"),
    "interactions": (600, "How many interactions"),
    "tasks": (150, "How many tasks"),
    "conversions": (20, "How many of the leads to convert through the real conversion rule"),
}
# --scale presets: sizes, reps and years of history. "1m" is the scale target.
SCALES = {
    "demo": {"reps": 4, "years": 1},
    "100k": {
        "campaigns": 50,
        "leads": 100_000,
        "contacts": 20_000,
        "opportunities": 30_000,
        "interactions": 200_000,
        "tasks": 50_000,
        "conversions": 200,
        "reps": 12,
        "years": 3,
    },
    "1m": {
        "campaigns": 500,
        "leads": 1_000_000,
        "contacts": 200_000,
        "opportunities": 300_000,
        "interactions": 2_000_000,
        "tasks": 500_000,
        "conversions": 500,
        "reps": 40,
        "years": 3,
    },
}
# Seeds of this many records or more drop the indexes first and build them at the end.
BIG_SEED = 200_000


def record_count(value: str) -> int:
    """An argparse type: a whole number of records, zero or more."""
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be zero or more")
    return number


class Command(BaseCommand):
    help = (
        "Fill the CRM with a realistic demo in Arabic and English: a sales manager and reps, "
        "campaigns, leads, customers, deals, interactions and tasks over the last twelve months. "
        "Users are kept if they exist; --reset deletes every CRM record (never users or stages)."
    )

    def add_arguments(self, parser):
        sizes = parser.add_argument_group("sizes")
        for name, (default, what) in SIZES.items():
            sizes.add_argument(f"--{name}", type=record_count, help=f"{what} (default {default}).")
        parser.add_argument(
            "--scale",
            choices=list(SCALES),
            default="demo",
            help="Preset sizes: demo (the defaults), 100k or 1m leads with the other records in "
            "proportion, over three years. A size option given as well wins over the preset.",
        )
        parser.add_argument(
            "--reps", type=record_count, help="How many sales reps, rep1..repN (default 4)."
        )
        parser.add_argument(
            "--years",
            type=record_count,
            help="How many years back the records' dates go (default 1; 3 for the big scales).",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Write no change history for the seeded records: a synthetic data set's "
            "history is noise, and skipping it halves the writes of a big seed.",
        )
        parser.add_argument(
            "--password",
            help="Password for the demo users. Without it, new users get a random one, printed "
            "at the end, and existing users keep theirs.",
        )
        parser.add_argument(
            "--seed", type=int, help="Make a repeatable demo: same seed, same records."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing but print the login line if the CRM already has leads.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete every CRM record first (users and pipeline stages are kept).",
        )

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        password = options["password"]
        preset = SCALES[options["scale"]]

        def chosen(name, default):
            # An option given on the command line, else the preset's value, else the default.
            return options[name] if options[name] is not None else preset.get(name, default)

        sizes = {name: chosen(name, default) for name, (default, _) in SIZES.items()}
        reps, years = chosen("reps", 4), max(1, chosen("years", 1))
        if options["if_empty"] and Lead.objects.exists():
            self.info("The CRM already has data: nothing seeded.")
            self.stdout.write(team.existing_login_line(password))
            return

        started = time.monotonic()
        progress = bulk.ProgressBar(
            self.stdout.write, verbosity=self.verbosity, batch_size=BATCH_SIZE, started=started
        )
        rng = Random(options["seed"])
        if options["seed"] is not None:
            # Factories draw from factory-boy's own generator: seed it too, for anything built.
            factory.random.reseed_random(options["seed"])

        big = sum(sizes.values()) >= BIG_SEED
        # Deals and leads are loaded in bulk: their kept totals are counted once, at the end.
        # The demo's own writes (its conversions) set off no automation rule.
        with (
            transaction.atomic(),
            automation.rules_off(),
            kept_totals.rebuilt_after(),
            bulk.indexes_built_after(enabled=big, note=self.info),
        ):
            if options["reset"]:
                bulk.reset(note=self.info)
            manager, reps, password, kept = team.ensure_users(rng, reps, password)
            before = bulk.totals()
            demo = Demo(
                rng=rng,
                manager=manager,
                reps=reps,
                progress=progress,
                batch_size=BATCH_SIZE,
                years=years,
                history=not options["no_history"],
            )
            demo.make_campaigns(sizes["campaigns"])
            demo.make_contacts(sizes["contacts"])
            demo.make_leads(sizes["leads"], conversions=sizes["conversions"])
            demo.make_opportunities(sizes["opportunities"])
            demo.make_interactions(sizes["interactions"])
            demo.make_tasks(sizes["tasks"])
            demo.convert_leads()
            rules.ensure_rules(manager)
            for warning in demo.warnings:
                self.stderr.write(warning)
            added = {name: total - before[name] for name, total in bulk.totals().items()}

        bulk.refresh_statistics(note=self.info)
        made = ", ".join(f"{count} {name}" for name, count in added.items())
        seconds = time.monotonic() - started
        self.info(f"Seeded in {seconds:.1f}s: {made}; {demo.converted} leads converted.")
        for line in team.login_lines(manager, reps, password, kept):
            self.stdout.write(line)

    def info(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)
