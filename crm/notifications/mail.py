"""Notifications by email: one at once (if it is still unread a while later), or the day's
unread in one digest; each in its recipient's language, with an HTML and a text part, sent
through Django's email backend (configured from the environment).

Each notification is emailed once at most: a sender first claims it (an UPDATE that only one
of two workers can win), then sends it; a send that fails gives the claim back, so the next run
tries again, unless the server refused that one message for good (a bad address), which is
kept with why and does not hold up the others. A worker killed between the claim and the send
loses that one email rather than sending it twice. Emails go to active users only, and only
while they still want that kind by email.
"""

from __future__ import annotations

import datetime
import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models.notifications import Delivery, Notification
from ..services import notifications as service
from ..services.notifications import delivery_for, language_of

logger = logging.getLogger(__name__)

BATCH = 200  # notifications read per query by a run
DIGEST_SHOWN = 50  # a digest lists this many, then says how many more


def site_url(path: str) -> str:
    return settings.CRM_SITE_URL.rstrip("/") + path


def link_of(notification: Notification) -> str:
    return site_url(notification.target_url() or reverse("crm:notification-list"))


def refused_for_good(error: Exception) -> bool:
    """Whether the mail server refused this one message (a bad address, say): another try
    would meet the same. Any other failure (the server away, a timeout, a refused login) is
    the whole run's, and its emails wait for the next."""
    if isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
        return True
    return not isinstance(error, OSError)  # building the message failed


def message(user, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    context = {"user": user, "site_url": site_url(reverse("crm:dashboard")), **context}
    context["settings_url"] = site_url(reverse("crm:notification-settings"))
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:150],
        body=render_to_string(f"crm/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    email.attach_alternative(render_to_string(f"crm/email/{template}.html", context), "text/html")
    return email


def send(user, notifications: list[Notification], build) -> int:
    """Claim ``notifications`` of ``user`` and send what ``build`` makes of the won ones.

    A message the server refuses for good is kept as failed (with why) and the run goes on;
    any other failure gives the claims back and stops the run.
    """
    won = service.notifications_claim_for_email(notifications, at=timezone.now())
    if not won:
        return 0
    try:
        with translation.override(language_of(user)):
            build(won).send()
    except Exception as error:
        if not refused_for_good(error):
            service.notifications_give_back(won)
            raise
        logger.warning("An email to %s was refused", user.pk, exc_info=True)
        service.notifications_refused(won, why=f"{type(error).__name__}: {error}")
        return 0
    return len(won)


def still_wanted(notification: Notification, wanted: str) -> bool:
    """Whether its recipient still wants this kind delivered ``wanted``; if not, it is moved
    to how they want it now (off and in-app ones are emailed no more)."""
    now = delivery_for(notification.recipient, notification.kind)
    if now == wanted:
        return True
    service.notification_delivery_moved(notification, now)
    return False


def pending(delivery: str, *, before: datetime.datetime | None = None):
    rows = Notification.objects.filter(
        delivery=delivery, emailed_at__isnull=True, read_at__isnull=True, recipient__is_active=True
    )
    if before is not None:
        rows = rows.filter(created_at__lte=before)
    return rows.exclude(recipient__email="").select_related("recipient", "actor")


def send_due_emails() -> int:
    """Email each "at once" notification still unread ``CRM_NOTIFICATION_EMAIL_DELAY`` after
    it was made; how many were sent."""
    delay = datetime.timedelta(seconds=settings.CRM_NOTIFICATION_EMAIL_DELAY)
    sent = 0
    while True:
        batch = list(pending(Delivery.EMAIL, before=timezone.now() - delay).order_by("pk")[:BATCH])
        if not batch:
            return sent
        for notification in batch:
            user = notification.recipient
            if not still_wanted(notification, Delivery.EMAIL):
                continue

            def build(won, user=user):
                [notification] = won
                return message(
                    user,
                    notification.text,
                    "notification",
                    {"notification": notification, "link": link_of(notification)},
                )

            sent += send(user, [notification], build)
        if len(batch) < BATCH:
            return sent


def send_digests() -> int:
    """One email per person with their unread "daily digest" notifications; how many emails."""
    sent = 0
    users = get_user_model().objects.filter(
        pk__in=pending(Delivery.DIGEST).values("recipient").distinct(), is_active=True
    )
    for user in users.order_by("pk").iterator(chunk_size=BATCH):
        notifications = [
            notification
            for notification in pending(Delivery.DIGEST).filter(recipient=user).order_by("-pk")
            if still_wanted(notification, Delivery.DIGEST)
        ]

        def build(won, user=user):
            count = len(won)
            subject = ngettext(
                "Your CRM digest: %(count)s unread notification",
                "Your CRM digest: %(count)s unread notifications",
                count,
            ) % {"count": count}
            shown = [(n, link_of(n)) for n in won[:DIGEST_SHOWN]]
            more = count - len(shown)
            return message(
                user,
                subject,
                "digest",
                {
                    "shown": shown,
                    "more": more,
                    "count": count,
                    "list_url": site_url(reverse("crm:notification-list")),
                    "heading": _("What is waiting for you"),
                },
            )

        if send(user, notifications, build):
            sent += 1
    return sent
