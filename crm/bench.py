"""The benchmark behind ``manage.py bench_crm``: every page a rep or a manager opens, timed.

Pages are requested in process through Django's test client, against whatever database the
settings point to, logged in as a sales rep (the admin changelists as a staff manager). Each page
is requested ``warmup`` times untimed, ``repeat`` times timed, and once more to count its SQL
queries. Nothing is cached between requests beyond what the app itself caches.

The load test serves the app with gunicorn on 127.0.0.1 and drives it from threads here.
"""

from __future__ import annotations

import datetime
import http.client
import math
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlencode

import dj_database_url
import django
import django_filters
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.core.management.base import CommandError
from django.db import connection, models
from django.db.models import Count, Max, Min
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import resolve, reverse
from django.utils import timezone

from .models import Campaign, Contact, Interaction, Lead, Opportunity, Task

# The records with a list page, a detail page and an admin changelist, in the menu's order.
RECORDS = ("lead", "contact", "opportunity", "interaction", "task", "campaign")
DETAIL_MODELS = {
    "lead": Lead,
    "contact": Contact,
    "opportunity": Opportunity,
    "interaction": Interaction,
    "task": Task,
    "campaign": Campaign,
}
REP_GROUP = "Sales rep"
ARABIC_SEARCH = "احمد"  # finds "أحمد" too: the search folds the alef forms
SEARCH_PARAM = "q"
SORT_PARAM = "ordering"
PAGE_PARAM = "page"
WORD_SAMPLE = 1000  # rows read to find a common word to search for
DATE_WINDOW = 30  # days in the date-range filters
WORD = re.compile(r"[^\W\d_]{4,}")  # words of 4 letters or more, as people search

# How the table groups rows, in this order.
KINDS = {
    "list": "Lists (rep)",
    "detail": "Detail pages (rep)",
    "board": "Pipeline board (rep)",
    "dashboard": "Dashboard (rep)",
    "convert": "Lead conversion (rep)",
    "admin": "Admin changelists (manager)",
}

# The load test: the server's settings and the pages of its mix.
SERVER_SETTINGS = "crm_project.settings"
LOAD_MAX_SECONDS = 120
SERVER_START_SECONDS = 60
SERVER_STOP_SECONDS = 15
REQUEST_TIMEOUT = 60
# settings.py reads no STATIC_ROOT from the environment, and with DEBUG off every {% static %}
# needs the manifest that collectstatic writes there: the server runs the project's settings
# through this overlay, which only moves STATIC_ROOT into a temporary directory.
OVERLAY = '''"""{module}, with static files collected into a temporary directory."""

from {module} import *  # noqa: F403

STATIC_ROOT = {static_root!r}
'''


@dataclass
class Page:
    """One URL to time, and what it is compared with."""

    name: str
    url: str
    kind: str
    record: str = ""
    variant: str = ""  # page1, middle, last, search, filter, sort (lists and admin)
    search: str = ""  # the words searched, for search variants
    as_admin: bool = False
    uncached: bool = False  # the cache is emptied before each request (the dashboard's figures)


@dataclass
class Result:
    """The timings of one page."""

    page: Page
    seconds: list[float] = field(default_factory=list)
    queries: int | None = None
    status: int | None = None
    error: str = ""
    ratio: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error

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
            "status": self.status,
            "error": self.error,
        }


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: a value that was really measured."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def url_with(name: str, params: dict | None = None, **kwargs) -> str:
    url = reverse(name, kwargs=kwargs or None)
    return f"{url}?{urlencode(params)}" if params else url


# --- What to request -------------------------------------------------------------------------


def list_view(record: str):
    """The view class behind a record's list page, as the URLconf has it today."""
    return resolve(reverse(f"crm:{record}-list")).func.view_class


def last_page(view_class, user) -> int:
    """The last page a list offers, as its own paginator counts (which may stop counting)."""
    request = RequestFactory().get(reverse(f"crm:{view_class.model._meta.model_name}-list"))
    request.user = user
    view = view_class()
    view.setup(request)
    paginator, _page, _rows, _paged = view.paginate_queryset(view.get_queryset(), view.paginate_by)
    return max(1, paginator.num_pages)


def common_word(model: type[models.Model]) -> str:
    """A word found in many rows, from the first field the search looks in; Latin if any."""
    field_name = model.SEARCHED_FIELDS[0]
    values = model._default_manager.order_by("pk").values_list(field_name, flat=True)
    words = Counter(word for value in values[:WORD_SAMPLE] for word in WORD.findall(value or ""))
    # Arabic has its own search row; a Latin word exercises the other half of the data.
    latin = [word for word, _count in words.most_common() if word.isascii()]
    if latin:
        return latin[0]
    return words.most_common(1)[0][0] if words else "a"


def most_used(model: type[models.Model], field_name: str):
    """The value of ``field_name`` the most rows have (None if it is not a plain field)."""
    try:
        model_field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return None
    if not model_field.concrete:
        return None
    column = model_field.attname
    row = (
        model._default_manager.exclude(**{f"{column}__isnull": True})
        .values(column)
        .annotate(rows=Count("pk"))
        .order_by("-rows", column)
        .first()
    )
    return row[column] if row else None


def date_window(model: type[models.Model], field_name: str) -> tuple[str, str]:
    """A month in the middle of the dates the rows have."""
    span = model._default_manager.aggregate(first=Min(field_name), last=Max(field_name))
    first, last = span["first"], span["last"]
    if first is None:
        middle = timezone.localdate()
    else:
        first, last = (
            timezone.localdate(value) if hasattr(value, "hour") else value
            for value in (first, last)
        )
        middle = first + (last - first) / 2
    start = middle - datetime.timedelta(days=DATE_WINDOW // 2)
    return start.isoformat(), (start + datetime.timedelta(days=DATE_WINDOW)).isoformat()


def filter_params(name: str, flt, model: type[models.Model], user, word: str) -> dict | None:
    """One representative value for a filter of a FilterSet, as the list's form sends it."""
    if isinstance(flt, django_filters.DateFromToRangeFilter):
        after, before = date_window(model, flt.field_name)
        return {f"{name}_after": after, f"{name}_before": before}
    if isinstance(flt, django_filters.ModelChoiceFilter):
        options = flt.get_queryset(SimpleNamespace(user=user))
        value = None if flt.method else most_used(model, flt.field_name)
        if value is None or not options.filter(pk=value).exists():
            first = options.first()
            value = first.pk if first else None
        return None if value is None else {name: value}
    if isinstance(flt, django_filters.ChoiceFilter):
        choices = flt.extra.get("choices") or []
        choices = list(choices() if callable(choices) else choices)
        values = [str(value) for value, _label in choices]
        value = None if flt.method else most_used(model, flt.field_name)
        if value is None or str(value) not in values:
            value = values[0] if values else None
        return None if value is None else {name: value}
    if isinstance(flt, django_filters.BooleanFilter):
        return {name: "on"}  # the checkbox, ticked
    if isinstance(flt, django_filters.CharFilter):
        return {name: word}
    return None


def describe(params: dict) -> str:
    """``created_at_after=a&created_at_before=b`` as ``created_at=a..b``; the rest as is."""
    keys = list(params)
    if len(keys) == 2 and keys[0].endswith("_after") and keys[1].endswith("_before"):
        return f"{keys[0].removesuffix('_after')}={params[keys[0]]}..{params[keys[1]]}"
    return " ".join(f"{key}={value}" for key, value in params.items())


def busiest(related: type[models.Model], link: str, rows_name: str) -> tuple[int | None, str]:
    """The record that the most ``related`` rows point to through ``link``, and how many."""
    row = (
        related._default_manager.exclude(**{f"{link}__isnull": True})
        .values(link)
        .annotate(rows=Count("pk"))
        .order_by("-rows", link)
        .first()
    )
    return (row[link], f"{row['rows']} {rows_name}") if row else (None, "")


def pick_records(user) -> dict[str, tuple[int | None, str]]:
    """For each detail page, a record with much to show, and why: ``{record: (pk, why)}``."""
    picks = {
        record: busiest(Interaction, record, "interactions")
        for record in ("lead", "contact", "opportunity")
    }
    picks["campaign"] = busiest(Lead, "campaign", "leads")
    # Interactions and tasks list nothing of their own: the newest one linked to a deal.
    for record in ("interaction", "task"):
        newest = DETAIL_MODELS[record].objects.filter(opportunity__isnull=False)
        pk = newest.order_by("-created_at", "-pk").values_list("pk", flat=True).first()
        picks[record] = (pk, "newest with a deal")
    for record, (pk, _why) in picks.items():
        if pk is None:
            first = DETAIL_MODELS[record]._default_manager.order_by("pk")
            picks[record] = (first.values_list("pk", flat=True).first(), "first")
    # The convert page needs a lead the rep may convert: their own, neither lost nor converted;
    # one with an email and a phone looks for look-alike customers both ways.
    own_open = Lead.objects.open().filter(owner=user).order_by("pk").values_list("pk", flat=True)
    lead = own_open.exclude(email="").exclude(phone="").first() or own_open.first()
    picks["convert"] = (lead, "open, owned by the rep")
    return picks


@dataclass
class Plan:
    """The pages to time, and what the benchmark chose to put in their URLs."""

    pages: list[Page]
    words: dict[str, str]
    records: dict[str, tuple[int | None, str]]
    skipped_filters: list[str]


def list_pages(record: str, *, user, word: str, skipped: list[str]) -> list[Page]:
    """A list as a rep uses it: paged, searched, filtered and sorted, read from its view."""
    view = list_view(record)
    model = view.model
    base = f"{record}-list"

    def page(name: str, variant: str, params: dict | None = None, search: str = "") -> Page:
        url = url_with(f"crm:{base}", params)
        return Page(name, url, "list", record, variant, search=search)

    last = last_page(view, user)
    middle = (last + 1) // 2
    pages = [
        page(base, "page1"),
        page(f"{base} page={middle} (middle)", "middle", {PAGE_PARAM: middle}),
        page(f"{base} page={last} (last)", "last", {PAGE_PARAM: last}),
    ]
    for text in (word, ARABIC_SEARCH):
        pages.append(page(f"{base} q={text}", "search", {SEARCH_PARAM: text}, search=text))
    for name, flt in view.filterset_class.base_filters.items():
        if name == SEARCH_PARAM:
            continue
        params = filter_params(name, flt, model, user, word)
        if params is None:
            skipped.append(f"{base} {name} ({type(flt).__name__})")
        else:
            pages.append(page(f"{base} {describe(params)}", "filter", params))
    for key in view.sort_fields:
        for value in (key, f"-{key}"):
            pages.append(page(f"{base} {SORT_PARAM}={value}", "sort", {SORT_PARAM: value}))
    return pages


def plan_pages(user) -> Plan:
    """Every page a rep touches, then the admin changelists of the same records."""
    words = {record: common_word(list_view(record).model) for record in RECORDS}
    skipped: list[str] = []
    pages = [
        page
        for record in RECORDS
        for page in list_pages(record, user=user, word=words[record], skipped=skipped)
    ]

    records = pick_records(user)
    for record in RECORDS:
        pk, why = records[record]
        if pk is not None:
            url = url_with(f"crm:{record}-detail", pk=pk)
            pages.append(Page(f"{record}-detail #{pk} ({why})", url, "detail", record))
    pages.append(Page("opportunity-board", url_with("crm:opportunity-board"), "board"))
    pages.append(Page("dashboard", url_with("crm:dashboard"), "dashboard"))
    pages.append(
        Page(
            "dashboard, team figures recomputed",
            url_with("crm:dashboard"),
            "dashboard",
            variant="uncached",
            uncached=True,
        )
    )
    pk, _why = records["convert"]
    if pk is None:
        raise CommandError(
            f"{user.username} owns no open lead to time the convert page with: seed more data."
        )
    pages.append(
        Page(f"lead-convert #{pk}", url_with("crm:lead-convert", pk=pk), "convert", "lead")
    )

    for record in RECORDS:
        base = f"admin:crm_{record}_changelist"
        pages.append(Page(base, url_with(base), "admin", record, "page1", as_admin=True))
        for text in (words[record], ARABIC_SEARCH):
            pages.append(
                Page(
                    f"{base} q={text}",
                    url_with(base, {SEARCH_PARAM: text}),
                    "admin",
                    record,
                    "search",
                    search=text,
                    as_admin=True,
                )
            )
    return Plan(pages, words, records, skipped)


# --- Timing in process -----------------------------------------------------------------------


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


def time_page(client: Client, page: Page, *, repeat: int, warmup: int) -> Result:
    """Warm up, time ``repeat`` requests, then count the queries of one more."""
    result = Result(page)
    for _ in range(warmup):
        result.status, result.error = request_once(client, page.url)
        if not result.ok:
            return result
    for _ in range(repeat):
        if page.uncached:
            cache.clear()
        started = time.perf_counter()
        result.status, result.error = request_once(client, page.url)
        result.seconds.append(time.perf_counter() - started)
        if not result.ok:
            return result
    if page.uncached:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        result.status, result.error = request_once(client, page.url)
    result.queries = len(queries.captured_queries)
    return result


def time_pages(
    pages: list[Page],
    *,
    user,
    admin_user,
    repeat: int,
    warmup: int,
    progress: Callable[[int, int, Result], None] = lambda done, total, result: None,
) -> list[Result]:
    """Time every page, as the rep or, for the admin, as the manager."""
    results = []
    with logged_in(user) as rep_client, logged_in(admin_user) as admin_client:
        for number, page in enumerate(pages, start=1):
            client = admin_client if page.as_admin else rep_client
            result = time_page(client, page, repeat=repeat, warmup=warmup)
            results.append(result)
            progress(number, len(pages), result)
    add_ratios(results)
    return results


def add_ratios(results: list[Result]) -> None:
    """Each list row against the admin changelist of the same record, same kind of request.

    A search is compared with the admin's search for the same words; every other variant
    (deep pages, filters, sorting) with the admin's first page.
    """
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
            result.ratio = round(
                statistics.median(result.seconds) / statistics.median(reference.seconds), 2
            )


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


# --- The load test ---------------------------------------------------------------------------


def server_database_url() -> str:
    """A DATABASE_URL for the server process naming the database this process uses."""
    current = connection.settings_dict
    given = os.environ.get("DATABASE_URL")
    if given and dj_database_url.parse(given)["NAME"] == current["NAME"]:
        return given
    # Not the environment's database: the test database of the test suite, or the default.
    if connection.vendor == "sqlite":
        name = str(current["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise CommandError("The load test needs a database another process can open.")
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        login = quote(current["USER"] or "", safe="")
        if current["PASSWORD"]:
            login += ":" + quote(current["PASSWORD"], safe="")
        where = current["HOST"] or ""
        if current["PORT"]:
            where += f":{current['PORT']}"
        return f"postgres://{login}{'@' if login else ''}{where}/{quote(current['NAME'])}"
    raise CommandError(f"The load test does not know how to share a {connection.vendor} database.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(*, overlay_dir: str, secret_key: str) -> dict[str, str]:
    """Production settings, minus what needs HTTPS, over the same database."""
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="bench_crm_settings",
        PYTHONPATH=os.pathsep.join(
            [overlay_dir, str(settings.BASE_DIR), *filter(None, [env.get("PYTHONPATH")])]
        ),
        DEBUG="false",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        CONN_MAX_AGE="600",
        DATABASE_URL=server_database_url(),
    )
    return env


def log_tail(path: Path, lines: int = 20) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


@contextmanager
def gunicorn(*, workers: int, secret_key: str) -> Iterator[int]:
    """Serve the app with gunicorn on 127.0.0.1; yield its port; always stop it."""
    with tempfile.TemporaryDirectory(prefix="bench_crm_") as tmp:
        Path(tmp, "bench_crm_settings.py").write_text(
            OVERLAY.format(module=SERVER_SETTINGS, static_root=str(Path(tmp, "static")))
        )
        env = server_environment(overlay_dir=tmp, secret_key=secret_key)
        collected = subprocess.run(
            [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
        )
        if collected.returncode:
            raise CommandError(f"collectstatic failed:\n{collected.stderr[-2000:]}")
        port = free_port()
        command = [
            *(sys.executable, "-m", "gunicorn", "crm_project.wsgi:application"),
            *("--workers", str(workers), "--bind", f"127.0.0.1:{port}"),
            *("--graceful-timeout", "5"),
        ]
        log_path = Path(tmp, "gunicorn.log")
        with log_path.open("wb") as log:
            restore_sigterm = stop_on_sigterm()
            process = None
            try:
                process = subprocess.Popen(
                    command,
                    env=env,
                    cwd=settings.BASE_DIR,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # A process group of its own: a stuck server and its workers die together.
                    start_new_session=True,
                )
                wait_until_serving(process, port, log_path)
                yield port
            finally:
                if process is not None:
                    stop(process)
                restore_sigterm()


def stop_on_sigterm() -> Callable[[], None]:
    """Turn SIGTERM into SystemExit, so ``finally`` stops the server; returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals go to the main thread only

    def exit_now(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, exit_now)
    return lambda: signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)


def wait_until_serving(process: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"gunicorn exited at start:\n{log_tail(log_path)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", reverse("login"))
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise CommandError(f"gunicorn did not answer in {SERVER_START_SECONDS}s:\n{log_tail(log_path)}")


def stop(process: subprocess.Popen) -> None:
    """Ask gunicorn to stop; kill its process group if it does not."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SERVER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Sample:
    page: str
    status: int | None
    seconds: float
    error: str = ""


def drive(
    port: int,
    mix: list[tuple[str, str]],
    cookie: str,
    *,
    concurrency: int,
    seconds: float | None = None,
    rounds: int | None = None,
) -> list[Sample]:
    """Request the mix from ``concurrency`` threads, for ``seconds`` or ``rounds`` of the mix."""
    deadline = time.perf_counter() + seconds if seconds is not None else None
    stop = threading.Event()  # set early if this thread is interrupted (Ctrl-C)
    per_thread: list[list[Sample]] = [[] for _ in range(concurrency)]

    def work(index: int) -> None:
        samples = per_thread[index]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        done = 0
        try:
            while not stop.is_set():
                if deadline is not None and time.perf_counter() >= deadline:
                    break
                if rounds is not None and done >= rounds * len(mix):
                    break
                # Threads start at different pages of the mix.
                name, path = mix[(index + done) % len(mix)]
                done += 1
                started = time.perf_counter()
                try:
                    conn.request("GET", path, headers={"Cookie": cookie})
                    response = conn.getresponse()
                    response.read()
                    status, error = response.status, ""
                    if status != 200:
                        error = response.getheader("Location", "")
                except (OSError, http.client.HTTPException) as exc:
                    status, error = None, f"{type(exc).__name__}: {exc}"
                    conn.close()  # reconnects on the next request
                samples.append(Sample(name, status, time.perf_counter() - started, error))
        finally:
            conn.close()

    threads = [
        threading.Thread(target=work, args=(index,), daemon=True) for index in range(concurrency)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop.set()
    return [sample for samples in per_thread for sample in samples]


def load_mix(records: dict[str, tuple[int, str]]) -> list[tuple[str, str]]:
    lead_pk, _why = records["lead"]
    return [
        ("lead-list", url_with("crm:lead-list")),
        (f"lead-detail #{lead_pk}", url_with("crm:lead-detail", pk=lead_pk)),
        ("dashboard", url_with("crm:dashboard")),
        ("opportunity-board", url_with("crm:opportunity-board")),
        (
            f"opportunity-list {SORT_PARAM}=-expected_value",
            url_with("crm:opportunity-list", {SORT_PARAM: "-expected_value"}),
        ),
    ]


def latency_summary(samples: list[Sample]) -> dict:
    times = [sample.seconds for sample in samples]
    return {
        "requests": len(samples),
        "p50_ms": round(percentile(times, 0.50) * 1000, 2) if times else None,
        "p99_ms": round(percentile(times, 0.99) * 1000, 2) if times else None,
        "errors": sum(1 for sample in samples if sample.status != 200),
    }


def run_load(*, user, records: dict, seconds: float, concurrency: int, workers: int) -> dict:
    """Serve with gunicorn, drive the mix for ``seconds``, and summarise what came back."""
    mix = load_mix(records)
    # The server gets a secret of its own; the session is signed with it so it can read it.
    secret_key = secrets.token_urlsafe(50)
    with override_settings(SECRET_KEY=secret_key), logged_in(user) as client:
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        with gunicorn(workers=workers, secret_key=secret_key) as port:
            # Every worker compiles its templates and opens its connection before the clock runs.
            warm = drive(port, mix, cookie, concurrency=concurrency, rounds=2)
            started = time.perf_counter()
            samples = drive(port, mix, cookie, concurrency=concurrency, seconds=seconds)
            elapsed = time.perf_counter() - started
    failed = [sample for sample in samples if sample.status != 200]
    return {
        "server": (
            f"gunicorn, {workers} sync workers, 127.0.0.1; {SERVER_SETTINGS} with DEBUG=false, "
            "HTTPS settings off, CONN_MAX_AGE=600, static files collected into a temporary "
            "STATIC_ROOT (settings overlay)"
        ),
        # Requests start for ``seconds``; those in flight then finish, so ``elapsed`` is longer.
        "seconds": seconds,
        "elapsed": round(elapsed, 2),
        "concurrency": concurrency,
        "workers": workers,
        **latency_summary(samples),
        "rps": round(len(samples) / elapsed, 1) if elapsed else 0.0,
        "warmup_errors": sum(1 for sample in warm if sample.status != 200),
        "error_samples": [
            {"page": sample.page, "status": sample.status, "error": sample.error}
            for sample in failed[:5]
        ],
        "pages": [
            {"name": name, "path": path, **latency_summary([s for s in samples if s.page == name])}
            for name, path in mix
        ],
    }


# --- Output ----------------------------------------------------------------------------------


def number(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def table(results: list[Result]) -> list[str]:
    """The results as text, one group per kind of page."""
    width = min(max((len(result.page.name) for result in results), default=10), 72)
    header = (
        f"{'page':<{width}}  {'median ms':>9}  {'p95 ms':>8}  {'queries':>7}  "
        f"{'× admin':>7}  status"
    )
    lines = []
    for kind, title in KINDS.items():
        rows = [result for result in results if result.page.kind == kind]
        if not rows:
            continue
        lines += ["", title, header, "-" * len(header)]
        for result in rows:
            lines.append(
                f"{result.page.name[:width]:<{width}}  {number(result.median_ms):>9}  "
                f"{number(result.p95_ms):>8}  {number(result.queries, 0):>7}  "
                f"{number(result.ratio, 2):>7}  {result.status or '—'}"
                + (f"  {result.error[:80]}" if result.error else "")
            )
    return lines


def load_lines(load: dict) -> list[str]:
    lines = [
        "",
        f"Load test: {load['server']}",
        f"{load['concurrency']} client threads for {load['seconds']}s (the last requests done at "
        f"{load['elapsed']}s): {load['requests']} "
        f"requests, {load['rps']} requests/s, p50 {number(load['p50_ms'])} ms, "
        f"p99 {number(load['p99_ms'])} ms, {load['errors']} errors",
    ]
    width = max(len(page["name"]) for page in load["pages"])
    for page in load["pages"]:
        lines.append(
            f"  {page['name']:<{width}}  {page['requests']:>6} requests  "
            f"p50 {number(page['p50_ms']):>8} ms  p99 {number(page['p99_ms']):>8} ms  "
            f"{page['errors']} errors"
        )
    for sample in load["error_samples"]:
        lines.append(f"  error: {sample['page']}: {sample['status']} {sample['error']}")
    return lines
