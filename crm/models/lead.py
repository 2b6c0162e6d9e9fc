"""Leads: people or companies that might buy."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import (
    PHONE_VALIDATORS,
    OwnedModel,
    ReachableModel,
    ReachableQuerySet,
    choice_constraint,
    money_field,
    sort_indexes,
)
from .campaign import Campaign
from .choices import LeadSource, LeadStatus
from .contact import Contact
from .kept import KeepsTotals, KeptTotal, keeps_totals_of


class LeadQuerySet(ReachableQuerySet):
    def open(self) -> LeadQuerySet:
        """Leads still being worked: neither lost nor converted."""
        return self.exclude(status__in=[LeadStatus.LOST, LeadStatus.CONVERTED])

    def owned_by(self, user) -> LeadQuerySet:
        return self.filter(owner=user)

    def for_list(self) -> LeadQuerySet:
        """With what a list of leads shows (pages, reports, exports, the API)."""
        return self.select_related("owner", "campaign", "contact")

    def for_detail(self) -> LeadQuerySet:
        """With what a lead's own page shows."""
        return self.for_list().select_related("converted_by", "created_by")


class Lead(KeepsTotals, ReachableModel, OwnedModel):
    """A person or company that might buy (عميل محتمل)."""

    SEARCHED_FIELDS = ("name", "company", "title", "email", "phone", "notes")
    # The fields people fill in (forms, the admin, imports); the services write no others.
    # "Converted" and the links to the customer come from conversion only.
    EDITABLE_FIELDS = (
        "name",
        "company",
        "title",
        "email",
        "phone",
        "status",
        "lost_reason",
        "rating",
        "source",
        "expected_revenue",
        "campaign",
        "owner",
        "notes",
    )

    Status = LeadStatus
    Source = LeadSource

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=PHONE_VALIDATORS)
    status = models.CharField(
        _("status"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    lost_reason = models.CharField(_("lost reason"), max_length=255, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[
            MinValueValidator(1, message=_("The rating is from 1 to 5 stars.")),
            MaxValueValidator(5, message=_("The rating is from 1 to 5 stars.")),
        ],
    )
    source = models.CharField(
        _("source"), max_length=20, choices=LeadSource.choices, default=LeadSource.OTHER
    )
    expected_revenue = money_field(_("expected revenue"))
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    notes = models.TextField(_("notes"), blank=True)
    # Set by conversion only (services.lead_convert), never from a form.
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="leads",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True, editable=False)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("converted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = LeadQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text", "phone_e164", "email_key"])

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="crm_lead_created_idx"),
            models.Index(fields=["status", "-created_at"], name="crm_lead_status_idx"),
            models.Index(fields=["owner", "status"], name="crm_lead_owner_status_idx"),
            # "Mine", newest first.
            models.Index(fields=["owner", "-created_at", "-id"], name="crm_lead_owner_created_idx"),
            models.Index(fields=["email"], name="crm_lead_email_idx"),
            # The dashboard's leads by status and by source: one pass over this index.
            models.Index(fields=["status", "source"], name="crm_lead_status_source_idx"),
            # Campaign metrics: each campaign's leads, and its converted ones, counted in the index.
            models.Index(fields=["campaign", "status"], name="crm_lead_campaign_status_idx"),
            *sort_indexes(
                "lead",
                "name",
                "company",
                "status",
                "rating",
                "source",
                "expected_revenue",
                "owner",
                "campaign",
            ),
        ]
        constraints = [
            choice_constraint("status", LeadStatus, "lead"),
            choice_constraint("source", LeadSource, "lead"),
            models.CheckConstraint(condition=~Q(name=""), name="crm_lead_name_not_empty"),
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone=""),
                name="crm_lead_email_or_phone",
                violation_error_message=_("Give an email or a phone number to reach this lead."),
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="crm_lead_rating_1_5",
            ),
            models.CheckConstraint(
                condition=Q(expected_revenue__gte=0), name="crm_lead_expected_revenue_gte_0"
            ),
            models.CheckConstraint(
                condition=~Q(status=LeadStatus.LOST) | ~Q(lost_reason=""),
                name="crm_lead_lost_has_reason",
                violation_error_message=_("Say why the lead was lost."),
            ),
            models.CheckConstraint(
                condition=~Q(status=LeadStatus.CONVERTED)
                | Q(contact__isnull=False, converted_at__isnull=False),
                name="crm_lead_converted_has_contact",
                violation_error_message=_("Only conversion can mark a lead converted."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("crm:lead-detail", args=[self.pk])

    def clean(self):
        super().clean()
        errors = {}
        if not self.email and not self.phone:
            message = _("Give an email or a phone number to reach this lead.")
            errors["email"] = message
            errors["phone"] = message
        if self.status == LeadStatus.LOST and not self.lost_reason.strip():
            errors["lost_reason"] = _("Say why the lead was lost.")
        if self.status == LeadStatus.CONVERTED and not self.contact_id:
            errors["status"] = _("A lead becomes converted only through conversion to a customer.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_converted(self) -> bool:
        return self.status == LeadStatus.CONVERTED

    @property
    def can_convert(self) -> bool:
        """Lost leads must be reopened first; converted ones are done."""
        return self.status not in (LeadStatus.LOST, LeadStatus.CONVERTED)


@keeps_totals_of(Lead)
class CampaignTotal(KeptTotal):
    """A change to one campaign's count of leads and of converted ones: the campaign list sorts
    its campaigns by these sums (counting a million leads to sort 500 campaigns took 100 ms)."""

    GROUP = "campaign"
    SUMS = {"leads_count": "leads", "converted_count": "converted"}
    WATCHED = ("campaign_id", "status")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="+"
    )
    leads = models.BigIntegerField(_("leads"))
    converted = models.BigIntegerField(_("converted leads"))

    class Meta:
        verbose_name = _("campaign total")
        verbose_name_plural = _("campaign totals")
        indexes = [
            models.Index(fields=["campaign", "leads", "converted"], name="crm_campaigntotal_idx")
        ]

    def __str__(self):
        return f"{self.campaign_id}: {self.leads:+d}"

    @staticmethod
    def share_of(campaign_id, status) -> tuple | None:
        if campaign_id is None:
            return None
        return (campaign_id, 1, int(status == LeadStatus.CONVERTED))

    @classmethod
    def counted_afresh(cls, using: str):
        return (
            Lead.objects.using(using)
            .filter(campaign__isnull=False)
            .order_by()
            .values_list("campaign")
            .annotate(n=Count("*"), converted=Count("pk", filter=Q(status=LeadStatus.CONVERTED)))
        )
