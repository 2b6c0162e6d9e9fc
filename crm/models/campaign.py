"""Campaigns and their metrics."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
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
from .choices import CampaignKind, CampaignStatus, LeadStatus


class CampaignQuerySet(models.QuerySet):
    def with_metrics(self) -> CampaignQuerySet:
        """Annotate lead counts, won revenue, conversion rate, cost per lead and ROI.

        Each count is a correlated subquery, so the page stays one query however many campaigns
        it shows, and joins never multiply one count by another. Rates with a zero divisor are
        NULL, which the pages show as "—".
        """
        from .lead import Lead
        from .pipeline import Opportunity

        leads = Lead.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign")
        won = (
            Opportunity.objects.filter(campaign=OuterRef("pk"), stage__is_won=True)
            .order_by()
            .values("campaign")
        )
        money = models.DecimalField(**MONEY)
        return self.annotate(
            leads_count=Coalesce(Subquery(leads.annotate(n=Count("pk")).values("n")), 0),
            converted_count=Coalesce(
                Subquery(
                    leads.filter(status=LeadStatus.CONVERTED).annotate(n=Count("pk")).values("n")
                ),
                0,
            ),
            won_revenue=Coalesce(
                Subquery(won.annotate(total=Sum("amount")).values("total"), output_field=money),
                Value(ZERO),
                output_field=money,
            ),
        ).annotate(
            conversion_rate=percent(F("converted_count"), F("leads_count")),
            cost_per_lead=ratio(F("actual_cost"), F("leads_count")),
            roi=percent(F("won_revenue") - F("actual_cost"), F("actual_cost")),
        )


class Campaign(SearchableModel, OwnedModel):
    """A marketing campaign whose leads, conversions and revenue are measured."""

    SEARCHED_FIELDS = ("name", "description")

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

    @property
    def is_over_budget(self) -> bool:
        return self.actual_cost > self.budget
