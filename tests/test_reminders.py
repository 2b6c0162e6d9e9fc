"""Task reminders and overdue notices: when they are due, told once for each moment (however
often the job runs, or if it dies half-way), in the assignee's language; and the task form's
due time and reminder."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.factories import TaskFactory
from crm.models import Notification, NotificationKind, NotificationSetting, Task, TaskStatus
from crm.models.choices import TaskReminder
from crm.notifications import reminders

from .test_notifications import a_rep

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 3)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def reminders_of(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, kind=NotificationKind.TASK_DUE)
        .order_by("pk")
        .values_list("text", flat=True)
    )


# -- when a reminder is due -------------------------------------------------------------------


def test_the_reminder_moment_follows_the_due_date_time_and_lead():
    task = TaskFactory(due_date=TODAY, due_time=datetime.time(14, 30), reminder=15)
    assert task.remind_at == at(TODAY, 14, 15)
    task.reminder = TaskReminder.DAY_1
    task.save(update_fields=["reminder"])
    task.refresh_from_db()
    assert task.remind_at == at(TODAY - datetime.timedelta(days=1), 14, 30)
    with override_settings(CRM_WORKDAY_START="08:30"):
        no_time = TaskFactory(due_date=TODAY, reminder=TaskReminder.AT_DUE_TIME)
    assert no_time.remind_at == at(TODAY, 8, 30)  # a task without a time is due at the start
    assert TaskFactory(due_date=TODAY, due_time=datetime.time(9)).remind_at is None


def test_a_reminder_is_told_once_when_due_and_not_before(rep):
    task = TaskFactory(
        title="Call Acme", assigned_to=rep, due_date=TODAY, due_time=datetime.time(14, 30),
        reminder=15,
    )  # fmt: skip
    assert reminders.send_reminders(now=at(TODAY, 14, 14)) == 0
    assert reminders_of(rep) == []
    assert reminders.send_reminders(now=at(TODAY, 14, 15)) == 1
    assert reminders_of(rep) == ["Reminder: the task Call Acme is due at 14:30 on 03/12/2026."]
    for minute in (16, 17, 40):  # the job runs every minute, and on more workers
        assert reminders.send_reminders(now=at(TODAY, 14, minute)) == 0
    assert len(reminders_of(rep)) == 1
    notification = Notification.objects.get(recipient=rep)
    assert notification.target_url() == task.get_absolute_url()
    task.refresh_from_db()
    assert task.reminded_for == task.remind_at


def test_a_task_moved_to_another_time_is_reminded_again(rep, manager):
    task = TaskFactory(assigned_to=rep, due_date=TODAY, due_time=datetime.time(10), reminder=60)
    reminders.send_reminders(now=at(TODAY, 9))
    services.task_update(task=task, by=manager, data={"due_time": datetime.time(16)})
    task.refresh_from_db()
    assert task.remind_at == at(TODAY, 15)
    assert reminders.send_reminders(now=at(TODAY, 9, 30)) == 0
    services.task_update(task=task, by=manager, data={"title": "Renamed"})  # the time unchanged
    assert reminders.send_reminders(now=at(TODAY, 15)) == 1
    assert reminders.send_reminders(now=at(TODAY, 15, 1)) == 0
    assert len(reminders_of(rep)) == 2


def test_done_tasks_and_long_past_ones_are_not_reminded(rep, manager):
    done = TaskFactory(assigned_to=rep, due_date=TODAY, due_time=datetime.time(10), reminder=15)
    services.task_complete(task=done, by=rep)
    late = TaskFactory(assigned_to=rep, due_date=TODAY, due_time=datetime.time(8), reminder=15)
    assert reminders.send_reminders(now=at(TODAY, 11)) == 0  # late: due 3 hours ago
    assert reminders_of(rep) == []
    late.refresh_from_db()
    assert late.reminded_for == late.remind_at  # dropped, not left for every later run
    assert not Task.objects.reminders_due(at(TODAY, 23)).exists()
    services.task_reopen(task=done, by=rep)  # reopened: its reminder is still to tell
    assert Task.objects.reminders_due(at(TODAY, 10)).get() == done


def test_a_run_that_dies_after_telling_tells_no_one_twice(rep, monkeypatch):
    TaskFactory(assigned_to=rep, due_date=TODAY, due_time=datetime.time(10), reminder=15)
    TaskFactory(assigned_to=rep, due_date=TODAY, due_time=datetime.time(10), reminder=0)

    def dies(**kwargs):
        raise ConnectionError("the worker died here")

    monkeypatch.setattr(reminders, "task_reminder_handled", dies)
    with pytest.raises(ConnectionError):
        reminders.send_reminders(now=at(TODAY, 10))
    assert len(reminders_of(rep)) == 1  # told, not marked
    monkeypatch.undo()
    assert reminders.send_reminders(now=at(TODAY, 10)) == 1  # the other one
    assert reminders.send_reminders(now=at(TODAY, 10, 1)) == 0
    assert len(reminders_of(rep)) == 2
    assert not Task.objects.reminders_due(at(TODAY, 10, 1)).exists()


def test_a_reminder_is_in_the_assignees_language_and_follows_their_choice(rep):
    layla = a_rep("layla", language="ar")
    TaskFactory(
        title="اتصل بشركة النور", assigned_to=layla, due_date=TODAY, due_time=datetime.time(9),
        reminder=0,
    )  # fmt: skip
    off = TaskFactory(assigned_to=rep, due_date=TODAY, reminder=0)
    NotificationSetting.objects.create(user=rep, kind=NotificationKind.TASK_DUE, delivery="off")
    assert reminders.send_reminders(now=at(TODAY, 9)) == 1
    (text,) = reminders_of(layla)
    assert text.startswith("تذكير:") and "اتصل بشركة النور" in text
    assert reminders_of(rep) == []
    off.refresh_from_db()
    assert off.reminded_for is not None  # turned off: handled, not kept waiting


# -- overdue notices --------------------------------------------------------------------------


def test_overdue_tasks_are_told_once_a_day_in_one_notice(rep):
    sara = a_rep("sara")
    yesterday = TODAY - datetime.timedelta(days=1)
    for title in ("Send the quote", "Call back"):
        TaskFactory(title=title, assigned_to=rep, due_date=yesterday)
    TaskFactory(assigned_to=rep, due_date=TODAY)  # due today: not overdue yet
    TaskFactory(assigned_to=rep, due_date=yesterday, status=TaskStatus.COMPLETED)
    one = TaskFactory(title="Visit Al Noor", assigned_to=sara, due_date=yesterday)

    assert reminders.send_overdue_notices(today=TODAY) == 2
    for _ in range(3):  # hourly runs that day
        assert reminders.send_overdue_notices(today=TODAY) == 0
    mine = Notification.objects.get(recipient=rep, kind=NotificationKind.TASK_OVERDUE)
    assert mine.text == "You have 2 overdue tasks."
    link = urlsplit(mine.target_url())
    assert link.path == reverse("crm:task-list") and link.query == "overdue=on&mine=on"
    hers = Notification.objects.get(recipient=sara)
    assert hers.text == "The task Visit Al Noor is overdue: it was due on 02/12/2026."
    assert hers.target_url() == one.get_absolute_url()

    assert reminders.send_overdue_notices(today=TODAY + datetime.timedelta(days=1)) == 2
    assert Notification.objects.filter(recipient=rep).count() == 2


def test_the_overdue_link_opens_my_overdue_tasks(rep_client, rep):
    today = timezone.localdate()
    TaskFactory(title="Mine and late", assigned_to=rep, due_date=today - datetime.timedelta(days=2))
    TaskFactory(title="Someone else's", due_date=today - datetime.timedelta(days=2))
    TaskFactory(title="Mine, on time", assigned_to=rep, due_date=today)
    response = rep_client.get(reminders.my_overdue_tasks_url())
    assert [task.title for task in response.context["object_list"]] == ["Mine and late"]


# -- the task form ----------------------------------------------------------------------------


def test_the_task_form_takes_a_due_time_and_a_reminder(rep_client, rep):
    response = rep_client.get(reverse("crm:task-create"))
    text = response.content.decode()
    assert 'type="time"' in text and "15 minutes before" in text and "1 day before" in text
    response = rep_client.post(
        reverse("crm:task-create"),
        {
            "title": "Demo for Acme", "priority": "normal", "status": "pending",
            "due_date": "2026-12-10", "due_time": "11:00", "reminder": "60",
            "assigned_to": rep.pk,
        },
    )  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    task = Task.objects.get(title="Demo for Acme")
    assert (task.due_time, task.reminder) == (datetime.time(11), 60)
    assert task.remind_at == at(datetime.date(2026, 12, 10), 10)
    page = rep_client.get(task.get_absolute_url()).content.decode()
    assert "11:00" in page and "1 hour before" in page


@pytest.mark.parametrize(
    "field, value", [("due_time", "25:99"), ("reminder", "7"), ("reminder", "x" * 40)]
)
def test_a_bad_time_or_reminder_is_refused_with_a_message(rep_client, rep, field, value):
    data = {
        "title": "Bad", "priority": "normal", "status": "pending", "due_date": "2026-12-10",
        "assigned_to": rep.pk, field: value,
    }  # fmt: skip
    response = rep_client.post(reverse("crm:task-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Task.objects.filter(title="Bad").exists()


# -- who runs the job -------------------------------------------------------------------------


def test_without_redis_beat_runs_the_reminders_job_itself(rep):
    """The demo's scheduler (``make run``): with no broker, beat's own call runs the job."""
    from celery.beat import ScheduleEntry, Scheduler
    from celery.result import EagerResult
    from django_celery_beat.schedulers import DatabaseScheduler

    from crm_project.celery import app

    app.loader.import_default_modules()  # as beat does when it starts: finds crm.jobs
    due = timezone.localtime() + datetime.timedelta(minutes=5)
    TaskFactory(assigned_to=rep, due_date=due.date(), due_time=due.time(), reminder=15)
    # The scheduler beat runs sends a due job with its base class's own call (a
    # DatabaseScheduler here would also save the schedule, closing the test's connection).
    assert "apply_async" not in vars(DatabaseScheduler)
    scheduler = Scheduler(app=app, lazy=True)
    entry = ScheduleEntry(
        name="task reminders", task="crm.send_task_reminders", app=app,
        schedule=datetime.timedelta(minutes=1),
    )  # fmt: skip
    result = scheduler.apply_async(entry, producer=scheduler.producer)
    assert isinstance(result, EagerResult)  # run here, by beat's own call
    assert len(reminders_of(rep)) == 1


def test_the_tasks_history_shows_its_time_and_reminder_changing(rep_client, rep):
    task = TaskFactory(assigned_to=rep, due_date=TODAY, due_time=datetime.time(10))
    services.task_update(
        task=task, by=rep, data={"due_time": datetime.time(16, 30), "reminder": 15}
    )
    page = rep_client.get(task.get_absolute_url()).content.decode()
    history = page[page.index('id="history"') :]
    assert "due time" in history.lower() and "16:30" in history
    assert "15 minutes before" in history
    assert "remind at" not in history.lower()  # bookkeeping, not an edit


@pytest.mark.parametrize(
    "due, lead, expected",
    [  # Europe/Berlin's clocks: forward on 29 March 2026, back on 25 October 2026
        ((2026, 3, 29, 3, 30), 60, (2026, 3, 29, 0, 30)),
        ((2026, 10, 25, 3, 0), 60, (2026, 10, 25, 1, 0)),
    ],
)
def test_a_reminder_comes_its_lead_before_in_real_time_across_a_clock_change(due, lead, expected):
    with override_settings(TIME_ZONE="Europe/Berlin"):
        task = TaskFactory(
            due_date=datetime.date(*due[:3]), due_time=datetime.time(*due[3:]), reminder=lead
        )
        assert task.due_moment() - task.remind_at == datetime.timedelta(minutes=lead)
        assert task.remind_at == datetime.datetime(*expected, tzinfo=datetime.UTC)
