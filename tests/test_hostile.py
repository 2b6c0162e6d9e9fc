"""Hostile input (crm.hostile): NUL, lone surrogates, impossible ids and numbers past the columns
get a 400 (or a 404), never a server error, on the reps' pages and in the admin.

PostgreSQL refuses NUL in text where SQLite stores it, so here every statement carrying a NUL
fails as it would there: a NUL must be refused before any query runs.
"""

from urllib.parse import quote

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.db import DataError, connection, transaction
from django.http import HttpResponse, QueryDict
from django.test import Client
from django.urls import resolve, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    stage,
)
from crm.hostile import NO_SUCH_RECORD, OUT_OF_RANGE, UNSTORABLE_TEXT, HostileInputMiddleware
from crm.models import Lead, Opportunity, UserPreference
from crm.views.lookup import LOOKUPS

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past 2**63

REP_LISTS = [
    "crm:lead-list",
    "crm:contact-list",
    "crm:opportunity-list",
    "crm:interaction-list",
    "crm:task-list",
    "crm:campaign-list",
]
CRM_ADMINS = [
    model_admin
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label == "crm"
]

# Text with one character no database column can hold, anywhere in it.
unstorable_text = st.builds(
    lambda before, bad, after: before + bad + after,
    st.text(max_size=8),
    st.sampled_from(["\x00", "\ud800", "\udbff", "\udc80", "\udfff"]),
    st.text(max_size=8),
)
HOSTILE = [
    "",
    "abc",
    "-0",
    "0",
    "-1",
    HUGE,
    "-" + HUGE,
    str(2**63),
    str(-(2**63) - 1),
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "1.5",
    "١٢",  # Arabic-Indic digits, which int() reads
    "²",  # a digit to str.isdigit, not to int()
    "99999-01-01",
    "9999-12-31",
    "9999-12-31 23:59:59",
    "0000-01-01",
    "0001-01-01",
    "2026-02-30",
    "on",
    "%00",
    "\x00",
]
values = st.one_of(
    st.sampled_from(HOSTILE),
    unstorable_text,
    st.integers(min_value=2**63 - 2, max_value=2**80).map(str),
    st.integers(min_value=-(2**80), max_value=-(2**63) + 2).map(str),
    st.text(max_size=20),
)
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def refuse_nul(execute, sql, params, many, context):
    rows = params if many else [params]
    texts = [sql, *(value for row in rows for value in row or () if isinstance(value, str))]
    assert not any("\x00" in text for text in texts), f"a NUL reached the database: {sql}"
    return execute(sql, params, many, context)


@pytest.fixture(autouse=True)
def _nul_never_reaches_the_database(db):
    """Fail a statement carrying a NUL, as PostgreSQL does (SQLite would store it)."""
    with connection.execute_wrapper(refuse_nul):
        yield


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def query_string(params) -> str:
    """``params`` encoded as a hostile client would send them, lone surrogates included."""
    return "&".join(f"{encoded(name)}={encoded(value)}" for name, value in params)


def encoded(text: str) -> str:
    return quote(text, safe="", errors="surrogatepass")


def get(client, url, params):
    return get_raw(client, url, query_string(params))


def get_raw(client, url, query: str):
    """GET ``url?query`` in a savepoint: a statement PostgreSQL refuses spoils only that one."""
    with transaction.atomic():
        return client.get(url, QUERY_STRING=query)


def assert_answered(response, params):
    """Never a server error; a NUL (which Django passes on as it is) is always refused."""
    assert response.status_code < 500, (params, response.status_code)
    if any("\x00" in name + value for name, value in params):
        assert response.status_code == 400, (params, response.status_code)


def parameters(names):
    """Up to 6 (name, value) pairs, each name one of ``names``, hostile text or junk."""
    name = st.one_of(st.sampled_from(names), unstorable_text, st.text(max_size=10))
    return st.lists(st.tuples(name, values), max_size=6)


def some_records():
    lead = LeadFactory(campaign=CampaignFactory())
    OpportunityFactory(lead=lead, campaign=lead.campaign)
    InteractionFactory(lead=lead)
    TaskFactory(lead=lead)
    ContactFactory()
    return lead


def filter_parameters(url_name) -> list[str]:
    """The query parameters of a reps' list: its FilterSet's fields, plus sorting and paging."""
    filterset = resolve(reverse(url_name)).func.view_class.filterset_class()
    names = ["q", "ordering", "page", "mine"]
    for name, field in filterset.form.fields.items():
        widget = field.widget
        suffixes = getattr(widget, "suffixes", [""])
        names += [widget.suffixed(name, suffix) if suffix else name for suffix in suffixes]
    return names


def admin_parameters(model_admin, request) -> list[str]:
    """What a changelist reads: its filters', date hierarchy's, search's, sorting's, paging's."""
    changelist = model_admin.get_changelist_instance(request)
    names = [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
    for name in model_admin.list_filter:
        if isinstance(name, str):  # the bare lookups a filter field also allows
            names += [name, f"{name}__in", f"{name}__gt"]
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return [*names, SEARCH_VAR, ORDER_VAR, PAGE_VAR, ERROR_FLAG, "id__in"]


def autocomplete_targets() -> list[tuple[str, str, str]]:
    """(app_label, model_name, field_name) of every autocomplete field of the crm admin."""
    return [
        (model_admin.opts.app_label, model_admin.opts.model_name, field_name)
        for model_admin in CRM_ADMINS
        for field_name in model_admin.autocomplete_fields
    ]


# --- Fuzzing every parameter -------------------------------------------------------------


@pytest.mark.parametrize("url_name", REP_LISTS)
def test_hostile_list_parameters_never_fail(rep, url_name):
    some_records()
    client = client_for(rep)
    url = reverse(url_name)

    @FUZZ
    @given(params=parameters(filter_parameters(url_name)))
    def attempt(params):
        assert_answered(get(client, url, params), params)

    attempt()


@pytest.mark.parametrize("kind", sorted(LOOKUPS))
def test_hostile_lookup_parameters_never_fail(rep, kind):
    some_records()
    client = client_for(rep)
    url = reverse("crm:lookup", args=[kind])

    @FUZZ
    @given(params=parameters(["q", "name__search", "campaign__search", "lead__search"]))
    def attempt(params):
        assert_answered(get(client, url, params), params)

    attempt()


@pytest.mark.parametrize("url_name", ["crm:opportunity-board", "crm:dashboard"])
def test_hostile_board_and_dashboard_parameters_never_fail(rep, url_name):
    some_records()
    client = client_for(rep)
    url = reverse(url_name)

    @FUZZ
    @given(params=parameters(["q", "stage", "owner", "page", "mine", "period"]))
    def attempt(params):
        assert_answered(get(client, url, params), params)

    attempt()


# A date typed into a date-time filter is naive: production logs Django's warning, the suite
# (filterwarnings = error) would turn it into a 500.
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
@pytest.mark.parametrize(
    "model_admin", CRM_ADMINS, ids=lambda model_admin: model_admin.opts.model_name
)
def test_hostile_admin_changelist_parameters_never_fail(manager, rf, model_admin):
    some_records()
    request = rf.get("/")
    request.user = manager
    client = client_for(manager)
    url = reverse(f"admin:crm_{model_admin.opts.model_name}_changelist")

    @FUZZ
    @given(params=parameters(admin_parameters(model_admin, request)))
    def attempt(params):
        assert_answered(get(client, url, params), params)

    attempt()


def test_hostile_admin_autocomplete_parameters_never_fail(manager):
    some_records()
    client = client_for(manager)
    url = reverse("admin:autocomplete")
    target = st.one_of(st.sampled_from(autocomplete_targets()), st.tuples(values, values, values))

    @FUZZ
    @given(target=target, term=values, page=values)
    def attempt(target, term, page):
        app_label, model_name, field_name = target
        params = [
            ("app_label", app_label),
            ("model_name", model_name),
            ("field_name", field_name),
            ("term", term),
            ("page", page),
        ]
        assert_answered(get(client, url, params), params)

    attempt()


# --- The cases found by hand -------------------------------------------------------------


def refused(response, reason):
    assert response.status_code == 400
    assert str(reason) in response.content.decode()


# A NUL in a word of 3 letters or more breaks even SQLite's full-text MATCH (a 500 there too).
@pytest.mark.parametrize("text", ["\x00", "abc\x00", "أحمد\x00 x"])
@pytest.mark.parametrize(
    ("url_name", "args"),
    [*(("crm:lookup", [kind]) for kind in sorted(LOOKUPS)), ("crm:lead-list", [])],
)
def test_search_with_a_nul_is_refused_before_the_database(rep_client, url_name, args, text):
    some_records()
    response = rep_client.get(reverse(url_name, args=args), {"q": text})
    refused(response, UNSTORABLE_TEXT)


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_move_with_a_nul_in_the_lost_reason_is_refused(rep_client, rep, accept):
    deal = OpportunityFactory(owner=rep)
    url = reverse("crm:opportunity-move", args=[deal.pk])
    data = {"stage": stage("closed_lost").pk, "lost_reason": "too\x00dear"}

    response = rep_client.post(url, data, headers={"accept": accept})

    assert response.status_code == 400
    if accept == "application/json":  # as the board shows any refused move
        assert response.json() == {"ok": False, "errors": [str(UNSTORABLE_TEXT)]}
    else:
        assert str(UNSTORABLE_TEXT) in response.content.decode()
    deal.refresh_from_db()
    assert (deal.stage.code, deal.lost_reason) == ("prospecting", "")


def test_lead_form_with_a_nul_is_refused_and_saves_nothing(rep_client):
    before = Lead.objects.count()
    response = rep_client.post(
        reverse("crm:lead-create"), {"name": "Omar\x00", "status": "new", "source": "website"}
    )
    refused(response, UNSTORABLE_TEXT)
    assert Lead.objects.count() == before


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/crm/lookup/%00", 400),
        ("/admin/crm/lead/%00/change/", 400),
        ("/crm/leads%00", 404),  # no such page: nothing reads the path
    ],
)
def test_nul_in_the_path_is_refused(manager_client, path, status):
    assert manager_client.get(path).status_code == status


def test_djangos_own_bad_requests_use_the_same_page(manager_client):
    response = manager_client.get(
        reverse("admin:crm_lead_changelist"), {"owner__password__startswith": "a"}
    )
    assert response.status_code == 400  # a lookup the admin does not allow
    assert "This request could not be handled." in response.content.decode()


def test_refusal_page_is_the_site_page_in_the_users_language(client, rep):
    UserPreference.objects.remember_language(user=rep, language="ar")
    client.force_login(rep)
    response = client.get(reverse("crm:lead-list"), {"q": "\x00"})
    assert response.status_code == 400
    assert [template.name for template in response.templates][:2] == ["400.html", "base.html"]
    assert '<html lang="ar" dir="rtl">' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"term": "\x00", "app_label": "crm", "model_name": "lead", "field_name": "campaign"},
        {"term": "a", "app_label": "crm\x00", "model_name": "lead", "field_name": "campaign"},
    ],
)
def test_admin_autocomplete_with_a_nul_is_refused(manager_client, query):
    CampaignFactory()
    refused(manager_client.get(reverse("admin:autocomplete"), query), UNSTORABLE_TEXT)


@pytest.mark.parametrize(
    "query", [{"q": "\x00"}, {"q": "abc\x00"}, {"status__exact": "\x00"}, {"o": "1\x00"}]
)
def test_admin_search_and_filters_with_a_nul_are_refused(manager_client, query):
    LeadFactory()
    refused(manager_client.get(reverse("admin:crm_lead_changelist"), query), UNSTORABLE_TEXT)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/crm/lead/abc/history/",
        "/admin/crm/lead/abc/history/1/",
        "/admin/crm/lead/{pk}/history/abc/",
        "/admin/crm/lead/%C2%B2/history/",
        f"/admin/crm/lead/{HUGE}/history/",
        f"/admin/crm/lead/{HUGE}/history/1/",
        "/admin/crm/lead/abc/change/",
        "/admin/crm/lead/abc/delete/",
        "/admin/crm/lead/abc/",
        "/admin/crm/opportunity/-/history/",
    ],
)
def test_admin_record_pages_with_an_impossible_id_are_not_found(manager_client, path):
    lead = LeadFactory()
    response = manager_client.get(path.format(pk=lead.pk))
    assert response.status_code == 404


def test_admin_record_pages_with_real_ids_still_work(manager_client):
    lead = LeadFactory()
    version = lead.history.first()
    for url in (
        reverse("admin:crm_lead_change", args=[lead.pk]),
        reverse("admin:crm_lead_history", args=[lead.pk]),
        reverse("admin:crm_lead_simple_history", args=[lead.pk, version.history_id]),
    ):
        assert manager_client.get(url).status_code == 200, url
    # An id that could exist but does not: the admin's own answer.
    assert manager_client.get(reverse("admin:crm_lead_history", args=[10**17])).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "created_at__year=99999",
        "created_at__year=9999",
        "created_at__year=9999&created_at__month=12",
        "created_at__year=9999&created_at__month=12&created_at__day=31",
        f"created_at__year={HUGE}",
        "e=1&created_at__year=9999",
        "status=new&created_at__year=0",
    ],
)
def test_admin_date_year_past_its_range_is_refused(manager_client, query):
    # No date hierarchy any more, but the date filters allow ``created_at__year`` lookups.
    LeadFactory()
    response = manager_client.get(reverse("admin:crm_lead_changelist"), QUERY_STRING=query)
    refused(response, OUT_OF_RANGE)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("created_at__year=9998&created_at__month=12&created_at__day=31", {200}),
        ("created_at__year=2026&created_at__month=13", {200}),  # matches nothing
        # SQLite matches nothing; PostgreSQL refuses the number (a 400): never a 500.
        (f"created_at__year=2026&created_at__month={HUGE}", {200, 400}),
        ("created_at__year=abc", {302}),  # the admin drops it (?e=1)
    ],
)
def test_admin_date_lookups_within_range_are_the_admins(manager_client, query, status):
    LeadFactory()
    response = manager_client.get(reverse("admin:crm_lead_changelist"), QUERY_STRING=query)
    assert response.status_code in status


@pytest.mark.parametrize(
    "query",
    [
        f"owner={HUGE}",
        f"owner__id__exact={HUGE}",
        f"campaign__id__exact={HUGE}",
        "campaign__id__exact=1e400",
        f"rating__in={HUGE}",
        f"id__in={HUGE}",
        f"p={HUGE}",
        f"e=1&owner={HUGE}",
    ],
)
def test_admin_filters_with_overflowing_ids_are_answered(manager_client, query):
    LeadFactory(campaign=CampaignFactory())
    response = get_raw(manager_client, reverse("admin:crm_lead_changelist"), query)
    # No match (200), the admin's reset (?e=1), or refused as out of range: never a 500.
    assert response.status_code in (200, 302, 400)
    if response.status_code == 400:
        assert str(OUT_OF_RANGE) in response.content.decode()


@pytest.mark.parametrize("selected", ["abc", HUGE, "²"])
def test_admin_action_on_impossible_rows_is_refused_and_changes_nothing(manager_client, selected):
    LeadFactory()
    before = Lead.objects.count()
    response = manager_client.post(
        reverse("admin:crm_lead_changelist"),
        {"action": "delete_selected", "_selected_action": [selected], "post": "yes"},
    )
    refused(response, NO_SUCH_RECORD)
    assert Lead.objects.count() == before


@pytest.mark.parametrize("url_name", REP_LISTS)
@pytest.mark.parametrize(
    "name", ["owner", "campaign", "stage", "created_by", "assigned_to", "page"]
)
def test_list_filters_with_overflowing_ids_are_answered(rep_client, url_name, name):
    some_records()
    response = rep_client.get(reverse(url_name), {name: HUGE})
    assert response.status_code == 200


def test_far_dates_past_what_the_database_takes_are_answered(rep_client, settings):
    # West of UTC, the last instant of 9999-12-31 is in the year 10000 in UTC: SQLite's adapter
    # converts it in Python and overflows (refused); PostgreSQL takes it (every row matches).
    settings.TIME_ZONE = "America/New_York"
    LeadFactory()
    query = "created_at_before=9999-12-31"
    response = get_raw(rep_client, reverse("crm:lead-list"), query)
    if connection.vendor == "sqlite":
        refused(response, OUT_OF_RANGE)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("url_name", ["crm:lead-list", "crm:lookup"])
@pytest.mark.parametrize(
    ("sent", "seen"),
    [
        ("q=%ED%A0%80", "\ufffd\ufffd\ufffd"),  # a percent-encoded lone surrogate
        ("q=\xed\xa0\x80", "\xed\xa0\x80"),  # its raw bytes, read as Latin-1
        ("q=%ED%B0%80x", "\ufffd\ufffd\ufffdx"),
    ],
)
def test_lone_surrogate_in_a_query_never_reaches_the_view(rep_client, url_name, sent, seen):
    LeadFactory()
    url = reverse(url_name, args=["leads"] if url_name == "crm:lookup" else [])
    response = rep_client.get(url, QUERY_STRING=sent)
    assert response.status_code == 200
    assert response.wsgi_request.GET["q"] == seen


@pytest.mark.parametrize("field", ["GET", "POST"])
def test_lone_surrogate_that_reaches_the_request_is_refused(rf, rep, field):
    # Django's WSGI decoding never lets one through; another decoder (an ASGI server, JSON) might.
    request = rf.post("/crm/leads/add")
    request.user = rep
    data = QueryDict(mutable=True)
    data["name"] = "Omar\ud800"
    setattr(request, field, data)
    middleware = HostileInputMiddleware(lambda request: HttpResponse())

    response = middleware.process_view(request, lambda request: HttpResponse(), (), {})

    assert response.status_code == 400
    assert str(UNSTORABLE_TEXT) in response.render().content.decode()


def test_cookie_with_a_nul_is_dropped_before_the_session_is_looked_up(client):
    # Cookie values may carry octal escapes: "\\000" is a NUL once Django has read it.
    cookie = 'sessionid="' + "\\000" * 32 + '"'
    response = client.get(reverse("crm:lead-list"), headers={"cookie": cookie})
    assert response.status_code == 302  # no session: to the login page


def test_database_refusal_is_a_400_and_the_open_block_rolls_back(rf, rep):
    request = rf.get("/crm/leads")
    request.user = rep
    middleware = HostileInputMiddleware(lambda request: HttpResponse())
    with transaction.atomic():
        response = middleware.process_exception(request, DataError("value out of range"))
        assert transaction.get_rollback()
        content = response.render().content.decode()  # the page needs no query
    assert response.status_code == 400
    assert str(OUT_OF_RANGE) in content


@pytest.mark.parametrize("error", [ValueError("a bug"), KeyError("a bug"), ZeroDivisionError()])
def test_other_errors_stay_server_errors(rf, rep, error):
    request = rf.get("/crm/leads")
    request.user = rep
    middleware = HostileInputMiddleware(lambda request: HttpResponse())
    assert middleware.process_exception(request, error) is None


def test_ordinary_input_passes_untouched(rep_client, rep):
    deal = OpportunityFactory(owner=rep, name="صفقة أحمد")
    response = rep_client.get(reverse("crm:opportunity-list"), {"q": "احمد", "page": "1"})
    assert response.status_code == 200
    assert deal.name in response.content.decode()
    response = rep_client.post(
        reverse("crm:opportunity-move", args=[deal.pk]),
        {"stage": stage("closed_lost").pk, "lost_reason": "Too dear"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200
    assert Opportunity.objects.get(pk=deal.pk).lost_reason == "Too dear"


# --- Found while writing these, fixed in the views (not crm.hostile's to catch) -----------


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("crm:lead-list", {"campaign": "²"}),
        ("crm:opportunity-list", {"campaign": "²"}),
        ("crm:lead-create", {"campaign": "²"}),
        ("crm:interaction-create", {"lead": "²"}),
    ],
)
def test_record_id_in_non_ascii_digits_is_not_a_server_error(rep, url_name, query):
    response = client_for(rep).get(reverse(url_name), query)
    assert response.status_code < 500
