"""Customers (contacts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import PHONE_VALIDATORS, OwnedModel, ReachableModel, ReachableQuerySet, sort_indexes

if TYPE_CHECKING:
    from .lead import Lead


class ContactQuerySet(ReachableQuerySet):
    def for_list(self) -> ContactQuerySet:
        """With what a list of customers shows."""
        return self.select_related("owner")

    def for_detail(self) -> ContactQuerySet:
        return self.select_related("owner", "source_lead", "created_by")

    def matching_lead(self, lead: Lead) -> ContactQuerySet:
        """Contacts that look like the same person as ``lead``: same email or same phone.

        Emails match whatever their case and surrounding spaces; phones by their E.164 form,
        so "+966 55 123 4567" and "0551234567" (or the same in Arabic-Indic digits) are one.
        """
        return (
            self.sharing(email=lead.email, phone=lead.phone)
            .select_related("owner")
            .order_by("name", "pk")
        )


class Contact(ReachableModel, OwnedModel):
    """A customer person (العميل الفعلي), often made from a converted lead."""

    SEARCHED_FIELDS = ("name", "company", "title", "email", "phone", "address", "notes")
    # The fields people fill in (forms, the admin, imports); the services write no others.
    EDITABLE_FIELDS = ("name", "company", "title", "email", "phone", "address", "owner", "notes")

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=PHONE_VALIDATORS)
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
    history = HistoricalRecords(excluded_fields=["search_text", "phone_e164", "email_key"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="crm_contact_name_idx"),
            models.Index(fields=["-created_at"], name="crm_contact_created_idx"),
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
