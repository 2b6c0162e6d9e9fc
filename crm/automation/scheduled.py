"""The triggers no write announces, found by a job (beat: hourly): a task that has become
overdue, a deal with no interaction for the rule's days. Each fires once: for a task, once for
its due date; for a deal, once for each idle stretch (the day its last interaction, or its
making, happened). The same job asks again for runs left queued (their job was lost, the
broker away when it was asked for)."""

from __future__ import annotations

import datetime

from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Opportunity, Task
from ..models.automation import Rule, RuleRun, RunOutcome, Trigger
from .actions import conditions_met
from .engine import queue

# A task overdue for longer than this when its rule first looks is left alone (a rule made
# today does not fire for last year's forgotten tasks).
OVERDUE_WINDOW = datetime.timedelta(days=7)
# A run still queued this long after it was made lost its job: it is asked for again.
LOST_AFTER = datetime.timedelta(minutes=10)
LOST_BATCH = 1000


def run_scheduled(now: datetime.datetime | None = None) -> int:
    """Queue the runs the scheduled triggers call for; how many were queued."""
    now = now or timezone.now()
    queued = 0
    rules = Rule.objects.filter(
        is_active=True, trigger__in=[Trigger.TASK_OVERDUE, Trigger.DEAL_IDLE]
    ).prefetch_related("conditions")
    for rule in rules:
        done = set(RuleRun.objects.filter(rule=rule).values_list("target_id", "chain"))
        for record, chain in due_records(rule, now):
            # Once each; a record whose fields do not meet the conditions is not logged hourly.
            if (record.pk, chain) in done or not conditions_met(rule, record):
                continue
            queued += queue(rule, record, rule.trigger, chain=chain, depth=0) is not None
    ask_again_for_lost_runs(now)
    return queued


def due_records(rule: Rule, now: datetime.datetime):
    if rule.trigger == Trigger.TASK_OVERDUE:
        today = timezone.localdate(now)
        late = Task.objects.overdue(today).filter(due_date__gte=today - OVERDUE_WINDOW)
        for task in late.select_related("assigned_to").order_by("pk").iterator():
            yield task, f"overdue:{task.due_date.isoformat()}"
        return
    idle = (
        Opportunity.objects.open()
        .select_related("owner", "campaign", "stage")
        .annotate(last=Coalesce(Max("interactions__occurred_at"), "created_at"))
        .filter(last__lt=now - datetime.timedelta(days=rule.days))
    )
    for deal in idle.order_by("pk").iterator():
        yield deal, f"idle:{timezone.localdate(deal.last).isoformat()}"


def ask_again_for_lost_runs(now: datetime.datetime) -> None:
    from ..jobs import run_rule

    lost = RuleRun.objects.filter(outcome=RunOutcome.QUEUED, created_at__lt=now - LOST_AFTER)
    for pk in lost.order_by("pk").values_list("pk", flat=True)[:LOST_BATCH]:
        run_rule.delay(pk)  # a run done meanwhile is found done, and left
