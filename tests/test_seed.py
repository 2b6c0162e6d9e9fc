"""The demo data: ``manage.py seed_crm`` and the ``fixtures/demo.json`` it produced."""

import datetime
import io
import json
from collections import Counter

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from crm.management.commands import seed_crm
from crm.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    Stage,
    StageChange,
    Task,
    TaskPriority,
    TaskStatus,
)

DEMO_FIXTURE = settings.BASE_DIR / "fixtures" / "demo.json"
DEMO_PASSWORD = "demo-password-123"
SIZES = {
    "campaigns": 5,
    "leads": 40,
    "contacts": 10,
    "opportunities": 14,
    "interactions": 30,
    "tasks": 16,
    "conversions": 4,
}
# A fixed seed keeps the tests' data the same on every run.
SMALL = {**SIZES, "seed": 7}
NOTHING = dict.fromkeys(SIZES, 0)
RECORDS = (Campaign, Lead, Contact, Opportunity, StageChange, Interaction, Task)


def seed(*args, **options) -> str:
    """Run seed_crm with small sizes (overridable) and return what it printed."""
    out = io.StringIO()
    call_command("seed_crm", *args, stdout=out, stderr=io.StringIO(), **{**SMALL, **options})
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in RECORDS}


def fingerprint() -> dict[str, list]:
    """What a seed decides: every record's content, without ids or the moment it ran."""
    return {
        "users": sorted(get_user_model().objects.values_list("username", "first_name")),
        "campaigns": sorted(
            Campaign.objects.values_list("name", "kind", "status", "start_date", "budget")
        ),
        "leads": sorted(
            Lead.objects.values_list(
                "name", "email", "phone", "status", "rating", "source", "expected_revenue"
            )
        ),
        "contacts": sorted(Contact.objects.values_list("name", "email", "phone", "company")),
        "opportunities": sorted(
            Opportunity.objects.values_list("name", "stage__code", "amount", "probability")
        ),
        "interactions": sorted(
            Interaction.objects.values_list("kind", "subject", "notes", "outcome", "duration"),
            key=repr,
        ),
        "tasks": sorted(Task.objects.values_list("title", "status", "priority", "due_date")),
    }


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """New passwords hash fast; PBKDF2 stays available to check the fixture's password."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.mark.django_db
def test_seed_crm_creates_the_manager_and_reps_in_their_roles():
    seed(reps=3)

    users = get_user_model().objects.order_by("username")
    assert [user.username for user in users] == ["manager", "rep1", "rep2", "rep3"]
    manager = users.get(username="manager")
    assert manager.is_staff
    assert list(manager.groups.values_list("name", flat=True)) == ["Sales manager"]
    for rep in users.exclude(username="manager"):
        assert not rep.is_staff
        assert list(rep.groups.values_list("name", flat=True)) == ["Sales rep"]
    assert all(user.first_name and user.last_name for user in users)


@pytest.mark.django_db
def test_seed_crm_prints_a_generated_password_that_logs_in():
    out = seed()

    line = next(line for line in out.splitlines() if line.startswith("Log in as manager / "))
    password = line.removeprefix("Log in as manager / ")
    assert len(password) >= 10
    assert get_user_model().objects.get(username="manager").check_password(password)
    assert get_user_model().objects.get(username="rep4").check_password(password)


@pytest.mark.parametrize(
    ("model", "field", "values"),
    [
        (Campaign, "kind", CampaignKind.values),
        (Campaign, "status", CampaignStatus.values),
        (Lead, "status", LeadStatus.values),
        (Lead, "source", LeadSource.values),
        (Lead, "rating", [None, 1, 2, 3, 4, 5]),
        (Interaction, "kind", InteractionKind.values),
        (Task, "status", TaskStatus.values),
        (Task, "priority", TaskPriority.values),
    ],
)
@pytest.mark.django_db
def test_seed_crm_covers_every_choice(model, field, values):
    seed()

    assert set(model.objects.values_list(field, flat=True)) == set(values)


@pytest.mark.django_db
def test_seed_crm_puts_opportunities_in_every_stage_by_the_stage_rules():
    seed()

    assert set(Opportunity.objects.values_list("stage", flat=True)) == set(
        Stage.objects.values_list("pk", flat=True)
    )
    for opportunity in Opportunity.objects.select_related("stage", "lead"):
        stage = opportunity.stage
        assert (opportunity.closed_at is not None) == stage.is_closed
        assert bool(opportunity.lost_reason) == stage.is_lost
        if stage.is_won:
            assert opportunity.probability == 100
        elif stage.is_closed:
            assert opportunity.probability == 0
        else:
            assert opportunity.probability == stage.default_probability
        if opportunity.lead:
            assert opportunity.campaign_id == opportunity.lead.campaign_id
    history = StageChange.objects.filter(from_stage__isnull=True, to_stage=F("opportunity__stage"))
    assert history.values("opportunity").distinct().count() == Opportunity.objects.count()


@pytest.mark.django_db
def test_seed_crm_records_pass_model_validation():
    seed()

    for model in (Campaign, Lead, Contact, Opportunity, Interaction, Task):
        for record in model.objects.all():
            record.full_clean()
    assert not Lead.objects.filter(status=LeadStatus.LOST, lost_reason="").exists()
    assert Lead.objects.filter(campaign__isnull=False).exists()
    assert Lead.objects.filter(rating__isnull=True).exists()


@pytest.mark.django_db
def test_seed_crm_spreads_records_over_the_last_year():
    seed()
    now = timezone.now()

    for model in (Lead, Contact, Opportunity, Interaction):
        oldest = model.objects.earliest("created_at").created_at
        newest = model.objects.latest("created_at").created_at
        assert now - datetime.timedelta(days=366) <= oldest < newest <= now
        assert newest - oldest > datetime.timedelta(days=30), model
    occurred = Interaction.objects.values_list("occurred_at", flat=True)
    assert min(occurred) >= now - datetime.timedelta(days=366)
    assert max(occurred) <= now
    # The switch that lets bulk_create keep those dates is back on afterwards.
    assert Lead._meta.get_field("created_at").auto_now_add


@pytest.mark.django_db
def test_seed_crm_plans_tasks_around_today():
    seed()
    today = timezone.localdate()
    open_tasks = Task.objects.filter(status__in=[TaskStatus.PENDING, TaskStatus.IN_PROGRESS])

    assert Task.objects.overdue().exists()
    assert open_tasks.filter(due_date=today).exists()
    this_week = open_tasks.filter(due_date__gt=today, due_date__lte=today + datetime.timedelta(7))
    assert this_week.exists()
    done = Task.objects.filter(status=TaskStatus.COMPLETED)
    assert not done.filter(completed_at__isnull=True).exists()
    assert not Task.objects.exclude(pk__in=done).filter(completed_at__isnull=False).exists()
    assignees = set(Task.objects.values_list("assigned_to__username", flat=True))
    assert "manager" in assignees
    assert any(username.startswith("rep") for username in assignees)


@pytest.mark.django_db
def test_seed_crm_links_every_interaction():
    seed()

    assert not Interaction.objects.filter(
        lead__isnull=True, contact__isnull=True, opportunity__isnull=True
    ).exists()
    for link in ("lead", "contact", "opportunity"):
        assert Interaction.objects.filter(**{f"{link}__isnull": False}).exists(), link


@pytest.mark.django_db
def test_seed_crm_converts_leads_through_the_conversion_rule():
    seed()
    converted = Lead.objects.filter(status=LeadStatus.CONVERTED).select_related("contact")

    assert converted.count() == SMALL["conversions"]
    for lead in converted:
        assert lead.contact is not None
        assert lead.converted_by is not None
        assert lead.created_at <= lead.converted_at <= timezone.now()
        assert lead.interactions.filter(
            kind=InteractionKind.NOTE, contact=lead.contact, subject__startswith="Converted"
        ).exists()
    # Some made a deal, some did not; some were attached to a customer with their e-mail.
    notes = Interaction.objects.filter(kind=InteractionKind.NOTE, subject__startswith="Converted")
    assert notes.filter(opportunity__isnull=True).exists()
    for note in notes.filter(opportunity__isnull=False).select_related("opportunity"):
        assert note.opportunity.lead_id == note.lead_id
        assert note.opportunity.contact_id == note.contact_id
    attached = notes.filter(subject__startswith="Converted and attached")
    assert attached.exists()
    for note in attached.select_related("lead", "contact"):
        assert note.lead.email == note.contact.email
    assert Contact.objects.count() == SMALL["contacts"] + SMALL["conversions"] - attached.count()


@pytest.mark.django_db
def test_seed_crm_same_seed_gives_the_same_records():
    seed("--reset", seed=11)
    first = fingerprint()
    seed("--reset", seed=11)

    assert fingerprint() == first
    seed("--reset", seed=12)
    assert fingerprint()["leads"] != first["leads"]


@pytest.mark.django_db
def test_seed_crm_run_twice_adds_records_and_keeps_users():
    seed(password="first-password")
    users = list(get_user_model().objects.order_by("pk").values_list("pk", "username"))
    once = counts()

    out = seed()

    assert list(get_user_model().objects.order_by("pk").values_list("pk", "username")) == users
    assert counts() == {model: 2 * count for model, count in once.items()}
    assert "Log in as manager (existing user: password unchanged)" in out
    assert get_user_model().objects.get(username="manager").check_password("first-password")


@pytest.mark.django_db
def test_seed_crm_password_option_resets_existing_users_passwords():
    seed(**NOTHING)

    out = seed(password="second-password", **NOTHING)

    assert "Log in as manager / second-password" in out
    for user in get_user_model().objects.all():
        assert user.check_password("second-password")


@pytest.mark.django_db
def test_seed_crm_if_empty_does_nothing_when_leads_exist():
    seed(password="the-password")
    before = counts()

    out = seed("--if-empty", password="the-password")

    assert counts() == before
    assert "nothing seeded" in out
    assert "Log in as manager / the-password" in out


@pytest.mark.django_db
def test_seed_crm_if_empty_seeds_an_empty_crm():
    out = seed("--if-empty", password="the-password")

    assert Lead.objects.count() == SMALL["leads"]
    assert "Log in as manager / the-password" in out


@pytest.mark.django_db
def test_seed_crm_reset_deletes_crm_records_but_not_users_or_stages():
    seed()
    users = get_user_model().objects.count()

    seed("--reset", **NOTHING)

    assert set(counts().values()) == {0}
    assert get_user_model().objects.count() == users
    assert Stage.objects.count() == 7


@pytest.mark.django_db
def test_seed_crm_verbosity_0_prints_only_the_login_lines():
    out = seed(password="pw-123456", verbosity=0)

    assert out.splitlines() == [
        "Log in as manager / pw-123456",
        "Sales reps: rep1, rep2, rep3, rep4 / pw-123456",
    ]


@pytest.mark.django_db
def test_seed_crm_reports_progress_per_batch_on_long_runs(monkeypatch):
    monkeypatch.setattr(seed_crm, "BATCH_SIZE", 10)

    out = seed(leads=25)

    bars = [line for line in out.splitlines() if line.strip().startswith("leads [")]
    assert [line.split("]")[1].split()[0] for line in bars] == ["10/25", "20/25", "25/25"]
    assert "█" * 20 in bars[-1]
    assert Lead.objects.count() == 25


@pytest.mark.django_db
def test_seed_crm_scale_preset_sets_sizes_and_explicit_sizes_win(monkeypatch):
    monkeypatch.setitem(
        seed_crm.SCALES,
        "tiny",
        {"leads": 7, "contacts": 3, "campaigns": 5, "opportunities": 4, "interactions": 5,
         "tasks": 4, "conversions": 1, "reps": 2, "years": 3},
    )  # fmt: skip
    call_command(
        "seed_crm", "--scale=tiny", "--contacts=2", "--password=x", "--no-history",
        "--seed=3", stdout=io.StringIO(),
    )  # fmt: skip
    assert Lead.objects.count() == 7
    assert Contact.objects.filter(source_lead__isnull=True).count() == 2
    assert Lead.history.count() < Lead.objects.count()  # only the real conversions wrote any
    oldest = Lead.objects.order_by("created_at").first().created_at
    assert (timezone.now() - oldest).days > 365  # three years back, not one


def test_seed_crm_rejects_negative_sizes():
    with pytest.raises(CommandError, match="zero or more"):
        call_command("seed_crm", "--leads=-1", stdout=io.StringIO())


@pytest.mark.django_db
def test_demo_fixture_loads_on_a_migrated_database():
    expected = Counter(row["model"] for row in json.loads(DEMO_FIXTURE.read_text()))

    call_command("loaddata", DEMO_FIXTURE, stdout=io.StringIO())

    for model in RECORDS:
        assert model.objects.count() == expected[model._meta.label_lower] > 0, model
    assert get_user_model().objects.count() == expected["auth.user"]
    manager = get_user_model().objects.get(username="manager")
    assert manager.is_staff
    assert manager.groups.filter(name="Sales manager").exists()
    assert manager.check_password(DEMO_PASSWORD)
    assert Lead.objects.filter(status=LeadStatus.CONVERTED).exists()
    for model in (Campaign, Lead, Contact, Opportunity, Interaction, Task):
        for record in model.objects.all():
            record.full_clean()


@pytest.mark.django_db
def test_demo_fixture_carries_the_columns_that_saving_derives():
    """loaddata writes rows as they are (no save()): the fixture holds the normalised search
    text, phones and emails, and each deal's customer name, as the models keep them."""
    call_command("loaddata", DEMO_FIXTURE, stdout=io.StringIO())

    for model in (Campaign, Lead, Contact, Opportunity, Interaction, Task):
        for record in model.objects.all():
            stored = {name: getattr(record, name) for name in record.DERIVED_FIELDS}
            record.refresh_derived()
            assert stored == {name: getattr(record, name) for name in record.DERIVED_FIELDS}
            assert record.search_text, record
    for deal in Opportunity.objects.all():
        assert deal.customer_name == deal.read_customer_name() != "", deal
    lead = Lead.objects.exclude(phone="").first()
    assert Lead.objects.sharing(phone=lead.phone).filter(pk=lead.pk).exists()


def index_definitions() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "ORDER BY indexname"
            )
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "ORDER BY name"
            )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_seed_crm_big_seeds_build_the_indexes_after_the_rows(monkeypatch):
    """A big seed drops the records' indexes first and builds every one of them again."""
    monkeypatch.setattr(seed_crm, "BIG_SEED", 50)
    before = index_definitions()
    assert any("crm_opp_expected_value_sort" in sql for sql in before)

    out = seed(leads=40, contacts=10, opportunities=10)

    assert "Dropping the indexes" in out and "Indexes built" in out
    assert index_definitions() == before  # the same indexes, partial and expression ones too
    assert Lead.objects.count() == 40


@pytest.mark.django_db
def test_seed_crm_small_seeds_keep_their_indexes(monkeypatch):
    out = seed(leads=5)
    assert "Dropping the indexes" not in out


@pytest.mark.django_db
def test_seed_crm_adds_a_few_sensible_rules_that_its_own_writes_do_not_trigger(
    django_capture_on_commit_callbacks,
):
    from crm.automation.scheduled import run_scheduled
    from crm.models import Rule, RuleRun

    with django_capture_on_commit_callbacks(execute=True):
        seed()
    rules = {rule.name: rule for rule in Rule.objects.all()}
    assert set(rules) == {
        "Website lead: a follow-up call the next day",
        "Deal idle for 14 days: tell its owner",
    }
    assert all(rule.is_active and rule.created_by.username == "manager" for rule in rules.values())
    assert not RuleRun.objects.exists()  # its conversions ran no rule
    with django_capture_on_commit_callbacks(execute=True):
        run_scheduled()  # the demo's idle deals: their owners are told
    assert RuleRun.objects.filter(outcome="succeeded").exists()
    seed("--reset")
    assert Rule.objects.count() == 2  # kept, not doubled
