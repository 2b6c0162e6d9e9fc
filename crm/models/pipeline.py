"""The sales pipeline: stages, opportunities and their stage history."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from itertools import pairwise
from operator import or_

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import connections, models
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import (
    MONEY,
    ZERO,
    OwnedModel,
    Product,
    SearchableModel,
    expected_value,
    money_field,
    sort_indexes,
)
from .campaign import Campaign
from .contact import Contact
from .kept import KeepsTotals, KeptTotal, keeps_totals_of
from .lead import Lead


class StageQuerySet(models.QuerySet):
    def open(self) -> StageQuerySet:
        return self.filter(is_closed=False)

    def get_by_natural_key(self, code):
        return self.get(code=code)


class Stage(models.Model):
    """A step of the sales pipeline (مراحل البيع), editable by managers."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (English)"), max_length=100)
    name_ar = models.CharField(_("name (Arabic)"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    default_probability = models.PositiveSmallIntegerField(
        _("default probability"),
        validators=[
            MaxValueValidator(100, message=_("A probability is a percentage from 0 to 100."))
        ],
        help_text=_("Entering this stage sets this probability unless it was set by hand."),
    )
    is_closed = models.BooleanField(_("closed"), default=False)
    is_won = models.BooleanField(_("won"), default=False)
    # Pipedrive's "rotting": a deal left longer than this in the stage is flagged on the board.
    rotting_days = models.PositiveSmallIntegerField(
        _("rotting after (days)"),
        null=True,
        blank=True,
        help_text=_(
            "An open opportunity left in this stage for more days than this is marked as "
            "rotting on the board. Leave empty for no limit."
        ),
    )

    objects = StageQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=[])

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_probability__gte=0, default_probability__lte=100),
                name="crm_stage_probability_0_100",
            ),
            models.CheckConstraint(
                condition=Q(is_won=False) | Q(is_closed=True, default_probability=100),
                name="crm_stage_won_is_closed_100",
                violation_error_message=_("A won stage is closed, with a probability of 100."),
            ),
            models.CheckConstraint(
                condition=Q(is_closed=False) | Q(is_won=True) | Q(default_probability=0),
                name="crm_stage_lost_is_0",
                violation_error_message=_("A lost stage has a probability of 0."),
            ),
        ]

    def __str__(self):
        return self.display_name

    def natural_key(self):
        return (self.code,)

    @property
    def display_name(self) -> str:
        """The stage's name in the active language."""
        if (get_language() or "").startswith("ar") and self.name_ar:
            return self.name_ar
        return self.name

    @property
    def is_lost(self) -> bool:
        return self.is_closed and not self.is_won

    def is_rotting(self, days_in_stage: int) -> bool:
        """Whether a deal this many days in the stage is past the stage's limit (if any)."""
        return self.rotting_days is not None and days_in_stage > self.rotting_days


# The board's and the dashboard's order: closing soonest (undated last), then largest.
CLOSING_SOONEST = (
    F("expected_close_date").asc(nulls_last=True),
    F("amount").desc(),
    F("pk").asc(),
)


# Lists sort by expected value through this product, which orders deals exactly as
# amount × probability / 100 does and has an index of its own (a rounded annotation has none).
EXPECTED_VALUE_ORDER = Product(F("amount"), F("probability"))


def customer_name_expression(contacts=None, leads=None):
    """A deal's customer's name, else its lead's, else "" (a migration passes its models)."""
    contacts = contacts or Contact
    leads = leads or Lead
    return Coalesce(
        Subquery(contacts.objects.filter(pk=OuterRef("contact_id")).values("name")[:1]),
        Subquery(leads.objects.filter(pk=OuterRef("lead_id")).values("name")[:1]),
        Value(""),
        output_field=models.CharField(),
    )


def stage_sort_key() -> str:
    """What sorts deals in the pipeline's order: their own stage id (an index of the deals'
    alone) while each stage's position follows the one made before it, as the default stages'
    do; else the joined stage's position, until a manager reorders them."""
    positions = list(Stage.objects.order_by("pk").values_list("order", flat=True))
    follows = all(earlier < later for earlier, later in pairwise(positions))
    return "stage_id" if follows else "stage__order"


class OpportunityQuerySet(models.QuerySet):
    def open(self) -> OpportunityQuerySet:
        return self.filter(stage__is_closed=False)

    def won(self) -> OpportunityQuerySet:
        return self.filter(stage__is_won=True)

    def with_expected_value(self) -> OpportunityQuerySet:
        return self.annotate(expected_value=expected_value())

    def for_list(self) -> OpportunityQuerySet:
        """With what a list of deals shows, expected value included."""
        return self.with_expected_value().select_related(
            "stage", "contact", "lead", "campaign", "owner"
        )

    def for_detail(self) -> OpportunityQuerySet:
        return self.for_list().select_related("created_by")

    def closing_soonest(self) -> OpportunityQuerySet:
        """Deals closing soonest first (undated last), then the largest."""
        return self.order_by(*CLOSING_SOONEST)

    def first_per_stage(self, limit: int, stages) -> OpportunityQuerySet:
        """The first ``limit`` deals of each of ``stages``, closing soonest first, in one query.

        Each stage's deals are picked by subqueries that read the first entries of the (stage,
        close date, amount) index, so the cost does not grow with the pipeline (a window
        function would rank every deal). Dated and undated deals are read apart, because
        SQLite cannot read an index with its NULLs last; so up to twice ``limit`` deals of a
        stage come back, in order, and callers keep the first ``limit``.
        """
        firsts = []
        for stage in stages:
            deals = self.filter(stage=stage).values("pk")
            dated = deals.filter(expected_close_date__isnull=False).order_by(*CLOSING_SOONEST)
            undated = deals.filter(expected_close_date__isnull=True).order_by("-amount", "pk")
            firsts += [dated[:limit], undated[:limit]]
        if not firsts:
            return self.none()
        if connections[self.db].features.supports_slicing_ordering_in_compound:
            # PostgreSQL: one IN over a UNION ALL of the index reads (an OR of IN subqueries
            # would be tested against every deal).
            return self.filter(pk__in=firsts[0].union(*firsts[1:], all=True)).closing_soonest()
        # SQLite, which cannot limit the parts of a UNION, reads an OR of IN lists by rowid.
        picks = reduce(or_, (Q(pk__in=first) for first in firsts))
        return self.filter(picks).closing_soonest()

    def pipeline_summary(self) -> dict:
        """The pipeline per stage and in total, in two queries whatever the data size.

        Returns ``{"stages": [{stage, count, amount, weighted}, ...], "open_count",
        "open_amount", "open_weighted", "won_amount", "lost_count"}``; every stage is listed,
        empty ones with zeros.
        """
        rows = {
            row["stage"]: row
            for row in self.order_by()
            .values("stage")
            .annotate(n=Count("*"), total=Sum("amount"), weighted_total=Sum(expected_value()))
        }
        return summarise_stages(rows)


def summarise_stages(rows: dict) -> dict:
    """Every stage with its ``rows[stage_id]`` (``n``, ``total``, ``weighted_total``; none
    for an empty stage), and the open, won and lost totals (see ``pipeline_summary``)."""
    stages = []
    summary = {
        "open_count": 0,
        "open_amount": ZERO,
        "open_weighted": ZERO,
        "won_count": 0,
        "won_amount": ZERO,
        "lost_count": 0,
    }
    for stage in Stage.objects.all():
        row = rows.get(stage.pk, {})
        entry = {
            "stage": stage,
            "count": row.get("n") or 0,
            # SQLite adds decimals as floats: back to cents.
            "amount": (row.get("total") or ZERO).quantize(Decimal("0.01")),
            "weighted": (row.get("weighted_total") or ZERO).quantize(Decimal("0.01")),
        }
        stages.append(entry)
        if not stage.is_closed:
            summary["open_count"] += entry["count"]
            summary["open_amount"] += entry["amount"]
            summary["open_weighted"] += entry["weighted"]
        elif stage.is_won:
            summary["won_count"] += entry["count"]
            summary["won_amount"] += entry["amount"]
        else:
            summary["lost_count"] += entry["count"]
    summary["stages"] = stages
    return summary


class Opportunity(KeepsTotals, SearchableModel, OwnedModel):
    """A potential deal (فرصة تجارية) moving through the pipeline's stages."""

    SEARCHED_FIELDS = ("name", "description", "lost_reason")
    # The fields people fill in (forms, the admin, imports); the services write no others.
    EDITABLE_FIELDS = (
        "name",
        "contact",
        "lead",
        "campaign",
        "amount",
        "stage",
        "probability",
        "expected_close_date",
        "owner",
        "description",
        "lost_reason",
    )

    name = models.CharField(_("name"), max_length=200)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    amount = money_field(_("amount"))
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        default=0,
        validators=[
            MaxValueValidator(100, message=_("A probability is a percentage from 0 to 100."))
        ],
    )
    # True once a user typed the probability: later stage moves then keep it (won/lost aside).
    probability_is_manual = models.BooleanField(
        _("probability set by hand"), default=False, editable=False
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=255, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # When the deal entered its present stage (services.opportunities sets it on every move).
    stage_entered_at = models.DateTimeField(
        _("in this stage since"), default=timezone.now, editable=False
    )
    # What the list's "Customer / lead" column shows and sorts by (indexed with the id): the
    # customer's name, else the lead's. Every save reads it afresh; renaming the customer or
    # the lead rewrites it on their deals (``services.opportunities.refresh_customer_names``).
    # Sorting 300,000 deals by a joined name took 160 ms at 1M leads; by this, 25 index entries.
    customer_name = models.CharField(
        _("customer or lead name"), max_length=200, blank=True, default="", editable=False
    )

    objects = OpportunityQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text", "customer_name"])

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="crm_opp_created_idx"),
            # The board: each stage's deals closing soonest, then largest (CLOSING_SOONEST).
            models.Index(
                fields=["stage", "expected_close_date", "-amount", "id"],
                name="crm_opp_stage_board_idx",
            ),
            # The board filtered by owner: one owner's deals of a stage in the board's order.
            models.Index(
                fields=["owner", "stage", "expected_close_date", "-amount", "id"],
                name="crm_opp_owner_board_idx",
            ),
            models.Index(fields=["closed_at"], name="crm_opp_closed_idx"),
            *sort_indexes(
                "opp",
                "name",
                "amount",
                "probability",
                "expected_close_date",
                "owner",
                "stage",
                "customer_name",
            ),
            models.Index(EXPECTED_VALUE_ORDER, F("id"), name="crm_opp_expected_value_sort"),
            # The pipeline's totals per stage read this index alone, not the deals' rows.
            models.Index(
                fields=["stage", "amount", "probability"], name="crm_opp_stage_totals_idx"
            ),
            # A campaign's won revenue (its ROI) reads this index alone: 500 campaigns' sums
            # read 65,000 deal rows from the table without it, at 1M leads.
            models.Index(fields=["campaign", "stage", "amount"], name="crm_opp_campaign_won_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="crm_opportunity_name_not_empty"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="crm_opportunity_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="crm_opportunity_probability_0_100",
            ),
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(lead__isnull=False),
                name="crm_opportunity_contact_or_lead",
                violation_error_message=_("Link the opportunity to a customer or a lead."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("crm:opportunity-detail", args=[self.pk])

    def save(self, *args, **kwargs):
        self.customer_name = self.read_customer_name()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "customer_name"}
        super().save(*args, **kwargs)

    def read_customer_name(self) -> str:
        """The stored name of the deal's customer, else of its lead (one query)."""
        for model, pk in ((Contact, self.contact_id), (Lead, self.lead_id)):
            if pk is not None:
                return model.objects.filter(pk=pk).values_list("name", flat=True).first() or ""
        return ""

    def clean(self):
        super().clean()
        errors = {}
        if not self.contact_id and not self.lead_id:
            message = _("Link the opportunity to a customer or a lead.")
            errors.update(contact=message, lead=message)
        if self.stage_id and self.stage.is_lost and not self.lost_reason.strip():
            errors["lost_reason"] = _("Say why the opportunity was lost.")
        if errors:
            raise ValidationError(errors)

    @property
    def expected_value(self) -> Decimal:
        """Amount × probability / 100; lists use the database annotation of the same name."""
        if "expected_value" in self.__dict__:
            return self.__dict__["expected_value"]
        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))

    @expected_value.setter
    def expected_value(self, value) -> None:
        # Lets QuerySet.with_expected_value() store the database's figure on the instance.
        self.__dict__["expected_value"] = value

    @property
    def is_closed(self) -> bool:
        return self.stage.is_closed

    @property
    def days_in_stage(self) -> int:
        """Whole calendar days (in the active time zone) since the deal entered its stage."""
        return (timezone.localdate() - timezone.localdate(self.stage_entered_at)).days

    @property
    def is_rotting(self) -> bool:
        """Open and left in its stage past the stage's limit."""
        return not self.stage.is_closed and self.stage.is_rotting(self.days_in_stage)


class StageChange(models.Model):
    """One move of an opportunity between stages, kept for funnel and ageing reports."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    amount = models.DecimalField(_("amount"), **MONEY)
    probability = models.PositiveSmallIntegerField(_("probability (%)"))

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "changed_at"], name="crm_stagechange_opp_idx"),
            models.Index(fields=["to_stage", "changed_at"], name="crm_stagechange_stage_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="crm_stagechange_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="crm_stagechange_probability_0_100",
            ),
        ]

    def __str__(self):
        return f"{self.from_stage or '—'} → {self.to_stage}"


# -- the board's totals, kept (see ``kept``) ----------------------------------------------------


HUNDREDTH = Decimal("0.01")


def board_share(stage_id, amount, probability) -> tuple | None:
    """What one deal adds to its stage's totals: (stage, 1, amount, expected value rounded
    as ``expected_value()`` rounds it in the database)."""
    if stage_id is None:
        return None
    amount = amount or ZERO
    weighted = (amount * (probability or 0) * HUNDREDTH).quantize(HUNDREDTH, ROUND_HALF_UP)
    return (stage_id, 1, amount, weighted)


@keeps_totals_of(Opportunity)
class StageTotal(KeptTotal):
    """A change to one stage's count, amount and expected value: the board reads their sums in
    place of summing every deal (300,000 at 1M leads: 60 ms)."""

    GROUP = "stage"
    SUMS = {"n": "count", "total": "amount", "weighted_total": "weighted"}
    WATCHED = ("stage_id", "amount", "probability")

    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="+"
    )
    count = models.BigIntegerField(_("deals"))
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=2)
    weighted = models.DecimalField(_("weighted value"), max_digits=20, decimal_places=2)

    class Meta:
        verbose_name = _("stage total")
        verbose_name_plural = _("stage totals")
        indexes = [
            models.Index(fields=["stage", "count", "amount", "weighted"], name="crm_stagetotal_idx")
        ]

    def __str__(self):
        return f"{self.stage_id}: {self.count:+d}"

    share_of = staticmethod(board_share)

    @classmethod
    def counted_afresh(cls, using: str):
        sums = (
            Opportunity.objects.using(using)
            .order_by()
            .values("stage")
            .annotate(n=Count("*"), total=Sum("amount"), weighted_total=Sum(expected_value()))
        )
        for row in sums:
            yield (row["stage"], row["n"], row["total"] or ZERO, row["weighted_total"] or ZERO)
