"""The pipeline board and the stage move behind its drag and drop."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.factories import OpportunityFactory, UserFactory, stage
from crm.models import Opportunity, Stage, StageChange
from crm.views import board

pytestmark = pytest.mark.django_db

BOARD = reverse("crm:opportunity-board")
OPEN_STAGES = ["prospecting", "qualification", "proposal", "negotiation", "closing"]
JSON = {"accept": "application/json"}


def move_url(opportunity) -> str:
    return reverse("crm:opportunity-move", args=[opportunity.pk])


def move(client, opportunity, json=True, **data):
    """POST a move as the board's script does (JSON), or as a plain HTML form."""
    return client.post(move_url(opportunity), data, headers=JSON if json else {})


def column(response, code: str) -> dict:
    columns = response.context["open_columns"] + response.context["closed_columns"]
    return next(c for c in columns if c["stage"].code == code)


@pytest.fixture
def mine(rep):
    """An opportunity the rep owns, in prospecting, worth 10,000."""
    return OpportunityFactory(owner=rep, name="Rep's deal", amount=Decimal("10000.00"))


def user_with(*codenames):
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


# --- The board ----------------------------------------------------------------------------


def test_board_shows_open_stages_as_columns_of_cards_with_totals(rep_client):
    OpportunityFactory(name="Small", stage=stage("prospecting"), amount=Decimal("1000.00"))
    OpportunityFactory(
        name="Odd", stage=stage("prospecting"), amount=Decimal("999"), probability=33
    )
    OpportunityFactory(name="Mid", stage=stage("proposal"), amount=Decimal("2000.00"))
    OpportunityFactory(name="Won deal", stage=stage("closed_won"), amount=Decimal("7000.00"))
    OpportunityFactory(name="Lost deal", stage=stage("closed_lost"), amount=Decimal("500.00"))

    response = rep_client.get(BOARD)

    assert response.status_code == 200
    assert response.context["nav"] == "board"
    assert [c["stage"].code for c in response.context["open_columns"]] == OPEN_STAGES
    assert [c["stage"].code for c in response.context["closed_columns"]] == [
        "closed_won",
        "closed_lost",
    ]
    prospecting = column(response, "prospecting")
    assert [card.name for card in prospecting["cards"]] == ["Small", "Odd"]  # larger first
    assert (prospecting["count"], prospecting["amount"], prospecting["weighted"]) == (
        2,
        Decimal("1999.00"),
        Decimal("429.67"),
    )
    assert column(response, "proposal")["weighted"] == Decimal("1000.00")
    won = column(response, "closed_won")
    assert (won["count"], won["amount"]) == (1, Decimal("7000.00"))
    assert "cards" in won and won["cards"] == []

    content = response.content.decode()
    assert "Small" in content and "Mid" in content
    assert "Won deal" not in content and "Lost deal" not in content
    assert "1,999.00" in content and "429.67" in content
    assert reverse("crm:opportunity-move", args=[Opportunity.objects.get(name="Mid").pk]) in content
    assert "vendor/sortablejs/Sortable.min.js" in content and "crm/board.js" in content


def test_board_cards_close_soonest_first(rep_client):
    today = timezone.localdate()
    later = OpportunityFactory(expected_close_date=today + datetime.timedelta(days=9))
    undated = OpportunityFactory(expected_close_date=None)
    soon_small = OpportunityFactory(expected_close_date=today, amount=Decimal("1"))
    soon_large = OpportunityFactory(expected_close_date=today, amount=Decimal("2"))

    cards = column(rep_client.get(BOARD), "prospecting")["cards"]

    assert cards == [soon_large, soon_small, later, undated]


def test_board_caps_cards_per_column_and_links_to_the_rest(rep_client, monkeypatch):
    monkeypatch.setattr(board, "CARDS_PER_STAGE", 3)
    OpportunityFactory.create_batch(5, stage=stage("prospecting"))
    OpportunityFactory.create_batch(2, stage=stage("proposal"))

    response = rep_client.get(BOARD)

    prospecting = column(response, "prospecting")
    assert (len(prospecting["cards"]), prospecting["count"], prospecting["more"]) == (3, 5, 2)
    assert column(response, "proposal")["more"] == 0
    content = response.content.decode()
    assert "+2 more" in content
    pk = stage("prospecting").pk
    assert f"{reverse('crm:opportunity-list')}?stage={pk}" in content


# Session, user, its two permission reads, the active users (owner filter), the totals per
# stage, the stages, the cards.
BOARD_QUERIES = 8


@pytest.mark.parametrize("owner", ["", "me", "rep"])
def test_board_queries_do_not_grow_with_rows(
    rep_client, rep, monkeypatch, django_assert_num_queries, owner
):
    monkeypatch.setattr(board, "CARDS_PER_STAGE", 4)

    url = BOARD + {"": "", "me": "?owner=me", "rep": f"?owner={rep.pk}"}[owner]

    def add_rows(n):
        for code in [*OPEN_STAGES, "closed_won", "closed_lost"]:
            OpportunityFactory.create_batch(n, stage=stage(code), owner=rep)
            OpportunityFactory(stage=stage(code), stage_entered_at=timezone.now())

    add_rows(1)
    with django_assert_num_queries(BOARD_QUERIES):
        assert rep_client.get(url).status_code == 200
    add_rows(6)  # past the cap of each column
    with django_assert_num_queries(BOARD_QUERIES):
        response = rep_client.get(url)
    assert [len(c["cards"]) for c in response.context["open_columns"]] == [4] * 5
    assert column(response, "prospecting")["more"] == (9 if not owner else 7) - 4


def test_board_lets_reps_drag_only_their_own_cards(rep_client, manager, mine):
    theirs = OpportunityFactory(name="Someone else's deal")
    cards = {c.pk: c for c in column(rep_client.get(BOARD), "prospecting")["cards"]}
    assert cards[mine.pk].movable and not cards[theirs.pk].movable
    content = rep_client.get(BOARD).content.decode()
    assert content.count("data-movable") == 1
    manager_client = Client()
    manager_client.force_login(manager)
    cards = {c.pk: c for c in column(manager_client.get(BOARD), "prospecting")["cards"]}
    assert cards[mine.pk].movable and cards[theirs.pk].movable


def test_board_in_arabic_is_right_to_left(rep_client):
    OpportunityFactory()
    content = rep_client.get(BOARD, headers={"accept-language": "ar"}).content.decode()
    assert 'dir="rtl"' in content
    assert "استكشاف" in content and "مغلقة - خسارة" in content


def test_board_sends_anonymous_users_to_login(client):
    response = client.get(BOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_board_needs_the_view_permission(client):
    client.force_login(UserFactory())
    assert client.get(BOARD).status_code == 403


# --- Moving a card --------------------------------------------------------------------------


@pytest.mark.parametrize("code", OPEN_STAGES[1:])
def test_move_sets_the_stage_probability_and_records_the_change(rep_client, rep, mine, code):
    target = stage(code)

    response = move(rep_client, mine, stage=target.pk)

    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.stage == target
    assert mine.probability == target.default_probability
    change = StageChange.objects.get(opportunity=mine)
    assert (change.from_stage.code, change.to_stage, change.changed_by) == (
        "prospecting",
        target,
        rep,
    )
    answer = response.json()
    assert answer["ok"] is True
    assert answer["opportunity"]["probability"] == target.default_probability
    assert Decimal(answer["opportunity"]["expected_value"]) == mine.expected_value
    totals = {row["id"]: row for row in answer["stages"]}
    assert totals[target.pk]["count"] == 1
    assert Decimal(totals[target.pk]["amount"]) == Decimal("10000.00")
    assert Decimal(totals[target.pk]["weighted"]) == mine.expected_value
    assert totals[stage("prospecting").pk]["count"] == 0
    assert answer["open"]["count"] == 1


def test_move_answer_has_the_totals_of_every_stage(rep_client, mine):
    OpportunityFactory(stage=stage("proposal"), amount=Decimal("999.00"), probability=33)

    answer = move(rep_client, mine, stage=stage("proposal").pk).json()

    proposal = next(row for row in answer["stages"] if row["id"] == stage("proposal").pk)
    assert proposal["count"] == 2
    assert Decimal(proposal["amount"]) == Decimal("10999.00")
    assert Decimal(proposal["weighted"]) == Decimal("5329.67")
    assert proposal["weighted_display"].startswith("5,329.67")
    assert len(answer["stages"]) == Stage.objects.count()


def test_move_to_lost_without_reason_is_refused_and_changes_nothing(rep_client, mine):
    response = move(rep_client, mine, stage=stage("closed_lost").pk)

    assert response.status_code == 400
    assert response.json()["errors"] == ["Say why the opportunity was lost."]
    mine.refresh_from_db()
    assert (mine.stage.code, mine.probability, mine.closed_at) == ("prospecting", 10, None)
    assert not StageChange.objects.exists()


def test_move_to_lost_with_reason_closes_the_deal(rep_client, mine):
    response = move(rep_client, mine, stage=stage("closed_lost").pk, lost_reason=" Too dear ")

    assert response.status_code == 200
    assert response.json()["opportunity"]["closed"] is True
    mine.refresh_from_db()
    assert (mine.stage.code, mine.probability, mine.lost_reason) == ("closed_lost", 0, "Too dear")
    assert mine.closed_at is not None


def test_move_to_won_closes_the_deal_at_100(rep_client, mine):
    answer = move(rep_client, mine, stage=stage("closed_won").pk).json()

    assert answer["opportunity"]["closed"] is True
    assert answer["opportunity"]["probability"] == 100
    mine.refresh_from_db()
    assert mine.closed_at is not None
    won = next(row for row in answer["stages"] if row["id"] == stage("closed_won").pk)
    assert won["count"] == 1
    assert answer["open"]["count"] == 0


def test_move_keeps_a_probability_typed_by_hand(rep_client, mine):
    move(rep_client, mine, json=False, stage=stage("qualification").pk, probability="40")
    mine.refresh_from_db()
    assert (mine.probability, mine.probability_is_manual) == (40, True)
    move(rep_client, mine, stage=stage("proposal").pk)
    mine.refresh_from_db()
    assert mine.probability == 40


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"stage": "abc"}, 400),
        ({}, 400),
        ({"stage": "9" * 30}, 400),
        ({"stage": "-1"}, 400),
        ({"stage": "999999"}, 404),
        ({"stage": "prospecting"}, 400),
        ({"stage": "1 OR 1=1"}, 400),
    ],
)
def test_move_refuses_bad_input_without_a_server_error(rep_client, mine, data, status):
    response = move(rep_client, mine, **data)
    assert response.status_code == status
    assert response.json()["ok"] is False and response.json()["errors"]
    mine.refresh_from_db()
    assert mine.stage.code == "prospecting"


@pytest.mark.parametrize("probability", ["150", "-5", "abc", "²"])
def test_move_refuses_a_probability_outside_0_100(rep_client, mine, probability):
    response = move(rep_client, mine, stage=stage("proposal").pk, probability=probability)
    assert response.status_code == 400
    mine.refresh_from_db()
    assert mine.stage.code == "prospecting"


def test_move_of_an_unknown_opportunity_is_404(rep_client):
    response = rep_client.post(
        reverse("crm:opportunity-move", args=[987654]),
        {"stage": stage("proposal").pk},
        headers=JSON,
    )
    assert response.status_code == 404


def test_move_is_post_only(rep_client, mine):
    assert rep_client.get(move_url(mine)).status_code == 405


def test_move_sends_anonymous_users_to_login(client, mine):
    response = client.post(move_url(mine), {"stage": stage("proposal").pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    mine.refresh_from_db()
    assert mine.stage.code == "prospecting"


@pytest.mark.parametrize("json", [True, False])
def test_move_needs_the_change_permission(client, mine, json):
    client.force_login(user_with("view_opportunity"))
    response = move(client, mine, json=json, stage=stage("proposal").pk)
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.stage.code == "prospecting"


def test_reps_move_only_their_own_deals_and_managers_any(rep_client, manager):
    theirs = OpportunityFactory()
    response = move(rep_client, theirs, stage=stage("proposal").pk)
    assert response.status_code == 403
    assert response.json()["errors"] == ["Only its owner or a manager can move this opportunity."]
    assert response.json()["message"] == (
        f"{theirs.name} was not moved: Only its owner or a manager can move this opportunity."
    )
    assert move(rep_client, theirs, json=False, stage=stage("proposal").pk).status_code == 403
    theirs.refresh_from_db()
    assert theirs.stage.code == "prospecting"
    manager_client = Client()
    manager_client.force_login(manager)
    assert move(manager_client, theirs, stage=stage("proposal").pk).status_code == 200


def test_move_from_a_form_redirects_to_the_deal_with_a_message(rep_client, mine):
    response = move(rep_client, mine, json=False, stage=stage("proposal").pk)

    assert response.status_code == 302
    assert response["Location"] == reverse("crm:opportunity-detail", args=[mine.pk])
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]
    mine.refresh_from_db()
    assert mine.stage.code == "proposal"


@pytest.mark.parametrize(
    "data", [{"stage": "closed_lost"}, {"stage": "abc"}, {"stage": "proposal", "probability": "x"}]
)
def test_move_from_a_form_reports_errors_on_the_deal_page(rep_client, mine, data):
    if data["stage"] in ("closed_lost", "proposal"):
        data = {**data, "stage": stage(data["stage"]).pk}

    response = move(rep_client, mine, json=False, **data)

    assert response.status_code == 302
    assert response["Location"] == reverse("crm:opportunity-detail", args=[mine.pk])
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    mine.refresh_from_db()
    assert mine.stage.code == "prospecting"


def test_move_reopens_a_closed_deal_from_its_page(rep_client, rep):
    lost = OpportunityFactory(owner=rep, stage=stage("closed_lost"))
    move(rep_client, lost, json=False, stage=stage("negotiation").pk)
    lost.refresh_from_db()
    assert (lost.stage.code, lost.probability, lost.closed_at, lost.lost_reason) == (
        "negotiation",
        75,
        None,
        "",
    )


def test_move_survives_a_reload_of_the_board(rep_client, mine):
    move(rep_client, mine, stage=stage("negotiation").pk)
    response = rep_client.get(BOARD)
    assert [c.pk for c in column(response, "negotiation")["cards"]] == [mine.pk]
    assert column(response, "prospecting")["cards"] == []


def test_board_cap_keeps_the_soonest_cards_dated_before_undated(rep_client, monkeypatch):
    monkeypatch.setattr(board, "CARDS_PER_STAGE", 3)
    today = timezone.localdate()
    prospecting = stage("prospecting")
    big_undated = OpportunityFactory(stage=prospecting, expected_close_date=None, amount=9000)
    OpportunityFactory(stage=prospecting, expected_close_date=None, amount=1)
    later = OpportunityFactory(stage=prospecting, expected_close_date=today + datetime.timedelta(9))
    soon = OpportunityFactory(stage=prospecting, expected_close_date=today)
    assert column(rep_client.get(BOARD), "prospecting")["cards"] == [soon, later, big_undated]

    for days in (1, 2):
        OpportunityFactory(stage=prospecting, expected_close_date=today + datetime.timedelta(days))
    cards = column(rep_client.get(BOARD), "prospecting")["cards"]
    assert [card.expected_close_date for card in cards] == [
        today,
        today + datetime.timedelta(1),
        today + datetime.timedelta(2),
    ]
