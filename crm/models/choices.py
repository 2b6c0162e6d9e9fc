"""The records' fixed choices, each backed by a database constraint where used."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    LOST = "lost", _("Lost")
    CONVERTED = "converted", _("Converted")


# One colour per lead status (a Bootstrap colour), for its badge (crm.css: .badge-status-*)
# and its slice of the dashboard's chart alike.
LEAD_STATUS_COLOURS = {
    LeadStatus.NEW: "primary",
    LeadStatus.CONTACTED: "info",
    LeadStatus.QUALIFIED: "success",
    LeadStatus.LOST: "secondary",
    LeadStatus.CONVERTED: "dark",
}


class LeadSource(models.TextChoices):
    WEBSITE = "website", _("Website")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    SOCIAL_MEDIA = "social_media", _("Social media")
    EVENT = "event", _("Event")
    COLD_CALL = "cold_call", _("Cold call")
    OTHER = "other", _("Other")


class InteractionKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")


class InteractionOutcome(models.TextChoices):
    """Common outcomes offered to pick from; the field itself takes free text."""

    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Voicemail")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    NOT_INTERESTED = "not_interested", _("Not interested")


class TaskPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TaskReminder(models.IntegerChoices):
    """How long before a task is due its assignee is reminded (minutes)."""

    AT_DUE_TIME = 0, _("At the due time")
    MINUTES_15 = 15, _("15 minutes before")
    HOUR_1 = 60, _("1 hour before")
    DAY_1 = 1440, _("1 day before")


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


TASK_OPEN_STATUSES = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)


class CampaignKind(models.TextChoices):
    EMAIL = "email", _("Email")
    SOCIAL_MEDIA = "social_media", _("Social media")
    PAID_ADS = "paid_ads", _("Paid ads")
    EVENT = "event", _("Event")
    WEBINAR = "webinar", _("Webinar")


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
