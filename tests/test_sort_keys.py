"""Sorts that read an index at 1M leads: deals by customer (a kept name, right through renames
and conversions), tasks overdue first, campaigns by ROI."""

import datetime
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.factories import (
    CampaignFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    stage,
)
from crm.models import Opportunity, TaskStatus

from .helpers import migrate_to, migrate_to_latest
from .test_races import in_threads

pytestmark = pytest.mark.django_db


def deal_names(client, ordering) -> list[str]:
    response = client.get(reverse("crm:opportunity-list"), {"ordering": ordering})
    assert response.status_code == 200
    return re.findall(
        r'<a href="/crm/opportunities/\d+"[^>]*>([^<]+)</a>', response.content.decode()
    )


def customer_names(client, ordering) -> list[str]:
    """The "Customer / lead" cells of the deal list, top to bottom."""
    response = client.get(reverse("crm:opportunity-list"), {"ordering": ordering})
    return re.findall(
        r'<a href="/crm/(?:contacts|leads)/\d+" dir="auto">([^<]+)</a>', response.content.decode()
    )


@pytest.fixture
def deals(rep):
    """Three deals: two for customers, one for a lead only."""
    zara = ContactFactory(name="Zara Customer", owner=rep)
    adam = ContactFactory(name="Adam Customer", owner=rep)
    lead = LeadFactory(name="Maha Lead", owner=rep)
    return {
        "zara": OpportunityFactory(name="Deal Z", contact=zara, lead=None, owner=rep),
        "adam": OpportunityFactory(name="Deal A", contact=adam, lead=None, owner=rep),
        "maha": OpportunityFactory(name="Deal M", contact=None, lead=lead, owner=rep),
    }


def test_deal_list_sorts_by_the_name_its_customer_column_shows(rep_client, deals):
    shown = ["Adam Customer", "Maha Lead", "Zara Customer"]
    assert customer_names(rep_client, "customer") == shown
    assert customer_names(rep_client, "-customer") == shown[::-1]
    assert Opportunity.objects.get(pk=deals["maha"].pk).customer_name == "Maha Lead"


def test_renaming_a_customer_or_a_lead_resorts_their_deals(rep_client, rep, deals):
    zara = deals["zara"].contact
    services.contact_update(contact=zara, by=rep, data={"name": "Aaron Customer"})
    lead = deals["maha"].lead
    services.lead_update(lead=lead, by=rep, data={"name": "Basma Lead"})

    assert customer_names(rep_client, "customer") == [
        "Aaron Customer",
        "Adam Customer",
        "Basma Lead",
    ]
    assert deal_names(rep_client, "customer") == ["Deal Z", "Deal A", "Deal M"]


def test_a_lead_rename_leaves_deals_that_have_a_customer(rep, deals):
    lead = LeadFactory(name="Old Lead", owner=rep)
    deal = OpportunityFactory(contact=deals["adam"].contact, lead=lead, owner=rep)
    services.lead_update(lead=lead, by=rep, data={"name": "New Lead"})
    deal.refresh_from_db()
    assert deal.customer_name == "Adam Customer"


def test_relinking_a_deal_takes_its_new_customers_name(rep, deals):
    deal = deals["maha"]
    yusuf = ContactFactory(name="Yusuf Customer", owner=rep)
    services.opportunity_update(opportunity=deal, by=rep, data={"contact": yusuf})
    deal.refresh_from_db()
    assert deal.customer_name == "Yusuf Customer"
    services.opportunity_update(opportunity=deal, by=rep, data={"contact": None})
    deal.refresh_from_db()
    assert deal.customer_name == "Maha Lead"


def test_converting_a_lead_names_the_new_customer_on_its_deals(rep, deals):
    lead = deals["maha"].lead
    lead.company = ""
    lead.save()
    result = services.lead_convert(lead=lead, by=rep)
    deal = Opportunity.objects.get(pk=deals["maha"].pk)
    assert deal.contact_id == result.contact.pk
    assert deal.customer_name == result.contact.name


def test_the_kept_name_is_not_a_change_in_the_deals_history(rep_client, rep, deals):
    services.contact_update(contact=deals["adam"].contact, by=rep, data={"name": "Adam Renamed"})
    content = rep_client.get(deals["adam"].get_absolute_url()).content.decode()
    assert "customer or lead name" not in content
    assert deals["adam"].history.count() == 1  # the rename rewrote no history row of the deal


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_fills_the_kept_names_and_reverses():
    before, after = (
        [("crm", "0012_board_rotting")],
        [("crm", "0013_deal_customer_name_sort_indexes")],
    )

    old = migrate_to(before)
    owner = old.get_model("auth", "User").objects.create(username="migrated")
    contact = old.get_model("crm", "Contact").objects.create(name="Old Customer", owner=owner)
    lead = old.get_model("crm", "Lead").objects.create(
        name="Old Lead", email="old@example.com", owner=owner
    )
    first = old.get_model("crm", "Stage").objects.order_by("order").first()
    for name, links in (("For a customer", {"contact": contact}), ("For a lead", {"lead": lead})):
        old.get_model("crm", "Opportunity").objects.create(
            name=name, stage=first, owner=owner, amount=1, **links
        )
    new = migrate_to(after)
    kept = dict(new.get_model("crm", "Opportunity").objects.values_list("name", "customer_name"))
    assert kept == {"For a customer": "Old Customer", "For a lead": "Old Lead"}
    back = migrate_to(before)
    assert back.get_model("crm", "Opportunity").objects.count() == 2
    migrate_to_latest()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_race_rename_against_relink_and_moves_keeps_the_name_right(on_postgres, rep, manager):
    """A customer renamed while deals are linked to it and moved: no error, no deadlock, and
    every deal ends with the name its customer has."""
    customer = ContactFactory(name="Before Rename", owner=rep)
    other = ContactFactory(name="Other Customer", owner=rep)
    linked = [OpportunityFactory(contact=other, lead=None, owner=rep) for _ in range(3)]
    moved = [OpportunityFactory(contact=customer, lead=None, owner=rep) for _ in range(3)]
    open_stage = stage("qualification")

    def call(write):
        def run():
            write()  # returns nothing: in_threads reports what a write raised

        return run

    def rename(i):
        return call(
            lambda: services.contact_update(contact=customer, by=manager, data={"name": f"R{i}"})
        )

    def relink(deal):
        return call(
            lambda: services.opportunity_update(
                opportunity=deal, by=rep, data={"contact": customer}
            )
        )

    def move(deal):
        return call(
            lambda: services.opportunity_move_stage(opportunity=deal, stage=open_stage, by=rep)
        )

    requests = [rename(0), *map(relink, linked), rename(1), *map(move, moved)]
    raised = in_threads(*requests)
    assert raised == [None] * len(requests), raised
    customer.refresh_from_db()
    names = set(
        Opportunity.objects.filter(contact=customer).values_list("customer_name", flat=True)
    )
    assert names == {customer.name}
    assert Opportunity.objects.filter(contact=customer).count() == 6


# -- tasks: overdue first ---------------------------------------------------------------------


def test_task_list_sorted_overdue_first_puts_the_most_overdue_on_top(rep_client):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    TaskFactory(
        title="Done, was due long ago", status=TaskStatus.COMPLETED, due_date=today - 9 * day
    )
    TaskFactory(title="Overdue by 2 days", due_date=today - 2 * day)
    TaskFactory(title="Due tomorrow", due_date=today + day)
    TaskFactory(title="Overdue by 5 days", status=TaskStatus.IN_PROGRESS, due_date=today - 5 * day)
    TaskFactory(title="Cancelled", status=TaskStatus.CANCELLED, due_date=today - 20 * day)

    def titles(ordering):
        response = rep_client.get(reverse("crm:task-list"), {"show": "all", "ordering": ordering})
        return re.findall(
            r'<td><a href="/crm/tasks/\d+"[^>]*>([^<]+)</a>', response.content.decode()
        )

    overdue_first = [
        "Overdue by 5 days",
        "Overdue by 2 days",
        "Due tomorrow",
        "Cancelled",
        "Done, was due long ago",
    ]
    assert titles("-overdue") == overdue_first
    assert titles("overdue") == overdue_first[::-1]


# -- what the database does with these sorts (PostgreSQL, as at 1M leads) --------------------


def plan(queryset, *, index_only=False) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask for the index
        if index_only:  # ... and one that answers alone, as on a big table
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_sorts_read_their_indexes(on_postgres, rep):
    from crm.views import CampaignListView, OpportunityListView, TaskListView

    OpportunityFactory.create_batch(3, campaign=CampaignFactory())
    TaskFactory.create_batch(3)
    for view, sort, index, index_only in (
        (OpportunityListView, "customer", "crm_opp_customer_name_sort", False),
        (OpportunityListView, "-customer", "crm_opp_customer_name_sort", False),
        (TaskListView, "-overdue", "crm_task_overdue_sort", False),
        (TaskListView, "overdue", "crm_task_overdue_sort", False),
        # Each campaign's won revenue, summed from the index alone.
        (CampaignListView, "roi", "Index Only Scan using crm_opp_campaign_won_idx", True),
    ):
        page = view()
        page.request = type("Request", (), {"GET": {"ordering": sort}})()
        keys = page.get_rows().order_by(*page.get_ordering()).values("pk")[:25]
        shown = plan(keys, index_only=index_only)
        assert index in shown, (sort, shown)


# -- deals by stage: the pipeline's order, read from the deals' own index while it can be ------


def test_deal_list_by_stage_follows_the_pipeline_even_when_reordered(rep_client, rep):
    from crm.models import Stage

    for code in ("negotiation", "prospecting", "proposal"):
        OpportunityFactory(name=f"In {code}", stage=stage(code), owner=rep)
    in_order = ["In prospecting", "In proposal", "In negotiation"]
    assert deal_names(rep_client, "stage") == in_order
    assert deal_names(rep_client, "-stage") == in_order[::-1]

    # A manager moves negotiation before proposal: the stage ids no longer follow the order.
    Stage.objects.filter(code="negotiation").update(order=25)
    in_order = ["In prospecting", "In negotiation", "In proposal"]
    assert deal_names(rep_client, "stage") == in_order
    assert deal_names(rep_client, "-stage") == in_order[::-1]


# -- the kept name against renames, conversions and bulk actions, at the same moment ----------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_race_clearing_the_customer_against_a_lead_rename(on_postgres, manager, monkeypatch):
    """The deal falls back to its lead's name while the lead is renamed: the new name wins."""
    import threading

    from django.db import transaction

    import crm.services.leads as lead_services

    lead = LeadFactory(owner=manager, name="Old Lead")
    deal = OpportunityFactory(owner=manager, contact=ContactFactory(owner=manager), lead=lead)
    renamed, deal_saved, rename_done = threading.Event(), threading.Event(), threading.Event()
    update_record = lead_services.update_record

    def rename_then_wait(*args, **kwargs):
        result = update_record(*args, **kwargs)
        renamed.set()
        deal_saved.wait(2)  # let the deal be saved now, if it can be, before the deals' rewrite
        return result

    monkeypatch.setattr(lead_services, "update_record", rename_then_wait)

    def rename():
        services.lead_update(lead=lead, by=manager, data={"name": "New Lead"})
        rename_done.set()

    def clear():
        renamed.wait(5)
        with transaction.atomic():  # kept open until the rename is done
            stored = Opportunity.objects.get(pk=deal.pk)
            services.opportunity_update(opportunity=stored, by=manager, data={"contact": None})
            deal_saved.set()
            rename_done.wait(5)

    assert in_threads(rename, clear, together=False) == [None, None]
    deal.refresh_from_db()
    assert (deal.contact_id, deal.customer_name) == (None, "New Lead")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_race_conversion_against_a_deal_edit_does_not_deadlock(on_postgres, manager, monkeypatch):
    import threading
    import time

    import crm.services.leads as lead_services

    lead = LeadFactory(owner=manager)
    customer = ContactFactory(owner=manager, name="Existing Customer")
    deal = OpportunityFactory(owner=manager, contact=None, lead=lead)
    lead_locked = threading.Event()
    lock = lead_services.lock

    def slow_lock(model, pk):
        row = lock(model, pk)
        if model.__name__ == "Lead":
            lead_locked.set()
            time.sleep(0.5)  # the deal's edit starts now, between the lead and the customer
        return row

    monkeypatch.setattr(lead_services, "lock", slow_lock)

    def convert():
        services.lead_convert(lead=lead, by=manager, contact=customer)

    def edit():
        lead_locked.wait(5)
        services.opportunity_update(
            opportunity=Opportunity.objects.get(pk=deal.pk),
            by=manager,
            data={"contact": customer, "lead": lead},
        )

    assert in_threads(convert, edit, together=False) == [None, None]
    deal.refresh_from_db()
    assert (deal.contact_id, deal.customer_name) == (customer.pk, "Existing Customer")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_race_a_rename_against_an_admin_bulk_move_does_not_deadlock(
    on_postgres, manager, monkeypatch
):
    """An admin action moves a customer's deals in one transaction while the customer is
    renamed (which rewrites those deals): both finish, the deals moved and renamed."""
    import threading
    import time

    from crm.admin import apply_each

    customer = ContactFactory(owner=manager, name="Before")
    deals = [OpportunityFactory(owner=manager, contact=customer, lead=None) for _ in range(3)]
    target = stage("qualification")
    first_moved = threading.Event()

    def move(deal):
        services.opportunity_move_stage(opportunity=deal, stage=target, by=manager)
        first_moved.set()
        time.sleep(0.3)

    def bulk():
        newest_first = sorted(deals, key=lambda deal: -deal.pk)  # the changelist's order
        done, skipped = apply_each(None, newest_first, move)
        assert (done, skipped) == (3, [])

    def rename():
        first_moved.wait(5)
        services.contact_update(contact=customer, by=manager, data={"name": "After"})

    assert in_threads(bulk, rename, together=False) == [None, None]
    stored = Opportunity.objects.filter(pk__in=[deal.pk for deal in deals])
    assert set(stored.values_list("stage", "customer_name")) == {(target.pk, "After")}


def test_deal_list_by_stage_with_two_stages_in_one_place_sorts_them_as_one(rep_client, rep):
    from crm.models import Stage

    for code in ("negotiation", "prospecting", "proposal"):
        OpportunityFactory(name=f"In {code}", stage=stage(code), owner=rep)
    # Negotiation put at proposal's position: their deals are one group, in the deals' order.
    Stage.objects.filter(code="negotiation").update(order=stage("proposal").order)
    assert deal_names(rep_client, "stage") == ["In prospecting", "In negotiation", "In proposal"]
