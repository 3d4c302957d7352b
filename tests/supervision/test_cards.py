"""Red and yellow cards (红黄牌): what the system proposes on the boundary days, who decides, which steps
are possible, and the same over HTTP (401, 404, 403, 200, 409)."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from supervision import dashboard, services
from supervision.models import Card, CardKind, CardStatus
from supervision.selectors import with_card_counts
from supervision.services import card_dismiss, card_issue, card_lift, cards_propose
from tasks import services as task_services
from tasks.models import Unit
from tasks.services import InvalidTransition
from tests.factories import days

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
CARDS = "/api/v1/cards/"


@pytest.fixture
def deadline():
    """The deadline of every overdue item in these tests: tomorrow, then time travels past it."""
    return days(1)


@pytest.fixture
def travel(time_machine):
    def to(day: datetime.date, hour: int = 10) -> datetime.date:
        time_machine.move_to(datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI), tick=False)
        return day

    return to


def order(world, **kwargs):
    values = {
        "group": world.group,
        "by": world.inspector,
        "unit": world.wanan,
        "problem": "万安煤业井下作业规程未落实",
        "requirement": "立即停产整顿,逐项整改",
        "deadline": days(1),
    }
    values.update(kwargs)
    return services.order_issue(**values)


def late_by(deadline, n: int) -> datetime.date:
    return deadline + datetime.timedelta(days=n)


def yellow(world, deadline, travel) -> Card:
    """A yellow card proposed for 万安镇 (two tasks 8 days overdue)."""
    world.task(deadline=deadline)
    world.task(deadline=deadline, title="取暖季燃气安全检查")
    travel(late_by(deadline, 8))
    assert cards_propose() == 1
    return Card.objects.get(unit=world.wanan, kind=CardKind.YELLOW)


def snapshot(card):
    card = Card.objects.get(pk=card.pk)
    return (card.status, card.decided_by_id, card.decided_at, card.decision_reason, card.lifted_at)


# ---- Proposals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("late", "proposed"), [(7, 0), (8, 1)], ids=["7-days-late", "8-days-late"])
def test_items_count_only_when_more_than_seven_days_overdue(world, deadline, travel, late, proposed):
    world.task(deadline=deadline)
    world.task(deadline=deadline, title="取暖季燃气安全检查")
    travel(late_by(deadline, late))
    assert cards_propose() == proposed
    assert Card.objects.filter(unit=world.wanan, kind=CardKind.YELLOW).count() == proposed


def test_the_day_turns_at_midnight_shanghai_time(world, deadline, travel):
    world.task(deadline=deadline)
    world.task(deadline=deadline, title="取暖季燃气安全检查")
    travel(late_by(deadline, 7), hour=23)
    assert cards_propose() == 0
    travel(late_by(deadline, 8), hour=0)
    assert cards_propose() == 1


def test_one_overdue_item_gets_no_card(world, deadline, travel):
    world.task(deadline=deadline)
    travel(late_by(deadline, 30))
    assert cards_propose() == 0


def test_two_overdue_tasks_bring_a_yellow_proposal(world, deadline, travel):
    card = yellow(world, deadline, travel)
    assert (card.status, card.overdue_tasks, card.overdue_orders) == (CardStatus.PROPOSED, 2, 0)
    assert card.proposed_on == late_by(deadline, 8)


def test_a_task_and_an_order_count_as_two_items(world, deadline, travel):
    world.task(deadline=deadline)
    order(world, deadline=deadline)
    travel(late_by(deadline, 8))
    assert cards_propose() == 1
    card = Card.objects.get()
    assert (card.unit, card.kind, card.overdue_tasks, card.overdue_orders) == (world.wanan, "yellow", 1, 1)


def test_items_of_different_units_do_not_add_up(world, deadline, travel):
    world.task(deadline=deadline)
    world.task(deadline=deadline, lead_unit=world.shanmu)
    order(world, deadline=deadline, unit=world.yingji)
    travel(late_by(deadline, 8))
    assert cards_propose() == 0


def test_proposing_twice_proposes_nothing_more(world, deadline, travel):
    yellow(world, deadline, travel)
    assert cards_propose() == 0
    travel(late_by(deadline, 9))
    assert cards_propose() == 0
    assert Card.objects.count() == 1


def test_the_management_command_proposes_and_says_how_many(world, deadline, travel, capsys):
    world.task(deadline=deadline)
    world.task(deadline=deadline, title="取暖季燃气安全检查")
    travel(late_by(deadline, 8))
    call_command("propose_cards")
    call_command("propose_cards")
    assert capsys.readouterr().out.splitlines() == ["Proposed 1 card(s).", "Proposed 0 card(s)."]


def test_closed_and_cancelled_tasks_never_count(world, deadline, travel):
    closed = world.task(deadline=deadline)
    task_services.progress_report(task=closed, by=world.wanan_official, percent=90, done="基本完成")
    task_services.task_request_close(task=closed, by=world.wanan_official)
    task_services.task_close(task=closed, by=world.office)
    cancelled = world.task(deadline=deadline, title="取暖季燃气安全检查")
    task_services.task_cancel(task=cancelled, by=world.office, reason="并入其他任务")
    world.task(deadline=deadline, title="非煤矿山隐患排查")
    travel(late_by(deadline, 30))
    assert cards_propose() == 0


def test_closed_orders_never_count(world, deadline, travel):
    world.task(deadline=deadline)
    closed = order(world, deadline=deadline)
    services.order_acknowledge(order=closed, by=world.wanan_official)
    services.order_report_rectification(order=closed, by=world.wanan_official, text="已整改")
    services.order_verify(order=closed, by=world.inspector)
    travel(late_by(deadline, 30))
    assert cards_propose() == 0


def test_the_thresholds_are_configurable(world, deadline, travel, settings):
    settings.WINTERACTION_CARD_OVERDUE_DAYS = 2
    settings.WINTERACTION_CARD_YELLOW_ITEMS = 1
    world.task(deadline=deadline)
    travel(late_by(deadline, 3))
    assert cards_propose() == 1


def test_a_dismissed_yellow_is_proposed_again_only_for_a_newly_overdue_item(world, deadline, travel):
    card = yellow(world, deadline, travel)
    card_dismiss(card=card, by=world.office, reason="雪灾停工,客观原因")
    travel(late_by(deadline, 9))
    assert cards_propose() == 0  # the same two tasks
    world.task(deadline=late_by(deadline, 20), start_date=late_by(deadline, 9), title="新增任务")
    travel(late_by(deadline, 27))
    assert cards_propose() == 0  # 7 days past the new deadline: not yet
    travel(late_by(deadline, 28))
    assert cards_propose() == 1
    assert Card.objects.filter(status=CardStatus.PROPOSED).get().overdue_tasks == 3


# ---- Red cards --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("after", "proposed"), [(13, 0), (14, 1)], ids=["13-days", "14-days"])
def test_a_yellow_standing_fourteen_days_brings_a_red_proposal(world, deadline, travel, after, proposed):
    card = yellow(world, deadline, travel)
    issued_on = travel(late_by(deadline, 10), hour=23)
    card_issue(card=card, by=world.office, reason="两项任务逾期超过7天")
    travel(issued_on + datetime.timedelta(days=after), hour=0)
    assert cards_propose() == proposed
    red = Card.objects.filter(kind=CardKind.RED)
    assert red.count() == proposed
    if proposed:
        assert (red.get().unit, red.get().escalated_from) == (world.wanan, card)


def test_a_yellow_leads_to_one_red_proposal_at_most(world, deadline, travel):
    card = yellow(world, deadline, travel)
    card_issue(card=card, by=world.office, reason="两项任务逾期超过7天")
    travel(late_by(deadline, 8 + 14))
    assert cards_propose() == 1
    red = Card.objects.get(kind=CardKind.RED)
    card_dismiss(card=red, by=world.office, reason="已约谈主要负责人")
    travel(late_by(deadline, 8 + 15))
    assert cards_propose() == 0
    assert cards_propose() == 0


@pytest.mark.parametrize("decision", ["dismissed", "lifted"])
def test_a_yellow_no_longer_standing_does_not_lead_to_red(world, deadline, travel, decision):
    card = yellow(world, deadline, travel)
    if decision == "dismissed":
        card_dismiss(card=card, by=world.office, reason="客观原因")
    else:
        card_issue(card=card, by=world.office, reason="两项任务逾期")
        card_lift(card=card, by=world.office, reason="已整改到位")
    travel(late_by(deadline, 8 + 30))
    assert cards_propose() == 0
    assert not Card.objects.filter(kind=CardKind.RED).exists()


# ---- Decisions ----------------------------------------------------------------------------------------


def test_the_office_issues_a_proposal_with_a_reason(world, deadline, travel):
    card = card_issue(card=yellow(world, deadline, travel), by=world.office, reason="两项任务逾期超过7天")
    card.refresh_from_db()
    assert (card.status, card.decided_by, card.decision_reason) == (
        "issued",
        world.office,
        "两项任务逾期超过7天",
    )
    assert card.decided_at is not None


def test_issued_cards_show_in_the_counts_for_the_rankings(world, deadline, travel):
    card_issue(card=yellow(world, deadline, travel), by=world.office, reason="逾期")
    counts = with_card_counts(Unit.objects.filter(pk__in=[world.wanan.pk, world.shanmu.pk]))
    assert {u.name: (u.yellow_cards, u.red_cards) for u in counts} == {"万安镇": (1, 0), "山目乡": (0, 0)}


def test_the_office_lifts_an_issued_card(world, deadline, travel):
    card = card_issue(card=yellow(world, deadline, travel), by=world.office, reason="逾期")
    card_lift(card=card, by=world.office, reason="已整改到位")
    card.refresh_from_db()
    assert (card.status, card.lifted_by, card.lift_reason) == ("lifted", world.office, "已整改到位")


def test_a_superuser_may_decide(world, deadline, travel, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    card = card_dismiss(card=yellow(world, deadline, travel), by=admin, reason="客观原因")
    assert card.status == CardStatus.DISMISSED


def test_the_city_office_may_decide_for_its_counties(world, deadline, travel):
    card = card_issue(card=yellow(world, deadline, travel), by=world.city_office, reason="逾期")
    assert card.status == CardStatus.ISSUED


@pytest.mark.parametrize("who", ["wanan_official", "inspector", "leader", "other_office"])
@pytest.mark.parametrize("step", [card_issue, card_dismiss])
def test_only_the_regions_office_decides_a_proposal(world, deadline, travel, who, step):
    card = yellow(world, deadline, travel)
    before = snapshot(card)
    with pytest.raises(PermissionDenied):
        step(card=card, by=getattr(world, who), reason="理由")
    assert snapshot(card) == before


@pytest.mark.parametrize("who", ["wanan_official", "inspector", "other_office"])
def test_only_the_regions_office_lifts_a_card(world, deadline, travel, who):
    card = card_issue(card=yellow(world, deadline, travel), by=world.office, reason="逾期")
    before = snapshot(card)
    with pytest.raises(PermissionDenied):
        card_lift(card=card, by=getattr(world, who), reason="理由")
    assert snapshot(card) == before


@pytest.mark.parametrize("step", [card_issue, card_dismiss, card_lift])
def test_a_decision_needs_a_reason(world, deadline, travel, step):
    card = yellow(world, deadline, travel)
    if step is card_lift:
        card = card_issue(card=card, by=world.office, reason="逾期")
    before = snapshot(card)
    with pytest.raises(ValidationError) as error:
        step(card=card, by=world.office, reason="  ")
    assert "reason" in error.value.message_dict
    assert snapshot(card) == before


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (card_dismiss, card_issue),
        (card_dismiss, card_lift),
        (card_issue, card_issue),
        (card_issue, card_dismiss),
        (None, card_lift),
    ],
    ids=["issue-dismissed", "lift-dismissed", "issue-issued", "dismiss-issued", "lift-proposed"],
)
def test_impossible_steps_change_nothing(world, deadline, travel, first, then):
    card = yellow(world, deadline, travel)
    if first is not None:
        first(card=card, by=world.office, reason="理由")
    before = snapshot(card)
    with pytest.raises(InvalidTransition) as error:
        then(card=card, by=world.office, reason="理由")
    assert "不能" in error.value.messages[0]
    assert snapshot(card) == before


def test_a_lifted_card_cannot_be_lifted_again(world, deadline, travel):
    card = card_issue(card=yellow(world, deadline, travel), by=world.office, reason="逾期")
    card_lift(card=card, by=world.office, reason="已整改")
    with pytest.raises(InvalidTransition, match="已撤牌"):
        card_lift(card=card, by=world.office, reason="已整改")


# ---- Over HTTP ------------------------------------------------------------------------------------------


def test_anonymous_callers_get_401(world, deadline, travel, api):
    card = yellow(world, deadline, travel)
    assert api().get(CARDS).status_code == 401
    assert api().post(f"{CARDS}{card.pk}/issue/", {"reason": "逾期"}, format="json").status_code == 401


def test_cards_are_listed_with_their_unit(world, deadline, travel, api):
    card = yellow(world, deadline, travel)
    response = api(world.shanmu_official).get(CARDS, {"kind": "yellow", "status": "proposed"})
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["id"], row["unit"]["name"], row["overdue_tasks"]) == (card.pk, "万安镇", 2)


def test_cards_of_another_county_are_not_found(world, deadline, travel, api):
    card = yellow(world, deadline, travel)
    other = api(world.other_official)
    assert other.get(CARDS).json()["results"] == []
    assert other.get(f"{CARDS}{card.pk}/").status_code == 404
    assert other.post(f"{CARDS}{card.pk}/issue/", {"reason": "逾期"}, format="json").status_code == 404


def test_a_unit_official_may_not_issue_a_card(world, deadline, travel, api):
    card = yellow(world, deadline, travel)
    response = api(world.wanan_official).post(f"{CARDS}{card.pk}/issue/", {"reason": "逾期"}, format="json")
    assert response.status_code == 403
    assert Card.objects.get(pk=card.pk).status == CardStatus.PROPOSED


def test_the_office_issues_and_lifts_over_http(world, deadline, travel, api):
    card = yellow(world, deadline, travel)
    office = api(world.office)
    response = office.post(f"{CARDS}{card.pk}/issue/", {"reason": "两项任务逾期"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["decision_reason"]) == ("issued", "两项任务逾期")
    response = office.post(f"{CARDS}{card.pk}/lift/", {"reason": "已整改到位"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "lifted"


def test_an_impossible_step_answers_409(world, deadline, travel, api):
    card = yellow(world, deadline, travel)
    response = api(world.office).post(f"{CARDS}{card.pk}/lift/", {"reason": "已整改"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_a_missing_reason_answers_400(world, deadline, travel, api):
    card = yellow(world, deadline, travel)
    response = api(world.office).post(f"{CARDS}{card.pk}/dismiss/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]


# ---- Cards in the ranking -------------------------------------------------------------------------------


def ranked_cards(user, **filters) -> dict:
    data = dashboard.ranking(user, **filters)
    return {row["name"]: row["cards"] for group in data["groups"] for row in group["rows"]}


def test_a_proposal_is_not_shown_in_the_ranking(world, deadline, travel):
    yellow(world, deadline, travel)
    world.task(lead_unit=world.shanmu, title="冬季供暖保障", deadline=late_by(deadline, 30))
    assert ranked_cards(world.office) == {"万安镇": [], "山目乡": []}


def test_issued_cards_show_in_the_ranking_yellow_before_red(world, deadline, travel):
    card = card_issue(card=yellow(world, deadline, travel), by=world.office, reason="两项任务逾期")
    assert ranked_cards(world.office, campaign=world.campaign) == {"万安镇": ["yellow"]}
    travel(late_by(deadline, 8 + 14))
    assert cards_propose() == 1
    card_issue(card=Card.objects.get(kind=CardKind.RED), by=world.office, reason="黄牌逾期未改")
    assert ranked_cards(world.wanan_official) == {"万安镇": ["yellow", "red"]}
    card_lift(card=card, by=world.office, reason="已整改")
    assert ranked_cards(world.wanan_official) == {"万安镇": ["red"]}


def test_the_dashboard_and_the_api_show_the_cards(world, deadline, travel, client, api):
    card_issue(card=yellow(world, deadline, travel), by=world.office, reason="两项任务逾期")
    world.task(lead_unit=world.shanmu, title="冬季供暖保障", deadline=late_by(deadline, 30))
    client.force_login(world.shanmu_official)
    html = client.get("/supervision/dashboard/").content.decode()
    rows = dict(re.findall(r'<tr data-unit="(\d+)">(.*?)</tr>', html, re.S))
    assert 'data-testid="card-yellow"' in rows[str(world.wanan.pk)]
    assert "card-yellow" not in rows[str(world.shanmu.pk)] and "card-red" not in html
    data = api(world.shanmu_official).get("/api/v1/dashboard/ranking/").json()
    assert {row["name"]: row["cards"] for row in data["groups"][0]["rows"]} == {
        "万安镇": ["yellow"],
        "山目乡": [],
    }
