"""Notifications: what the CRM tells one person, and how each person wants to be told.

A notification is written in its recipient's language when it is made (they may read it on a
page in another language, but it is theirs), and points at the record it is about by its type
and id, so a list of them opens each record without reading any of them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The unread count the bell shows: counting stops here ("99+"), whatever the backlog.
UNREAD_SHOWN = 99


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to me")
    TASK_DUE = "task_due", _("Task reminders")
    TASK_OVERDUE = "task_overdue", _("Overdue tasks")
    DEAL_CLOSED = "deal_closed", _("My deals won or lost")
    LEAD_CONVERTED = "lead_converted", _("My leads converted by someone else")
    AUTOMATION = "automation", _("Automation rules")
    IMPORT_FINISHED = "import_finished", _("Imports finished")


# The kinds sent today, which the settings page offers; the other comes with its feature
# (background imports).
OFFERED_KINDS = (
    NotificationKind.ASSIGNED,
    NotificationKind.TASK_DUE,
    NotificationKind.TASK_OVERDUE,
    NotificationKind.DEAL_CLOSED,
    NotificationKind.LEAD_CONVERTED,
    NotificationKind.AUTOMATION,
)


class Delivery(models.TextChoices):
    APP = "app", pgettext_lazy("notification delivery", "In the app only")
    EMAIL = "email", pgettext_lazy("notification delivery", "Email at once")
    DIGEST = "digest", pgettext_lazy("notification delivery", "Daily digest email")
    OFF = "off", pgettext_lazy("notification delivery", "Off")


# What a person gets before they choose: everything in the app, nothing by email.
DEFAULT_DELIVERY = Delivery.APP


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def unread_count(self, user) -> int:
        """``user``'s unread notifications, counted up to one past ``UNREAD_SHOWN`` only."""
        return self.for_user(user).unread()[: UNREAD_SHOWN + 1].count()


class Notification(models.Model):
    """One thing one person is told: who did it, what kind, about which record, and when."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    text = models.CharField(_("text"), max_length=500)
    target_type = models.ForeignKey(
        ContentType,
        verbose_name=_("record type"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    target_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    # The page it opens when it is about no one record (a list of one's overdue tasks).
    link = models.CharField(_("link"), max_length=300, blank=True, default="")
    # How it was to be delivered when it was made (the recipient's choice then).
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=DEFAULT_DELIVERY
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # When it was emailed, alone or in a digest: each is emailed once at most.
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)
    # Why the mail server refused it for good (a bad address): it is not tried again.
    email_error = models.CharField(_("email error"), max_length=300, blank=True, default="")
    # What makes it one of a kind (a reminder of one task at one time, a day's overdue notice):
    # a second one with the same key for the same person cannot be stored.
    key = models.CharField(_("key"), max_length=120, blank=True, default="")

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at", "-id"], name="crm_notification_mine_idx"
            ),
            # The bell's count and the unread list: only unread rows, however many are read.
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=Q(read_at__isnull=True),
                name="crm_notification_unread_idx",
            ),
            # The email jobs' work: the notifications still to be emailed, alone or in a digest.
            models.Index(
                fields=["delivery", "created_at"],
                condition=Q(
                    emailed_at__isnull=True,
                    read_at__isnull=True,
                    delivery__in=["email", "digest"],
                ),
                name="crm_notification_to_email_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~Q(key=""),
                name="crm_notification_once",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="crm_notification_kind_valid"
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def target_url(self) -> str:
        """The page of the record it is about, or its link, or "" (no record, or one without a
        page)."""
        if self.target_type_id is None or self.target_id is None:
            return self.link
        model = ContentType.objects.get_for_id(self.target_type_id).model  # cached
        try:
            return reverse(f"crm:{model}-detail", args=[self.target_id])
        except NoReverseMatch:
            return ""


class NotificationSetting(models.Model):
    """How one person wants to be told of one kind of notification (none: ``DEFAULT_DELIVERY``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="crm_notification_setting_once"),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values),
                name="crm_notification_setting_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=Delivery.values),
                name="crm_notification_setting_delivery_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()}: {self.get_delivery_display()}"
