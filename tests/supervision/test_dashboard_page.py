"""The dashboard page (驾驶舱, /supervision/dashboard/): the figures of supervision/dashboard.py for the
viewer, the ranking tables, the heat map's data for ECharts, and the big-screen mode."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supervision import dashboard, trends
from supervision.services import order_issue
from tasks import services
from tasks.models import Task
from tests.factories import days

URL = "/supervision/dashboard/"


def page(client, user, query=""):
    client.force_login(user)
    response = client.get(URL + query)
    assert response.status_code == 200
    return response


def chart_data(response) -> dict:
    match = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, "no json_script block"
    return json.loads(match.group(1))


def card_value(response, key) -> str:
    html = response.content.decode()
    match = re.search(
        rf'data-testid="card-{key}".*?<div class="wa-figure[^"]*" data-value>(.*?)</div>', html, re.S
    )
    assert match, key
    return match.group(1).strip()


@pytest.fixture
def county_tasks(world):
    """Three tasks of 洪洞县: one overdue at 万安镇, one in progress at 县应急管理局, one not yet due."""
    overdue = world.task(deadline=days(-3), start_date=days(-20))
    reported = world.task(lead_unit=world.yingji, title="危化品企业检查")
    services.progress_report(task=reported, by=world.yingji_official, percent=40, done="已检查5家")
    world.task(lead_unit=world.shanmu, title="冬季供暖保障", deadline=days(3))
    return overdue


@pytest.mark.parametrize("who", ["office", "wanan_official"])
def test_headline_numbers_are_the_viewers_summary(world, client, county_tasks, who):
    user = getattr(world, who)
    response = page(client, user)
    figures = dashboard.summary(user, campaign=world.campaign)
    for key in ("tasks", "in_progress", "closed", "overdue", "due_soon", "behind", "open_orders"):
        assert card_value(response, key) == str(figures[key]), key
    assert chart_data(response)["status"]["values"] == [
        figures[s] for s in ("not_started", "in_progress", "awaiting_close", "closed", "cancelled")
    ]


def test_office_sees_the_whole_county(world, client, county_tasks):
    response = page(client, world.office)
    assert card_value(response, "tasks") == "3"
    assert card_value(response, "overdue") == "1"
    assert card_value(response, "in_progress") == "1"


def test_cards_open_the_task_list_behind_them(world, client, county_tasks):
    html = page(client, world.office).content.decode()
    assert f'href="/tasks/?campaign={world.campaign.pk}&amp;overdue=true"' in html
    assert f'href="/tasks/?campaign={world.campaign.pk}&amp;due_soon=true"' in html
    assert f'href="/tasks/?campaign={world.campaign.pk}&amp;status=in_progress"' in html


def test_ranking_lists_departments_and_townships_apart_with_the_formula(world, client, county_tasks):
    response = page(client, world.office)
    html = response.content.decode()
    ranks = dashboard.ranking(world.office, campaign=world.campaign)
    assert ranks["formula"] in html
    assert "50 × " in ranks["formula"] and ranks["empty_rule"] in html
    townships = re.search(r'data-testid="ranking-township">(.*?)</table>', html, re.S).group(1)
    departments = re.search(r'data-testid="ranking-department">(.*?)</table>', html, re.S).group(1)
    assert "万安镇" in townships and "山目乡" in townships and "县应急管理局" not in townships
    assert "县应急管理局" in departments
    # 山目乡 (nothing overdue) ranks above 万安镇 (one task overdue)
    assert townships.index("山目乡") < townships.index("万安镇")


def test_heatmap_data_is_in_the_json_block(world, client, county_tasks):
    data = chart_data(page(client, world.office))["heatmap"]
    expected = dashboard.heatmap(world.office, campaign=world.campaign)
    assert data["overdue"] == expected["overdue"]
    assert [u["name"] for u in data["units"]] == [u["name"] for u in expected["units"]]
    assert [a["name"] for a in data["special_actions"]] == ["安全生产专项行动"]
    assert data["total"] == 1


def test_filters_narrow_the_figures(world, client, county_tasks):
    other = services.special_action_create(
        campaign=world.campaign, name="经济运行专项行动", code="JJ", by=world.office
    )
    world.task(special_action=other, title="重点项目调度")
    response = page(client, world.office, f"?campaign={world.campaign.pk}&special_action={other.pk}")
    assert card_value(response, "tasks") == "1"
    assert card_value(response, "overdue") == "0"


def test_big_screen_polls_its_data_instead_of_reloading_the_page(world, client, county_tasks):
    html = page(client, world.office, "?screen=1").content.decode()
    assert 'http-equiv="refresh"' not in html
    assert 'data-bs-theme="dark"' in html
    assert 'hx-trigger="every 60s"' in html
    assert "htmx.min.js" in html
    assert 'id="dashboard-data"' in html
    assert '"screen": true' in html


def test_big_screen_has_no_filter_controls(world, client, county_tasks):
    html = page(client, world.office, "?screen=1").content.decode()
    assert 'data-testid="dashboard-filters"' not in html
    assert "<select" not in html
    assert 'data-testid="dashboard-filters"' in page(client, world.office).content.decode()


@pytest.mark.parametrize(
    ("query", "refresh", "rotate"),
    [
        ("", 60, 20),
        ("&refresh=30&rotate=15", 30, 15),
        ("&refresh=1&rotate=1", 5, 5),
        ("&refresh=999999&rotate=999999", 3600, 600),
        ("&refresh=soon&rotate=", 60, 20),
    ],
)
def test_big_screen_refresh_and_rotation_stay_within_bounds(
    world, client, county_tasks, query, refresh, rotate
):
    html = page(client, world.office, "?screen=1" + query).content.decode()
    assert f'hx-trigger="every {refresh}s"' in html
    assert f'data-rotate="{rotate}"' in html
    assert f"refresh={refresh}&amp;rotate={rotate}" in html  # the polled URL keeps them


def test_big_screens_poll_gets_only_the_data_with_the_filters_kept(world, client, county_tasks):
    client.force_login(world.office)
    query = f"?screen=1&campaign={world.campaign.pk}&refresh=30"
    response = client.get(URL + query, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="wa-screen-data"')
    assert "<html" not in html and "<h1" not in html
    assert f"campaign={world.campaign.pk}" in html  # the next poll asks for the same figures
    assert card_value(response, "overdue") == "1"
    assert '"screen": true' in html


def test_big_screen_ranking_pages_hold_two_columns_of_at_most_so_many_lines():
    from supervision.views.dashboard import _ranking_pages

    ranking = {
        "groups": [
            {"label": "县直部门", "rows": [{"unit": i} for i in range(23)]},
            {"label": "乡镇", "rows": [{"unit": 100 + i} for i in range(8)]},
            {"label": "开发区", "rows": [{"unit": 200}]},
        ]
    }
    pages = _ranking_pages(ranking, lines=10)
    columns = [column for page in pages for column in page]
    assert all(len(page) <= 2 for page in pages)
    assert all(len(column) <= 10 for column in columns)
    # Every unit once, in order; every column starts with its group's heading.
    assert [line["row"]["unit"] for column in columns for line in column if "row" in line] == [
        *range(23),
        *range(100, 108),
        200,
    ]
    assert all("heading" in column[0] for column in columns)
    assert columns[1][0]["heading"] == "县直部门(续)"
    # A heading never ends a column alone.
    assert all("row" in column[-1] for column in columns)
    assert _ranking_pages({"groups": []}) == []


def test_normal_page_does_not_refresh_itself(world, client, county_tasks):
    assert 'http-equiv="refresh"' not in page(client, world.office).content.decode()


def test_another_countys_official_sees_zeros(world, client, county_tasks):
    response = page(client, world.other_official)
    for key in ("tasks", "in_progress", "overdue", "due_soon", "open_orders"):
        assert card_value(response, key) == "0", key
    data = chart_data(response)
    assert data["heatmap"]["units"] == [] and data["heatmap"]["total"] == 0
    assert "万安镇" not in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_supervision_page_links_to_the_dashboard(world, client):
    assert 'href="/supervision/dashboard/"' in page_html(client, world.office, "/supervision/")


def page_html(client, user, url):
    client.force_login(user)
    return client.get(url).content.decode()


# ---- Trends and lists (supervision/trends.py) ------------------------------------------------------------


HOOKS = ("chart-by-action", "chart-burnup", "chart-reports", "most-overdue-tasks", "most-overdue-orders")


@pytest.fixture
def overdue_order(world, time_machine, county_tasks):
    """An order to 万安镇 about its overdue task, issued five days ago with a two-day deadline: three days
    overdue."""
    today = timezone.localdate()
    time_machine.move_to(
        timezone.make_aware(datetime.datetime.combine(days(-5), datetime.time(10))), tick=False
    )
    order = order_issue(
        group=world.group,
        by=world.inspector,
        unit=world.wanan,
        problem="台账缺失",
        requirement="补齐",
        deadline=days(2),
        tasks=[county_tasks],
    )
    time_machine.move_to(timezone.make_aware(datetime.datetime.combine(today, datetime.time(12))), tick=False)
    return order


@pytest.mark.parametrize("query", ["", "?screen=1"])
def test_trends_and_lists_are_on_the_page_and_the_big_screen(world, client, county_tasks, query):
    html = page(client, world.office, query).content.decode()
    for hook in HOOKS:
        assert f'data-testid="{hook}"' in html, hook
    data = chart_data(page(client, world.office, query))
    assert {"by_action", "weeks"} <= set(data)


def test_bars_by_special_action_are_the_viewers_and_open_the_tasks_behind_each_stack(
    world, client, county_tasks
):
    data = chart_data(page(client, world.office))["by_action"]
    bars = trends.by_special_action(world.office, campaign=world.campaign)
    assert data["labels"] == ["安全生产专项行动"]
    assert {s["key"]: s["values"] for s in data["series"]} == {
        key: [a[key] for a in bars["special_actions"]]
        for key in ("closed", "awaiting_close", "in_progress", "not_started", "overdue", "cancelled")
    }
    urls = {s["key"]: s["urls"][0] for s in data["series"]}
    base = f"/tasks/?campaign={world.campaign.pk}&special_action={world.safety.pk}"
    assert urls["overdue"] == base + "&overdue=true"
    assert urls["in_progress"] == base + "&status=in_progress&overdue=false"
    assert urls["closed"] == base + "&status=closed"


def test_a_stacks_link_lists_exactly_the_tasks_it_counts(world, client, county_tasks):
    data = chart_data(page(client, world.office))["by_action"]
    for series in data["series"]:
        listed = client.get(series["urls"][0]).content.decode()
        count = sum(f'href="/tasks/{t.pk}/"' in listed for t in Task.objects.all())
        assert count == series["values"][0], series["key"]


def test_weeks_are_the_current_campaigns_even_with_all_campaigns_chosen(world, client, county_tasks):
    weeks = trends.weekly(world.office, campaign=world.campaign)
    for query in ("", "?campaign="):
        response = page(client, world.office, query)
        data = chart_data(response)["weeks"]
        assert data["closed_cumulative"] == [w["closed_cumulative"] for w in weeks["weeks"]]
        assert data["planned_cumulative"] == [w["planned_cumulative"] for w in weeks["weeks"]]
        assert data["reports"] == [w["reports"] for w in weeks["weeks"]]
        assert data["total"] == weeks["total"] == 3
        assert sum(data["reports"]) == 1
        assert "洪洞县冬季行动" in response.content.decode()


def test_most_overdue_lists_link_to_the_task_and_the_order(world, client, county_tasks, overdue_order):
    html = page(client, world.office).content.decode()
    tasks = re.search(r'data-testid="most-overdue-tasks"(.*?)</section>', html, re.S).group(1)
    orders = re.search(r'data-testid="most-overdue-orders"(.*?)</section>', html, re.S).group(1)
    assert f'href="/tasks/{county_tasks.pk}/"' in tasks and county_tasks.code in tasks and "万安镇" in tasks
    assert "table-responsive" in tasks and "table-responsive" in orders
    assert f'href="/supervision/orders/{overdue_order.pk}/"' in orders and overdue_order.number in orders
    lists = trends.overdue_lists(world.office, campaign=world.campaign)
    assert [r["days_overdue"] for r in lists["tasks"]] == [3]
    assert [r["days_overdue"] for r in lists["orders"]] == [3]


def test_another_countys_official_sees_empty_lists(world, client, county_tasks, overdue_order):
    html = page(client, world.other_official).content.decode()
    assert f'href="/tasks/{county_tasks.pk}/"' not in html
    assert overdue_order.number not in html


# ---- A fixed number of queries whatever the size --------------------------------------------------------


def grow(world, time_machine, n, start):
    """n more tasks across new special actions: some overdue, reported, closed, and an overdue order each
    four, made a fortnight ago so that they spread over the weeks."""
    today = timezone.localdate()
    units = [world.wanan, world.shanmu, world.yingji, world.mine]
    officials = {
        world.wanan.pk: world.wanan_official,
        world.shanmu.pk: world.shanmu_official,
        world.yingji.pk: world.yingji_official,
    }
    for i in range(start, start + n):
        when = datetime.datetime.combine(today - datetime.timedelta(days=14 - i % 14), datetime.time(9))
        time_machine.move_to(timezone.make_aware(when), tick=False)
        if i % 4 == 0:
            action = services.special_action_create(
                campaign=world.campaign, name=f"专项行动{i}", code=f"Z{i}", by=world.office
            )
        unit = units[i % len(units)]
        task = world.task(
            lead_unit=unit,
            special_action=action,
            title=f"任务{i}",
            start_date=days(-20),
            deadline=days(-1 if i % 3 == 0 else 5),
        )
        official = officials.get(unit.pk)
        if official is not None and i % 2:
            services.progress_report(task=task, by=official, percent=50, done="推进")
            if i % 5 == 1:
                services.task_request_close(task=task, by=official)
                services.task_close(task=task, by=world.office)
        if i % 4 == 0:
            order_issue(
                group=world.group,
                by=world.inspector,
                unit=unit,
                problem="问题",
                requirement="整改",
                deadline=timezone.localdate() + datetime.timedelta(days=2),
                tasks=[task],
            )
    time_machine.move_to(timezone.make_aware(datetime.datetime.combine(today, datetime.time(12))), tick=False)


@pytest.mark.parametrize("query", ["", "?campaign=", "?screen=1"])
def test_page_is_a_fixed_number_of_queries(world, client, time_machine, query):
    client.force_login(world.office)

    def count():
        client.get(URL + query)  # after travelling in time the session is saved once
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL + query)
        assert response.status_code == 200
        return len(captured.captured_queries)

    grow(world, time_machine, 4, 0)
    few = count()
    grow(world, time_machine, 40, 4)
    assert len(trends.most_overdue_tasks(world.office)) > 10
    assert len(trends.weekly(world.office, campaign=world.campaign)["weeks"]) >= 3
    # Compared, not hard-coded: the figures' queries are theirs to change (supervision/dashboard.py).
    assert count() == few
