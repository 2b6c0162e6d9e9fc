"""Search-as-you-type for the record pickers of forms and filters (``forms.SearchSelect``)."""

from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from ..duplicates import look_alikes
from ..forms import is_record_id
from ..models import Campaign, Contact, Lead, Opportunity
from ..search import search

LOOKUPS = {
    "leads": Lead,
    "contacts": Contact,
    "opportunities": Opportunity,
    "campaigns": Campaign,
}
MATCHES_SHOWN = 20
LOOK_ALIKE_KINDS = {"leads": Lead, "contacts": Contact}


class LookupView(View):
    """The ``<option>``s of the records matching what the user typed, best first."""

    def get(self, request, kind):
        if kind not in LOOKUPS:
            raise Http404
        model = LOOKUPS[kind]
        if not request.user.has_perm(f"crm.view_{model._meta.model_name}"):
            raise Http404
        text = request.GET.get("q") or next(
            (value for key, value in request.GET.items() if key.endswith("__search")), ""
        )
        matches = search(model.objects.all(), text).order_by("name", "pk")
        return TemplateResponse(
            request,
            "crm/partials/lookup_options.html",
            {"matches": matches[:MATCHES_SHOWN] if text.strip() else []},
        )


class LookAlikesView(View):
    """The possible duplicates of the lead or customer being typed in a form (htmx): the
    records that share its email or phone, with links to them."""

    def get(self, request, kind):
        if kind not in LOOK_ALIKE_KINDS:
            raise Http404
        if not (
            request.user.has_perm("crm.view_lead") and request.user.has_perm("crm.view_contact")
        ):
            raise Http404
        model = LOOK_ALIKE_KINDS[kind]
        pk = request.GET.get("record", "")
        record = model.objects.filter(pk=pk).first() if is_record_id(pk) else None
        found = look_alikes(
            email=request.GET.get("email", "")[:320],
            phone=request.GET.get("phone", "")[:64],
            record=record,
        )
        return TemplateResponse(request, "crm/partials/look_alikes.html", {"look_alikes": found})


class LookAlikesMixin:
    """A lead's or customer's form and page: the records sharing its email or phone, shown
    (a warning with links, never a refusal) and, on the form, refreshed as the user types."""

    look_alike_kind = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        if form is not None and form.is_bound:
            email = form.data.get(form.add_prefix("email"), "")
            phone = form.data.get(form.add_prefix("phone"), "")
            record = form.instance
        else:
            record = form.instance if form is not None else self.object
            email, phone = record.email, record.phone
        context["look_alikes"] = look_alikes(
            email=str(email)[:320], phone=str(phone)[:64], record=record
        )
        context["look_alikes_url"] = reverse("crm:look-alikes", args=[self.look_alike_kind])
        return context
