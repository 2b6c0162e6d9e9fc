"""The demo's records: a year of a sales team's work, half in Arabic and half in English.

Rows are made with a plain ``random.Random`` (one ``--seed``, one demo) and written in batches by
``crm.demo.bulk``. Conversions go through the real rule, ``services.lead_convert``, so converted
leads look exactly as the app makes them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from random import Random

from django.core.management.base import CommandError
from django.utils import timezone, translation

from crm import factories
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
)
from crm.models.choices import TASK_OPEN_STATUSES, TaskReminder
from crm.services import lead_convert

from . import bulk
from .words import DOMAINS, LATIN, TEXTS, is_arabic, person_parts

DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)
YEAR = 365 * DAY

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
        batch_size: int,
        years: int = 1,
        history: bool = True,
    ) -> None:
        self.rng = rng
        self.history = history
        self.batch_size = batch_size
        self.progress = progress
        self.manager_id = manager.pk
        self.users = {user.pk: user for user in [*reps, manager]}
        # Reps own most of the work; the manager a share of it.
        self.owner_ids = [*(rep.pk for rep in reps), manager.pk]
        self.owner_weights = [*(3 for _ in reps), 1]
        self.stages = list(Stage.objects.order_by("order", "pk"))
        if not self.stages:
            raise CommandError("The pipeline has no stages: run `manage.py migrate`.")
        set_rotting_limits(self.stages)
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
            return factories.phone_number(self.rng)
        # 020 7946 0xxx is the London range set aside for drama: never a real line.
        return f"+44 20 7946 0{self.rng.randint(0, 999):03d}"

    def entered(self, stage: Stage, created_at: datetime.datetime) -> datetime.datetime:
        """When an open deal entered its stage: mostly within the stage's rotting limit, about
        one in four past it, so the board shows some rotting cards; never before it was made."""
        if stage.rotting_days is None:
            return moment(self.rng, created_at, self.now)
        limit = stage.rotting_days * DAY
        if self.rng.random() < 0.25:
            since = self.now - 3 * limit
            until = self.now - limit - 2 * DAY
        else:
            since, until = self.now - limit, self.now
        return max(created_at, moment(self.rng, since, until))

    def sometimes(self, chance: float, choices: list[str]) -> str:
        """One of ``choices`` with the given chance, else blank: optional fields often are."""
        return self.rng.choice(choices) if self.rng.random() < chance else ""

    def insert(self, label: str, model, rows: Iterable, total: int, keep=None) -> list:
        """Write the rows in batches, with their history unless the seed has none."""
        return bulk.insert(
            model,
            rows,
            label=label,
            total=total,
            batch_size=self.batch_size,
            history=self.history,
            progress=self.progress,
            keep=keep,
        )

    # --- records ---------------------------------------------------------------------------

    def make_campaigns(self, count: int) -> None:
        """Campaigns of every kind and status, dated to match their status."""
        rng = self.rng
        names = [*factories.AR_CAMPAIGNS, *factories.EN_CAMPAIGNS]
        rng.shuffle(names)
        kinds, statuses = CampaignKind.values, CampaignStatus.values

        def rows():
            for i in range(count):
                name = names[i % len(names)]
                if i >= len(names):
                    name = f"{name} {i // len(names) + 1}"
                status = statuses[i % len(statuses)]
                start, end, spent = self.campaign_dates(status)
                budget = factories.money(rng, 20, 500)
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
                    lost_reason=rng.choice(factories.LOST_REASONS)
                    if status == LeadStatus.LOST
                    else "",
                    rating=pick(rng, i, RATINGS, RATING_WEIGHTS),
                    source=source,
                    expected_revenue=ZERO if rng.random() < 0.05 else factories.money(rng, 5, 1500),
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
                entered_at = closed_at or self.entered(stage, created_at)
                if stage.is_won:
                    probability = 100
                elif stage.is_closed:
                    probability = 0
                else:
                    probability = stage.default_probability
                texts = TEXTS[base.arabic]
                amount = (
                    base.amount if from_lead and base.amount else factories.money(rng, 10, 2000)
                )
                yield Opportunity(
                    name=f"{base.label} - {rng.choice(texts['deal'])}",
                    contact_id=contact_id,
                    lead_id=lead_id,
                    customer_name=base.name,  # bulk inserts skip save(), which reads it
                    campaign_id=campaign_id,
                    amount=amount,
                    stage=stage,
                    probability=probability,
                    expected_close_date=timezone.localdate(closed_at)
                    if closed_at
                    else self.today + rng.randint(-15, 120) * DAY,
                    description=self.sometimes(0.5, texts["note"]),
                    lost_reason=rng.choice(factories.LOST_REASONS) if stage.is_lost else "",
                    closed_at=closed_at,
                    stage_entered_at=entered_at,
                    owner_id=owner_id,
                    created_by_id=self.creator(owner_id),
                    created_at=created_at,
                )

        def keep(opportunity: Opportunity) -> Made:
            # Its move into its present stage. Kept as a tuple: at the big scales, a model
            # instance per deal would cost hundreds of megabytes.
            changes.append(
                (
                    opportunity.pk,
                    opportunity.stage_id,
                    opportunity.created_by_id,
                    opportunity.stage_entered_at,
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
                texts = TEXTS[target.arabic if target else factories.arabic(rng)]
                # Some at a time of day; open work from today on, often with a reminder.
                due_time, reminder = None, None
                if rng.random() < 0.4:
                    due_time = datetime.time(rng.randint(9, 17), rng.choice((0, 30)))
                if status in TASK_OPEN_STATUSES and earliest >= 0 and rng.random() < 0.5:
                    reminder = rng.choice(TaskReminder.values)
                task = Task(
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
                    due_time=due_time,
                    reminder=reminder,
                )
                if reminder is not None and task.due_moment() < self.now:
                    task.reminded_for = task.reminder_moment()  # its day is past: reminded
                yield task

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
            Opportunity.objects.filter(pk=conversion.opportunity.pk).update(
                created_at=when, stage_entered_at=when
            )
            StageChange.objects.filter(opportunity=conversion.opportunity).update(changed_at=when)


# The demo's rotting limits (days), for the default stages a manager has not limited yet.
ROTTING_DAYS = {"prospecting": 30, "qualification": 21, "proposal": 14, "negotiation": 10}


def set_rotting_limits(stages: list[Stage]) -> None:
    """Give some open stages a rotting limit, keeping any limit a manager set."""
    for stage in stages:
        if stage.rotting_days is None and not stage.is_closed and stage.code in ROTTING_DAYS:
            stage.rotting_days = ROTTING_DAYS[stage.code]
            Stage.objects.filter(pk=stage.pk, rotting_days__isnull=True).update(
                rotting_days=stage.rotting_days
            )


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
