"""Saving, changing and choosing a list's saved views (POST only; back to the list)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View

from .. import services
from ..forms import SavedViewForm
from ..models import SavedView
from ..models.saved_views import LISTS


def back_to(key: str, query: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(LISTS[key]) + (f"?{query}" if query else ""))


def refusal(request, error) -> None:
    if isinstance(error, ValidationError):
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.error(request, str(error.args[0] if error.args else services.base.NOT_ALLOWED))


class SavedViewActionView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def list_key(self) -> str:
        key = self.request.POST.get("list", "")
        if key not in LISTS:
            raise Http404
        return key

    def visible_view(self, pk) -> SavedView:
        return get_object_or_404(SavedView.objects.visible_to(self.request.user), pk=pk)


class SavedViewCreateView(SavedViewActionView):
    """Save the list as shown under a new name (``query``: the list's query string)."""

    def post(self, request):
        key = self.list_key()
        query = request.POST.get("query", "")
        form = SavedViewForm(request.POST, prefix="saved")
        if not form.is_valid():
            for errors in form.errors.values():
                for text in errors:
                    messages.error(request, text)
            return back_to(key, query)
        try:
            view = services.saved_view_create(
                by=request.user, data={"list": key, "query": query, **form.cleaned_data}
            )
        except (ValidationError, PermissionDenied) as error:
            refusal(request, error)
            return back_to(key, query)
        messages.success(request, _("View saved: %(name)s.") % {"name": view.name})
        return back_to(key, f"view={view.pk}")


class SavedViewUpdateView(SavedViewActionView):
    """Keep the list's current filters and sort in the view, or share or unshare it."""

    def post(self, request, pk):
        view = self.visible_view(pk)
        data = {}
        if "query" in request.POST:
            data["query"] = request.POST["query"]
        if "shared" in request.POST:
            data["shared"] = request.POST["shared"] == "1"
        try:
            view = services.saved_view_update(view=view, by=request.user, data=data)
        except (ValidationError, PermissionDenied) as error:
            refusal(request, error)
            return back_to(view.list, f"view={view.pk}")
        if "query" in data:
            text = _("View updated: %(name)s.")
        elif view.shared:
            text = _("%(name)s is shared with the team.")
        else:
            text = _("%(name)s is yours alone again.")
        messages.success(request, text % {"name": view.name})
        return back_to(view.list, f"view={view.pk}")


class SavedViewDeleteView(SavedViewActionView):
    def post(self, request, pk):
        view = self.visible_view(pk)
        try:
            services.saved_view_delete(view=view, by=request.user)
        except PermissionDenied as error:
            refusal(request, error)
            return back_to(view.list, f"view={view.pk}")
        messages.success(request, _("View deleted: %(name)s.") % {"name": view.name})
        return back_to(view.list, "view=0")


class ListDefaultView(SavedViewActionView):
    """The view a list opens on for the user (``view`` empty: the list as it comes)."""

    def post(self, request):
        key = self.list_key()
        chosen = request.POST.get("view", "")
        view = None
        if chosen:
            if not chosen.isdecimal() or len(chosen) > 18:
                raise Http404
            view = self.visible_view(int(chosen))
        try:
            services.list_default_set(by=request.user, list=key, view=view)
        except (ValidationError, PermissionDenied) as error:
            refusal(request, error)
        else:
            if view is None:
                messages.success(request, _("This list now opens without a saved view."))
            else:
                text = _("This list now opens on %(name)s.") % {"name": view.name}
                messages.success(request, text)
        return back_to(key, f"view={view.pk}" if view else "view=0")
