"""Template helpers for the CRM's pages: money, percentages, stars, sortable column headers."""

from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..permissions import can_change

register = template.Library()

NO_VALUE = "—"

# How each language writes a currency (locale data, as in CLDR, not interface text); a currency
# missing here is shown by its ISO code. English keeps the codes: "1,234.50 SAR".
CURRENCY_SYMBOLS = {
    "ar": {
        "SAR": "ر.س",
        "AED": "د.إ",
        "KWD": "د.ك",
        "QAR": "ر.ق",
        "BHD": "د.ب",
        "OMR": "ر.ع",
        "EGP": "ج.م",
        "JOD": "د.أ",
        "IQD": "د.ع",
        "LBP": "ل.ل",
        "MAD": "د.م",
        "TND": "د.ت",
        "DZD": "د.ج",
        "USD": "دولار",
        "EUR": "يورو",
    },
}


def currency_symbol(code: str | None = None, language: str | None = None) -> str:
    """How ``code`` (the CRM's currency by default) is written in ``language`` (the active one)."""
    code = code or settings.CRM_CURRENCY
    language = (language or get_language() or "").split("-")[0]
    return CURRENCY_SYMBOLS.get(language, {}).get(code, code)


def money_text(value) -> str:
    """An amount as plain text for scripts and messages: "1,234.50 SAR", "1,234.50 ر.س"."""
    if value is None or value == "":
        return NO_VALUE
    return f"{floatformat(value, '2g')} {currency_symbol()}"


@register.filter
def money(value):
    """An amount with two decimals, grouped, and the currency in the active language.

    The number is its own left-to-right run; the whole amount follows the page's direction, so
    the currency is read after the number in both languages: "1,234.50 SAR" in English, and in
    Arabic the symbol stands to the left of the number ("ر.س 1,234.50" as drawn), as written there.
    """
    if value is None or value == "":
        return NO_VALUE
    return format_html(
        '<span class="money"><span class="ltr">{}</span> {}</span>',
        floatformat(value, "2g"),
        currency_symbol(),
    )


@register.filter
def percent(value):
    """A percentage, grouped, or "—" when it has no value (a zero divisor).

    Kept left to right in Arabic too, so "-12.5%" keeps its minus sign in front.
    """
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
def column_header(context, column):
    """A list's column header; a sortable one is a link that sorts by it, then reverses.

    It looks like what it does: a sort icon on every sortable header (faint until it is the
    current sort, then an arrow for the direction), and ``aria-sort`` for screen readers. The
    other filters are kept; the page goes back to 1.
    """
    classes = "text-end" if column.numeric else ""
    if not column.sort:
        return format_html('<th scope="col" class="{}">{}</th>', classes, column.label)
    request = context["request"]
    current = context.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("view", None)
    field = column.sort
    if current == field:
        params["ordering"] = f"-{field}"
        icon, state, title = "bi-sort-up", "ascending", _("Sorted ascending; click to reverse")
    elif current == f"-{field}":
        params["ordering"] = field
        icon, state, title = "bi-sort-down", "descending", _("Sorted descending; click to reverse")
    else:
        params["ordering"] = field
        icon, state, title = "bi-arrow-down-up", "none", _("Click to sort")
    # The sort icons' bars line up on the text's side: mirrored in right-to-left pages.
    return format_html(
        '<th scope="col" class="sortable {}" aria-sort="{}">'
        '<a href="?{}" data-sort="{}" title="{}">{}'
        '<i class="bi {} bi-flip-rtl sort-icon" aria-hidden="true"></i></a></th>',
        classes,
        state,
        params.urlencode(),
        field,
        title,
        column.label,
        icon,
    )


@register.filter
def is_date_range(bound_field) -> bool:
    """A filter made of two dates ("from" and "to"): it gets a wider box so both fit."""
    return getattr(bound_field.field.widget, "template_name", "") == "crm/widgets/date_range.html"


@register.filter
def is_checkbox(bound_field) -> bool:
    return getattr(bound_field.field.widget, "input_type", "") == "checkbox"


@register.simple_tag
def bulk_params(form, name) -> str:
    """The bulk actions that use ``name`` (the bar shows that field with them only)."""
    return form.params_of(name)


@register.simple_tag(takes_context=True)
def may_change(context, record) -> bool:
    """Whether the user may change ``record`` (its quick buttons show only then)."""
    return can_change(context["request"].user, record)
