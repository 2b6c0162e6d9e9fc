"""Each campaign's lead counts, kept (``CampaignTotal``): right after every kind of write, read
by the campaign list and its sorts, folded, counted afresh, migrated, and under racing writers."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count, Q
from django.urls import reverse

from crm import services
from crm.factories import CampaignFactory, LeadFactory
from crm.models import Campaign, CampaignTotal, Lead, LeadStatus
from crm.services import kept_totals

from .helpers import migrate_to, migrate_to_latest
from .test_races import in_threads

CAMPAIGNS = reverse("crm:campaign-list")


def counted() -> dict:
    """Each campaign's (leads, converted) counted from the leads themselves."""
    rows = (
        Lead.objects.filter(campaign__isnull=False)
        .values("campaign")
        .annotate(n=Count("pk"), converted=Count("pk", filter=Q(status=LeadStatus.CONVERTED)))
    )
    return {row["campaign"]: (row["n"], row["converted"]) for row in rows}


def kept() -> dict:
    """Each campaign's counts as the lists read them (campaigns without leads left out)."""
    return {
        c.pk: (c.leads_count, c.converted_count)
        for c in Campaign.objects.with_counts()
        if c.leads_count
    }


@pytest.mark.django_db
def test_every_way_of_writing_leads_keeps_the_counts(manager):
    rng = random.Random(7)
    campaigns = CampaignFactory.create_batch(3)
    leads = []
    actions = ["factory", "create", "move", "drop", "convert", "lose", "reopen", "delete"]
    for step in range(90):
        action = rng.choice(actions)
        if action == "factory" or not leads:
            leads.append(LeadFactory(campaign=rng.choice([*campaigns, None])))
            continue
        lead = rng.choice(leads)
        lead.refresh_from_db()
        if action == "create":
            leads.append(
                services.lead_create(
                    by=manager,
                    data={"name": f"Lead {step}", "phone": "0501112233", "campaign": campaigns[0]},
                )
            )
        elif action in ("move", "drop"):
            moved = rng.choice(campaigns) if action == "move" else None
            services.lead_update(lead=lead, by=manager, data={"campaign": moved})
        elif action == "convert" and lead.can_convert:
            services.lead_convert(lead=lead, by=manager)
        elif action == "lose" and lead.can_convert:
            services.lead_mark_lost(lead=lead, by=manager, reason="Budget")
        elif action == "reopen" and lead.status == LeadStatus.LOST:
            services.lead_reopen(lead=lead, by=manager)
        elif action == "delete":
            leads.remove(lead)
            services.lead_delete(lead=lead, by=manager)
        assert kept() == counted(), (step, action)
    assert any(converted for _, converted in counted().values())  # conversions were counted
    Lead.objects.filter(pk__in=[lead.pk for lead in leads[:4]]).delete()  # a bulk delete
    assert kept() == counted()
    services.campaign_delete(campaign=campaigns[0], by=manager)  # its leads stay, without it
    assert kept() == counted()
    assert not CampaignTotal.objects.filter(campaign_id=campaigns[0].pk).exists()


@pytest.mark.django_db
def test_a_lead_rebuilt_from_its_history_and_saved_is_counted_once(manager):
    first, second = CampaignFactory.create_batch(2)
    lead = LeadFactory(campaign=first)
    services.lead_update(lead=lead, by=manager, data={"campaign": second})
    old = lead.history.order_by("history_date").first().instance  # made anew, with its id
    assert old._state.adding and old.pk == lead.pk
    old.save()  # a revert as simple-history does it
    assert kept() == counted() == {first.pk: (1, 0)}


@pytest.mark.django_db
def test_the_campaign_list_sorts_by_the_kept_counts(rep_client, manager, django_assert_num_queries):
    sizes = {"Few": 1, "Most": 4, "None": 0, "Some": 2}
    for name, size in sizes.items():
        LeadFactory.create_batch(size, campaign=CampaignFactory(name=name))
    converted = Lead.objects.filter(campaign__name="Some").first()
    services.lead_convert(lead=converted, by=manager)
    by_leads = rep_client.get(CAMPAIGNS, {"ordering": "-leads"})
    assert [c.name for c in by_leads.context["object_list"]] == ["Most", "Some", "Few", "None"]
    assert [c.leads_count for c in by_leads.context["object_list"]] == [4, 2, 1, 0]
    by_rate = rep_client.get(CAMPAIGNS, {"ordering": "-conversion_rate"})
    rated = [c for c in by_rate.context["object_list"] if c.conversion_rate is not None]
    assert [(c.name, c.conversion_rate) for c in rated] == [("Some", 50), ("Most", 0), ("Few", 0)]
    text = by_leads.content.decode()
    assert text.index("Most") < text.index("Some") < text.index("Few")
    # However many campaigns and leads there are: the same queries.
    queries = len(by_leads_queries(rep_client))
    for _ in range(5):
        LeadFactory.create_batch(3, campaign=CampaignFactory())
    with django_assert_num_queries(queries):
        rep_client.get(CAMPAIGNS, {"ordering": "-leads"})


def by_leads_queries(client) -> list:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(CAMPAIGNS, {"ordering": "-leads"})
    return queries.captured_queries


@pytest.mark.django_db
def test_many_rows_are_folded_by_the_list_the_sums_unchanged(rep_client, monkeypatch):
    monkeypatch.setattr("crm.services.kept_totals.FOLD_AFTER", 5)
    first, second = CampaignFactory.create_batch(2)
    LeadFactory.create_batch(6, campaign=first)
    LeadFactory.create_batch(3, campaign=second)
    before = counted()
    assert CampaignTotal.objects.count() == 9
    rep_client.get(CAMPAIGNS)
    assert CampaignTotal.objects.count() == 2  # one a campaign
    assert kept() == counted() == before
    rep_client.get(CAMPAIGNS)  # few rows: nothing to fold
    assert CampaignTotal.objects.count() == 2


@pytest.mark.django_db
def test_a_bulk_write_is_counted_once_at_its_end():
    campaign = CampaignFactory()
    with kept_totals.rebuilt_after():
        LeadFactory.create_batch(4, campaign=campaign)
        assert not CampaignTotal.objects.exists()  # no bookkeeping per lead meanwhile
    assert list(CampaignTotal.objects.values_list("campaign", "leads", "converted")) == [
        (campaign.pk, 4, 0)
    ]
    CampaignTotal.objects.all().delete()  # drifted, or lost
    kept_totals.kept_totals_rebuild()
    assert kept() == counted() == {campaign.pk: (4, 0)}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_counts_the_leads_there_are():
    before, after = [("crm", "0017_notification_email_error")], [("crm", "0018_campaign_totals")]
    old = migrate_to(before)
    owner = old.get_model("auth", "User").objects.create(username="migrated")
    Campaign_ = old.get_model("crm", "Campaign")
    spring = Campaign_.objects.create(
        name="Spring", kind="email", start_date="2026-01-01", owner=owner
    )
    autumn = Campaign_.objects.create(
        name="Autumn", kind="email", start_date="2026-09-01", owner=owner
    )
    contact = old.get_model("crm", "Contact").objects.create(name="Customer", owner=owner)
    OldLead = old.get_model("crm", "Lead")
    for name, campaign, status in (
        ("A", spring, "new"),
        ("B", spring, "converted"),
        ("C", spring, "lost"),
        ("D", autumn, "qualified"),
        ("E", None, "new"),
    ):
        OldLead.objects.create(
            name=name, phone="0501112233", owner=owner, campaign=campaign, status=status,
            lost_reason="Price" if status == "lost" else "",
            contact=contact if status == "converted" else None,
            converted_at="2026-02-01T10:00Z" if status == "converted" else None,
        )  # fmt: skip
    migrate_to(after)
    migrate_to_latest()
    assert kept() == counted() == {spring.pk: (3, 1), autumn.pk: (1, 0)}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_race_leads_added_converted_and_moved_at_once_keep_the_counts(on_postgres, manager):
    """Eight connections add leads to one campaign, convert and move others, while two folds
    run: no error, no deadlock, and the counts are the leads'."""
    first, second = CampaignFactory.create_batch(2)
    leads = LeadFactory.create_batch(8, campaign=first)

    def writer(index):
        def run():
            lead = Lead.objects.get(pk=leads[index].pk)
            if index % 2:
                services.lead_convert(lead=lead, by=manager)
            else:
                services.lead_update(lead=lead, by=manager, data={"campaign": second})
            for n in range(4):
                made = services.lead_create(
                    by=manager,
                    data={"name": f"New {index}.{n}", "phone": "0501112233", "campaign": first},
                )
            if index % 3 == 0:
                services.lead_delete(lead=made, by=manager)

        return run

    def folder():
        for _ in range(5):
            kept_totals.kept_totals_fold(CampaignTotal)

    results = in_threads(*[writer(i) for i in range(8)], folder, folder)
    assert results == [None] * 10, results
    assert kept() == counted()
    assert counted()[first.pk] == (4 + 32 - 3, 4)
