"""Phones and emails as the CRM matches them: one normal form each, used by every path.

A phone is kept as the user typed it and matched by its E.164 form ("+966501112233"), read with
``phonenumbers`` in the region of ``settings.CRM_PHONE_REGION`` when it has no country code;
Arabic-Indic (٠-٩) and Eastern Arabic (۰-۹) digits count as digits. So "0501112233",
"050 111 2233", "٠٥٠١١١٢٢٣٣" and "+966 50 111 2233" are one number. An email is matched ignoring
case and surrounding spaces. Records keep both normal forms in indexed columns
(``models.base.ReachableModel``), refreshed on every save; search, duplicate warnings and the
conversion's proposals compare those.
"""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Arabic-Indic and Eastern Arabic (Persian) digits, as people type them on Arabic keyboards.
DIGITS = str.maketrans(
    {
        **{chr(0x0660 + n): str(n) for n in range(10)},
        **{chr(0x06F0 + n): str(n) for n in range(10)},
    }
)
# What a phone is typed with: digits, spaces and + - ( ) . /. Letters are not read as digits
# (phonenumbers would read "CALL ME" as a vanity number), so a name is never taken for a phone.
PHONE_TEXT = re.compile(r"\+?[\d\s().\-/]*\d[\d\s().\-/]*")
NON_DIGITS = re.compile(r"\D")
# Longer text is no phone number; this bounds the work done on what users type.
LONGEST = 40

NOT_A_NUMBER = _(
    "This is not a phone number that can be dialled: check its digits. A number from another "
    "country starts with + and the country code."
)


def region() -> str:
    """The region a phone typed without a country code is read in."""
    return getattr(settings, "CRM_PHONE_REGION", "SA") or "SA"


def looks_like_phone(text) -> bool:
    """Whether ``text`` is made of what phones are typed with (digits, spaces, + - ( ) . /)."""
    text = str(text or "").translate(DIGITS).strip()
    return len(text) <= LONGEST and PHONE_TEXT.fullmatch(text) is not None


def parse(text) -> phonenumbers.PhoneNumber | None:
    """``text`` as a phone number, or None when it cannot be one."""
    if not looks_like_phone(text):
        return None
    try:
        number = phonenumbers.parse(str(text).translate(DIGITS).strip(), region())
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def normalize_phone(text) -> str:
    """The E.164 form of ``text`` ("+966501112233"), or "" when it is not a phone number."""
    number = parse(text)
    if number is None:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_text(text) -> str:
    """The forms of the phone ``text`` that search finds it by: E.164 and the national digits
    ("+966501112233 0501112233"), so that a part of either finds it; "" for no phone."""
    number = parse(text)
    if number is None:
        return ""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = NON_DIGITS.sub(
        "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    )
    return e164 if national in e164 else f"{e164} {national}"


def normalize_email(text) -> str:
    """An email as it is compared: surrounding spaces dropped, case folded."""
    return str(text or "").strip().casefold()


def validate_phone(value) -> None:
    """Refuse a phone that ``phonenumbers`` cannot read as a number that can be dialled.

    Text with other characters than a phone's is left to ``models.base.phone_validator``,
    which says which characters a phone takes.
    """
    if value and looks_like_phone(value) and parse(value) is None:
        raise ValidationError(NOT_A_NUMBER, code="invalid_phone")
