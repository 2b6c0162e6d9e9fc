"""Template helpers for the CRM's pages: money, percentages, stars, sortable column headers."""

from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()

NO_VALUE = "—"


@register.filter
def money(value):
    """An amount with two decimals and the currency, kept left-to-right in Arabic text."""
    if value is None or value == "":
        return NO_VALUE
    return format_html(
        '<span class="ltr text-nowrap">{} {}</span>',
        floatformat(value, "2g"),
        settings.CRM_CURRENCY,
    )


@register.filter
def percent(value):
    """A percentage, or "—" when it has no value (a zero divisor)."""
    if value is None or value == "":
        return NO_VALUE
    return format_html('<span class="ltr text-nowrap">{}%</span>', floatformat(value, "-2g"))


@register.filter
def stars(rating):
    """A 1-5 rating as five stars, with the rating for screen readers."""
    if not rating:
        return NO_VALUE
    return format_html(
        '<span class="stars" title="{label}" aria-label="{label}">'
        '{filled}<span class="text-body-tertiary">{empty}</span></span>',
        label=_("%(rating)s of 5 stars") % {"rating": rating},
        filled="★" * rating,
        empty="☆" * (5 - rating),
    )


@register.simple_tag(takes_context=True)
def sort_header(context, field, label):
    """A column header that sorts by ``field``, then reverses; other filters are kept."""
    request = context["request"]
    current = context.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == field:
        params["ordering"] = f"-{field}"
        arrow = "bi-sort-up"
    elif current == f"-{field}":
        params["ordering"] = field
        arrow = "bi-sort-down"
    else:
        params["ordering"] = field
        arrow = ""
    icon = format_html(' <i class="bi {}" aria-hidden="true"></i>', arrow) if arrow else ""
    return format_html(
        '<a href="?{}" data-sort="{}">{}{}</a>',
        params.urlencode(),
        field,
        label,
        icon,
    )
