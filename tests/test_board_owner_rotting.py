"""The board's owner filter, its "rotting" marker, and refused moves that say why."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.admin.sites import site
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.factories import ContactFactory, OpportunityFactory, UserFactory, stage
from crm.models import Opportunity, Stage, StageChange

pytestmark = pytest.mark.django_db

BOARD = reverse("crm:opportunity-board")
JSON = {"accept": "application/json"}
DAY = datetime.timedelta(days=1)


def column(response, code: str) -> dict:
    columns = response.context["open_columns"] + response.context["closed_columns"]
    return next(c for c in columns if c["stage"].code == code)


def card_names(response, code="prospecting") -> list[str]:
    return [card.name for card in column(response, code)["cards"]]


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - days * DAY


@pytest.fixture
def deals(rep):
    """Two deals of the rep's and one of a colleague's, in prospecting and proposal."""
    colleague = UserFactory(first_name="Sami", last_name="Khoury")
    return {
        "mine": OpportunityFactory(name="Rep small", owner=rep, amount=Decimal("1000.00")),
        "mine_proposal": OpportunityFactory(
            name="Rep proposal", owner=rep, stage=stage("proposal"), amount=Decimal("3000.00")
        ),
        "theirs": OpportunityFactory(
            name="Colleague big", owner=colleague, amount=Decimal("5000.00")
        ),
        "colleague": colleague,
    }


# --- The owner filter -------------------------------------------------------------------------


def test_board_without_owner_shows_everyones_deals(rep_client, deals):
    response = rep_client.get(BOARD)
    assert card_names(response) == ["Colleague big", "Rep small"]
    assert response.context["summary"]["open_count"] == 3
    content = response.content.decode()
    assert '<option value="" selected>Everyone</option>' in content
    assert "Sami Khoury" in content  # an active user to pick


def test_board_filtered_by_an_owner_shows_only_their_cards_and_totals(rep_client, deals):
    colleague = deals["colleague"]
    response = rep_client.get(BOARD, {"owner": colleague.pk})

    assert card_names(response) == ["Colleague big"]
    assert column(response, "proposal")["cards"] == []
    prospecting = column(response, "prospecting")
    assert (prospecting["count"], prospecting["amount"]) == (1, Decimal("5000.00"))
    assert column(response, "proposal")["count"] == 0
    assert response.context["summary"]["open_count"] == 1
    content = response.content.decode()
    assert f'<option value="{colleague.pk}" selected>Sami Khoury</option>' in content
    assert "5,000.00" in content and "3,000.00" not in content
    assert "data-owner-clear" in content  # one click back to the whole team


def test_board_mine_shows_the_users_own_deals(rep_client, deals):
    response = rep_client.get(BOARD, {"owner": "me"})

    assert card_names(response) == ["Rep small"]
    assert card_names(response, "proposal") == ["Rep proposal"]
    assert response.context["summary"]["open_count"] == 2
    assert response.context["summary"]["open_amount"] == Decimal("4000.00")
    content = response.content.decode()
    assert '<option value="me" selected>Mine</option>' in content
    assert 'aria-pressed="true" data-owner-mine' in content


def test_board_owner_filter_carries_into_the_list_links(rep_client, rep, deals, monkeypatch):
    from crm.views import board

    monkeypatch.setattr(board, "CARDS_PER_STAGE", 1)
    OpportunityFactory(owner=rep)
    pk = stage("prospecting").pk
    list_url = reverse("crm:opportunity-list")

    content = rep_client.get(BOARD, {"owner": "me"}).content.decode()
    assert f"{list_url}?stage={pk}&amp;mine=on" in content
    content = rep_client.get(BOARD, {"owner": rep.pk}).content.decode()
    assert f"{list_url}?stage={pk}&amp;owner={rep.pk}" in content


@pytest.mark.parametrize(
    "value",
    ["abc", "9" * 30, "99999999999999999", "-1", "1 OR 1=1", "mine", "🙂", "٣"],
)
def test_board_ignores_an_unknown_owner_and_says_so(rep_client, deals, value):
    response = rep_client.get(BOARD, {"owner": value})

    assert response.status_code == 200
    assert card_names(response) == ["Colleague big", "Rep small"]
    assert "Unknown owner: showing everyone&#x27;s opportunities." in response.content.decode()


@pytest.mark.parametrize("value", ["\x00", "1\x00", "me\x00"])
def test_board_refuses_a_nul_in_the_owner_with_a_clear_message(rep_client, deals, value):
    response = rep_client.get(BOARD, {"owner": value})
    assert response.status_code == 400
    assert "cannot be stored" in response.content.decode()


def test_board_ignores_an_inactive_owner(rep_client, deals):
    gone = UserFactory(first_name="Gone", is_active=False)
    OpportunityFactory(owner=gone, name="Left behind")

    response = rep_client.get(BOARD, {"owner": gone.pk})

    assert "Left behind" in card_names(response)
    content = response.content.decode()
    assert "Unknown owner" in content
    assert "Gone" not in content.split('id="board-owner"')[1].split("</select>")[0]


def test_board_empty_owner_is_everyone_without_a_message(rep_client, deals):
    response = rep_client.get(BOARD, {"owner": ""})
    assert len(card_names(response)) == 2
    assert "Unknown owner" not in response.content.decode()


def test_move_answers_with_the_totals_of_the_boards_owner_filter(rep_client, deals):
    deal = deals["mine"]
    url = reverse("crm:opportunity-move", args=[deal.pk])

    filtered = rep_client.post(f"{url}?owner=me", {"stage": stage("proposal").pk}, headers=JSON)
    assert filtered.status_code == 200
    assert filtered.json()["open"]["count"] == 2  # the rep's two, not the colleague's
    totals = {row["id"]: row for row in filtered.json()["stages"]}
    assert totals[stage("prospecting").pk]["count"] == 0
    assert totals[stage("proposal").pk]["amount_display"] == "4,000.00 SAR"

    everyone = rep_client.post(f"{url}?owner=junk", {"stage": stage("closing").pk}, headers=JSON)
    assert everyone.json()["open"]["count"] == 3


# --- The stage clock ----------------------------------------------------------------------


def test_opportunity_create_starts_the_stage_clock(rep):
    before = timezone.now()
    deal = services.opportunity_create(
        by=rep, data={"name": "New", "contact": ContactFactory(owner=rep), "owner": rep}
    )
    assert before <= deal.stage_entered_at <= timezone.now()
    change = StageChange.objects.get(opportunity=deal)
    assert change.changed_at == deal.stage_entered_at


def test_opportunity_move_restarts_the_stage_clock_and_an_edit_does_not(rep):
    deal = OpportunityFactory(owner=rep, stage_entered_at=days_ago(30))

    edited = services.opportunity_update(
        opportunity=deal, by=rep, data={"amount": Decimal("12.00")}
    )
    assert edited.stage_entered_at == deal.stage_entered_at  # same stage: the clock runs on

    moved = services.opportunity_move_stage(opportunity=deal, stage=stage("proposal"), by=rep)
    moved.refresh_from_db()
    assert moved.stage_entered_at > timezone.now() - DAY
    assert moved.days_in_stage == 0
    last = moved.stage_changes.order_by("-changed_at").first()
    assert last.changed_at == moved.stage_entered_at

    same = services.opportunity_move_stage(opportunity=moved, stage=stage("proposal"), by=rep)
    assert same.stage_entered_at == moved.stage_entered_at  # no move, no new clock


def test_stage_history_does_not_list_the_stage_clock(rep_client, rep):
    deal = OpportunityFactory(owner=rep)
    services.opportunity_move_stage(opportunity=deal, stage=stage("proposal"), by=rep)
    content = rep_client.get(deal.get_absolute_url()).content.decode()
    assert "in this stage since" not in content.lower()


# --- The rotting marker -------------------------------------------------------------------


@pytest.fixture
def limited():
    """Prospecting rots after 10 days; proposal has no limit."""
    Stage.objects.filter(code="prospecting").update(rotting_days=10)
    return stage("prospecting")


@pytest.mark.parametrize(
    ("days", "text", "rotting"),
    [
        (0, "Entered this stage today", False),
        (1, "1 day in this stage", False),
        (10, "10 days in this stage", False),  # at the limit, not beyond it
        (11, "11 days in this stage", True),
        (40, "40 days in this stage", True),
    ],
)
def test_board_card_says_its_days_in_the_stage_and_marks_rotting(
    rep_client, limited, days, text, rotting
):
    OpportunityFactory(name="Aged", stage=limited, stage_entered_at=days_ago(days))

    response = rep_client.get(BOARD)

    content = response.content.decode()
    assert text in content
    assert ("board-card-rotting" in content) is rotting
    assert ("Rotting: longer than this stage&#x27;s limit of 10 days" in content) is rotting
    assert ("bi-exclamation-triangle-fill" in content) is rotting


def test_board_never_marks_rotting_in_a_stage_without_a_limit(rep_client, limited):
    OpportunityFactory(name="Old proposal", stage=stage("proposal"), stage_entered_at=days_ago(400))
    content = rep_client.get(BOARD).content.decode()
    assert "400 days in this stage" in content
    assert "board-card-rotting" not in content


def test_board_move_answer_restarts_the_marker(rep_client, rep, limited):
    deal = OpportunityFactory(owner=rep, stage=limited, stage_entered_at=days_ago(20))
    assert deal.is_rotting

    response = rep_client.post(
        reverse("crm:opportunity-move", args=[deal.pk]),
        {"stage": stage("qualification").pk},
        headers=JSON,
    )

    answer = response.json()["opportunity"]
    assert (answer["stage_age"], answer["rotting"]) == ("Entered this stage today", False)


def test_stage_admin_edits_the_rotting_limit(manager_client):
    prospecting = stage("prospecting")
    changelist = manager_client.get(reverse("admin:crm_stage_changelist"))
    assert "rotting after (days)" in changelist.content.decode().lower()
    change_url = reverse("admin:crm_stage_change", args=[prospecting.pk])
    form = manager_client.get(change_url)
    assert 'name="rotting_days"' in form.content.decode()
    data = {
        "code": prospecting.code,
        "name": prospecting.name,
        "name_ar": prospecting.name_ar,
        "order": prospecting.order,
        "default_probability": prospecting.default_probability,
        "rotting_days": "14",
    }
    assert manager_client.post(change_url, data).status_code == 302
    prospecting.refresh_from_db()
    assert prospecting.rotting_days == 14
    data["rotting_days"] = ""
    manager_client.post(change_url, data)
    prospecting.refresh_from_db()
    assert prospecting.rotting_days is None
    assert "rotting_days" in site._registry[Stage].list_editable


def test_migration_fills_the_stage_clock_from_the_last_move_into_the_stage(rep):
    migration = importlib.import_module("crm.migrations.0012_board_rotting")
    moved = OpportunityFactory(stage=stage("proposal"))
    never_moved = OpportunityFactory()
    StageChange.objects.create(
        opportunity=moved,
        to_stage=stage("prospecting"),
        changed_at=days_ago(20),
        amount=moved.amount,
        probability=10,
    )
    StageChange.objects.create(
        opportunity=moved,
        from_stage=stage("prospecting"),
        to_stage=stage("proposal"),
        changed_at=days_ago(5),
        amount=moved.amount,
        probability=50,
    )
    StageChange.objects.create(  # an older visit to the same stage does not count
        opportunity=moved,
        to_stage=stage("proposal"),
        changed_at=days_ago(50),
        amount=moved.amount,
        probability=50,
    )
    Opportunity.objects.update(stage_entered_at=timezone.now())
    Opportunity.objects.filter(pk=never_moved.pk).update(created_at=days_ago(9))

    migration.fill_stage_entered_at(apps, None)

    moved.refresh_from_db()
    never_moved.refresh_from_db()
    assert moved.days_in_stage == 5
    assert never_moved.days_in_stage == 9


# --- Refused moves say why ------------------------------------------------------------------


def test_move_refused_for_a_colleagues_deal_names_it_and_says_why(rep_client, deals):
    theirs = deals["theirs"]
    response = rep_client.post(
        reverse("crm:opportunity-move", args=[theirs.pk]),
        {"stage": stage("proposal").pk},
        headers=JSON,
    )
    assert response.status_code == 403
    assert response.json()["message"] == (
        "Colleague big was not moved: Only its owner or a manager can move this opportunity."
    )


def test_move_of_a_deal_changed_since_the_board_was_loaded_is_refused(rep_client, deals):
    deal = deals["mine"]
    seen = deal.updated_at.isoformat()
    services.opportunity_update(
        opportunity=deal, by=deal.owner, data={"amount": Decimal("1500.00")}
    )

    response = rep_client.post(
        reverse("crm:opportunity-move", args=[deal.pk]),
        {"stage": stage("proposal").pk, "version": seen},
        headers=JSON,
    )

    assert response.status_code == 409
    assert response.json()["message"] == (
        "Rep small was not moved: Someone else changed it after this board was loaded. "
        "Reload the board to see it as it is now."
    )
    deal.refresh_from_db()
    assert deal.stage.code == "prospecting"


def test_move_with_the_version_the_board_shows_succeeds_and_gives_the_next(rep_client, deals):
    deal = deals["mine"]
    url = reverse("crm:opportunity-move", args=[deal.pk])
    content = rep_client.get(BOARD).content.decode()
    version = deal.updated_at.isoformat()
    assert f'data-version="{version}"' in content

    first = rep_client.post(url, {"stage": stage("proposal").pk, "version": version}, headers=JSON)
    assert first.status_code == 200
    following = first.json()["opportunity"]["version"]
    second = rep_client.post(
        url, {"stage": stage("closing").pk, "version": following}, headers=JSON
    )
    assert second.status_code == 200


@pytest.mark.parametrize("version", ["yesterday", "2026-13-45T99:00:00", "\x00", "1" * 500])
def test_move_with_a_garbled_version_is_refused_without_a_server_error(rep_client, deals, version):
    deal = deals["mine"]
    response = rep_client.post(
        reverse("crm:opportunity-move", args=[deal.pk]),
        {"stage": stage("proposal").pk, "version": version},
        headers=JSON,
    )
    assert response.status_code == 400
    assert response.json()["errors"]  # the reason, said on the board


def test_move_to_lost_without_a_reason_says_why(rep_client, deals):
    deal = deals["mine"]
    response = rep_client.post(
        reverse("crm:opportunity-move", args=[deal.pk]),
        {"stage": stage("closed_lost").pk},
        headers=JSON,
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Rep small was not moved: Say why the opportunity was lost."
    )


def test_board_locked_card_tells_why_on_its_lock(rep_client, deals):
    content = rep_client.get(BOARD).content.decode()
    assert 'data-locked-button aria-label="Only its owner or a manager can move it"' in content
    assert content.count("data-locked-button") == 1  # the colleague's card, not the rep's


# --- The demo -----------------------------------------------------------------------------


def test_seed_crm_limits_some_stages_and_leaves_some_deals_rotting():
    from tests.test_seed import seed

    Stage.objects.filter(code="qualification").update(rotting_days=60)  # a manager's choice
    seed(opportunities=120)

    limits = dict(Stage.objects.values_list("code", "rotting_days"))
    assert limits["prospecting"] == 30 and limits["qualification"] == 60  # kept
    assert limits["closed_won"] is None and limits["closed_lost"] is None
    deals = list(Opportunity.objects.open().select_related("stage"))
    rotting = [deal for deal in deals if deal.is_rotting]
    assert 0 < len(rotting) < len(deals) / 2
    for deal in Opportunity.objects.select_related("stage"):
        assert deal.created_at <= deal.stage_entered_at <= timezone.now()
        if deal.stage.is_closed:
            assert deal.stage_entered_at == deal.closed_at
        entry = deal.stage_changes.get(to_stage=deal.stage, from_stage=None)
        assert entry.changed_at == deal.stage_entered_at
