"""Automation rules managers write: when something happens to a record (a trigger), if its
fields say so (conditions, all of them), do something (actions, through the services); and the
log of every run.

A rule watches one kind of record. Its runs are made after the commit of what triggered them
and carried out by a job; each names the chain of writes it belongs to, and a rule runs once at
most for one record in one chain (the database refuses a second), so rules that answer one
another stop; a chain deeper than ``MAX_DEPTH`` is stopped with a logged error.
"""

from __future__ import annotations

import re
import string

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import LeadSource, LeadStatus, TaskPriority, TaskStatus

# A chain of automations this deep is a runaway: its next run is stopped, with an error logged.
MAX_DEPTH = 5


class RuleRecord(models.TextChoices):
    LEAD = "lead", _("Lead")
    OPPORTUNITY = "opportunity", _("Opportunity")
    TASK = "task", _("Task")


class Trigger(models.TextChoices):
    CREATED = "created", _("The record is created")
    CHANGED_TO = "changed_to", _("A field changes to a value")
    TASK_OVERDUE = "task_overdue", _("The task becomes overdue")
    DEAL_IDLE = "deal_idle", _("The deal has had no interaction for some days")
    LEAD_FROM = "lead_from", _("A lead comes from a campaign or source")


# The triggers each kind of record can have.
TRIGGERS_OF = {
    RuleRecord.LEAD: {Trigger.CREATED, Trigger.CHANGED_TO, Trigger.LEAD_FROM},
    RuleRecord.OPPORTUNITY: {Trigger.CREATED, Trigger.CHANGED_TO, Trigger.DEAL_IDLE},
    RuleRecord.TASK: {Trigger.CREATED, Trigger.CHANGED_TO, Trigger.TASK_OVERDUE},
}


class WatchedField(models.TextChoices):
    STATUS = "status", _("Status")
    STAGE = "stage", _("Stage")
    OWNER = "owner", _("Owner (or assignee)")
    PRIORITY = "priority", _("Priority")


# The fields a "changes to" trigger can watch, per kind of record.
WATCHED_OF = {
    RuleRecord.LEAD: {WatchedField.STATUS, WatchedField.OWNER},
    RuleRecord.OPPORTUNITY: {WatchedField.STAGE, WatchedField.OWNER},
    RuleRecord.TASK: {WatchedField.STATUS, WatchedField.OWNER, WatchedField.PRIORITY},
}


class Rule(models.Model):
    """When ``trigger`` happens to a ``record`` whose fields meet every condition, do its
    actions, in order."""

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    record = models.CharField(_("record"), max_length=20, choices=RuleRecord.choices)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    # "A field changes to a value": which field, and the value (a status or priority as
    # stored, a stage's code, a user's username).
    field = models.CharField(
        _("field"), max_length=20, choices=WatchedField.choices, blank=True, default=""
    )
    value = models.CharField(
        _("changes to"),
        max_length=150,
        blank=True,
        default="",
        help_text=_("A status or priority, a stage's code, or a user's username."),
    )
    # "The deal has had no interaction for some days".
    days = models.PositiveIntegerField(
        _("days"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # "A lead comes from a campaign or source": either, or both.
    campaign = models.ForeignKey(
        "crm.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,  # a rule that names it stops its deletion, with why
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=20, choices=LeadSource.choices, blank=True, default=""
    )
    # The actions act as this user (the services check their rights).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["name", "id"]
        indexes = [
            models.Index(
                fields=["record", "trigger"],
                condition=Q(is_active=True),
                name="crm_rule_active_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="crm_rule_name_not_empty"),
            models.CheckConstraint(
                condition=Q(record__in=RuleRecord.values), name="crm_rule_record_valid"
            ),
            models.CheckConstraint(
                condition=Q(trigger__in=Trigger.values), name="crm_rule_trigger_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if self.record and self.trigger and self.trigger not in TRIGGERS_OF[self.record]:
            errors["trigger"] = _("A rule on this kind of record cannot have this trigger.")
        if self.trigger == Trigger.CHANGED_TO:
            if self.field not in WATCHED_OF.get(self.record, ()):
                errors["field"] = _("Choose a field this kind of record has.")
            elif problem := watched_value_problem(self.record, self.field, self.value):
                errors["value"] = problem
        if self.trigger == Trigger.DEAL_IDLE and not self.days:
            errors["days"] = _("Say after how many days without an interaction.")
        if self.trigger == Trigger.LEAD_FROM and not (self.campaign_id or self.source):
            errors["campaign"] = _("Choose a campaign, a source, or both.")
        if errors:
            raise ValidationError(errors)


def watched_value_problem(record: str, field: str, value: str):
    """Why ``value`` cannot be what ``record``'s ``field`` changes to, or None."""
    from django.contrib.auth import get_user_model

    from .pipeline import Stage

    if field == WatchedField.OWNER:
        if get_user_model().objects.filter(username=value, is_active=True).exists():
            return None
        return _("No active user has this username.")
    if field == WatchedField.STATUS:
        allowed = (LeadStatus if record == RuleRecord.LEAD else TaskStatus).values
    elif field == WatchedField.PRIORITY:
        allowed = TaskPriority.values
    else:
        allowed = list(Stage.objects.values_list("code", flat=True))
    if value not in allowed:
        return _("Give one of: %(values)s.") % {"values": ", ".join(allowed)}
    return None


def rule_of(part) -> Rule | None:
    """The rule a condition or action belongs to, saved or not yet (the admin's new rule)."""
    return part._state.fields_cache.get("rule") or (part.rule if part.rule_id else None)


class ConditionField(models.TextChoices):
    SOURCE = "source", _("Source")
    OWNER = "owner", _("Owner (or assignee)")
    CAMPAIGN = "campaign", _("Campaign")
    AMOUNT = "amount", _("Amount (expected revenue of a lead)")
    RATING = "rating", _("Rating")
    STAGE = "stage", _("Stage")


class Operator(models.TextChoices):
    EQUALS = "eq", pgettext_lazy("rule condition", "is")
    NOT_EQUALS = "ne", pgettext_lazy("rule condition", "is not")
    AT_LEAST = "gte", pgettext_lazy("rule condition", "is at least")
    AT_MOST = "lte", pgettext_lazy("rule condition", "is at most")


# The fields a condition can read, per kind of record, and the operators that make sense.
CONDITION_FIELDS_OF = {
    RuleRecord.LEAD: {"source", "owner", "campaign", "amount", "rating"},
    RuleRecord.OPPORTUNITY: {"owner", "campaign", "amount", "stage"},
    RuleRecord.TASK: {"owner"},
}
ORDERED_FIELDS = {"amount", "rating"}


class RuleCondition(models.Model):
    """One condition a rule's record must meet: ``field`` ``operator`` ``value``."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="conditions"
    )
    field = models.CharField(_("field"), max_length=20, choices=ConditionField.choices)
    operator = models.CharField(
        _("operator"), max_length=5, choices=Operator.choices, default=Operator.EQUALS
    )
    value = models.CharField(
        _("value"),
        max_length=150,
        blank=True,
        help_text=_(
            "A source as stored, a user's username, a campaign's name, a stage's code, an "
            "amount or a rating; empty for none."
        ),
    )

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value}"

    def clean(self):
        super().clean()
        errors = {}
        rule = rule_of(self)
        if rule is not None and self.field not in CONDITION_FIELDS_OF.get(rule.record, ()):
            errors["field"] = _("This kind of record has no such field.")
        if self.operator in (Operator.AT_LEAST, Operator.AT_MOST) and (
            self.field not in ORDERED_FIELDS
        ):
            errors["operator"] = _("Only an amount or a rating can be at least or at most.")
        if "field" not in errors and (problem := condition_value_problem(self)):
            errors["value"] = problem
        if errors:
            raise ValidationError(errors)


class ActionKind(models.TextChoices):
    CREATE_TASK = "create_task", _("Create a task")
    ASSIGN_OWNER = "assign_owner", _("Assign the owner")
    SET_FIELD = "set_field", _("Set a field")
    NOTIFY = "notify", _("Notify users")
    LOG_NOTE = "log_note", _("Log a note")


class Assignee(models.TextChoices):
    OWNER = "owner", _("The record's owner")
    USER = "user", _("A given user")
    ROUND_ROBIN = "round_robin", _("Round-robin within a group")


class SetField(models.TextChoices):
    STATUS = "status", _("Status")
    STAGE = "stage", _("Stage")
    PRIORITY = "priority", _("Priority")
    RATING = "rating", _("Rating")
    PROBABILITY = "probability", _("Probability")


SET_FIELDS_OF = {
    RuleRecord.LEAD: {"status", "rating"},
    RuleRecord.OPPORTUNITY: {"stage", "probability"},
    RuleRecord.TASK: {"status", "priority"},
}
# What a text template may name: "{name}", "{owner}".
TEMPLATE_FIELDS = ("name", "owner")


def template_problem(text: str):
    """Why ``text`` is not a template the actions can fill, or None."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return _("Write a brace as {{ or }}; a field's name goes in braces, as {name}.")
    unknown = [name for name in names if name not in TEMPLATE_FIELDS]
    if unknown:
        return _("A template can name only {name} and {owner}.")
    return None


class RuleAction(models.Model):
    """One thing a rule does, in order; every one goes through the services."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(_("action"), max_length=20, choices=ActionKind.choices)
    # Create a task.
    title = models.CharField(
        _("title"), max_length=200, blank=True, help_text=_("May name {name} and {owner}.")
    )
    due_in_days = models.PositiveIntegerField(
        _("due in (days)"), default=1, validators=[MaxValueValidator(365)]
    )
    priority = models.CharField(
        _("priority"), max_length=20, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    # Create a task (its assignee), assign the owner.
    assignee = models.CharField(
        _("assignee"), max_length=20, choices=Assignee.choices, default=Assignee.OWNER
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    group = models.ForeignKey(
        "auth.Group",
        verbose_name=_("group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The group's member given the last record, round-robin (the next goes to the one after).
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Set a field.
    field = models.CharField(
        _("field"), max_length=20, choices=SetField.choices, blank=True, default=""
    )
    value = models.CharField(_("value"), max_length=150, blank=True)
    # Notify users, log a note.
    message = models.CharField(
        _("message"), max_length=300, blank=True, help_text=_("May name {name} and {owner}.")
    )
    notify_owner = models.BooleanField(_("notify the owner"), default=True)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("also notify"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["id"]

    def __str__(self):
        return self.get_kind_display()

    def clean(self):
        super().clean()
        errors = {}
        rule = rule_of(self)
        record = rule.record if rule is not None else None
        if self.kind == ActionKind.CREATE_TASK:
            if not self.title.strip():
                errors["title"] = _("Give the task a title.")
            elif problem := template_problem(self.title):
                errors["title"] = problem
        if self.kind in (ActionKind.NOTIFY, ActionKind.LOG_NOTE):
            if not self.message.strip():
                errors["message"] = _("Write the message.")
            elif problem := template_problem(self.message):
                errors["message"] = problem
        if self.kind in (ActionKind.CREATE_TASK, ActionKind.ASSIGN_OWNER):
            if self.assignee == Assignee.USER and not self.user_id:
                errors["user"] = _("Choose the user.")
            if self.assignee == Assignee.ROUND_ROBIN and not self.group_id:
                errors["group"] = _("Choose the group whose members take turns.")
            if self.kind == ActionKind.ASSIGN_OWNER and self.assignee == Assignee.OWNER:
                errors["assignee"] = _("Choose a user or a group to give the record to.")
        if self.kind == ActionKind.SET_FIELD and record:
            if self.field not in SET_FIELDS_OF.get(record, ()):
                errors["field"] = _("This kind of record has no such field to set.")
            elif problem := set_value_problem(record, self.field, self.value):
                errors["value"] = problem
        if errors:
            raise ValidationError(errors)


def condition_value_problem(condition: RuleCondition):
    """Why a condition's value cannot be compared with its field, or None."""
    from decimal import Decimal, InvalidOperation

    from django.contrib.auth import get_user_model

    from .campaign import Campaign
    from .pipeline import Stage

    field, value = condition.field, condition.value.strip()
    if not value:
        return None  # "is empty" / "is not empty" (an ordered comparison never matches it)
    if field == ConditionField.SOURCE and value not in LeadSource.values:
        return _("Give one of the sources: %(values)s.") % {"values": ", ".join(LeadSource.values)}
    if field == ConditionField.OWNER and not get_user_model().objects.filter(username=value):
        return _("No user has this username.")
    if field == ConditionField.CAMPAIGN and not Campaign.objects.filter(name=value).exists():
        return _("No campaign has this name.")
    if field == ConditionField.STAGE and not Stage.objects.filter(code=value).exists():
        return _("No stage has this code.")
    if field == ConditionField.AMOUNT:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            return _("Give an amount, as 1500 or 1500.50.")
        if not amount.is_finite() or amount < 0 or amount >= 10**12:
            return _("Give an amount, as 1500 or 1500.50.")
    if field == ConditionField.RATING and value not in {"1", "2", "3", "4", "5"}:
        return _("Give a rating from 1 to 5.")
    return None


# The values a rule may set (a lost lead or deal needs a reason, a conversion a customer: those
# are people's to decide).
SETTABLE_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)


def set_value_problem(record: str, field: str, value: str):
    """Why a rule cannot set ``record``'s ``field`` to ``value``, or None."""
    from .pipeline import Stage

    if field == SetField.STATUS and record == RuleRecord.LEAD:
        if value not in SETTABLE_LEAD_STATUSES:
            return _("Give one of the statuses: %(values)s.") % {
                "values": ", ".join(SETTABLE_LEAD_STATUSES)
            }
    elif field == SetField.STATUS and value not in TaskStatus.values:
        return _("Give one of the statuses: %(values)s.") % {"values": ", ".join(TaskStatus.values)}
    elif field == SetField.PRIORITY and value not in TaskPriority.values:
        return _("Give one of the priorities: %(values)s.") % {
            "values": ", ".join(TaskPriority.values)
        }
    elif field == SetField.RATING and value not in {"1", "2", "3", "4", "5"}:
        return _("Give a rating from 1 to 5.")
    elif field == SetField.PROBABILITY and not (
        re.fullmatch(r"[0-9]{1,3}", value) and int(value) <= 100
    ):
        return _("Give a probability from 0 to 100.")
    elif field == SetField.STAGE:
        stage = Stage.objects.filter(code=value).first()
        if stage is None:
            return _("No stage has this code.")
        if stage.is_lost:
            return _("A deal is lost by a person, who says why.")
    return None


class RunOutcome(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SUCCEEDED = "succeeded", _("Succeeded")
    SKIPPED = "skipped", _("Skipped: conditions not met")
    FAILED = "failed", _("Failed")
    STOPPED = "stopped", _("Stopped: chain too deep")


class RuleRunQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("rule", "target_type")


class RuleRun(models.Model):
    """One run of a rule for one record: what triggered it, in which chain, and how it ended."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="runs"
    )
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(_("record id"))
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    # The chain of writes it belongs to (a person's write, and the automations it set off),
    # or a scheduled trigger's once-only key ("overdue:2026-12-03").
    chain = models.CharField(_("chain"), max_length=64)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=RunOutcome.choices, default=RunOutcome.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = RuleRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="crm_rulerun_created_idx"),
            models.Index(fields=["rule", "-created_at", "-id"], name="crm_rulerun_rule_idx"),
            models.Index(fields=["outcome", "-created_at", "-id"], name="crm_rulerun_outcome_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "target_type", "target_id", "chain"], name="crm_rulerun_once"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=RunOutcome.values), name="crm_rulerun_outcome_valid"
            ),
        ]

    def __str__(self):
        return f"{self.rule_id} · {self.target_type_id}:{self.target_id} · {self.outcome}"

    def target_url(self) -> str:
        from django.urls import NoReverseMatch, reverse

        model = ContentType.objects.get_for_id(self.target_type_id).model
        try:
            return reverse(f"crm:{model}-detail", args=[self.target_id])
        except NoReverseMatch:
            return ""
