"""The reps' pages, at the paths of the original specification (no trailing slashes)."""

from django.urls import path, register_converter

from . import views


class IdConverter:
    """A record id: digits only, and short enough for a 64-bit column (else a 404, not a 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

app_name = "crm"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard", views.DashboardView.as_view(), name="dashboard-alias"),
    path("search", views.GlobalSearchView.as_view(), name="search"),
    # Notifications: the bell, the list, reading them, how each person is told
    path("notifications", views.NotificationListView.as_view(), name="notification-list"),
    path("automation/runs", views.RuleRunListView.as_view(), name="automation-runs"),
    path("notifications/bell", views.BellView.as_view(), name="notification-bell"),
    path("notifications/menu", views.MenuView.as_view(), name="notification-menu"),
    path(
        "notifications/settings",
        views.NotificationSettingsView.as_view(),
        name="notification-settings",
    ),
    path(
        "notifications/read-all",
        views.NotificationReadAllView.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/<id:pk>/open",
        views.NotificationOpenView.as_view(),
        name="notification-open",
    ),
    path(
        "notifications/<id:pk>/read",
        views.NotificationReadView.as_view(),
        name="notification-read",
    ),
    # Saved views of the lists
    path("views/save", views.SavedViewCreateView.as_view(), name="saved-view-create"),
    path("views/default", views.ListDefaultView.as_view(), name="saved-view-default"),
    path("views/<id:pk>/update", views.SavedViewUpdateView.as_view(), name="saved-view-update"),
    path("views/<id:pk>/delete", views.SavedViewDeleteView.as_view(), name="saved-view-delete"),
    # Leads
    path("leads", views.LeadListView.as_view(), name="lead-list"),
    path("leads/add", views.LeadCreateView.as_view(), name="lead-create"),
    path("leads/quick-add", views.QuickLeadView.as_view(), name="lead-quick-add"),
    path("leads/<id:pk>", views.LeadDetailView.as_view(), name="lead-detail"),
    path("leads/<id:pk>/edit", views.LeadUpdateView.as_view(), name="lead-update"),
    path("leads/<id:pk>/convert", views.LeadConvertView.as_view(), name="lead-convert"),
    path("leads/<id:pk>/lost", views.LeadMarkLostView.as_view(), name="lead-mark-lost"),
    path("leads/<id:pk>/reopen", views.LeadReopenView.as_view(), name="lead-reopen"),
    path("leads/<id:pk>/status", views.LeadStatusView.as_view(), name="lead-status"),
    # Contacts (customers)
    path("contacts", views.ContactListView.as_view(), name="contact-list"),
    path("contacts/add", views.ContactCreateView.as_view(), name="contact-create"),
    path("contacts/<id:pk>", views.ContactDetailView.as_view(), name="contact-detail"),
    path("contacts/<id:pk>/edit", views.ContactUpdateView.as_view(), name="contact-update"),
    # Opportunities and the pipeline board
    path("opportunities", views.OpportunityListView.as_view(), name="opportunity-list"),
    path("opportunities/add", views.OpportunityCreateView.as_view(), name="opportunity-create"),
    path("opportunities/board", views.PipelineBoardView.as_view(), name="opportunity-board"),
    path("opportunities/<id:pk>", views.OpportunityDetailView.as_view(), name="opportunity-detail"),
    path(
        "opportunities/<id:pk>/edit",
        views.OpportunityUpdateView.as_view(),
        name="opportunity-update",
    ),
    path(
        "opportunities/<id:pk>/move",
        views.OpportunityMoveView.as_view(),
        name="opportunity-move",
    ),
    # Interactions
    path("interactions", views.InteractionListView.as_view(), name="interaction-list"),
    path("interactions/add", views.InteractionCreateView.as_view(), name="interaction-create"),
    path("interactions/<id:pk>", views.InteractionDetailView.as_view(), name="interaction-detail"),
    path(
        "interactions/<id:pk>/edit",
        views.InteractionUpdateView.as_view(),
        name="interaction-update",
    ),
    # Tasks
    path("tasks", views.TaskListView.as_view(), name="task-list"),
    path("tasks/add", views.TaskCreateView.as_view(), name="task-create"),
    path("tasks/<id:pk>", views.TaskDetailView.as_view(), name="task-detail"),
    path("tasks/<id:pk>/edit", views.TaskUpdateView.as_view(), name="task-update"),
    path("tasks/<id:pk>/complete", views.TaskCompleteView.as_view(), name="task-complete"),
    path("tasks/<id:pk>/reopen", views.TaskReopenView.as_view(), name="task-reopen"),
    # Campaigns
    path("campaigns", views.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/add", views.CampaignCreateView.as_view(), name="campaign-create"),
    path("campaigns/<id:pk>", views.CampaignDetailView.as_view(), name="campaign-detail"),
    path("campaigns/<id:pk>/edit", views.CampaignUpdateView.as_view(), name="campaign-update"),
    # Search-as-you-type for the record pickers in forms
    path("lookup/<str:kind>", views.LookupView.as_view(), name="lookup"),
    # The possible duplicates of a lead or customer being typed
    path("look-alikes/<str:kind>", views.LookAlikesView.as_view(), name="look-alikes"),
]
