"""Template helpers for the CRM's pages: money, percentages, stars, sortable column headers."""

from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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
    # The sort icons' bars line up on the text's side: mirrored in right-to-left pages.
    icon = (
        format_html(' <i class="bi {} bi-flip-rtl" aria-hidden="true"></i>', arrow) if arrow else ""
    )
    return format_html(
        '<a href="?{}" data-sort="{}">{}{}</a>',
        params.urlencode(),
        field,
        label,
        icon,
    )
