"""The managers' admin: every record, made for daily use.

Computed columns (expected value, campaign metrics, overdue) come from queryset annotations, so a
changelist runs the same few queries however many rows it shows. Dates are filtered by fixed ranges
(today, the past 7 days, this month, this year) rather than a date hierarchy, whose DISTINCT over
every row cost more than the rest of the page at 100,000 leads. Writes that carry a rule (stage
moves, conversion, completing tasks) go through the services and model methods.

In Arabic, phones, emails and amounts are shown left-to-right isolated (``+966…`` never reads
``…966+``) and free text in its own direction: see ``isolated_column``.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import display_for_field, display_for_value
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as django_gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ConfirmImportForm, ImportForm
from simple_history.admin import SimpleHistoryAdmin

from . import resources, services
from .forms import (
    LEAD_FIELDS,
    OPPORTUNITY_FIELDS,
    ProbabilityFollowsStage,
    offer_lead_statuses,
    outcome_input,
    service_data,
)
from .models import (
    TASK_OPEN_STATUSES,
    Campaign,
    Contact,
    Interaction,
    Lead,
    Opportunity,
    Rule,
    RuleAction,
    RuleCondition,
    RuleRun,
    SearchableModel,
    Stage,
    StageChange,
    Task,
)
from .paging import CappedCount
from .permissions import can_change
from .search import search, walking_the_sort
from .services.base import take_saved

admin.site.site_header = _("CRM administration")
admin.site.site_title = _("CRM administration")
admin.site.index_title = _("Sales team management")
admin.site.empty_value_display = "—"

AUDIT_FIELDS = ("created_by", "created_at", "updated_at")
# Form fields typed left to right whatever the language: a phone, an email, an amount.
LTR_FIELD_NAMES = ("phone", "email")


def isolated_column(model, name: str, direction: str, description=None):
    """A changelist column (or read-only field) showing ``name`` isolated in a ``<bdi>``.

    ``ltr`` for phones, emails and amounts, whose signs and digits the Arabic page would
    otherwise reorder; ``auto`` for free text and names, each in the direction of its own words.
    Sorted by the column itself; ``name`` may be an annotation (give ``description`` then).
    Text is shown as stored, so not for fields with choices (their labels would be lost).
    """
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = None

    plain_field = field is not None and not field.is_relation

    @admin.display(description=description or field.verbose_name, ordering=name)
    def column(model_admin, obj):
        value = getattr(obj, name)
        if value is None or value == "":
            return display_for_value(value, model_admin.get_empty_value_display())
        if isinstance(value, str):
            shown = value
        elif plain_field:  # a number or a date, formatted as the admin formats its fields
            shown = display_for_field(value, field, "")
        elif isinstance(value, Decimal):  # an annotated rate or amount: two places, on
            # every database (PostgreSQL keeps the scale of the computation, SQLite drops it)
            shown = number_format(value.quantize(Decimal("0.01")), 2)
        else:  # an annotation, or a linked record's name
            shown = display_for_value(value, "")
        return format_html('<bdi dir="{}">{}</bdi>', direction, shown)

    return column


def ltr(model, name: str, description=None):
    """A column of phones, emails or amounts, isolated left to right."""
    return isolated_column(model, name, "ltr", description)


def auto(model, name: str, description=None):
    """A column of free text or names, isolated in the direction of its own words."""
    return isolated_column(model, name, "auto", description)


class LeftToRightInputs:
    """Phone, email and money inputs typed left to right, in Arabic too."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        typed_ltr = db_field.name in LTR_FIELD_NAMES or isinstance(db_field, models.DecimalField)
        if formfield is not None and typed_ltr:
            formfield.widget.attrs["dir"] = "ltr"
        return formfield


def stars(rating) -> str:
    """A 1-5 rating as five stars, filled up to the rating."""
    if not rating:
        return "—"
    return "★" * rating + "☆" * (5 - rating)


def apply_each(request, records, write) -> tuple[int, list[str]]:
    """Run ``write(record)`` (a service call) on each record, in one transaction.

    A record the user may not change, or that the rules refuse, is skipped and named; an
    unexpected failure half-way undoes the whole action.
    """
    done, skipped = 0, []
    with transaction.atomic():
        # In id order, the order in which every writer of several records takes their rows (a
        # rename rewriting its deals): two writers taking them in other orders could wait on
        # each other.
        for record in sorted(records, key=lambda record: record.pk):
            try:
                with transaction.atomic():
                    write(record)
            except (PermissionDenied, ValidationError):
                skipped.append(str(record))
            else:
                done += 1
    return done, skipped


class KeysFirstPaginator(CappedCount, Paginator):
    """A changelist page read by its keys first (a deferred join), as the reps' lists read theirs.

    The filters, the search and the sort pick the page's ids from narrow index entries; its
    columns, joins and annotations are then read for those rows alone, from ``shown`` (the
    changelist's queryset before its filters), so the search is not tested a second time.
    Sorting 25,000 interactions that match a common word with all their columns took 116 ms;
    their ids alone, 45. Its count stops at 10,000, as the reps' lists' do: counting those
    25,000 matches cost a quarter of the page.
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, shown):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.shown = shown

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        keys = rows.values("pk")[bottom:top]
        if self.capped:  # a common word: a page of matches is met soon along the sort's index
            keys = walking_the_sort(keys)
        page_rows = self.shown.filter(pk__in=keys).order_by(*rows.query.order_by)
        return self._get_page(page_rows, number, self)


class KeysFirstChangelist:
    """A changelist paged by ``KeysFirstPaginator``: keys first, the count capped at 10,000.

    Above the cap, the page says "more than 10,000" where Django would print the count
    (``templates/admin/pagination.html``, ``search_form.html``, ``actions.html``).
    """

    # A filtered page counts its rows once, not the whole table a second time.
    show_full_result_count = False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        shown = self.get_queryset(request)
        if isinstance(self.list_select_related, list | tuple) and self.list_select_related:
            shown = shown.select_related(*self.list_select_related)
        return KeysFirstPaginator(queryset, per_page, orphans, allow_empty_first_page, shown=shown)

    def action_checkbox(self, obj):
        """Django's row check-box, the same markup written directly: rendering a form widget
        through the template engine for each of 100 rows took a fifth of the page."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(django_gettext("Select this object for an action - {}"), str(obj)),
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if changelist is not None and getattr(changelist.paginator, "capped", False):
            context["selection_note_all"] = _(
                "All matching %(name)s selected (more than %(limit)s)"
            ) % {
                "name": self.model._meta.verbose_name_plural,
                "limit": number_format(changelist.paginator.limit, force_grouping=True),
            }
        return response


class AuditedAdmin(KeysFirstChangelist, LeftToRightInputs, SimpleHistoryAdmin):
    """Every write goes through the record's service (``crm.services``): its rights, rules and
    history, the same as in the reps' pages. Its "History" page lists every change with who
    made it and what it changed; a revert is an edit of the record as it is now.

    Its search box is the reps' Arabic-aware search ("احمد" finds "أحمد"), on the indexed
    ``search_text`` column, in the changelist and in the autocomplete of other records' forms.
    """

    readonly_fields = AUDIT_FIELDS

    def has_change_permission(self, request, obj=None):
        # The same record rights as the reps' pages: staff who are reps change only their own.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_change(request.user, obj))

    def has_change_history_permission(self, request, obj=None):
        # A past version carries its old owner: the right is the one on the record as it is.
        if obj is not None:
            obj = self.model._default_manager.filter(pk=obj.pk).first()
            if obj is None:
                return False
        return self.has_change_permission(request, obj)

    def get_search_results(self, request, queryset, search_term):
        if not issubclass(self.model, SearchableModel):
            return super().get_search_results(request, queryset, search_term)
        return search(queryset, search_term), False

    def service(self):
        return services.for_model(self.model)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self.refusing_politely(
            request, super().changeform_view, request, object_id, form_url, extra_context
        )

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting writes the whole past version, not only the fields its form changed.
        request.crm_whole_version = True
        return self.refusing_politely(
            request, super().history_form_view, request, object_id, version_id, extra_context
        )

    def refusing_politely(self, request, view, *args):
        """A service's refusal (the rules said no) as a message on the same page, nothing
        saved: the view's transaction is rolled back before the message is shown."""
        try:
            return view(*args)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        data = service_data(form, whole=getattr(request, "crm_whole_version", not change))
        if change:
            saved = self.service().update(obj, by=request.user, data=data)
        else:
            saved = self.service().create(by=request.user, data=data)
        take_saved(obj, saved)

    def delete_model(self, request, obj):
        self.service().delete(obj, by=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for obj in queryset.order_by("pk"):  # in id order, as ``apply_each``
            self.service().delete(obj, by=request.user)

    def report_skipped(self, request, skipped: list[str]) -> None:
        if skipped:
            self.message_user(
                request,
                _("Left unchanged (not yours to change, or refused by the rules): %(names)s")
                % {"names": ", ".join(skipped)},
                messages.WARNING,
            )

    def save_formset(self, request, form, formset, change):
        """Inline rows (a lead's tasks, say) are records of their own, saved by their service
        with their own rights: a rep's lead page cannot change another rep's task."""
        if formset.model not in services.SERVICES:  # read-only rows (a deal's stage history)
            return super().save_formset(request, form, formset, change)
        service = services.for_model(formset.model)
        deleted = formset.deleted_forms
        # What the admin's change message lists (``formset.save`` would have set these).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            record = row.instance
            if row in deleted:
                if record.pk:
                    service.delete(record, by=request.user)
                    formset.deleted_objects.append(record)
            elif not row.has_changed():
                continue
            elif record.pk:
                take_saved(record, service.update(record, by=request.user, data=service_data(row)))
                formset.changed_objects.append((record, row.changed_data))
            else:
                data = {**service_data(row, whole=True), formset.fk.name: form.instance}
                take_saved(record, service.create(by=request.user, data=data))
                formset.new_objects.append(record)


class CRMImportForm(ImportForm):
    run_rules = forms.BooleanField(
        label=_("Run the automation rules on the imported records"),
        required=False,
        help_text=_("Off: the rules do nothing for this file's records."),
    )


class CRMConfirmImportForm(ConfirmImportForm):
    run_rules = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ImportExportAdmin(ImportExportModelAdmin):
    """CSV and XLSX, UTF-8 with a byte-order mark so spreadsheet programs show Arabic right;
    the automation rules run on an import's records only if the import asks for it."""

    formats = [CSV, XLSX]
    to_encoding = "utf-8-sig"
    import_form_class = CRMImportForm
    confirm_form_class = CRMConfirmImportForm

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["run_rules"] = import_form.cleaned_data.get("run_rules", False)
        return initial

    def process_result(self, result, request):
        # The confirm step refused what the preview accepted (records changed meanwhile):
        # nothing was saved; the import page names the row, column and value, as the preview.
        if result.has_errors() or result.has_validation_errors():
            form = self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request)
            )
            context = {
                **self.admin_site.each_context(request),
                "title": _("Import"),
                "opts": self.model._meta,
                "form": form,
                "media": self.media + form.media,
                "result": result,
            }
            return TemplateResponse(request, [self.import_template_name], context)
        return super().process_result(result, request)

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        kwargs = super().get_import_data_kwargs(**kwargs)
        if form is not None and hasattr(form, "cleaned_data"):
            kwargs["run_rules"] = bool(form.cleaned_data.get("run_rules"))
        # The confirm step must also roll back everything if any row fails validation.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs


class OutcomeChoicesMixin:
    """Offers the common interaction outcomes while keeping the field free text."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "outcome":
            kwargs["widget"] = outcome_input()
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# --- Inlines ---------------------------------------------------------------------------------


class InteractionInline(OutcomeChoicesMixin, admin.TabularInline):
    model = Interaction
    fields = ("kind", "subject", "outcome", "duration", "occurred_at")
    extra = 0
    show_change_link = True
    ordering = ("-occurred_at",)


class TaskInline(admin.TabularInline):
    model = Task
    fields = ("title", "priority", "status", "due_date", "assigned_to")
    autocomplete_fields = ("assigned_to",)
    extra = 0
    show_change_link = True


class StageChangeInline(admin.TabularInline):
    model = StageChange
    fk_name = "opportunity"
    fields = ("changed_at", "from_stage", "to_stage", "amount_ltr", "probability", "changed_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    amount_ltr = ltr(StageChange, "amount")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("from_stage", "to_stage", "changed_by")


# --- Campaigns -------------------------------------------------------------------------------


@admin.register(Campaign)
class CampaignAdmin(AuditedAdmin, ImportExportAdmin):
    resource_classes = [resources.CampaignResource]
    list_display = (
        "name_auto",
        "kind",
        "status",
        "start_date",
        "end_date",
        "budget_ltr",
        "actual_cost_ltr",
        "over_budget",
        "leads_count",
        "converted_count",
        "conversion_rate",
        "cost_per_lead",
        "won_revenue",
        "roi",
        "owner",
    )
    list_filter = ("kind", "status", "start_date", "owner")
    search_fields = ("name", "description")
    autocomplete_fields = ("owner",)
    list_select_related = ("owner",)

    name_auto = auto(Campaign, "name")
    budget_ltr = ltr(Campaign, "budget")
    actual_cost_ltr = ltr(Campaign, "actual_cost")
    # Rates and ROI may be negative: "-12.5" must not read "12.5-".
    conversion_rate = ltr(Campaign, "conversion_rate", _("conversion rate (%)"))
    cost_per_lead = ltr(Campaign, "cost_per_lead", _("cost per lead"))
    won_revenue = ltr(Campaign, "won_revenue", _("won revenue"))
    roi = ltr(Campaign, "roi", _("ROI (%)"))

    def get_queryset(self, request):
        return super().get_queryset(request).with_metrics()

    @admin.display(description=_("leads"), ordering="leads_count")
    def leads_count(self, obj):
        return obj.leads_count

    @admin.display(description=_("converted"), ordering="converted_count")
    def converted_count(self, obj):
        return obj.converted_count

    @admin.display(description=_("over budget"), boolean=True)
    def over_budget(self, obj):
        return obj.is_over_budget


# --- Contacts --------------------------------------------------------------------------------


@admin.register(Contact)
class ContactAdmin(AuditedAdmin, ImportExportAdmin):
    resource_classes = [resources.ContactResource]
    list_display = (
        "name_auto",
        "company_auto",
        "title_auto",
        "email_ltr",
        "phone_ltr",
        "owner",
        "created_at",
    )
    list_filter = ("owner", "created_at")
    search_fields = ("name", "company", "email", "phone")
    autocomplete_fields = ("owner",)
    readonly_fields = ("source_lead", *AUDIT_FIELDS)
    list_select_related = ("owner",)
    inlines = [InteractionInline, TaskInline]

    name_auto = auto(Contact, "name")
    company_auto = auto(Contact, "company")
    title_auto = auto(Contact, "title")
    email_ltr = ltr(Contact, "email")
    phone_ltr = ltr(Contact, "phone")


# --- Leads -----------------------------------------------------------------------------------


class LeadAdminForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = LEAD_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_lead_statuses(self)


class OpportunityAdminForm(ProbabilityFollowsStage, forms.ModelForm):
    class Meta:
        model = Opportunity
        fields = OPPORTUNITY_FIELDS


@admin.register(Lead)
class LeadAdmin(AuditedAdmin, ImportExportAdmin):
    form = LeadAdminForm
    resource_classes = [resources.LeadResource]
    list_display = (
        "name_auto",
        "company_auto",
        "email_ltr",
        "phone_ltr",
        "status",
        "rating_stars",
        "source",
        "expected_revenue_ltr",
        "campaign_auto",
        "owner",
        "created_at",
    )
    list_filter = ("status", "source", "rating", "campaign", "owner", "created_at")
    search_fields = ("name", "company", "email", "phone")
    autocomplete_fields = ("campaign", "owner")
    list_select_related = ("campaign", "owner")
    readonly_fields = ("contact", "converted_at", "converted_by", *AUDIT_FIELDS)
    inlines = [InteractionInline, TaskInline]
    actions = ["convert_selected"]

    name_auto = auto(Lead, "name")
    company_auto = auto(Lead, "company")
    email_ltr = ltr(Lead, "email")
    phone_ltr = ltr(Lead, "phone")
    expected_revenue_ltr = ltr(Lead, "expected_revenue")
    campaign_auto = auto(Lead, "campaign")

    @admin.display(description=_("rating"), ordering="rating")
    def rating_stars(self, obj):
        return stars(obj.rating)

    @admin.action(description=_("Convert selected leads to customers"), permissions=["change"])
    def convert_selected(self, request, queryset):
        def convert(lead):
            matches = list(Contact.objects.matching_lead(lead)[:2])
            if len(matches) > 1:
                # Which of several look-alikes is the same person is the rep's call, on the page.
                raise ValidationError("several matches", code="ambiguous")
            services.lead_convert(lead=lead, by=request.user, contact=next(iter(matches), None))

        converted, skipped = apply_each(request, queryset, convert)
        if converted:
            self.message_user(
                request,
                ngettext("%(count)d lead converted.", "%(count)d leads converted.", converted)
                % {"count": converted},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _(
                    "Not converted (already converted, lost, or matching several customers): "
                    "%(names)s"
                )
                % {"names": ", ".join(skipped)},
                messages.WARNING,
            )


# --- Pipeline --------------------------------------------------------------------------------


@admin.register(Stage)
class StageAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "name_ar",
        "code",
        "order",
        "default_probability",
        "is_closed",
        "is_won",
        "rotting_days",
    )
    list_editable = ("order", "default_probability", "rotting_days")
    search_fields = ("name", "name_ar", "code")
    ordering = ("order",)


@admin.register(StageChange)
class StageChangeAdmin(KeysFirstChangelist, admin.ModelAdmin):
    """The stage history is a record of what happened: readable, never edited by hand."""

    list_display = (
        "opportunity_auto",
        "from_stage",
        "to_stage",
        "amount_ltr",
        "probability",
        "changed_by",
        "changed_at",
    )
    # Shown read-only (nobody may change a stage change): the amount isolated there too.
    fields = (
        "opportunity",
        "from_stage",
        "to_stage",
        "amount_ltr",
        "probability",
        "changed_by",
        "changed_at",
    )
    list_filter = ("to_stage", "changed_at")
    search_fields = ("opportunity__name",)
    list_select_related = ("opportunity", "from_stage", "to_stage", "changed_by")
    # Newest first, in the order they were recorded: the id is indexed, changed_at alone is not
    # (sorting every change by it to show 100 took longer than the rest of the page).
    ordering = ("-pk",)

    opportunity_auto = auto(StageChange, "opportunity")
    amount_ltr = ltr(StageChange, "amount")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CloseLostForm(forms.Form):
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=255)


@admin.register(Opportunity)
class OpportunityAdmin(AuditedAdmin, ImportExportAdmin):
    form = OpportunityAdminForm
    resource_classes = [resources.OpportunityResource]
    list_display = (
        "name_auto",
        "contact_auto",
        "lead_auto",
        "stage",
        "amount_ltr",
        "probability",
        "expected_value",
        "expected_close_date",
        "campaign_auto",
        "owner",
        "closed_at",
    )
    list_filter = ("stage", "owner", "campaign", "created_at", "expected_close_date", "closed_at")
    search_fields = ("name", "contact__name", "lead__name", "description")
    autocomplete_fields = ("contact", "lead", "campaign", "owner")
    list_select_related = ("contact", "lead", "stage", "campaign", "owner")
    readonly_fields = ("closed_at", *AUDIT_FIELDS)
    inlines = [StageChangeInline]
    actions = ["close_as_lost"]

    name_auto = auto(Opportunity, "name")
    contact_auto = auto(Opportunity, "contact")
    lead_auto = auto(Opportunity, "lead")
    amount_ltr = ltr(Opportunity, "amount")
    expected_value = ltr(Opportunity, "expected_value", _("expected value"))
    campaign_auto = auto(Opportunity, "campaign")

    def get_queryset(self, request):
        return super().get_queryset(request).with_expected_value()

    @admin.action(description=_("Close selected opportunities as lost"), permissions=["change"])
    def close_as_lost(self, request, queryset):
        lost_stage = Stage.objects.filter(is_closed=True, is_won=False).order_by("order").first()
        open_deals = [
            deal
            for deal in queryset.filter(stage__is_closed=False).select_related("stage")
            if can_change(request.user, deal)
        ]
        form = CloseLostForm(request.POST if "apply" in request.POST else None)
        if lost_stage and form.is_valid():
            count, _skipped = apply_each(
                request,
                open_deals,
                lambda deal: services.opportunity_move_stage(
                    opportunity=deal,
                    stage=lost_stage,
                    by=request.user,
                    lost_reason=form.cleaned_data["lost_reason"],
                ),
            )
            self.message_user(
                request,
                ngettext(
                    "%(count)d opportunity closed as lost.",
                    "%(count)d opportunities closed as lost.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/crm/opportunity/close_lost.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Close opportunities as lost"),
                "opts": self.model._meta,
                "form": form,
                "opportunities": open_deals,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "action": "close_as_lost",
            },
        )


# --- Activities ------------------------------------------------------------------------------


@admin.register(Interaction)
class InteractionAdmin(OutcomeChoicesMixin, AuditedAdmin):
    list_display = (
        "subject_auto",
        "kind",
        "outcome_auto",
        "duration",
        "occurred_at",
        "lead_auto",
        "contact_auto",
        "opportunity_auto",
        "created_by",
    )
    list_filter = ("kind", "occurred_at", "created_by")
    search_fields = ("subject", "notes", "outcome")
    autocomplete_fields = ("lead", "contact", "opportunity")
    list_select_related = ("lead", "contact", "opportunity", "created_by")

    subject_auto = auto(Interaction, "subject")
    outcome_auto = auto(Interaction, "outcome")
    lead_auto = auto(Interaction, "lead")
    contact_auto = auto(Interaction, "contact")
    opportunity_auto = auto(Interaction, "opportunity")


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_overdue=True)
        if self.value() == "no":
            return queryset.filter(is_overdue=False)
        return queryset


@admin.register(Task)
class TaskAdmin(AuditedAdmin):
    list_display = (
        "title_auto",
        "priority",
        "status",
        "due_date",
        "overdue",
        "assigned_to",
        "lead_auto",
        "contact_auto",
        "opportunity_auto",
        "completed_at",
    )
    list_filter = (OverdueFilter, "status", "priority", "assigned_to", "due_date")
    search_fields = ("title", "description")
    autocomplete_fields = ("assigned_to", "lead", "contact", "opportunity")
    list_select_related = ("assigned_to", "lead", "contact", "opportunity")
    readonly_fields = ("completed_at", *AUDIT_FIELDS)
    actions = ["mark_completed", "reopen"]

    title_auto = auto(Task, "title")
    lead_auto = auto(Task, "lead")
    contact_auto = auto(Task, "contact")
    opportunity_auto = auto(Task, "opportunity")

    def get_queryset(self, request):
        return super().get_queryset(request).with_overdue()

    @admin.display(description=_("overdue"), boolean=True, ordering="is_overdue")
    def overdue(self, obj):
        return obj.is_overdue

    @admin.action(description=_("Mark selected tasks completed"), permissions=["change"])
    def mark_completed(self, request, queryset):
        count, skipped = apply_each(
            request,
            queryset.filter(status__in=TASK_OPEN_STATUSES),
            lambda task: services.task_complete(task=task, by=request.user),
        )
        self.message_user(
            request,
            ngettext("%(count)d task marked completed.", "%(count)d tasks marked completed.", count)
            % {"count": count},
            messages.SUCCESS,
        )
        self.report_skipped(request, skipped)

    @admin.action(description=_("Reopen selected tasks"), permissions=["change"])
    def reopen(self, request, queryset):
        count, skipped = apply_each(
            request,
            queryset.exclude(status__in=TASK_OPEN_STATUSES),
            lambda task: services.task_reopen(task=task, by=request.user),
        )
        self.message_user(
            request,
            ngettext("%(count)d task reopened.", "%(count)d tasks reopened.", count)
            % {"count": count},
            messages.SUCCESS,
        )
        self.report_skipped(request, skipped)


# --- Automation --------------------------------------------------------------------------------


class RuleConditionInline(admin.TabularInline):
    model = RuleCondition
    fields = ("field", "operator", "value")
    extra = 0


class RuleActionInline(admin.StackedInline):
    model = RuleAction
    extra = 0
    autocomplete_fields = ("user", "recipients")
    fieldsets = (
        (None, {"fields": ("kind",)}),
        (_("Create a task"), {"fields": ("title", "due_in_days", "priority")}),
        (_("Who gets it (a task, an owner)"), {"fields": ("assignee", "user", "group")}),
        (_("Set a field"), {"fields": ("field", "value")}),
        (_("Notify users, log a note"), {"fields": ("message", "notify_owner", "recipients")}),
    )


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    """Managers' rules: a trigger, its conditions and its actions, and a link to its runs."""

    list_display = ("name", "record", "trigger", "is_active", "created_by", "runs_link")
    list_filter = ("is_active", "record", "trigger")
    search_fields = ("name",)
    list_select_related = ("created_by",)
    autocomplete_fields = ("campaign",)
    readonly_fields = ("created_by", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "is_active", "record", "trigger")}),
        (_("A field changes to a value"), {"fields": ("field", "value")}),
        (_("A deal with no interaction"), {"fields": ("days",)}),
        (_("A lead from a campaign or source"), {"fields": ("campaign", "source")}),
        (None, {"fields": ("created_by", "created_at")}),
    )
    inlines = [RuleConditionInline, RuleActionInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user  # its actions act as the manager who wrote it
        super().save_model(request, obj, form, change)

    @admin.display(description=_("runs"))
    def runs_link(self, obj):
        from django.urls import reverse

        url = reverse("crm:automation-runs") + f"?rule={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Run log"))


@admin.register(RuleRun)
class RuleRunAdmin(admin.ModelAdmin):
    """The run log, read only (the rules' jobs write it)."""

    list_display = ("created_at", "rule", "target", "trigger", "outcome", "attempts", "error")
    list_filter = ("outcome", "trigger", "rule")
    list_select_related = ("rule", "target_type")
    readonly_fields = [f.name for f in RuleRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("record"))
    def target(self, obj):
        url = obj.target_url()
        label = f"{obj.target_type.name} #{obj.target_id}"
        return format_html('<a href="{}">{}</a>', url, label) if url else label
