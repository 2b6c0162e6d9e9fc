"""The reps' pages: thin views over the models' querysets and the services."""

from .activities import (
    InteractionCreateView,
    InteractionDetailView,
    InteractionListView,
    InteractionUpdateView,
    TaskCreateView,
    TaskDetailView,
    TaskListView,
    TaskUpdateView,
)
from .automation import RuleRunListView
from .board import OpportunityMoveView, PipelineBoardView
from .campaigns import CampaignCreateView, CampaignDetailView, CampaignListView, CampaignUpdateView
from .contacts import ContactCreateView, ContactDetailView, ContactListView, ContactUpdateView
from .dashboard import DashboardView
from .leads import (
    LeadConvertView,
    LeadCreateView,
    LeadDetailView,
    LeadListView,
    LeadMarkLostView,
    LeadReopenView,
    LeadUpdateView,
)
from .lookup import LookAlikesView, LookupView
from .notifications import (
    BellView,
    MenuView,
    NotificationListView,
    NotificationOpenView,
    NotificationReadAllView,
    NotificationReadView,
    NotificationSettingsView,
)
from .opportunities import (
    OpportunityCreateView,
    OpportunityDetailView,
    OpportunityListView,
    OpportunityUpdateView,
)
from .quick import LeadStatusView, QuickLeadView, TaskCompleteView, TaskReopenView
from .saved_views import (
    ListDefaultView,
    SavedViewCreateView,
    SavedViewDeleteView,
    SavedViewUpdateView,
)
from .search import GlobalSearchView

__all__ = [
    "GlobalSearchView",
    "ListDefaultView",
    "SavedViewCreateView",
    "SavedViewDeleteView",
    "SavedViewUpdateView",
    "CampaignCreateView",
    "CampaignDetailView",
    "CampaignListView",
    "CampaignUpdateView",
    "ContactCreateView",
    "ContactDetailView",
    "ContactListView",
    "ContactUpdateView",
    "BellView",
    "DashboardView",
    "MenuView",
    "NotificationListView",
    "RuleRunListView",
    "NotificationOpenView",
    "NotificationReadAllView",
    "NotificationReadView",
    "NotificationSettingsView",
    "InteractionCreateView",
    "InteractionDetailView",
    "InteractionListView",
    "InteractionUpdateView",
    "LeadConvertView",
    "LeadCreateView",
    "LeadDetailView",
    "LeadListView",
    "LeadMarkLostView",
    "LeadReopenView",
    "LeadStatusView",
    "LeadUpdateView",
    "LookAlikesView",
    "LookupView",
    "OpportunityCreateView",
    "OpportunityDetailView",
    "OpportunityListView",
    "OpportunityMoveView",
    "OpportunityUpdateView",
    "PipelineBoardView",
    "QuickLeadView",
    "TaskCompleteView",
    "TaskCreateView",
    "TaskDetailView",
    "TaskListView",
    "TaskReopenView",
    "TaskUpdateView",
]
