"""What a rule's conditions read and its actions do, each action through the services."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import services
from ..models import InteractionKind, Lead, NotificationKind, Opportunity, Stage, Task
from ..models.automation import ActionKind, Assignee, Operator, Rule, RuleAction, RuleRecord
from ..services.automation import next_in_turn

MODELS = {RuleRecord.LEAD: Lead, RuleRecord.OPPORTUNITY: Opportunity, RuleRecord.TASK: Task}
KIND_OF = {model: kind for kind, model in MODELS.items()}


def owner_field(record: models.Model) -> str:
    return "assigned_to" if isinstance(record, Task) else "owner"


def owner_of(record: models.Model):
    return getattr(record, owner_field(record))


def person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def filled(template: str, record: models.Model) -> str:
    """A rule's text with the record's fields in it (``{name}``, ``{owner}``)."""
    return template.format_map({"name": str(record), "owner": person(owner_of(record))})


# -- conditions -------------------------------------------------------------------------------


def field_value(record: models.Model, field: str):
    """The record's value of a condition's field, as the condition's text compares it."""
    if field == "owner":
        owner = owner_of(record)
        return owner.get_username() if owner else ""
    if field == "campaign":
        return record.campaign.name if record.campaign_id else ""
    if field == "stage":
        return record.stage.code
    if field == "amount":
        return record.expected_revenue if isinstance(record, Lead) else record.amount
    if field == "rating":
        return record.rating
    return getattr(record, field)


def condition_met(condition, record: models.Model) -> bool:
    have, want = field_value(record, condition.field), condition.value.strip()
    if condition.field in ("amount", "rating"):
        if have is None or not want:
            equal = have is None and not want
            return (
                equal
                if condition.operator == Operator.EQUALS
                else (not equal if condition.operator == Operator.NOT_EQUALS else False)
            )
        have, want = Decimal(have), Decimal(want)
        return {
            Operator.EQUALS: have == want,
            Operator.NOT_EQUALS: have != want,
            Operator.AT_LEAST: have >= want,
            Operator.AT_MOST: have <= want,
        }[condition.operator]
    equal = (have or "") == want
    return equal if condition.operator == Operator.EQUALS else not equal


def conditions_met(rule: Rule, record: models.Model) -> bool:
    return all(condition_met(condition, record) for condition in rule.conditions.all())


# -- actions ----------------------------------------------------------------------------------


def assignee_for(action: RuleAction, record: models.Model):
    if action.assignee == Assignee.USER:
        chosen = action.user
    elif action.assignee == Assignee.ROUND_ROBIN:
        chosen = next_in_turn(action)
    else:
        chosen = owner_of(record)
    if chosen is None or not chosen.is_active:
        raise ValidationError(_("No active user to give it to."), code="no_assignee")
    return chosen


def links_of(record: models.Model) -> dict:
    """What a task or note made about ``record`` is linked to."""
    if isinstance(record, Lead):
        return {"lead": record, "contact": record.contact}
    if isinstance(record, Opportunity):
        return {"opportunity": record, "contact": record.contact, "lead": record.lead}
    return {"lead": record.lead, "contact": record.contact, "opportunity": record.opportunity}


def create_task(action: RuleAction, record: models.Model, by) -> None:
    services.task_create(
        by=by,
        data={
            "title": filled(action.title, record)[:200],
            "priority": action.priority,
            "due_date": timezone.localdate() + datetime.timedelta(days=action.due_in_days),
            "assigned_to": assignee_for(action, record),
            **links_of(record),
        },
    )


def assign_owner(action: RuleAction, record: models.Model, by) -> None:
    services.for_model(record).update(
        record, by=by, data={owner_field(record): assignee_for(action, record)}
    )


def set_field(action: RuleAction, record: models.Model, by) -> None:
    if action.field == "stage":
        stage = Stage.objects.get(code=action.value)
        services.opportunity_move_stage(opportunity=record, stage=stage, by=by)
        return
    value = int(action.value) if action.field in ("rating", "probability") else action.value
    services.for_model(record).update(record, by=by, data={action.field: value})


def notify(action: RuleAction, record: models.Model, by) -> None:
    recipients = list(action.recipients.all())
    if action.notify_owner and owner_of(record) is not None:
        recipients.append(owner_of(record))
    text = filled(action.message, record)
    for recipient in {user.pk: user for user in recipients}.values():
        services.notify(
            recipient=recipient,
            kind=NotificationKind.AUTOMATION,
            text=lambda: text,
            target=record,
        )


def log_note(action: RuleAction, record: models.Model, by) -> None:
    services.interaction_log(
        by=by,
        data={
            "kind": InteractionKind.NOTE,
            "subject": filled(action.message, record)[:200],
            **{name: value for name, value in links_of(record).items() if value is not None},
        },
    )


DO = {
    ActionKind.CREATE_TASK: create_task,
    ActionKind.ASSIGN_OWNER: assign_owner,
    ActionKind.SET_FIELD: set_field,
    ActionKind.NOTIFY: notify,
    ActionKind.LOG_NOTE: log_note,
}
