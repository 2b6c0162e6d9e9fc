"""Rules heard from the services' events, and run by a job.

After a write commits, its events are heard here: each active rule whose trigger the event is
gets a run queued (``RuleRun``) for the record, in the event's chain, and a job carries it out.
The job, in one transaction, locks the run (a job delivered twice finds it done), reads the
record afresh, checks the conditions, does the actions through the services with the chain's
depth one more, and records the outcome: the actions and their outcome are committed together,
so a worker that dies half-way leaves the run to do again, whole. An action that meets a passing
failure (the database away) is retried with a growing delay, then logged as failed with why; a
refused one (a rule, a right) fails at once.
"""

from __future__ import annotations

import logging
import traceback
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import events
from ..models import Stage
from ..models.automation import Rule, RuleRun, RunOutcome, Trigger, WatchedField
from ..services import automation as service
from .actions import DO, KIND_OF, MODELS, conditions_met

logger = logging.getLogger(__name__)

# The triggers each event can be, and for "changes to", the field it watches.
HEARD = {
    events.LeadCreated: ((Trigger.CREATED, ""), (Trigger.LEAD_FROM, "")),
    events.DealCreated: ((Trigger.CREATED, ""),),
    events.TaskCreated: ((Trigger.CREATED, ""),),
    events.LeadStatusChanged: ((Trigger.CHANGED_TO, WatchedField.STATUS),),
    events.LeadAssigned: ((Trigger.CHANGED_TO, WatchedField.OWNER),),
    events.DealStageChanged: ((Trigger.CHANGED_TO, WatchedField.STAGE),),
    events.DealAssigned: ((Trigger.CHANGED_TO, WatchedField.OWNER),),
    events.TaskStatusChanged: ((Trigger.CHANGED_TO, WatchedField.STATUS),),
    events.TaskAssigned: ((Trigger.CHANGED_TO, WatchedField.OWNER),),
    events.TaskPriorityChanged: ((Trigger.CHANGED_TO, WatchedField.PRIORITY),),
}
# The event's changed field that a "changes to" rule on each watched field compares.
CHANGED = {"status": "status", "stage": "stage", "priority": "priority"}


def heard(event: events.Event) -> None:
    """Queue a run of each active rule ``event`` triggers."""
    if not event.runs_rules:
        return
    kind = KIND_OF.get(type(event.record))
    if kind is None:
        return
    triggers = HEARD[type(event)]
    rules = Rule.objects.filter(
        is_active=True, record=kind, trigger__in=[trigger for trigger, _field in triggers]
    )
    for rule in rules:
        if triggered(rule, event, dict(triggers)):
            queue(rule, event.record, rule.trigger, chain=event.chain, depth=event.depth)


for _event_type in HEARD:
    events.subscribe(_event_type, heard)


def triggered(rule: Rule, event: events.Event, triggers: dict) -> bool:
    record = event.record
    if rule.trigger == Trigger.LEAD_FROM:
        return (not rule.campaign_id or record.campaign_id == rule.campaign_id) and (
            not rule.source or record.source == rule.source
        )
    if rule.trigger != Trigger.CHANGED_TO:
        return True
    if triggers.get(Trigger.CHANGED_TO) != rule.field:
        return False
    if rule.field == WatchedField.OWNER:
        name = "assigned_to" if "assigned_to" in event.changes else "owner"
        new = event.new(name)
        return new is not None and (
            get_user_model().objects.filter(pk=new, username=rule.value).exists()
        )
    new = event.new(CHANGED[rule.field])
    if rule.field == WatchedField.STAGE:
        return Stage.objects.filter(pk=new, code=rule.value).exists()
    return new == rule.value


def queue(rule: Rule, record, trigger: str, *, chain: str, depth: int) -> RuleRun | None:
    """Queue ``rule``'s run for ``record`` (once in a chain) and ask a job to carry it out."""
    from ..jobs import run_rule

    run = service.rule_run_queue(
        rule=rule, record=record, trigger=trigger, chain=chain, depth=depth
    )
    if run is not None and run.outcome == RunOutcome.QUEUED:
        transaction.on_commit(lambda: run_rule.delay(run.pk))
    elif run is not None:
        logger.error("Automation stopped: rule %s on %s, %s", rule.pk, record, run.error)
    return run


@contextmanager
def in_chain(run: RuleRun):
    """The writes inside belong to ``run``'s chain, one deeper."""
    chain = events.chain_id.set(run.chain)
    depth = events.chain_depth.set(run.depth + 1)
    try:
        yield
    finally:
        events.chain_depth.reset(depth)
        events.chain_id.reset(chain)


# Refusals an attempt again would meet again: the run fails at once, with why.
REFUSED = (ValidationError, PermissionDenied, ObjectDoesNotExist, ValueError, KeyError)


def carry_out(run_id: int) -> str | None:
    """Do run ``run_id``'s actions, if it is still queued and its conditions hold; its outcome
    (None: nothing to do). A passing failure is raised, for the job to retry."""
    with transaction.atomic():
        run = service.rule_run_take(run_id)
        if run is None:
            return None
        outcome, error = act(run)
        if outcome != RunOutcome.FAILED:
            service.rule_run_finish(run, outcome, error)
            return outcome
        transaction.set_rollback(True)  # none of its actions stays
    service.rule_run_failed_attempt(run_id, error, final=True)
    return outcome


def act(run: RuleRun) -> tuple[str, str]:
    rule = run.rule
    if not rule.is_active:  # turned off since the run was queued
        return RunOutcome.SKIPPED, _("The rule was turned off.")
    model = MODELS[rule.record]
    record = model.objects.filter(pk=run.target_id).first()
    if record is None:
        return RunOutcome.FAILED, _("The record no longer exists.")
    if not conditions_met(rule, record):
        return RunOutcome.SKIPPED, ""
    by = rule.created_by
    if not by.is_active:
        name = by.get_username()
        return RunOutcome.FAILED, _("The user this rule acts as (%(name)s) has left.") % {
            "name": name
        }
    with in_chain(run):
        for action in rule.actions.all():
            try:
                with transaction.atomic():
                    DO[action.kind](action, record, by)
            except REFUSED as error:
                message = "; ".join(getattr(error, "messages", None) or [str(error)])
                return RunOutcome.FAILED, f"{action.get_kind_display()}: {message}"
            record.refresh_from_db()
    return RunOutcome.SUCCEEDED, ""


def failed_for_good(run_id: int, error: BaseException) -> None:
    """The last attempt failed on a passing cause: the run is logged as failed, with it."""
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    service.rule_run_failed_attempt(run_id, text, final=True)


def attempt_failed(run_id: int, error: BaseException) -> None:
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    service.rule_run_failed_attempt(run_id, text, final=False)
