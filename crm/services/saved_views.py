"""Saved views, one door each: save, change, delete, and the view a list opens on.

Anyone who may see a list may keep views of it; a view is changed by its owner only, and a
shared view may also be deleted by the list's managers (who run the team's views).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import ListDefault, SavedView
from ..models.saved_views import LISTS, NAME_LENGTH, QUERY_LENGTH
from ..permissions import is_manager
from .base import NOT_ALLOWED

# What a view never keeps: where the user was, and what a page adds to its own links.
NOT_KEPT = {"page", "export", "view", "f", "csrfmiddlewaretoken"}
MAX_PARAMETERS = 40


def list_model(key: str):
    if key not in LISTS:
        raise ValidationError(_("Choose one of the lists."), code="invalid_list")
    return apps.get_model("crm", key)


def may_see_list(user, key: str) -> bool:
    return key in LISTS and user.has_perm(f"crm.view_{key}")


def clean_query(query: QueryDict | str) -> str:
    """The filters and sort of a list's query string, as a view keeps them."""
    if isinstance(query, str):
        query = QueryDict(query)
    kept = QueryDict(mutable=True)
    for name in sorted(query):
        if name in NOT_KEPT or name.startswith("bulk-"):
            continue
        values = [value for value in query.getlist(name) if value != ""]
        if values:
            kept.setlist(name, values)
    if len(kept) > MAX_PARAMETERS:
        raise ValidationError(_("These filters are too many to save."), code="query_too_long")
    text = kept.urlencode()
    if len(text) > QUERY_LENGTH:
        raise ValidationError(_("These filters are too long to save."), code="query_too_long")
    return text


def clean_name(name: Any) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the view a name.")}, code="required")
    if len(name) > NAME_LENGTH:
        raise ValidationError(
            {
                "name": ngettext(
                    "A view's name has at most %(limit)s character.",
                    "A view's name has at most %(limit)s characters.",
                    NAME_LENGTH,
                )
                % {"limit": NAME_LENGTH}
            },
            code="max_length",
        )
    return name


def _taken(name: str) -> ValidationError:
    return ValidationError(
        {"name": _("You already have a view of this list named “%(name)s”.") % {"name": name}},
        code="unique",
    )


def saved_view_create(*, by, data: Mapping[str, Any]) -> SavedView:
    """A new view of ``data["list"]`` owned by ``by``; ``data["default"]`` also makes it the
    view that list opens on for them."""
    key = data.get("list", "")
    list_model(key)
    if not may_see_list(by, key):
        raise PermissionDenied(NOT_ALLOWED)
    name = clean_name(data.get("name"))
    view = SavedView(
        owner=by,
        list=key,
        name=name,
        query=clean_query(data.get("query", "")),
        shared=bool(data.get("shared")),
    )
    try:
        with transaction.atomic():
            view.save()
            if data.get("default"):
                _set_default(by, key, view)
    except IntegrityError as error:
        raise _taken(name) from error
    return view


def saved_view_update(*, view: SavedView, by, data: Mapping[str, Any]) -> SavedView:
    """Rename, share or unshare, or keep the list's current filters (``data["query"]``)."""
    with transaction.atomic():
        view = SavedView.objects.select_for_update().get(pk=view.pk)
        if view.owner_id != by.pk or not may_see_list(by, view.list):
            raise PermissionDenied(NOT_ALLOWED)
        if "name" in data:
            view.name = clean_name(data["name"])
        if "query" in data:
            view.query = clean_query(data["query"])
        if "shared" in data:
            view.shared = bool(data["shared"])
        try:
            with transaction.atomic():
                view.save()
        except IntegrityError as error:
            raise _taken(view.name) from error
        if not view.shared:  # no one else opens a list on a view they can no longer see
            ListDefault.objects.filter(view=view).exclude(user=by).delete()
    return view


def saved_view_delete(*, view: SavedView, by) -> None:
    with transaction.atomic():
        view = SavedView.objects.select_for_update().filter(pk=view.pk).first()
        if view is None:
            return
        mine = view.owner_id == by.pk
        if not (mine or (view.shared and is_manager(by, list_model(view.list)))):
            raise PermissionDenied(NOT_ALLOWED)
        view.delete()


def list_default_set(*, by, list: str, view: SavedView | None) -> None:
    """The view ``list`` opens on for ``by`` (``None``: the list as it comes)."""
    list_model(list)
    if not may_see_list(by, list):
        raise PermissionDenied(NOT_ALLOWED)
    with transaction.atomic():
        if view is None:
            ListDefault.objects.filter(user=by, list=list).delete()
            return
        visible = SavedView.objects.visible_to(by).filter(pk=view.pk, list=list).exists()
        if not visible:
            raise ValidationError(_("That view is not one of this list's."), code="invalid_view")
        _set_default(by, list, view)


def _set_default(user, key: str, view: SavedView) -> None:
    ListDefault.objects.update_or_create(user=user, list=key, defaults={"view": view})
