"""Browser fixtures: Debian's Chromium, a small data set, and pages that allow no stray request.

Every page is watched: a request to any other origin is blocked, and a blocked request, a
response of 400 or more, a failed request, a console error or an uncaught exception fails the
test at teardown.
"""

import datetime
import os
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.db import connections
from django.utils import timezone
from playwright.sync_api import sync_playwright

from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
    stage,
)

from .helpers import log_in

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Browser-test-2026"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless; missing, it skips the tests, or fails them under CI."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {message}", pytrace=False)
        pytest.skip(f"browser tests need Chromium: {message}")
    # Between its calls, Playwright's sync API leaves an event loop marked as running in this
    # thread, and Django then looks up database connections in a second, per-context store. Put
    # the thread's own connections there too, or the tests would get fresh ones that lack the
    # state the database setup left on them (the serialized data that serialized_rollback puts
    # back after each flush).
    own = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in own.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Problems(list):
    """What went wrong on the pages of one test, one line each."""

    def watch(self, page):
        """Record the page's console errors, uncaught exceptions and failed requests."""
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.append(f"uncaught exception: {error}"))
        page.on("response", self.response)
        page.on("requestfailed", self.request_failed)

    def console(self, message):
        if message.type == "error":
            where = message.location.get("url", "")
            self.append(f"console error on {where}: {message.text}")

    def response(self, response):
        if response.status >= 400:
            self.append(f"{response.status} for {response.request.method} {response.url}")

    def request_failed(self, request):
        # A navigation cancels the requests still loading on the page it leaves (the favicon,
        # say): that is the browser's doing, not a failure of the server.
        if request.failure != "net::ERR_ABORTED":
            self.append(f"request failed ({request.failure}): {request.method} {request.url}")


@pytest.fixture
def page_problems():
    """What went wrong in the browser during the test; the ``page`` fixture fills it."""
    return Problems()


@pytest.fixture
def page(browser, live_server, page_problems):
    """A fresh English page on the live server; at teardown, nothing may have gone wrong."""
    allowed = origin(live_server.url)
    problems = page_problems
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(10_000)

    def guard(route):
        if origin(route.request.url) == allowed:
            route.continue_()
        else:
            problems.append(f"blocked request to another origin: {route.request.url}")
            route.abort()

    context.route("**/*", guard)
    context.on("page", problems.watch)  # this page and any other tab the test opens
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
    assert not problems, "problems in the browser:\n" + "\n".join(problems)


@pytest.fixture
def crm_data():
    """A sales rep who owns a little of everything, and the stages the board shows."""
    rep = UserFactory(username="rania", first_name="Rania", last_name="Saleh", password=PASSWORD)
    rep.groups.add(Group.objects.get(name="Sales rep"))
    campaign = CampaignFactory(name="Spring newsletter", owner=rep, actual_cost=Decimal("5000"))
    lead = LeadFactory(
        name="Omar Haddad",
        company="Initech",
        email="omar@example.com",
        phone="",
        owner=rep,
        campaign=campaign,
    )
    contact = ContactFactory(name="Lina Nasser", company="Globex Systems", owner=rep)
    prospect = OpportunityFactory(
        name="Atlas renewal",
        amount=Decimal("10000.00"),
        contact=contact,
        lead=lead,
        campaign=campaign,
        owner=rep,
    )
    qualified = OpportunityFactory(
        name="Globex expansion",
        amount=Decimal("20000.00"),
        stage=stage("qualification"),
        contact=contact,
        owner=rep,
    )
    won = OpportunityFactory(
        name="Oasis licences",
        amount=Decimal("30000.00"),
        stage=stage("closed_won"),
        closed_at=timezone.now() - datetime.timedelta(days=1),
        contact=contact,
        campaign=campaign,
        owner=rep,
    )
    interaction = InteractionFactory(
        subject="Intro call", lead=lead, contact=contact, opportunity=prospect, created_by=rep
    )
    task = TaskFactory(
        title="Send the quote", lead=lead, contact=contact, opportunity=prospect, assigned_to=rep
    )
    return SimpleNamespace(
        rep=rep,
        password=PASSWORD,
        campaign=campaign,
        lead=lead,
        contact=contact,
        prospect=prospect,
        qualified=qualified,
        won=won,
        interaction=interaction,
        task=task,
    )


@pytest.fixture
def rep_page(page, crm_data, language, width):
    """The rep, signed in, reading ``language`` on a screen ``width`` px wide."""
    return log_in(page, crm_data.rep.username, crm_data.password, language, width)
