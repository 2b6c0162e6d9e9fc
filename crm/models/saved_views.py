"""Saved views: a list's filters and sort under a name, kept for oneself or shared with the
team, and the view each user opens a list on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

# The lists a view can be saved for, by the model each one shows.
LISTS = {
    "lead": "crm:lead-list",
    "contact": "crm:contact-list",
    "opportunity": "crm:opportunity-list",
    "interaction": "crm:interaction-list",
    "task": "crm:task-list",
    "campaign": "crm:campaign-list",
}
LIST_CHOICES = [(key, key) for key in LISTS]
NAME_LENGTH = 80
QUERY_LENGTH = 2000


class SavedViewQuerySet(models.QuerySet):
    def visible_to(self, user):
        """``user``'s own views and those the team shares."""
        return self.filter(Q(owner=user) | Q(shared=True))

    def for_list(self, user, key: str):
        """The views of one list that ``user`` sees, theirs first, each marked ``is_default``
        when it is the one the list opens on for them: one query."""
        chosen = ListDefault.objects.filter(user=user, list=key, view=OuterRef("pk"))
        return (
            self.visible_to(user)
            .filter(list=key)
            .annotate(is_default=Exists(chosen))
            .select_related("owner")
            .order_by(Case(When(owner=user, then=Value(0)), default=Value(1)), "name", "pk")
        )


class SavedView(models.Model):
    """A named filter and sort of one list (the list's query string, as the user left it)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    list = models.CharField(_("list"), max_length=20, choices=LIST_CHOICES)
    name = models.CharField(_("name"), max_length=NAME_LENGTH)
    query = models.CharField(_("filters and sort"), max_length=QUERY_LENGTH, blank=True)
    shared = models.BooleanField(
        _("shared with the team"),
        default=False,
        help_text=_("Everyone who sees this list can open a shared view; only you change it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list", "name"], name="crm_savedview_one_name_per_list"
            ),
            models.CheckConstraint(
                condition=Q(list__in=list(LISTS)), name="crm_savedview_list_valid"
            ),
        ]
        indexes = [models.Index(fields=["list", "shared"], name="crm_savedview_list_shared")]

    def __str__(self):
        return self.name


class ListDefault(models.Model):
    """The saved view a user's list opens on (none: the list as it comes)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    list = models.CharField(_("list"), max_length=20, choices=LIST_CHOICES)
    view = models.ForeignKey(
        SavedView, verbose_name=_("saved view"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("default view")
        verbose_name_plural = _("default views")
        constraints = [
            models.UniqueConstraint(fields=["user", "list"], name="crm_listdefault_one_per_list")
        ]

    def __str__(self):
        return f"{self.user} · {self.list}"
