"""Activities: interactions that happened and tasks to do."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import SearchableModel, TimeStampedModel, choice_constraint, sort_indexes
from .choices import (
    TASK_OPEN_STATUSES,
    InteractionKind,
    InteractionOutcome,
    TaskPriority,
    TaskReminder,
    TaskStatus,
)
from .contact import Contact
from .lead import Lead
from .pipeline import Opportunity

# The task list's "overdue first": open work before done or cancelled work, each by due date,
# so the most overdue task leads. Sorting by the overdue flag itself (which depends on today)
# sorted every task; this key has an index of its own (``crm_task_overdue_sort``).
CLOSED_LAST = models.Case(
    models.When(status__in=TASK_OPEN_STATUSES, then=Value(0)),
    default=Value(1),
    output_field=models.SmallIntegerField(),
)
OVERDUE_FIRST = (CLOSED_LAST, models.F("due_date"))

# An open task whose reminder has not been handled for its present moment (a task moved to
# another time is reminded again; one reminded stays so however often it is saved).
REMINDER_PENDING = Q(status__in=TASK_OPEN_STATUSES, remind_at__isnull=False) & (
    Q(reminded_for__isnull=True) | Q(reminded_for__lt=F("remind_at"))
    | Q(reminded_for__gt=F("remind_at"))
)  # fmt: skip


def workday_start() -> datetime.time:
    """When a task with no due time is due (``CRM_WORKDAY_START``)."""
    return datetime.time.fromisoformat(settings.CRM_WORKDAY_START)


class InteractionQuerySet(models.QuerySet):
    def for_list(self) -> InteractionQuerySet:
        """With the records each interaction is linked to, and its author."""
        return self.select_related("lead", "contact", "opportunity", "created_by")

    def for_detail(self) -> InteractionQuerySet:
        return self.for_list()


class Interaction(SearchableModel, TimeStampedModel):
    """Something that happened with a lead, a customer or a deal (تفاعل)."""

    SEARCHED_FIELDS = ("subject", "notes", "outcome")
    # The fields people fill in (forms, the admin); the services write these and no others.
    EDITABLE_FIELDS = (
        "kind",
        "subject",
        "occurred_at",
        "duration",
        "outcome",
        "notes",
        "lead",
        "contact",
        "opportunity",
    )

    Kind = InteractionKind
    Outcome = InteractionOutcome

    kind = models.CharField(_("type"), max_length=20, choices=InteractionKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=100, blank=True)
    duration = models.PositiveIntegerField(
        _("duration (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message=_("Enter a duration of zero or more minutes."))],
    )
    occurred_at = models.DateTimeField(_("date and time"), default=timezone.now)
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
    )

    objects = InteractionQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="crm_interaction_occurred_idx"),
            models.Index(fields=["lead", "-occurred_at"], name="crm_interaction_lead_idx"),
            models.Index(fields=["contact", "-occurred_at"], name="crm_interaction_contact_idx"),
            models.Index(fields=["opportunity", "-occurred_at"], name="crm_interaction_opp_idx"),
            models.Index(fields=["kind", "-occurred_at"], name="crm_interaction_kind_idx"),
            models.Index(
                fields=["created_by", "-occurred_at", "-id"], name="crm_interaction_by_idx"
            ),
            *sort_indexes("interaction", "subject", "kind", "duration", "outcome", "created_by"),
        ]
        constraints = [
            choice_constraint("kind", InteractionKind, "interaction"),
            models.CheckConstraint(
                condition=~Q(subject=""), name="crm_interaction_subject_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(duration__isnull=True) | Q(duration__gte=0),
                name="crm_interaction_duration_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(lead__isnull=False)
                | Q(contact__isnull=False)
                | Q(opportunity__isnull=False),
                name="crm_interaction_linked",
                violation_error_message=_(
                    "Link the interaction to a lead, a customer or an opportunity."
                ),
            ),
        ]

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        return reverse("crm:interaction-detail", args=[self.pk])

    def clean(self):
        super().clean()
        if not (self.lead_id or self.contact_id or self.opportunity_id):
            raise ValidationError(
                _("Link the interaction to a lead, a customer or an opportunity."), code="links"
            )


# --- Task ------------------------------------------------------------------------------------


class TaskQuerySet(models.QuerySet):
    def open(self) -> TaskQuerySet:
        return self.filter(status__in=TASK_OPEN_STATUSES)

    def reminders_due(self, now) -> TaskQuerySet:
        """Tasks whose reminder is due by ``now`` and not yet handled, soonest first."""
        return self.filter(REMINDER_PENDING, remind_at__lte=now).order_by("remind_at", "pk")

    def overdue(self, today=None) -> TaskQuerySet:
        """Open tasks whose due date has passed."""
        return self.open().filter(due_date__lt=today or timezone.localdate())

    def for_list(self) -> TaskQuerySet:
        """With overdue flags and the linked records a list of tasks shows."""
        return self.with_overdue().select_related("assigned_to", "lead", "contact", "opportunity")

    def for_detail(self) -> TaskQuerySet:
        return self.for_list().select_related("created_by")

    def with_overdue(self, today=None) -> TaskQuerySet:
        """Annotate ``is_overdue`` so lists can show and sort by it without a query per row."""
        today = today or timezone.localdate()
        return self.annotate(
            is_overdue=models.Case(
                models.When(Q(status__in=TASK_OPEN_STATUSES, due_date__lt=today), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )


class Task(SearchableModel, TimeStampedModel):
    """Work to do (مهمة), assigned to a user, optionally about a lead, customer or deal."""

    SEARCHED_FIELDS = ("title", "description")
    DERIVED_FIELDS = ("search_text", "remind_at")
    EDITABLE_FIELDS = (
        "title",
        "description",
        "priority",
        "status",
        "due_date",
        "due_time",
        "reminder",
        "assigned_to",
        "lead",
        "contact",
        "opportunity",
    )

    Priority = TaskPriority
    Status = TaskStatus

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    priority = models.CharField(
        _("priority"), max_length=20, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.PENDING
    )
    due_date = models.DateField(_("due date"))
    due_time = models.TimeField(_("due time"), null=True, blank=True)
    reminder = models.PositiveIntegerField(
        _("reminder"), choices=TaskReminder.choices, null=True, blank=True
    )
    # When the reminder goes out: the due moment less the reminder's lead (kept by save()).
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True, editable=False)
    # The moment a reminder was handled for (sent, or dropped as too late): once per moment.
    reminded_for = models.DateTimeField(_("reminded for"), null=True, blank=True, editable=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )

    objects = TaskQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text", "remind_at", "reminded_for"])

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["due_date", "id"], name="crm_task_due_idx"),
            *sort_indexes("task", "title", "priority", "status", "assigned_to"),
            models.Index(
                fields=["assigned_to", "status", "due_date"], name="crm_task_assignee_idx"
            ),
            models.Index(fields=["status", "due_date"], name="crm_task_status_due_idx"),
            # Open tasks by due date: the overdue filter, in the list's order.
            models.Index(
                fields=["due_date", "id"],
                condition=Q(status__in=TASK_OPEN_STATUSES),
                name="crm_task_open_due_idx",
            ),
            # A person's open tasks by due date: the dashboard's "my tasks", read in order.
            models.Index(
                fields=["assigned_to", "due_date", "id"],
                condition=Q(status__in=TASK_OPEN_STATUSES),
                name="crm_task_open_mine_idx",
            ),
            models.Index(*OVERDUE_FIRST, models.F("id"), name="crm_task_overdue_sort"),
            # The reminder job's work: only the reminders still to handle, however many tasks.
            models.Index(
                fields=["remind_at", "id"], condition=REMINDER_PENDING, name="crm_task_remind_idx"
            ),
        ]
        constraints = [
            choice_constraint("priority", TaskPriority, "task"),
            choice_constraint("status", TaskStatus, "task"),
            choice_constraint("reminder", TaskReminder, "task"),
            models.CheckConstraint(condition=~Q(title=""), name="crm_task_title_not_empty"),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.COMPLETED, completed_at__isnull=False)
                | (~Q(status=TaskStatus.COMPLETED) & Q(completed_at__isnull=True)),
                name="crm_task_completed_at_matches_status",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("crm:task-detail", args=[self.pk])

    def save(self, *args, **kwargs):
        self.follow_status()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields:
            kwargs["update_fields"] = {*update_fields, "completed_at"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.follow_status()

    def refresh_derived(self) -> None:
        super().refresh_derived()
        self.remind_at = self.reminder_moment()

    def due_moment(self) -> datetime.datetime | None:
        """When the task is due: its due date at its due time (or the workday's start)."""
        if self.due_date is None:
            return None
        moment = datetime.datetime.combine(self.due_date, self.due_time or workday_start())
        return timezone.make_aware(moment)

    def reminder_moment(self) -> datetime.datetime | None:
        due = self.due_moment()
        if due is None or self.reminder is None:
            return None
        # In real time, not on the wall clock (a lead across a daylight-saving change).
        return due.astimezone(datetime.UTC) - datetime.timedelta(minutes=self.reminder)

    def follow_status(self) -> None:
        """``completed_at`` follows the status, whatever path changed it."""
        if self.status == TaskStatus.COMPLETED and self.completed_at is None:
            self.completed_at = timezone.now()
        elif self.status != TaskStatus.COMPLETED:
            self.completed_at = None

    @property
    def is_open(self) -> bool:
        return self.status in TASK_OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        if "is_overdue" in self.__dict__:
            return self.__dict__["is_overdue"]
        return self.is_open and self.due_date < timezone.localdate()

    @is_overdue.setter
    def is_overdue(self, value) -> None:
        self.__dict__["is_overdue"] = value
