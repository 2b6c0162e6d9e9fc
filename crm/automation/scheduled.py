"""The triggers no write announces, found by a job (beat: hourly): a task that has become
overdue, a deal with no interaction for the rule's days. Each fires once: for a task, once for
its due date; for a deal, once for each idle stretch (the day its last interaction, or its
making, happened)."""

from __future__ import annotations

import datetime

from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Opportunity, Task
from ..models.automation import Rule, Trigger
from .engine import queue

# A task overdue for longer than this when its rule first looks is left alone (a rule made
# today does not fire for last year's forgotten tasks).
OVERDUE_WINDOW = datetime.timedelta(days=7)


def run_scheduled(now: datetime.datetime | None = None) -> int:
    """Queue the runs the scheduled triggers call for; how many were queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    queued = 0
    rules = Rule.objects.filter(
        is_active=True, trigger__in=[Trigger.TASK_OVERDUE, Trigger.DEAL_IDLE]
    )
    for rule in rules:
        if rule.trigger == Trigger.TASK_OVERDUE:
            late = Task.objects.overdue(today).filter(due_date__gte=today - OVERDUE_WINDOW)
            for task in late.order_by("pk").iterator():
                chain = f"overdue:{task.due_date.isoformat()}"
                queued += queue(rule, task, rule.trigger, chain=chain, depth=0) is not None
        else:
            idle = (
                Opportunity.objects.open()
                .annotate(last=Coalesce(Max("interactions__occurred_at"), "created_at"))
                .filter(last__lt=now - datetime.timedelta(days=rule.days))
            )
            for deal in idle.order_by("pk").iterator():
                chain = f"idle:{timezone.localdate(deal.last).isoformat()}"
                queued += queue(rule, deal, rule.trigger, chain=chain, depth=0) is not None
    return queued
