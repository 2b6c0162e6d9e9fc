"""Import and export (CSV, XLSX) of leads, contacts, opportunities and campaigns.

Rows are matched on ``id``: an exported file imported again updates its records instead of
duplicating them, and a row with an empty id (or a file without that column) makes a new record.
Every row is saved through the record's write service (``crm.services``) as the importing user,
with that user's rights and the record's rules; one refused row rolls back the whole file. The
preview is the same import rolled back, so it refuses exactly what the import would.

A refusal names the row (counted as a spreadsheet counts it: the header is row 1), the column
and the value, in words; an unexpected failure is logged for the administrator, never shown as
a traceback (``templates/admin/import_export/import.html`` shows these messages).
"""

import logging
import re
from contextlib import nullcontext

from django.contrib.auth import get_user_model
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models, transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from import_export import fields, resources, results, widgets

from . import automation, notifications, services
from .forms import CAMPAIGN_FIELDS, CONTACT_FIELDS, LEAD_FIELDS, OPPORTUNITY_FIELDS
from .models import Campaign, Contact, Lead, Opportunity, Stage
from .services.base import take_saved

logger = logging.getLogger(__name__)

User = get_user_model()

# A spreadsheet evaluates a cell that starts with one of these, unless it is a plain number
# ("-12.5", "+966501112233"; "+966 50 111 2233" is not one). A line feed is guarded too: a CSV
# file (read with universal newlines) and an XLSX one (XML) give a carriage return back as one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def is_formula(text: str) -> bool:
    """Whether a spreadsheet would evaluate ``text`` rather than show it."""
    return text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text)


def guard(value):
    """An exported cell that a spreadsheet would run, made text by a leading ``'``.

    Text that already has quotes before a formula gets one more, so that ``unguard`` always
    takes exactly one off: ``'=1`` is exported as ``''=1`` and comes back as ``'=1``.
    """
    if isinstance(value, str) and is_formula(value.lstrip("'")):
        return "'" + value
    return value


def unguard(value):
    """An imported cell as it was before ``guard``: the round trip loses nothing."""
    if isinstance(value, str) and value.startswith("'") and is_formula(value.lstrip("'")):
        return value[1:]
    return value


def sheet_row(number: int) -> int:
    """The spreadsheet's number of data row ``number`` (1 is the first row under the header)."""
    return number + 1


def shown(value) -> str:
    """A cell's value as an error message quotes it."""
    return Truncator("" if value is None else str(value)).chars(60)


def unreadable(field: fields.Field) -> str:
    """What is wrong with a cell that the column's widget cannot read."""
    widget = field.widget
    if isinstance(widget, widgets.ForeignKeyWidget):
        opts = widget.model._meta
        key = opts.pk if widget.field == "pk" else opts.get_field(widget.field)
        return _("There is no %(record)s with this %(key)s.") % {
            "record": opts.verbose_name,
            "key": key.verbose_name,
        }
    if isinstance(widget, widgets.NumberWidget):
        return _("Enter a number.")
    if isinstance(widget, widgets.DateWidget | widgets.DateTimeWidget):
        return _("Enter a valid date.")
    return _("This value cannot be read.")


class FileRefused(Exception):
    """A whole file refused, for a reason its message gives in words."""


class ImportProblem(results.Error):
    """A failure as the import page shows it: a refusal in words; anything unexpected as a
    short notice, with its traceback logged for the administrator and never shown."""

    def __init__(self, error, row=None, number=None):
        super().__init__(error, row=row, number=number)
        if not isinstance(error, FileRefused):
            where = "the file" if number is None else f"row {sheet_row(number)}"
            logger.error("Import failed at %s", where, exc_info=error)

    @property
    def message(self) -> str:
        if isinstance(self.error, FileRefused):
            return str(self.error)
        if self.number is not None:
            return _(
                "Row %(row)s could not be saved because of an error on the server. The error "
                "was logged for the administrator."
            ) % {"row": sheet_row(self.number)}
        return _(
            "The file could not be imported because of an error on the server. The error was "
            "logged for the administrator."
        )


class UsernameWidget(widgets.ForeignKeyWidget):
    """A user by username, for owners."""

    def __init__(self):
        super().__init__(User, field="username")


class CRMResource(resources.ModelResource):
    """Shared behaviour: guarded formulas, blank cells, rows saved by the write services as the
    importing user (``kwargs["user"]``), and errors that name the row, column and value."""

    owner = fields.Field(attribute="owner", column_name="owner", widget=UsernameWidget())

    class Meta:
        # A list, not a tuple: django-import-export then accepts a file without the id column.
        import_id_fields = ["id"]
        # The services validate every row, with the record's rules.
        clean_model_instances = False
        skip_unchanged = True
        report_skipped = True

    @classmethod
    def get_error_result_class(cls):
        return ImportProblem

    def export_field(self, field, instance, **kwargs):
        return guard(super().export_field(field, instance, **kwargs))

    def import_data(self, dataset, *args, run_rules: bool = False, **kwargs):
        """Import ``dataset``; the automation rules run on its records only with ``run_rules``
        (the import's choice: off unless asked for)."""
        # A misspelt or foreign column would otherwise be dropped without a word: nothing of
        # such a file is read.
        problem = self.column_problem(dataset.headers or [])
        if problem:
            result = self.get_result_class()()
            result.append_base_error(self.get_error_result_class()(FileRefused(problem)))
            return result
        # A file of 10,000 leads is not 10,000 "assigned to you" notifications (or emails).
        with notifications.held(), nullcontext() if run_rules else automation.rules_off():
            return super().import_data(dataset, *args, **kwargs)

    def column_problem(self, headers) -> str:
        """Why a file with these column headers cannot be imported ("" if it can)."""
        known = [field.column_name for field in self.get_import_fields()]
        unknown = [str(header) for header in headers if header not in known and header]
        if not unknown:
            return ""
        return _(
            "This file has columns that %(records)s do not have: %(unknown)s. The columns "
            "are: %(known)s. Export the %(records)s to get a file with the right columns."
        ) % {
            "records": self._meta.model._meta.verbose_name_plural,
            "unknown": ", ".join(unknown),
            "known": ", ".join(known),
        }

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            row[column] = unguard(value)

    def get_or_init_instance(self, instance_loader, row):
        try:
            instance, new = super().get_or_init_instance(instance_loader, row)
        except (ArithmeticError, ValueError, TypeError) as error:
            raise ValidationError({"id": _("Enter a number.")}) from error
        if new and not self.is_blank("id", row.get("id")):
            # Records get their ids from the database, never from a file.
            raise ValidationError(
                {
                    "id": _("There is no %(record)s with this id: leave it empty to add a new one.")
                    % {"record": self._meta.model._meta.verbose_name}
                }
            )
        return instance, new

    def is_blank(self, name: str, value) -> bool:
        """Whether a cell of field ``name`` is empty (of a text, only a cell with nothing in it)."""
        if value is None:
            return True
        if isinstance(value, str) and self.is_text(name):
            return value == ""  # spaces in a text are text
        return isinstance(value, str) and not value.strip()

    def is_text(self, name: str) -> bool:
        """Whether field ``name`` holds text that is never null (blank means "")."""
        model_field = self._meta.model._meta.get_field(name)
        return isinstance(model_field, models.CharField | models.TextField) and not model_field.null

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.readonly or not field.attribute or field.column_name not in row:
            return
        if self.is_blank(field.attribute, row[field.column_name]):
            # An empty cell is empty text in a text column and no value (None) in any other;
            # never the model's default, which would overwrite a stored value.
            setattr(instance, field.attribute, "" if self.is_text(field.attribute) else None)
            return
        try:
            super().import_field(field, instance, row, is_m2m, **kwargs)
        except (
            ObjectDoesNotExist,
            MultipleObjectsReturned,
            ArithmeticError,
            TypeError,
            ValueError,
        ) as error:
            raise ValueError(unreadable(field)) from error

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A spreadsheet's empty lines (left at the end, or only formatted) are no records.
        if all(value is None or str(value).strip() == "" for value in row.values()):
            return True
        return super().skip_row(instance, original, row, import_validation_errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        """Save the row through the record's write service, as the importing user."""
        if self._is_dry_run(kwargs) and not self._is_using_transactions(kwargs):
            return  # a preview that could not be undone writes nothing
        service = services.for_model(self._meta.model)
        data = self.service_data(instance, row)
        try:
            # Whatever the service wrote before refusing goes with the refusal.
            with transaction.atomic(using=self.get_db_connection_name()):
                if is_create:
                    saved = service.create(by=kwargs["user"], data=data)
                else:
                    saved = service.update(instance, by=kwargs["user"], data=data)
        except PermissionDenied as error:
            raise self.refusal(is_create, row) from error
        take_saved(instance, saved)

    def service_data(self, instance, row) -> dict:
        """The row's columns as the service takes them: field name to value, a link as a record."""
        return {
            field.attribute: field.get_value(instance)
            for field in self.get_import_fields()
            if not field.readonly
            and field.column_name in row
            and field.attribute not in self.get_import_id_fields()
        }

    def refusal(self, is_create: bool, row) -> ValidationError:
        """A write the importing user may not make, as the row's error."""
        words = {"record": self._meta.model._meta.verbose_name}
        if not is_create:
            return ValidationError(
                {"id": _("You may not change this %(record)s: it is not yours.") % words}
            )
        message = _("You may add a %(record)s only with yourself as its owner.") % words
        return ValidationError({"owner" if "owner" in row else NON_FIELD_ERRORS: message})

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        if row_result.validation_error is not None:
            row_result.validation_error = self.explain(
                row_result.validation_error, row, kwargs["row_number"]
            )
        return row_result

    def explain(self, error: ValidationError, row, number: int) -> ValidationError:
        """``error`` as sentences that name the row, the column and the value, by column."""
        columns = {field.attribute: field.column_name for field in self.get_import_fields()}
        if hasattr(error, "error_dict"):
            by_field = error.message_dict
        else:
            by_field = {NON_FIELD_ERRORS: error.messages}
        explained = {}
        for name, messages in by_field.items():
            column = columns.get(name)
            for message in messages:
                words = {"row": sheet_row(number), "column": column, "message": message}
                if column is None:
                    text = _("Row %(row)s: %(message)s") % words
                elif column in row:
                    words["value"] = shown(row[column])
                    text = _("Row %(row)s, column “%(column)s”, value “%(value)s”: %(message)s")
                    text %= words
                else:
                    text = _("Row %(row)s, column “%(column)s” (not in the file): %(message)s")
                    text %= words
                explained.setdefault(column or NON_FIELD_ERRORS, []).append(text)
        return ValidationError(explained)


class CampaignResource(CRMResource):
    # Metrics are exported for reading; they are computed, so an import ignores them.
    leads_count = fields.Field(attribute="leads_count", column_name="leads", readonly=True)
    converted_count = fields.Field(
        attribute="converted_count", column_name="converted", readonly=True
    )
    conversion_rate = fields.Field(
        attribute="conversion_rate", column_name="conversion_rate", readonly=True
    )
    cost_per_lead = fields.Field(
        attribute="cost_per_lead", column_name="cost_per_lead", readonly=True
    )
    won_revenue = fields.Field(attribute="won_revenue", column_name="won_revenue", readonly=True)
    roi = fields.Field(attribute="roi", column_name="roi", readonly=True)

    class Meta(CRMResource.Meta):
        model = Campaign
        fields = (
            "id",
            *CAMPAIGN_FIELDS,
            "leads_count",
            "converted_count",
            "conversion_rate",
            "cost_per_lead",
            "won_revenue",
            "roi",
        )

    def get_queryset(self):
        return Campaign.objects.with_metrics().select_related("owner")

    def export_field(self, field, instance, **kwargs):
        # A freshly imported campaign has no metric annotations; export those as empty.
        if field.readonly and not hasattr(instance, field.attribute):
            return ""
        return super().export_field(field, instance, **kwargs)


class LeadResource(CRMResource):
    campaign = fields.Field(
        attribute="campaign", column_name="campaign", widget=widgets.ForeignKeyWidget(Campaign)
    )

    class Meta(CRMResource.Meta):
        model = Lead
        fields = ("id", *LEAD_FIELDS)

    def get_queryset(self):
        return Lead.objects.select_related("owner", "campaign")


class ContactResource(CRMResource):
    class Meta(CRMResource.Meta):
        model = Contact
        fields = ("id", *CONTACT_FIELDS)

    def get_queryset(self):
        return Contact.objects.select_related("owner")


class OpportunityResource(CRMResource):
    contact = fields.Field(
        attribute="contact", column_name="contact", widget=widgets.ForeignKeyWidget(Contact)
    )
    lead = fields.Field(attribute="lead", column_name="lead", widget=widgets.ForeignKeyWidget(Lead))
    campaign = fields.Field(
        attribute="campaign", column_name="campaign", widget=widgets.ForeignKeyWidget(Campaign)
    )
    stage = fields.Field(
        attribute="stage", column_name="stage", widget=widgets.ForeignKeyWidget(Stage, "code")
    )

    class Meta(CRMResource.Meta):
        model = Opportunity
        fields = ("id", *OPPORTUNITY_FIELDS)

    def get_queryset(self):
        return Opportunity.objects.select_related("owner", "stage")
