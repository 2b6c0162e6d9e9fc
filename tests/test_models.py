"""Every bound of DOMAIN.md, checked twice: as a validation message and as a constraint."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    stage,
)
from crm.models import (
    Campaign,
    Interaction,
    Lead,
    LeadStatus,
    Opportunity,
    Stage,
    Task,
    TaskStatus,
)

pytestmark = pytest.mark.django_db


def assert_db_refuses(queryset, **values):
    """A bulk update, which skips validation, is stopped by the database itself."""
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)


def error_fields(exc: ValidationError) -> set[str]:
    return set(exc.value.message_dict)


# --- Database constraints: no path can store these ------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"expected_revenue": Decimal("-1")},
        {"rating": 0},
        {"rating": 9},
        {"email": "", "phone": ""},
        {"name": ""},
        {"status": "bogus"},
        {"source": "bogus"},
        {"status": LeadStatus.LOST, "lost_reason": ""},
        {"status": LeadStatus.CONVERTED},
    ],
    ids=str,
)
def test_lead_constraint_refuses_bad_values(values):
    lead = LeadFactory()
    assert_db_refuses(Lead.objects.filter(pk=lead.pk), **values)


@pytest.mark.parametrize(
    "values",
    [
        {"amount": Decimal("-0.01")},
        {"probability": 130},
        {"contact": None, "lead": None},
        {"name": ""},
    ],
    ids=str,
)
def test_opportunity_constraint_refuses_bad_values(values):
    opportunity = OpportunityFactory()
    assert_db_refuses(Opportunity.objects.filter(pk=opportunity.pk), **values)


@pytest.mark.parametrize(
    "values",
    [
        {"budget": Decimal("-5")},
        {"actual_cost": Decimal("-5")},
        {"kind": "radio"},
        {"status": "bogus"},
    ],
    ids=str,
)
def test_campaign_constraint_refuses_bad_values(values):
    campaign = CampaignFactory()
    assert_db_refuses(Campaign.objects.filter(pk=campaign.pk), **values)


def test_campaign_constraint_refuses_end_before_start():
    campaign = CampaignFactory()
    assert_db_refuses(
        Campaign.objects.filter(pk=campaign.pk),
        end_date=campaign.start_date - datetime.timedelta(days=1),
    )


@pytest.mark.parametrize(
    "values",
    [{"lead": None}, {"kind": "fax"}, {"subject": ""}],
    ids=str,
)
def test_interaction_constraint_refuses_bad_values(values):
    interaction = InteractionFactory()  # linked to a lead only
    assert_db_refuses(Interaction.objects.filter(pk=interaction.pk), **values)


@pytest.mark.parametrize(
    "values",
    [
        {"status": TaskStatus.COMPLETED, "completed_at": None},
        {"status": TaskStatus.PENDING, "completed_at": timezone.now()},
        {"priority": "whenever"},
        {"status": "bogus"},
    ],
    ids=str,
)
def test_task_constraint_refuses_bad_values(values):
    task = TaskFactory()
    assert_db_refuses(Task.objects.filter(pk=task.pk), **values)


@pytest.mark.parametrize(
    "values",
    [
        {"default_probability": 101},
        {"is_won": True, "is_closed": False},
        {"is_closed": True, "is_won": False, "default_probability": 40},
    ],
    ids=str,
)
def test_stage_constraint_refuses_bad_values(values):
    assert_db_refuses(Stage.objects.filter(code="proposal"), **values)


# --- Validation: the same bounds, as clear messages next to the field ------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"expected_revenue": Decimal("-1")}, "expected_revenue"),
        ({"rating": 9}, "rating"),
        ({"rating": 0}, "rating"),
        ({"email": "", "phone": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"status": "bogus"}, "status"),
        ({"name": "x" * 201}, "name"),
        ({"status": LeadStatus.LOST, "lost_reason": " "}, "lost_reason"),
        ({"status": LeadStatus.CONVERTED}, "status"),
    ],
    ids=str,
)
def test_lead_validation_reports_field(values, field):
    lead = LeadFactory.build(owner=LeadFactory().owner, **values)
    with pytest.raises(ValidationError) as exc:
        lead.full_clean()
    assert field in error_fields(exc)


def test_lead_validation_accepts_phone_only():
    lead = LeadFactory.build(owner=LeadFactory().owner, email="", phone="+966 55 123 4567")
    lead.full_clean()


def test_opportunity_validation_reports_bad_values():
    opportunity = OpportunityFactory.build(
        owner=OpportunityFactory().owner,
        contact=None,
        lead=None,
        amount=Decimal("-1"),
        probability=130,
    )
    with pytest.raises(ValidationError) as exc:
        opportunity.full_clean()
    assert {"amount", "probability", "contact", "lead"} <= error_fields(exc)


def test_opportunity_validation_wants_lost_reason():
    opportunity = OpportunityFactory()
    opportunity.stage = stage("closed_lost")
    opportunity.lost_reason = ""
    with pytest.raises(ValidationError) as exc:
        opportunity.full_clean()
    assert "lost_reason" in error_fields(exc)


def test_campaign_validation_reports_end_before_start():
    campaign = CampaignFactory.build(owner=CampaignFactory().owner, budget=Decimal("-1"))
    campaign.end_date = campaign.start_date - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        campaign.full_clean()
    assert {"end_date", "budget"} <= error_fields(exc)


def test_interaction_validation_wants_a_link():
    interaction = InteractionFactory.build(lead=None, duration=-5)
    with pytest.raises(ValidationError) as exc:
        interaction.full_clean()
    assert "duration" in error_fields(exc)
    assert "__all__" in error_fields(exc)


# --- Small facts about one row ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "probability", "expected"),
    [
        ("999.00", 33, "329.67"),
        ("0.00", 50, "0.00"),
        ("100.00", 0, "0.00"),
        ("1234.56", 100, "1234.56"),
        ("10.01", 25, "2.50"),
    ],
)
def test_opportunity_expected_value_in_python_and_database(amount, probability, expected):
    opportunity = OpportunityFactory(amount=Decimal(amount), probability=probability)
    annotated = Opportunity.objects.with_expected_value().get(pk=opportunity.pk)
    assert opportunity.expected_value == Decimal(expected)
    assert annotated.expected_value == Decimal(expected)


def test_opportunity_expected_value_sorts_in_database():
    small = OpportunityFactory(amount=Decimal("1000"), probability=90)  # 900
    large = OpportunityFactory(amount=Decimal("999"), probability=100)  # 999
    middle = OpportunityFactory(amount=Decimal("5000"), probability=10)  # 500
    ordered = Opportunity.objects.with_expected_value().order_by("-expected_value")
    assert list(ordered) == [large, small, middle]


@pytest.mark.parametrize(
    ("status", "days", "overdue"),
    [
        (TaskStatus.PENDING, -1, True),
        (TaskStatus.IN_PROGRESS, -30, True),
        (TaskStatus.PENDING, 0, False),
        (TaskStatus.PENDING, 3, False),
        (TaskStatus.COMPLETED, -1, False),
        (TaskStatus.CANCELLED, -1, False),
    ],
)
def test_task_overdue_in_python_and_database(status, days, overdue):
    task = TaskFactory(status=status, due_date=timezone.localdate() + datetime.timedelta(days))
    assert task.is_overdue is overdue
    assert Task.objects.with_overdue().get(pk=task.pk).is_overdue is overdue
    assert Task.objects.overdue().filter(pk=task.pk).exists() is overdue


def test_task_save_keeps_completed_at_in_step_with_status():
    task = TaskFactory()
    task.status = TaskStatus.COMPLETED
    task.save()
    assert task.completed_at is not None
    task.status = TaskStatus.CANCELLED
    task.save(update_fields=["status"])
    task.refresh_from_db()
    assert task.completed_at is None


def test_stage_display_name_follows_language():
    from django.utils import translation

    proposal = stage("proposal")
    with translation.override("ar"):
        assert proposal.display_name == "عرض"
    with translation.override("en"):
        assert proposal.display_name == "Proposal"


def test_contact_matching_lead_by_email_or_phone():
    lead = LeadFactory(email="Same@Example.com", phone="+966500000001")
    by_email = ContactFactory(email="same@example.com", phone="")
    by_phone = ContactFactory(email="other@example.com", phone="+966500000001")
    ContactFactory(email="stranger@example.com", phone="+966500000999")
    assert set(lead_matches(lead)) == {by_email, by_phone}


def lead_matches(lead):
    from crm.models import Contact

    return Contact.objects.matching_lead(lead)
