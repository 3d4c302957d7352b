"""One count of open 督办单: every page and API figure of open orders agrees, for each kind of viewer and
each filter the pages offer (supervision.selectors.open_orders behind all of them)."""

import re

import pytest

from supervision import services as supervision_services
from supervision.models import OrderStatus, Urgency
from supervision.selectors import open_order_count
from tasks import services
from tests.factories import days

VIEWERS = ("office", "inspector", "wanan_official", "leader")
FILTERS = ("none", "campaign", "special_action", "county")
OPEN = [s for s in OrderStatus.values if s != OrderStatus.CLOSED]


@pytest.fixture
def orders(world):
    """Open orders naming a task, naming none, addressed under a township; a closed one; a second
    special action whose task one of them names."""
    w = world
    w.roads = services.special_action_create(campaign=w.campaign, name="交通专项行动", code="JT", by=w.office)
    safety_task = w.task(lead_unit=w.wanan)
    roads_task = w.task(special_action=w.roads, lead_unit=w.shanmu, title="国道沿线整治")
    w.task(lead_unit=w.yingji, title="应急演练")

    def issue(unit, tasks=(), urgency=Urgency.BLUE, deadline=5):
        return supervision_services.order_issue(
            group=w.group,
            by=w.inspector,
            unit=unit,
            problem="问题",
            requirement="整改",
            deadline=days(deadline),
            urgency=urgency,
            tasks=tasks,
        )

    issue(w.wanan, [safety_task], Urgency.YELLOW)
    issue(w.yingji)  # names no task: counted under the campaign it was issued in
    issue(w.shanmu, [roads_task], Urgency.RED)
    issue(w.mine, deadline=2)  # an enterprise under 万安镇, no task
    closed = issue(w.shanmu)
    supervision_services.order_acknowledge(order=closed, by=w.shanmu_official)
    supervision_services.order_report_rectification(order=closed, by=w.shanmu_official, text="已整改")
    supervision_services.order_verify(order=closed, by=w.inspector)
    return w


def cases(w) -> dict[str, dict]:
    return {
        "none": {},
        "campaign": {"campaign": w.campaign},
        "special_action": {"campaign": w.campaign, "special_action": w.roads},
        "county": {"campaign": w.campaign, "county": w.county},
    }


def query(filters: dict, **more) -> str:
    params = {name: row.pk for name, row in filters.items()} | more
    return "&".join(f"{name}={value}" for name, value in params.items())


def number(html: str, testid: str) -> int:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert found, testid
    return int(re.sub(r"\D", "", found.group(1)))


def dashboard_card(html: str) -> int:
    found = re.search(r'data-testid="card-open_orders".*?data-value>\s*(\d+)', html, re.S)
    assert found
    return int(found.group(1))


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("case", FILTERS)
def test_every_open_order_figure_agrees(orders, client, api, viewer, case):
    w = orders
    user = getattr(w, viewer)
    filters = cases(w)[case]
    expected = open_order_count(user, **filters)
    client.force_login(user)
    rest = api(user)
    # The dashboard: "all campaigns" is an empty campaign, not the current one it defaults to.
    dash_query = query(filters) if "campaign" in filters else "campaign="
    dash = client.get(f"/supervision/dashboard/?{dash_query}").content.decode()
    home = client.get(f"/supervision/?{query(filters)}").content.decode()
    summary = rest.get(f"/api/v1/dashboard/summary/?{query(filters)}").json()
    listed = rest.get(
        f"/api/v1/supervision-orders/?{query(filters)}&" + "&".join(f"status={s}" for s in OPEN)
    ).json()
    figures = {
        "dashboard page": dashboard_card(dash),
        "督查 page": number(home, "open-orders"),
        "dashboard API": summary["open_orders"],
        "orders API": listed["count"],
    }
    assert figures == dict.fromkeys(figures, expected)
    assert expected == {"none": 4, "campaign": 4, "special_action": 1, "county": 4}[case]

    # Unit by unit: the ranking (page and API), the unit page and the 督查 page filtered to the unit.
    ranking = rest.get(f"/api/v1/dashboard/ranking/?{query(filters)}").json()
    rows = {row["unit"]: row for group in ranking["groups"] for row in group["rows"]}
    for unit in (w.wanan, w.shanmu, w.yingji):
        expected_unit = open_order_count(user, **filters, unit=unit)
        home_unit = client.get(f"/supervision/?{query(filters, unit=unit.pk)}").content.decode()
        assert number(home_unit, "open-orders") == expected_unit
        if unit.pk in rows:
            assert rows[unit.pk]["open_orders"] == expected_unit
            assert re.search(
                rf'<tr data-unit="{unit.pk}">.*?data-testid="open-orders-{unit.pk}">{expected_unit}<',
                dash,
                re.S,
            )
    if case in ("none", "campaign"):
        # The unit page counts the unit's subtree for the campaign: 万安镇 and its 万安煤业.
        page = client.get(f"/supervision/units/{w.wanan.pk}/?campaign={w.campaign.pk}").content.decode()
        assert (
            number(page, "unit-open-orders")
            == open_order_count(user, campaign=w.campaign, county=w.wanan)
            == 2
        )


@pytest.mark.parametrize("viewer", VIEWERS)
def test_group_page_counts_the_same_orders(orders, client, viewer):
    w = orders
    user = getattr(w, viewer)
    client.force_login(user)
    page = client.get("/supervision/groups/").content.decode()
    counts = [int(n) for n in re.findall(r'data-testid="group-open-orders">(\d+)<', page)]
    if viewer == "wanan_official":  # not a member of any group: the page lists none
        assert counts == []
        return
    home = client.get(f"/supervision/?group={w.group.pk}").content.decode()
    assert counts == [number(home, "open-orders")] == [open_order_count(user, group=w.group)] == [4]


def test_order_lists_put_the_most_urgent_first(orders, client):
    client.force_login(orders.office)
    page = client.get("/supervision/").content.decode()
    urgencies = re.findall(r'data-urgency="(\w+)"', page)
    # Open before closed; red, yellow, then blue by the nearest deadline.
    assert urgencies == ["red", "yellow", "blue", "blue", "blue"]
    assert page.index("万安煤业") < page.index("县应急管理局")
