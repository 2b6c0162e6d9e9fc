"""Background jobs, run by a Celery worker (``celery -A crm_project worker``) or, with no
``REDIS_URL``, in the process that asks for them.

Every job is idempotent: run twice, or again after a worker died in the middle of it (its
message is acknowledged only once it has finished, so a lost worker's jobs are run again),
it leaves the same state. A job that fails on a passing cause (the database or the broker
away) is retried with a growing delay.
"""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .automation import engine, scheduled
from .notifications import mail, reminders
from .reports import team
from .services import kept_totals

# Failures that pass: another try, a little later, may well succeed.
PASSING = (
    OperationalError,  # the database away, a deadlock, a lock timeout
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,  # the mail server away, among others
    smtplib.SMTPException,
)
logger = logging.getLogger(__name__)

RETRIED = {
    "autoretry_for": PASSING,
    "retry_backoff": 2,  # seconds: 2, 4, 8, ...
    "retry_backoff_max": 5 * 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="crm.refresh_team_figures", ignore_result=True, **RETRIED)
def refresh_team_figures() -> None:
    """The dashboard's team figures, computed and kept for every page (beat runs it)."""
    team.refresh()


@shared_task(name="crm.send_notification_emails", ignore_result=True, **RETRIED)
def send_notification_emails() -> int:
    """Email the "at once" notifications still unread after their delay (beat: every minute)."""
    return mail.send_due_emails()


@shared_task(name="crm.send_notification_digests", ignore_result=True, **RETRIED)
def send_notification_digests() -> int:
    """Each person's daily digest of unread notifications (beat: at CRM_DIGEST_HOUR)."""
    return mail.send_digests()


@shared_task(name="crm.rebuild_kept_totals", ignore_result=True, **RETRIED)
def rebuild_kept_totals() -> None:
    """Count every record afresh into the kept totals, the board's and the campaigns' (beat:
    nightly), so that a write that went round the bookkeeping (a raw SQL fix, an old app server
    during a deploy) cannot leave them wrong for more than a day."""
    kept_totals.kept_totals_rebuild()


@shared_task(name="crm.send_task_reminders", ignore_result=True, **RETRIED)
def send_task_reminders() -> int:
    """The task reminders due by now, each once (beat: every minute)."""
    return reminders.send_reminders()


@shared_task(name="crm.send_overdue_notices", ignore_result=True, **RETRIED)
def send_overdue_notices() -> int:
    """Today's notice to each person with overdue tasks, once a day (beat: hourly, so that a
    worker down at the hour still tells them that day)."""
    return reminders.send_overdue_notices()


@shared_task(name="crm.run_rule", bind=True, ignore_result=True, max_retries=4)
def run_rule(self, run_id: int) -> str | None:
    """Carry out one queued run of an automation rule (asked for after the commit that
    triggered it). A passing failure is retried with a growing delay, then logged as failed."""
    retries = self.request.retries
    while True:
        try:
            return engine.carry_out(run_id)
        except PASSING as error:
            if retries >= self.max_retries:
                engine.failed_for_good(run_id, error)
                return None
            engine.attempt_failed(run_id, error)
            if not self.request.is_eager:
                raise self.retry(exc=error, countdown=2 ** (retries + 1)) from error
            retries += 1  # run in the process that asked: tried again here, at once
        except Exception as error:  # a bug, bad data: logged as failed, never left queued
            logger.exception("Automation run %s failed", run_id)
            engine.failed_for_good(run_id, error)
            return None


@shared_task(name="crm.run_scheduled_rules", ignore_result=True, **RETRIED)
def run_scheduled_rules() -> int:
    """The rules of tasks become overdue and deals left idle (beat: hourly)."""
    return scheduled.run_scheduled()
