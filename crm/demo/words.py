"""The demo's words, in Arabic and in English, and the few helpers that pick among them.

The people's names, companies, titles, notes, subjects and tasks are the lists of ``crm.factories``,
so the tests' records and the demo's read alike; the lists only the demo needs are here.
"""

from __future__ import annotations

from random import Random

from crm import factories

# Latin spellings for e-mail addresses of the Arabic names in crm.factories.
LATIN = {
    "أحمد": "ahmed", "محمد": "mohammed", "فاطمة": "fatima", "عائشة": "aisha", "خالد": "khalid",
    "سارة": "sara", "يوسف": "yousef", "مريم": "maryam", "عمر": "omar", "ليلى": "layla",
    "إبراهيم": "ibrahim", "نورة": "noura", "علي": "ali", "هدى": "huda", "سلمى": "salma",
    "طارق": "tariq", "ريم": "reem", "حسن": "hassan", "آمنة": "amna", "زينب": "zainab",
    "العتيبي": "alotaibi", "القحطاني": "alqahtani", "الشمري": "alshammari", "الحربي": "alharbi",
    "الزهراني": "alzahrani", "المالكي": "almalki", "الغامدي": "alghamdi", "الدوسري": "aldosari",
    "السبيعي": "alsubaie", "العنزي": "alanazi", "الخطيب": "alkhatib", "النجار": "alnajjar",
    "حداد": "haddad", "منصور": "mansour", "عبد الله": "abdullah",
}  # fmt: skip
DOMAINS = ["example.com", "example.org", "example.net"]
AR_ADDRESSES = [
    "الرياض، حي العليا، طريق الملك فهد",
    "جدة، حي الروضة، شارع فلسطين",
    "الدمام، حي الشاطئ، شارع الخليج",
    "دبي، الخليج التجاري، برج الأعمال، مكتب 804",
    "عمّان، جبل عمّان، الدوار الثالث",
]
EN_ADDRESSES = [
    "12 King Fahd Road, Riyadh",
    "Office 804, Business Bay, Dubai",
    "45 Corniche Road, Doha",
    "9 Harbour View, Manchester",
    "101 Market Street, London",
]
AR_DEALS = ["عقد توريد", "ترخيص سنوي", "مشروع تركيب", "عقد صيانة"]
EN_DEALS = ["Supply contract", "Annual licence", "Installation project", "Support renewal"]
AR_AIMS = [
    "موجهة إلى الشركات الصغيرة والمتوسطة في المنطقة.",
    "للتعريف بالباقة الجديدة وجمع طلبات العروض.",
    "لإعادة التواصل مع العملاء السابقين.",
]
EN_AIMS = [
    "Aimed at small and mid-sized companies in the region.",
    "Launches the new plan and collects requests for quotes.",
    "Wins back former customers.",
]
# The word lists of each language, keyed by "is it Arabic?", so a record's texts agree.
TEXTS = {
    True: {
        "company": factories.AR_COMPANIES,
        "title": factories.AR_TITLES,
        "note": factories.AR_NOTES,
        "address": AR_ADDRESSES,
        "deal": AR_DEALS,
        "aim": AR_AIMS,
        "subject": factories.AR_SUBJECTS,
        "task": factories.AR_TASKS,
    },
    False: {
        "company": factories.EN_COMPANIES,
        "title": factories.EN_TITLES,
        "note": factories.EN_NOTES,
        "address": EN_ADDRESSES,
        "deal": EN_DEALS,
        "aim": EN_AIMS,
        "subject": factories.EN_SUBJECTS,
        "task": factories.EN_TASKS,
    },
}


def person_parts(rng: Random) -> tuple[bool, str, str]:
    """Whether the person is Arabic, and a first and a last name."""
    if factories.arabic(rng):
        return True, rng.choice(factories.AR_FIRST), rng.choice(factories.AR_LAST)
    return False, rng.choice(factories.EN_FIRST), rng.choice(factories.EN_LAST)


def is_arabic(text: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in text)
