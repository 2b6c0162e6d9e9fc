"""The pipeline board: open deals as cards in a column per stage, moved by dragging them."""

from __future__ import annotations

import re
from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from .. import services
from ..models import Opportunity, Stage
from ..permissions import can_change
from ..templatetags.crm_tags import money_text
from .base import NOT_ALLOWED, ModelPermissionMixin, NavMixin, PostOnlyActionView

# Cards shown per column; the rest are one click away in the list, filtered by stage.
CARDS_PER_STAGE = 20

# An id is digits only, and short enough for a 64-bit column (as in crm.urls).
ID = re.compile(r"[0-9]{1,18}")
PERCENT = re.compile(r"[0-9]{1,3}")


class PipelineBoardView(ModelPermissionMixin, NavMixin, TemplateView):
    """Open deals as cards in a column per open stage, plus won and lost drop zones."""

    model = Opportunity
    template_name = "crm/board.html"
    nav = "board"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        summary = Opportunity.objects.pipeline_summary()
        cards = defaultdict(list)
        open_stages = [row["stage"] for row in summary["stages"] if not row["stage"].is_closed]
        for opportunity in self.get_cards(open_stages):
            if len(cards[opportunity.stage_id]) < CARDS_PER_STAGE:
                opportunity.movable = can_change(self.request.user, opportunity)
                cards[opportunity.stage_id].append(opportunity)
        columns = []
        for row in summary["stages"]:
            shown = cards.get(row["stage"].pk, [])
            columns.append({**row, "cards": shown, "more": row["count"] - len(shown)})
        context.update(
            summary=summary,
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

    def get_cards(self, stages):
        """The first deals of each open stage, closing soonest first, in one query."""
        return (
            Opportunity.objects.first_per_stage(CARDS_PER_STAGE, stages)
            .with_expected_value()
            .select_related("contact", "lead", "owner")
        )


class OpportunityMoveView(PostOnlyActionView, View):
    """Move a deal to another stage: JSON for the board, a redirect for the deal's page.

    Takes ``stage`` (an id), ``lost_reason`` (needed for a lost stage) and an optional
    ``probability`` typed by hand; the stage rule itself is ``services.opportunity_move_stage``.
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
            return self.refuse()

        stage_id = request.POST.get("stage", "").strip()
        if not ID.fullmatch(stage_id):
            return self.invalid(opportunity, [_("Choose a stage.")])
        stage = Stage.objects.filter(pk=int(stage_id)).first()
        if stage is None:
            return self.not_found(_("This stage does not exist."))
        probability = request.POST.get("probability", "").strip()
        if probability and not (PERCENT.fullmatch(probability) and int(probability) <= 100):
            return self.invalid(opportunity, [_("A probability is a percentage from 0 to 100.")])

        try:
            opportunity = services.opportunity_move_stage(
                opportunity=opportunity,
                stage=stage,
                by=request.user,
                lost_reason=request.POST.get("lost_reason", ""),
                probability=int(probability) if probability else None,
            )
        except Opportunity.DoesNotExist:
            return self.not_found(_("This opportunity does not exist."))
        except PermissionDenied:
            return self.refuse()
        except ValidationError as error:
            return self.invalid(opportunity, error.messages)

        message = _("%(name)s moved to %(stage)s.") % {
            "name": opportunity.name,
            "stage": stage.display_name,
        }
        if not self.wants_json():
            messages.success(request, message)
            return HttpResponseRedirect(opportunity.get_absolute_url())
        return JsonResponse(self.moved(opportunity, message))

    def moved(self, opportunity: Opportunity, message: str) -> dict:
        """The deal's new figures and every stage's totals, for the board to redraw."""
        summary = Opportunity.objects.pipeline_summary()
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

    def refuse(self):
        if self.wants_json():
            return self.error([NOT_ALLOWED], status=403)
        raise PermissionDenied(NOT_ALLOWED)

    def error(self, errors: list[str], *, status: int) -> JsonResponse:
        return JsonResponse({"ok": False, "errors": errors}, status=status)

    def not_found(self, message: str):
        if self.wants_json():
            return self.error([message], status=404)
        raise Http404(message)

    def invalid(self, opportunity: Opportunity, errors: list[str]):
        """Refuse the move: a 400 for the board, a message on the deal's page otherwise."""
        if self.wants_json():
            return self.error(errors, status=400)
        messages.error(self.request, " ".join(errors))
        return HttpResponseRedirect(opportunity.get_absolute_url())
