"""The benchmark's floor: a plain admin changelist every list and admin page is measured against."""

from contextlib import nullcontext
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.management import CommandError
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse

from benchmarks import floor, report
from benchmarks.pages import FLOOR_NAME, Page
from benchmarks.runner import BENCH_URLCONF, keep_only
from benchmarks.timing import Result, add_ratios, time_pages
from crm.models import Lead


def timed(name, kind, median_ms, record="lead", variant="page1", search=""):
    """A result whose every request took ``median_ms``."""
    page = Page(name, f"/{name}/", kind, record, variant, search=search)
    return Result(page, seconds=[median_ms / 1000] * 3, queries=5, status=200)


def fake_run(results):
    machine = {
        "database": {"vendor": "sqlite", "name": "test"},
        "rows": {"crm.Lead": 100_000},
        "cpu_count": 2,
        "platform": "test",
        "python": "3",
        "django": "5.2",
        "load_average": {"before": 0.1, "after": 0.2},
        "debug": True,
    }
    plan = SimpleNamespace(words={"lead": "word"}, skipped_filters=[])
    user = SimpleNamespace(username="rep1")
    return SimpleNamespace(
        machine=machine,
        plan=plan,
        user=user,
        admin_user=SimpleNamespace(username="manager"),
        warmup=0,
        repeat=3,
        results=results,
        load=None,
        failed=[],
    )


def test_bench_floor_ratios_and_limits_on_fake_timings():
    results = [
        timed("lead-list", "list", 45),
        timed("lead-list q=word", "list", 60, variant="search", search="word"),
        timed("lead-detail", "detail", 500),
        timed(FLOOR_NAME, "floor", 50),
        timed("admin:crm_lead_changelist", "admin", 74),
        timed("admin:crm_lead_changelist q=word", "admin", 80, variant="search", search="word"),
        timed("admin:crm_task_changelist", "admin", 76, record="task"),
    ]

    add_ratios(results)

    by_name = {result.page.name: result for result in results}
    assert by_name["lead-list"].floor_ratio == 0.9
    assert not by_name["lead-list"].over_floor
    assert by_name["lead-list q=word"].floor_ratio == 1.2
    assert by_name["lead-list q=word"].over_floor  # a rep's list may take 1.0 floor at most
    assert by_name["admin:crm_lead_changelist"].floor_ratio == 1.48
    assert not by_name["admin:crm_lead_changelist"].over_floor
    assert by_name["admin:crm_task_changelist"].floor_ratio == 1.52
    assert by_name["admin:crm_task_changelist"].over_floor  # an admin page 1.5 at most
    assert by_name["lead-detail"].floor_ratio is None  # details are not held to the floor
    assert by_name["lead-list"].ratio == round(45 / 74, 2)  # and still against their admin

    text = report.text(fake_run(results))

    assert "The floor: a plain admin changelist of leads" in text
    assert "Against the floor (50.0 ms median; limits: admin 1.5×, reps' lists 1.0×):" in text
    lines = text.splitlines()
    summary = lines[lines.index(next(line for line in lines if "Against the floor" in line)) :]
    task_line = next(line for line in summary if "crm_task_changelist" in line)
    assert "76.0 ms" in task_line
    assert "1.52×" in task_line
    assert task_line.endswith(report.SLOW)
    lead_line = next(
        line for line in summary if line.strip().startswith("admin:crm_lead_changelist ")
    )
    assert "1.48×" in lead_line
    assert report.SLOW not in lead_line
    assert "reps' lists: worst 1.20× (lead-list q=word)" in text
    assert "3 page(s) over the limit" in text  # the admin search at 1.6 too
    table_row = next(line for line in lines if line.startswith("lead-list q=word"))
    assert "SLOW (over 1.0× the floor)" in table_row


def test_bench_floor_missing_leaves_no_floor_ratio():
    results = [timed("lead-list", "list", 45), timed("admin:crm_lead_changelist", "admin", 74)]

    add_ratios(results)

    assert all(result.floor_ratio is None and not result.over_floor for result in results)
    assert "Against the floor" not in report.text(fake_run(results))


def test_bench_floor_kept_with_any_list_or_admin_page():
    pages = [
        Page("lead-list", "/l/", "list", "lead"),
        Page("dashboard", "/d/", "dashboard"),
        Page(FLOOR_NAME, "/f/", "floor", "lead"),
    ]

    assert [page.name for page in keep_only(pages, ["lead-"])] == [FLOOR_NAME, "lead-list"]
    assert [page.name for page in keep_only(pages, ["dash"])] == ["dashboard"]
    assert [page.name for page in keep_only(pages, ["floor"])] == [FLOOR_NAME]
    with pytest.raises(CommandError):
        keep_only(pages, ["nothing"])


def test_bench_floor_admin_is_plain_and_not_in_the_real_admin():
    floor_admin = floor.floor_site._registry[Lead]
    assert type(floor_admin).__mro__[1] is admin.ModelAdmin
    assert all(Lead._meta.get_field(name) for name in floor_admin.list_display)
    assert set(floor_admin.list_select_related) == {"campaign", "owner"}
    assert floor_admin.date_hierarchy is None
    assert not floor_admin.list_filter
    assert admin.site._registry[Lead] is not floor_admin
    with pytest.raises(NoReverseMatch):
        reverse(floor.FLOOR_CHANGELIST)  # not mounted outside the benchmark


@pytest.mark.django_db
def test_bench_floor_changelist_answers_only_under_the_bench_urls(manager_client):
    with override_settings(ROOT_URLCONF=BENCH_URLCONF):
        url = reverse(floor.FLOOR_CHANGELIST)
        assert manager_client.get(url).status_code == 200
        # The real admin is still where it was, and does not list the floor.
        index = manager_client.get(reverse("admin:index")).content.decode()
        assert floor.FLOOR_PREFIX not in index
    assert manager_client.get(url).status_code == 404


@pytest.mark.django_db  # the queries are counted on the connection
def test_bench_floor_timed_between_the_admin_requests(monkeypatch):
    asked = []

    def answer(client, url):
        asked.append(url)
        return 200, ""

    monkeypatch.setattr("benchmarks.timing.request_once", answer)
    monkeypatch.setattr("benchmarks.timing.logged_in", lambda user: nullcontext(object()))
    pages = [
        Page("lead-list", "/list/", "list", "lead"),
        Page(FLOOR_NAME, "/floor/", "floor", "lead", as_admin=True),
        Page("admin:crm_lead_changelist", "/admin/", "admin", "lead", as_admin=True),
    ]

    results = time_pages(pages, user=None, admin_user=None, repeat=3, warmup=1)

    # After its warm-up, each timed admin request is followed by one of the floor's.
    admin_part = asked[asked.index("/admin/") :]
    assert admin_part == ["/admin/", *["/admin/", "/floor/"] * 3, "/admin/"]
    floor, admin_result = results[1], results[2]
    assert len(floor.seconds) == 6
    assert len(admin_result.seconds) == 3
    assert results[0].floor_ratio is not None
