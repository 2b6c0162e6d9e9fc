"""Campaigns and their metrics."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import (
    MONEY,
    ZERO,
    OwnedModel,
    SearchableModel,
    choice_constraint,
    money_field,
    percent,
    ratio,
)
from .choices import CampaignKind, CampaignStatus


def metric_expressions() -> dict:
    """The rates of a campaign, computed by the database from the counts of ``with_counts``."""
    return {
        "conversion_rate": percent(F("converted_count"), F("leads_count")),
        "cost_per_lead": ratio(F("actual_cost"), F("leads_count")),
        "roi": percent(F("won_revenue") - F("actual_cost"), F("actual_cost")),
    }


class CampaignQuerySet(models.QuerySet):
    def with_counts(self) -> CampaignQuerySet:
        """Annotate lead counts and won revenue; the rates then come from them in Python.

        Each is a correlated subquery, so a page stays one query however many campaigns it
        shows, and joins never multiply one count by another; the lead counts are the kept
        totals' sums (``CampaignTotal``), a few rows a campaign however many leads it has.
        (A rate annotated in SQL repeats the subqueries it divides, so lists read the counts
        alone and sort by a rate through ``metric_expressions``.)
        """
        from .lead import CampaignTotal
        from .pipeline import Opportunity

        kept = CampaignTotal.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign")
        won = (
            Opportunity.objects.filter(campaign=OuterRef("pk"), stage__is_won=True)
            .order_by()
            .values("campaign")
        )
        money = models.DecimalField(**MONEY)
        count = models.BigIntegerField()
        return self.annotate(
            leads_count=Coalesce(
                Subquery(kept.annotate(n=Sum("leads")).values("n")), 0, output_field=count
            ),
            converted_count=Coalesce(
                Subquery(kept.annotate(n=Sum("converted")).values("n")), 0, output_field=count
            ),
            won_revenue=Coalesce(
                Subquery(won.annotate(total=Sum("amount")).values("total"), output_field=money),
                Value(ZERO),
                output_field=money,
            ),
        )

    def for_list(self) -> CampaignQuerySet:
        """The counts alone: a list's rates come from them (a sort by a rate computes it in
        the page's key query only, see ``views.base.CappedPaginator.rows_between``)."""
        return self.with_counts().select_related("owner")

    def for_detail(self) -> CampaignQuerySet:
        return self.with_metrics().select_related("owner", "created_by")

    def with_metrics(self) -> CampaignQuerySet:
        """Annotate lead counts, won revenue, conversion rate, cost per lead and ROI.

        The rates are NULL, shown as "—", where a divisor is zero; use this to filter or sort
        by a rate in SQL.
        """
        return self.with_counts().annotate(**metric_expressions())


def rounded(value: float) -> Decimal:
    """A quotient to 2 places, as the database's ROUND does it (half away from zero)."""
    return Decimal(repr(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def annotated_or(name: str, compute):
    """A campaign rate: the database's figure when annotated, else computed from the counts."""

    def get(self):
        if name in self.__dict__:
            return self.__dict__[name]
        return compute(self)

    def set(self, value):
        self.__dict__[name] = value

    return property(get, set, doc=f"The campaign's {name.replace('_', ' ')} (None: no divisor).")


class Campaign(SearchableModel, OwnedModel):
    """A marketing campaign whose leads, conversions and revenue are measured."""

    SEARCHED_FIELDS = ("name", "description")
    # The fields people fill in (forms, the admin, imports); the services write no others.
    EDITABLE_FIELDS = (
        "name",
        "kind",
        "status",
        "start_date",
        "end_date",
        "budget",
        "actual_cost",
        "owner",
        "description",
    )

    Kind = CampaignKind
    Status = CampaignStatus

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=CampaignKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget = money_field(_("budget"))
    actual_cost = money_field(_("actual cost"))
    description = models.TextField(_("description"), blank=True)

    objects = CampaignQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["-start_date", "-id"], name="crm_campaign_start_idx"),
            models.Index(fields=["status", "kind"], name="crm_campaign_status_kind_idx"),
        ]
        constraints = [
            choice_constraint("kind", CampaignKind, "campaign"),
            choice_constraint("status", CampaignStatus, "campaign"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="crm_campaign_budget_gte_0"),
            models.CheckConstraint(
                condition=Q(actual_cost__gte=0), name="crm_campaign_actual_cost_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="crm_campaign_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(condition=~Q(name=""), name="crm_campaign_name_not_empty"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("crm:campaign-detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {"end_date": _("The end date cannot be before the start date.")}, code="end_date"
            )

    # Computed as metric_expressions() computes them: float division, rounded to 2 places.
    conversion_rate = annotated_or(
        "conversion_rate",
        lambda c: rounded(c.converted_count * 100.0 / c.leads_count) if c.leads_count else None,
    )
    cost_per_lead = annotated_or(
        "cost_per_lead",
        lambda c: rounded(float(c.actual_cost) / c.leads_count) if c.leads_count else None,
    )
    roi = annotated_or(
        "roi",
        lambda c: (
            rounded(float(c.won_revenue - c.actual_cost) * 100.0 / float(c.actual_cost))
            if c.actual_cost
            else None
        ),
    )

    @property
    def is_over_budget(self) -> bool:
        return self.actual_cost > self.budget
