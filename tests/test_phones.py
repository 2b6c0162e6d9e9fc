"""Phones and emails: one normal form each (crm.phones), for storing, searching and matching."""

import contextlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from crm import services
from crm.factories import ContactFactory, LeadFactory
from crm.models import Contact, Lead
from crm.phones import (
    looks_like_phone,
    normalize_email,
    normalize_phone,
    phone_search_text,
    validate_phone,
)
from crm.search import search

from .helpers import migrate_to, migrate_to_latest

SAME_NUMBER = [
    "+966501112233",
    "0501112233",
    "050 111 2233",
    "٠٥٠١١١٢٢٣٣",
    "۰۵۰۱۱۱۲۲۳۳",
    "966501112233",
    "+966 50 111 2233",
    "00966 50 111 2233",
    "(050) 111-2233",
    "050.111.2233",
    "+٩٦٦ ٥٠ ١١١ ٢٢٣٣",
]


@pytest.mark.parametrize("typed", SAME_NUMBER)
def test_normalize_phone_reads_every_way_of_typing_one_number(typed):
    assert normalize_phone(typed) == "+966501112233"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+44 20 7946 0123", "+442079460123"),
        ("", ""),
        (None, ""),
        ("12345", ""),  # too short to be a Saudi number
        ("call me", ""),
        ("Omar Haddad", ""),  # letters are never read as a vanity number
        ("+", ""),
        ("0" * 60, ""),
    ],
)
def test_normalize_phone_gives_e164_or_nothing(typed, expected):
    assert normalize_phone(typed) == expected


def test_normalize_phone_follows_the_region_setting(settings):
    settings.CRM_PHONE_REGION = "GB"
    assert normalize_phone("020 7946 0123") == "+442079460123"
    settings.CRM_PHONE_REGION = "SA"
    assert normalize_phone("020 7946 0123") != "+442079460123"


def test_phone_region_setting_defaults_to_saudi_arabia():
    from django.conf import settings

    assert settings.CRM_PHONE_REGION == "SA"


@given(st.text(max_size=60))
def test_normalize_phone_never_raises_and_is_idempotent(text):
    once = normalize_phone(text)
    assert normalize_phone(once) == once
    assert once == "" or once.startswith("+")


@given(st.from_regex(r"\+?[0-9٠-٩ ()\-]{5,20}", fullmatch=True))
def test_phone_like_text_never_raises(text):
    normalize_phone(text)
    phone_search_text(text)
    with contextlib.suppress(ValidationError):
        validate_phone(text)


@given(st.text(max_size=60))
def test_normalize_email_is_idempotent(text):
    once = normalize_email(text)
    assert normalize_email(once) == once


def test_normalize_email_ignores_case_and_spaces():
    assert normalize_email("  Omar.Haddad@Example.COM ") == "omar.haddad@example.com"


def test_phone_search_text_holds_e164_and_national_digits():
    assert phone_search_text("٠٥٠١١١٢٢٣٣") == "+966501112233 0501112233"
    assert phone_search_text("not a phone") == ""


def test_looks_like_phone():
    assert looks_like_phone("+966 (50) 111-2233")
    assert not looks_like_phone("Room 12")
    assert not looks_like_phone("")


@pytest.mark.parametrize("phone", ["12345", "123456", "+1 2", "+999 1234567"])
def test_validate_phone_refuses_what_cannot_be_dialled(phone):
    with pytest.raises(ValidationError) as refused:
        validate_phone(phone)
    assert "not a phone number that can be dialled" in refused.value.messages[0]


pytestmark = pytest.mark.django_db


def test_saving_stores_the_normal_forms_and_keeps_what_was_typed():
    lead = LeadFactory(phone="٠٥٠ ١١١ ٢٢٣٣", email=" Omar@Example.com")
    lead.refresh_from_db()
    assert lead.phone == "٠٥٠ ١١١ ٢٢٣٣"
    assert lead.phone_e164 == "+966501112233"
    assert lead.email_key == "omar@example.com"
    contact = ContactFactory(phone="050-111-2233")
    assert Contact.objects.get(pk=contact.pk).phone_e164 == "+966501112233"


def test_services_refuse_an_unreadable_phone_and_save_nothing(rep):
    with pytest.raises(ValidationError) as refused:
        services.lead_create(by=rep, data={"name": "Ali", "phone": "12345"})
    assert "phone" in refused.value.message_dict
    assert not Lead.objects.exists()


def test_lead_form_shows_an_unreadable_phone_next_to_the_field(rep_client):
    response = rep_client.post(
        reverse("crm:lead-create"),
        {"name": "Ali", "phone": "123456", "status": "new", "source": "other", "owner": ""},
    )
    assert response.status_code == 200
    assert "not a phone number that can be dialled" in response.content.decode()
    assert not Lead.objects.exists()


def test_an_edit_updates_the_normal_forms(rep):
    lead = LeadFactory(owner=rep, phone="+966501112233", email="a@example.com")
    services.lead_update(lead=lead, by=rep, data={"phone": "0559998877", "email": "B@example.com"})
    lead.refresh_from_db()
    assert (lead.phone_e164, lead.email_key) == ("+966559998877", "b@example.com")
    assert list(search(Lead.objects.all(), "0559998877")) == [lead]
    assert not search(Lead.objects.all(), "0501112233").exists()


# --- Search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0501112233",
        "050 111 2233",
        "٠٥٠١١١٢٢٣٣",
        "966501112233",
        "+966 50 111 2233",
        "(050) 111-2233",
    ],
)
@pytest.mark.parametrize("stored", ["+966501112233", "050 111 2233"])
def test_search_finds_a_phone_however_typed(stored, typed):
    lead = LeadFactory(phone=stored, name="Phoned Lead")
    LeadFactory(phone="+966559998877", name="Someone Else")
    contact = ContactFactory(phone=stored, name="Phoned Customer")
    ContactFactory(phone="+966559998877")
    assert list(search(Lead.objects.all(), typed)) == [lead]
    assert list(search(Contact.objects.all(), typed)) == [contact]


def test_search_finds_part_of_a_phone():
    lead = LeadFactory(phone="+966501112233")
    assert list(search(Lead.objects.all(), "050111")) == [lead]
    assert list(search(Lead.objects.all(), "2233")) == [lead]


@pytest.mark.parametrize("typed", ["0501112233", "٠٥٠١١١٢٢٣٣", "+966 50 111 2233"])
def test_lead_list_search_finds_a_phone(rep_client, typed):
    LeadFactory(phone="+966501112233", name="Nasser Phone")
    LeadFactory(phone="+966559998877", name="Other Person")
    response = rep_client.get(reverse("crm:lead-list"), {"q": typed})
    assert [lead.name for lead in response.context["object_list"]] == ["Nasser Phone"]


@pytest.mark.parametrize("typed", ["050 111 2233", "966501112233"])
def test_lookup_finds_a_customer_by_phone(rep_client, typed):
    ContactFactory(phone="+966501112233", name="Picked By Phone")
    ContactFactory(phone="+966559998877", name="Not This One")
    response = rep_client.get(reverse("crm:lookup", args=["contacts"]), {"q": typed})
    content = response.content.decode()
    assert "Picked By Phone" in content and "Not This One" not in content


@pytest.mark.parametrize("typed", ["0501112233", "٠٥٠١١١٢٢٣٣", "+966 50 111 2233"])
def test_admin_search_finds_a_phone(manager_client, typed):
    LeadFactory(phone="+966501112233", name="Admin Phone")
    LeadFactory(phone="+966559998877", name="Admin Other")
    response = manager_client.get(reverse("admin:crm_lead_changelist"), {"q": typed})
    names = [lead.name for lead in response.context["cl"].result_list]
    assert names == ["Admin Phone"]


# --- Matching --------------------------------------------------------------------------------


def test_conversion_proposals_match_normalised_phone_and_email():
    lead = LeadFactory(phone="٠٥٠١١١٢٢٣٣", email=" Omar@Example.com")
    by_phone = ContactFactory(phone="+966 50 111 2233", email="")
    by_email = ContactFactory(phone="", email="omar@example.com")
    ContactFactory(phone="+966559998877", email="other@example.com")
    assert set(Contact.objects.matching_lead(lead)) == {by_phone, by_email}


def test_sharing_nothing_matches_nothing():
    ContactFactory(phone="", email="")
    assert not Contact.objects.sharing(email="", phone="").exists()
    assert not Contact.objects.sharing(email=" ", phone="not a phone").exists()


# --- Migration -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_fills_normal_forms_and_reverses():
    before, after = [("crm", "0008_open_tasks_by_due_date")], [("crm", "0010_phones")]

    old = migrate_to(before)
    owner = old.get_model("auth", "User").objects.create(username="migrated")
    old.get_model("crm", "Lead").objects.create(
        name="Old Lead", phone="٠٥٠١١١٢٢٣٣", email="Old@Example.com", owner=owner
    )
    old.get_model("crm", "Contact").objects.create(
        name="Old Customer", phone="050 111 2233", owner=owner, phone_key="501112233"
    )
    new = migrate_to(after)
    lead = new.get_model("crm", "Lead").objects.get()
    assert (lead.phone_e164, lead.email_key) == ("+966501112233", "old@example.com")
    assert "0501112233" in lead.search_text
    assert new.get_model("crm", "Contact").objects.get().phone_e164 == "+966501112233"
    back = migrate_to(before)
    contact = back.get_model("crm", "Contact").objects.get()
    assert contact.phone_key == "501112233"
    assert "+966501112233" not in contact.search_text
    migrate_to_latest()


# --- Shown left to right ---------------------------------------------------------------------


@pytest.mark.parametrize("model", ["lead", "contact"])
def test_admin_changelist_isolates_phones_and_emails_left_to_right(manager_client, model):
    factory = LeadFactory if model == "lead" else ContactFactory
    factory(phone="+966539566621", email="ltr@example.com")
    response = manager_client.get(reverse(f"admin:crm_{model}_changelist"))
    content = response.content.decode()
    assert '<bdi dir="ltr">+966539566621</bdi>' in content
    assert '<bdi dir="ltr">ltr@example.com</bdi>' in content


def test_admin_change_form_types_phones_left_to_right(manager_client):
    lead = LeadFactory(phone="+966539566621")
    response = manager_client.get(reverse("admin:crm_lead_change", args=[lead.pk]))
    phone_input = response.context["adminform"].form["phone"]
    assert 'dir="ltr"' in str(phone_input)


def test_reps_pages_show_and_type_phones_left_to_right(rep_client, rep):
    lead = LeadFactory(owner=rep, phone="053 956 6621", email="")
    detail = rep_client.get(lead.get_absolute_url()).content.decode()
    assert '<a class="ltr" dir="ltr" href="tel:+966539566621">053 956 6621</a>' in detail
    listing = rep_client.get(reverse("crm:lead-list")).content.decode()
    assert '<span class="ltr" dir="ltr">053 956 6621</span>' in listing
    form = rep_client.get(reverse("crm:lead-update", args=[lead.pk])).context["form"]
    assert 'dir="ltr"' in str(form["phone"]) and 'inputmode="tel"' in str(form["phone"])


# --- Imports ---------------------------------------------------------------------------------


def test_imported_phones_are_normalised_and_found(manager_client):
    from tests.test_admin import csv_bytes, import_file

    content = csv_bytes(
        ["id", "name", "email", "phone", "status", "source", "expected_revenue"],
        [["", "Imported Phone", "", "٠٥٠ ١١١ ٢٢٣٣", "new", "referral", "10"]],
    )
    import_file(manager_client, "lead", content, "leads.csv", 0)
    lead = Lead.objects.get()
    assert (lead.phone, lead.phone_e164) == ("٠٥٠ ١١١ ٢٢٣٣", "+966501112233")
    assert list(search(Lead.objects.all(), "+966 50 111 2233")) == [lead]


def test_import_refuses_an_unreadable_phone_and_saves_nothing(manager_client):
    from tests.test_admin import csv_bytes, import_file

    content = csv_bytes(
        ["id", "name", "email", "phone", "status", "source", "expected_revenue"],
        [["", "Bad Phone", "", "123456", "new", "referral", "10"]],
    )
    response = import_file(manager_client, "lead", content, "leads.csv", 0)
    assert "not a phone number that can be dialled" in response.content.decode()
    assert not Lead.objects.exists()
