"""Notifications by email, sent to a real SMTP server on loopback (aiosmtpd): at once when still
unread after the delay, or in a daily digest; in the recipient's language, HTML and text; each
emailed once, even with two senders at once; a mail server that is away loses nothing."""

import datetime
import email
import email.policy
import smtplib
import socket

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.utils import timezone

from crm import jobs
from crm.factories import LeadFactory, UserFactory
from crm.models import Delivery, Notification, UserPreference
from crm.notifications import mail
from crm.services.notifications import notification_read, notification_settings_set, notify

from .test_races import in_threads


class Inbox:
    """What the SMTP server received, one parsed message each."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, parsed))
        return "250 OK"


def free_port() -> int:
    """A loopback port nothing listens on (aiosmtpd cannot be given port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free loopback port, and Django's SMTP backend pointed at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.CRM_SITE_URL = "https://crm.example.com"
    settings.CRM_NOTIFICATION_EMAIL_DELAY = 300
    try:
        yield inbox
    finally:
        controller.stop()


def person(username, *, delivery, language=""):
    user = UserFactory(username=username, email=f"{username}@example.com")
    user.groups.add(Group.objects.get(name="Sales rep"))
    if language:
        UserPreference.objects.remember_language(user=user, language=language)
    notification_settings_set(by=user, choices={"assigned": delivery, "automation": delivery})
    return user


def made_ago(notification, minutes):
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


@pytest.mark.django_db
def test_an_email_goes_once_when_still_unread_after_the_delay(smtp):
    sara = person("sara", delivery=Delivery.EMAIL)
    lead = LeadFactory(name="Acme Trading")
    notification = notify(
        recipient=sara, kind="assigned", text=lambda: "You have Acme Trading now.", target=lead
    )
    assert jobs.send_notification_emails.apply().get() == 0  # too soon: she may read it
    assert smtp.messages == []
    made_ago(notification, 6)
    assert jobs.send_notification_emails.apply().get() == 1
    [(to, message)] = smtp.messages
    assert to == ["sara@example.com"]
    assert message["Subject"] == "You have Acme Trading now."
    text, html = parts(message)
    link = f"https://crm.example.com/crm/leads/{lead.pk}"
    assert "You have Acme Trading now." in text and link in text
    assert f'href="{link}"' in html and 'dir="ltr"' in html
    assert jobs.send_notification_emails.apply().get() == 0  # once
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_notification_read_in_time_is_never_emailed(smtp):
    sara = person("sara", delivery=Delivery.EMAIL)
    notification = notify(recipient=sara, kind="automation", text=lambda: "Read me")
    notification_read(notification_id=notification.pk, by=sara)
    made_ago(notification, 60)
    assert jobs.send_notification_emails.apply().get() == 0
    assert smtp.messages == []


@pytest.mark.django_db
def test_the_email_is_in_the_recipients_language(smtp):
    layla = person("layla", delivery=Delivery.EMAIL, language="ar")
    notification = notify(recipient=layla, kind="automation", text=lambda: "نص عربي")
    made_ago(notification, 6)
    jobs.send_notification_emails.apply()
    [(_to, message)] = smtp.messages
    text, html = parts(message)
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "Open it" not in text and "Open it" not in html


@pytest.mark.django_db
def test_a_digest_gathers_the_days_unread_in_one_email(smtp):
    omar = person("omar", delivery=Delivery.DIGEST)
    for number in range(3):
        notify(recipient=omar, kind="automation", text=lambda n=number: f"Digest item {n}")
    notification_settings_set(by=omar, choices={"assigned": Delivery.APP})
    notify(recipient=omar, kind="assigned", text=lambda: "In the app only")
    assert jobs.send_notification_emails.apply().get() == 0  # not "at once" ones
    assert jobs.send_notification_digests.apply().get() == 1
    [(to, message)] = smtp.messages
    assert to == ["omar@example.com"]
    assert message["Subject"] == "Your CRM digest: 3 unread notifications"
    text, html = parts(message)
    for number in range(3):
        assert f"Digest item {number}" in text and f"Digest item {number}" in html
    assert "In the app only" not in text
    assert jobs.send_notification_digests.apply().get() == 0  # each one in one digest only


@pytest.mark.django_db
def test_a_mail_server_that_is_away_loses_nothing(smtp, settings):
    sara = person("sara", delivery=Delivery.EMAIL)
    notification = notify(recipient=sara, kind="automation", text=lambda: "Try again")
    made_ago(notification, 6)
    listening = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    with pytest.raises(ConnectionRefusedError):
        mail.send_due_emails()
    notification.refresh_from_db()
    assert notification.emailed_at is None  # the claim was given back
    settings.EMAIL_PORT = listening  # back: the next run sends it
    assert mail.send_due_emails() == 1
    assert len(smtp.messages) == 1


@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="a race needs real concurrent connections: run on PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_senders_at_once_send_each_email_once(smtp):
    users = [person(f"user{n}", delivery=Delivery.EMAIL) for n in range(5)]
    for user in users:
        for number in range(4):
            made_ago(notify(recipient=user, kind="automation", text=lambda n=number: f"N{n}"), 9)
    sent = in_threads(mail.send_due_emails, mail.send_due_emails)
    assert all(isinstance(count, int) for count in sent), sent
    assert sum(sent) == 20
    assert len(smtp.messages) == 20
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_an_address_refused_for_good_holds_up_no_one_else(smtp, monkeypatch):
    bad = person("bad", delivery=Delivery.EMAIL)
    good = person("good", delivery=Delivery.EMAIL)
    first = notify(recipient=bad, kind="automation", text=lambda: "To a bad address")
    second = notify(recipient=good, kind="automation", text=lambda: "To a good one")
    made_ago(first, 6)
    made_ago(second, 6)
    real_send = mail.EmailMultiAlternatives.send

    def refuse_bad(message, *args, **kwargs):
        if message.to == ["bad@example.com"]:
            raise smtplib.SMTPRecipientsRefused({"bad@example.com": (550, b"No such user")})
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", refuse_bad)
    assert mail.send_due_emails() == 1
    assert [to for to, _message in smtp.messages] == [["good@example.com"]]
    first.refresh_from_db()
    assert "SMTPRecipientsRefused" in first.email_error  # kept with why, not tried again
    assert mail.send_due_emails() == 0


@pytest.mark.django_db
def test_no_email_after_opting_out_or_leaving(smtp):
    sara = person("sara", delivery=Delivery.EMAIL)
    omar = person("omar", delivery=Delivery.EMAIL)
    for user in (sara, omar):
        made_ago(notify(recipient=user, kind="automation", text=lambda: "Pending"), 6)
    notification_settings_set(by=sara, choices={"automation": Delivery.OFF})
    omar.is_active = False
    omar.save()
    assert mail.send_due_emails() == 0
    assert smtp.messages == []
    assert Notification.objects.get(recipient=sara).delivery == Delivery.APP
