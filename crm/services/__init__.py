"""Every write of every record, one door each: the reps' pages, the board, the admin (forms,
inlines, actions, history), imports, automation and any API call these and nothing else.

Each service takes keyword-only arguments and the acting user (``by``); checks that user's
right on the stored, locked row (``crm.permissions``); fills creator, owner and assignee; keeps
the record's rules; writes only the fields it changes; refuses a stale edit; and announces what
happened once its transaction commits (``crm.events``). Refusals are ``PermissionDenied`` (the
user may not) and ``ValidationError`` (the rules say no; ``StaleEdit`` for a stale edit).
"""

from ..models import Campaign, Contact, Interaction, Lead, Opportunity, Task
from .activities import (
    interaction_delete,
    interaction_log,
    interaction_update,
    task_complete,
    task_create,
    task_delete,
    task_reminder_handled,
    task_reopen,
    task_update,
)
from .base import RecordServices, StaleEdit
from .leads import (
    Conversion,
    lead_convert,
    lead_create,
    lead_delete,
    lead_mark_lost,
    lead_reopen,
    lead_update,
)
from .notifications import (
    notification_read,
    notification_settings_set,
    notifications_read_all,
    notify,
)
from .opportunities import (
    first_stage,
    opportunity_create,
    opportunity_delete,
    opportunity_move_stage,
    opportunity_update,
)
from .records import (
    campaign_create,
    campaign_delete,
    campaign_update,
    contact_create,
    contact_delete,
    contact_update,
)
from .saved_views import (
    list_default_set,
    saved_view_create,
    saved_view_delete,
    saved_view_update,
)

SERVICES = {
    Lead: RecordServices(lead_create, lead_update, lead_delete, "lead"),
    Contact: RecordServices(contact_create, contact_update, contact_delete, "contact"),
    Opportunity: RecordServices(
        opportunity_create, opportunity_update, opportunity_delete, "opportunity"
    ),
    Task: RecordServices(task_create, task_update, task_delete, "task"),
    Interaction: RecordServices(
        interaction_log, interaction_update, interaction_delete, "interaction"
    ),
    Campaign: RecordServices(campaign_create, campaign_update, campaign_delete, "campaign"),
}


def for_model(model) -> RecordServices:
    """The create, update and delete services of ``model`` (a record class or instance)."""
    return SERVICES[model._meta.model]


__all__ = [
    "SERVICES",
    "Conversion",
    "RecordServices",
    "StaleEdit",
    "campaign_create",
    "campaign_delete",
    "campaign_update",
    "contact_create",
    "contact_delete",
    "contact_update",
    "first_stage",
    "for_model",
    "interaction_delete",
    "interaction_log",
    "interaction_update",
    "lead_convert",
    "lead_create",
    "lead_delete",
    "lead_mark_lost",
    "lead_reopen",
    "lead_update",
    "list_default_set",
    "notification_read",
    "notification_settings_set",
    "notifications_read_all",
    "notify",
    "opportunity_create",
    "opportunity_delete",
    "opportunity_move_stage",
    "opportunity_update",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_update",
    "task_complete",
    "task_create",
    "task_delete",
    "task_reminder_handled",
    "task_reopen",
    "task_update",
]
