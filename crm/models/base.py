"""Shared building blocks: money, database-side arithmetic, timestamps and owners."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import ExpressionWrapper, F, FloatField, Func, Q, Value
from django.db.models.functions import NullIf, Round
from django.utils.translation import gettext_lazy as _

from ..phones import normalize_email, normalize_phone, phone_search_text, validate_phone
from ..search import normalize

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")
RATE = models.DecimalField(max_digits=20, decimal_places=2)

non_negative = MinValueValidator(ZERO, message=_("Enter an amount of zero or more."))
phone_validator = RegexValidator(
    r"^\+?[\d\s().\-/]{5,32}$",
    message=_("Enter a phone number: digits, spaces, +, -, ( and ) only, at least 5 characters."),
)
# A phone's characters, then that phonenumbers reads it as a number (crm.phones).
PHONE_VALIDATORS = [phone_validator, validate_phone]


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


class Product(Func):
    """``a * b`` in plain SQL, only for sorting by it.

    An index on an expression serves an ORDER BY only if both read exactly alike, and Django
    wraps a decimal product in casts on SQLite; this is never cast (and never selected).
    """

    template = "(%(expressions)s)"
    arg_joiner = " * "
    output_field = FloatField()


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


class SearchableModel(models.Model):
    """A record whose text is kept normalised in ``search_text``, for Arabic-aware search.

    ``SEARCHED_FIELDS`` names the text fields a search looks in. Every save refreshes the derived
    columns (``DERIVED_FIELDS``); bulk writers (seeding) call ``fill_search_text`` first.
    """

    SEARCHED_FIELDS: tuple[str, ...] = ()
    DERIVED_FIELDS: tuple[str, ...] = ("search_text",)

    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.refresh_derived()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *self.DERIVED_FIELDS}
        super().save(*args, **kwargs)

    def refresh_derived(self) -> None:
        """Recompute the columns derived from the record's own text."""
        values = (str(getattr(self, name) or "") for name in self.SEARCHED_FIELDS)
        self.search_text = normalize(" ".join(values))


class ReachableQuerySet(models.QuerySet):
    def sharing(self, *, email: str = "", phone: str = ""):
        """The records with the same email or the same phone, compared by their normal forms
        (an indexed equality each): "+966 50 111 2233" shares "0501112233"."""
        match = Q()
        if key := normalize_email(email):
            match |= Q(email_key=key[:320])
        if e164 := normalize_phone(phone):
            match |= Q(phone_e164=e164)
        return self.filter(match) if match else self.none()


class ReachableModel(SearchableModel):
    """A person reached by ``email`` and ``phone``, matched by their normal forms (crm.phones).

    The phone is kept as typed; ``phone_e164`` and ``email_key`` hold what duplicate warnings
    and the conversion's proposals compare, indexed, and ``search_text`` gets the phone's
    E.164 and national digits, so that search finds it however it is typed.
    """

    DERIVED_FIELDS = ("search_text", "phone_e164", "email_key")

    phone_e164 = models.CharField(
        _("phone (E.164)"), max_length=24, blank=True, default="", editable=False, db_index=True
    )
    email_key = models.CharField(
        _("email (as compared)"),
        max_length=320,
        blank=True,
        default="",
        editable=False,
        db_index=True,
    )

    class Meta:
        abstract = True

    def refresh_derived(self) -> None:
        super().refresh_derived()
        self.phone_e164 = normalize_phone(self.phone)
        self.email_key = normalize_email(self.email)[:320]
        if phone_forms := phone_search_text(self.phone):
            self.search_text = f"{self.search_text} {phone_forms}".strip()


def fill_search_text(records) -> None:
    """Refresh the derived search columns of records about to be written in bulk."""
    for record in records:
        if isinstance(record, SearchableModel):
            record.refresh_derived()


def sort_indexes(prefix: str, *fields: str) -> list[models.Index]:
    """An index per sortable list column, with the id that breaks ties, so that a sorted page
    of 25 reads 25 index entries instead of sorting the whole table."""
    return [
        models.Index(fields=[field, "id"], name=f"crm_{prefix}_{field}_sort"[:30])
        for field in fields
    ]
