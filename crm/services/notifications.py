"""Notifications, one door: telling a person something, marking what they have read, and how
each person wants to be told.

``notify`` is called by the listeners of the services' events (``crm.notifications``) and by
jobs (reminders, automation, imports), never by a view. It writes the text in the recipient's
language, keeps nothing for a kind they turned off, and stores a keyed notification once only.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import UserPreference
from ..models.notifications import (
    DEFAULT_DELIVERY,
    Delivery,
    Notification,
    NotificationKind,
    NotificationSetting,
)

TEXT_LENGTH = Notification._meta.get_field("text").max_length


def language_of(user) -> str:
    """The language ``user`` reads in: the one they chose, else the site's."""
    return UserPreference.objects.language_of(user) or settings.LANGUAGE_CODE


def delivery_for(user, kind: str) -> str:
    """How ``user`` wants to be told of ``kind``: their choice, else ``DEFAULT_DELIVERY``."""
    chosen = (
        NotificationSetting.objects.filter(user=user, kind=kind)
        .values_list("delivery", flat=True)
        .first()
    )
    return chosen or DEFAULT_DELIVERY


def deliveries_of(user) -> dict[str, str]:
    """Every kind with how ``user`` wants to be told of it."""
    chosen = dict(NotificationSetting.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, DEFAULT_DELIVERY) for kind in NotificationKind.values}


def notify(
    *,
    recipient,
    kind: str,
    text: Callable[[], str],
    target: models.Model | None = None,
    actor=None,
    key: str | None = None,
    link: str = "",
) -> Notification | None:
    """Tell ``recipient`` ``text()`` (called in their language) about ``target`` (or, about no
    one record, with a ``link`` to a page).

        Nobody is told of what they did themselves, an inactive user is told nothing, and a kind
        the recipient turned off keeps nothing. With a ``key``, a second notification with the same
        key for the same person is not stored (the first is returned): reminders and daily notices
        go out once however many workers run them. Returns what was stored, or None.
    """
    if recipient is None or not recipient.is_active:
        return None
    if actor is not None and actor.pk == recipient.pk:
        return None
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    delivery = delivery_for(recipient, kind)
    if delivery == Delivery.OFF:
        return None
    with translation.override(language_of(recipient)):
        written = " ".join(str(text()).split())[:TEXT_LENGTH]
    notification = Notification(
        recipient=recipient,
        actor=actor,
        kind=kind,
        text=written,
        delivery=delivery,
        key=key or "",
        link=link,
    )
    if target is not None:
        notification.target_type = ContentType.objects.get_for_model(target)
        notification.target_id = target.pk
    if not key:
        notification.save()
        return notification
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return Notification.objects.filter(recipient=recipient, key=key).first()
    return notification


def notification_read(*, notification_id, by) -> Notification:
    """Mark one of ``by``'s notifications read; someone else's is as missing as none
    (``Notification.DoesNotExist``)."""
    notification = Notification.objects.for_user(by).get(pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_read_all(*, by) -> int:
    """Mark every notification of ``by`` read; how many were unread."""
    return Notification.objects.for_user(by).unread().update(read_at=timezone.now())


@transaction.atomic
def notification_settings_set(*, by, choices: Mapping[str, str]) -> dict[str, str]:
    """Keep how ``by`` wants to be told of each kind in ``choices`` (kind → delivery)."""
    for kind, delivery in choices.items():
        if kind not in NotificationKind.values:
            raise ValidationError(_("Choose one of the kinds of notification."), code="kind")
        if delivery not in Delivery.values:
            raise ValidationError(_("Choose how to be told."), code="delivery")
    for kind, delivery in choices.items():
        NotificationSetting.objects.update_or_create(
            user=by, kind=kind, defaults={"delivery": delivery}
        )
    return deliveries_of(by)


# -- for the email jobs (crm.notifications.mail) ---------------------------------------------

ERROR_LENGTH = Notification._meta.get_field("email_error").max_length


def notifications_claim_for_email(
    notifications: list[Notification], *, at: datetime.datetime
) -> list[Notification]:
    """The ones this sender won, marked emailed at ``at``: still unread and not emailed, and
    not held by another sender (whose rows are locked: they are theirs)."""
    if not notifications:
        return []
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(
                pk__in=[n.pk for n in notifications], emailed_at__isnull=True, read_at__isnull=True
            )
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        taken = Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(
            emailed_at=at
        )
    if taken != len(ids):  # SQLite, which locks no row: a concurrent sender took some
        Notification.objects.filter(pk__in=ids, emailed_at=at).update(emailed_at=None)
        ids = [
            pk
            for pk in ids
            if Notification.objects.filter(pk=pk, emailed_at__isnull=True).update(emailed_at=at)
        ]
    won = [n for n in notifications if n.pk in set(ids)]
    for notification in won:
        notification.emailed_at = at
    return won


def notifications_give_back(notifications: list[Notification]) -> None:
    """Their emails were not sent (the server away): the next run tries again."""
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=None)


def notifications_refused(notifications: list[Notification], *, why: str) -> None:
    """The mail server refused their email for good: kept with why, not tried again."""
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
        email_error=why[:ERROR_LENGTH]
    )


def notification_delivery_moved(notification: Notification, delivery: str) -> None:
    """Its recipient now wants its kind ``delivery``: off and in-app ones are emailed no more."""
    moved = delivery if delivery in (Delivery.EMAIL, Delivery.DIGEST) else Delivery.APP
    Notification.objects.filter(pk=notification.pk).update(delivery=moved)
