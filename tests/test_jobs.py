"""Background jobs: the dashboard's team figures computed off the request, retried when the
database fails for a moment, and run by a real Celery worker over the Redis on loopback."""

import datetime
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import OperationalError, connection
from django.db.models import Count
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from kombu import pools

from crm import jobs
from crm.factories import LeadFactory, UserFactory
from crm.reports import team
from crm_project.celery import app as celery_app

URL = reverse("crm:dashboard")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def age_the_figures(**delta):
    """Make the kept figures look computed ``delta`` ago."""
    figures = cache.get(team.cache_key())
    figures["as_of"] -= datetime.timedelta(**delta)
    cache.set(team.cache_key(), figures)
    return figures


@pytest.fixture
def queued_jobs(monkeypatch):
    """Jobs asked for are recorded, not run: as with a worker elsewhere."""
    asked = []

    def delay(*args, **kwargs):
        asked.append((args, kwargs))
        return AsyncResult(str(uuid.uuid4()))  # queued for a worker elsewhere

    monkeypatch.setattr(jobs.refresh_team_figures, "delay", delay)
    return asked


@pytest.mark.django_db
def test_stale_figures_are_shown_while_one_refresh_is_asked_for(
    rep_client, settings, queued_jobs, django_assert_max_num_queries
):
    settings.CRM_DASHBOARD_CACHE_SECONDS = 60
    LeadFactory.create_batch(2)
    first = rep_client.get(URL)  # none kept: this request computes them
    assert first.context["leads"]["total"] == 2
    LeadFactory()
    age_the_figures(seconds=61)

    # session, user, 2 for the permissions, my tasks and active deals: no aggregate at all
    with django_assert_max_num_queries(6):
        second = rep_client.get(URL)
    assert second.context["leads"]["total"] == 2  # shown, and said how old
    assert "Team figures as of" in second.content.decode()
    assert len(queued_jobs) == 1
    rep_client.get(URL)
    assert len(queued_jobs) == 1  # one refresh asked for, however many pages ask

    jobs.refresh_team_figures.apply()  # the worker runs it
    third = rep_client.get(URL)
    assert third.context["leads"]["total"] == 3
    assert third.context["figures_as_of"] > first.context["figures_as_of"]
    age_the_figures(seconds=61)
    rep_client.get(URL)
    assert len(queued_jobs) == 2  # the run released its claim: the next staleness asks again


@pytest.mark.django_db
def test_yesterdays_figures_are_stale_however_young(rep_client, settings, queued_jobs):
    settings.CRM_DASHBOARD_CACHE_SECONDS = 60
    rep_client.get(URL)
    figures = cache.get(team.cache_key())
    figures["day"] -= datetime.timedelta(days=1)  # computed at 23:59:59, now 00:00:00
    cache.set(team.cache_key(), figures)
    rep_client.get(URL)
    assert len(queued_jobs) == 1


@pytest.mark.django_db
def test_without_a_worker_the_request_runs_the_refresh_and_shows_it(rep_client, settings):
    assert celery_app.conf.task_always_eager  # no REDIS_URL: jobs run in the process
    settings.CRM_DASHBOARD_CACHE_SECONDS = 60
    LeadFactory()
    assert rep_client.get(URL).context["leads"]["total"] == 1
    LeadFactory()
    assert rep_client.get(URL).context["leads"]["total"] == 1  # fresh enough
    age_the_figures(seconds=61)
    assert rep_client.get(URL).context["leads"]["total"] == 2


@pytest.mark.django_db
def test_a_refresh_that_meets_a_passing_database_error_is_retried(monkeypatch):
    runs = []
    real = team.refresh

    def flaky():
        runs.append(1)
        if len(runs) == 1:
            raise OperationalError("the server closed the connection unexpectedly")
        return real()

    monkeypatch.setattr(team, "refresh", flaky)
    result = jobs.refresh_team_figures.apply(throw=False)
    assert result.successful(), result.traceback
    assert len(runs) == 2
    assert cache.get(team.cache_key())["leads"]["total"] == 0


def beat_schedule(**environ) -> dict:
    """The schedule beat would run with ``environ`` (the settings read in a new process)."""
    code = (
        "from crm_project import settings; "
        "print({name: (entry['task'], str(entry['schedule'])) "
        "for name, entry in settings.CELERY_BEAT_SCHEDULE.items()})"
    )
    env = {**os.environ, "REDIS_URL": "", "CRM_DASHBOARD_CACHE_SECONDS": "60", **environ}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return eval(out.stdout)  # noqa: S307 (our own dict's repr)


def test_beat_refreshes_the_figures_as_often_as_they_may_be_old_when_they_are_shared():
    shared = beat_schedule(REDIS_URL=REDIS)
    assert shared["dashboard team figures"] == (jobs.refresh_team_figures.name, "0:01:00")
    assert jobs.refresh_team_figures.name in celery_app.tasks
    # Without Redis each process has its own cache: beat's figures would reach no page.
    alone = beat_schedule()
    assert "dashboard team figures" not in alone
    assert alone["task reminders"] == (jobs.send_task_reminders.name, "0:01:00")
    for task, _schedule in alone.values():
        assert task in celery_app.tasks


def reconnect(app) -> None:
    """Forget the connections and queues Celery built from its earlier settings."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    pools.reset()  # kombu's own producer pools, one per broker URL, closed with it
    app.amqp._producer_pool = None
    for built in ("queues", "default_queue", "router"):
        app.amqp.__dict__.pop(built, None)


def database_url() -> str:
    """The URL of the database this test runs on (the test database, once created)."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue: str, number: int) -> subprocess.Popen:
    """A real Celery worker in its own process, over the Redis on loopback and this test's
    database (it sees what is committed), taking the jobs of ``queue``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm_project.settings_test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS,
        "CELERY_QUEUE": queue,
        "CACHE_KEY_PREFIX": queue,
        # A job taken by a worker that died goes to another after 5 s, not an hour.
        "CELERY_VISIBILITY_TIMEOUT": "5",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm_project", "worker", "--pool=solo"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"]
        + ["-n", f"{queue}-{number}@%h"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []  # the worker's log, read all along so that its pipe never fills
    reader = threading.Thread(target=lambda: seen.extend(process.stdout), daemon=True)
    reader.start()
    if not wait_for(lambda: any(" ready." in line for line in seen) or process.poll(), 60):
        process.kill()
    if process.poll() is not None:
        pytest.fail("the worker did not start:\n" + "".join(seen))
    process.log = seen
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


@pytest.fixture
def workers():
    """Starts real workers on one queue of this test's (``workers()``: one more); this
    process's cache and jobs use the same Redis, as an app server does."""
    name = f"crm-test-{uuid.uuid4().hex[:8]}"
    started = []

    def start() -> subprocess.Popen:
        started.append(start_worker(name, len(started) + 1))
        return started[-1]

    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": name,
        }
    }
    changed = ("broker_url", "task_always_eager", "task_default_queue")
    before = {key: celery_app.conf[key] for key in changed}
    celery_app.conf.update(broker_url=REDIS, task_always_eager=False, task_default_queue=name)
    reconnect(celery_app)
    try:
        with override_settings(CACHES=caches):
            yield start
    finally:
        celery_app.conf.update(before)
        reconnect(celery_app)
        for process in started:
            stop(process)
        server = redis.Redis.from_url(REDIS)
        for pattern in (f"{name}:*", f"_kombu.binding*.{name}"):
            for key in server.scan_iter(pattern):
                server.delete(key)


@pytest.fixture
def worker(workers):
    return workers()


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


# Decided before any fixture runs: on SQLite, emptying the database after a skipped
# transactional test would unsettle the browser tests' saved rows.
with_a_worker = pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="a worker needs a database another process can open: run on PostgreSQL",
)


@pytest.mark.slow
@with_a_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the worker sees commits
def test_a_worker_refreshes_the_figures_that_every_app_server_shows(worker, rep, client, settings):
    settings.CRM_DASHBOARD_CACHE_SECONDS = 60
    client.force_login(rep)
    LeadFactory.create_batch(2)
    first = client.get(URL)
    assert first.context["leads"]["total"] == 2
    LeadFactory()
    figures = age_the_figures(seconds=61)

    second = client.get(URL)  # stale: shown, and a refresh queued for the worker
    assert second.context["leads"]["total"] == 2
    assert wait_for(lambda: cache.get(team.cache_key())["as_of"] > figures["as_of"]), "".join(
        worker.log
    )
    third = client.get(URL)
    assert third.context["leads"]["total"] == 3


@pytest.mark.django_db
def test_with_none_kept_the_pages_after_the_first_wait_for_its_figures(
    settings, django_assert_max_num_queries
):
    settings.CRM_DASHBOARD_CACHE_SECONDS = 60
    figures = team.compute()
    cache.add(team.claim_key(), True, 60)  # the first page is computing them

    def the_first_finishes():
        time.sleep(0.3)
        cache.set(team.cache_key(), figures)

    threading.Thread(target=the_first_finishes).start()
    with django_assert_max_num_queries(0):  # waited: computed nothing itself
        shown = team.read()
    assert shown["as_of"] == figures["as_of"]


@pytest.mark.slow
@with_a_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reminders_are_told_once_by_two_workers_and_one_killed_half_way(workers):
    """900 reminders due, the job asked for six times over two workers, one of them killed in
    the middle of its run and another started: each task's assignee is told once, none missed."""
    from django.contrib.auth.models import Group

    from crm.factories import UserFactory
    from crm.models import Notification, NotificationKind, Task
    from crm.models.base import fill_search_text

    reps = UserFactory.create_batch(3)
    for rep in reps:
        rep.groups.add(Group.objects.get(name="Sales rep"))
    due = timezone.localtime() + datetime.timedelta(minutes=5)
    tasks = [
        Task(
            title=f"Call back {n}",
            assigned_to=reps[n % 3],
            due_date=due.date(),
            due_time=due.time().replace(microsecond=0),
            reminder=15,
        )  # fmt: skip
        for n in range(900)
    ]
    fill_search_text(tasks)
    Task.objects.bulk_create(tasks)
    first, second = workers(), workers()
    for _ in range(4):
        jobs.send_task_reminders.delay()
    told = Notification.objects.filter(kind=NotificationKind.TASK_DUE)
    assert wait_for(lambda: told.count() > 0, 60), "".join(first.log + second.log)
    first.kill()  # in the middle of its run: its job is given to another after 5 s
    first.wait()
    at_the_kill = told.count()
    third = workers()
    for _ in range(2):
        jobs.send_task_reminders.delay()
    assert wait_for(lambda: not Task.objects.reminders_due(timezone.now()).exists(), 120), "".join(
        second.log + third.log
    )
    assert 0 < at_the_kill < 900
    per_task = told.values("target_id").annotate(n=Count("pk"))
    assert told.count() == 900
    assert {row["n"] for row in per_task} == {1}
    assert {n.recipient_id for n in told} == {rep.pk for rep in reps}


@pytest.mark.slow
@with_a_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_runs_the_rules_and_stops_those_that_would_loop(worker, manager, rep):
    """Rules carried out by a real worker: two that answer each other stop after one turn
    each, a runaway that makes a task for each task made is stopped at its depth with an
    error logged, and a rule that meets a refusal is logged as failed, with why."""
    from crm import services
    from crm.models import Rule, RuleAction, RuleRun, Task
    from crm.models.automation import MAX_DEPTH

    def rule(name, record, trigger, action, **fields):
        made = Rule.objects.create(
            name=name, record=record, trigger=trigger, created_by=manager, **fields
        )
        RuleAction.objects.create(rule=made, **action)
        return made

    ping = rule("Ping", "lead", "changed_to", {"kind": "set_field", "field": "status",
                "value": "contacted"}, field="status", value="qualified")  # fmt: skip
    pong = rule("Pong", "lead", "changed_to", {"kind": "set_field", "field": "status",
                "value": "qualified"}, field="status", value="contacted")  # fmt: skip
    runaway = rule("Runaway", "task", "created", {"kind": "create_task", "title": "Again"})
    left = UserFactory(username="gone", is_active=False)
    refused = rule("Refused", "lead", "created", {"kind": "assign_owner", "assignee": "user",
                   "user": left})  # fmt: skip

    lead = LeadFactory(owner=rep)
    services.lead_update(lead=lead, by=rep, data={"status": "qualified"})  # commits: a worker
    services.task_create(by=rep, data={"title": "First", "due_date": timezone.localdate()})
    services.lead_create(by=rep, data={"name": "New", "phone": "0501112233"})
    finished = RuleRun.objects.exclude(outcome="queued")
    log = "".join(worker.log)
    assert wait_for(lambda: finished.count() == 2 + MAX_DEPTH + 1 + 1, 60), log
    assert RuleRun.objects.filter(rule=ping).count() == 1
    assert RuleRun.objects.filter(rule=pong).count() == 1
    assert Task.objects.count() == 1 + MAX_DEPTH
    stopped = RuleRun.objects.get(rule=runaway, outcome="stopped")
    assert "depth" in stopped.error
    failed = RuleRun.objects.get(rule=refused)
    assert (failed.outcome, failed.error) == (
        "failed",
        "Assign the owner: No active user to give it to.",
    )
