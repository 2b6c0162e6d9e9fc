"""Arabic and English throughout: the user's language, formats, and every page's direction."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.template.defaultfilters import date as date_filter
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import override

from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
)
from crm.models import UserPreference
from crm.models.preferences import SESSION_KEY
from crm.templatetags.crm_tags import money, money_text, percent

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
HTML_TAG = re.compile(r"<html\b[^>]*>")
DIRECTIONS = [("en", "ltr"), ("ar", "rtl")]


def html_language(response) -> tuple[str, str]:
    """The ``lang`` and ``dir`` of the page's <html> element."""
    tag = HTML_TAG.search(response.content.decode()).group(0)
    return re.search(r'lang="([^"]*)"', tag).group(1), re.search(r'dir="([^"]*)"', tag).group(1)


def page_language(client, url="/crm/", **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return html_language(response)[0]


def log_in(username, password="password", accept_language="en") -> Client:
    """A new browser (client) logged in through the login form."""
    client = Client(headers={"accept-language": accept_language})
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, "login failed"
    return client


def switch_language(client, language, next_url="/crm/"):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


# --- The user's language, remembered -----------------------------------------------------------


def test_language_switch_saves_preference_for_logged_in_user(rep_client, rep):
    response = switch_language(rep_client, "ar")
    assert response.status_code == 302
    assert UserPreference.objects.get(user=rep).language == "ar"
    assert page_language(rep_client, accept_language="en") == "ar"

    switch_language(rep_client, "en")
    assert UserPreference.objects.get(user=rep).language == "en"
    assert page_language(rep_client, accept_language="ar") == "en"


def test_language_saved_follows_user_to_another_browser(rep):
    first = log_in(rep.username, accept_language="en")
    switch_language(first, "ar")

    other = log_in(rep.username, accept_language="en-US,en;q=0.9")
    assert page_language(other, accept_language="en-US,en;q=0.9") == "ar"
    assert page_language(other, reverse("crm:lead-list")) == "ar"


def test_language_saved_wins_over_cookie(client, rep):
    UserPreference.objects.remember_language(user=rep, language="ar")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(rep)
    assert page_language(client, accept_language="en") == "ar"


def test_language_without_preference_follows_browser(rep_client):
    assert page_language(rep_client, accept_language="ar") == "ar"
    assert page_language(rep_client, accept_language="en") == "en"


def test_language_preference_costs_no_query_per_page(rep):
    other = UserFactory(username="other-rep")
    other.groups.set(rep.groups.all())
    UserPreference.objects.remember_language(user=rep, language="ar")
    url = reverse("crm:lead-list")

    def page_queries(user):
        client = Client()
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers={"accept-language": "en"})
        assert response.status_code == 200
        return html_language(response)[0], [q["sql"] for q in queries]

    saved_language, with_preference = page_queries(rep)
    browser_language, without_preference = page_queries(other)
    assert (saved_language, browser_language) == ("ar", "en")
    assert len(with_preference) == len(without_preference)
    assert not [sql for sql in with_preference if "crm_userpreference" in sql]


def test_language_preference_is_read_once_per_session(rep):
    UserPreference.objects.remember_language(user=rep, language="ar")
    client = Client()
    client.force_login(rep)  # read as the user logs in
    assert client.session[SESSION_KEY] == "ar"
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert page_language(client) == "ar"
        assert not [q for q in queries if "crm_userpreference" in q["sql"]]


def test_language_preference_read_for_sessions_older_than_it(rep_client, rep):
    """A session from before the preference existed reads it on its next page, then keeps it."""
    UserPreference.objects.remember_language(user=rep, language="ar")
    session = rep_client.session
    del session[SESSION_KEY]
    session.save()
    assert page_language(rep_client) == "ar"
    assert rep_client.session[SESSION_KEY] == "ar"


def test_language_anonymous_user_keeps_browser_and_cookie(client):
    login = reverse("login")
    assert page_language(client, login, accept_language="ar") == "ar"
    assert page_language(client, login, accept_language="en") == "en"
    response = switch_language(client, "ar", next_url=login)
    assert response.status_code == 302
    assert page_language(client, login, accept_language="en") == "ar"  # the cookie
    assert not UserPreference.objects.exists()


def test_language_chosen_on_login_page_is_kept_after_login(client, rep):
    user = rep
    UserPreference.objects.remember_language(user=user, language="en")
    switch_language(client, "ar", next_url=reverse("login"))
    client.post(reverse("login"), {"username": user.username, "password": "password"})
    assert page_language(client, accept_language="en") == "ar"
    assert UserPreference.objects.get(user=user).language == "ar"


def test_language_after_logout_is_the_browsers_again(rep_client):
    switch_language(rep_client, "ar")
    rep_client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    rep_client.post(reverse("logout"))
    assert page_language(rep_client, reverse("login"), accept_language="en") == "en"


@pytest.mark.parametrize("language", ["xx", "fr", "", "ar'><script>", "a" * 300])
def test_language_switch_ignores_invalid_language(rep_client, rep, language):
    response = switch_language(rep_client, language)
    assert response.status_code == 302
    assert not UserPreference.objects.filter(user=rep).exists()
    assert page_language(rep_client, accept_language="en") == "en"


def test_language_switch_by_get_changes_nothing(rep_client, rep):
    response = rep_client.get(reverse("set_language"), {"language": "ar", "next": "/crm/"})
    assert response.status_code == 302
    assert not UserPreference.objects.exists()


def test_language_no_longer_offered_is_ignored(rep_client, rep):
    """A language saved before it was taken out of LANGUAGES is no error: the browser's applies."""
    session = rep_client.session
    session[SESSION_KEY] = "fr"
    session.save()
    assert page_language(rep_client, accept_language="ar") == "ar"


def test_remember_language_refuses_unknown_language(rep):
    with pytest.raises(ValidationError):
        UserPreference.objects.remember_language(user=rep, language="fr")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserPreference.objects.create(user=rep, language="fr")


# --- Formats per language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "value", "text"),
    [
        ("en", Decimal("1234.5"), "1,234.50 SAR"),
        ("ar", Decimal("1234.5"), "1,234.50 ر.س"),
        ("en", Decimal("1234567.891"), "1,234,567.89 SAR"),
        ("ar", Decimal("1234567.891"), "1,234,567.89 ر.س"),
        ("en", Decimal("0"), "0.00 SAR"),
        ("ar", 12, "12.00 ر.س"),
        ("ar", None, "—"),
        ("en", "", "—"),
    ],
)
def test_money_per_language(language, value, text):
    with override(language):
        assert strip_tags(money(value)) == text
        assert money_text(value) == text


def test_money_keeps_its_number_whole_and_follows_the_page(settings):
    with override("ar"):
        html = money(Decimal("1234.5"))
    # The number is one left-to-right run; the amount as a whole follows the page's direction.
    assert html == '<span class="money"><span class="ltr">1,234.50</span> ر.س</span>'


@pytest.mark.parametrize(
    ("currency", "arabic", "english"),
    [("AED", "د.إ", "AED"), ("KWD", "د.ك", "KWD"), ("USD", "دولار", "USD"), ("XYZ", "XYZ", "XYZ")],
)
def test_money_currency_per_language(settings, currency, arabic, english):
    settings.CRM_CURRENCY = currency
    with override("ar"):
        assert strip_tags(money(1)) == f"1.00 {arabic}"
    with override("en"):
        assert strip_tags(money(1)) == f"1.00 {english}"


@pytest.mark.parametrize(
    ("language", "value", "text"),
    [
        ("en", Decimal("1234.5"), "1,234.50%"),
        ("ar", Decimal("1234.5"), "1,234.50%"),
        ("ar", Decimal("-12.25"), "-12.25%"),
        ("en", 50, "50%"),
        ("ar", None, "—"),
    ],
)
def test_percent_per_language(language, value, text):
    with override(language):
        assert strip_tags(percent(value)) == text
        if value is not None:
            assert 'class="ltr' in percent(value)  # the minus sign stays in front in Arabic


@pytest.mark.parametrize(
    ("language", "formats"),
    [
        (
            "en",
            {
                "DATE_FORMAT": "5 Mar 2026",
                "SHORT_DATE_FORMAT": "05/03/2026",
                "DATETIME_FORMAT": "5 Mar 2026, 14:30",
                "SHORT_DATETIME_FORMAT": "05/03/2026 14:30",
            },
        ),
        (
            "ar",
            {
                "DATE_FORMAT": "5 مارس 2026",
                "SHORT_DATE_FORMAT": "05/03/2026",
                "DATETIME_FORMAT": "5 مارس 2026، 14:30",
                "SHORT_DATETIME_FORMAT": "05/03/2026 14:30",
            },
        ),
    ],
)
def test_dates_per_language(language, formats):
    moment = datetime.datetime(2026, 3, 5, 14, 30)
    with override(language):
        assert {name: date_filter(moment, name) for name in formats} == formats


@pytest.mark.parametrize("language", ["en", "ar"])
def test_counts_are_grouped_in_both_languages(language):
    with override(language):
        assert intcomma(1234567) == "1,234,567"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_record_ids_are_never_grouped(rep_client, rep, language):
    """No thousand separator sneaks into ids in links (USE_THOUSAND_SEPARATOR stays off)."""
    lead = LeadFactory(pk=12345, owner=rep)
    response = rep_client.get(lead.get_absolute_url(), headers={"accept-language": language})
    content = response.content.decode()
    assert "?lead=12345" in content
    assert "12,345" not in content


@pytest.mark.parametrize("language", ["en", "ar"])
def test_lead_form_round_trips_amount_in_both_languages(rep_client, rep, language):
    lead = LeadFactory(owner=rep, expected_revenue=Decimal("12345.50"), phone="", campaign=None)
    url = reverse("crm:lead-update", args=[lead.pk])
    headers = {"accept-language": language}
    response = rep_client.get(url, headers=headers)
    assert html_language(response)[0] == language
    form = response.context["form"]
    field = form["expected_revenue"]
    assert 'value="12345.50"' in str(field)  # not "12,345.50": the number input must parse it
    data = {
        name: form[name].value() if form[name].value() is not None else "" for name in form.fields
    }
    response = rep_client.post(url, data, headers=headers)
    assert response.status_code == 302, response.context["form"].errors
    lead.refresh_from_db()
    assert lead.expected_revenue == Decimal("12345.50")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_date_inputs_stay_iso_in_both_languages(rep_client, rep, language):
    deal = OpportunityFactory(owner=rep, expected_close_date=datetime.date(2026, 3, 5))
    url = reverse("crm:opportunity-update", args=[deal.pk])
    content = rep_client.get(url, headers={"accept-language": language}).content.decode()
    assert re.search(
        r'type="date"[^>]*value="2026-03-05"|value="2026-03-05"[^>]*type="date"', content
    )


# --- Every page in both languages --------------------------------------------------------------


@pytest.fixture
def rep_world(rep):
    """One record of each kind owned by (assigned to, logged by) the rep."""
    campaign = CampaignFactory(owner=rep)
    lead = LeadFactory(
        owner=rep, campaign=campaign, email="omar@example.com", phone="+966 55 123 4567"
    )
    contact = ContactFactory(owner=rep, email="lina@example.com", phone="+966 50 765 4321")
    opportunity = OpportunityFactory(owner=rep, contact=contact, lead=lead, campaign=campaign)
    links = {"lead": lead, "contact": contact, "opportunity": opportunity}
    return {
        "lead": lead,
        "contact": contact,
        "opportunity": opportunity,
        "interaction": InteractionFactory(created_by=rep, **links),
        "task": TaskFactory(assigned_to=rep, **links),
        "campaign": campaign,
    }


RECORDS = ["lead", "contact", "opportunity", "interaction", "task", "campaign"]
CRM_PAGES = [
    ("dashboard", None),
    ("opportunity-board", None),
    *((f"{record}-list", None) for record in RECORDS),
    *((f"{record}-create", None) for record in RECORDS),
    *((f"{record}-detail", record) for record in RECORDS),
    *((f"{record}-update", record) for record in RECORDS),
    ("lead-convert", "lead"),
]


@pytest.mark.parametrize(("language", "direction"), DIRECTIONS)
@pytest.mark.parametrize(("name", "record"), CRM_PAGES)
def test_every_page_in_both_languages(rep_client, rep_world, name, record, language, direction):
    args = [rep_world[record].pk] if record else []
    response = rep_client.get(
        reverse(f"crm:{name}", args=args), headers={"accept-language": language}
    )
    assert response.status_code == 200
    assert html_language(response) == (language, direction)
    content = response.content.decode()
    stylesheet = "bootstrap.rtl.min.css" if direction == "rtl" else "bootstrap.min.css"
    assert f"vendor/bootstrap/css/{stylesheet}" in content
    assert response["Content-Language"] == language


@pytest.mark.parametrize(("language", "direction"), DIRECTIONS)
def test_login_page_in_both_languages(client, language, direction):
    response = client.get(reverse("login"), headers={"accept-language": language})
    assert html_language(response) == (language, direction)
    assert 'id="language-select"' in response.content.decode()


@pytest.mark.parametrize(("language", "direction"), DIRECTIONS)
@pytest.mark.parametrize("model", ["lead", "opportunity", "task"])
def test_admin_changelist_in_both_languages(manager_client, rep_world, model, language, direction):
    url = reverse(f"admin:crm_{model}_changelist")
    response = manager_client.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    assert html_language(response) == (language, direction)


def test_admin_follows_the_managers_saved_language(manager_client, manager):
    switch_language(manager_client, "ar")
    response = manager_client.get(reverse("admin:index"), headers={"accept-language": "en"})
    assert html_language(response) == ("ar", "rtl")


@pytest.mark.parametrize(("language", "currency"), [("en", "SAR"), ("ar", "ر.س")])
def test_pages_show_money_in_the_page_language(rep_client, rep_world, language, currency):
    lead = rep_world["lead"]
    lead.expected_revenue = Decimal("1234.50")
    lead.save()
    content = rep_client.get(lead.get_absolute_url(), headers={"accept-language": language})
    assert f'<span class="ltr">1,234.50</span> {currency}</span>' in content.content.decode()


@pytest.mark.parametrize(
    ("name", "record", "texts"),
    [
        ("lead-list", None, ["omar@example.com"]),
        ("lead-detail", "lead", ["omar@example.com", "+966 55 123 4567"]),
        ("contact-list", None, ["lina@example.com", "+966 50 765 4321"]),
        ("contact-detail", "contact", ["lina@example.com", "+966 50 765 4321"]),
    ],
)
def test_emails_and_phones_stay_left_to_right_in_arabic(rep_client, rep_world, name, record, texts):
    args = [rep_world[record].pk] if record else []
    url = reverse(f"crm:{name}", args=args)
    content = rep_client.get(url, headers={"accept-language": "ar"}).content.decode()
    for text in texts:
        assert re.search(rf'class="ltr"[^>]*>{re.escape(text)}<', content), text


# Icons that point along the line of text; vertical or round ones (arrow-up, arrow-repeat) do not.
DIRECTIONAL_ICON = re.compile(
    r"\bbi-(?:arrow-(?:left|right)[\w-]*|chevron-(?:left|right)|caret-(?:left|right)[\w-]*"
    r"|box-arrow-[\w-]+|sort-[\w-]+|list-ul|graph-(?:up|down)-arrow|reply|forward)\b"
)


def test_direction_icons_are_mirrored_in_arabic():
    """Every arrow pointing along the text carries ``bi-flip-rtl``, which crm.css mirrors."""
    css = (ROOT / "static" / "crm" / "crm.css").read_text()
    assert re.search(r'\[dir="rtl"\] \.bi-flip-rtl::before \{[^}]*scaleX\(-1\)', css)
    sources = [*(ROOT / "templates" / "crm").rglob("*.html"), ROOT / "templates" / "base.html"]
    sources.append(ROOT / "crm" / "templatetags" / "crm_tags.py")
    unflipped = []
    for source in sources:
        for classes in re.findall(r'class="([^"]*\bbi-[^"]*)"', source.read_text()):
            if DIRECTIONAL_ICON.search(classes) and "bi-flip-rtl" not in classes:
                unflipped.append(f"{source.name}: {classes}")
    assert not unflipped


def test_sort_header_icon_is_mirrored_in_arabic(rep_client, rep_world):
    url = reverse("crm:lead-list") + "?ordering=name"
    content = rep_client.get(url, headers={"accept-language": "ar"}).content.decode()
    assert "bi-sort-up bi-flip-rtl" in content


def test_convert_button_arrow_is_mirrored_in_arabic(rep_client, rep_world):
    lead = rep_world["lead"]
    content = rep_client.get(lead.get_absolute_url(), headers={"accept-language": "ar"})
    assert "bi-arrow-right-circle bi-flip-rtl" in content.content.decode()


def test_language_select_marks_each_language_direction(client):
    content = client.get(reverse("login")).content.decode()
    assert re.search(r'<option value="ar" lang="ar" dir="rtl"', content)
    assert re.search(r'<option value="en" lang="en" dir="ltr"', content)
