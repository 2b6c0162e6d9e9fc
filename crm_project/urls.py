"""The project's URLs: the CRM under /crm/, the managers' admin, login and language."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="crm:dashboard", permanent=False)),
    path("crm/", include("crm.urls")),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The login page switches language too, before anyone has logged in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
]
