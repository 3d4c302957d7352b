"""争先进位 as an office publishes it: empty rates are not full marks, equal scores share a place, the best
score is 100, penalties for overdue tasks and returned close-outs are in the formula, the formula is the
campaign's and is printed; page, API and xlsx give the same figures."""

import datetime
import io
import re
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from supervision import dashboard
from supervision import services as supervision_services
from supervision.models import EmptyRate, RankingPolicy
from tasks import services
from tests.factories import days


def rows(data, kind="township") -> dict:
    group = next(g for g in data["groups"] if g["kind"] == kind)
    return {row["name"]: row for row in group["rows"]}


def closed_on_time(world, unit, official):
    task = world.task(lead_unit=unit, title=f"{unit.name}已完成任务")
    services.progress_report(task=task, percent=100, done="完成", by=official)
    services.task_request_close(task=task, by=official, note="")
    services.task_close(task=task, by=world.office)
    return task


@pytest.fixture
def townships(world):
    """万安镇 closed one task on time (everything measured is perfect); 山目乡 has one in progress and
    reported, one overdue, and a close-out returned; 甘亭镇 has only a task not started (nothing due,
    nothing in progress, nothing closed)."""
    w = world
    w.ganting = services.unit_create(by=None, name="甘亭镇", kind="township", parent=w.county)
    closed_on_time(w, w.wanan, w.wanan_official)
    reported = w.task(lead_unit=w.shanmu, title="在办任务")
    services.progress_report(task=reported, percent=40, done="推进中", by=w.shanmu_official)
    w.task(lead_unit=w.shanmu, title="逾期任务", start_date=days(-20), deadline=days(-2))
    returned = w.task(lead_unit=w.shanmu, title="退回任务")
    services.progress_report(task=returned, percent=100, done="完成", by=w.shanmu_official)
    services.task_request_close(task=returned, by=w.shanmu_official, note="")
    services.task_return(task=returned, by=w.office, reason="佐证不足")
    w.task(lead_unit=w.ganting, title="未开始任务", start_date=days(1), deadline=days(20))
    return w


def test_the_best_possible_score_is_100_and_nothing_to_measure_is_not_full_marks(townships):
    ranked = rows(dashboard.ranking(townships.office, campaign=townships.campaign))
    assert ranked["万安镇"]["score"] == 100.0 and ranked["万安镇"]["rank"] == 1
    # 甘亭镇: no task come due, none in progress, none closed of one: completion 0 %, nothing else.
    assert ranked["甘亭镇"]["on_time_rate"] is None and ranked["甘亭镇"]["timeliness"] is None
    assert ranked["甘亭镇"]["score"] == 0.0


def test_a_unit_with_an_overdue_task_and_a_returned_close_out_pays_for_them(townships):
    data = dashboard.ranking(townships.office, campaign=townships.campaign)
    shanmu = rows(data)["山目乡"]
    assert (shanmu["overdue"], shanmu["returned"]) == (1, 1)
    # on-time 0/1 (the overdue task), timeliness 2/2 in progress, completion 0/3: rescaled over 100,
    # then − 3 for the overdue task and − 2 for the returned close-out.
    assert shanmu["score"] == round(100 * (50 * 0 + 30 * 1 + 20 * 0) / 100 - 3 - 2, 1) == 25.0
    assert shanmu["rank"] > rows(data)["万安镇"]["rank"]
    assert "逾期任务数" in data["formula"] and "销号退回次数" in data["formula"]


def test_with_every_rate_empty_a_unit_is_not_ranked_and_comes_last(world):
    world.task(lead_unit=world.wanan, title="未开始任务", start_date=days(1))
    cancelled = world.task(lead_unit=world.shanmu, title="撤销的任务")
    services.task_cancel(task=cancelled, by=world.office, reason="任务调整")
    ranked = dashboard.ranking(world.office, campaign=world.campaign)["groups"][0]["rows"]
    assert [(r["name"], r["rank"], r["score"]) for r in ranked] == [
        ("万安镇", 1, 0.0),
        ("山目乡", None, None),
    ]


def test_equal_scores_share_a_place(world):
    w = world
    township_c = services.unit_create(by=None, name="丙镇", kind="township", parent=w.county)
    w.task(lead_unit=w.wanan)
    w.task(lead_unit=w.shanmu)
    w.task(lead_unit=township_c, start_date=days(-20), deadline=days(-1))  # overdue: − 3
    ranked = dashboard.ranking(w.office, campaign=w.campaign)["groups"][0]["rows"]
    assert [(r["name"], r["rank"], r["tied"], r["score"]) for r in ranked] == [
        *sorted([("万安镇", 1, True, 0.0), ("山目乡", 1, True, 0.0)]),
        ("丙镇", 3, False, -3.0),
    ]


def test_the_campaigns_policy_decides_the_formula(townships):
    w = townships
    supervision_services.ranking_policy_update(
        campaign=w.campaign,
        by=w.office,
        on_time_weight=40,
        timeliness_weight=40,
        completion_weight=20,
        empty_rates=EmptyRate.ZERO,
        overdue_penalty=5,
        returned_penalty=4,
        overdue_order_penalty=0,
    )
    data = dashboard.ranking(w.office, campaign=w.campaign)
    ranked = rows(data)
    # Empty rates count as 0: 万安镇's timeliness (nothing in progress) costs it 40 points.
    assert ranked["万安镇"]["score"] == 60.0
    assert ranked["山目乡"]["score"] == 40 - 5 - 4
    assert data["formula"].startswith("得分 = 40 × 按期完成率 + 40 × 填报及时率 + 20 × 完成率 − 5 × ")
    assert "按 0 计" in data["empty_rule"]


def test_the_weights_must_be_non_negative_and_sum_to_100(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        RankingPolicy.objects.create(
            campaign=world.campaign, on_time_weight=50, timeliness_weight=30, completion_weight=30
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RankingPolicy.objects.create(
            campaign=world.campaign, on_time_weight=110, timeliness_weight=-10, completion_weight=0
        )


def test_the_office_sets_the_formula_and_a_bad_sum_is_an_error_on_the_form(world, client):
    client.force_login(world.office)
    url = f"/office/ranking/?campaign={world.campaign.pk}"
    values = {
        "on_time_weight": 60,
        "timeliness_weight": 30,
        "completion_weight": 30,
        "empty_rates": "rescale",
        "overdue_penalty": 3,
        "returned_penalty": 2,
        "overdue_order_penalty": 2,
    }
    response = client.post(url, values)
    assert response.status_code == 400 and "三项权重之和须为 100" in response.content.decode()
    assert not RankingPolicy.objects.exists()
    response = client.post(url, {**values, "completion_weight": 10})
    assert response.status_code == 302
    assert RankingPolicy.objects.get(campaign=world.campaign).on_time_weight == 60
    page = client.get(f"/supervision/ranking/?campaign={world.campaign.pk}").content.decode()
    assert "60 × 按期完成率 + 30 × 填报及时率 + 10 × 完成率" in page


def test_a_unit_official_may_not_set_the_formula(world, client):
    client.force_login(world.wanan_official)
    assert client.get("/office/ranking/").status_code == 403


def test_page_api_and_xlsx_give_the_same_figures(townships, client, api):
    from openpyxl import load_workbook

    w = townships
    client.force_login(w.office)
    query = f"?campaign={w.campaign.pk}"
    page = client.get("/supervision/ranking/" + query).content.decode()
    data = api(w.office).get("/api/v1/dashboard/ranking/" + query).json()
    download = client.get("/supervision/ranking/xlsx/" + query)
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    today = timezone.localdate().strftime("%Y%m%d")
    assert unquote(download["Content-Disposition"]).endswith(f"{w.campaign.name}争先进位排名_{today}.xlsx")
    sheet = load_workbook(io.BytesIO(download.content)).active
    assert sheet.freeze_panes == "A3"
    header = [cell.value for cell in sheet[2]]
    assert header[:5] == ["名次", "并列", "单位", "单位类别", "得分"]
    in_sheet = {
        r[2]: (r[0], r[4], r[header.index("销号退回次数")])
        for r in sheet.iter_rows(min_row=3, values_only=True)
        if r[2] and r[3] == "乡镇"
    }
    in_api = {r["name"]: (r["rank"], r["score"], r["returned"]) for r in rows(data).values()}
    assert in_sheet == in_api
    assert isinstance(in_sheet["山目乡"][1], int | float)  # a number, not text
    assert data["formula"] in page and data["empty_rule"] in page
    for name, (rank, score, _returned) in in_api.items():
        row = re.search(rf"<tr data-unit=\"\d+\">(?:(?!</tr>).)*?>{name}<.*?</tr>", page, re.S).group(0)
        assert f"<span data-rank>{rank}</span>" in row and f"{score:.1f}" in row


@pytest.fixture
def ranking_day(time_machine):
    """15 December 2026 in Shanghai (ask for it before `world`, so the world is made on that day)."""
    time_machine.move_to(datetime.datetime(2026, 12, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def ranking_sheet(download):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(download.content))["单位排名"]


def test_the_ranking_workbook_is_titled_with_the_campaign_and_the_day(ranking_day, townships, client):
    client.force_login(townships.office)
    download = client.get(f"/supervision/ranking/xlsx/?campaign={townships.campaign.pk}")

    sheet = ranking_sheet(download)
    assert sheet["A1"].value == "洪洞县冬季行动争先进位排名(截至 2026年12月15日)"
    assert "A1:O1" in {str(cells) for cells in sheet.merged_cells.ranges}
    disposition = download["Content-Disposition"]
    assert 'filename="ranking_20261215.xlsx"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "洪洞县冬季行动争先进位排名_20261215.xlsx"


def test_the_ranking_workbook_has_a_frozen_filterable_header_and_widths(townships, client):
    client.force_login(townships.office)
    download = client.get(f"/supervision/ranking/xlsx/?campaign={townships.campaign.pk}")

    sheet = ranking_sheet(download)
    ranked = sum(
        len(group["rows"])
        for group in dashboard.ranking(townships.office, campaign=townships.campaign)["groups"]
    )
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == f"A2:O{2 + ranked}"
    assert all(cell.font.bold for cell in sheet[2])
    assert sheet.column_dimensions["C"].width >= 16 and sheet.column_dimensions["A"].width <= 8


def test_the_ranking_workbook_prints_the_formula_under_the_table(townships, client):
    client.force_login(townships.office)
    download = client.get(f"/supervision/ranking/xlsx/?campaign={townships.campaign.pk}")

    ranking = dashboard.ranking(townships.office, campaign=townships.campaign)
    column_a = [row[0] for row in ranking_sheet(download).iter_rows(values_only=True)]
    assert ranking["formula"] in column_a and ranking["empty_rule"] in column_a


def test_the_ranking_workbook_of_one_special_action_says_so(townships, client):
    client.force_login(townships.office)
    query = f"?campaign={townships.campaign.pk}&special_action={townships.safety.pk}"
    download = client.get("/supervision/ranking/xlsx/" + query)

    assert ranking_sheet(download)["A2"].value == "筛选:专项行动=安全生产专项行动"
    assert "_安全生产专项行动_" in unquote(download["Content-Disposition"])


def test_the_page_shows_a_shared_place(world, client):
    world.task(lead_unit=world.wanan)
    world.task(lead_unit=world.shanmu)
    client.force_login(world.office)
    page = client.get(f"/supervision/ranking/?campaign={world.campaign.pk}").content.decode()
    assert page.count('data-testid="tied"') == 2


def test_the_demo_county_transport_bureau_is_not_first_for_doing_nothing(world):
    """The issue's case: a department with nothing closed and no reports ranked #1 at 85.0."""
    transport = services.unit_create(by=None, name="县交通局", kind="department", parent=world.county)
    world.task(lead_unit=transport, start_date=days(1), deadline=days(30))
    closed_on_time(world, world.yingji, world.yingji_official)
    departments = rows(dashboard.ranking(world.office, campaign=world.campaign), "department")
    assert departments["县应急管理局"]["rank"] == 1
    assert departments["县交通局"]["rank"] == 2 and departments["县交通局"]["score"] == 0.0
