"""Timing in process: each page through Django's test client, and where the numbers came from.

Each page is requested ``warmup`` times untimed, ``repeat`` times timed, and once more to count
its SQL queries. Nothing is cached between requests beyond what the app itself caches.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import django
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crm.reports import team
from crm_project.celery import app as celery_app

from .pages import Page

# Each admin changelist may take at most 1.5 times the floor's median, each reps' list 1.0 times.
FLOOR_LIMITS = {"admin": 1.5, "list": 1.0}


@dataclass
class Result:
    """The timings of one page."""

    page: Page
    seconds: list[float] = field(default_factory=list)
    queries: int | None = None
    status: int | None = None
    error: str = ""
    ratio: float | None = None  # a list's median over its record's admin changelist's
    floor_ratio: float | None = None  # the median over the floor's (lists and admin pages)

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error

    @property
    def floor_limit(self) -> float | None:
        """The most this page may take, in floors: 1.5 for the admin, 1.0 for a rep's list."""
        return FLOOR_LIMITS.get(self.page.kind)

    @property
    def over_floor(self) -> bool:
        limit = self.floor_limit
        return limit is not None and self.floor_ratio is not None and self.floor_ratio > limit

    @property
    def median_ms(self) -> float | None:
        return round(statistics.median(self.seconds) * 1000, 2) if self.seconds else None

    @property
    def p95_ms(self) -> float | None:
        return round(percentile(self.seconds, 0.95) * 1000, 2) if self.seconds else None

    def as_dict(self) -> dict:
        return {
            "name": self.page.name,
            "url": self.page.url,
            "kind": self.page.kind,
            "record": self.page.record,
            "variant": self.page.variant,
            "median_ms": self.median_ms,
            "p95_ms": self.p95_ms,
            "queries": self.queries,
            "ratio": self.ratio,
            "floor_ratio": self.floor_ratio,
            "floor_limit": self.floor_limit,
            "over_floor": self.over_floor,
            "status": self.status,
            "error": self.error,
        }


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: a value that was really measured."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@contextmanager
def logged_in(user) -> Iterator[Client]:
    """A test client with a session for ``user``, deleted afterwards."""
    client = Client()
    client.force_login(user)
    try:
        yield client
    finally:
        client.logout()


def request_once(client: Client, url: str) -> tuple[int, str]:
    """The status of one GET, and what went wrong if it was not a 200."""
    try:
        response = client.get(url)
    except Exception as error:  # the test client re-raises what a server would turn into a 500
        return 500, f"{type(error).__name__}: {error}"
    if response.status_code == 200:
        return 200, ""
    return response.status_code, response.get("Location", "")


def timed_request(client: Client, result: Result) -> None:
    """One timed GET of ``result``'s page, its time and status kept in ``result``."""
    started = time.perf_counter()
    result.status, result.error = request_once(client, result.page.url)
    result.seconds.append(time.perf_counter() - started)


def time_page(
    client: Client, page: Page, *, repeat: int, warmup: int, floor: Result | None = None
) -> Result:
    """Warm up, time ``repeat`` requests, then count the queries of one more.

    With ``floor`` (the floor's result, on the same client), each timed request is followed by
    one of the floor's, so the two are timed through the same moments of a busy machine.
    """
    result = Result(page)
    for _ in range(warmup):
        result.status, result.error = request_once(client, page.url)
        if not result.ok:
            return result
    with jobs_left_to_a_worker(page.figures == "stale"):
        for _ in range(repeat):
            prepare_figures(page)
            timed_request(client, result)
            if not result.ok:
                return result
            if floor is not None and floor.ok:
                timed_request(client, floor)
        prepare_figures(page)
        with CaptureQueriesContext(connection) as queries:
            result.status, result.error = request_once(client, page.url)
    result.queries = len(queries.captured_queries)
    return result


def prepare_figures(page: Page) -> None:
    """Make the dashboard's kept figures what ``page`` times: stale, or none at all."""
    if page.figures == "cold":
        cache.clear()
    elif page.figures == "stale":
        key = team.cache_key()
        figures = cache.get(key) or team.refresh()
        figures["as_of"] -= datetime.timedelta(seconds=settings.CRM_DASHBOARD_CACHE_SECONDS + 1)
        cache.set(key, figures)
        cache.delete(f"{key}:claimed")


@contextmanager
def jobs_left_to_a_worker(wanted: bool) -> Iterator[None]:
    """Jobs asked for are sent, not run: to the broker when there is one (REDIS_URL), else to
    an in-memory queue no one reads, as they would be to a worker elsewhere."""
    if not wanted or not celery_app.conf.task_always_eager:
        yield
        return
    celery_app.conf.update(task_always_eager=False, broker_url="memory://")
    try:
        yield
    finally:
        celery_app.conf.update(task_always_eager=True)


def time_pages(
    pages: list[Page],
    *,
    user,
    admin_user,
    repeat: int,
    warmup: int,
    progress: Callable[[int, int, Result], None] = lambda done, total, result: None,
) -> list[Result]:
    """Time every page, as the rep or, for the admin, as the manager.

    The floor is timed on its own, then once more after each request of every admin changelist
    timed after it: its median is taken over all of them.
    """
    results = []
    floor = None
    with logged_in(user) as rep_client, logged_in(admin_user) as admin_client:
        for number, page in enumerate(pages, start=1):
            client = admin_client if page.as_admin else rep_client
            alongside = floor if page.kind == "admin" else None
            result = time_page(client, page, repeat=repeat, warmup=warmup, floor=alongside)
            if page.kind == "floor":
                floor = result
            results.append(result)
            progress(number, len(pages), result)
    add_ratios(results)
    return results


def ratio(result: Result, reference: Result) -> float:
    return round(statistics.median(result.seconds) / statistics.median(reference.seconds), 2)


def add_ratios(results: list[Result]) -> None:
    """Each list row against the admin changelist of the same record, same kind of request;
    each list and admin row against the floor.

    A search is compared with the admin's search for the same words; every other variant
    (deep pages, filters, sorting) with the admin's first page. The floor is a plain admin's
    first page: every list and admin row, searches included, is compared with it.
    """
    timed = [result for result in results if result.ok and result.seconds]
    floor = next((result for result in timed if result.page.kind == "floor"), None)
    if floor:
        for result in timed:
            if result.page.kind in FLOOR_LIMITS:
                result.floor_ratio = ratio(result, floor)
    admin = {
        (result.page.record, result.page.search): result
        for result in results
        if result.page.kind == "admin" and result.ok and result.seconds
    }
    for result in results:
        if result.page.kind != "list" or not (result.ok and result.seconds):
            continue
        search = result.page.search if result.page.variant == "search" else ""
        reference = admin.get((result.page.record, search))
        if reference:
            result.ratio = ratio(result, reference)


def load_average() -> float | None:
    """The machine's 1-minute load average: anything else running skews the timings."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def machine_info(*, load_before: float | None = None) -> dict:
    """Where the numbers come from: the database, its size, the machine and the versions."""
    crm_models = sorted(apps.get_app_config("crm").get_models(), key=lambda m: m._meta.label)
    counted = [get_user_model(), *crm_models]
    return {
        "database": {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])},
        "rows": {model._meta.label: model._default_manager.count() for model in counted},
        "cpu_count": os.cpu_count(),
        "load_average": {"before": load_before, "after": load_average()},
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
        "debug": settings.DEBUG,
    }
