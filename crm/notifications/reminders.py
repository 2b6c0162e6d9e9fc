"""Task reminders and overdue notices, sent by scheduled jobs (``crm.jobs``).

Each reminder goes out once for each moment its task is due: the notification carries a key of
the task and the moment, unique for its recipient in the database, so two workers running at
once, or a worker killed after telling and before marking the reminder handled, and then run
again, store one notification. A task moved to another time is reminded again; a reminder whose
task has been due longer than ``CRM_REMINDER_LATEST`` minutes (the workers were down) is dropped,
as the overdue notice tells of it.

Overdue notices: from the workday's start, everyone with open tasks past their due date is told
once that day (one notice however many such tasks, and however often the job runs).
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Notification, NotificationKind, Task
from ..services import task_reminder_handled
from ..services.notifications import notify

BATCH = 200  # tasks read per query


def reminder_key(task: Task, remind_at: datetime.datetime) -> str:
    return f"task-due:{task.pk}:{remind_at.astimezone(datetime.UTC):%Y%m%dT%H%M%S}"


def _reminder_text(task: Task):
    due = timezone.localtime(task.due_moment())

    def text():
        names = {"name": task.title, "date": date_format(due.date(), "SHORT_DATE_FORMAT")}
        if task.due_time is None:
            return _("Reminder: the task %(name)s is due on %(date)s.") % names
        names["time"] = time_format(due.time(), "TIME_FORMAT")
        return _("Reminder: the task %(name)s is due at %(time)s on %(date)s.") % names

    return text


def send_reminders(now: datetime.datetime | None = None) -> int:
    """Tell each assignee of the reminders due by ``now``; how many were told."""
    now = now or timezone.now()
    latest = datetime.timedelta(minutes=settings.CRM_REMINDER_LATEST)
    told = 0
    while True:
        due = list(Task.objects.reminders_due(now).select_related("assigned_to")[:BATCH])
        for task in due:
            key = reminder_key(task, task.remind_at)
            # Told already by a run that died before marking it (then the key would refuse it).
            done = Notification.objects.filter(recipient=task.assigned_to_id, key=key).exists()
            if task.due_moment() + latest >= now and not done:
                sent = notify(
                    recipient=task.assigned_to,
                    kind=NotificationKind.TASK_DUE,
                    text=_reminder_text(task),
                    target=task,
                    key=key,
                )
                told += sent is not None
            task_reminder_handled(task=task, remind_at=task.remind_at)
        if len(due) < BATCH:
            return told


def overdue_key(today: datetime.date) -> str:
    return f"tasks-overdue:{today.isoformat()}"


def send_overdue_notices(today: datetime.date | None = None) -> int:
    """Tell each person with open tasks past their due date, once ``today``; how many were told."""
    today = today or timezone.localdate()
    key = overdue_key(today)
    told_already = Notification.objects.filter(kind=NotificationKind.TASK_OVERDUE, key=key)
    late = list(
        Task.objects.overdue(today)
        .exclude(assigned_to__in=told_already.values("recipient"))
        .order_by()
        .values("assigned_to")
        .annotate(n=Count("pk"), first=Min("pk"))
    )
    people = get_user_model().objects.in_bulk([row["assigned_to"] for row in late])
    told = 0
    for row in late:
        person, count = people.get(row["assigned_to"]), row["n"]
        task = Task.objects.get(pk=row["first"]) if count == 1 else None
        sent = notify(
            recipient=person,
            kind=NotificationKind.TASK_OVERDUE,
            text=_overdue_text(count, task),
            target=task,
            key=key,
            link="" if task else my_overdue_tasks_url(),
        )
        told += sent is not None
    return told


def my_overdue_tasks_url() -> str:
    return reverse("crm:task-list") + "?" + urlencode({"overdue": "on", "mine": "on"})


def _overdue_text(count: int, task: Task | None):
    def text():
        if task is not None:
            names = {"name": task.title, "date": date_format(task.due_date, "SHORT_DATE_FORMAT")}
            return _("The task %(name)s is overdue: it was due on %(date)s.") % names
        return ngettext(
            "You have %(count)d overdue task.", "You have %(count)d overdue tasks.", count
        ) % {"count": count}

    return text
