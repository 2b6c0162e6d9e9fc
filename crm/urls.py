from django.urls import path

from . import views

app_name = "crm"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard", views.DashboardView.as_view(), name="dashboard-alias"),
]
