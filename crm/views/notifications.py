"""The bell and the notifications: everyone's own, for every logged-in user.

The bell on every page asks for its count once the page has loaded, and again every minute
(htmx), so no page pays for it; opening it lists the latest. Each notification opens its record
and is then read; "mark all read" reads them all. Every write goes through the services.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView, TemplateView, View

from ..models.notifications import OFFERED_KINDS, UNREAD_SHOWN, Delivery, Notification
from ..services import notifications as service
from .base import CappedPaginator, ModelPermissionMixin, NavMixin
from .quick import is_htmx, said

MENU_SIZE = 8


class CRMRoleMixin(ModelPermissionMixin):
    """Anyone with a CRM role (as the dashboard asks): a login alone has no notifications."""

    permission_required = "crm.view_lead"


def unread_label(count: int) -> str:
    return f"{UNREAD_SHOWN}+" if count > UNREAD_SHOWN else str(count)


def bell_context(user) -> dict:
    count = Notification.objects.unread_count(user)
    return {"unread": count, "unread_label": unread_label(count)}


def read_mine(request, pk) -> Notification:
    """Mark one of the user's notifications read; anyone else's is missing (a 404)."""
    try:
        return service.notification_read(notification_id=pk, by=request.user)
    except Notification.DoesNotExist:
        raise Http404(_("No such notification.")) from None


class BellView(CRMRoleMixin, View):
    """The bell's button: its unread count (htmx swaps it in, and polls it)."""

    def get(self, request):
        return render(request, "crm/partials/notification_bell.html", bell_context(request.user))


class MenuView(CRMRoleMixin, View):
    """What the bell opens: the latest notifications, unread ones marked."""

    def get(self, request):
        latest = list(
            Notification.objects.for_user(request.user).select_related("actor")[:MENU_SIZE]
        )
        context = {"notifications": latest, **bell_context(request.user)}
        return render(request, "crm/partials/notification_menu.html", context)


class NotificationListView(CRMRoleMixin, NavMixin, ListView):
    """Every notification of mine, newest first; ``?show=unread`` for the unread ones."""

    template_name = "crm/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 25
    paginator_class = CappedPaginator
    nav = "notifications"

    def unread_only(self) -> bool:
        return self.request.GET.get("show") == "unread"

    def get_queryset(self):
        rows = Notification.objects.for_user(self.request.user).select_related("actor")
        return rows.unread() if self.unread_only() else rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(unread_only=self.unread_only(), **bell_context(self.request.user))
        return context


class NotificationOpenView(CRMRoleMixin, View):
    """Open a notification's record, reading it (POST: it changes what the bell counts)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        notification = read_mine(request, pk)
        return HttpResponseRedirect(notification.target_url() or reverse("crm:notification-list"))


class NotificationReadView(CRMRoleMixin, View):
    """Mark one notification read; htmx redraws its row and the bell."""

    http_method_names = ["post"]

    def post(self, request, pk):
        notification = read_mine(request, pk)
        if not is_htmx(request):
            return HttpResponseRedirect(reverse("crm:notification-list"))
        html = render_to_string(
            "crm/partials/notification_item.html",
            {"notification": notification, "place": request.GET.get("as", "list")},
            request=request,
        )
        response = HttpResponse(html)
        response["HX-Trigger-After-Swap"] = "crm:bell"
        return response


class NotificationReadAllView(CRMRoleMixin, View):
    """Mark every notification of mine read."""

    http_method_names = ["post"]

    def post(self, request):
        count = service.notifications_read_all(by=request.user)
        text = (
            _("No notification was unread.") if not count else _("Every notification is read now.")
        )
        if is_htmx(request):
            return said(HttpResponse(status=204), text, then=("crm:bell", "crm:notifications"))
        messages.success(request, text)
        return HttpResponseRedirect(reverse("crm:notification-list"))


class NotificationSettingsForm(forms.Form):
    """One choice per kind of notification: in the app, email at once, a digest, or off."""

    def __init__(self, *args, initial_choices: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in OFFERED_KINDS:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Delivery.choices,
                initial=initial_choices[kind.value],
                widget=forms.Select(attrs={"class": "form-select"}),
            )


class NotificationSettingsView(CRMRoleMixin, NavMixin, TemplateView):
    """How I want to be told of each kind of notification."""

    template_name = "crm/notification_settings.html"
    nav = "notifications"

    def form(self, data=None):
        return NotificationSettingsForm(
            data, initial_choices=service.deliveries_of(self.request.user)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        context["delivery_help"] = DELIVERY_HELP
        return context

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        service.notification_settings_set(by=request.user, choices=form.cleaned_data)
        messages.success(request, _("Your notification settings are saved."))
        return HttpResponseRedirect(reverse("crm:notification-settings"))


DELIVERY_HELP = [
    (Delivery.APP.label, gettext_lazy("the bell only.")),
    (
        Delivery.EMAIL.label,
        gettext_lazy("the bell, and an email if it is still unread a few minutes later."),
    ),
    (Delivery.DIGEST.label, gettext_lazy("the bell, and one email a day with what is unread.")),
    (Delivery.OFF.label, gettext_lazy("nothing at all.")),
]
