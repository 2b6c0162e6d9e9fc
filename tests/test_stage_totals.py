"""The board's kept stage totals: always what summing every deal gives, whatever wrote the deals
(services, factories, deletes, loaddata, a seed), folded without a change, rebuilt on demand,
filled by their migration, and right under concurrent writers on PostgreSQL."""

import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from crm import services
from crm.factories import ContactFactory, OpportunityFactory, stage
from crm.models import Opportunity, Stage, StageTotal
from crm.models.pipeline import board_share
from crm.services import kept_totals
from crm.services.kept_totals import FOLD_AFTER

from . import test_campaign_totals as campaign_counts
from .helpers import migrate_to, migrate_to_latest
from .test_races import in_threads

BOARD = reverse("crm:opportunity-board")


def summed() -> dict:
    """Each stage's (count, amount, weighted) summed from every deal, as the board used to."""
    return {
        row["stage"].pk: (row["count"], row["amount"], row["weighted"])
        for row in Opportunity.objects.pipeline_summary()["stages"]
    }


def kept() -> dict:
    return {
        row["stage"].pk: (row["count"], row["amount"], row["weighted"])
        for row in kept_totals.pipeline_summary()["stages"]
    }


@pytest.mark.django_db
def test_every_way_of_writing_deals_keeps_the_totals(manager):
    rng = random.Random(12)
    stages = list(Stage.objects.all())
    open_stages = [s for s in stages if not s.is_closed]
    customer = ContactFactory()
    deals = []
    for step in range(80):
        action = rng.choice(["factory", "create", "amount", "probability", "move", "delete"])
        if action == "factory" or not deals:
            deals.append(OpportunityFactory(amount=Decimal(rng.randint(0, 99999)) / 100))
        elif action == "create":
            deals.append(
                services.opportunity_create(
                    by=manager,
                    data={
                        "name": f"Deal {step}",
                        "contact": customer,
                        "amount": Decimal(rng.randint(1, 10**7)) / 100,
                        "stage": rng.choice(open_stages),
                    },
                )
            )
        elif action == "amount":
            deal = rng.choice(deals)
            services.opportunity_update(
                opportunity=deal,
                by=manager,
                data={"amount": (Decimal(rng.randint(0, 10**6)) / 7).quantize(Decimal("0.01"))},
            )
        elif action == "probability":
            services.opportunity_update(
                opportunity=rng.choice(deals), by=manager, data={"probability": rng.randint(0, 100)}
            )
        elif action == "move":
            target = rng.choice(stages)
            services.opportunity_move_stage(
                opportunity=rng.choice(deals), stage=target, by=manager, lost_reason="Price"
            )
        else:
            deal = deals.pop(rng.randrange(len(deals)))
            services.opportunity_delete(opportunity=deal, by=manager)
        assert kept() == summed(), (step, action)
    Opportunity.objects.filter(pk__in=[d.pk for d in deals[:5]]).delete()  # a bulk delete
    assert kept() == summed()


@given(
    amount=st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2),
    probability=st.integers(min_value=0, max_value=100),
)
def test_a_deals_share_rounds_as_the_database_does(amount, probability):
    from django.db.models import Value

    from crm.models.base import MONEY, expected_value

    with_db = (
        Stage.objects.annotate(a=Value(amount, output_field=Opportunity._meta.get_field("amount")))
        .annotate(p=Value(probability))
        .annotate(e=expected_value("a", "p"))
        .values_list("e", flat=True)[:1]
    )
    assert MONEY["decimal_places"] == 2
    assert board_share(1, amount, probability)[3] == with_db[0]


test_a_deals_share_rounds_as_the_database_does = pytest.mark.django_db(
    test_a_deals_share_rounds_as_the_database_does
)


@pytest.mark.django_db
def test_the_board_reads_the_kept_totals(rep_client, rep, django_assert_max_num_queries):
    OpportunityFactory.create_batch(5, amount=Decimal("100.00"), owner=rep)
    OpportunityFactory.create_batch(3, amount=Decimal("40.00"), stage=stage("qualification"))
    with django_assert_max_num_queries(9):
        response = rep_client.get(BOARD)
    columns = {c["stage"].code: c for c in response.context["open_columns"]}
    assert columns["prospecting"]["count"] == 5
    assert columns["prospecting"]["amount"] == Decimal("500.00")
    assert columns["qualification"]["count"] == 3
    mine = rep_client.get(BOARD, {"owner": "me"}).context["open_columns"]
    assert {c["stage"].code: c["count"] for c in mine}["qualification"] == 0  # summed for me


@pytest.mark.django_db
def test_folding_keeps_the_sums_and_leaves_one_row_per_stage():
    for _ in range(6):
        OpportunityFactory(stage=stage("qualification"), amount=Decimal("10.00"))
    deal = OpportunityFactory(stage=stage("proposal"), amount=Decimal("7.00"))
    deal.delete()
    before = kept()
    kept_totals.kept_totals_fold(StageTotal)
    assert kept() == before == summed()
    assert StageTotal.objects.count() == len(StageTotal.objects.values("stage").distinct())


@pytest.mark.django_db
def test_reading_many_changes_folds_them(monkeypatch):
    monkeypatch.setattr("crm.services.kept_totals.FOLD_AFTER", 5)
    OpportunityFactory.create_batch(8, amount=Decimal("1.00"))
    assert StageTotal.objects.count() > 5
    kept_totals.pipeline_summary()
    assert StageTotal.objects.count() <= Stage.objects.count()
    assert kept() == summed()
    assert FOLD_AFTER >= 100


@pytest.mark.django_db
def test_a_bulk_write_is_counted_once_at_its_end():
    with kept_totals.rebuilt_after():
        OpportunityFactory.create_batch(4, amount=Decimal("25.00"))
        assert not StageTotal.objects.exists()  # no bookkeeping per deal meanwhile
    assert StageTotal.objects.count() == 1
    assert kept() == summed()
    StageTotal.objects.all().delete()  # drifted, or lost
    kept_totals.kept_totals_rebuild()
    assert kept() == summed()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_loaddata_and_the_seed_leave_the_totals_right():
    call_command("loaddata", "fixtures/demo.json", verbosity=0)
    assert Opportunity.objects.exists()
    assert kept() == summed()
    assert campaign_counts.kept() == campaign_counts.counted() != {}
    call_command(
        "seed_crm", "--seed", "3", "--leads", "20", "--contacts", "8", "--opportunities", "25",
        "--interactions", "5", "--tasks", "5", "--campaigns", "2", "--conversions", "2",
        "--password", "Seed-password-123", verbosity=0,
    )  # fmt: skip
    assert kept() == summed()
    assert campaign_counts.kept() == campaign_counts.counted()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_counts_the_deals_there_are():
    before, after = [("crm", "0015_notifications")], [("crm", "0016_stage_totals")]
    old = migrate_to(before)
    owner = old.get_model("auth", "User").objects.create(username="migrated")
    contact = old.get_model("crm", "Contact").objects.create(name="Old Customer", owner=owner)
    first, second = old.get_model("crm", "Stage").objects.order_by("order")[:2]
    for amount, probability, where in ((100, 10, first), (50, 33, first), (7, 50, second)):
        old.get_model("crm", "Opportunity").objects.create(
            name="Old", stage=where, owner=owner, contact=contact, amount=amount,
            probability=probability,
        )  # fmt: skip
    migrate_to(after)
    migrate_to_latest()
    assert kept() == summed()
    totals = kept()
    assert totals[first.pk] == (2, Decimal("150.00"), Decimal("26.50"))
    assert totals[second.pk] == (1, Decimal("7.00"), Decimal("3.50"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_race_writers_and_folds_at_once_keep_the_totals(on_postgres, manager):
    """Deals made, moved, re-priced and deleted from eight connections while two folds run:
    no error, no deadlock, and the totals are the deals' sums."""
    customer = ContactFactory()
    stages = list(Stage.objects.filter(is_closed=False))
    deals = [
        OpportunityFactory(contact=customer, lead=None, amount=Decimal("10.00")) for _ in range(8)
    ]

    def writer(index):
        def run():
            rng = random.Random(index)
            deal = Opportunity.objects.get(pk=deals[index].pk)
            for _ in range(6):
                deal = services.opportunity_move_stage(
                    opportunity=deal, stage=rng.choice(stages), by=manager
                )
                deal = services.opportunity_update(
                    opportunity=deal, by=manager, data={"amount": Decimal(rng.randint(1, 999))}
                )
            made = services.opportunity_create(
                by=manager, data={"name": f"New {index}", "contact": customer, "amount": 5}
            )
            if index % 2:
                services.opportunity_delete(opportunity=made, by=manager)

        return run

    def folder():
        for _ in range(5):
            kept_totals.kept_totals_fold(StageTotal)

    results = in_threads(*[writer(i) for i in range(8)], folder, folder)
    assert results == [None] * 10, results
    assert kept() == summed()


@pytest.mark.django_db
def test_a_deal_rebuilt_from_its_history_and_saved_is_counted_once(manager):
    deal = OpportunityFactory(amount=Decimal("100.00"))
    services.opportunity_update(opportunity=deal, by=manager, data={"amount": Decimal("250.00")})
    old = deal.history.order_by("history_date").first().instance  # made anew, with its id
    assert old._state.adding and old.pk == deal.pk
    old.save()  # a revert as simple-history does it
    assert kept() == summed()
    assert kept()[deal.stage_id][:2] == (1, Decimal("100.00"))


@pytest.mark.django_db
def test_a_load_rolled_back_still_lets_the_next_one_rebuild(django_capture_on_commit_callbacks):
    from django.db import transaction

    from crm.models.kept import record_loaded

    deal = OpportunityFactory(amount=Decimal("5.00"))
    with pytest.raises(RuntimeError), transaction.atomic():
        record_loaded(Opportunity, deal, raw=True, using="default")
        raise RuntimeError("the load failed")
    StageTotal.objects.all().delete()  # as if the load had left them wrong
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_loaded(Opportunity, deal, raw=True, using="default")
        record_loaded(Opportunity, deal, raw=True, using="default")
    assert len(callbacks) == 1  # one rebuild per load, however many deals
    assert kept() == summed()
