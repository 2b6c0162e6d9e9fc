"""The writes of automation's bookkeeping: runs queued and finished, and whose turn it is."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models.automation import MAX_DEPTH, RuleAction, RuleRun, RunOutcome

ERROR_LENGTH = 2000


def rule_run_queue(
    *, rule, record: models.Model, trigger: str, chain: str, depth: int
) -> RuleRun | None:
    """The run of ``rule`` for ``record`` in ``chain``: made queued, or stopped when the chain
    is too deep; None when the rule already ran for this record in this chain (the database
    refuses a second, whoever asks)."""
    run = RuleRun(
        rule=rule,
        target_type=ContentType.objects.get_for_model(record),
        target_id=record.pk,
        trigger=trigger,
        chain=chain,
        depth=depth,
    )
    if depth >= MAX_DEPTH:
        run.outcome = RunOutcome.STOPPED
        run.error = _("The chain of automations reached a depth of %(depth)d: stopped here.") % {
            "depth": depth
        }
        run.finished_at = timezone.now()
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        return None
    return run


def rule_run_take(run_id: int) -> RuleRun | None:
    """Lock the run for its job (until the job's transaction ends); None unless still queued
    (a job delivered twice, or one whose run another worker finished)."""
    # The run's row alone (of="self"): locking the joined rule and its author's user row too
    # would hold off, and could deadlock with, that person's own writes.
    return (
        RuleRun.objects.select_for_update(of=("self",))
        .filter(pk=run_id, outcome=RunOutcome.QUEUED)
        .select_related("rule__created_by")
        .first()
    )


def rule_run_finish(run: RuleRun, outcome: str, error: str = "") -> None:
    """Record how ``run`` ended (in the transaction of its actions, when it ran them)."""
    run.outcome = outcome
    run.error = error[:ERROR_LENGTH]
    run.attempts += 1
    run.finished_at = timezone.now()
    RuleRun.objects.filter(pk=run.pk).update(
        outcome=run.outcome, error=run.error, attempts=run.attempts, finished_at=run.finished_at
    )


def rule_run_failed_attempt(run_id: int, error: str, *, final: bool) -> None:
    """An attempt that failed: counted, with its error; the last one fails the run."""
    with transaction.atomic():
        run = RuleRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.outcome != RunOutcome.QUEUED:
            return
        run.attempts += 1
        run.error = error[:ERROR_LENGTH]
        if final:
            run.outcome = RunOutcome.FAILED
            run.finished_at = timezone.now()
        run.save(update_fields=["attempts", "error", "outcome", "finished_at"])


def next_in_turn(action: RuleAction):
    """The active member of ``action``'s group after the one given the last record (by id,
    round and round); None for a group with no active member. Two runs at once take turns:
    the action's row is locked until the caller's transaction ends."""
    locked = RuleAction.objects.select_for_update().get(pk=action.pk)
    members = get_user_model().objects.filter(groups=locked.group_id, is_active=True)
    after = locked.last_assigned_id or 0
    chosen = members.filter(pk__gt=after).order_by("pk").first()
    chosen = chosen or members.order_by("pk").first()
    if chosen is not None:
        RuleAction.objects.filter(pk=locked.pk).update(last_assigned=chosen)
    return chosen
