"""Customers (contacts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .base import OwnedModel, phone_validator

if TYPE_CHECKING:
    from .lead import Lead


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

    def get_absolute_url(self):
        return reverse("crm:contact-detail", args=[self.pk])
