"""Every record keeps its history: who changed which fields when, on every write path."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import services
from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    stage,
)
from crm.history import record_history
from crm.models import Interaction, Lead, Task

pytestmark = pytest.mark.django_db


def edit(client, url, **changes):
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    response = client.post(url, {**data, **changes})
    assert response.status_code == 302, response.context["form"].errors
    return response


def test_history_web_edit_is_recorded_and_shown(rep_client, rep):
    lead = LeadFactory(owner=rep, name="Old name", status="new")
    edit(rep_client, reverse("crm:lead-update", args=[lead.pk]), name="سارة", status="contacted")
    latest = lead.history.first()
    assert (latest.history_type, latest.history_user) == ("~", rep)
    entry = record_history(lead)[0]
    changes = {change.label: (change.old, change.new) for change in entry.changes}
    assert changes["name"] == ("Old name", "سارة")
    assert changes["status"] == ("New", "Contacted")  # choice labels, not codes
    content = rep_client.get(lead.get_absolute_url()).content.decode()
    assert 'id="history"' in content
    assert "Old name" in content and "Contacted" in content


def test_history_shows_names_of_linked_records(rep_client, rep):
    first = CampaignFactory(name="Spring")
    second = CampaignFactory(name="Autumn")
    lead = LeadFactory(owner=rep, campaign=first)
    edit(rep_client, reverse("crm:lead-update", args=[lead.pk]), campaign=second.pk)
    changes = {c.label: (c.old, c.new) for c in record_history(lead)[0].changes}
    assert changes["campaign"] == ("Spring", "Autumn")


def test_history_stage_moves_and_conversion_are_recorded(rep):
    lead = LeadFactory(owner=rep)
    interaction = InteractionFactory(lead=lead)
    task = TaskFactory(lead=lead)
    conversion = services.lead_convert(lead=lead, by=rep, create_opportunity=True)
    for model, pk in ((Interaction, interaction.pk), (Task, task.pk)):
        latest = model.history.filter(id=pk).first()
        assert latest.contact_id == conversion.contact.pk
        assert latest.history_user == rep
    assert Lead.history.filter(id=lead.pk).first().status == "converted"
    opportunity = conversion.opportunity
    services.opportunity_move_stage(opportunity=opportunity, stage=stage("proposal"), by=rep)
    entry = record_history(opportunity)[0]
    assert {c.label for c in entry.changes} >= {"stage", "probability (%)"}


def test_history_admin_and_import_are_recorded(manager_client, manager):
    from tests.test_admin import csv_bytes, import_file

    contact = ContactFactory(name="Before")
    content = csv_bytes(["id", "name"], [[contact.pk, "After import"]])
    import_file(manager_client, "contact", content, "contacts.csv", 0)
    latest = contact.history.first()
    assert (latest.name, latest.history_user) == ("After import", manager)
    response = manager_client.get(reverse("admin:crm_contact_history", args=[contact.pk]))
    assert response.status_code == 200
    assert "After import" in response.content.decode()


def test_history_seeding_records_history():
    call_command(
        "seed_crm",
        "--leads=10",
        "--contacts=3",
        "--opportunities=3",
        "--interactions=3",
        "--tasks=3",
        "--campaigns=5",
        "--conversions=1",
        "--password=x",
        stdout=io.StringIO(),
    )
    assert Lead.history.count() >= Lead.objects.count()
    assert not Lead.objects.exclude(pk__in=Lead.history.values("id")).exists()


def test_history_on_record_page_costs_fixed_queries(rep_client, rep):
    lead = LeadFactory(owner=rep, campaign=CampaignFactory())
    url = reverse("crm:lead-update", args=[lead.pk])
    edit(rep_client, url, name="One", campaign=CampaignFactory().pk)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert rep_client.get(lead.get_absolute_url()).status_code == 200
        return len(captured)

    few = queries()
    for n in range(25):
        edit(rep_client, url, name=f"Name {n}", campaign=CampaignFactory().pk, rating=n % 5 + 1)
    assert queries() == few


def test_history_every_record_page_shows_it(rep_client, rep):
    campaign = CampaignFactory(owner=rep)
    records = [
        LeadFactory(owner=rep),
        ContactFactory(owner=rep),
        OpportunityFactory(owner=rep),
        InteractionFactory(created_by=rep),
        TaskFactory(assigned_to=rep),
        campaign,
    ]
    for record in records:
        content = rep_client.get(record.get_absolute_url()).content.decode()
        assert 'id="history"' in content, record
