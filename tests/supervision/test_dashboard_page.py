"""The dashboard page (驾驶舱, /supervision/dashboard/): the figures of supervision/dashboard.py for the
viewer, the ranking tables, the heat map's data for ECharts, and the big-screen mode."""

import json
import re

import pytest

from supervision import dashboard
from tasks import services
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
    assert "60" in ranks["formula"]
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


def test_big_screen_mode_refreshes_itself(world, client, county_tasks):
    html = page(client, world.office, "?screen=1").content.decode()
    assert '<meta http-equiv="refresh" content="60">' in html
    assert 'data-bs-theme="dark"' in html
    assert 'id="dashboard-data"' in html
    assert '"screen": true' in html


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


def test_page_is_a_fixed_number_of_queries(world, client, django_assert_num_queries):
    client.force_login(world.office)
    units = [world.wanan, world.shanmu, world.yingji, world.mine]

    def add(n, start):
        for i in range(start, start + n):
            world.task(
                lead_unit=units[i % len(units)], title=f"任务{i}", deadline=days(-1 if i % 3 == 0 else 5)
            )

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    add(3, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    add(17, 3)
    with django_assert_num_queries(len(few)):
        assert client.get(URL).status_code == 200
