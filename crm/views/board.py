"""The pipeline board: open deals as cards in a column per stage, moved by dragging them."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView, View

from .. import services
from ..filters import active_users
from ..models import Opportunity, Stage
from ..permissions import can_change
from ..services import StaleEdit, kept_totals
from ..templatetags.crm_tags import money_text
from .base import NOT_ALLOWED, ModelPermissionMixin, NavMixin, PostOnlyActionView

# Cards shown per column; the rest are one click away in the list, filtered by stage.
CARDS_PER_STAGE = 20

# An id is digits only, and short enough for a 64-bit column (as in crm.urls).
ID = re.compile(r"[0-9]{1,18}")
PERCENT = re.compile(r"[0-9]{1,3}")
MINE = "me"


@dataclass(frozen=True)
class OwnerFilter:
    """The board's ``?owner=``: everyone (``user`` None), "me", or one active user's id."""

    value: str = ""  # as it goes back into URLs: "", "me" or the user's id
    user: object = None
    ignored: bool = False  # a value that names no active user: shown as everyone's, and said

    @property
    def is_mine(self) -> bool:
        return self.value == MINE

    def filter(self, queryset):
        return queryset if self.user is None else queryset.filter(owner=self.user)

    def pipeline_summary(self) -> dict:
        """Each stage's totals: everyone's from the kept totals (no sum over every deal), one
        owner's summed from their deals' index."""
        if self.user is None:
            return kept_totals.pipeline_summary()
        return self.filter(Opportunity.objects.all()).pipeline_summary()

    def list_query(self) -> str:
        """The same filter in the opportunity list's terms ("mine", or the owner's id)."""
        if self.user is None:
            return ""
        return "&" + urlencode({"mine": "on"} if self.is_mine else {"owner": self.user.pk})


def owner_filter(raw: str, *, me, users=None) -> OwnerFilter:
    """Read ``?owner=`` against the acting user ``me`` and the active ``users`` shown.

    Anything else (letters, an id too long for the column, a NUL, an inactive or unknown
    user) is ignored: the board then shows everyone's deals and says why. ``users`` may be a
    list already read for the select (no further query) or None (one query).
    """
    raw = raw.strip()
    if not raw:
        return OwnerFilter()
    if raw == MINE:
        return OwnerFilter(MINE, me)
    if ID.fullmatch(raw):
        pk = int(raw)
        if users is None:
            user = active_users().filter(pk=pk).first()
        else:
            user = next((user for user in users if user.pk == pk), None)
        if user is not None:
            return OwnerFilter(str(pk), user)
    return OwnerFilter(ignored=True)


def stage_age(days: int) -> str:
    """How long a deal has been in its stage, as the card says it."""
    if days <= 0:
        return _("Entered this stage today")
    return ngettext("%(count)s day in this stage", "%(count)s days in this stage", days) % {
        "count": days
    }


def rotting_limit(limit: int) -> str:
    """Why the card is marked rotting."""
    return ngettext(
        "Rotting: longer than this stage's limit of %(count)s day",
        "Rotting: longer than this stage's limit of %(count)s days",
        limit,
    ) % {"count": limit}


class PipelineBoardView(ModelPermissionMixin, NavMixin, TemplateView):
    """Open deals as cards in a column per open stage, plus won and lost drop zones."""

    model = Opportunity
    template_name = "crm/board.html"
    nav = "board"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        users = list(active_users())
        owner = owner_filter(self.request.GET.get("owner", ""), me=self.request.user, users=users)
        deals = owner.filter(Opportunity.objects.all())
        summary = owner.pipeline_summary()
        stages = {row["stage"].pk: row["stage"] for row in summary["stages"]}
        cards = defaultdict(list)
        open_stages = [stage for stage in stages.values() if not stage.is_closed]
        for opportunity in self.get_cards(deals, open_stages):
            if len(cards[opportunity.stage_id]) < CARDS_PER_STAGE:
                opportunity.stage = stages[opportunity.stage_id]  # read once, for the marker
                opportunity.movable = can_change(self.request.user, opportunity)
                opportunity.stage_age = stage_age(opportunity.days_in_stage)
                if opportunity.is_rotting:
                    opportunity.rotting_limit = rotting_limit(opportunity.stage.rotting_days)
                cards[opportunity.stage_id].append(opportunity)
        columns = []
        for row in summary["stages"]:
            shown = cards.get(row["stage"].pk, [])
            columns.append({**row, "cards": shown, "more": row["count"] - len(shown)})
        if owner.ignored:
            messages.warning(
                self.request,
                _("Unknown owner: showing everyone's opportunities."),
            )
        context.update(
            summary=summary,
            owner=owner,
            users=users,
            open_columns=[column for column in columns if not column["stage"].is_closed],
            closed_columns=[column for column in columns if column["stage"].is_closed],
            stages=[column["stage"] for column in columns],
            # The texts every card repeats, translated once rather than once per card.
            card_text={
                "move": _("Move to another stage"),
                "locked": _("Only its owner or a manager can move it"),
                "probability": _("Probability"),
                "expected_value": _("Expected value"),
                "close_date": _("Expected close date"),
                "owner": _("Owner"),
            },
        )
        return context

    def get_cards(self, deals, stages):
        """The first deals of each open stage, closing soonest first, in one query."""
        return (
            deals.first_per_stage(CARDS_PER_STAGE, stages)
            .with_expected_value()
            .select_related("contact", "lead", "owner")
        )


class OpportunityMoveView(PostOnlyActionView, View):
    """Move a deal to another stage: JSON for the board, a redirect for the deal's page.

    Takes ``stage`` (an id), ``lost_reason`` (needed for a lost stage), an optional
    ``probability`` typed by hand and, from the board, ``version`` (the ``updated_at`` the card
    was drawn at: a deal changed since is not moved); ``?owner=`` picks the totals answered, as
    on the board. The stage rule itself is ``services.opportunity_move_stage``. A refusal
    answers ``{"ok": false, "errors": [...], "message": "<deal> was not moved: <why>"}``.
    """

    model = Opportunity

    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("Accept", "")

    def handle_no_permission(self):
        if self.request.user.is_authenticated and self.wants_json():
            return self.error([NOT_ALLOWED], status=403)
        return super().handle_no_permission()

    def post(self, request, pk):
        opportunity = Opportunity.objects.filter(pk=pk).first()
        if opportunity is None:
            return self.not_found(_("This opportunity does not exist."))
        if not can_change(request.user, opportunity):  # told before the input is looked at
            return self.refuse(opportunity)

        stage_id = request.POST.get("stage", "").strip()
        if not ID.fullmatch(stage_id):
            return self.invalid(opportunity, [_("Choose a stage.")])
        stage = Stage.objects.filter(pk=int(stage_id)).first()
        if stage is None:
            return self.not_found(_("This stage does not exist."))
        probability = request.POST.get("probability", "").strip()
        if probability and not (PERCENT.fullmatch(probability) and int(probability) <= 100):
            return self.invalid(opportunity, [_("A probability is a percentage from 0 to 100.")])
        # The board sends the version of the deal it shows: a deal changed since is not moved.
        version = request.POST.get("version", "").strip()
        try:
            seen_version = parse_datetime(version) if 0 < len(version) <= 40 else None
        except ValueError:
            seen_version = None
        if version and seen_version is None:
            return self.invalid(opportunity, [_("Reload the board and try again.")])

        try:
            opportunity = services.opportunity_move_stage(
                opportunity=opportunity,
                stage=stage,
                by=request.user,
                lost_reason=request.POST.get("lost_reason", ""),
                probability=int(probability) if probability else None,
                seen_version=seen_version,
            )
        except Opportunity.DoesNotExist:
            return self.not_found(_("This opportunity does not exist."))
        except PermissionDenied:
            return self.refuse(opportunity)
        except StaleEdit:
            return self.invalid(
                opportunity,
                [
                    _(
                        "Someone else changed it after this board was loaded. Reload the "
                        "board to see it as it is now."
                    )
                ],
                status=409,
            )
        except ValidationError as error:
            return self.invalid(opportunity, error.messages)

        message = _("%(name)s moved to %(stage)s.") % {
            "name": opportunity.name,
            "stage": stage.display_name,
        }
        if not self.wants_json():
            messages.success(request, message)
            return HttpResponseRedirect(opportunity.get_absolute_url())
        owner = owner_filter(request.GET.get("owner", ""), me=request.user)
        return JsonResponse(self.moved(opportunity, message, owner))

    def moved(self, opportunity: Opportunity, message: str, owner: OwnerFilter) -> dict:
        """The deal's new figures and every stage's totals (for the board's owner filter)."""
        summary = owner.pipeline_summary()
        return {
            "ok": True,
            "message": message,
            "opportunity": {
                "id": opportunity.pk,
                "stage": opportunity.stage_id,
                "closed": opportunity.stage.is_closed,
                "probability": opportunity.probability,
                "expected_value": opportunity.expected_value,
                "expected_value_display": money_text(opportunity.expected_value),
                "version": opportunity.updated_at.isoformat(),
                "stage_age": stage_age(opportunity.days_in_stage),
                "rotting": opportunity.is_rotting,
            },
            "stages": [
                {
                    "id": row["stage"].pk,
                    "count": row["count"],
                    "amount": row["amount"],
                    "weighted": row["weighted"],
                    "amount_display": money_text(row["amount"]),
                    "weighted_display": money_text(row["weighted"]),
                }
                for row in summary["stages"]
            ],
            "open": {
                "count": summary["open_count"],
                "amount_display": money_text(summary["open_amount"]),
                "weighted_display": money_text(summary["open_weighted"]),
            },
        }

    def refuse(self, opportunity: Opportunity):
        if self.wants_json():
            # The rights rule (crm.permissions) in the words of the board.
            reason = _("Only its owner or a manager can move this opportunity.")
            return self.error([reason], status=403, opportunity=opportunity)
        raise PermissionDenied(NOT_ALLOWED)

    def error(
        self, errors: list[str], *, status: int, opportunity: Opportunity | None = None
    ) -> JsonResponse:
        """A refusal for the board: its reasons, and one sentence that names the deal."""
        reasons = " ".join(str(error) for error in errors)
        message = reasons
        if opportunity is not None:
            message = _("%(name)s was not moved: %(reasons)s") % {
                "name": opportunity.name,
                "reasons": reasons,
            }
        return JsonResponse(
            {"ok": False, "errors": [str(error) for error in errors], "message": message},
            status=status,
        )

    def not_found(self, message: str):
        if self.wants_json():
            return self.error([message], status=404)
        raise Http404(message)

    def invalid(self, opportunity: Opportunity, errors: list[str], status: int = 400):
        """Refuse the move: a 400 (409 if stale) for the board, a message on the deal's page."""
        if self.wants_json():
            return self.error(errors, status=status, opportunity=opportunity)
        messages.error(self.request, " ".join(errors))
        return HttpResponseRedirect(opportunity.get_absolute_url())
