"""A unit's page (/supervision/units/<id>/) and the cards page (/supervision/cards/): who sees them, what
they show (figures, most overdue tasks, open orders, cards with their history, rank and last week's),
and the supervision office's card decisions posted from them."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supervision import dashboard
from supervision import services as supervision_services
from supervision.models import Card, CardStatus
from supervision.services import card_issue, card_lift, cards_propose
from supervision.snapshots import snapshot_rankings
from tasks import services
from tests.factories import days


def unit_url(unit) -> str:
    return f"/supervision/units/{unit.pk}/"


CARDS = "/supervision/cards/"


def step_url(card, step) -> str:
    return f"/supervision/cards/{card.pk}/{step}/"


def overdue_tasks(world, unit, n=2, first=0):
    """`n` tasks led by `unit`, 10 + first + i days overdue (more than 7: enough for a yellow proposal)."""
    return [
        world.task(
            lead_unit=unit,
            title=f"逾期任务{first + i}",
            start_date=days(-40 - first - i),
            deadline=days(-10 - first - i),
        )
        for i in range(n)
    ]


@pytest.fixture
def proposed(world):
    """A yellow card proposed for 万安镇 (two tasks more than 7 days overdue)."""
    overdue_tasks(world, world.wanan)
    assert cards_propose() == 1
    return Card.objects.get(unit=world.wanan)


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


def html_of(client, user, url) -> str:
    response = page(client, user, url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def state(card):
    card = Card.objects.get(pk=card.pk)
    return (card.status, card.decided_by_id, card.decision_reason, card.lifted_at, card.lift_reason)


# ---- Who sees a unit's page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "unit", "status"),
    [
        ("office", "wanan", 200),
        ("wanan_official", "wanan", 200),  # their own unit
        ("shanmu_official", "wanan", 200),  # the same county: their scope covers it (挂图作战)
        ("city_office", "wanan", 200),
        ("inspector", "wanan", 200),  # the group inspects 洪洞县
        ("inspector", "other_town", 200),  # their home region
        ("other_official", "wanan", 404),  # another county
        ("other_office", "mine", 404),
        ("other_official", "city", 200),  # the city above them
        ("wanan_official", "other_town", 404),
    ],
)
def test_a_unit_page_is_open_to_those_whose_scope_covers_the_unit(world, client, who, unit, status):
    assert page(client, getattr(world, who), unit_url(getattr(world, unit))).status_code == status


def test_a_unit_that_does_not_exist_is_not_found(world, client):
    assert page(client, world.office, "/supervision/units/999999/").status_code == 404


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(unit_url(world.wanan))
    assert response.status_code == 302 and response.url.startswith("/login/")


# ---- What it shows ---------------------------------------------------------------------------------------


def figure(html, key) -> str:
    match = re.search(rf'data-testid="figure-{key}".*?data-value>(.*?)</div>', html, re.S)
    assert match, key
    return match.group(1).strip()


def test_the_headline_figures_are_the_units_subtree_for_the_viewer(world, client):
    overdue_tasks(world, world.wanan, n=1)
    world.task(lead_unit=world.mine, title="煤矿安全检查")  # under 万安镇: counted
    world.task(lead_unit=world.shanmu, title="山目乡任务")  # not under 万安镇
    html = html_of(client, world.office, unit_url(world.wanan))
    expected = dashboard.summary(world.office, campaign=world.campaign, county=world.wanan)
    assert (
        (figure(html, "tasks"), figure(html, "overdue"))
        == ("2", "1")
        == (
            str(expected["tasks"]),
            str(expected["overdue"]),
        )
    )
    assert f"/tasks/?campaign={world.campaign.pk}&amp;county={world.wanan.pk}&amp;overdue=true" in html


def test_the_campaign_in_the_address_is_the_one_shown(world, client):
    world.task(lead_unit=world.wanan)
    festival = services.campaign_create(
        owner=world.county,
        name="春节保障行动",
        code="CJ",
        start_date=days(-5),
        end_date=days(60),
        by=world.office,
    )
    supply = services.special_action_create(campaign=festival, name="保供稳价", code="BG", by=world.office)
    for i in range(3):
        services.task_create(
            campaign=festival,
            special_action=supply,
            title=f"保供任务{i}",
            lead_unit=world.wanan,
            deadline=days(9),
            by=world.office,
        )
    assert (
        figure(html_of(client, world.office, unit_url(world.wanan) + f"?campaign={festival.pk}"), "tasks")
        == "3"
    )
    assert (
        figure(
            html_of(client, world.office, unit_url(world.wanan) + f"?campaign={world.campaign.pk}"), "tasks"
        )
        == "1"
    )
    # Not a number, or not a campaign the viewer may see: the current one.
    current = figure(html_of(client, world.office, unit_url(world.wanan)), "tasks")
    assert figure(html_of(client, world.office, unit_url(world.wanan) + "?campaign=x"), "tasks") == current


def test_the_most_overdue_tasks_come_first_and_only_ten(world, client):
    tasks = overdue_tasks(world, world.wanan, n=12)
    world.task(lead_unit=world.wanan, title="未到期任务", deadline=days(5))
    html = html_of(client, world.office, unit_url(world.wanan))
    section = re.search(r'data-testid="unit-overdue">(.*?)</section>', html, re.S).group(1)
    listed = re.findall(r"逾期任务(\d+)", section)
    assert listed == [str(i) for i in range(11, 1, -1)]  # 21 days overdue first, ten of them
    assert "未到期任务" not in section
    assert ">21</td>" in section and tasks


def test_open_orders_addressed_to_the_unit_are_listed(world, client):
    def issue(unit, problem):
        return supervision_services.order_issue(
            group=world.group,
            by=world.inspector,
            unit=unit,
            problem=problem,
            requirement="限期整改",
            deadline=days(3),
        )

    issue(world.wanan, "井下作业规程未落实")
    closed = issue(world.wanan, "台账不全")
    supervision_services.order_acknowledge(order=closed, by=world.wanan_official)
    supervision_services.order_report_rectification(order=closed, by=world.wanan_official, text="已补齐")
    supervision_services.order_verify(order=closed, by=world.inspector)
    issue(world.shanmu, "供暖不达标")
    html = html_of(client, world.wanan_official, unit_url(world.wanan))
    section = re.search(r'data-testid="unit-orders">(.*?)</section>', html, re.S).group(1)
    assert "井下作业规程未落实" in section
    assert "台账不全" not in section and "供暖不达标" not in section


def test_the_cards_show_with_their_history(world, client, proposed):
    card_issue(card=proposed, by=world.office, reason="两项任务逾期超过7天")
    card_lift(card=proposed, by=world.office, reason="已整改到位")
    html = html_of(client, world.wanan_official, unit_url(world.wanan))
    section = re.search(r'data-testid="unit-cards">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r'data-status="(\w+)"', section) == ["lifted"]
    assert "两项任务逾期超过7天" in section and "已整改到位" in section
    assert 'data-testid="unit-card-yellow"' not in html  # lifted: no longer in force


def test_an_issued_card_shows_beside_the_units_name(world, client, proposed):
    card_issue(card=proposed, by=world.office, reason="逾期")
    html = html_of(client, world.shanmu_official, unit_url(world.wanan))
    assert 'data-testid="unit-card-yellow"' in html


def test_the_rank_and_last_weeks_show(world, client):
    overdue_tasks(world, world.wanan, n=1)
    world.task(lead_unit=world.shanmu, title="山目乡任务")
    snapshot_rankings(today=days(-7))  # last week: 山目乡 first, 万安镇 second
    html = html_of(client, world.wanan_official, unit_url(world.wanan))
    section = re.search(r'data-testid="unit-rank">(.*?)</section>', html, re.S).group(1)
    assert 'data-testid="rank">2<' in section and "洪洞县" in section
    assert "上周第 2 名" in section


def test_a_unit_without_tasks_is_not_ranked(world, client):
    world.task(lead_unit=world.wanan)
    html = html_of(client, world.office, unit_url(world.shanmu))
    assert "未在洪洞县参与排名" in html


# ---- Card decisions on the pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "offered"), [("office", True), ("city_office", True), ("wanan_official", False)]
)
@pytest.mark.parametrize("url", ["unit", "cards"])
def test_only_the_regions_office_is_offered_the_decisions(world, client, proposed, who, offered, url):
    html = html_of(client, getattr(world, who), unit_url(world.wanan) if url == "unit" else CARDS)
    assert f'data-card="{proposed.pk}"' in html
    assert ('data-testid="card-decide"' in html) == offered


def test_the_office_issues_a_proposal_from_the_unit_page(world, client, proposed):
    client.force_login(world.office)
    response = client.post(
        step_url(proposed, "issue"), {"reason": "两项任务逾期", "next": unit_url(world.wanan)}, follow=True
    )
    assert response.redirect_chain[-1][0] == unit_url(world.wanan)
    assert "已亮牌" in response.content.decode()
    assert state(proposed)[:3] == ("issued", world.office.pk, "两项任务逾期")
    assert 'data-testid="card-lift"' in response.content.decode()


def test_the_office_dismisses_a_proposal_from_the_cards_page(world, client, proposed):
    client.force_login(world.office)
    response = client.post(step_url(proposed, "dismiss"), {"reason": "雪灾停工", "next": CARDS})
    assert response.status_code == 302 and response.url == CARDS
    assert state(proposed)[0] == CardStatus.DISMISSED


def test_the_office_lifts_an_issued_card(world, client, proposed):
    card_issue(card=proposed, by=world.office, reason="逾期")
    client.force_login(world.office)
    client.post(step_url(proposed, "lift"), {"reason": "已整改到位"})
    assert state(proposed)[0] == CardStatus.LIFTED


@pytest.mark.parametrize(
    ("step", "reason", "message"),
    [
        ("issue", "  ", "请填写理由。"),
        ("lift", "已整改", "不能撤牌"),  # a proposal is not issued yet
    ],
)
def test_bad_input_shows_a_chinese_error_and_changes_nothing(world, client, proposed, step, reason, message):
    before = state(proposed)
    client.force_login(world.office)
    response = client.post(step_url(proposed, step), {"reason": reason}, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert state(proposed) == before


@pytest.mark.parametrize(
    ("who", "status"), [("wanan_official", 403), ("leader", 403), ("other_official", 404)]
)
def test_forged_decisions_are_refused(world, client, proposed, who, status):
    before = state(proposed)
    client.force_login(getattr(world, who))
    assert client.post(step_url(proposed, "issue"), {"reason": "伪造"}).status_code == status
    assert state(proposed) == before


def test_an_unknown_step_or_a_get_is_refused(world, client, proposed):
    client.force_login(world.office)
    assert client.post(step_url(proposed, "burn"), {"reason": "x"}).status_code == 404
    assert client.get(step_url(proposed, "issue")).status_code == 405
    assert state(proposed)[0] == CardStatus.PROPOSED


def test_a_next_address_off_the_site_is_not_followed(world, client, proposed):
    client.force_login(world.office)
    response = client.post(step_url(proposed, "issue"), {"reason": "逾期", "next": "https://example.com/"})
    assert response.url == unit_url(world.wanan)


# ---- The cards page ---------------------------------------------------------------------------------------


def test_proposals_come_first(world, client, proposed):
    card_issue(card=proposed, by=world.office, reason="逾期")
    overdue_tasks(world, world.shanmu)
    assert cards_propose() == 1
    html = html_of(client, world.leader, CARDS)
    assert re.findall(r'data-status="(\w+)"', html) == ["proposed", "issued"]
    assert html.index("山目乡") < html.index("万安镇")


def test_the_cards_page_filters_by_status(world, client, proposed):
    card_issue(card=proposed, by=world.office, reason="逾期")
    overdue_tasks(world, world.shanmu)
    cards_propose()
    html = html_of(client, world.office, CARDS + "?status=issued")
    assert re.findall(r'data-status="(\w+)"', html) == ["issued"]


def test_another_countys_official_sees_none_of_our_cards(world, client, proposed):
    html = html_of(client, world.other_official, CARDS)
    assert f'data-card="{proposed.pk}"' not in html and "暂无红黄牌" in html


# ---- A fixed number of queries -------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def grow(world, n, first):
    """n more townships under 洪洞县, each with two tasks overdue, an order and (after cards_propose) a card;
    and more tasks, orders and cards for 万安镇 itself."""
    for k in range(first, first + n):
        unit = services.unit_create(by=None, name=f"新乡镇{k}", kind="township", parent=world.county)
        overdue_tasks(world, unit, first=100 * k)
        supervision_services.order_issue(
            group=world.group,
            by=world.inspector,
            unit=unit,
            problem="问题",
            requirement="整改",
            deadline=days(2),
        )
    overdue_tasks(world, world.wanan, n=n, first=1000 + first)
    for k in range(n):
        supervision_services.order_issue(
            group=world.group,
            by=world.inspector,
            unit=world.wanan,
            problem=f"问题{first + k}",
            requirement="整改",
            deadline=days(2),
        )
    cards_propose()


@pytest.mark.parametrize("who", ["office", "wanan_official"])
def test_the_unit_page_is_a_fixed_number_of_queries(world, client, who):
    client.force_login(getattr(world, who))
    grow(world, 1, first=0)
    snapshot_rankings(today=days(-7))
    small = count_queries(client, unit_url(world.wanan))
    grow(world, 8, first=10)
    card_issue(card=Card.objects.filter(unit=world.wanan).first(), by=world.office, reason="逾期")
    snapshot_rankings(today=days(-7))
    assert count_queries(client, unit_url(world.wanan)) == small


def test_the_cards_page_is_a_fixed_number_of_queries(world, client):
    client.force_login(world.office)
    grow(world, 2, first=0)
    small = count_queries(client, CARDS)
    grow(world, 12, first=10)
    assert Card.objects.count() > 10
    assert count_queries(client, CARDS) == small


def test_the_pages_are_linked_from_the_ranking(world, client):
    world.task(lead_unit=world.wanan)
    html = html_of(client, world.office, "/supervision/dashboard/")
    assert f'href="/supervision/units/{world.wanan.pk}/?campaign={world.campaign.pk}"' in html
    assert 'href="/supervision/cards/"' in html
