"""One run of the benchmark: check the users, plan the pages, time them, then the load test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.test.utils import override_settings

from .load import run_load
from .pages import Page, Plan, plan_pages
from .timing import FLOOR_LIMITS, Result, load_average, machine_info, time_pages

REP_GROUP = "Sales rep"
# The project's URLs with the floor's admin beside them, only while the pages are timed.
BENCH_URLCONF = "benchmarks.urls"


@dataclass
class Run:
    """Who the pages were opened as, how, what they took, and on what machine."""

    user: object
    admin_user: object
    repeat: int
    warmup: int
    only: list[str] | None
    plan: Plan
    results: list[Result]
    load: dict | None
    machine: dict

    @property
    def failed(self) -> list[Result]:
        return [result for result in self.results if not result.ok]

    @property
    def problems(self) -> list[str]:
        """A line for each page that did not answer 200, and one for the load test's errors."""
        problems = [f"{result.page.name}: {result.status} {result.error}" for result in self.failed]
        if self.load and self.load["errors"]:
            problems.append(f"load test: {self.load['errors']} errors")
        return problems


def get_user(username: str):
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist as error:
        raise CommandError(f"No user {username!r}: run seed_crm first.") from error


def keep_only(pages: list[Page], only: list[str]) -> list[Page]:
    """The pages whose name contains one of ``only``, and the floor if any is a list or admin."""
    kept = [page for page in pages if any(text in page.name for text in only)]
    if not kept:
        raise CommandError(f"No page's name contains any of {only}.")
    if any(page.kind in FLOOR_LIMITS for page in kept):
        floor = [page for page in pages if page.kind == "floor" and page not in kept]
        kept = floor + kept
    return kept


def run_benchmark(
    *,
    username: str,
    admin_username: str,
    repeat: int,
    warmup: int,
    only: list[str] | None = None,
    load_seconds: float = 0,
    concurrency: int = 8,
    workers: int = 2,
    progress: Callable[[int, int, Result], None] = lambda done, total, result: None,
    note: Callable[[str], None] = lambda message: None,
) -> Run:
    """Time every page (those whose name contains one of ``only``), then load-test if asked."""
    # The test client calls itself "testserver".
    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user = get_user(username)
    if not user.groups.filter(name=REP_GROUP).exists():
        raise CommandError(f"{user.username} is not in the group {REP_GROUP!r}.")
    admin_user = get_user(admin_username)
    if not admin_user.is_staff:
        raise CommandError(f"{admin_user.username} is not staff: the admin would refuse.")

    load_before = load_average()
    with override_settings(ROOT_URLCONF=BENCH_URLCONF):
        plan = plan_pages(user)
        pages = keep_only(plan.pages, only) if only else plan.pages
        results = time_pages(
            pages,
            user=user,
            admin_user=admin_user,
            repeat=repeat,
            warmup=warmup,
            progress=progress,
        )
    load = None
    if load_seconds:
        note(f"Load test: {load_seconds}s ...")
        load = run_load(
            user=user,
            records=plan.records,
            seconds=load_seconds,
            concurrency=concurrency,
            workers=workers,
        )
    return Run(
        user=user,
        admin_user=admin_user,
        repeat=repeat,
        warmup=warmup,
        only=only,
        plan=plan,
        results=results,
        load=load,
        machine=machine_info(load_before=load_before),
    )
