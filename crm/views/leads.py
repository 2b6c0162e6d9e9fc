"""Leads: the list, the record's page, its forms, and conversion into a customer."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.generic import FormView, View

from .. import columns, services
from ..bulk import SETTABLE_LEAD_STATUSES
from ..filters import LeadFilter
from ..forms import ConvertForm, LeadForm, LeadLostForm
from ..models import Contact, Lead
from ..permissions import can_change
from .base import (
    CRMCreateView,
    CRMDetailView,
    CRMListView,
    CRMUpdateView,
    ModelPermissionMixin,
    NavMixin,
    PostOnlyActionView,
    redirect_to,
)
from .lookup import LookAlikesMixin

TIMELINE_SIZE = 50


class LeadListView(CRMListView):
    model = Lead
    filterset_class = LeadFilter
    template_name = "crm/lead_list.html"
    nav = "leads"
    columns = columns.LEAD
    sort_fields = {
        "name": "name",
        "company": "company",
        "status": "status",
        "rating": "rating",
        "source": "source",
        "expected_revenue": "expected_revenue",
        # By the linked record's id (which groups its rows), not its name: that sort is an
        # index read, where sorting a million leads by a joined name is not.
        "campaign": "campaign_id",
        "owner": "owner_id",
        "created": "created_at",
    }

    def get_rows(self):
        return Lead.objects.for_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lead_statuses"] = SETTABLE_LEAD_STATUSES
        return context


class LeadDetailView(LookAlikesMixin, CRMDetailView):
    model = Lead
    template_name = "crm/lead_detail.html"
    nav = "leads"
    look_alike_kind = "leads"

    def get_queryset(self):
        return Lead.objects.for_detail()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lead = self.object
        context["interactions"] = lead.interactions.select_related("created_by")[:TIMELINE_SIZE]
        context["tasks"] = lead.tasks.with_overdue().select_related("assigned_to")
        context["opportunities"] = lead.opportunities.with_expected_value().select_related(
            "stage", "contact"
        )
        context["lost_form"] = LeadLostForm()
        return context


class LeadCreateView(LookAlikesMixin, CRMCreateView):
    model = Lead
    form_class = LeadForm
    nav = "leads"
    look_alike_kind = "leads"


class LeadUpdateView(LookAlikesMixin, CRMUpdateView):
    model = Lead
    form_class = LeadForm
    nav = "leads"
    look_alike_kind = "leads"


class LeadConvertView(ModelPermissionMixin, NavMixin, FormView):
    """Turn the lead into a customer, proposing look-alike customers first."""

    permission_required = ("crm.change_lead", "crm.add_contact")
    template_name = "crm/lead_convert.html"
    form_class = ConvertForm
    nav = "leads"

    def dispatch(self, request, *args, **kwargs):
        self.lead = get_object_or_404(Lead.objects.for_list(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def has_permission(self):
        return super().has_permission() and can_change(self.request.user, self.lead)

    def get_matches(self):
        return list(Contact.objects.matching_lead(self.lead)[:10])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(lead=self.lead, matches=self.get_matches())
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lead"] = self.lead
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            conversion = services.lead_convert(
                lead=self.lead,
                by=self.request.user,
                contact=form.chosen_contact(),
                create_opportunity=data["create_opportunity"],
                opportunity_name=data["opportunity_name"],
                opportunity_amount=data["opportunity_amount"],
                expected_close_date=data["expected_close_date"],
            )
        except ValidationError as error:
            # A second conversion (another tab, a double click) changes nothing and says so.
            for message in error.messages:
                messages.error(self.request, message)
            return redirect_to(self.lead)
        if conversion.contact_created:
            text = _("%(lead)s is now the customer %(contact)s.")
        else:
            text = _("%(lead)s was attached to the existing customer %(contact)s.")
        messages.success(
            self.request, text % {"lead": self.lead.name, "contact": conversion.contact.name}
        )
        if conversion.opportunity:
            messages.success(
                self.request,
                _("Opportunity created: %(name)s") % {"name": conversion.opportunity.name},
            )
        return redirect_to(conversion.contact)


class LeadMarkLostView(PostOnlyActionView, View):
    model = Lead

    def post(self, request, pk):
        lead = get_object_or_404(Lead, pk=pk)
        form = LeadLostForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say why the lead was lost."))
            return redirect_to(lead)
        try:
            services.lead_mark_lost(
                lead=lead, by=request.user, reason=form.cleaned_data["lost_reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The lead is marked lost."))
        return redirect_to(lead)


class LeadReopenView(PostOnlyActionView, View):
    model = Lead

    def post(self, request, pk):
        lead = get_object_or_404(Lead, pk=pk)
        try:
            services.lead_reopen(lead=lead, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The lead is open again, as new."))
        return redirect_to(lead)
