"""Customers (contacts): the list, the record's page and its forms."""

from django.utils.translation import gettext_lazy as _

from .. import columns
from ..filters import ContactFilter
from ..forms import ContactForm
from ..models import Contact
from .base import CRMCreateView, CRMDetailView, CRMListView, CRMUpdateView
from .lookup import LookAlikesMixin

TIMELINE_SIZE = 50


class ContactListView(CRMListView):
    model = Contact
    filterset_class = ContactFilter
    template_name = "crm/contact_list.html"
    nav = "contacts"
    list_title = _("Customers")
    columns = columns.CONTACT
    sort_fields = {
        "name": "name",
        "company": "company",
        "email": "email",
        "owner": "owner_id",
        "created": "created_at",
    }
    default_ordering = ("name", "pk")

    def get_rows(self):
        return Contact.objects.for_list()


class ContactDetailView(LookAlikesMixin, CRMDetailView):
    model = Contact
    template_name = "crm/contact_detail.html"
    nav = "contacts"
    look_alike_kind = "contacts"

    def get_queryset(self):
        return Contact.objects.for_detail()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contact = self.object
        context["opportunities"] = contact.opportunities.with_expected_value().select_related(
            "stage"
        )
        context["interactions"] = contact.interactions.select_related("created_by")[:TIMELINE_SIZE]
        context["tasks"] = contact.tasks.with_overdue().select_related("assigned_to")
        context["leads"] = contact.leads.all()
        return context


class ContactCreateView(LookAlikesMixin, CRMCreateView):
    model = Contact
    form_class = ContactForm
    nav = "contacts"
    look_alike_kind = "contacts"


class ContactUpdateView(LookAlikesMixin, CRMUpdateView):
    model = Contact
    form_class = ContactForm
    nav = "contacts"
    look_alike_kind = "contacts"
