"""Customers (contacts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..search import phone_key
from .base import OwnedModel, SearchableModel, phone_validator, sort_indexes

if TYPE_CHECKING:
    from .lead import Lead


class ContactQuerySet(models.QuerySet):
    def for_list(self) -> ContactQuerySet:
        """With what a list of customers shows."""
        return self.select_related("owner")

    def for_detail(self) -> ContactQuerySet:
        return self.select_related("owner", "source_lead", "created_by")

    def matching_lead(self, lead: Lead) -> ContactQuerySet:
        """Contacts that look like the same person as ``lead``: same email or same phone.

        Emails match whatever their case; phones by their last 9 digits, so "+966 55 123 4567"
        and "0551234567" (or the same typed in Arabic-Indic digits) are the same number.
        """
        match = Q()
        if lead.email:
            match |= Q(email__iexact=lead.email)
        if key := phone_key(lead.phone):
            match |= Q(phone_key=key)
        if not match:
            return self.none()
        return self.filter(match).select_related("owner").order_by("name", "pk")


class Contact(SearchableModel, OwnedModel):
    """A customer person (العميل الفعلي), often made from a converted lead."""

    SEARCHED_FIELDS = ("name", "company", "title", "email", "phone", "address", "notes")
    # The fields people fill in (forms, the admin, imports); the services write no others.
    EDITABLE_FIELDS = ("name", "company", "title", "email", "phone", "address", "owner", "notes")
    DERIVED_FIELDS = ("search_text", "phone_key")

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[phone_validator])
    address = models.TextField(_("address"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The phone's last 9 digits, indexed, so look-alike customers are found however it was typed.
    phone_key = models.CharField(max_length=9, blank=True, default="", editable=False)
    source_lead = models.ForeignKey(
        "Lead",
        verbose_name=_("source lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ContactQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_text", "phone_key"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="crm_contact_name_idx"),
            models.Index(fields=["-created_at"], name="crm_contact_created_idx"),
            # Duplicate proposals compare emails ignoring case, and phones by their last digits.
            models.Index(Upper("email"), name="crm_contact_email_upper_idx"),
            models.Index(fields=["phone_key"], name="crm_contact_phone_key_idx"),
            models.Index(fields=["owner", "name"], name="crm_contact_owner_idx"),
            *sort_indexes("contact", "company", "email", "owner"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="crm_contact_name_not_empty"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("crm:contact-detail", args=[self.pk])

    def refresh_derived(self) -> None:
        super().refresh_derived()
        self.phone_key = phone_key(self.phone)
