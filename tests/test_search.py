"""Arabic-aware search: one normalisation for stored and typed text, on every search path."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from crm import services
from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
)
from crm.models import Contact, Lead
from crm.phones import phone_search_text
from crm.search import normalize, search, search_terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهيم"),
        ("آمنة", "امنه"),
        ("ٱلله", "الله"),
        ("مصطفى", "مصطفي"),
        ("فاطمة", "فاطمه"),
        ("مُحَمَّدٌ", "محمد"),
        ("عـــلي", "علي"),
        ("ﻷ", "لا"),
        ("AHMED  Ahmed\n", "ahmed ahmed"),
        ("Straße", "strasse"),
        ("٠٥٥١٢٣٤٥٦٧ ۱۲", "0551234567 12"),
        ("", ""),
    ],
)
def test_normalize_folds_spelling_variants(text, expected):
    assert normalize(text) == expected


def test_search_terms_are_bounded():
    assert search_terms("  ") == []
    assert len(search_terms("a " * 50)) == 10
    assert search_terms("x" * 1000) == ["x" * 100]


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("أحمد العتيبي", "احمد"),
        ("احمد العتيبي", "أحمد"),
        ("إبراهيم", "ابراهيم"),
        ("آمنة الزهراني", "امنة"),
        ("مؤسسة الضياء", "الضيا"),
        ("فاطمة", "فاطمه"),
        ("مصطفى", "مصطفي"),
        ("مُحَمَّد", "محمد"),
        ("علــي", "علي"),
        ("Omar Haddad", "oMaR"),
    ],
)
def test_search_finds_arabic_names_across_spelling_variants(stored, typed):
    wanted = LeadFactory(name=stored)
    LeadFactory(name="Someone Else", company="Other", email="x@example.com", notes="")
    assert list(search(Lead.objects.all(), typed)) == [wanted]


def test_search_needs_every_word_in_any_order():
    both = LeadFactory(name="أحمد", company="شركة النخبة")
    LeadFactory(name="أحمد", company="مؤسسة الأفق")
    assert list(search(Lead.objects.all(), "النخبه احمد")) == [both]


def test_search_treats_like_wildcards_as_text():
    LeadFactory(name="Ten percent", notes="no wildcard")
    percent = LeadFactory(name="100% sure")
    assert list(search(Lead.objects.all(), "100%")) == [percent]
    assert list(search(Lead.objects.all(), "_")) == []


@pytest.mark.parametrize(
    ("factory", "field", "url"),
    [
        (LeadFactory, "name", "crm:lead-list"),
        (ContactFactory, "name", "crm:contact-list"),
        (OpportunityFactory, "name", "crm:opportunity-list"),
        (InteractionFactory, "subject", "crm:interaction-list"),
        (TaskFactory, "title", "crm:task-list"),
        (CampaignFactory, "name", "crm:campaign-list"),
    ],
)
def test_every_list_search_understands_arabic(rep_client, factory, field, url):
    record = factory(**{field: "إبراهيم آل مصطفى"})
    factory(**{field: "Unrelated"})
    response = rep_client.get(reverse(url), {"q": "ابراهيم مصطفي"})
    assert list(response.context["object_list"]) == [record]


@pytest.mark.parametrize(
    ("factory", "model"),
    [(LeadFactory, "lead"), (ContactFactory, "contact"), (CampaignFactory, "campaign")],
)
def test_admin_search_understands_arabic(manager_client, factory, model):
    record = factory(name="أحمد العتيبي")
    factory(name="Unrelated")
    response = manager_client.get(reverse(f"admin:crm_{model}_changelist"), {"q": "احمد"})
    assert list(response.context["cl"].result_list) == [record]


def test_admin_autocomplete_understands_arabic(manager_client):
    lead = LeadFactory(name="آمنة")
    LeadFactory(name="Other")
    response = manager_client.get(
        reverse("admin:autocomplete"),
        {"term": "امنه", "app_label": "crm", "model_name": "opportunity", "field_name": "lead"},
    )
    assert [row["id"] for row in response.json()["results"]] == [str(lead.pk)]


def test_lookup_understands_arabic(rep_client):
    LeadFactory(name="فاطمة الزهراني")
    content = rep_client.get(reverse("crm:lookup", args=["leads"]), {"q": "فاطمه"}).content
    assert "فاطمة الزهراني" in content.decode()


def test_search_text_follows_every_write_path(rep):
    lead = LeadFactory(name="أحمد")
    assert lead.search_text.startswith("احمد")
    lead.name = "إبراهيم"
    lead.save(update_fields=["name"])
    lead.refresh_from_db()
    assert "ابراهيم" in lead.search_text

    # Conversion fills an existing customer's blanks with update_fields: the text follows.
    contact = ContactFactory(name="Known", company="", email="same@example.com")
    attached = LeadFactory(email="same@example.com", company="شركة الأفق", owner=rep)
    services.lead_convert(lead=attached, by=rep, contact=contact)
    contact.refresh_from_db()
    assert "شركه الافق" in contact.search_text


def test_seed_fills_search_text():
    call_command(
        "seed_crm",
        "--leads=20",
        "--contacts=5",
        "--opportunities=5",
        "--interactions=5",
        "--tasks=5",
        "--campaigns=5",
        "--conversions=2",
        "--password=x",
        "--seed=4",
        stdout=io.StringIO(),
    )
    for model in (Lead, Contact):
        assert not model.objects.filter(search_text="").exists()
    lead = Lead.objects.order_by("pk").first()
    text = normalize(
        " ".join([lead.name, lead.company, lead.title, lead.email, lead.phone, lead.notes])
    )
    assert lead.search_text == f"{text} {phone_search_text(lead.phone)}".strip()
    for model in (Lead, Contact):
        assert not model.objects.exclude(phone="").filter(phone_e164="").exists()


@pytest.mark.parametrize(
    ("lead_phone", "contact_phone"),
    [
        ("+966 55 123 4567", "0551234567"),
        ("٠٥٥١٢٣٤٥٦٧", "+966551234567"),
        ("055-123-4567", "(055) 123 4567"),
    ],
)
def test_duplicate_proposals_match_phone_however_typed(lead_phone, contact_phone):
    contact = ContactFactory(phone=contact_phone, email="")
    lead = LeadFactory(phone=lead_phone, email="")
    assert list(Contact.objects.matching_lead(lead)) == [contact]


def test_duplicate_proposals_match_email_ignoring_case():
    contact = ContactFactory(email="Omar.Haddad@Example.com", phone="")
    lead = LeadFactory(email="omar.haddad@example.COM", phone="")
    assert list(Contact.objects.matching_lead(lead)) == [contact]


def test_imported_rows_are_searchable(manager_client):
    from tests.test_admin import csv_bytes, import_file

    content = csv_bytes(
        ["id", "name", "email", "status", "source", "expected_revenue"],
        [["", "إبراهيم الشمري", "ibrahim@example.com", "new", "referral", "10"]],
    )
    import_file(manager_client, "lead", content, "leads.csv", 0)
    assert [lead.name for lead in search(Lead.objects.all(), "ابراهيم")] == ["إبراهيم الشمري"]


# --- The search index on SQLite (FTS5 trigram tables; PostgreSQL has pg_trgm) ---------------


def names(queryset, text):
    return sorted(lead.name for lead in search(queryset, text))


@pytest.mark.django_db
def test_search_finds_rows_however_they_were_written():
    """Saves, bulk inserts, update() and deletes all reach the index (triggers on SQLite)."""
    saved = LeadFactory(name="Khalid Alharbi")
    Lead.objects.bulk_create(
        [Lead(name="Bulk Khalidiya", email="bulk@example.com", owner=saved.owner, search_text="")]
    )
    Lead.objects.filter(name="Bulk Khalidiya").update(search_text="bulk khalidiya")
    assert names(Lead.objects.all(), "khalid") == ["Bulk Khalidiya", "Khalid Alharbi"]

    saved.name = "Omar Alharbi"
    saved.save()
    assert names(Lead.objects.all(), "khalid") == ["Bulk Khalidiya"]
    assert names(Lead.objects.all(), "omar alharbi") == ["Omar Alharbi"]
    Lead.objects.filter(name="Bulk Khalidiya").delete()
    assert names(Lead.objects.all(), "khalid") == []


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["50%", "a_b", "x*y", "what?", "[vip]", "o'neil", '"q"'])
def test_search_matches_wildcard_and_quote_characters_literally(typed):
    LeadFactory(name=f"Lead {typed} here")
    LeadFactory(name="Lead 500 abb xxyy whatt vip oneil q here")
    assert names(Lead.objects.all(), typed) == [f"Lead {typed} here"]


@pytest.mark.django_db
def test_search_short_words_still_match():
    LeadFactory(name="Ali Bo")
    LeadFactory(name="Sara")
    assert names(Lead.objects.all(), "bo al") == ["Ali Bo"]


@pytest.mark.django_db
def test_search_uses_the_trigram_index_on_sqlite(rep_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 index; PostgreSQL's trigram index is tested by its plan")
    LeadFactory(name="Nasser")
    with CaptureQueriesContext(connection) as queries:
        response = rep_client.get(reverse("crm:lead-list"), {"q": "nasser"})
    assert [lead.name for lead in response.context["object_list"]] == ["Nasser"]
    assert any("FROM crm_lead_search WHERE crm_lead_search MATCH" in q["sql"] for q in queries)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT rowid FROM crm_lead_search WHERE crm_lead_search MATCH 'x'"
        )
        assert "VIRTUAL TABLE INDEX" in str(cursor.fetchall())


@pytest.mark.django_db
def test_search_index_is_rebuilt_when_a_migration_lost_its_triggers():
    """SQLite drops a table's triggers when a migration rebuilds it: migrate puts them back."""
    from django.db import connection

    from crm import search_index

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER crm_lead_search_insert")
    LeadFactory(name="Written while unindexed")
    assert names(Lead.objects.all(), "unindexed") == []  # the index missed it

    assert "crm_lead" in search_index.ensure()
    assert names(Lead.objects.all(), "unindexed") == ["Written while unindexed"]
    assert search_index.ensure() == []  # nothing left to do


@pytest.mark.django_db
def test_migrate_builds_the_search_index():
    from django.db import connection

    from crm import search_index

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    from django.apps import apps
    from django.db.models.signals import post_migrate, pre_migrate

    crm = apps.get_app_config("crm")
    assert pre_migrate.has_listeners(crm) and post_migrate.has_listeners(crm)  # migrate calls:
    LeadFactory(name="Before the index")
    search_index.drop()
    search_index.before_migrate(crm, plan=[("a migration", False)])
    search_index.after_migrate(crm)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'crm_lead_search'")
        assert cursor.fetchall()
    assert names(Lead.objects.all(), "before") == ["Before the index"]


@pytest.mark.django_db
def test_list_search_is_tested_once_for_the_page_rows(rep_client):
    """The page's rows are read by key: the search runs in the key query, not again around it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    LeadFactory(name="Nasser Alqahtani")
    with CaptureQueriesContext(connection) as queries:
        response = rep_client.get(reverse("crm:lead-list"), {"q": "alqahtani"})
    assert [lead.name for lead in response.context["object_list"]] == ["Nasser Alqahtani"]
    [page_rows] = [q["sql"] for q in queries if '"crm_lead"."phone"' in q["sql"]]
    assert page_rows.count("alqahtani") == 1
