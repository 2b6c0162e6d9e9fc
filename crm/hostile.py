"""Hostile input gets a clear refusal (a 400, or a 404 for an id), never a server error.

One middleware guards every page of the CRM and of the admin:

- **Text no database can store.** A NUL character or a lone surrogate (U+D800-U+DFFF) in the
  path, a query parameter or a posted field is refused before any view runs. PostgreSQL refuses
  NUL in text (SQLite would silently store it) and UTF-8 cannot encode a surrogate. Django
  already turns a percent-encoded surrogate (``%ED%A0%80``) into U+FFFD and undecodable bytes
  into Latin-1, so that half is a backstop. A cookie holding such text is dropped: it can be no
  session, and the session table would otherwise be queried with it.
- **Ids the admin cannot look up.** An admin URL's record id (``<id>/change/``, ``<id>/history/``,
  simple-history's ``<id>/history/<version>/``) must be able to be a primary key of its model,
  else a 404, as the reps' pages do (``crm.urls.IdConverter``); so must the rows ticked for an
  action. A changelist's ``<date>__year`` lookups (its date filters allow them) get only years
  whose end the database can compute (9999 has none).
- **Values the database refuses.** A ``DataError`` or an ``OverflowError`` escaping a view (a
  number past 64 bits, a date past 9999) is the database, or the conversion to it, refusing a
  value the request sent: logged, and answered with the same 400. Nothing else is caught.
"""

from __future__ import annotations

import datetime
import logging
import re

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import DataError, connections, models, router, transaction
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# What no text column can hold: NUL (PostgreSQL) and the surrogates UTF-8 cannot encode.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

UNSTORABLE_TEXT = _(
    "It contains a character that cannot be stored (a null character or a broken Unicode "
    "character). Remove it and try again."
)
OUT_OF_RANGE = _("A number, a date or a text in it is out of range. Correct it and try again.")
NO_SUCH_RECORD = _("One of the selected records does not exist.")


def bad_request(request, reason) -> TemplateResponse | JsonResponse:
    """The 400 answer: JSON for the board's moves (as ``views.board`` answers), else a page."""
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": False, "errors": [str(reason)]}, status=400)
    # "bare": the page asks the database nothing (no rights for the quick add), since the
    # request's transaction may be broken.
    context = {"reason": reason, "bare": True}
    return TemplateResponse(request, "400.html", context, status=400)


def unstorable(request) -> bool:
    """Whether the path, a query parameter or a posted field holds text no column can store."""
    texts = [request.path_info]
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            texts += [key, *values]
    return any(UNSTORABLE.search(text) for text in texts)


def model_admin_of(view_func) -> admin.ModelAdmin | None:
    """The ``ModelAdmin`` whose page ``view_func`` serves, if it is one."""
    # ModelAdmin.get_urls marks its views; simple-history's extra URL wraps a bound method.
    owner = getattr(view_func, "model_admin", None) or getattr(
        getattr(view_func, "__wrapped__", None), "__self__", None
    )
    return owner if isinstance(owner, admin.ModelAdmin) else None


def can_be_pk(model, value: str) -> bool:
    """Whether ``value``, quoted as the admin quotes ids in URLs, could be a ``model`` key."""
    field = model._meta.pk
    try:
        pk = field.to_python(unquote(value))
    except ValidationError:
        return False
    if isinstance(field, models.IntegerField):  # AutoField and BigAutoField are ones too
        ops = connections[router.db_for_read(model)].ops
        low, high = ops.integer_field_range(field.get_internal_type())
        return low <= pk <= high
    return True


def years_in_range(query) -> bool:
    """Whether each ``__year`` lookup's year, if a number, is one whose end can be computed."""
    for key, values in query.lists():
        if not key.endswith("__year"):
            continue
        for value in values:
            try:
                year = int(value)
            except ValueError:
                continue  # not a number: the admin drops its filters itself (?e=1)
            if not 1 <= year < datetime.MAXYEAR:
                return False
    return True


class HostileInputMiddleware:
    """Refuse input no database can take with a 400 (an id no record can have with a 404).

    Goes before ``SessionMiddleware``, so that a hostile cookie is dropped before the session
    is looked up by it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cookies = request.COOKIES
        if any(UNSTORABLE.search(name + value) for name, value in cookies.items()):
            request.COOKIES = {
                name: value
                for name, value in cookies.items()
                if not UNSTORABLE.search(name + value)
            }
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Here rather than in __call__: the page is then in the user's language, with their name.
        if unstorable(request):
            return bad_request(request, UNSTORABLE_TEXT)
        model_admin = model_admin_of(view_func)
        if model_admin is None:
            return None
        model = model_admin.model
        # simple-history passes its two ids positionally; its version id is an integer too.
        ids = list(view_args)
        if "object_id" in view_kwargs:
            ids.append(view_kwargs["object_id"])
        if not all(can_be_pk(model, value) for value in ids):
            raise Http404
        opts = model._meta
        if request.resolver_match.url_name == f"{opts.app_label}_{opts.model_name}_changelist":
            ticked = request.POST.getlist(ACTION_CHECKBOX_NAME)
            if not all(can_be_pk(model, value) for value in ticked):
                return bad_request(request, NO_SUCH_RECORD)
            if not years_in_range(request.GET):
                return bad_request(request, OUT_OF_RANGE)
        return None

    def process_exception(self, request, exception):
        if not isinstance(exception, DataError | OverflowError):
            return None
        logger.warning(
            "Refused %s %s: a value it sent is out of range for the database",
            request.method,
            request.path,
            exc_info=exception,
        )
        if isinstance(exception, DataError):
            # PostgreSQL aborts the transaction of a failed statement. The view's own atomic
            # blocks have rolled back by now; one still open around the request (a test's, say)
            # must not commit. The answer's page runs no query.
            for connection in connections.all(initialized_only=True):
                if connection.in_atomic_block:
                    transaction.set_rollback(True, using=connection.alias)
        return bad_request(request, OUT_OF_RANGE)
