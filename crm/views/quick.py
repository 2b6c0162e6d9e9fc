"""Quick work without leaving the page (htmx): tick a task off, change a lead's status from
its list, add a lead from any page.

Each answers an htmx request with the piece of page to swap in, and says what happened in an
``HX-Trigger`` event (``crm:message``) that the page shows as a toast; a refusal (rights, the
record's rules) changes nothing on the page and says why. Without htmx, each falls back to a
plain POST and a redirect with a message. Every write goes through the services.
"""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from .. import services
from ..bulk import SETTABLE_LEAD_STATUSES
from ..duplicates import look_alikes
from ..forms import QuickLeadForm
from ..models import Lead, LeadStatus, Task
from ..permissions import can_change
from ..services.base import NOT_ALLOWED
from .base import ModelPermissionMixin, PostOnlyActionView, redirect_to

# Where a task's quick buttons stand, and the piece each place swaps in.
TASK_PIECES = {"row": "crm/partials/task_row.html", "item": "crm/partials/task_item.html"}


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def said(
    response: HttpResponse, text: str, level: str = "success", *, then: tuple[str, ...] = ()
) -> HttpResponse:
    """``response`` with an event the page shows as a toast (ASCII-escaped for the header),
    and the events named in ``then`` (for the parts of the page that redraw themselves)."""
    happened = {"crm:message": {"level": level, "text": str(text)}}
    happened.update(dict.fromkeys(then))
    response["HX-Trigger"] = json.dumps(happened)
    return response


def refused(error: Exception) -> HttpResponse:
    """Nothing to swap: the page stays as it was and says why."""
    if isinstance(error, ValidationError):
        text = " ".join(error.messages)
    else:
        text = str(error) or str(NOT_ALLOWED)
    response = said(HttpResponse(status=200), text, "danger")
    response["HX-Reswap"] = "none"
    return response


class TaskQuickView(PostOnlyActionView, View):
    """Complete or reopen a task; the row (or dashboard item) it was clicked in is redrawn."""

    model = Task
    action = None  # services.task_complete or services.task_reopen
    done_message = ""

    def post(self, request, pk):
        task = get_object_or_404(Task, pk=pk)
        try:
            type(self).action(task=task, by=request.user)
        except (ValidationError, PermissionDenied) as error:
            if not is_htmx(request):
                raise
            return refused(error)
        if not is_htmx(request):
            messages.success(request, self.done_message)
            return redirect_to(task)
        piece = TASK_PIECES.get(request.GET.get("as", ""), TASK_PIECES["row"])
        task = Task.objects.for_list().get(pk=task.pk)
        # The row keeps its tick box for bulk actions (every user who may change a task has one).
        context = {"task": task, "bulk_form": piece == TASK_PIECES["row"]}
        html = render_to_string(piece, context, request=request)
        return said(HttpResponse(html), self.done_message)


class TaskCompleteView(TaskQuickView):
    action = services.task_complete
    done_message = gettext_lazy("Task completed.")


class TaskReopenView(TaskQuickView):
    action = services.task_reopen
    done_message = gettext_lazy("Task reopened.")


class LeadStatusView(PostOnlyActionView, View):
    """A lead's status from its list. "Lost" needs a reason: the lead's page asks for it."""

    model = Lead

    def post(self, request, pk):
        lead = get_object_or_404(Lead, pk=pk)
        try:
            changed = self.change(lead, request.POST.get("status", ""))
        except (ValidationError, PermissionDenied) as error:
            if not is_htmx(request):
                if isinstance(error, PermissionDenied):
                    raise
                messages.error(request, " ".join(error.messages))
                return redirect_to(lead)
            return refused(error)
        if changed is None:  # "lost": the lead's page asks for the reason
            url = lead.get_absolute_url() + "#id_lost_reason"
            if not is_htmx(request):
                return HttpResponseRedirect(url)
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        lead = changed
        if not is_htmx(request):
            return redirect_to(lead)
        html = render_to_string(
            "crm/partials/lead_status_cell.html",
            {"lead": lead, "lead_statuses": SETTABLE_LEAD_STATUSES},
            request=request,
        )
        text = _("%(name)s: %(status)s.") % {"name": lead.name, "status": lead.get_status_display()}
        return said(HttpResponse(html), text)

    def change(self, lead, status):
        """The lead with its new status, or None for "lost" (which needs a reason)."""
        if not can_change(self.request.user, lead):
            raise PermissionDenied(NOT_ALLOWED)
        if status not in LeadStatus.values:
            raise ValidationError(_("Choose a status."))
        if status == LeadStatus.LOST:
            return None
        if lead.status == LeadStatus.LOST and status == LeadStatus.NEW:
            return services.lead_reopen(lead=lead, by=self.request.user)
        return services.lead_update(lead=lead, by=self.request.user, data={"status": status})


class QuickLeadView(ModelPermissionMixin, View):
    """The quick-add form (GET, into the navigation bar's dialog) and its save (POST)."""

    model = Lead
    permission_action = "add"
    template_name = "crm/partials/quick_lead_form.html"

    def render(self, form, created=None):
        context = {"form": form, "created": created}
        if created is not None:
            # Saved, as a warning never refuses; but the rep hears of the look-alikes now.
            context["look_alikes"] = look_alikes(
                email=created.email, phone=created.phone, record=created
            )
        return HttpResponse(render_to_string(self.template_name, context, request=self.request))

    def get(self, request):
        return self.render(QuickLeadForm(initial={"owner": request.user.pk}, prefix="quick"))

    def post(self, request):
        form = QuickLeadForm(request.POST, prefix="quick")
        if form.is_valid():
            try:
                lead = services.lead_create(by=request.user, data=form.service_data())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                response = self.render(QuickLeadForm(prefix="quick"), created=lead)
                return said(response, _("Lead added: %(name)s") % {"name": lead.name})
        return self.render(form)
