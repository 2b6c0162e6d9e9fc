"""``manage.py seed_crm``: fill the CRM with a realistic demo team and a year of its work.

Rows are made with a plain ``random.Random`` and the word lists of ``crm.factories``, and written
with ``bulk_create`` in batches, so a hundred thousand leads take seconds. Conversions go through
the real rule, ``services.lead_convert``, so converted leads look exactly as the app makes them.
"""

from __future__ import annotations

import argparse
import datetime
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from random import Random

import factory.random
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, reset_queries, transaction
from django.utils import timezone, translation
from simple_history.utils import bulk_create_with_history

from crm import factories as words
from crm.models import (
    ZERO,
    Campaign,
    CampaignKind,
    CampaignStatus,
    Contact,
    Interaction,
    InteractionKind,
    InteractionOutcome,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    Stage,
    StageChange,
    Task,
    TaskPriority,
    TaskStatus,
    fill_search_text,
)
from crm.services import lead_convert

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
DAY = datetime.timedelta(days=1)
# Seeds of this many records or more drop the indexes first and build them at the end.
BIG_SEED = 200_000
SECOND = datetime.timedelta(seconds=1)
YEAR = 365 * DAY

MANAGER_USERNAME = "manager"
SALES_MANAGER = "Sales manager"
SALES_REP = "Sales rep"

# Models in the order --reset empties them: each one only after everything that points to it.
RESET_ORDER = (Interaction, Task, StageChange, Opportunity, Lead, Contact, Campaign)

# Plain English names for the command's own output, whatever the site's language.
NAMES = {
    Campaign: "campaigns",
    Lead: "leads",
    Contact: "contacts",
    Opportunity: "opportunities",
    StageChange: "stage changes",
    Interaction: "interactions",
    Task: "tasks",
}
SUMMARY_ORDER = (Campaign, Lead, Contact, Opportunity, Interaction, Task)

# Latin spellings for e-mail addresses of the Arabic names in crm.factories.
LATIN = {
    "أحمد": "ahmed", "محمد": "mohammed", "فاطمة": "fatima", "عائشة": "aisha", "خالد": "khalid",
    "سارة": "sara", "يوسف": "yousef", "مريم": "maryam", "عمر": "omar", "ليلى": "layla",
    "إبراهيم": "ibrahim", "نورة": "noura", "علي": "ali", "هدى": "huda", "سلمى": "salma",
    "طارق": "tariq", "ريم": "reem", "حسن": "hassan", "آمنة": "amna", "زينب": "zainab",
    "العتيبي": "alotaibi", "القحطاني": "alqahtani", "الشمري": "alshammari", "الحربي": "alharbi",
    "الزهراني": "alzahrani", "المالكي": "almalki", "الغامدي": "alghamdi", "الدوسري": "aldosari",
    "السبيعي": "alsubaie", "العنزي": "alanazi", "الخطيب": "alkhatib", "النجار": "alnajjar",
    "حداد": "haddad", "منصور": "mansour", "عبد الله": "abdullah",
}  # fmt: skip
DOMAINS = ["example.com", "example.org", "example.net"]
AR_ADDRESSES = [
    "الرياض، حي العليا، طريق الملك فهد",
    "جدة، حي الروضة، شارع فلسطين",
    "الدمام، حي الشاطئ، شارع الخليج",
    "دبي، الخليج التجاري، برج الأعمال، مكتب 804",
    "عمّان، جبل عمّان، الدوار الثالث",
]
EN_ADDRESSES = [
    "12 King Fahd Road, Riyadh",
    "Office 804, Business Bay, Dubai",
    "45 Corniche Road, Doha",
    "9 Harbour View, Manchester",
    "101 Market Street, London",
]
AR_DEALS = ["عقد توريد", "ترخيص سنوي", "مشروع تركيب", "عقد صيانة"]
EN_DEALS = ["Supply contract", "Annual licence", "Installation project", "Support renewal"]
AR_AIMS = [
    "موجهة إلى الشركات الصغيرة والمتوسطة في المنطقة.",
    "للتعريف بالباقة الجديدة وجمع طلبات العروض.",
    "لإعادة التواصل مع العملاء السابقين.",
]
EN_AIMS = [
    "Aimed at small and mid-sized companies in the region.",
    "Launches the new plan and collects requests for quotes.",
    "Wins back former customers.",
]
# The word lists of each language, keyed by "is it Arabic?", so a record's texts agree.
TEXTS = {
    True: {
        "company": words.AR_COMPANIES,
        "title": words.AR_TITLES,
        "note": words.AR_NOTES,
        "address": AR_ADDRESSES,
        "deal": AR_DEALS,
        "aim": AR_AIMS,
        "subject": words.AR_SUBJECTS,
        "task": words.AR_TASKS,
    },
    False: {
        "company": words.EN_COMPANIES,
        "title": words.EN_TITLES,
        "note": words.EN_NOTES,
        "address": EN_ADDRESSES,
        "deal": EN_DEALS,
        "aim": EN_AIMS,
        "subject": words.EN_SUBJECTS,
        "task": words.EN_TASKS,
    },
}

# (status, due date from today in days: earliest, latest, weight). The first tasks take one plan
# each, so even a tiny demo has overdue, due-today, this-week, done and cancelled work.
TASK_PLANS = [
    (TaskStatus.PENDING, -30, -1, 14),
    (TaskStatus.IN_PROGRESS, -20, -1, 8),
    (TaskStatus.PENDING, 0, 0, 8),
    (TaskStatus.IN_PROGRESS, 0, 7, 10),
    (TaskStatus.PENDING, 1, 7, 15),
    (TaskStatus.PENDING, 8, 60, 15),
    (TaskStatus.COMPLETED, -90, 3, 22),
    (TaskStatus.CANCELLED, -60, 30, 8),
]
# Leads are made in these statuses; "converted" only ever comes from lead_convert.
LEAD_STATUSES = [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.LOST]
LEAD_STATUS_WEIGHTS = [30, 25, 25, 20]
RATINGS = [None, 1, 2, 3, 4, 5]
RATING_WEIGHTS = [15, 5, 15, 30, 22, 13]
PRIORITY_WEIGHTS = [20, 45, 25, 10]


@dataclass(frozen=True, slots=True)
class Made:
    """What later steps need of a record already written, without keeping the instance."""

    pk: int
    owner_id: int
    created_at: datetime.datetime
    arabic: bool
    name: str = ""
    label: str = ""
    email: str = ""
    campaign_id: int | None = None
    contact_id: int | None = None
    lead_id: int | None = None
    amount: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PlannedConversion:
    """A lead chosen to be converted, and how."""

    lead_index: int
    contact: Made | None
    create_opportunity: bool


def record_count(value: str) -> int:
    """An argparse type: a whole number of records, zero or more."""
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be zero or more")
    return number


def pick(rng: Random, i: int, values: list, weights: list | None = None):
    """The i-th row takes the i-th value, later rows draw by weight: small demos show them all."""
    if i < len(values):
        return values[i]
    return rng.choices(values, weights)[0]


def moment(rng: Random, since: datetime.datetime, until: datetime.datetime) -> datetime.datetime:
    """A random whole second between ``since`` and ``until``."""
    span = max(0, int((until - since).total_seconds()))
    return since + datetime.timedelta(seconds=rng.randint(0, span))


def start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def batches(rows: Iterable) -> Iterator[list]:
    rows = iter(rows)
    while batch := list(islice(rows, BATCH_SIZE)):
        yield batch


@contextmanager
def explicit_created_at(model: type[models.Model]):
    """Let ``bulk_create`` keep the ``created_at`` we give instead of stamping now."""
    # auto_now_add overwrites any value on insert, and the demo must look like a year of work;
    # switching it off around one insert costs nothing, where updating every row afterwards
    # would write each row twice.
    field = model._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


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
            self.stdout.write(self.existing_login_line(password))
            return

        started = self.started = time.monotonic()
        rng = Random(options["seed"])
        if options["seed"] is not None:
            # Factories draw from factory-boy's own generator: seed it too, for anything built.
            factory.random.reseed_random(options["seed"])

        big = sum(sizes.values()) >= BIG_SEED
        with transaction.atomic(), self.indexes_built_after(enabled=big):
            if options["reset"]:
                self.reset()
            manager, reps, password, kept = self.ensure_users(rng, reps, password)
            before = self.totals()
            demo = Demo(
                rng=rng,
                manager=manager,
                reps=reps,
                progress=self.progress,
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
            for warning in demo.warnings:
                self.stderr.write(warning)
            added = {name: total - before[name] for name, total in self.totals().items()}

        self.refresh_statistics()
        made = ", ".join(f"{count} {name}" for name, count in added.items())
        seconds = time.monotonic() - started
        self.info(f"Seeded in {seconds:.1f}s: {made}; {demo.converted} leads converted.")
        for line in self.login_lines(manager, reps, password, kept):
            self.stdout.write(line)

    @contextmanager
    def indexes_built_after(self, *, enabled: bool):
        """For a big seed, the records' own indexes are dropped first and built at the end.

        Building an index once from sorted rows is much cheaper than updating some thirty
        indexes row by row; at a million leads this is minutes. Inside the seed's transaction
        (both databases change their schema transactionally), so a failed seed gives every
        index back. Only the indexes the models name (Meta.indexes) and PostgreSQL's trigram
        indexes are deferred; keys and foreign-key indexes stay.
        """
        if not enabled:
            yield
            return
        models_with_indexes = [
            model for model in apps.get_app_config("crm").get_models() if model._meta.indexes
        ]
        trigram = self.trigram_indexes()
        # The statements alone: SQLite's schema editor cannot be entered inside a transaction.
        editor = connection.schema_editor()
        named = [(model, index) for model in models_with_indexes for index in model._meta.indexes]
        self.info("Dropping the indexes, to build them once the rows are in...")
        with connection.cursor() as cursor:
            for _model, index in named:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(index.name)}")
            for name, _definition in trigram:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        yield
        started = time.monotonic()
        if connection.vendor == "postgresql":
            # Foreign keys are checked at commit: check them now, as PostgreSQL builds no index
            # on a table with checks still pending.
            connection.check_constraints()
        with connection.cursor() as cursor:
            for model, index in named:
                cursor.execute(str(index.create_sql(model, editor)))
            for _name, definition in trigram:
                cursor.execute(definition)
        self.info(f"Indexes built in {time.monotonic() - started:.1f}s.")

    @staticmethod
    def trigram_indexes() -> list[tuple[str, str]]:
        """PostgreSQL's trigram indexes on search_text (migration 0003): names and definitions."""
        if connection.vendor != "postgresql":
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND indexname LIKE %s",
                ["crm\\_%\\_search\\_trgm"],
            )
            return cursor.fetchall()

    def refresh_statistics(self) -> None:
        """Let the query planner see the new rows at once, rather than at its next sweep.

        PostgreSQL also gets a VACUUM, which marks the new pages all-visible so that the lists'
        index-only scans need not visit the table (not possible inside a transaction, where
        tests run; ANALYZE alone is done there).
        """
        self.info("Updating the database's statistics...")
        tables = [model._meta.db_table for model in apps.get_app_config("crm").get_models()]
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                cursor.execute("ANALYZE")
                return
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            for table in tables:
                cursor.execute(f"{command} {connection.ops.quote_name(table)}")

    def info(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)

    def progress(self, label: str, done: int, total: int) -> None:
        """A progress bar on long runs (a line per batch); small runs stay quiet unless -v 2."""
        if self.verbosity >= 2 or (self.verbosity >= 1 and total > BATCH_SIZE):
            filled = round(20 * done / total) if total else 20
            bar = "█" * filled + "·" * (20 - filled)
            elapsed = time.monotonic() - self.started
            self.stdout.write(f"{label:>13} [{bar}] {done:>9,}/{total:,}  {elapsed:6.1f}s")

    def reset(self) -> None:
        """Delete every CRM record, dependents first; users and stages stay."""
        # A converted lead must keep its contact (a constraint), so only the contacts' link back
        # to their lead is cut; leads then go before the contacts they point to.
        Contact.objects.filter(source_lead__isnull=False).update(source_lead=None)
        for model in RESET_ORDER:
            deleted, _ = model.objects.all().delete()
            if hasattr(model, "history"):
                # A reset starts the demo over: its records' history goes with them.
                model.history.all().delete()
            if deleted:
                self.info(f"Deleted {deleted} {NAMES[model]}.")

    def ensure_users(self, rng: Random, rep_count: int, password: str | None):
        """Get or create the manager and the reps; return them, the password and who kept theirs."""
        try:
            manager_group = Group.objects.get(name=SALES_MANAGER)
            rep_group = Group.objects.get(name=SALES_REP)
        except Group.DoesNotExist as error:
            raise CommandError("The role groups are missing: run `manage.py migrate`.") from error
        User = get_user_model()
        wanted = [MANAGER_USERNAME, *(f"rep{n}" for n in range(1, rep_count + 1))]
        existing = {user.username: user for user in User.objects.filter(username__in=wanted)}
        chosen = password is not None
        if not chosen and len(existing) < len(wanted):
            password = secrets.token_urlsafe(9)
        # One hash for all: hashing is slow on purpose, and these users share the password anyway.
        hashed = make_password(password) if password else None
        users, kept = [], []
        for username in wanted:
            # Names are drawn for every user, new or not, so --seed gives the same data either way.
            _, first, last = person_parts(rng)
            user = existing.get(username)
            if user is None:
                user = User.objects.create(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@example.com",
                    password=hashed,
                )
            elif chosen:
                user.password = hashed
                user.save(update_fields=["password"])
            else:
                kept.append(username)
            if username == MANAGER_USERNAME:
                if not user.is_staff:
                    user.is_staff = True
                    user.save(update_fields=["is_staff"])
                user.groups.add(manager_group)
            else:
                user.groups.add(rep_group)
            users.append(user)
        return users[0], users[1:], password, kept

    def totals(self) -> dict[str, int]:
        return {NAMES[model]: model.objects.count() for model in SUMMARY_ORDER}

    def login_lines(self, manager, reps, password, kept) -> list[str]:
        """How to log in: the password is printed once, when it is made or set."""
        lines = []
        if MANAGER_USERNAME in kept:
            lines.append(f"Log in as {manager.username} (existing user: password unchanged)")
        else:
            lines.append(f"Log in as {manager.username} / {password}")
        new_reps = [rep.username for rep in reps if rep.username not in kept]
        old_reps = [rep.username for rep in reps if rep.username in kept]
        if new_reps:
            lines.append(f"Sales reps: {', '.join(new_reps)} / {password}")
        if old_reps:
            lines.append(f"Sales reps {', '.join(old_reps)}: existing users, passwords unchanged")
        return lines

    def existing_login_line(self, password: str | None) -> str:
        """The login line when nothing was seeded: the password only if it really is the one."""
        manager = get_user_model().objects.filter(username=MANAGER_USERNAME).first()
        if manager is None:
            return "Log in with your own account (there is no demo manager user)."
        if password and manager.check_password(password):
            return f"Log in as {manager.username} / {password}"
        return f"Log in as {manager.username} (existing user: password unchanged)"


def person_parts(rng: Random) -> tuple[bool, str, str]:
    """Whether the person is Arabic, and a first and a last name."""
    if words.arabic(rng):
        return True, rng.choice(words.AR_FIRST), rng.choice(words.AR_LAST)
    return False, rng.choice(words.EN_FIRST), rng.choice(words.EN_LAST)


def is_arabic(text: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in text)


def outcome_texts(language: str) -> list[str]:
    """The common outcomes as a user would have typed or picked them, in their language."""
    with translation.override(language):
        return [str(label) for label in InteractionOutcome.labels]


class Demo:
    """Writes the demo's records in order, remembering what later records link to."""

    def __init__(
        self,
        *,
        rng: Random,
        manager,
        reps: list,
        progress: Callable,
        years: int = 1,
        history: bool = True,
    ) -> None:
        self.rng = rng
        self.history = history
        self.progress = progress
        self.manager_id = manager.pk
        self.users = {user.pk: user for user in [*reps, manager]}
        # Reps own most of the work; the manager a share of it.
        self.owner_ids = [*(rep.pk for rep in reps), manager.pk]
        self.owner_weights = [*(3 for _ in reps), 1]
        self.stages = list(Stage.objects.order_by("order", "pk"))
        if not self.stages:
            raise CommandError("The pipeline has no stages: run `manage.py migrate`.")
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate()
        # The start of the demo's time span (one year by default; more for the big scales).
        self.year_ago = self.now - years * YEAR
        # Numbers e-mail addresses so that a second run without --reset makes new ones.
        self.serial = Lead.objects.count() + Contact.objects.count()
        self.outcomes = {True: outcome_texts("ar"), False: outcome_texts("en")}
        self.campaigns: list[Made] = []
        self.campaign_windows: list[tuple[int, datetime.datetime, datetime.datetime]] = []
        self.contacts: list[Made] = []
        self.leads: list[Made] = []
        self.workable_leads: list[Made] = []
        self.opportunities: list[Made] = []
        self.planned: list[PlannedConversion] = []
        self.converted = 0
        self.warnings: list[str] = []

    # --- helpers ---------------------------------------------------------------------------

    def owner(self) -> int:
        return self.rng.choices(self.owner_ids, self.owner_weights)[0]

    def creator(self, owner_id: int) -> int:
        """Who typed the record in: mostly its owner, sometimes the manager handing it out."""
        return owner_id if self.rng.random() < 0.75 else self.manager_id

    def person(self, mailbox: str) -> tuple[bool, str, str]:
        """Whether the person is Arabic, their full name and an e-mail address."""
        arabic, first, last = person_parts(self.rng)
        if arabic:
            local = f"{LATIN.get(first, mailbox)}.{LATIN.get(last, 'info')}"
        else:
            local = f"{first}.{last}".lower()
        self.serial += 1
        email = f"{local}{self.serial}@{self.rng.choice(DOMAINS)}".replace(" ", "")
        return arabic, f"{first} {last}", email

    def phone(self, arabic: bool) -> str:
        if arabic:
            return words.phone_number(self.rng)
        # 020 7946 0xxx is the London range set aside for drama: never a real line.
        return f"+44 20 7946 0{self.rng.randint(0, 999):03d}"

    def sometimes(self, chance: float, choices: list[str]) -> str:
        """One of ``choices`` with the given chance, else blank: optional fields often are."""
        return self.rng.choice(choices) if self.rng.random() < chance else ""

    def insert(self, label: str, model, rows: Iterable, total: int, keep=None) -> list:
        """``bulk_create`` the rows in batches, reporting progress; return ``keep`` of each row."""
        kept = []
        done = 0
        has_created_at = any(field.name == "created_at" for field in model._meta.fields)
        for batch in batches(rows):
            fill_search_text(batch)  # bulk_create skips save(), which would do it
            with explicit_created_at(model) if has_created_at else nullcontext():
                if self.history and hasattr(model, "history"):  # records start with history
                    bulk_create_with_history(batch, model, batch_size=len(batch))
                else:
                    model.objects.bulk_create(batch)
            if keep is not None:
                kept.extend(keep(obj) for obj in batch)
            # With DEBUG on, Django keeps every query's SQL: thousands of 2,000-row inserts.
            reset_queries()
            done += len(batch)
            self.progress(label, done, total)
        return kept

    # --- records ---------------------------------------------------------------------------

    def make_campaigns(self, count: int) -> None:
        """Campaigns of every kind and status, dated to match their status."""
        rng = self.rng
        names = [*words.AR_CAMPAIGNS, *words.EN_CAMPAIGNS]
        rng.shuffle(names)
        kinds, statuses = CampaignKind.values, CampaignStatus.values

        def rows():
            for i in range(count):
                name = names[i % len(names)]
                if i >= len(names):
                    name = f"{name} {i // len(names) + 1}"
                status = statuses[i % len(statuses)]
                start, end, spent = self.campaign_dates(status)
                budget = words.money(rng, 20, 500)
                owner_id = self.owner()
                # Prepared a few weeks before it starts, and never in the future.
                created_at = min(
                    self.now - rng.randint(0, 14) * DAY - rng.randint(0, 86399) * SECOND,
                    start_of(start) - rng.randint(3, 30) * DAY,
                )
                yield Campaign(
                    name=name,
                    kind=kinds[i % len(kinds)],
                    status=status,
                    start_date=start,
                    end_date=end,
                    budget=budget,
                    actual_cost=(budget * Decimal(spent) / 100).quantize(Decimal("0.01")),
                    description=self.sometimes(0.6, TEXTS[is_arabic(name)]["aim"]),
                    owner_id=owner_id,
                    created_by_id=self.creator(owner_id),
                    created_at=max(self.year_ago, created_at),
                )

        def keep(campaign: Campaign) -> Made:
            if campaign.status != CampaignStatus.PLANNED:
                # Leads arrive while the campaign runs: from its start to its end or today.
                until = self.now
                if campaign.end_date:
                    until = min(until, start_of(campaign.end_date) + DAY)
                self.campaign_windows.append((campaign.pk, start_of(campaign.start_date), until))
            return Made(
                campaign.pk, campaign.owner_id, campaign.created_at, is_arabic(campaign.name)
            )

        self.campaigns = self.insert("campaigns", Campaign, rows(), count, keep)

    def campaign_dates(self, status: str) -> tuple[datetime.date, datetime.date | None, int]:
        """Start, end and the percentage of the budget spent, as a campaign in ``status`` has."""
        rng, today = self.rng, self.today
        if status == CampaignStatus.PLANNED:
            start = today + rng.randint(7, 60) * DAY
            return start, start + rng.randint(14, 90) * DAY, 0
        if status == CampaignStatus.COMPLETED:
            start = today - rng.randint(90, 330) * DAY
            # Some finished over budget, as campaigns do.
            return start, start + rng.randint(14, 75) * DAY, rng.randint(70, 125)
        if status == CampaignStatus.ACTIVE:
            start = today - rng.randint(7, 120) * DAY
            end = today + rng.randint(7, 90) * DAY if rng.random() < 0.7 else None
            return start, end, rng.randint(30, 90)
        start = today - rng.randint(30, 200) * DAY
        end = today + rng.randint(7, 60) * DAY if rng.random() < 0.5 else None
        return start, end, rng.randint(20, 70)

    def make_contacts(self, count: int) -> None:
        """Customers who did not come through a lead (older customers, imports)."""
        rng = self.rng

        def rows():
            for _ in range(count):
                arabic, name, email = self.person("contact")
                texts = TEXTS[arabic]
                owner_id = self.owner()
                yield Contact(
                    name=name,
                    company=self.sometimes(0.85, texts["company"]),
                    title=self.sometimes(0.75, texts["title"]),
                    email=email if rng.random() < 0.9 else "",
                    phone=self.phone(arabic) if rng.random() < 0.8 else "",
                    address=self.sometimes(0.6, texts["address"]),
                    notes=self.sometimes(0.4, texts["note"]),
                    owner_id=owner_id,
                    created_by_id=self.creator(owner_id),
                    created_at=moment(rng, self.year_ago, self.now),
                )

        def keep(contact: Contact) -> Made:
            return Made(
                contact.pk,
                contact.owner_id,
                contact.created_at,
                is_arabic(contact.name),
                name=contact.name,
                label=contact.company or contact.name,
                email=contact.email,
            )

        self.contacts = self.insert("contacts", Contact, rows(), count, keep)

    def plan_conversions(self, leads: int, conversions: int) -> dict[int, PlannedConversion]:
        """Choose which leads ``convert_leads`` will convert, and how, before they are written."""
        rng = self.rng
        conversions = min(conversions, leads)
        # The first leads show one status each; conversions are picked from the rest.
        first = max(0, min(len(LEAD_STATUSES), leads - conversions))
        with_email = [contact for contact in self.contacts if contact.email]
        plans = {}
        for n, index in enumerate(sorted(rng.sample(range(first, leads), conversions))):
            # Every third comes back as a customer we already have: same person, same e-mail.
            contact = rng.choice(with_email) if n % 3 == 2 and with_email else None
            plans[index] = PlannedConversion(index, contact, create_opportunity=n % 2 == 0)
        self.planned = list(plans.values())
        return plans

    def make_leads(self, count: int, *, conversions: int) -> None:
        """Leads in every status, rating and source; some from campaigns, some to be converted."""
        rng = self.rng
        plans = self.plan_conversions(count, conversions)
        sources = LeadSource.values
        source_weights = [22, 15, 30, 12, 8, 8, 5]

        def rows():
            for i in range(count):
                plan = plans.get(i)
                if plan and plan.contact:
                    contact = plan.contact
                    arabic, name, email = contact.arabic, contact.name, contact.email
                else:
                    arabic, name, email = self.person("lead")
                texts = TEXTS[arabic]
                if plan:
                    status = rng.choice(LEAD_STATUSES[:3])
                else:
                    status = pick(rng, i, LEAD_STATUSES, LEAD_STATUS_WEIGHTS)
                source = pick(rng, i, sources, source_weights)
                campaign_id, since = None, self.year_ago
                until = self.now
                if source == LeadSource.CAMPAIGN and self.campaign_windows:
                    campaign_id, since, until = rng.choice(self.campaign_windows)
                reach = rng.random()
                if plan and plan.contact:
                    reach = 0.0  # the matching e-mail is what makes the customer findable
                owner_id = self.owner()
                yield Lead(
                    name=name,
                    company=self.sometimes(0.8, texts["company"]),
                    title=self.sometimes(0.7, texts["title"]),
                    email=email if reach < 0.9 else "",
                    phone=self.phone(arabic) if reach < 0.7 or reach >= 0.9 else "",
                    status=status,
                    lost_reason=rng.choice(words.LOST_REASONS) if status == LeadStatus.LOST else "",
                    rating=pick(rng, i, RATINGS, RATING_WEIGHTS),
                    source=source,
                    expected_revenue=ZERO if rng.random() < 0.05 else words.money(rng, 5, 1500),
                    campaign_id=campaign_id,
                    notes=self.sometimes(0.5, texts["note"]),
                    owner_id=owner_id,
                    created_by_id=self.creator(owner_id),
                    created_at=moment(rng, since, until),
                )

        def keep(lead: Lead) -> Made:
            made = Made(
                lead.pk,
                lead.owner_id,
                lead.created_at,
                is_arabic(lead.name),
                name=lead.name,
                label=lead.company or lead.name,
                email=lead.email,
                campaign_id=lead.campaign_id,
                amount=lead.expected_revenue,
            )
            if lead.status in (LeadStatus.CONTACTED, LeadStatus.QUALIFIED):
                self.workable_leads.append(made)
            return made

        self.leads = self.insert("leads", Lead, rows(), count, keep)

    def make_opportunities(self, count: int) -> None:
        """Deals in every stage, each made from a lead or for a customer, with its stage history."""
        rng = self.rng
        if count and not (self.leads or self.contacts):
            self.warnings.append("No leads or contacts to attach opportunities to: none made.")
            return
        weights = stage_weights(self.stages)
        changes = []

        def rows():
            for i in range(count):
                stage = pick(rng, i, self.stages, weights)
                from_lead = bool(self.leads) and (not self.contacts or rng.random() < 0.45)
                if from_lead:
                    # A deal made from a lead carries the lead's campaign, as conversion does.
                    base = rng.choice(self.workable_leads or self.leads)
                    contact_id, lead_id, campaign_id = None, base.pk, base.campaign_id
                    owner_id = base.owner_id
                else:
                    base = rng.choice(self.contacts)
                    contact_id, lead_id, campaign_id = base.pk, None, None
                    if self.campaigns and rng.random() < 0.15:
                        campaign_id = rng.choice(self.campaigns).pk
                    owner_id = base.owner_id if rng.random() < 0.8 else self.owner()
                created_at = moment(rng, base.created_at, self.now)
                closed_at = moment(rng, created_at, self.now) if stage.is_closed else None
                if stage.is_won:
                    probability = 100
                elif stage.is_closed:
                    probability = 0
                else:
                    probability = stage.default_probability
                texts = TEXTS[base.arabic]
                amount = base.amount if from_lead and base.amount else words.money(rng, 10, 2000)
                yield Opportunity(
                    name=f"{base.label} - {rng.choice(texts['deal'])}",
                    contact_id=contact_id,
                    lead_id=lead_id,
                    campaign_id=campaign_id,
                    amount=amount,
                    stage=stage,
                    probability=probability,
                    expected_close_date=timezone.localdate(closed_at)
                    if closed_at
                    else self.today + rng.randint(-15, 120) * DAY,
                    description=self.sometimes(0.5, texts["note"]),
                    lost_reason=rng.choice(words.LOST_REASONS) if stage.is_lost else "",
                    closed_at=closed_at,
                    owner_id=owner_id,
                    created_by_id=self.creator(owner_id),
                    created_at=created_at,
                )

        def keep(opportunity: Opportunity) -> Made:
            # It entered its present stage when it closed, or when it was made. Kept as a tuple:
            # at the big scales, a model instance per deal would cost hundreds of megabytes.
            changes.append(
                (
                    opportunity.pk,
                    opportunity.stage_id,
                    opportunity.created_by_id,
                    opportunity.closed_at or opportunity.created_at,
                    opportunity.amount,
                    opportunity.probability,
                )
            )
            return Made(
                opportunity.pk,
                opportunity.owner_id,
                opportunity.created_at,
                is_arabic(opportunity.name),
                label=opportunity.name,
                contact_id=opportunity.contact_id,
                lead_id=opportunity.lead_id,
            )

        self.opportunities = self.insert("opportunities", Opportunity, rows(), count, keep)
        stage_changes = (
            StageChange(
                opportunity_id=pk,
                from_stage=None,
                to_stage_id=stage_id,
                changed_by_id=by,
                changed_at=when,
                amount=amount,
                probability=probability,
            )
            for pk, stage_id, by, when, amount, probability in changes
        )
        self.insert("stage changes", StageChange, stage_changes, len(changes))

    def targets(self) -> list[tuple[str, list[Made], int]]:
        """What interactions and tasks can be about, with how often each is picked."""
        pools = [
            ("lead", self.leads, 45),
            ("contact", self.contacts, 30),
            ("opportunity", self.opportunities, 25),
        ]
        return [pool for pool in pools if pool[1]]

    @staticmethod
    def links(link: str, target: Made) -> dict:
        """The foreign keys of a record about ``target``; a deal's record is its people's too."""
        if link == "lead":
            return {"lead_id": target.pk}
        if link == "contact":
            return {"contact_id": target.pk}
        return {
            "opportunity_id": target.pk,
            "contact_id": target.contact_id,
            "lead_id": target.lead_id,
        }

    def make_interactions(self, count: int) -> None:
        """Calls, e-mails, meetings and notes on leads, customers and deals over the year."""
        rng = self.rng
        targets = self.targets()
        if count and not targets:
            self.warnings.append("No leads, contacts or opportunities to log interactions on.")
            return
        target_weights = [weight for _, _, weight in targets]
        kinds = InteractionKind.values
        kind_weights = [35, 25, 15, 25]

        def rows():
            for i in range(count):
                kind = pick(rng, i, kinds, kind_weights)
                link, pool, _ = pick(rng, i, targets, target_weights)
                target = rng.choice(pool)
                occurred_at = moment(rng, target.created_at, self.now)
                if kind == InteractionKind.CALL:
                    duration = rng.randint(2, 45)
                elif kind == InteractionKind.MEETING:
                    duration = rng.choice([15, 30, 45, 60, 90, 120])
                else:
                    duration = None
                outcome = ""
                if kind in (InteractionKind.CALL, InteractionKind.MEETING):
                    outcome = rng.choice(self.outcomes[target.arabic])
                texts = TEXTS[target.arabic]
                yield Interaction(
                    kind=kind,
                    subject=rng.choice(texts["subject"]),
                    notes=self.sometimes(0.6, texts["note"]),
                    outcome=outcome,
                    duration=duration,
                    occurred_at=occurred_at,
                    **self.links(link, target),
                    created_by_id=target.owner_id if rng.random() < 0.85 else self.owner(),
                    created_at=occurred_at,
                )

        self.insert("interactions", Interaction, rows(), count)

    def make_tasks(self, count: int) -> None:
        """Work around today: overdue, due today and this week, later, done and cancelled."""
        rng = self.rng
        targets = self.targets()
        target_weights = [weight for _, _, weight in targets]
        plan_weights = [weight for *_, weight in TASK_PLANS]
        priorities = TaskPriority.values

        def rows():
            for i in range(count):
                status, earliest, latest, _ = pick(rng, i, TASK_PLANS, plan_weights)
                due_date = self.today + rng.randint(earliest, latest) * DAY
                link, target = None, None
                if targets and rng.random() < 0.9:
                    link, pool, _ = rng.choices(targets, target_weights)[0]
                    target = rng.choice(pool)
                if i < len(self.owner_ids):
                    assignee = self.owner_ids[i]  # everyone has work, even in a tiny demo
                elif target and rng.random() < 0.7:
                    assignee = target.owner_id
                else:
                    assignee = self.owner()
                # Made a few days to three weeks before it is due, after what it is about.
                floor = max(self.year_ago, target.created_at) if target else self.year_ago
                created_at = start_of(due_date) - rng.randint(1, 21) * DAY
                created_at = min(self.now, max(floor, created_at))
                completed_at = None
                if status == TaskStatus.COMPLETED:
                    completed_at = moment(rng, created_at, self.now)
                texts = TEXTS[target.arabic if target else words.arabic(rng)]
                yield Task(
                    title=rng.choice(texts["task"]),
                    description=self.sometimes(0.5, texts["note"]),
                    priority=pick(rng, i, priorities, PRIORITY_WEIGHTS),
                    status=status,
                    due_date=due_date,
                    assigned_to_id=assignee,
                    completed_at=completed_at,
                    **(self.links(link, target) if target else {}),
                    created_by_id=assignee if rng.random() < 0.6 else self.manager_id,
                    created_at=created_at,
                )

        self.insert("tasks", Task, rows(), count)

    def convert_leads(self) -> None:
        """Convert the planned leads through the real rule, then date each one in the past."""
        rng = self.rng
        total = len(self.planned)
        for n, plan in enumerate(self.planned, start=1):
            lead = self.leads[plan.lead_index]
            conversion = lead_convert(
                lead=Lead(pk=lead.pk),
                by=self.users[lead.owner_id],
                contact=Contact(pk=plan.contact.pk) if plan.contact else None,
                create_opportunity=plan.create_opportunity,
                expected_close_date=self.today + rng.randint(14, 90) * DAY,
            )
            # Within two months of the lead coming in, and never before the customer existed.
            since = lead.created_at
            if plan.contact:
                since = max(since, plan.contact.created_at)
            when = moment(rng, since, min(self.now, since + 60 * DAY))
            self.backdate(conversion, when)
            self.converted += 1
            if n % 500 == 0 or n == total:
                self.progress("conversions", n, total)

    def backdate(self, conversion, when: datetime.datetime) -> None:
        """Move a conversion's records from the moment of seeding to ``when`` in the demo's past."""
        stamp = conversion.lead.converted_at
        Lead.objects.filter(pk=conversion.lead.pk).update(converted_at=when)
        Interaction.objects.filter(
            lead=conversion.lead, kind=InteractionKind.NOTE, occurred_at=stamp
        ).update(occurred_at=when, created_at=when)
        if conversion.contact_created:
            Contact.objects.filter(pk=conversion.contact.pk).update(created_at=when)
        if conversion.opportunity:
            Opportunity.objects.filter(pk=conversion.opportunity.pk).update(created_at=when)
            StageChange.objects.filter(opportunity=conversion.opportunity).update(changed_at=when)


def stage_weights(stages: list[Stage]) -> list[int]:
    """How often a deal is in each stage: fewer further down the funnel, some won, some lost."""
    open_stages = [stage for stage in stages if not stage.is_closed]
    weights = []
    for stage in stages:
        if stage.is_won:
            weights.append(15)
        elif stage.is_closed:
            weights.append(12)
        else:
            weights.append(len(open_stages) - open_stages.index(stage) + 1)
    return weights
