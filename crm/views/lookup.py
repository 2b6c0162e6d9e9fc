"""Search-as-you-type for the record pickers of forms and filters (``forms.SearchSelect``)."""

from django.http import Http404
from django.template.response import TemplateResponse
from django.views import View

from ..models import Campaign, Contact, Lead, Opportunity
from ..search import search

LOOKUPS = {
    "leads": Lead,
    "contacts": Contact,
    "opportunities": Opportunity,
    "campaigns": Campaign,
}
MATCHES_SHOWN = 20


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
