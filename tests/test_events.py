"""Every path that writes announces each event exactly once, after the commit.

The paths: the reps' pages, the board, the admin (forms, inlines, actions) and imports. Each
case below does one thing a person does and lists the events it must announce.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.urls import reverse

from crm import events, services
from crm.factories import (
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
    stage,
)
from crm.models import Lead, LeadStatus, Opportunity, Task, TaskStatus

from .helpers import admin_form, inline_prefix, page_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(django_capture_on_commit_callbacks):
    """The names of the events announced (and committed) inside the block."""

    class Heard:
        def __enter__(self):
            self.capture = django_capture_on_commit_callbacks(execute=True)
            self.capture.__enter__()
            self.recording = events.recorded()
            self.events = self.recording.__enter__()
            return self

        def __exit__(self, *exc):
            self.capture.__exit__(*exc)
            self.recording.__exit__(*exc)

        @property
        def names(self):
            return sorted(type(event).__name__ for event in self.events)

    return Heard()


def user_in(group, **kwargs):
    from django.contrib.auth.models import Group

    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group))
    return user


# --- The reps' pages and the board -----------------------------------------------------------


def test_events_page_lead_create(rep_client, rep, heard):
    data = page_form(rep_client, reverse("crm:lead-create"), name="Noor", email="n@example.com")
    with heard:
        assert rep_client.post(reverse("crm:lead-create"), data).status_code == 302
    assert heard.names == ["LeadCreated"]
    event = heard.events[0]
    assert (event.by, event.record.name, event.new("owner")) == (rep, "Noor", rep.pk)


def test_events_page_lead_edit_owner_and_status(rep_client, rep, heard):
    lead = LeadFactory(owner=rep, status=LeadStatus.NEW)
    colleague = user_in("Sales rep")
    url = reverse("crm:lead-update", args=[lead.pk])
    data = page_form(rep_client, url, owner=colleague.pk, status=LeadStatus.CONTACTED)
    with heard:
        assert rep_client.post(url, data).status_code == 302
    assert heard.names == ["LeadAssigned", "LeadStatusChanged"]
    assert heard.events[0].changes["owner"] == (rep.pk, colleague.pk)
    assert heard.events[0].changes["status"] == (LeadStatus.NEW, LeadStatus.CONTACTED)


def test_events_page_lead_edit_of_notes_announces_nothing(rep_client, rep, heard):
    lead = LeadFactory(owner=rep)
    url = reverse("crm:lead-update", args=[lead.pk])
    data = page_form(rep_client, url, notes="Called twice")
    with heard:
        assert rep_client.post(url, data).status_code == 302
    assert heard.names == []


def test_events_page_mark_lost_and_reopen(rep_client, rep, heard):
    lead = LeadFactory(owner=rep)
    with heard:
        rep_client.post(reverse("crm:lead-mark-lost", args=[lead.pk]), {"lost_reason": "Budget"})
        rep_client.post(reverse("crm:lead-reopen", args=[lead.pk]))
    assert heard.names == ["LeadStatusChanged", "LeadStatusChanged"]


def test_events_page_convert(rep_client, rep, heard):
    lead = LeadFactory(owner=rep)
    url = reverse("crm:lead-convert", args=[lead.pk])
    with heard:
        response = rep_client.post(
            url, {"customer": "new", "create_opportunity": "on", "opportunity_name": "Deal"}
        )
    assert response.status_code == 302
    assert heard.names == ["DealCreated", "LeadConverted", "LeadStatusChanged"]
    converted = next(e for e in heard.events if isinstance(e, events.LeadConverted))
    assert converted.contact == Lead.objects.get(pk=lead.pk).contact


def test_events_page_deal_create_and_edit(rep_client, rep, heard):
    contact = ContactFactory(owner=rep)
    url = reverse("crm:opportunity-create")
    data = page_form(rep_client, url, name="Big deal", contact=contact.pk, amount="100")
    with heard:
        assert rep_client.post(url, data).status_code == 302
    assert heard.names == ["DealCreated"]
    deal = Opportunity.objects.get(name="Big deal")
    assert (deal.probability, deal.probability_is_manual) == (10, False)

    colleague = user_in("Sales rep")
    url = reverse("crm:opportunity-update", args=[deal.pk])
    data = page_form(rep_client, url, stage=stage("proposal").pk, owner=colleague.pk)
    with heard:
        assert rep_client.post(url, data).status_code == 302
    assert heard.names == ["DealAssigned", "DealStageChanged"]
    deal.refresh_from_db()
    assert (deal.probability, deal.probability_is_manual) == (50, False)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("proposal", ["DealStageChanged"]),
        ("closed_won", ["DealStageChanged", "DealWon"]),
        ("closed_lost", ["DealLost", "DealStageChanged"]),
    ],
)
def test_events_board_move(rep_client, rep, heard, code, expected):
    deal = OpportunityFactory(owner=rep)
    with heard:
        response = rep_client.post(
            reverse("crm:opportunity-move", args=[deal.pk]),
            {"stage": stage(code).pk, "lost_reason": "Price"},
            headers={"accept": "application/json"},
        )
    assert response.status_code == 200
    assert heard.names == expected


def test_events_board_move_to_the_same_stage_announces_nothing(rep_client, rep, heard):
    deal = OpportunityFactory(owner=rep, stage=stage("proposal"))
    with heard:
        rep_client.post(
            reverse("crm:opportunity-move", args=[deal.pk]),
            {"stage": stage("proposal").pk},
            headers={"accept": "application/json"},
        )
    assert heard.names == []


def test_events_page_task_create_edit_complete(rep_client, rep, heard):
    colleague = user_in("Sales rep")
    url = reverse("crm:task-create")
    data = page_form(rep_client, url, title="Call back", due_date="2030-01-01")
    with heard:
        assert rep_client.post(url, data).status_code == 302
    assert heard.names == ["TaskCreated"]
    task = Task.objects.get(title="Call back")
    assert task.assigned_to == rep

    with heard:
        rep_client.post(reverse("crm:task-complete", args=[task.pk]))
        rep_client.post(reverse("crm:task-complete", args=[task.pk]))  # already done
    assert heard.names == ["TaskCompleted", "TaskStatusChanged"]

    services.task_reopen(task=task, by=rep)
    url = reverse("crm:task-update", args=[task.pk])
    data = page_form(rep_client, url, assigned_to=colleague.pk, status=TaskStatus.COMPLETED)
    with heard:
        assert rep_client.post(url, data).status_code == 302
    assert heard.names == ["TaskAssigned", "TaskCompleted", "TaskStatusChanged"]


def test_events_page_interaction_logged(rep_client, rep, heard):
    lead = LeadFactory(owner=rep)
    url = reverse("crm:interaction-create") + f"?lead={lead.pk}"
    data = page_form(rep_client, url, subject="First call", occurred_at="2026-01-05T10:00")
    with heard:
        assert rep_client.post(url, data).status_code == 302
    assert heard.names == ["InteractionLogged"]


# --- The admin -------------------------------------------------------------------------------


def test_events_admin_lead_add_and_change(manager_client, manager, heard):
    url = reverse("admin:crm_lead_add")
    data = admin_form(
        manager_client, url, name="Admin lead", email="a@example.com", owner=manager.pk
    )
    with heard:
        assert manager_client.post(url, data).status_code == 302
    assert heard.names == ["LeadCreated"]
    lead = Lead.objects.get(name="Admin lead")

    rep = user_in("Sales rep")
    url = reverse("admin:crm_lead_change", args=[lead.pk])
    data = admin_form(manager_client, url, owner=rep.pk, status=LeadStatus.QUALIFIED)
    with heard:
        assert manager_client.post(url, data).status_code == 302
    assert heard.names == ["LeadAssigned", "LeadStatusChanged"]


def test_events_admin_inline_task_on_a_lead(manager_client, manager, heard):
    lead = LeadFactory(owner=manager)
    task = TaskFactory(lead=lead, assigned_to=manager)
    rep = user_in("Sales rep")
    url = reverse("admin:crm_lead_change", args=[lead.pk])
    data = admin_form(manager_client, url)
    prefix = inline_prefix(data)
    data[f"{prefix}-0-assigned_to"] = rep.pk
    data[f"{prefix}-0-status"] = TaskStatus.COMPLETED
    with heard:
        assert manager_client.post(url, data).status_code == 302
    assert heard.names == ["TaskAssigned", "TaskCompleted", "TaskStatusChanged"]
    task.refresh_from_db()
    assert (task.assigned_to, task.status) == (rep, TaskStatus.COMPLETED)


def test_events_admin_deal_change_stage(manager_client, manager, heard):
    deal = OpportunityFactory(owner=manager)
    url = reverse("admin:crm_opportunity_change", args=[deal.pk])
    data = admin_form(manager_client, url, stage=stage("closed_won").pk)
    with heard:
        assert manager_client.post(url, data).status_code == 302
    assert heard.names == ["DealStageChanged", "DealWon"]


def test_events_admin_actions(manager_client, manager, heard):
    leads = LeadFactory.create_batch(2, owner=manager)
    deals = OpportunityFactory.create_batch(2, owner=manager)
    tasks = TaskFactory.create_batch(2, assigned_to=manager)
    with heard:
        manager_client.post(
            reverse("admin:crm_lead_changelist"),
            {"action": "convert_selected", ACTION_CHECKBOX_NAME: [lead.pk for lead in leads]},
        )
    assert heard.names == ["LeadConverted"] * 2 + ["LeadStatusChanged"] * 2
    with heard:
        manager_client.post(
            reverse("admin:crm_opportunity_changelist"),
            {
                "action": "close_as_lost",
                "apply": "1",
                "lost_reason": "Went quiet",
                ACTION_CHECKBOX_NAME: [deal.pk for deal in deals],
            },
        )
    assert heard.names == ["DealLost"] * 2 + ["DealStageChanged"] * 2
    with heard:
        manager_client.post(
            reverse("admin:crm_task_changelist"),
            {"action": "mark_completed", ACTION_CHECKBOX_NAME: [task.pk for task in tasks]},
        )
    assert heard.names == ["TaskCompleted"] * 2 + ["TaskStatusChanged"] * 2


def test_events_nothing_is_announced_when_the_write_rolls_back(rep, heard):
    lead = LeadFactory(owner=rep)
    with heard, pytest.raises(RuntimeError), transaction.atomic():
        services.lead_update(lead=lead, by=rep, data={"status": LeadStatus.CONTACTED})
        raise RuntimeError("the disk is full")
    assert heard.names == []


def test_events_a_failing_listener_does_not_stop_the_others(rep, heard):
    def broken(event):
        raise RuntimeError("listener bug")

    events.subscribe(events.LeadCreated, broken)
    try:
        with heard:
            services.lead_create(by=rep, data={"name": "Ali", "phone": "0501112233"})
    finally:
        events.unsubscribe(events.LeadCreated, broken)
    assert heard.names == ["LeadCreated"]


# --- Imports ---------------------------------------------------------------------------------


def test_events_import_announces_once_and_the_preview_nothing(manager_client, manager, heard):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lead = LeadFactory(owner=manager, name="Known")
    rep = user_in("Sales rep", username="importer-rep")
    content = (
        "id,name,email,status,owner,source\n"
        f"{lead.pk},Known,k@example.com,qualified,{rep.username},other\n"
        ",Fresh,f@example.com,new,,other\n"
    ).encode()
    with heard:
        preview = manager_client.post(
            reverse("admin:crm_lead_import"),
            {"format": "0", "import_file": SimpleUploadedFile("leads.csv", content)},
        )
    assert heard.names == []  # the preview is rolled back, and announces nothing
    confirm = dict(preview.context["confirm_form"].initial)
    with heard:
        manager_client.post(reverse("admin:crm_lead_process_import"), confirm)
    assert heard.names == ["LeadAssigned", "LeadCreated", "LeadStatusChanged"]
