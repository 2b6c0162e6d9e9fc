"""The reps' forms: ModelForms with explicit fields, and the pieces the admin shares with them."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import (
    Campaign,
    Contact,
    Interaction,
    InteractionOutcome,
    Lead,
    LeadStatus,
    Opportunity,
    Stage,
    Task,
)

# The fields people fill in for each record; import files use the same columns (plus id).
LEAD_FIELDS = Lead.EDITABLE_FIELDS
CONTACT_FIELDS = Contact.EDITABLE_FIELDS
OPPORTUNITY_FIELDS = Opportunity.EDITABLE_FIELDS
CAMPAIGN_FIELDS = Campaign.EDITABLE_FIELDS


# The version of an edit that says where it started from in no readable way.
UNKNOWN_VERSION = datetime.datetime.min.replace(tzinfo=datetime.UTC)


class DatalistTextInput(forms.TextInput):
    """A free-text input that offers common values to pick from (an HTML datalist)."""

    template_name = "crm/widgets/datalist_text.html"

    def __init__(self, options, attrs=None):
        super().__init__(attrs)
        self.options = options

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        list_id = f"{context['widget']['attrs'].get('id') or name}-options"
        context["widget"]["attrs"]["list"] = list_id
        context["widget"]["list_id"] = list_id
        context["widget"]["options"] = [str(label) for label in self.options]
        return context


def outcome_input() -> DatalistTextInput:
    """The interaction outcome: free text, offering the common outcomes in the user's language."""
    return DatalistTextInput(InteractionOutcome.labels)


class SearchSelect(forms.Select):
    """A record picker for big tables: a search box fills the list as you type.

    Only the chosen record is rendered as an option, so a page never lists 100,000 leads; the
    search box asks ``crm:lookup`` for matches (htmx) and replaces the options.
    """

    template_name = "crm/widgets/search_select.html"

    def __init__(self, kind, attrs=None):
        super().__init__(attrs)
        self.kind = kind

    def optgroups(self, name, value, attrs=None):
        field = self.choices.field
        chosen = [v for v in value if is_record_id(v)]
        options = [self.create_option(name, "", field.empty_label or "—", not chosen, 0)]
        for index, obj in enumerate(self.choices.queryset.filter(pk__in=chosen), start=1):
            label = field.label_from_instance(obj)
            options.append(self.create_option(name, obj.pk, label, True, index))
        return [(None, options, 0)]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["lookup_url"] = reverse("crm:lookup", args=[self.kind])
        return context


def user_choices():
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "username")


def is_record_id(value) -> bool:
    """Digits that fit a 64-bit id column (longer ones would overflow the database driver)."""
    text = str(value)
    return text.isdecimal() and len(text) <= 18


class RecordChoiceField(forms.ModelChoiceField):
    """A record chosen by id; an id no database column can hold is an invalid choice, not a 500."""

    def to_python(self, value):
        if value not in self.empty_values and not is_record_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def record_formfield(db_field, **kwargs):
    """Form fields for the CRM's forms: links to records use ``RecordChoiceField``."""
    if isinstance(db_field, models.ForeignKey):
        kwargs.setdefault("form_class", RecordChoiceField)
    return db_field.formfield(**kwargs)


def service_data(form: forms.ModelForm, *, whole: bool | None = None) -> dict:
    """What the user filled in, for the record's write service.

    Every field for a new record (or with ``whole``); for an edit, only the fields the user
    changed, so that an untouched field never writes back what the page read earlier.
    """
    if whole is None:
        whole = form.instance._state.adding
    names = form.cleaned_data if whole else form.changed_data
    editable = form._meta.model.EDITABLE_FIELDS
    return {name: form.cleaned_data[name] for name in names if name in editable}


def offer_lead_statuses(form: forms.ModelForm) -> None:
    """ "Converted" is reached only through the convert page: not offered, and fixed once set."""
    if "status" not in form.fields:  # read-only (the admin, to someone who may not change it)
        return
    field = form.fields["status"]
    field.choices = [choice for choice in LeadStatus.choices if choice[0] != LeadStatus.CONVERTED]
    if form.instance.pk and form.instance.is_converted:
        field.disabled = True
        field.choices = LeadStatus.choices


class ProbabilityFollowsStage:
    """An opportunity form whose probability left empty means "follow the stage"
    (``services.opportunities``); a new deal starts so."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["probability"].required = False
        self.fields["probability"].help_text = _(
            "Leave as it is to follow the stage; a figure you type is kept on later moves."
        )
        if not self.instance.pk:
            self.initial["probability"] = None

    def _get_validation_exclusions(self):
        exclusions = super()._get_validation_exclusions()
        # Left empty, the stage's probability is filled in by the service, not by this form.
        if self.cleaned_data.get("probability") is None:
            exclusions.add("probability")
        return exclusions


class CRMForm(forms.ModelForm):
    """Shared form behaviour: owners and assignees are active users; record pickers search;
    an edit carries the version of the record it started from (see ``views.base``)."""

    seen_version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        formfield_callback = staticmethod(record_formfield)

    # Links to records that may number in the hundreds of thousands: searched, never listed.
    search_fields = {"lead": "leads", "contact": "contacts", "opportunity": "opportunities"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("owner", "assigned_to"):
            if name in self.fields:
                field = self.fields[name]
                field.required = True  # new records default to their creator (the initial value)
                field.queryset = user_choices()
                field.label_from_instance = lambda user: user.get_full_name() or user.username
        for name, kind in self.search_fields.items():
            if name in self.fields:
                field = self.fields[name]
                field.widget = SearchSelect(kind)
                field.widget.choices = field.choices
        if "campaign" in self.fields:
            self.fields["campaign"].queryset = Campaign.objects.order_by("-start_date", "name")
        # Typed and shown left to right in Arabic too: "+966…" must not read "…966+".
        for name, mode in (("email", "email"), ("phone", "tel")):
            if name in self.fields:
                self.fields[name].widget.attrs.update(dir="ltr", inputmode=mode)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.updated_at.isoformat()

    def seen_version_datetime(self) -> datetime.datetime:
        """The ``updated_at`` the user's edit started from.

        Missing or garbled, it is a time no record has, so the save is refused as stale.
        """
        try:
            seen = datetime.datetime.fromisoformat(self.cleaned_data.get("seen_version") or "")
        except ValueError:
            return UNKNOWN_VERSION
        return seen if seen.tzinfo else UNKNOWN_VERSION

    def service_data(self) -> dict:
        return service_data(self)


class LeadForm(CRMForm):
    class Meta(CRMForm.Meta):
        model = Lead
        fields = LEAD_FIELDS
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "rating": forms.Select(
                choices=[("", "—"), *((n, "★" * n) for n in range(1, 6))],
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_lead_statuses(self)
        self.fields["lost_reason"].help_text = _("Needed when the status is lost.")


class ContactForm(CRMForm):
    class Meta(CRMForm.Meta):
        model = Contact
        fields = CONTACT_FIELDS
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }


class OpportunityForm(ProbabilityFollowsStage, CRMForm):
    class Meta(CRMForm.Meta):
        model = Opportunity
        fields = OPPORTUNITY_FIELDS
        widgets = {
            "expected_close_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.order_by("order")
        self.fields["stage"].label_from_instance = lambda stage: stage.display_name
        self.fields["lost_reason"].help_text = _("Needed when the stage is lost.")


class InteractionForm(CRMForm):
    class Meta(CRMForm.Meta):
        model = Interaction
        fields = Interaction.EDITABLE_FIELDS
        widgets = {
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget = outcome_input()
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class TaskForm(CRMForm):
    class Meta(CRMForm.Meta):
        model = Task
        fields = Task.EDITABLE_FIELDS
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "due_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "reminder": _(
                "A notification to the assignee; a task with no due time counts from the "
                "start of the workday."
            ),
        }


class CampaignForm(CRMForm):
    class Meta(CRMForm.Meta):
        model = Campaign
        fields = CAMPAIGN_FIELDS
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }


class LeadLostForm(forms.Form):
    lost_reason = forms.CharField(label=_("Why was it lost?"), max_length=255)


class ConvertForm(forms.Form):
    """The convert page: a new customer or one of the look-alikes, and maybe a deal."""

    NEW = "new"

    customer = forms.ChoiceField(label=_("Customer"), widget=forms.RadioSelect)
    create_opportunity = forms.BooleanField(
        label=_("Also create an opportunity"), required=False, initial=True
    )
    opportunity_name = forms.CharField(label=_("Opportunity name"), max_length=200, required=False)
    opportunity_amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, lead, matches, **kwargs):
        super().__init__(*args, **kwargs)
        self.matches = {str(contact.pk): contact for contact in matches}
        self.fields["customer"].choices = [
            (self.NEW, _("Create a new customer from this lead")),
            *(
                (
                    pk,
                    _("Attach to %(name)s (%(detail)s)")
                    % {
                        "name": contact.name,
                        # Isolated, so an email keeps its shape inside Arabic text.
                        "detail": "\u2068%s\u2069"
                        % (contact.email or contact.phone or contact.company),
                    },
                )
                for pk, contact in self.matches.items()
            ),
        ]
        self.fields["customer"].initial = self.NEW
        self.fields["opportunity_name"].initial = lead.company or lead.name
        self.fields["opportunity_amount"].initial = lead.expected_revenue

    def chosen_contact(self) -> Contact | None:
        return self.matches.get(self.cleaned_data["customer"])


class QuickLeadForm(CRMForm):
    """A lead in five fields, from any page (the navigation bar's quick add): the rest keeps
    its defaults, and the user owns it."""

    class Meta(CRMForm.Meta):
        model = Lead
        fields = ("name", "company", "phone", "email", "source")


class SavedViewForm(forms.Form):
    """Save the list as it is shown: a name, shared or not, and whether it opens the list."""

    name = forms.CharField(
        label=_("Name of the view"),
        max_length=80,
        error_messages={"required": _("Give the view a name.")},
    )
    shared = forms.BooleanField(
        label=_("Share with the team"),
        required=False,
        help_text=_("Everyone who sees this list can open it; only you can change it."),
    )
    default = forms.BooleanField(label=_("Open this list on it"), required=False)
