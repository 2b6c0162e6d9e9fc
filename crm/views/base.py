"""Small mixins the reps' pages share: permissions, sorting, paging, the active menu item."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, OrderBy, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import CreateView, DetailView, UpdateView
from django_filters.views import FilterView

from .. import bulk, exports, services
from ..forms import SavedViewForm
from ..history import record_history
from ..models import SavedView
from ..models.base import Product
from ..paging import CappedCount
from ..permissions import can_change, is_manager
from ..search import walking_the_sort
from ..services.base import NOT_ALLOWED, StaleEdit

PAGE_SIZE = 25


@dataclass(frozen=True)
class SortKey:
    """A column sorted by several keys (each indexed together, with the id).

    ``flipped``: the column's descending order is the keys' ascending one (a task list's
    "overdue" column, descending, shows the earliest open due dates first).
    """

    keys: tuple
    flipped: bool = False


def sorted_after_filtering(ordering) -> list[OrderBy]:
    """``ordering`` written so that no index can serve it (each key as COALESCE(key, key)).

    The same order, but the database can no longer read the rows in order from an index and
    stop at the first page: it finds them through the filters, then sorts them.
    """
    keys = []
    for item in ordering:
        if isinstance(item, str):
            field = F(item.removeprefix("-"))
            item = field.desc() if item.startswith("-") else field.asc()
        if not isinstance(item.expression, F | Product | Case):
            keys.append(item)  # a computed key (campaign rates): no index serves it anyway
            continue
        keys.append(
            OrderBy(
                Coalesce(item.expression, item.expression),
                descending=item.descending,
                nulls_first=item.nulls_first,
                nulls_last=item.nulls_last,
            )
        )
    return keys


class CappedPaginator(CappedCount, Paginator):
    """A paginator whose count stops at ``COUNT_LIMIT`` + 1 (shown as "more than 10,000").

    ``unfiltered``, when given, is the list's queryset before its filters (same order, same
    columns): a page's rows are read from it by their keys, so the filters (a search, say)
    are not tested a second time.
    """

    def __init__(self, object_list, per_page, *, unfiltered=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.unfiltered = unfiltered

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.rows_between(bottom, top), number, self)

    def rows_between(self, bottom: int, top: int):
        """The rows from ``bottom`` to ``top`` in the list's order, found by their keys first.

        A "deferred join": the sort and the OFFSET walk narrow index entries (the keys, and
        only the joins the filters and the sort need), and the columns, joins and annotations
        the page shows are then read for its 25 rows alone, in the same order.
        """
        rows = self.object_list
        if not isinstance(rows, QuerySet) or not rows.ordered or top <= bottom:
            return rows[bottom:top]
        keys = rows.values("pk")
        if not self.capped:
            # At most COUNT_LIMIT rows match: finding them by the filters' indexes and sorting
            # them is cheap, while walking the sort's index could pass a million rows that the
            # filters reject (say, deals closing next month in order of creation).
            keys = keys.order_by(*sorted_after_filtering(rows.query.order_by))[bottom:top]
        else:
            # More match than are counted: walking the sort's index meets a page of them soon.
            keys = walking_the_sort(keys[bottom:top])
        shown = rows if self.unfiltered is None else self.unfiltered
        return shown.filter(pk__in=keys)


class ModelPermissionMixin(PermissionRequiredMixin):
    """Require ``crm.<action>_<model>``; a logged-in user without it gets a 403 page.

    (Logging in is required everywhere already, by ``LoginRequiredMiddleware``.)
    """

    permission_action = "view"
    raise_exception = True

    def get_permission_required(self):
        if self.permission_required:
            return super().get_permission_required()
        return [f"crm.{self.permission_action}_{self.model._meta.model_name}"]


class NavMixin:
    """Marks which item of the navigation bar is active."""

    nav = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["nav"] = self.nav
        return context


class SortMixin:
    """``?ordering=field`` or ``-field`` over the shown columns only; anything else is ignored.

    ``sort_fields`` maps each column's name in the URL to what it sorts by: a field path, or an
    expression (one an index is built on, so that a sorted page reads 25 index entries).
    """

    sort_fields: dict[str, str] = {}
    default_ordering: tuple[str, ...] = ("-created_at", "-pk")

    def get_sort_fields(self) -> dict:
        return self.sort_fields

    def get_sort(self) -> str:
        """The validated ``ordering`` parameter, or "" for the default order."""
        value = self.request.GET.get("ordering", "")
        return value if value.lstrip("-") in self.sort_fields else ""

    def get_ordering(self):
        sort = self.get_sort()
        if not sort:
            return self.default_ordering
        descending = sort.startswith("-")
        expression = self.get_sort_fields()[sort.lstrip("-")]
        if isinstance(expression, SortKey):
            keys, descending = expression.keys, descending != expression.flipped
        else:
            keys = (F(expression) if isinstance(expression, str) else expression,)
        # The primary key breaks ties, so paging never shows a row twice or skips one.
        keys = (*keys, F("pk"))
        return tuple(key.desc() if descending else key.asc() for key in keys)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sort"] = self.get_sort()
        return context


class CRMListView(ModelPermissionMixin, NavMixin, SortMixin, FilterView):
    """A list page: a FilterSet, sorting by shown columns, pages of 25 that keep both; its
    export (``?export=csv`` or ``xlsx``: the same rows, filters and sort, every page) and its
    bulk actions (a POST of the ticked rows, or of every row the filters match)."""

    paginate_by = PAGE_SIZE
    strict = False  # an invalid filter value is reported next to the filter, the rest still apply
    list_title = None
    columns: tuple = ()
    saved_views: list = []
    current_view = None

    def get_rows(self):
        """The list's rows before filters and sorting, with what the columns need."""
        return self.model.objects.all()

    def get_queryset(self):
        return self.get_rows().order_by(*self.get_ordering())

    def get(self, request, *args, **kwargs):
        opened = self.open_saved_view(request)
        if opened is not None:
            return opened
        kind = request.GET.get("export")
        if kind in exports.FORMATS:
            rows = self.get_filterset(self.get_filterset_class()).qs
            return exports.respond(
                kind,
                rows,
                self.columns,
                name=self.export_name(),
                title=str(self.get_list_title()),
            )
        return super().get(request, *args, **kwargs)

    def open_saved_view(self, request) -> HttpResponseRedirect | None:
        """Apply ``?view=<id>``, the saved view the user chose (``view=0``: none).

        The view's filters and sort are the base; what the URL itself says wins, and a
        submitted filter form (``f``) says everything. A bare list opens on the user's default
        view (a redirect, so the address says which). One query, whatever the number of views.
        """
        key = self.model._meta.model_name
        self.saved_views = list(SavedView.objects.for_list(request.user, key))
        self.current_view = None
        chosen = request.GET.get("view")
        if chosen is None:
            if any(name not in ("page",) for name in request.GET):
                return None
            default = next((view for view in self.saved_views if view.is_default), None)
            if default is not None:
                return HttpResponseRedirect(f"?view={default.pk}")
            return None
        if chosen == "0":
            return None
        view = next((view for view in self.saved_views if str(view.pk) == chosen), None)
        if view is None:
            messages.warning(request, _("That saved view is gone, or not shared with you."))
            query = request.GET.copy()
            query.pop("view")
            request.GET = query
            return None
        self.current_view = view
        if "f" not in request.GET:
            merged = QueryDict(view.query, mutable=True)
            for name in request.GET:
                merged.setlist(name, request.GET.getlist(name))
            merged._mutable = False
            request.GET = merged
        return None

    def export_name(self) -> str:
        return self.model._meta.model_name + "s"

    def post(self, request, *args, **kwargs):
        """A bulk action; then back to the list as it was (its filters, sort and page)."""
        form = bulk.BulkForm(request.POST, model=self.model, user=request.user)
        query = QueryDict(request.POST.get("bulk-query", ""), mutable=True)
        back = HttpResponseRedirect(f"?{query.urlencode()}" if query else "?")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return back
        rows = self.bulk_rows(form, query)
        if rows is None:
            messages.error(
                request,
                ngettext(
                    "A bulk action changes at most %(limit)s record: narrow the filters.",
                    "A bulk action changes at most %(limit)s records: narrow the filters.",
                    bulk.BULK_LIMIT,
                )
                % {"limit": f"{bulk.BULK_LIMIT:,}"},
            )
            return back
        if not rows:
            messages.warning(request, _("Tick at least one row first."))
            return back
        outcome = bulk.run(form.chosen, rows, by=request.user, data=form.cleaned_data)
        for level, text in outcome.messages():
            getattr(messages, level)(request, text)
        return back

    def bulk_rows(self, form, query: QueryDict) -> list | None:
        """The rows to act on (at most ``BULK_LIMIT``), or None when there are more."""
        if form.cleaned_data["every"]:
            filterset = self.filterset_class(
                query, queryset=self.get_queryset(), request=self.request
            )
            rows = list(filterset.qs[: bulk.BULK_LIMIT + 1])
        else:
            ids = [v for v in self.request.POST.getlist("pk") if v.isdecimal() and len(v) <= 18]
            if len(ids) > bulk.BULK_LIMIT:
                return None
            rows = list(self.get_rows().filter(pk__in=ids))
        return None if len(rows) > bulk.BULK_LIMIT else rows

    def get_list_title(self):
        return self.list_title or capfirst(self.model._meta.verbose_name_plural)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["list_title"] = self.get_list_title()
        context["columns"] = self.columns
        form = self.filterset.form
        typed = self.request.GET  # what the user chose (a filter's own default is not counted)
        given = {
            name
            for name in form.fields
            if name != "q"
            and (typed.get(name) or any(typed.get(f"{name}_{end}") for end in ("after", "before")))
        }
        context["active_filters"] = len(given)
        context["filters_open"] = bool(given) or bool(form.errors)
        context["filtered"] = bool(given) or bool(typed.get("q"))
        query = self.request.GET.copy()
        for name in ("page", "export"):
            query.pop(name, None)
        context["list_query"] = query.urlencode()
        context.update(self.saved_view_context())
        if bulk.actions_for(self.model, self.request.user):
            context["bulk_form"] = bulk.BulkForm(model=self.model, user=self.request.user)
            context["bulk_limit"] = bulk.BULK_LIMIT
            paginator = context.get("paginator")
            context["bulk_limit_exceeded"] = bool(paginator) and paginator.count > bulk.BULK_LIMIT
        return context

    def saved_view_context(self) -> dict:
        current = self.current_view
        try:
            shown = services.saved_views.clean_query(self.request.GET)
        except ValidationError:
            shown = ""
        return {
            "saved_list": self.model._meta.model_name,
            "saved_views": self.saved_views,
            "current_view": current,
            "view_id": current.pk if current else "",
            "shown_query": shown,
            "view_changed": current is not None and shown != current.query,
            "has_default_view": any(view.is_default for view in self.saved_views),
            "view_form": SavedViewForm(prefix="saved"),
            "may_delete_shared": is_manager(self.request.user, self.model),
        }

    def paginate_queryset(self, queryset, page_size):
        # A page number that is not a number, or past the end, shows the nearest page (no 404).
        paginator = CappedPaginator(queryset, page_size, unfiltered=self.get_queryset())
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        return kwargs


class PostOnlyActionView(ModelPermissionMixin):
    """A button that changes a record: POST only (GET is 405), then back to the record."""

    http_method_names = ["post"]
    permission_action = "change"


def redirect_to(obj) -> HttpResponseRedirect:
    return HttpResponseRedirect(obj.get_absolute_url())


class CRMFormMixin(ModelPermissionMixin, NavMixin):
    """Create and edit pages: one shared template, the record's write service, a success
    message, back to the record.

    A refusal by the service's rules is shown on the form, next to its field where it has one;
    a refusal of the user's right is a 403 page.
    """

    template_name = "crm/form.html"
    success_message = _("Saved.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.get_title()
        context["cancel_url"] = self.get_cancel_url()
        return context

    def get_cancel_url(self):
        if getattr(self, "object", None) is not None and self.object.pk:
            return self.object.get_absolute_url()
        return reverse(f"crm:{self.model._meta.model_name}-list")

    def save(self, form):
        """Store the record through its service, and return it."""
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except StaleEdit as stale:
            # Told once; the form now carries the current version, so saving again overwrites.
            form.data = form.data.copy()
            form.data[form.add_prefix("seen_version")] = stale.current_version.isoformat()
            form.add_error(None, stale)
            return self.form_invalid(form)
        except ValidationError as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect_to(self.object)


def add_errors(form, error: ValidationError) -> None:
    """Show a service's refusal on ``form``: by field where the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class CRMCreateView(CRMFormMixin, CreateView):
    permission_action = "add"

    def get_title(self):
        return _("New %(thing)s") % {"thing": self.model._meta.verbose_name}

    def get_initial(self):
        initial = super().get_initial()
        # Links prefilled from the page the user came from: ?lead=12, ?contact=3, ...
        for name in ("lead", "contact", "opportunity", "campaign"):
            value = self.request.GET.get(name, "")
            if value.isdecimal() and len(value) <= 18:
                initial[name] = int(value)
        if "owner" in self.get_form_class().base_fields:
            initial.setdefault("owner", self.request.user.pk)
        if "assigned_to" in self.get_form_class().base_fields:
            initial.setdefault("assigned_to", self.request.user.pk)
        return initial

    def save(self, form):
        return services.for_model(self.model).create(by=self.request.user, data=form.service_data())


class CRMUpdateView(CRMFormMixin, UpdateView):
    """An edit page that never silently overwrites someone else's simultaneous change.

    The form carries the record's ``updated_at`` as the user first saw it, and the service
    refuses the save if the stored row has changed since (``StaleEdit``): nothing is written,
    and the user is told (saving again then overwrites). Only the fields the user changed are
    written.
    """

    permission_action = "change"

    def get_object(self, queryset=None):
        return check_can_change(self.request.user, super().get_object(queryset))

    def save(self, form):
        return services.for_model(self.model).update(
            self.object,
            by=self.request.user,
            data=form.service_data(),
            seen_version=form.seen_version_datetime(),
        )

    def get_title(self):
        return _("Edit %(thing)s") % {"thing": self.object}


class CRMDetailView(ModelPermissionMixin, NavMixin, DetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Buttons that change the record show only to those who may use them.
        context["can_change"] = can_change(self.request.user, self.object)
        context["history"] = record_history(self.object)
        return context


def check_can_change(user, obj):
    """``obj`` if ``user`` may change it; otherwise a 403 page, and nothing changes."""
    if not can_change(user, obj):
        raise PermissionDenied(NOT_ALLOWED)
    return obj
