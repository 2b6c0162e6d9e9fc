"""A failure in the middle of a change that spans records leaves nothing half-done."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from crm import services
from crm.factories import ContactFactory, LeadFactory, OpportunityFactory, TaskFactory, stage
from crm.models import Contact, Lead, LeadStatus, Opportunity, StageChange, Task, TaskStatus

pytestmark = pytest.mark.django_db


class Boom(Exception):
    """The injected failure."""


def fail_on_call(monkeypatch, target, name, on_call=1):
    """Make ``target.name`` raise on its ``on_call``-th call (earlier calls work)."""
    original = getattr(target, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= on_call:
            raise Boom(f"{name} failed")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


def quiet_client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_failure_opportunity_move_history_failing_keeps_old_stage(monkeypatch, rep):
    opportunity = OpportunityFactory(owner=rep)
    fail_on_call(monkeypatch, StageChange.objects, "create")
    with pytest.raises(Boom):
        services.opportunity_move_stage(opportunity=opportunity, stage=stage("proposal"), by=rep)
    opportunity = Opportunity.objects.get(pk=opportunity.pk)
    assert (opportunity.stage.code, opportunity.probability) == ("prospecting", 10)


def test_failure_conversion_page_leaves_lead_unconverted(monkeypatch, rep):
    lead = LeadFactory(owner=rep)
    fail_on_call(monkeypatch, services.Interaction.objects, "create")  # the last step
    response = quiet_client(rep).post(
        reverse("crm:lead-convert", args=[lead.pk]),
        {"customer": "new", "create_opportunity": "on", "opportunity_amount": "10"},
    )
    assert response.status_code == 500
    assert not Contact.objects.exists()
    assert not Opportunity.objects.exists()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def post_action(client, model, action, objects, **extra):
    return client.post(
        reverse(f"admin:crm_{model}_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **extra},
    )


def test_failure_admin_convert_action_undoes_earlier_conversions(monkeypatch, manager):
    leads = LeadFactory.create_batch(3)
    fail_on_call(monkeypatch, services, "lead_convert", on_call=2)
    response = post_action(quiet_client(manager), "lead", "convert_selected", leads)
    assert response.status_code == 500
    assert not Contact.objects.exists()
    assert not Lead.objects.filter(status=LeadStatus.CONVERTED).exists()


def test_failure_admin_close_as_lost_undoes_earlier_moves(monkeypatch, manager):
    deals = OpportunityFactory.create_batch(3)
    fail_on_call(monkeypatch, StageChange.objects, "create", on_call=2)
    response = post_action(
        quiet_client(manager), "opportunity", "close_as_lost", deals, apply="1", lost_reason="x"
    )
    assert response.status_code == 500
    assert not Opportunity.objects.filter(stage__is_closed=True).exists()
    assert not StageChange.objects.exists()


def test_failure_admin_mark_completed_undoes_earlier_tasks(monkeypatch, manager):
    tasks = TaskFactory.create_batch(3)
    fail_on_call(monkeypatch, Task, "save", on_call=2)
    response = post_action(quiet_client(manager), "task", "mark_completed", tasks)
    assert response.status_code == 500
    assert not Task.objects.filter(status=TaskStatus.COMPLETED).exists()


def test_failure_import_row_undoes_the_whole_file(monkeypatch, manager_client):
    from tests.test_admin import csv_bytes, import_file

    existing = ContactFactory(name="Before")
    content = csv_bytes(
        ["id", "name", "email"],
        [[existing.pk, "After", ""], ["", "New one", "new@example.com"], ["", "Third", ""]],
    )
    fail_on_call(monkeypatch, Contact, "save", on_call=2)
    import_file(manager_client, "contact", content, "contacts.csv", 0)
    assert list(Contact.objects.values_list("name", flat=True)) == ["Before"]
