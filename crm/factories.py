"""factory-boy factories for every record, used by the tests and by ``seed_crm`` alike.

Text comes in Arabic and English, so demo data and tests look like the teams who use the CRM.
"""

import datetime
import random
from decimal import Decimal

import factory
import factory.random
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from . import models

AR_FIRST = [
    "أحمد",
    "محمد",
    "فاطمة",
    "عائشة",
    "خالد",
    "سارة",
    "يوسف",
    "مريم",
    "عمر",
    "ليلى",
    "إبراهيم",
    "نورة",
    "علي",
    "هدى",
    "سلمى",
    "طارق",
    "ريم",
    "حسن",
    "آمنة",
    "زينب",
]
AR_LAST = [
    "العتيبي",
    "القحطاني",
    "الشمري",
    "الحربي",
    "الزهراني",
    "المالكي",
    "الغامدي",
    "الدوسري",
    "السبيعي",
    "العنزي",
    "الخطيب",
    "النجار",
    "حداد",
    "منصور",
    "عبد الله",
]
EN_FIRST = [
    "James",
    "Mary",
    "John",
    "Linda",
    "David",
    "Sarah",
    "Michael",
    "Emma",
    "Daniel",
    "Olivia",
    "Omar",
    "Lina",
    "Adam",
    "Nadia",
    "Karim",
    "Sophie",
]
EN_LAST = [
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Haddad",
    "Nasser",
]
AR_COMPANIES = [
    "شركة النخبة للتجارة",
    "مؤسسة الأفق",
    "مجموعة الرواد",
    "شركة الخليج للتقنية",
    "مصنع الأمل",
    "شركة البناء الحديث",
    "مؤسسة الضياء",
    "شركة الواحة للأغذية",
    "مكتب الهندسة المتقدمة",
    "شركة المستقبل القابضة",
]
EN_COMPANIES = [
    "Acme Trading",
    "Blue Horizon Ltd",
    "Northwind Foods",
    "Globex Systems",
    "Initech",
    "Sunrise Logistics",
    "Pioneer Health",
    "Atlas Engineering",
    "Crescent Retail",
    "Oasis Software",
]
AR_TITLES = ["مدير المشتريات", "المدير التنفيذي", "مدير تقنية المعلومات", "محاسب", "مدير المبيعات"]
EN_TITLES = ["Purchasing Manager", "CEO", "IT Director", "Accountant", "Operations Lead"]
AR_NOTES = [
    "مهتم بالباقة الأساسية ويطلب عرض سعر.",
    "طلب الاتصال بعد انتهاء الربع المالي.",
    "تمت الإحالة من عميل حالي.",
    "يحتاج إلى موافقة الإدارة قبل الشراء.",
]
EN_NOTES = [
    "Interested in the standard plan; asked for a quote.",
    "Call back after the end of the quarter.",
    "Referred by an existing customer.",
    "Needs sign-off from the board before buying.",
]
AR_SUBJECTS = ["مكالمة تعريفية", "إرسال عرض السعر", "اجتماع لمناقشة المتطلبات", "متابعة العرض"]
EN_SUBJECTS = ["Intro call", "Sent the quote", "Requirements meeting", "Follow-up on proposal"]
AR_TASKS = ["الاتصال بالعميل", "إعداد عرض السعر", "إرسال العقد", "تحديد موعد اجتماع"]
EN_TASKS = ["Call the customer", "Prepare the quote", "Send the contract", "Book a meeting"]
AR_CAMPAIGNS = ["حملة رمضان", "معرض الرياض للتقنية", "ندوة التحول الرقمي", "حملة العودة للمدارس"]
EN_CAMPAIGNS = ["Spring newsletter", "Tech expo", "Digital transformation webinar", "Search ads Q3"]
LOST_REASONS = ["Budget too small", "Chose a competitor", "السعر مرتفع", "لا توجد حاجة حالياً"]


def arabic(rng: random.Random) -> bool:
    """About half of the demo data is Arabic."""
    return rng.random() < 0.5


def person_name(rng: random.Random) -> str:
    if arabic(rng):
        return f"{rng.choice(AR_FIRST)} {rng.choice(AR_LAST)}"
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


def company_name(rng: random.Random) -> str:
    return rng.choice(AR_COMPANIES if arabic(rng) else EN_COMPANIES)


def phone_number(rng: random.Random) -> str:
    return f"+9665{rng.randint(0, 99999999):08d}"


def email_for(rng: random.Random, n: int) -> str:
    return f"contact{n}@{rng.choice(['example.com', 'example.org', 'example.net'])}"


def money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high) * 100)


# Factories draw from factory-boy's seeded random, so ``--seed`` makes a repeatable demo.
def _rng():
    return factory.random.randgen


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("password")


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = models.Campaign

    name = factory.LazyFunction(
        lambda: _rng().choice(AR_CAMPAIGNS if arabic(_rng()) else EN_CAMPAIGNS)
    )
    kind = factory.Iterator(models.CampaignKind.values)
    status = models.CampaignStatus.ACTIVE
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=60))
    end_date = factory.LazyAttribute(lambda c: c.start_date + datetime.timedelta(days=90))
    budget = Decimal("10000.00")
    actual_cost = Decimal("5000.00")
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = models.Contact

    name = factory.LazyFunction(lambda: person_name(_rng()))
    company = factory.LazyFunction(lambda: company_name(_rng()))
    title = factory.LazyFunction(lambda: _rng().choice(AR_TITLES + EN_TITLES))
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.LazyFunction(lambda: phone_number(_rng()))
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = models.Lead

    name = factory.LazyFunction(lambda: person_name(_rng()))
    company = factory.LazyFunction(lambda: company_name(_rng()))
    title = factory.LazyFunction(lambda: _rng().choice(AR_TITLES + EN_TITLES))
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    phone = factory.LazyFunction(lambda: phone_number(_rng()))
    status = models.LeadStatus.NEW
    rating = factory.LazyFunction(lambda: _rng().randint(1, 5))
    source = factory.Iterator(models.LeadSource.values)
    expected_revenue = Decimal("5000.00")
    notes = factory.LazyFunction(lambda: _rng().choice(AR_NOTES + EN_NOTES))
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    lost_reason = factory.Maybe(
        factory.LazyAttribute(lambda lead: lead.status == models.LeadStatus.LOST),
        yes_declaration=factory.LazyFunction(lambda: _rng().choice(LOST_REASONS)),
        no_declaration="",
    )


def stage(code: str) -> models.Stage:
    """A default stage by its code (made by the migration)."""
    return models.Stage.objects.get(code=code)


class OpportunityFactory(DjangoModelFactory):
    class Meta:
        model = models.Opportunity

    name = factory.LazyFunction(lambda: company_name(_rng()))
    contact = factory.SubFactory(ContactFactory)
    amount = Decimal("10000.00")
    stage = factory.LazyFunction(lambda: stage("prospecting"))
    probability = factory.LazyAttribute(lambda o: o.stage.default_probability)
    expected_close_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=30)
    )
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    lost_reason = factory.LazyAttribute(
        lambda o: _rng().choice(LOST_REASONS) if o.stage.is_lost else ""
    )
    closed_at = factory.LazyAttribute(lambda o: timezone.now() if o.stage.is_closed else None)


class InteractionFactory(DjangoModelFactory):
    class Meta:
        model = models.Interaction

    kind = factory.Iterator(models.InteractionKind.values)
    subject = factory.LazyFunction(lambda: _rng().choice(AR_SUBJECTS + EN_SUBJECTS))
    notes = factory.LazyFunction(lambda: _rng().choice(AR_NOTES + EN_NOTES))
    outcome = factory.LazyFunction(lambda: str(_rng().choice(models.InteractionOutcome.labels)))
    duration = factory.LazyFunction(lambda: _rng().randint(5, 60))
    lead = factory.SubFactory(LeadFactory)
    created_by = factory.SubFactory(UserFactory)


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = models.Task

    title = factory.LazyFunction(lambda: _rng().choice(AR_TASKS + EN_TASKS))
    description = factory.LazyFunction(lambda: _rng().choice(AR_NOTES + EN_NOTES))
    priority = factory.Iterator(models.TaskPriority.values)
    status = models.TaskStatus.PENDING
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=3))
    assigned_to = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("assigned_to")
    completed_at = factory.LazyAttribute(
        lambda t: timezone.now() if t.status == models.TaskStatus.COMPLETED else None
    )
