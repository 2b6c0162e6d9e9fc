"""The rules that span records: lead conversion, stage moves, campaign metrics, the pipeline."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from crm import services
from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
    stage,
)
from crm.models import (
    Campaign,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    LeadStatus,
    Opportunity,
    StageChange,
    TaskStatus,
)

pytestmark = pytest.mark.django_db


# --- Lead conversion -------------------------------------------------------------------------


def test_lead_convert_creates_customer_and_links_history(rep):
    campaign = CampaignFactory()
    lead = LeadFactory(
        owner=rep,
        name="أحمد العتيبي",
        company="شركة الأفق",
        title="مدير",
        email="ahmad@example.com",
        phone="+966500000001",
        campaign=campaign,
        expected_revenue=Decimal("7500.00"),
    )
    interaction = InteractionFactory(lead=lead)
    task = TaskFactory(lead=lead)

    result = services.lead_convert(lead=lead, by=rep, create_opportunity=True)

    contact = result.contact
    assert result.contact_created
    assert (contact.name, contact.company, contact.title) == ("أحمد العتيبي", "شركة الأفق", "مدير")
    assert (contact.email, contact.phone) == ("ahmad@example.com", "+966500000001")
    assert contact.owner == lead.owner
    assert contact.source_lead == lead
    assert contact.created_by == rep

    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert lead.contact == contact
    assert lead.converted_by == rep
    assert lead.converted_at is not None

    opportunity = result.opportunity
    assert opportunity.contact == contact
    assert opportunity.lead == lead
    assert opportunity.campaign == campaign
    assert opportunity.amount == Decimal("7500.00")
    assert opportunity.stage.code == "prospecting"
    assert opportunity.probability == 10
    assert opportunity.stage_changes.count() == 1

    interaction.refresh_from_db()
    task.refresh_from_db()
    assert (interaction.lead, interaction.contact) == (lead, contact)
    assert (task.lead, task.contact) == (lead, contact)

    note = Interaction.objects.exclude(pk=interaction.pk).get(
        lead=lead, kind=InteractionKind.NOTE, contact=contact
    )
    assert "أحمد العتيبي" in note.subject
    assert note.created_by == rep


def test_lead_convert_without_opportunity(rep):
    lead = LeadFactory(owner=rep)
    result = services.lead_convert(lead=lead, by=rep)
    assert result.opportunity is None
    assert not Opportunity.objects.exists()


def test_lead_convert_opportunity_amount_and_name_can_be_given(rep):
    lead = LeadFactory(owner=rep, expected_revenue=Decimal("100"))
    result = services.lead_convert(
        lead=lead,
        by=rep,
        create_opportunity=True,
        opportunity_name="Big deal",
        opportunity_amount=Decimal("250.50"),
    )
    assert (result.opportunity.name, result.opportunity.amount) == ("Big deal", Decimal("250.50"))


def test_lead_convert_attach_fills_only_empty_fields(rep):
    contact = ContactFactory(
        name="Existing Name", company="", title="CTO", email="same@example.com", phone=""
    )
    lead = LeadFactory(
        owner=rep,
        name="Lead Name",
        company="Lead Co",
        title="Intern",
        email="same@example.com",
        phone="+966511111111",
    )
    result = services.lead_convert(lead=lead, by=rep, contact=contact)
    contact.refresh_from_db()
    assert not result.contact_created
    assert Contact.objects.count() == 1
    assert contact.name == "Existing Name"
    assert contact.title == "CTO"
    assert contact.company == "Lead Co"
    assert contact.phone == "+966511111111"
    assert contact.source_lead == lead
    lead.refresh_from_db()
    assert lead.contact == contact


def test_lead_convert_second_attempt_is_refused_and_changes_nothing(rep):
    lead = LeadFactory(owner=rep)
    services.lead_convert(lead=lead, by=rep, create_opportunity=True)
    counts = (Contact.objects.count(), Opportunity.objects.count(), Interaction.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.lead_convert(lead=lead, by=rep, create_opportunity=True)
    assert exc.value.code == "converted"
    assert counts == (
        Contact.objects.count(),
        Opportunity.objects.count(),
        Interaction.objects.count(),
    )


def test_lead_convert_stale_object_is_refused(rep):
    """A second browser holding the lead as it was before conversion is refused too."""
    lead = LeadFactory(owner=rep)
    stale = Lead.objects.get(pk=lead.pk)
    services.lead_convert(lead=lead, by=rep)
    with pytest.raises(ValidationError):
        services.lead_convert(lead=stale, by=rep)
    assert Contact.objects.count() == 1


def test_lead_convert_refuses_lost_lead(rep):
    lead = LeadFactory(owner=rep, status=LeadStatus.LOST)
    with pytest.raises(ValidationError) as exc:
        services.lead_convert(lead=lead, by=rep)
    assert exc.value.code == "lost"
    services.lead_reopen(lead=lead, by=rep)
    services.lead_convert(lead=lead, by=rep)


def test_lead_convert_failure_leaves_nothing_half_done(rep, monkeypatch):
    lead = LeadFactory(owner=rep)
    InteractionFactory(lead=lead)

    def broken_save(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services.leads, "opportunity_create", broken_save)
    with pytest.raises(RuntimeError):
        services.lead_convert(lead=lead, by=rep, create_opportunity=True)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    assert lead.contact is None
    assert not Contact.objects.exists()
    assert not Opportunity.objects.exists()
    assert Interaction.objects.filter(contact__isnull=False).count() == 0


def test_lead_convert_invalid_contact_data_rolls_back(rep):
    # A lead stored before a stricter rule (bypassing validation) cannot half-convert.
    lead = LeadFactory(owner=rep)
    Lead.objects.filter(pk=lead.pk).update(email="not an email")
    lead.refresh_from_db()
    with pytest.raises(ValidationError):
        services.lead_convert(lead=lead, by=rep)
    assert not Contact.objects.exists()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lead_convert_concurrent_requests_make_one_customer(on_postgres):
    """Two requests converting one lead at the same instant: one wins, the other is refused."""
    rep = UserFactory()
    rep.groups.add(Group.objects.get(name="Sales rep"))
    lead = LeadFactory(owner=rep)
    barrier = threading.Barrier(2)
    outcomes = []

    def convert():
        try:
            stale = Lead.objects.get(pk=lead.pk)
            barrier.wait(timeout=5)
            services.lead_convert(lead=stale, by=rep, create_opportunity=True)
            outcomes.append("done")
        except ValidationError as exc:
            outcomes.append(f"refused:{exc.code}")
        finally:
            connection.close()

    threads = [threading.Thread(target=convert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["done", "refused:converted"]
    assert Contact.objects.count() == 1
    assert Opportunity.objects.count() == 1
    assert Lead.objects.get(pk=lead.pk).contact == Contact.objects.get()


# --- Stage moves -----------------------------------------------------------------------------


def test_opportunity_create_takes_stage_default_and_records_history(rep):
    contact = ContactFactory()
    opportunity = services.opportunity_create(
        by=rep,
        data={
            "name": "Deal",
            "contact": contact,
            "amount": Decimal("1000"),
            "stage": stage("proposal"),
        },
    )
    assert opportunity.owner == rep
    assert opportunity.created_by == rep
    assert (opportunity.probability, opportunity.probability_is_manual) == (50, False)
    change = StageChange.objects.get(opportunity=opportunity)
    assert (change.from_stage, change.to_stage.code, change.changed_by) == (None, "proposal", rep)
    assert (change.amount, change.probability) == (Decimal("1000.00"), 50)


@pytest.mark.parametrize(
    ("code", "probability"),
    [("qualification", 25), ("proposal", 50), ("negotiation", 75), ("closing", 90)],
)
def test_opportunity_move_stage_sets_default_probability(rep, code, probability):
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_move_stage(opportunity=opportunity, stage=stage(code), by=rep)
    opportunity.refresh_from_db()
    assert opportunity.probability == probability
    assert opportunity.closed_at is None
    change = opportunity.stage_changes.get()
    assert (change.from_stage.code, change.to_stage.code) == ("prospecting", code)
    assert change.probability == probability


def test_opportunity_move_stage_keeps_probability_set_by_hand(rep):
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_move_stage(
        opportunity=opportunity, stage=stage("qualification"), by=rep, probability=40
    )
    services.opportunity_move_stage(opportunity=opportunity, stage=stage("proposal"), by=rep)
    opportunity.refresh_from_db()
    assert opportunity.probability == 40
    assert opportunity.probability_is_manual


def test_opportunity_move_stage_won_is_100_and_closes(rep):
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_move_stage(
        opportunity=opportunity, stage=stage("qualification"), by=rep, probability=40
    )
    services.opportunity_move_stage(opportunity=opportunity, stage=stage("closed_won"), by=rep)
    opportunity.refresh_from_db()
    assert opportunity.probability == 100
    assert opportunity.closed_at is not None


def test_opportunity_move_stage_lost_needs_reason_and_is_0(rep):
    opportunity = OpportunityFactory(owner=rep)
    with pytest.raises(ValidationError) as exc:
        services.opportunity_move_stage(opportunity=opportunity, stage=stage("closed_lost"), by=rep)
    assert "lost_reason" in exc.value.message_dict
    opportunity = Opportunity.objects.get(pk=opportunity.pk)
    assert opportunity.stage.code == "prospecting"
    assert not opportunity.stage_changes.exists()

    services.opportunity_move_stage(
        opportunity=opportunity, stage=stage("closed_lost"), by=rep, lost_reason="Too expensive"
    )
    opportunity.refresh_from_db()
    assert (opportunity.probability, opportunity.lost_reason) == (0, "Too expensive")
    assert opportunity.closed_at is not None


def test_opportunity_move_stage_reopen_clears_closed_at(rep):
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_move_stage(
        opportunity=opportunity, stage=stage("closed_lost"), by=rep, lost_reason="No budget"
    )
    services.opportunity_move_stage(opportunity=opportunity, stage=stage("negotiation"), by=rep)
    opportunity.refresh_from_db()
    assert opportunity.closed_at is None
    assert opportunity.lost_reason == ""
    assert opportunity.probability == 75
    assert [c.to_stage.code for c in opportunity.stage_changes.all()] == [
        "closed_lost",
        "negotiation",
    ]


def test_opportunity_update_without_stage_change_records_no_move(rep):
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_update(opportunity=opportunity, by=rep, data={"amount": Decimal("123.45")})
    assert not opportunity.stage_changes.exists()


# --- Campaign metrics ------------------------------------------------------------------------


def won_deal(campaign, amount):
    return OpportunityFactory(
        campaign=campaign, stage=stage("closed_won"), probability=100, amount=Decimal(amount)
    )


def test_campaign_metrics_computed_by_database(rep):
    campaign = CampaignFactory(actual_cost=Decimal("3000.00"))
    leads = LeadFactory.create_batch(3, campaign=campaign, owner=rep)
    LeadFactory(campaign=CampaignFactory())  # someone else's lead
    services.lead_convert(lead=leads[0], by=rep)
    won_deal(campaign, "9000.00")
    won_deal(campaign, "1000.00")
    OpportunityFactory(campaign=campaign, amount=Decimal("50000"))  # open: not revenue

    metrics = Campaign.objects.with_metrics().get(pk=campaign.pk)

    assert metrics.leads_count == 3
    assert metrics.converted_count == 1
    assert metrics.conversion_rate == Decimal("33.33")
    assert metrics.cost_per_lead == Decimal("1000.00")
    assert metrics.won_revenue == Decimal("10000.00")
    # (10000 - 3000) / 3000 * 100
    assert metrics.roi == Decimal("233.33")


def test_campaign_metrics_have_no_value_when_divisor_is_zero():
    campaign = CampaignFactory(actual_cost=Decimal("0.00"))
    metrics = Campaign.objects.with_metrics().get(pk=campaign.pk)
    assert (metrics.leads_count, metrics.converted_count) == (0, 0)
    assert metrics.won_revenue == Decimal("0")
    assert metrics.conversion_rate is None
    assert metrics.cost_per_lead is None
    assert metrics.roi is None


def test_campaign_metrics_negative_roi():
    campaign = CampaignFactory(actual_cost=Decimal("2000.00"))
    won_deal(campaign, "500.00")
    assert Campaign.objects.with_metrics().get(pk=campaign.pk).roi == Decimal("-75.00")


def test_campaign_metrics_fixed_queries(django_assert_num_queries):
    for _ in range(5):
        campaign = CampaignFactory()
        LeadFactory.create_batch(2, campaign=campaign)
        won_deal(campaign, "100")
    with django_assert_num_queries(1):
        assert len(list(Campaign.objects.with_metrics())) == 5


# --- Pipeline summary ------------------------------------------------------------------------


def test_pipeline_summary_totals_open_and_weighted():
    OpportunityFactory(stage=stage("prospecting"), amount=Decimal("1000"), probability=10)
    OpportunityFactory(stage=stage("proposal"), amount=Decimal("999"), probability=33)
    OpportunityFactory(stage=stage("closed_won"), amount=Decimal("5000"), probability=100)
    OpportunityFactory(stage=stage("closed_lost"), amount=Decimal("7000"), probability=0)

    summary = Opportunity.objects.pipeline_summary()

    assert summary["open_count"] == 2
    assert summary["open_amount"] == Decimal("1999.00")
    assert summary["open_weighted"] == Decimal("429.67")  # 100 + 329.67
    assert (summary["won_count"], summary["won_amount"]) == (1, Decimal("5000.00"))
    assert summary["lost_count"] == 1
    by_code = {row["stage"].code: row for row in summary["stages"]}
    assert len(by_code) == 7
    assert by_code["negotiation"]["count"] == 0
    assert by_code["negotiation"]["amount"] == Decimal("0")
    assert by_code["proposal"]["weighted"] == Decimal("329.67")


def test_pipeline_summary_fixed_queries(django_assert_num_queries):
    OpportunityFactory.create_batch(3)
    with django_assert_num_queries(2):
        Opportunity.objects.pipeline_summary()
    OpportunityFactory.create_batch(10, stage=stage("closing"))
    with django_assert_num_queries(2):
        Opportunity.objects.pipeline_summary()


def test_pipeline_summary_empty():
    summary = Opportunity.objects.pipeline_summary()
    assert summary["open_count"] == 0
    assert summary["open_weighted"] == Decimal("0")


def test_task_due_dates_around_today_for_overdue_counts():
    today = timezone.localdate()
    TaskFactory(due_date=today - datetime.timedelta(days=1))
    TaskFactory(due_date=today)
    from crm.models import Task

    assert Task.objects.overdue().count() == 1


# --- Transitions ----------------------------------------------------------------------------


def test_task_complete_sets_and_reopen_clears_completed_at(rep):
    task = TaskFactory(assigned_to=rep, due_date=timezone.localdate() - datetime.timedelta(days=2))
    task = services.task_complete(task=task, by=rep)
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    assert task.completed_at is not None
    assert not task.is_overdue
    services.task_reopen(task=task, by=rep)
    task.refresh_from_db()
    assert (task.status, task.completed_at) == (TaskStatus.PENDING, None)
    assert task.is_overdue


def test_task_complete_twice_writes_once(rep):
    task = TaskFactory(assigned_to=rep)
    services.task_complete(task=task, by=rep)
    services.task_complete(task=task, by=rep)
    assert task.history.filter(status=TaskStatus.COMPLETED).count() == 1


def test_lead_mark_lost_and_reopen(rep):
    lead = LeadFactory(owner=rep, status=LeadStatus.QUALIFIED)
    with pytest.raises(ValidationError):
        services.lead_mark_lost(lead=lead, by=rep, reason="  ")
    services.lead_mark_lost(lead=lead, by=rep, reason="Chose a competitor")
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason) == (LeadStatus.LOST, "Chose a competitor")
    assert not lead.can_convert
    services.lead_reopen(lead=lead, by=rep)
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason) == (LeadStatus.NEW, "")
    with pytest.raises(ValidationError):
        services.lead_reopen(lead=lead, by=rep)
