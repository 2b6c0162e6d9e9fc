"""Search that understands Arabic spelling: one normalisation for stored text and typed text.

People mix the alef forms (أ إ آ ٱ ا), write ة as ه and ى as ي, add or leave out diacritics
(tashkeel) and stretch words with tatweel; "احمد" must find "أحمد". Every searchable record keeps
its text normalised in an indexed ``search_text`` column, and what users type is normalised the
same way, so a search is one indexed substring match on that column (a trigram index on
PostgreSQL, an FTS5 trigram table on SQLite).
"""

import re
import unicodedata
from contextvars import ContextVar
from functools import reduce
from operator import and_

from django.db import connections
from django.db.models import BooleanField, Expression, F, Q
from django.db.models.expressions import RawSQL

from . import phones, search_index

ARABIC_FOLDS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ـ": None,  # tatweel
        # Arabic-Indic and Persian digits, as people type them on Arabic keyboards.
        **{chr(0x0660 + n): str(n) for n in range(10)},
        **{chr(0x06F0 + n): str(n) for n in range(10)},
    }
)
# Tashkeel (fathatan … sukun, and the rest of U+064B-U+065F) and the superscript alef.
DIACRITICS = re.compile("[\u064b-\u065f\u0670]")
SPACES = re.compile(r"\s+")
# What separates a phone's groups of digits: "(050) 111-2233" is searched as 050, 111, 2233.
PHONE_SEPARATORS = re.compile(r"[().\-/]")


def normalize(text: str) -> str:
    """Text as search compares it: Arabic spelling variants folded, case folded, spaces tidied."""
    if not text:
        return ""
    # NFKC turns presentation forms (ﻷ) into plain letters.
    text = unicodedata.normalize("NFKC", str(text))
    text = DIACRITICS.sub("", text).translate(ARABIC_FOLDS).casefold()
    return SPACES.sub(" ", text).strip()


def search_terms(text: str) -> list[str]:
    """The normalised words of what the user typed (at most 10, each at most 100 characters).

    A phone's groups of digits are words: "(050) 111-2233" is 050, 111 and 2233, each found in
    the phone's forms that ``search_text`` holds (``phones.phone_search_text``).
    """
    text = text[:500]
    if phones.looks_like_phone(text):
        text = PHONE_SEPARATORS.sub(" ", text)
    return [term[:100] for term in normalize(text).split(" ") if term][:10]


# While set, a page's keys are read by walking the sort's index (see ``walking_the_sort``).
WALK_THE_SORT = ContextVar("crm_walk_the_sort", default=False)


class InSearchIndex(Expression):
    """SQLite: the row's id is among those whose text the FTS5 trigram table matches.

    SQLite then reads the matches by their ids and sorts them, fast for a rare word. For a
    common one (25,000 interactions say "Intro"), sorting them all took 20 ms; walking the
    sort's index and testing each id against the matches took 5, so while ``WALK_THE_SORT``
    is set the id is written ``+id``, which SQLite cannot look rows up by.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, table: str, phrase: str, key=None):
        super().__init__()
        self.table, self.phrase = table, phrase
        self.key = F("pk") if key is None else key

    def get_source_expressions(self):
        return [self.key]

    def set_source_expressions(self, expressions):
        (self.key,) = expressions

    def as_sql(self, compiler, connection):
        key, params = compiler.compile(self.key)
        if WALK_THE_SORT.get():
            key = f"+{key}"
        table = self.table
        return (
            f"{key} IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)",
            (*params, self.phrase),
        )


def walking_the_sort(keys):
    """``keys`` (a query of a page's ids) as SQL written to walk the sort's index, for lists
    whose filters match more rows than they count (``paging.COUNT_LIMIT``)."""
    token = WALK_THE_SORT.set(True)
    try:
        sql, params = keys.query.get_compiler(using=keys.db).as_sql()
    finally:
        WALK_THE_SORT.reset(token)
    return RawSQL(sql, params)


def search_filter(text: str, field: str = "search_text", model=None, using=None) -> Q | None:
    """Rows whose ``field`` holds every word typed, in any order; None when nothing was typed.

    On SQLite, a word of 3 letters or more of a record's own ``search_text`` is looked up in
    its FTS5 trigram table (crm.search_index), as PostgreSQL's trigram index serves the LIKE.
    """
    terms = search_terms(text)
    if not terms:
        return None
    fts = None
    if model is not None and field == "search_text" and search_index.supported(connections[using]):
        fts = search_index.index_table(model._meta.db_table)

    def matching(term: str) -> Q:
        if fts and len(term) >= search_index.MINIMUM_TERM:
            return Q(InSearchIndex(fts, search_index.phrase(term)))
        return Q(**{f"{field}__contains": term})

    condition = reduce(and_, (matching(term) for term in terms))
    # A whole phone number, however typed ("00966 50…", "50 111 2233"), finds the records whose
    # phone is that number: an indexed equality on its E.164 form.
    searches_phones = model is not None and field == "search_text" and has_phone_e164(model)
    if searches_phones and (e164 := phones.normalize_phone(text[:500])):
        condition |= Q(phone_e164=e164)
    return condition


def has_phone_e164(model) -> bool:
    return any(f.name == "phone_e164" for f in model._meta.concrete_fields)


def search(queryset, text: str, field: str = "search_text"):
    """``queryset`` narrowed to the rows matching ``text`` (all of it when nothing was typed)."""
    condition = search_filter(text, field, model=queryset.model, using=queryset.db)
    return queryset if condition is None else queryset.filter(condition)


def rank(title: str, text: str) -> int:
    """How well ``title`` (a record's name) matches what was typed: 0 is best.

    0: the whole name; 1: the name starts with it; 2: a word of the name does; 3: the name
    holds it; 4: only the record's other text does (company, email, notes...).
    """
    typed, name = normalize(text), normalize(title)
    if not typed:
        return 4
    if name == typed:
        return 0
    if name.startswith(typed):
        return 1
    if any(word.startswith(typed) for word in name.split(" ")):
        return 2
    return 3 if typed in name else 4
