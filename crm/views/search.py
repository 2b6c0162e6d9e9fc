"""One search box for everything: leads, customers, deals, tasks, interactions and campaigns.

Each kind is searched as its list searches (its FilterSet's ``q``: Arabic-aware, and whatever
else that list's search knows), reading at most ``CANDIDATES`` matches as the search index
gives them (no sort over every match, so a common word costs what a rare one does); those are
ranked by how well their name matches and the best ``SHOWN`` are shown, each group linking to
its list, searched.
One query per kind, whatever the number of matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from ..filters import (
    CampaignFilter,
    ContactFilter,
    InteractionFilter,
    LeadFilter,
    OpportunityFilter,
    TaskFilter,
)
from ..models import Campaign, Contact, Interaction, Lead, Opportunity, Task
from ..search import rank, search_terms
from ..services.base import NOT_ALLOWED
from .base import NavMixin

CANDIDATES = 30
SHOWN = 5


@dataclass(frozen=True)
class Kind:
    key: str
    label: object
    model: type
    filterset: type
    list_url: str
    related: tuple[str, ...] = ()


KINDS = (
    Kind("lead", _("Leads"), Lead, LeadFilter, "crm:lead-list", ("owner",)),
    Kind("contact", _("Customers"), Contact, ContactFilter, "crm:contact-list", ("owner",)),
    Kind(
        "opportunity",
        _("Opportunities"),
        Opportunity,
        OpportunityFilter,
        "crm:opportunity-list",
        ("stage", "contact"),
    ),
    Kind("task", _("Tasks"), Task, TaskFilter, "crm:task-list", ("assigned_to",)),
    Kind(
        "interaction",
        _("Interactions"),
        Interaction,
        InteractionFilter,
        "crm:interaction-list",
        ("lead", "contact"),
    ),
    Kind("campaign", _("Campaigns"), Campaign, CampaignFilter, "crm:campaign-list"),
)


def matches(kind: Kind, text: str, request) -> list:
    """The best matches of one kind, best first (ties: the newest first)."""
    rows = kind.model.objects.select_related(*kind.related)
    rows = kind.filterset(request=request).filter_q(rows, "q", text)
    # In no order: the database reads the first matches its search index gives. Asked for an
    # order, it may walk that order's index hoping for matches soon: 460 ms through the leads
    # for "Taylor Wilson", whose words are common and never meet; 105,000 customers walked by
    # name for "احمد", Arabic names sorting after every Latin one. Unordered, 1-7 ms.
    found = list(rows.order_by()[:CANDIDATES])
    found.sort(key=lambda record: -record.pk)
    found.sort(key=lambda record: rank(str(record), text))
    return found


class GlobalSearchView(NavMixin, TemplateView):
    """``/crm/search?q=``: the matches of every kind the user may see, grouped by kind."""

    template_name = "crm/search.html"
    nav = "search"

    def dispatch(self, request, *args, **kwargs):
        # Logging in is required everywhere; a user with no role may see no record at all.
        user = request.user
        if user.is_authenticated and not any(
            user.has_perm(f"crm.view_{kind.key}") for kind in KINDS
        ):
            raise PermissionDenied(NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        text = self.request.GET.get("q", "")[:500]
        groups = []
        if search_terms(text):
            for kind in KINDS:
                if not self.request.user.has_perm(f"crm.view_{kind.key}"):
                    continue
                found = matches(kind, text, self.request)
                if found:
                    groups.append(
                        {
                            "kind": kind,
                            "records": found[:SHOWN],
                            "more": len(found) > SHOWN,
                            "list_url": f"{reverse(kind.list_url)}?{urlencode({'q': text})}",
                        }
                    )
        context.update(q=text, searched=bool(search_terms(text)), groups=groups)
        return context
