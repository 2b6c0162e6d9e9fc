"""Automation rules: triggers heard from the services' events, conditions, each action through
the services, the run log, loops stopped, failures retried then logged, rules off for an import,
and the scheduled triggers."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils import timezone

from crm import automation, services
from crm.automation import actions as rule_actions
from crm.automation.scheduled import run_scheduled
from crm.factories import (
    CampaignFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    UserFactory,
    stage,
)
from crm.models import (
    Interaction,
    Lead,
    Notification,
    Rule,
    RuleAction,
    RuleCondition,
    RuleRun,
    RunOutcome,
    Task,
)
from crm.models.automation import MAX_DEPTH

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the after-commit work (events, their rules, the jobs) as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def a_rule(manager, *, actions=(), conditions=(), **fields) -> Rule:
    rule = Rule(name=fields.pop("name", "A rule"), created_by=manager, **fields)
    rule.full_clean()
    rule.save()
    for condition in conditions:
        made = RuleCondition(rule=rule, **condition)
        made.full_clean()
        made.save()
    for action in actions:
        recipients = action.pop("recipients", ())
        made = RuleAction(rule=rule, **action)
        made.full_clean()
        made.save()
        made.recipients.set(recipients)
    return rule


def a_rep(username):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name="Sales rep"))
    return user


def new_lead(by, committed, **data):
    with committed():
        return services.lead_create(by=by, data={"name": "Omar", "phone": "0501112233", **data})


FOLLOW_UP = {
    "kind": "create_task",
    "title": "Call {name} back",
    "due_in_days": 1,
    "priority": "high",
}


# -- triggers and conditions ------------------------------------------------------------------


def test_a_website_lead_gets_a_follow_up_call_for_its_owner(manager, rep, committed):
    rule = a_rule(
        manager, record="lead", trigger="created", actions=[FOLLOW_UP],
        conditions=[{"field": "source", "value": "website"}],
    )  # fmt: skip
    lead = new_lead(rep, committed, source="website", name="Omar Haddad")
    task = Task.objects.get(lead=lead)
    assert task.title == "Call Omar Haddad back"
    assert task.assigned_to == rep and task.priority == "high"
    assert task.due_date == timezone.localdate() + datetime.timedelta(days=1)
    run = RuleRun.objects.get(rule=rule)
    assert (run.outcome, run.target_id, run.trigger, run.attempts) == (
        "succeeded",
        lead.pk,
        "created",
        1,
    )

    referral = new_lead(rep, committed, source="referral")
    assert not Task.objects.filter(lead=referral).exists()
    assert RuleRun.objects.get(rule=rule, target_id=referral.pk).outcome == RunOutcome.SKIPPED


def test_a_field_changing_to_a_value_triggers_and_any_other_change_does_not(
    manager, rep, committed
):
    deal = OpportunityFactory(owner=rep, amount=Decimal("50000"))
    a_rule(
        manager, record="opportunity", trigger="changed_to", field="stage", value="negotiation",
        conditions=[{"field": "amount", "operator": "gte", "value": "10000"}],
        actions=[{"kind": "log_note", "message": "{name} is in negotiation ({owner})"}],
    )  # fmt: skip
    with committed():
        services.opportunity_update(opportunity=deal, by=rep, data={"amount": Decimal("60000")})
        services.opportunity_move_stage(opportunity=deal, stage=stage("qualification"), by=rep)
    assert not Interaction.objects.filter(opportunity=deal).exists()
    with committed():
        services.opportunity_move_stage(opportunity=deal, stage=stage("negotiation"), by=rep)
    note = Interaction.objects.get(opportunity=deal)
    assert note.kind == "note" and note.subject.startswith(f"{deal.name} is in negotiation")


def test_a_lead_from_a_campaign_is_given_round_robin_within_a_group(manager, committed):
    team = Group.objects.create(name="Inbound")
    reps = [a_rep(name) for name in ("ali", "badr", "carla")]
    team.user_set.add(*reps)
    spring = CampaignFactory(name="Spring")
    a_rule(
        manager, record="lead", trigger="lead_from", campaign=spring,
        actions=[{"kind": "assign_owner", "assignee": "round_robin", "group": team}],
    )  # fmt: skip
    owners = [new_lead(manager, committed, campaign=spring).pk for _ in range(4)]
    new_lead(manager, committed)  # no campaign: stays the creator's
    given = [Lead.objects.get(pk=pk).owner.username for pk in owners]
    assert given == ["ali", "badr", "carla", "ali"]


def test_notify_tells_the_owner_and_the_users_named(manager, rep, committed):
    sara = a_rep("sara")
    a_rule(
        manager, record="task", trigger="changed_to", field="priority", value="urgent",
        actions=[{"kind": "notify", "message": "{name} is urgent now", "recipients": [sara]}],
    )  # fmt: skip
    task = TaskFactory(assigned_to=rep, title="Renew the contract", priority="normal")
    with committed():
        services.task_update(task=task, by=manager, data={"priority": "urgent"})
    told = Notification.objects.filter(kind="automation").values_list("recipient__username", "text")
    assert sorted(told) == [
        ("rep", "Renew the contract is urgent now"),
        ("sara", "Renew the contract is urgent now"),
    ]


def test_set_field_goes_through_the_services_and_their_rules(manager, rep, committed):
    a_rule(
        manager, record="lead", trigger="created",
        conditions=[{"field": "rating", "operator": "gte", "value": "4"}],
        actions=[{"kind": "set_field", "field": "status", "value": "qualified"}],
    )  # fmt: skip
    hot = new_lead(rep, committed, rating=5)
    cold = new_lead(rep, committed, rating=2)
    assert Lead.objects.get(pk=hot.pk).status == "qualified"
    assert Lead.objects.get(pk=cold.pk).status == "new"
    assert hot.history.count() == 2  # the rule's change is in its history, as any change


# -- no loops ---------------------------------------------------------------------------------


def test_rules_that_answer_each_other_stop_after_one_turn_each(manager, rep, committed):
    ping = a_rule(
        manager, name="Ping", record="lead", trigger="changed_to", field="status",
        value="qualified", actions=[{"kind": "set_field", "field": "status", "value": "contacted"}],
    )  # fmt: skip
    pong = a_rule(
        manager, name="Pong", record="lead", trigger="changed_to", field="status",
        value="contacted", actions=[{"kind": "set_field", "field": "status", "value": "qualified"}],
    )  # fmt: skip
    lead = LeadFactory(owner=rep)
    with committed():
        services.lead_update(lead=lead, by=rep, data={"status": "qualified"})
    assert RuleRun.objects.filter(rule=ping).count() == 1
    assert RuleRun.objects.filter(rule=pong).count() == 1
    assert Lead.objects.get(pk=lead.pk).status == "qualified"  # pong's; ping did not fire again
    with committed():  # a person's next change starts a chain of its own
        services.lead_update(lead=lead, by=rep, data={"status": "new"})
        services.lead_update(lead=lead, by=rep, data={"status": "qualified"})
    assert RuleRun.objects.filter(rule=ping).count() == 2


def test_a_runaway_chain_is_stopped_at_its_depth_with_an_error_logged(manager, rep, committed):
    rule = a_rule(
        manager, record="task", trigger="created",
        actions=[{"kind": "create_task", "title": "Again", "assignee": "owner"}],
    )  # fmt: skip
    with committed():
        services.task_create(by=rep, data={"title": "First", "due_date": timezone.localdate()})
    assert Task.objects.count() == 1 + MAX_DEPTH
    stopped = RuleRun.objects.get(rule=rule, outcome=RunOutcome.STOPPED)
    assert stopped.depth == MAX_DEPTH and "depth" in stopped.error


# -- failures ---------------------------------------------------------------------------------


def test_a_passing_failure_is_retried_then_logged_as_failed(manager, rep, committed, monkeypatch):
    tries = []

    def database_away(action, record, by):
        tries.append(1)
        raise OperationalError("the server closed the connection unexpectedly")

    monkeypatch.setitem(rule_actions.DO, "create_task", database_away)
    monkeypatch.setattr("crm.automation.engine.DO", rule_actions.DO)
    rule = a_rule(manager, record="lead", trigger="created", actions=[FOLLOW_UP])
    new_lead(rep, committed)
    run = RuleRun.objects.get(rule=rule)
    assert len(tries) == 5  # the first and four retries
    assert (run.outcome, run.attempts) == (RunOutcome.FAILED, 5)
    assert "the server closed the connection" in run.error


def test_a_failure_that_passes_leaves_nothing_half_done(manager, rep, committed, monkeypatch):
    real, tries = rule_actions.DO["notify"], []

    def once_away(action, record, by):
        tries.append(1)
        if len(tries) == 1:
            raise OperationalError("deadlock detected")
        real(action, record, by)

    monkeypatch.setitem(rule_actions.DO, "notify", once_away)
    rule = a_rule(
        manager, record="lead", trigger="created",
        actions=[FOLLOW_UP, {"kind": "notify", "message": "New lead {name}"}],
    )  # fmt: skip
    lead = new_lead(manager, committed, owner=rep)
    assert Task.objects.filter(lead=lead).count() == 1  # the first try's task was undone
    assert Notification.objects.filter(kind="automation", recipient=rep).count() == 1
    run = RuleRun.objects.get(rule=rule)
    assert (run.outcome, run.attempts) == (RunOutcome.SUCCEEDED, 2)


def test_a_refused_action_fails_at_once_with_why(manager, rep, committed):
    left = a_rep("left")
    rule = a_rule(
        manager, record="lead", trigger="created",
        actions=[FOLLOW_UP, {"kind": "assign_owner", "assignee": "user", "user": left}],
    )  # fmt: skip
    left.is_active = False
    left.save()
    lead = new_lead(rep, committed)
    run = RuleRun.objects.get(rule=rule)
    assert (run.outcome, run.attempts) == (RunOutcome.FAILED, 1)
    assert run.error == "Assign the owner: No active user to give it to."
    assert not Task.objects.filter(lead=lead).exists()  # all or nothing


def test_a_run_done_is_not_done_again(manager, rep, committed):
    from crm.automation import engine

    rule = a_rule(manager, record="lead", trigger="created", actions=[FOLLOW_UP])
    lead = new_lead(rep, committed)
    run = RuleRun.objects.get(rule=rule)
    assert engine.carry_out(run.pk) is None  # the job delivered again
    assert Task.objects.filter(lead=lead).count() == 1


# -- rules off, schedules ---------------------------------------------------------------------


def test_writes_with_rules_off_run_no_rule(manager, rep, committed):
    a_rule(manager, record="lead", trigger="created", actions=[FOLLOW_UP])
    with automation.rules_off():
        lead = new_lead(rep, committed)
    assert not RuleRun.objects.exists() and not Task.objects.filter(lead=lead).exists()


def test_a_task_become_overdue_fires_once_for_its_due_date(manager, rep, committed):
    rule = a_rule(
        manager, record="task", trigger="task_overdue",
        actions=[{"kind": "notify", "message": "{name} is overdue"}],
    )  # fmt: skip
    today = timezone.localdate()
    late = TaskFactory(assigned_to=rep, due_date=today - datetime.timedelta(days=1))
    TaskFactory(assigned_to=rep, due_date=today - datetime.timedelta(days=30))  # long forgotten
    TaskFactory(assigned_to=rep, due_date=today)
    with committed():
        assert run_scheduled() == 1
    assert run_scheduled() == 0  # the hourly runs after
    assert RuleRun.objects.get(rule=rule).target_id == late.pk
    assert Notification.objects.get(kind="automation").text == f"{late.title} is overdue"


def test_a_deal_idle_for_its_days_notifies_its_owner_once_per_idle_stretch(manager, rep):
    rule = a_rule(
        manager, record="opportunity", trigger="deal_idle", days=14,
        actions=[{"kind": "notify", "message": "{name} has had no interaction for 14 days"}],
    )  # fmt: skip
    old = timezone.now() - datetime.timedelta(days=20)
    idle = OpportunityFactory(owner=rep)
    busy = OpportunityFactory(owner=rep)
    for deal in (idle, busy):
        type(deal).objects.filter(pk=deal.pk).update(created_at=old)
    InteractionFactory(opportunity=busy, contact=busy.contact, occurred_at=timezone.now())
    assert run_scheduled() == 1
    assert run_scheduled() == 0
    assert RuleRun.objects.get(rule=rule).target_id == idle.pk
    InteractionFactory(
        opportunity=idle, contact=idle.contact, occurred_at=old + datetime.timedelta(days=1)
    )
    assert run_scheduled() == 1  # idle again, since another day


# -- the admin and the run log ----------------------------------------------------------------

RUNS = "/crm/automation/runs"


def inline_data(prefix, rows):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{name}": value for name, value in row.items()})
    return data


def rule_post(**rule):
    return {
        "name": "Website follow-up", "is_active": "on", "record": "lead", "trigger": "created",
        "field": "", "value": "", "days": "", "campaign": "", "source": "",
        **rule,
        **inline_data("conditions", [{"field": "source", "operator": "eq", "value": "website"}]),
        **inline_data("actions", [{
            "kind": "create_task", "title": "Call {name}", "due_in_days": "1",
            "priority": "normal", "assignee": "owner", "notify_owner": "on",
        }]),
    }  # fmt: skip


def test_a_manager_writes_a_rule_in_the_admin_and_it_acts_as_them(manager_client, manager):
    response = manager_client.post("/admin/crm/rule/add/", rule_post())
    assert response.status_code == 302, response.context["errors"]
    rule = Rule.objects.get()
    assert rule.created_by == manager
    assert rule.conditions.get().value == "website"
    assert rule.actions.get().title == "Call {name}"


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"trigger": "deal_idle"}, "trigger", "cannot have this trigger"),
        ({"trigger": "changed_to", "field": "status", "value": "done"}, "value", "Give one of"),
        ({"trigger": "lead_from"}, "campaign", "Choose a campaign, a source, or both."),
        ({"name": "\x00"}, None, ""),
    ],
)
def test_a_bad_rule_is_refused_with_a_message_and_nothing_saved(
    manager_client, change, field, message
):
    response = manager_client.post("/admin/crm/rule/add/", rule_post(**change))
    assert response.status_code in (200, 400)
    if field:
        assert message in str(response.context["adminform"].form.errors[field])
    assert not Rule.objects.exists()


def test_a_bad_action_template_is_refused_with_a_message(manager_client):
    data = rule_post()
    data["actions-0-title"] = "Call {phone"
    response = manager_client.post("/admin/crm/rule/add/", data)
    assert response.status_code == 200
    assert "brace" in response.content.decode()
    assert not Rule.objects.exists()


def test_the_run_log_lists_filters_and_keeps_its_queries(
    manager_client, manager, rep, committed, django_assert_num_queries
):
    follow = a_rule(
        manager, name="Follow up", record="lead", trigger="created", actions=[FOLLOW_UP]
    )
    a_rule(
        manager, name="Only websites", record="lead", trigger="created", actions=[FOLLOW_UP],
        conditions=[{"field": "source", "value": "website"}],
    )  # fmt: skip
    lead = new_lead(rep, committed, source="referral", name="Huda")
    page = manager_client.get(RUNS).content.decode()
    assert "Follow up" in page and "Only websites" in page
    assert "Succeeded" in page and "Skipped: conditions not met" in page
    assert f'href="{lead.get_absolute_url()}"' in page
    skipped = manager_client.get(RUNS, {"outcome": "skipped"}).context["runs"]
    assert [run.rule.name for run in skipped] == ["Only websites"]
    mine = manager_client.get(RUNS, {"rule": follow.pk}).context["runs"]
    assert [run.rule_id for run in mine] == [follow.pk]
    with django_assert_num_queries(count := len(queries_of(manager_client))):
        manager_client.get(RUNS)
    for _ in range(5):
        new_lead(rep, committed)
    with django_assert_num_queries(count):
        manager_client.get(RUNS)


def queries_of(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(RUNS)
    return queries.captured_queries


@pytest.mark.parametrize(
    "query",
    [{"rule": "999999"}, {"rule": "x"}, {"outcome": "lost"}, {"rule": "1\x00"}, {"page": "-1"}],
)
def test_the_run_log_takes_any_filter_without_an_error(manager_client, query):
    assert manager_client.get(RUNS, query).status_code in (200, 400, 404)


def test_reps_do_not_see_the_run_log(rep_client):
    assert rep_client.get(RUNS).status_code == 403
    assert "automation-link" not in rep_client.get("/crm/").content.decode()


@pytest.mark.parametrize("run_rules", [False, True])
def test_an_import_runs_the_rules_only_if_it_chooses_to(
    manager_client, manager, committed, run_rules
):
    import tablib
    from django.core.files.uploadedfile import SimpleUploadedFile

    a_rule(manager, record="lead", trigger="created", actions=[FOLLOW_UP])
    rows = [["Sara", "sara@example.com"], ["Omar", "omar@example.com"]]
    content = tablib.Dataset(*rows, headers=["name", "email"]).export("csv").encode()
    form = {"format": "0", "import_file": SimpleUploadedFile("leads.csv", content)}
    if run_rules:
        form["run_rules"] = "on"
    shown = manager_client.get("/admin/crm/lead/import/").content.decode()
    assert "Run the automation rules on the imported records" in shown
    page = manager_client.post("/admin/crm/lead/import/", form)
    confirm = dict(page.context["confirm_form"].initial)
    assert confirm["run_rules"] is run_rules
    with committed():
        manager_client.post("/admin/crm/lead/process_import/", confirm, follow=True)
    assert Lead.objects.count() == 2
    assert Task.objects.count() == (2 if run_rules else 0)
    assert RuleRun.objects.count() == (2 if run_rules else 0)


# -- from a review ----------------------------------------------------------------------------


def test_the_events_of_one_write_are_one_chain(rep, committed):
    from crm import events

    lead = LeadFactory(owner=rep, status="new")
    sara = a_rep("sara")
    with events.recorded() as heard, committed():
        services.lead_update(lead=lead, by=rep, data={"owner": sara, "status": "qualified"})
    assert len(heard) == 2 and heard[0].chain == heard[1].chain


def test_a_rule_turned_off_after_its_run_was_queued_does_nothing(manager, rep, committed):
    from crm.automation import engine

    rule = a_rule(manager, record="lead", trigger="created", actions=[FOLLOW_UP])
    lead = LeadFactory(owner=rep)
    run = services.automation.rule_run_queue(
        rule=rule, record=lead, trigger="created", chain="x", depth=0
    )
    Rule.objects.filter(pk=rule.pk).update(is_active=False)
    assert engine.carry_out(run.pk) == RunOutcome.SKIPPED
    assert not Task.objects.filter(lead=lead).exists()


def test_a_run_whose_job_was_lost_is_asked_for_again(manager, rep, committed):
    rule = a_rule(manager, record="lead", trigger="created", actions=[FOLLOW_UP])
    lead = LeadFactory(owner=rep)
    run = services.automation.rule_run_queue(
        rule=rule, record=lead, trigger="created", chain="lost", depth=0
    )
    run_scheduled()  # too young: its job may still come
    assert RuleRun.objects.get(pk=run.pk).outcome == RunOutcome.QUEUED
    RuleRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    run_scheduled()
    assert RuleRun.objects.get(pk=run.pk).outcome == RunOutcome.SUCCEEDED
    assert Task.objects.filter(lead=lead).count() == 1


def test_a_campaign_a_rule_names_is_not_deleted_under_it(manager, manager_client):
    spring = CampaignFactory(name="Spring")
    a_rule(
        manager, record="lead", trigger="lead_from", campaign=spring,
        actions=[{"kind": "notify", "message": "New lead {name}"}],
    )  # fmt: skip
    with pytest.raises(ValidationError, match="point to it"):
        services.campaign_delete(campaign=spring, by=manager)
    assert Rule.objects.get().campaign == spring


@pytest.mark.parametrize(
    "rule_fields, action",
    [
        ({"record": ""}, {"kind": "set_field", "field": "status", "value": "new"}),
        ({}, {"kind": "set_field", "field": "probability", "value": "²"}),
        ({}, {"kind": "set_field", "field": "probability", "value": "101"}),
    ],
)
def test_a_bad_action_in_the_admin_is_a_message_not_an_error(manager_client, rule_fields, action):
    data = rule_post(**{"record": "opportunity", **rule_fields})
    data.update({f"actions-0-{name}": value for name, value in action.items()})
    response = manager_client.post("/admin/crm/rule/add/", data)
    assert response.status_code == 200
    assert not Rule.objects.exists()


def test_a_record_a_rule_gives_someone_is_told_as_the_rules_not_the_authors(manager, committed):
    sara = a_rep("sara")
    a_rule(
        manager, record="lead", trigger="created",
        actions=[{"kind": "assign_owner", "assignee": "user", "user": sara}],
    )  # fmt: skip
    new_lead(manager, committed, name="Huda Saleh")
    told = Notification.objects.get(recipient=sara, kind="assigned")
    assert told.text == "The lead Huda Saleh is yours now."
    assert told.actor is None
