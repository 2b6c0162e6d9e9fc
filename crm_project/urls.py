"""The project's URLs: the CRM under /crm/, the managers' admin, login and language."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views import i18n
from django.views.generic import RedirectView

from crm.middleware import remember_language


# The login page switches language too, before anyone has logged in.
@login_not_required
def set_language(request):
    """Django's language switch, which also keeps the choice for the user's other devices."""
    response = i18n.set_language(request)
    if request.method == "POST":
        remember_language(request, request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER, ""))
    return response


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
    path("i18n/setlang/", set_language, name="set_language"),
]
