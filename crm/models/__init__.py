"""The CRM's records: leads, contacts, deals and their pipeline, interactions, tasks, campaigns.

Every bound a record has is enforced twice: by field validators (a clear message in forms and the
admin) and by a database constraint (so no bulk update, import or raw write can store it).
"""

from .activity import Interaction, Task, TaskQuerySet
from .automation import (
    ActionKind,
    Rule,
    RuleAction,
    RuleCondition,
    RuleRun,
    RunOutcome,
    Trigger,
)
from .base import (
    MONEY,
    ZERO,
    OwnedModel,
    SearchableModel,
    TimeStampedModel,
    expected_value,
    fill_search_text,
    percent,
    ratio,
)
from .campaign import Campaign, CampaignQuerySet
from .choices import (
    TASK_OPEN_STATUSES,
    CampaignKind,
    CampaignStatus,
    InteractionKind,
    InteractionOutcome,
    LeadSource,
    LeadStatus,
    TaskPriority,
    TaskStatus,
)
from .contact import Contact, ContactQuerySet
from .lead import CampaignTotal, Lead, LeadQuerySet
from .notifications import Delivery, Notification, NotificationKind, NotificationSetting
from .pipeline import (
    Opportunity,
    OpportunityQuerySet,
    Stage,
    StageChange,
    StageQuerySet,
    StageTotal,
)
from .preferences import UserPreference
from .saved_views import ListDefault, SavedView

__all__ = [
    "ActionKind",
    "Rule",
    "RuleAction",
    "RuleCondition",
    "RuleRun",
    "RunOutcome",
    "Trigger",
    "MONEY",
    "TASK_OPEN_STATUSES",
    "ZERO",
    "Campaign",
    "CampaignTotal",
    "CampaignKind",
    "CampaignQuerySet",
    "CampaignStatus",
    "Contact",
    "Delivery",
    "ContactQuerySet",
    "Interaction",
    "InteractionKind",
    "InteractionOutcome",
    "Lead",
    "Notification",
    "NotificationKind",
    "NotificationSetting",
    "LeadQuerySet",
    "LeadSource",
    "LeadStatus",
    "Opportunity",
    "OpportunityQuerySet",
    "OwnedModel",
    "SearchableModel",
    "Stage",
    "StageChange",
    "StageQuerySet",
    "StageTotal",
    "Task",
    "TaskPriority",
    "TaskQuerySet",
    "TaskStatus",
    "TimeStampedModel",
    "UserPreference",
    "ListDefault",
    "SavedView",
    "expected_value",
    "fill_search_text",
    "percent",
    "ratio",
]
