"""The load test: the app served by gunicorn on 127.0.0.1, driven from threads here."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import override_settings
from django.urls import reverse

from .pages import SORT_PARAM, url_with
from .timing import logged_in, percentile

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
