"""Notifications by email: one at once (if it is still unread a while later), or the day's
unread in one digest; each in its recipient's language, with an HTML and a text part, sent
through Django's email backend (configured from the environment).

Each notification is emailed once at most: a sender first claims it (an UPDATE that only one
of two workers can win), then sends it; a send that fails gives the claim back, so the next run
tries again. A worker killed between the claim and the send loses that one email rather than
sending it twice.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models.notifications import Delivery, Notification
from ..services.notifications import language_of

logger = logging.getLogger(__name__)

BATCH = 200  # notifications read per query by a run
DIGEST_SHOWN = 50  # a digest lists this many, then says how many more


def site_url(path: str) -> str:
    return settings.CRM_SITE_URL.rstrip("/") + path


def link_of(notification: Notification) -> str:
    return site_url(notification.target_url() or reverse("crm:notification-list"))


def claim(notifications: list[Notification], at: datetime.datetime) -> list[Notification]:
    """The ones this run won: still unread and not emailed, now marked emailed."""
    won = []
    for notification in notifications:
        taken = Notification.objects.filter(
            pk=notification.pk, emailed_at__isnull=True, read_at__isnull=True
        ).update(emailed_at=at)
        if taken:
            notification.emailed_at = at
            won.append(notification)
    return won


def give_back(notifications: list[Notification]) -> None:
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=None)


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
    """Claim ``notifications`` of ``user`` and send what ``build`` makes of the won ones."""
    won = claim(notifications, timezone.now())
    if not won:
        return 0
    try:
        with translation.override(language_of(user)):
            build(won).send()
    except Exception:
        give_back(won)
        raise
    return len(won)


def pending(delivery: str, *, before: datetime.datetime | None = None):
    rows = Notification.objects.filter(
        delivery=delivery, emailed_at__isnull=True, read_at__isnull=True
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
        notifications = list(pending(Delivery.DIGEST).filter(recipient=user).order_by("-pk"))

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
