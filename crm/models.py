"""The CRM's records: leads, contacts, deals and their pipeline, interactions, tasks, campaigns.

Every bound a record has is enforced twice: by field validators (a clear message in forms and the
admin) and by a database constraint (so no bulk update, import or raw write can store it).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, Round
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")
RATE = models.DecimalField(max_digits=20, decimal_places=2)

non_negative = MinValueValidator(ZERO, message=_("Enter an amount of zero or more."))
phone_validator = RegexValidator(
    r"^\+?[\d\s().\-/]{5,32}$",
    message=_("Enter a phone number: digits, spaces, +, -, ( and ) only, at least 5 characters."),
)


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    """A non-null amount of money that is never negative."""
    return models.DecimalField(
        verbose_name, **MONEY, default=ZERO, validators=[non_negative], **kwargs
    )


def _rounded_quotient(numerator, denominator) -> Round:
    """``numerator / denominator`` to 2 places; NULL (shown as "—") when the denominator is 0."""
    # Dividing as floating point keeps SQLite from dividing integers (7 * 100 / 3 is 233 there)
    # and from casting 100.0 back to an integer; ROUND brings it back to an exact 2-place decimal.
    quotient = ExpressionWrapper(numerator / NullIf(denominator, 0), output_field=FloatField())
    return Round(quotient, 2, output_field=RATE)


def percent(numerator, denominator) -> Round:
    """``numerator / denominator × 100`` in the database, NULL when the denominator is zero."""
    return _rounded_quotient(numerator * Value(100.0), denominator)


def ratio(numerator, denominator) -> Round:
    """``numerator / denominator`` in the database, NULL when the denominator is zero."""
    return _rounded_quotient(numerator * Value(1.0), denominator)


def expected_value(amount="amount", probability="probability") -> Round:
    """Amount × probability / 100, rounded to 2 places, computed by the database."""
    return Round(
        F(amount) * F(probability) * Value(Decimal("0.01")),
        2,
        output_field=models.DecimalField(**MONEY),
    )


def choice_constraint(field: str, choices: type[models.TextChoices], model: str):
    """Keep ``field`` within ``choices`` in the database: choices alone constrain nothing."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}), name=f"crm_{model}_{field}_valid"
    )


# --- Choices ---------------------------------------------------------------------------------


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    LOST = "lost", _("Lost")
    CONVERTED = "converted", _("Converted")


class LeadSource(models.TextChoices):
    WEBSITE = "website", _("Website")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    SOCIAL_MEDIA = "social_media", _("Social media")
    EVENT = "event", _("Event")
    COLD_CALL = "cold_call", _("Cold call")
    OTHER = "other", _("Other")


class InteractionKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")


class InteractionOutcome(models.TextChoices):
    """Common outcomes offered to pick from; the field itself takes free text."""

    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Voicemail")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    NOT_INTERESTED = "not_interested", _("Not interested")


class TaskPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


TASK_OPEN_STATUSES = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)


class CampaignKind(models.TextChoices):
    EMAIL = "email", _("Email")
    SOCIAL_MEDIA = "social_media", _("Social media")
    PAID_ADS = "paid_ads", _("Paid ads")
    EVENT = "event", _("Event")
    WEBINAR = "webinar", _("Webinar")


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")


# --- Shared fields ---------------------------------------------------------------------------


class TimeStampedModel(models.Model):
    """When a record was made and changed, and by whom it was made (set by the server)."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        abstract = True


class OwnedModel(TimeStampedModel):
    """A record with a responsible user, who defaults to its creator."""

    # blank=True: forms and the admin may leave it empty and the server fills in the creator;
    # the column itself is NOT NULL, so no record is ever stored without an owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True

    def fill_owner(self, user) -> None:
        """Give the record to ``user`` (its creator) if nobody owns it yet."""
        if not self.owner_id:
            self.owner = user


# --- Campaign --------------------------------------------------------------------------------


class CampaignQuerySet(models.QuerySet):
    def with_metrics(self) -> CampaignQuerySet:
        """Annotate lead counts, won revenue, conversion rate, cost per lead and ROI.

        Each count is a correlated subquery, so the page stays one query however many campaigns
        it shows, and joins never multiply one count by another. Rates with a zero divisor are
        NULL, which the pages show as "—".
        """
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


class Campaign(OwnedModel):
    """A marketing campaign whose leads, conversions and revenue are measured."""

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

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {"end_date": _("The end date cannot be before the start date.")}, code="end_date"
            )

    @property
    def is_over_budget(self) -> bool:
        return self.actual_cost > self.budget


# --- Contact ---------------------------------------------------------------------------------


class ContactQuerySet(models.QuerySet):
    def matching_lead(self, lead: Lead) -> ContactQuerySet:
        """Contacts that look like the same person as ``lead``: same email or same phone."""
        match = Q()
        if lead.email:
            match |= Q(email__iexact=lead.email)
        if lead.phone:
            match |= Q(phone=lead.phone)
        if not match:
            return self.none()
        return self.filter(match).select_related("owner").order_by("name", "pk")


class Contact(OwnedModel):
    """A customer person (العميل الفعلي), often made from a converted lead."""

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[phone_validator])
    address = models.TextField(_("address"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    source_lead = models.ForeignKey(
        "Lead",
        verbose_name=_("source lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="crm_contact_name_idx"),
            models.Index(fields=["-created_at"], name="crm_contact_created_idx"),
            models.Index(fields=["email"], name="crm_contact_email_idx"),
            models.Index(fields=["phone"], name="crm_contact_phone_idx"),
            models.Index(fields=["owner", "name"], name="crm_contact_owner_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="crm_contact_name_not_empty"),
        ]

    def __str__(self):
        return self.name


# --- Lead ------------------------------------------------------------------------------------


class LeadQuerySet(models.QuerySet):
    def open(self) -> LeadQuerySet:
        """Leads still being worked: neither lost nor converted."""
        return self.exclude(status__in=[LeadStatus.LOST, LeadStatus.CONVERTED])

    def owned_by(self, user) -> LeadQuerySet:
        return self.filter(owner=user)


class Lead(OwnedModel):
    """A person or company that might buy (عميل محتمل)."""

    Status = LeadStatus
    Source = LeadSource

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[phone_validator])
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

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="crm_lead_created_idx"),
            models.Index(fields=["status", "-created_at"], name="crm_lead_status_idx"),
            models.Index(fields=["owner", "status"], name="crm_lead_owner_status_idx"),
            models.Index(fields=["source"], name="crm_lead_source_idx"),
            models.Index(fields=["name"], name="crm_lead_name_idx"),
            models.Index(fields=["email"], name="crm_lead_email_idx"),
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

    def mark_lost(self, reason: str) -> None:
        """Give up on the lead, saying why."""
        if self.is_converted:
            raise ValidationError(_("A converted lead cannot be marked lost."), code="converted")
        if not reason or not reason.strip():
            raise ValidationError({"lost_reason": _("Say why the lead was lost.")})
        self.status = LeadStatus.LOST
        self.lost_reason = reason.strip()
        self.save(update_fields=["status", "lost_reason", "updated_at"])

    mark_lost.alters_data = True

    def reopen(self) -> None:
        """Bring a lost lead back as new."""
        if self.status != LeadStatus.LOST:
            raise ValidationError(_("Only a lost lead can be reopened."), code="not_lost")
        self.status = LeadStatus.NEW
        self.lost_reason = ""
        self.save(update_fields=["status", "lost_reason", "updated_at"])

    reopen.alters_data = True


# --- Pipeline --------------------------------------------------------------------------------


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

    objects = StageQuerySet.as_manager()

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


class OpportunityQuerySet(models.QuerySet):
    def open(self) -> OpportunityQuerySet:
        return self.filter(stage__is_closed=False)

    def won(self) -> OpportunityQuerySet:
        return self.filter(stage__is_won=True)

    def with_expected_value(self) -> OpportunityQuerySet:
        return self.annotate(expected_value=expected_value())

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
            .annotate(n=Count("pk"), total=Sum("amount"), weighted_total=Sum(expected_value()))
        }
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
                "count": row.get("n", 0),
                "amount": row.get("total") or ZERO,
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


class Opportunity(OwnedModel):
    """A potential deal (فرصة تجارية) moving through the pipeline's stages."""

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

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="crm_opp_created_idx"),
            models.Index(fields=["stage", "expected_close_date"], name="crm_opp_stage_close_idx"),
            models.Index(fields=["owner", "stage"], name="crm_opp_owner_stage_idx"),
            models.Index(fields=["closed_at"], name="crm_opp_closed_idx"),
            models.Index(fields=["-amount"], name="crm_opp_amount_idx"),
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


# --- Interaction -----------------------------------------------------------------------------


class Interaction(TimeStampedModel):
    """Something that happened with a lead, a customer or a deal (تفاعل)."""

    Kind = InteractionKind
    Outcome = InteractionOutcome

    kind = models.CharField(_("type"), max_length=20, choices=InteractionKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=100, blank=True)
    duration = models.PositiveIntegerField(
        _("duration (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message=_("Enter a duration of zero or more minutes."))],
    )
    occurred_at = models.DateTimeField(_("date and time"), default=timezone.now)
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="crm_interaction_occurred_idx"),
            models.Index(fields=["lead", "-occurred_at"], name="crm_interaction_lead_idx"),
            models.Index(fields=["contact", "-occurred_at"], name="crm_interaction_contact_idx"),
            models.Index(fields=["opportunity", "-occurred_at"], name="crm_interaction_opp_idx"),
            models.Index(fields=["kind", "-occurred_at"], name="crm_interaction_kind_idx"),
        ]
        constraints = [
            choice_constraint("kind", InteractionKind, "interaction"),
            models.CheckConstraint(
                condition=~Q(subject=""), name="crm_interaction_subject_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(duration__isnull=True) | Q(duration__gte=0),
                name="crm_interaction_duration_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(lead__isnull=False)
                | Q(contact__isnull=False)
                | Q(opportunity__isnull=False),
                name="crm_interaction_linked",
                violation_error_message=_(
                    "Link the interaction to a lead, a customer or an opportunity."
                ),
            ),
        ]

    def __str__(self):
        return self.subject

    def clean(self):
        super().clean()
        if not (self.lead_id or self.contact_id or self.opportunity_id):
            raise ValidationError(
                _("Link the interaction to a lead, a customer or an opportunity."), code="links"
            )


# --- Task ------------------------------------------------------------------------------------


class TaskQuerySet(models.QuerySet):
    def open(self) -> TaskQuerySet:
        return self.filter(status__in=TASK_OPEN_STATUSES)

    def overdue(self, today=None) -> TaskQuerySet:
        """Open tasks whose due date has passed."""
        return self.open().filter(due_date__lt=today or timezone.localdate())

    def with_overdue(self, today=None) -> TaskQuerySet:
        """Annotate ``is_overdue`` so lists can show and sort by it without a query per row."""
        today = today or timezone.localdate()
        return self.annotate(
            is_overdue=models.Case(
                models.When(Q(status__in=TASK_OPEN_STATUSES, due_date__lt=today), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )


class Task(TimeStampedModel):
    """Work to do (مهمة), assigned to a user, optionally about a lead, customer or deal."""

    Priority = TaskPriority
    Status = TaskStatus

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    priority = models.CharField(
        _("priority"), max_length=20, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.PENDING
    )
    due_date = models.DateField(_("due date"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["due_date", "id"], name="crm_task_due_idx"),
            models.Index(
                fields=["assigned_to", "status", "due_date"], name="crm_task_assignee_idx"
            ),
            models.Index(fields=["status", "due_date"], name="crm_task_status_due_idx"),
        ]
        constraints = [
            choice_constraint("priority", TaskPriority, "task"),
            choice_constraint("status", TaskStatus, "task"),
            models.CheckConstraint(condition=~Q(title=""), name="crm_task_title_not_empty"),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.COMPLETED, completed_at__isnull=False)
                | (~Q(status=TaskStatus.COMPLETED) & Q(completed_at__isnull=True)),
                name="crm_task_completed_at_matches_status",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Whatever path changes the status (form, admin, import), completed_at follows it.
        if self.status == TaskStatus.COMPLETED and self.completed_at is None:
            self.completed_at = timezone.now()
        elif self.status != TaskStatus.COMPLETED:
            self.completed_at = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields:
            kwargs["update_fields"] = {*update_fields, "completed_at"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in TASK_OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        if "is_overdue" in self.__dict__:
            return self.__dict__["is_overdue"]
        return self.is_open and self.due_date < timezone.localdate()

    @is_overdue.setter
    def is_overdue(self, value) -> None:
        self.__dict__["is_overdue"] = value

    def complete(self) -> None:
        """Mark the task done now."""
        if self.status == TaskStatus.COMPLETED:
            return
        self.status = TaskStatus.COMPLETED
        self.completed_at = timezone.now()
        self.save(update_fields=["status", "completed_at", "updated_at"])

    complete.alters_data = True

    def reopen(self) -> None:
        """Put a completed or cancelled task back to pending."""
        if self.is_open:
            return
        self.status = TaskStatus.PENDING
        self.completed_at = None
        self.save(update_fields=["status", "completed_at", "updated_at"])

    reopen.alters_data = True
