"""Import and export (CSV, XLSX) of leads, contacts, opportunities and campaigns.

Rows are matched on ``id``: an exported file imported again updates its records instead of
duplicating them, and a row without an id makes a new record. Every row is validated like a form
(``full_clean``); one bad row rolls back the whole file.
"""

import re

from django.contrib.auth import get_user_model
from import_export import fields, resources, widgets

from . import services
from .forms import CAMPAIGN_FIELDS, CONTACT_FIELDS, LEAD_FIELDS, OPPORTUNITY_FIELDS
from .models import Campaign, Contact, Lead, Opportunity, Stage

User = get_user_model()

# Text a spreadsheet would take for a formula: = @ tab CR, or + and - not starting a number.
FORMULA = re.compile(r"^(?:[=@\t\r]|[+-](?![\d\s.]))")


class UsernameWidget(widgets.ForeignKeyWidget):
    """A user by username, for owners; a clear error when the username is unknown."""

    def __init__(self):
        super().__init__(User, field="username")


class CRMResource(resources.ModelResource):
    """Shared behaviour: validation, id matching, and the importing user as creator and owner."""

    owner = fields.Field(attribute="owner", column_name="owner", widget=UsernameWidget())

    class Meta:
        import_id_fields = ("id",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def export_field(self, field, instance, **kwargs):
        # A cell a spreadsheet would run as a formula is exported as text (a leading ').
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str) and FORMULA.match(value):
            return "'" + value
        return value

    def before_import_row(self, row, **kwargs):
        # What export_field guarded comes back as it was: the round trip loses nothing.
        for column, value in row.items():
            if isinstance(value, str) and value.startswith("'") and FORMULA.match(value[1:]):
                row[column] = value[1:]

    def before_save_instance(self, instance, row, **kwargs):
        user = kwargs.get("user")
        if instance._state.adding and user is not None:
            instance.created_by = user
            instance.fill_owner(user)


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

    def do_instance_save(self, instance, is_create):
        # Saving goes through the stage rule (probability, closed_at, history) like any other path.
        by_hand = bool(self._row_probability) and instance.probability != (
            instance.stage.default_probability
        )
        services.opportunity_save(
            opportunity=instance, by=self._user, probability_set_by_hand=by_hand
        )

    def save_instance(self, instance, is_create, row, **kwargs):
        self._user = kwargs.get("user")
        self._row_probability = str(row.get("probability") or "").strip()
        super().save_instance(instance, is_create, row, **kwargs)
