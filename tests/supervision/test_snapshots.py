"""Weekly ranking snapshots (supervision/snapshots.py) and last week's places in the ranking: what is
frozen, for which regions, what a second run in the same week does, and the arrows on the dashboard and
in the API after two weeks of travelled time."""

import datetime
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from supervision import dashboard
from supervision.models import RankingSnapshot, RankingSnapshotRow
from supervision.snapshots import ROW_COLUMNS, snapshot_rankings
from tasks import services
from tasks.models import CampaignStatus
from tests.factories import days

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
MONDAY = datetime.date(2026, 11, 30)


@pytest.fixture
def travel(time_machine):
    def to(day: datetime.date, hour: int = 10) -> datetime.date:
        time_machine.move_to(datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI), tick=False)
        return day

    return to


def frozen(snapshot) -> dict:
    """A snapshot's rows as the ranking's rows look (without last week and the cards)."""
    rows = {}
    for row in snapshot.rows.order_by("kind", "rank"):
        rows.setdefault(row.kind, []).append(
            {"unit": row.unit_id, "kind": row.kind, "rank": row.rank, "score": row.score, **row.figures}
        )
    return rows


def live(campaign, region, today) -> dict:
    data = dashboard.ranking(None, campaign=campaign, county=region, today=today)
    extra = ("previous_rank", "rank_change", "cards")
    ranked = {
        group["kind"]: [
            {k: v for k, v in row.items() if k not in extra}
            for row in group["rows"]
            if row["rank"] is not None
        ]
        for group in data["groups"]
    }
    return {kind: rows for kind, rows in ranked.items() if rows}  # units not ranked are not frozen


# ---- What is frozen ---------------------------------------------------------------------------------------


def test_each_snapshot_is_the_regions_ranking_on_that_day(world, time_machine):
    from tests.supervision.test_dashboard import build_county

    county = build_county(world, time_machine)
    taken = snapshot_rankings(today=county.today)
    snapshots = list(RankingSnapshot.objects.select_related("campaign", "scope"))
    assert taken.snapshots == len(snapshots) > 0
    assert taken.rows == RankingSnapshotRow.objects.count()
    for snapshot in snapshots:
        assert (snapshot.week, snapshot.taken_on) == (dashboard.week_of(county.today), county.today)
        assert frozen(snapshot) == live(snapshot.campaign, snapshot.scope, county.today), snapshot


def test_the_weekly_job_reports_how_many_ranking_rows_it_wrote(world, time_machine):
    from supervision import jobs
    from tests.supervision.test_dashboard import build_county

    build_county(world, time_machine)  # the clock stays on the county's "today"
    written = jobs.snapshot_rankings.apply().get()
    assert written == RankingSnapshotRow.objects.count() > 0


def test_regions_are_the_counties_and_cities_at_or_above_the_lead_units(world):
    world.task(lead_unit=world.wanan)
    world.task(lead_unit=world.mine, title="煤矿安全检查")
    city_campaign = services.campaign_create(
        owner=world.city,
        name="临汾市冬季行动",
        code="LF",
        start_date=days(-5),
        end_date=days(60),
        by=world.city_office,
    )
    action = services.special_action_create(
        campaign=city_campaign, name="城市运行", code="YX", by=world.city_office
    )
    for unit in (world.yingji, world.other_town):
        services.task_create(
            campaign=city_campaign,
            special_action=action,
            title="市级任务",
            lead_unit=unit,
            deadline=days(9),
            by=world.city_office,
        )
    services.task_create(
        campaign=city_campaign,
        special_action=action,
        title="县级任务",
        lead_unit=world.county,
        deadline=days(9),
        by=world.city_office,
    )
    snapshot_rankings()
    regions = {
        (s.campaign.name, s.scope.name) for s in RankingSnapshot.objects.select_related("campaign", "scope")
    }
    assert regions == {
        ("洪洞县冬季行动", "洪洞县"),
        ("洪洞县冬季行动", "临汾市"),
        ("临汾市冬季行动", "临汾市"),
        ("临汾市冬季行动", "洪洞县"),  # leads a task itself, and 县应急管理局 is under it
        ("临汾市冬季行动", "尧都区"),
    }
    county_row = RankingSnapshotRow.objects.get(snapshot__scope=world.county, unit=world.county)
    assert (county_row.kind, county_row.rank) == ("county", 1)


def test_only_active_campaigns_are_frozen(world):
    world.task()
    world.campaign.status = CampaignStatus.FINISHED
    world.campaign.save(update_fields=["status"])  # no service finishes a campaign yet
    assert snapshot_rankings().snapshots == 0


def test_the_week_is_the_monday_of_the_day(world, travel):
    travel(MONDAY - datetime.timedelta(days=20))
    world.task()
    taken = snapshot_rankings(today=MONDAY + datetime.timedelta(days=2))  # a Wednesday
    assert taken.week == MONDAY
    assert RankingSnapshot.objects.get(scope=world.county).taken_on == MONDAY + datetime.timedelta(days=2)


def test_a_row_keeps_every_figure_of_the_ranking(world):
    world.task()
    snapshot_rankings()
    row = RankingSnapshotRow.objects.get(snapshot__scope=world.county)
    ranked = dashboard.ranking(None, campaign=world.campaign, county=world.county)["groups"][0]["rows"][0]
    expected = set(ranked) - set(ROW_COLUMNS) - {"previous_rank", "rank_change", "cards"}
    assert set(row.figures) == expected and row.figures["name"] == "万安镇"


# ---- Running again ------------------------------------------------------------------------------------------


def test_running_again_in_the_same_week_replaces_that_weeks_snapshots(world, travel):
    travel(MONDAY - datetime.timedelta(days=10))
    world.task(lead_unit=world.wanan, deadline=MONDAY + datetime.timedelta(days=1))
    world.task(lead_unit=world.shanmu, deadline=MONDAY + datetime.timedelta(days=20))
    travel(MONDAY - datetime.timedelta(days=7))
    last_week = snapshot_rankings()
    before = {s.pk for s in RankingSnapshot.objects.filter(week=last_week.week)}
    travel(MONDAY, hour=2)
    first = snapshot_rankings()
    travel(MONDAY + datetime.timedelta(days=3))  # 万安镇's task is now overdue
    second = snapshot_rankings()
    assert (first.week, first.snapshots, first.rows) == (second.week, second.snapshots, second.rows)
    this_week = RankingSnapshot.objects.filter(week=MONDAY)
    assert this_week.count() == second.snapshots
    assert {s.taken_on for s in this_week} == {MONDAY + datetime.timedelta(days=3)}
    wanan = RankingSnapshotRow.objects.get(
        snapshot__week=MONDAY, snapshot__scope=world.county, unit=world.wanan
    )
    assert (wanan.rank, wanan.figures["overdue"]) == (2, 1)
    # Last week's snapshots are untouched.
    assert {s.pk for s in RankingSnapshot.objects.filter(week=last_week.week)} == before
    old = RankingSnapshotRow.objects.get(
        snapshot__week=last_week.week, snapshot__scope=world.county, unit=world.wanan
    )
    assert (old.rank, old.figures["overdue"]) == (1, 0)


def test_running_twice_writes_no_duplicates(world):
    world.task()
    snapshot_rankings()
    snapshot_rankings()
    assert RankingSnapshot.objects.count() == 2  # 洪洞县 and 临汾市
    assert RankingSnapshotRow.objects.count() == 2


def test_the_job_runs_as_many_queries_for_many_tasks_as_for_few(world):
    def count():
        with CaptureQueriesContext(connection) as captured:
            snapshot_rankings()
        return len(captured.captured_queries)

    for i in range(3):
        world.task(lead_unit=[world.wanan, world.shanmu, world.yingji][i], title=f"任务{i}")
    snapshot_rankings()  # both counts below replace a snapshot of the week
    few = count()
    for i in range(30):
        world.task(lead_unit=[world.wanan, world.shanmu, world.yingji][i % 3], title=f"任务{i + 3}")
    assert count() == few


def test_the_management_command_says_what_it_took(world, capsys):
    world.task()
    call_command("snapshot_rankings", "--date", "2026-12-02")
    assert capsys.readouterr().out.strip() == "Week of 2026-11-30: 2 snapshot(s), 2 row(s)."


def test_the_management_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("snapshot_rankings", "--date", "2.12.2026")


# ---- Last week in the ranking --------------------------------------------------------------------------------


@pytest.fixture
def two_weeks(world, travel):
    """A snapshot taken on MONDAY: 山目乡 1st, 万安镇 2nd (a task overdue). On Tuesday of week 2
    万安镇's overdue task is cancelled and 山目乡's has come overdue: 万安镇 moves up (sharing the first
    place with 赵城镇: nothing closed, nothing late), 山目乡 down to 3rd.
    县应急管理局 stays 1st of the departments; 赵城镇 leads its first task on that Tuesday."""
    travel(MONDAY - datetime.timedelta(days=10))
    late = world.task(lead_unit=world.wanan, deadline=MONDAY - datetime.timedelta(days=1))
    # Something left to measure once the late task is cancelled: a unit with none is not ranked.
    world.task(lead_unit=world.wanan, title="集中供热改造", deadline=MONDAY + datetime.timedelta(days=30))
    world.task(lead_unit=world.shanmu, title="冬季供暖保障", deadline=MONDAY + datetime.timedelta(days=3))
    world.task(lead_unit=world.yingji, title="危化品企业检查", deadline=MONDAY + datetime.timedelta(days=30))
    travel(MONDAY, hour=2)
    snapshot_rankings()
    week2 = MONDAY + datetime.timedelta(days=7)
    travel(week2 + datetime.timedelta(days=1))
    services.task_cancel(task=late, by=world.office, reason="任务调整")
    zhaocheng = services.unit_create(by=None, name="赵城镇", kind="township", parent=world.county)
    world.task(
        lead_unit=zhaocheng, title="新任务", start_date=week2, deadline=week2 + datetime.timedelta(days=30)
    )
    return zhaocheng


def rows_by_name(data) -> dict:
    return {row["name"]: row for group in data["groups"] for row in group["rows"]}


def test_a_unit_that_moved_up_and_one_that_moved_down(world, two_weeks):
    data = dashboard.ranking(world.office, campaign=world.campaign)
    rows = rows_by_name(data)
    assert data["previous_week"] == MONDAY
    assert (rows["万安镇"]["rank"], rows["万安镇"]["previous_rank"], rows["万安镇"]["rank_change"]) == (
        1,
        2,
        1,
    )
    assert (rows["山目乡"]["rank"], rows["山目乡"]["previous_rank"], rows["山目乡"]["rank_change"]) == (
        3,
        1,
        -2,
    )
    assert (rows["县应急管理局"]["previous_rank"], rows["县应急管理局"]["rank_change"]) == (1, 0)
    assert (rows["赵城镇"]["previous_rank"], rows["赵城镇"]["rank_change"]) == (None, None)


def township_row(html, name) -> str:
    table = re.search(r'data-testid="ranking-township">(.*?)</table>', html, re.S).group(1)
    return next(row for row in re.findall(r"<tr data-unit.*?</tr>", table, re.S) if name in row)


def test_the_dashboard_shows_the_arrows(world, client, two_weeks):
    client.force_login(world.wanan_official)
    html = client.get(f"/supervision/dashboard/?campaign={world.campaign.pk}").content.decode()
    up = township_row(html, "万安镇")
    assert re.search(r'class="[^"]*text-success[^"]*" data-testid="rank-up"[^>]*>▲1<', up)
    assert 'aria-label="上升 1 位,上周第 2 名"' in up and 'title="上升 1 位,上周第 2 名"' in up
    down = township_row(html, "山目乡")
    assert re.search(r'class="[^"]*text-danger[^"]*" data-testid="rank-down"[^>]*>▼2<', down)
    assert 'aria-label="下降 2 位,上周第 1 名"' in down
    assert 'data-testid="rank-none"' in township_row(html, "赵城镇")
    assert "2026-11-30" in html  # the week compared with


def test_the_api_gives_last_weeks_rank(world, two_weeks):
    client = APIClient()
    client.force_login(world.office)
    response = client.get("/api/v1/dashboard/ranking/", {"campaign": world.campaign.pk})
    assert response.status_code == 200
    data = response.json()
    assert data["previous_week"] == "2026-11-30"
    rows = rows_by_name(data)
    assert (rows["万安镇"]["previous_rank"], rows["万安镇"]["rank_change"]) == (2, 1)
    assert (rows["山目乡"]["previous_rank"], rows["山目乡"]["rank_change"]) == (1, -2)


def test_a_special_action_filter_has_no_last_week(world, two_weeks):
    client = APIClient()
    client.force_login(world.office)
    response = client.get(
        "/api/v1/dashboard/ranking/", {"campaign": world.campaign.pk, "special_action": world.safety.pk}
    )
    data = response.json()
    assert data["previous_week"] is None
    assert {row["previous_rank"] for row in rows_by_name(data).values()} == {None}


@pytest.mark.parametrize(
    ("viewer", "filters", "comparable"),
    [
        ("office", {}, True),  # 洪洞县
        ("wanan_official", {}, True),  # their home region, 洪洞县
        ("city_office", {}, True),  # 临汾市
        ("city_office", {"county": "county"}, True),
        ("office", {"county": "county"}, True),
        ("superuser", {}, True),  # the campaign's owner, 洪洞县
        ("inspector", {}, False),  # 尧都区 and the group's 洪洞县 together
        ("inspector", {"county": "county"}, True),  # the group reads 洪洞县 whole
        ("other_official", {"county": "city"}, False),  # reads only 尧都区 of the city
        ("office", {"county": "wanan"}, False),  # a township: no region, no snapshot
        ("office", {"campaign": None}, False),  # every campaign at once
    ],
)
def test_which_rankings_have_a_last_week(world, two_weeks, django_user_model, viewer, filters, comparable):
    if viewer == "superuser":
        user = django_user_model.objects.create_superuser("root", password="x")
    else:
        user = getattr(world, viewer)
    chosen = {"campaign": world.campaign}
    chosen.update({name: getattr(world, unit) for name, unit in filters.items() if unit is not None})
    if "campaign" in filters:
        chosen["campaign"] = None
    data = dashboard.ranking(user, **chosen)
    assert (data["previous_week"] is not None) == comparable
    if comparable:
        ranks = {name: row["previous_rank"] for name, row in rows_by_name(data).items()}
        assert ranks["万安镇"] == 2


def test_the_ranking_runs_five_queries_with_last_week(world, two_weeks, django_assert_num_queries):
    from tasks.selectors import access_for

    access_for(world.office)
    with django_assert_num_queries(5):  # the campaign's ranking policy, then the four of before
        dashboard.ranking(world.office, campaign=world.campaign)


# ---- Admin ----------------------------------------------------------------------------------------------------


def test_the_admin_shows_the_regions_snapshots_read_only(world, client):
    world.task()
    snapshot_rankings()
    county = RankingSnapshot.objects.get(scope=world.county)
    client.force_login(world.office)
    listing = client.get(reverse("admin:supervision_rankingsnapshot_changelist")).content.decode()
    assert f"/{county.pk}/change/" in listing
    city = RankingSnapshot.objects.get(scope=world.city)
    assert f"/{city.pk}/change/" not in listing  # the city's ranking is the city office's
    page = client.get(reverse("admin:supervision_rankingsnapshot_change", args=[county.pk]))
    assert page.status_code == 200 and "万安镇" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    client.force_login(world.other_office)
    assert (
        client.get(reverse("admin:supervision_rankingsnapshot_change", args=[county.pk])).status_code == 302
    )


def test_the_snapshot_taken_this_monday_is_last_weeks_close_from_tuesday_on(world, travel):
    travel(MONDAY - datetime.timedelta(days=3))
    world.task(lead_unit=world.wanan, deadline=MONDAY + datetime.timedelta(days=30))
    travel(MONDAY - datetime.timedelta(days=7), hour=2)
    snapshot_rankings()
    travel(MONDAY, hour=2)
    snapshot_rankings()
    assert dashboard.ranking(world.office, campaign=world.campaign)[
        "previous_week"
    ] == MONDAY - datetime.timedelta(
        days=7
    )  # on Monday itself, today's snapshot would compare the ranking with itself
    travel(MONDAY + datetime.timedelta(days=1))
    assert dashboard.ranking(world.office, campaign=world.campaign)["previous_week"] == MONDAY
