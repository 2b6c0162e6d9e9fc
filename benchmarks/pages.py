"""What the benchmark requests: every page a rep or a manager opens, with the values in its URL.

Each list is paged, searched, filtered and sorted as its own view allows (read from the view, so a
new filter or sortable column is timed without touching this), and each detail page shows a record
with much on it. The admin changelists of the same records are timed too, to compare with, and
the floor (``benchmarks.floor``): a plain admin changelist of leads that every admin changelist and
every list is measured against.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlencode

import django_filters
import phonenumbers
from django.core.exceptions import FieldDoesNotExist
from django.core.management.base import CommandError
from django.db import models
from django.db.models import Count, Max, Min
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone

from crm.models import Campaign, Contact, Interaction, Lead, Opportunity, Task

from .floor import FLOOR_CHANGELIST

# The records with a list page, a detail page and an admin changelist, in the menu's order.
RECORDS = ("lead", "contact", "opportunity", "interaction", "task", "campaign")
DETAIL_MODELS = {
    "lead": Lead,
    "contact": Contact,
    "opportunity": Opportunity,
    "interaction": Interaction,
    "task": Task,
    "campaign": Campaign,
}
FLOOR_NAME = "admin floor: plain ModelAdmin of leads"
# Records with an admin changelist but no list of the reps' own: timed on page 1 only.
ADMIN_ONLY = ("stage", "stagechange")
ARABIC_SEARCH = "احمد"  # finds "أحمد" too: the search folds the alef forms
SEARCH_PARAM = "q"
SORT_PARAM = "ordering"
PAGE_PARAM = "page"
WORD_SAMPLE = 1000  # rows read to find a common word to search for
DATE_WINDOW = 30  # days in the date-range filters
WORD = re.compile(r"[^\W\d_]{4,}")  # words of 4 letters or more, as people search


@dataclass
class Page:
    """One URL to time, and what it is compared with."""

    name: str
    url: str
    kind: str  # list, detail, board, dashboard, convert, admin, floor
    record: str = ""
    variant: str = ""  # page1, middle, last, search, filter, sort (lists and admin)
    search: str = ""  # the words searched, for search variants
    as_admin: bool = False
    # Before each request, the dashboard's team figures are made "stale" (older than their
    # limit: the page shows them and queues a refresh for a worker) or "cold" (none kept: the
    # page computes them itself).
    figures: str = ""


def url_with(name: str, params: dict | None = None, **kwargs) -> str:
    url = reverse(name, kwargs=kwargs or None)
    return f"{url}?{urlencode(params)}" if params else url


def list_view(record: str):
    """The view class behind a record's list page, as the URLconf has it today."""
    return resolve(reverse(f"crm:{record}-list")).func.view_class


def last_page(view_class, user) -> int:
    """The last page a list offers, as its own paginator counts (which may stop counting)."""
    request = RequestFactory().get(reverse(f"crm:{view_class.model._meta.model_name}-list"))
    request.user = user
    view = view_class()
    view.setup(request)
    paginator, _page, _rows, _paged = view.paginate_queryset(view.get_queryset(), view.paginate_by)
    return max(1, paginator.num_pages)


def common_word(model: type[models.Model]) -> str:
    """A word found in many rows, from the first field the search looks in; Latin if any."""
    field_name = model.SEARCHED_FIELDS[0]
    values = model._default_manager.order_by("pk").values_list(field_name, flat=True)
    words = Counter(word for value in values[:WORD_SAMPLE] for word in WORD.findall(value or ""))
    # Arabic has its own search row; a Latin word exercises the other half of the data.
    latin = [word for word, _count in words.most_common() if word.isascii()]
    if latin:
        return latin[0]
    return words.most_common(1)[0][0] if words else "a"


def most_used(model: type[models.Model], field_name: str):
    """The value of ``field_name`` the most rows have (None if it is not a plain field)."""
    try:
        model_field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return None
    if not model_field.concrete:
        return None
    column = model_field.attname
    row = (
        model._default_manager.exclude(**{f"{column}__isnull": True})
        .values(column)
        .annotate(rows=Count("pk"))
        .order_by("-rows", column)
        .first()
    )
    return row[column] if row else None


def date_window(model: type[models.Model], field_name: str) -> tuple[str, str]:
    """A month in the middle of the dates the rows have."""
    span = model._default_manager.aggregate(first=Min(field_name), last=Max(field_name))
    first, last = span["first"], span["last"]
    if first is None:
        middle = timezone.localdate()
    else:
        first, last = (
            timezone.localdate(value) if hasattr(value, "hour") else value
            for value in (first, last)
        )
        middle = first + (last - first) / 2
    start = middle - datetime.timedelta(days=DATE_WINDOW // 2)
    return start.isoformat(), (start + datetime.timedelta(days=DATE_WINDOW)).isoformat()


def filter_params(name: str, flt, model: type[models.Model], user, word: str) -> dict | None:
    """One representative value for a filter of a FilterSet, as the list's form sends it."""
    if isinstance(flt, django_filters.DateFromToRangeFilter):
        after, before = date_window(model, flt.field_name)
        return {f"{name}_after": after, f"{name}_before": before}
    if isinstance(flt, django_filters.ModelChoiceFilter):
        options = flt.get_queryset(SimpleNamespace(user=user))
        value = None if flt.method else most_used(model, flt.field_name)
        if value is None or not options.filter(pk=value).exists():
            first = options.first()
            value = first.pk if first else None
        return None if value is None else {name: value}
    if isinstance(flt, django_filters.ChoiceFilter):
        choices = flt.extra.get("choices") or []
        choices = list(choices() if callable(choices) else choices)
        values = [str(value) for value, _label in choices]
        value = None if flt.method else most_used(model, flt.field_name)
        if value is None or str(value) not in values:
            value = values[0] if values else None
        return None if value is None else {name: value}
    if isinstance(flt, django_filters.BooleanFilter):
        return {name: "on"}  # the checkbox, ticked
    if isinstance(flt, django_filters.CharFilter):
        return {name: word}
    return None


def describe(params: dict) -> str:
    """``created_at_after=a&created_at_before=b`` as ``created_at=a..b``; the rest as is."""
    keys = list(params)
    if len(keys) == 2 and keys[0].endswith("_after") and keys[1].endswith("_before"):
        return f"{keys[0].removesuffix('_after')}={params[keys[0]]}..{params[keys[1]]}"
    return " ".join(f"{key}={value}" for key, value in params.items())


def busiest(related: type[models.Model], link: str, rows_name: str) -> tuple[int | None, str]:
    """The record that the most ``related`` rows point to through ``link``, and how many."""
    row = (
        related._default_manager.exclude(**{f"{link}__isnull": True})
        .values(link)
        .annotate(rows=Count("pk"))
        .order_by("-rows", link)
        .first()
    )
    return (row[link], f"{row['rows']} {rows_name}") if row else (None, "")


def pick_records(user) -> dict[str, tuple[int | None, str]]:
    """For each detail page, a record with much to show, and why: ``{record: (pk, why)}``."""
    picks = {
        record: busiest(Interaction, record, "interactions")
        for record in ("lead", "contact", "opportunity")
    }
    picks["campaign"] = busiest(Lead, "campaign", "leads")
    # Interactions and tasks list nothing of their own: the newest one linked to a deal.
    for record in ("interaction", "task"):
        newest = DETAIL_MODELS[record].objects.filter(opportunity__isnull=False)
        pk = newest.order_by("-created_at", "-pk").values_list("pk", flat=True).first()
        picks[record] = (pk, "newest with a deal")
    for record, (pk, _why) in picks.items():
        if pk is None:
            first = DETAIL_MODELS[record]._default_manager.order_by("pk")
            picks[record] = (first.values_list("pk", flat=True).first(), "first")
    # The convert page needs a lead the rep may convert: their own, neither lost nor converted;
    # one with an email and a phone looks for look-alike customers both ways.
    own_open = Lead.objects.open().filter(owner=user).order_by("pk").values_list("pk", flat=True)
    lead = own_open.exclude(email="").exclude(phone="").first() or own_open.first()
    picks["convert"] = (lead, "open, owned by the rep")
    return picks


@dataclass
class Plan:
    """The pages to time, and what the benchmark chose to put in their URLs."""

    pages: list[Page]
    words: dict[str, str]
    records: dict[str, tuple[int | None, str]]
    skipped_filters: list[str]


def list_pages(record: str, *, user, word: str, skipped: list[str]) -> list[Page]:
    """A list as a rep uses it: paged, searched, filtered and sorted, read from its view."""
    view = list_view(record)
    model = view.model
    base = f"{record}-list"

    def page(name: str, variant: str, params: dict | None = None, search: str = "") -> Page:
        url = url_with(f"crm:{base}", params)
        return Page(name, url, "list", record, variant, search=search)

    last = last_page(view, user)
    middle = (last + 1) // 2
    pages = [
        page(base, "page1"),
        page(f"{base} page={middle} (middle)", "middle", {PAGE_PARAM: middle}),
        page(f"{base} page={last} (last)", "last", {PAGE_PARAM: last}),
    ]
    for text in (word, ARABIC_SEARCH):
        pages.append(page(f"{base} q={text}", "search", {SEARCH_PARAM: text}, search=text))
    for name, flt in view.filterset_class.base_filters.items():
        if name == SEARCH_PARAM:
            continue
        params = filter_params(name, flt, model, user, word)
        if params is None:
            skipped.append(f"{base} {name} ({type(flt).__name__})")
        else:
            pages.append(page(f"{base} {describe(params)}", "filter", params))
    for key in view.sort_fields:
        for value in (key, f"-{key}"):
            pages.append(page(f"{base} {SORT_PARAM}={value}", "sort", {SORT_PARAM: value}))
    return pages


def search_texts(word: str) -> list[str]:
    """What people type in the navigation bar's search: a common word of the leads, an Arabic
    name, and a lead's phone as dialled at home (0 50 ..., not +966 50 ...)."""
    texts = [word, ARABIC_SEARCH] if word else [ARABIC_SEARCH]
    phone = (
        Lead.objects.exclude(phone_e164="").order_by("-pk").values_list("phone_e164", flat=True)
    ).first()
    parsed = phonenumbers.parse(phone) if phone else None
    if parsed is not None:
        texts.append(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
    return texts


def plan_pages(user) -> Plan:
    """Every page a rep touches, then the floor and the admin changelists of the same records.

    The floor's URL exists only under ``benchmarks.urls`` (the runner's ROOT_URLCONF).
    """
    words = {record: common_word(list_view(record).model) for record in RECORDS}
    skipped: list[str] = []
    pages = [
        page
        for record in RECORDS
        for page in list_pages(record, user=user, word=words[record], skipped=skipped)
    ]

    records = pick_records(user)
    for record in RECORDS:
        pk, why = records[record]
        if pk is not None:
            url = url_with(f"crm:{record}-detail", pk=pk)
            pages.append(Page(f"{record}-detail #{pk} ({why})", url, "detail", record))
    pages.append(Page("opportunity-board", url_with("crm:opportunity-board"), "board"))
    pages.append(Page("dashboard", url_with("crm:dashboard"), "dashboard"))
    for figures, name in (("stale", "team figures stale"), ("cold", "no team figures kept")):
        pages.append(
            Page(
                f"dashboard, {name}",
                url_with("crm:dashboard"),
                "dashboard",
                variant=figures,
                figures=figures,
            )
        )
    pk, _why = records["convert"]
    if pk is None:
        raise CommandError(
            f"{user.username} owns no open lead to time the convert page with: seed more data."
        )
    pages.append(
        Page(f"lead-convert #{pk}", url_with("crm:lead-convert", pk=pk), "convert", "lead")
    )

    for text in search_texts(words["lead"]):
        url = url_with("crm:search", {SEARCH_PARAM: text})
        pages.append(Page(f"search everything q={text}", url, "search", variant="search"))

    pages.append(
        Page(FLOOR_NAME, url_with(FLOOR_CHANGELIST), "floor", "lead", "page1", as_admin=True)
    )
    for record in RECORDS:
        base = f"admin:crm_{record}_changelist"
        pages.append(Page(base, url_with(base), "admin", record, "page1", as_admin=True))
        for text in (words[record], ARABIC_SEARCH):
            pages.append(
                Page(
                    f"{base} q={text}",
                    url_with(base, {SEARCH_PARAM: text}),
                    "admin",
                    record,
                    "search",
                    search=text,
                    as_admin=True,
                )
            )
    for record in ADMIN_ONLY:
        base = f"admin:crm_{record}_changelist"
        pages.append(Page(base, url_with(base), "admin", record, "page1", as_admin=True))
    return Plan(pages, words, records, skipped)
