"""Attacks met: formulas in exports, password guessing, missing security headers."""

import pytest
import tablib
from django.urls import reverse

from crm.factories import ContactFactory, LeadFactory, UserFactory
from crm.models import Contact, Lead

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ('=HYPERLINK("http://evil.example.com","x")', True),
        ("@SUM(1+1)", True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3+cmd|' /C calc'!A0", True),  # starts as a number, yet a spreadsheet runs it
        ("+966 55 123 4567", True),  # not a plain number: guarded, and restored on import
        ("-5", False),
        ("Plain name", False),
    ],
)
def test_export_guards_formulas_and_round_trips(manager_client, text, escaped):
    from tests.test_admin import export, import_file

    contact = ContactFactory(name="x", notes=text)
    content = export(manager_client, "contact", 0).content
    row = dict(zip(*_rows(content), strict=True))
    assert row["notes"] == ("'" + text if escaped else text)

    Contact.objects.filter(pk=contact.pk).update(notes="changed")
    import_file(manager_client, "contact", content, "contacts.csv", 0)
    contact.refresh_from_db()
    assert contact.notes == text


def _rows(content):
    dataset = tablib.Dataset().load(content.decode("utf-8-sig"), format="csv")
    return dataset.headers, dataset[0]


def test_login_is_locked_after_repeated_failures(client):
    UserFactory(username="sara", password="the-right-passphrase")
    url = reverse("login")
    for _ in range(5):
        response = client.post(url, {"username": "sara", "password": "wrong"})
    response = client.post(url, {"username": "sara", "password": "the-right-passphrase"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_lockout_is_per_username(client):
    UserFactory(username="sara", password="the-right-passphrase")
    UserFactory(username="omar", password="another-passphrase")
    for _ in range(5):
        client.post(reverse("login"), {"username": "sara", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "omar", "password": "another-passphrase"})
    assert response.status_code == 302


def test_login_success_resets_the_failure_count(client):
    UserFactory(username="sara", password="the-right-passphrase")
    for _ in range(3):
        client.post(reverse("login"), {"username": "sara", "password": "wrong"})
    client.post(reverse("login"), {"username": "sara", "password": "the-right-passphrase"})
    client.post(reverse("logout"))
    for _ in range(3):
        client.post(reverse("login"), {"username": "sara", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "sara", "password": "the-right-passphrase"}
    )
    assert response.status_code == 302


def test_pages_send_security_headers(rep_client):
    LeadFactory()
    response = rep_client.get(reverse("crm:lead-list"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts(rep_client, rep):
    import re

    lead = LeadFactory(owner=rep)
    for url in (
        reverse("crm:dashboard"),
        reverse("crm:opportunity-board"),
        reverse("crm:lead-list"),
        lead.get_absolute_url(),
        reverse("crm:lead-update", args=[lead.pk]),
        reverse("crm:lead-convert", args=[lead.pk]),
    ):
        content = rep_client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", content):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", content), url  # no onclick= and the like


def test_sessions_expire_and_cookies_are_http_only(settings):
    assert settings.SESSION_COOKIE_AGE <= 24 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.CSRF_COOKIE_HTTPONLY


def test_weak_passwords_are_refused():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("password", "12345678", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)


def test_no_open_redirect_after_login(client):
    UserFactory(username="sara", password="the-right-passphrase")
    for target in ("https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com"):
        response = client.post(
            reverse("login"),
            {"username": "sara", "password": "the-right-passphrase", "next": target},
        )
        assert "evil.example.com" not in response["Location"]
        client.post(reverse("logout"))


def test_changes_need_csrf_token(rep):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    lead = LeadFactory(owner=rep)
    response = client.post(reverse("crm:lead-mark-lost", args=[lead.pk]), {"lost_reason": "x"})
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).status == "new"
