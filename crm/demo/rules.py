"""The demo's automation rules: a few a sales team would write on its first day."""

from __future__ import annotations

from crm.models import Rule, RuleAction, RuleCondition


def ensure_rules(manager) -> list[Rule]:
    """The demo's rules, unless the CRM has rules already; they act as ``manager``."""
    if Rule.objects.exists():
        return []
    website = Rule.objects.create(
        name="Website lead: a follow-up call the next day",
        record="lead",
        trigger="created",
        created_by=manager,
    )
    RuleCondition.objects.create(rule=website, field="source", operator="eq", value="website")
    RuleAction.objects.create(
        rule=website,
        kind="create_task",
        title="Follow-up call: {name}",
        due_in_days=1,
        priority="high",
        assignee="owner",
    )
    idle = Rule.objects.create(
        name="Deal idle for 14 days: tell its owner",
        record="opportunity",
        trigger="deal_idle",
        days=14,
        created_by=manager,
    )
    RuleAction.objects.create(
        rule=idle,
        kind="notify",
        message="{name} has had no interaction for 14 days.",
        notify_owner=True,
    )
    for rule in (website, idle):
        rule.full_clean()
        for part in (*rule.conditions.all(), *rule.actions.all()):
            part.full_clean()
    return [website, idle]
