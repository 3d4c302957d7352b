"""CSV and XLSX exports of the task list: what Excel opens, with the list's scope and filters."""

import csv
import io

import openpyxl
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tasks import services
from tests.factories import days

TASKS = "/api/v1/tasks/"
HEADERS = ["编号", "任务名称", "牵头单位", "完成时限", "进度(%)", "状态", "逾期"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


@pytest.fixture
def client_for():
    def make(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def tasks(world):
    """Three tasks of 洪洞县 (one overdue, one reported at 40%) and one of 尧都区."""
    t = type("Tasks", (), {})()
    t.overdue = world.task(title="逾期的排查", start_date=days(-20), deadline=days(-1))
    t.reported = world.task(title="燃气管道巡检", lead_unit=world.shanmu, deadline=days(15))
    services.progress_report(task=t.reported, by=world.shanmu_official, percent=40, done="已巡检 8 公里")
    t.calm = world.task(title="应急演练", lead_unit=world.yingji, start_date=days(0), deadline=days(25))
    campaign = services.campaign_create(
        owner=world.other_county,
        name="尧都区冬季行动",
        code="YD",
        start_date=days(-30),
        end_date=days(60),
        by=world.other_office,
    )
    action = services.special_action_create(
        campaign=campaign, name="安全生产", code="AQ", by=world.other_office
    )
    t.elsewhere = services.task_create(
        campaign=campaign,
        special_action=action,
        title="屯里镇燃气排查",
        lead_unit=world.other_town,
        deadline=days(-1),
        start_date=days(-20),
        by=world.other_office,
    )
    return t


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def column(rows, header) -> list:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


# ---- CSV ------------------------------------------------------------------------------------------


def test_csv_export_is_utf8_csv_with_a_bom(world, tasks, client_for):
    response = client_for(world.office).get(TASKS, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")


def test_csv_export_downloads_as_an_attachment(world, tasks, client_for):
    response = client_for(world.office).get(TASKS, {"format": "csv"})

    assert response["Content-Disposition"].startswith("attachment")
    assert "tasks.csv" in response["Content-Disposition"]


def test_csv_export_has_chinese_column_headers(world, tasks, client_for):
    rows = csv_rows(client_for(world.office).get(TASKS, {"format": "csv"}))

    assert all(header in rows[0] for header in HEADERS)


def test_csv_export_has_one_row_per_visible_task(world, tasks, client_for):
    rows = csv_rows(client_for(world.office).get(TASKS, {"format": "csv"}))

    assert sorted(column(rows, "任务名称")) == sorted(["逾期的排查", "燃气管道巡检", "应急演练"])


def test_csv_export_leaves_out_another_countys_tasks(world, tasks, client_for):
    rows = csv_rows(client_for(world.wanan_official).get(TASKS, {"format": "csv"}))

    assert "屯里镇燃气排查" not in column(rows, "任务名称")


def test_csv_export_shows_the_tasks_values(world, tasks, client_for):
    rows = csv_rows(client_for(world.office).get(TASKS, {"format": "csv"}))

    row = dict(zip(rows[0], rows[column(rows, "任务名称").index("燃气管道巡检") + 1], strict=True))
    assert row["编号"] == tasks.reported.code
    assert row["牵头单位"] == "山目乡"
    assert row["完成时限"] == days(15).isoformat()
    assert row["进度(%)"] == "40"
    assert row["状态"] == "推进中"
    assert row["逾期"] == ""


def test_csv_export_marks_overdue_tasks(world, tasks, client_for):
    rows = csv_rows(client_for(world.office).get(TASKS, {"format": "csv", "overdue": "true"}))

    assert column(rows, "任务名称") == ["逾期的排查"]
    assert column(rows, "逾期") == ["是"]


def test_csv_export_applies_the_same_filters_as_the_list(world, tasks, client_for):
    client = client_for(world.office)
    params = {"deadline_after": days(0).isoformat(), "search": "巡检"}

    listed = [row["title"] for row in client.get(TASKS, params).data["results"]]
    exported = column(csv_rows(client.get(TASKS, {**params, "format": "csv"})), "任务名称")

    assert exported == listed == ["燃气管道巡检"]


def test_csv_export_is_not_paginated(world, tasks, client_for):
    rows = csv_rows(client_for(world.office).get(TASKS, {"format": "csv", "page_size": 1}))

    assert len(rows) == 1 + 3


def test_csv_export_of_a_list_with_no_tasks_has_the_header_row_only(world, client_for):
    rows = csv_rows(client_for(world.office).get(TASKS, {"format": "csv"}))

    assert len(rows) == 1
    assert rows[0][:2] == ["编号", "任务名称"]


# ---- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_export_is_a_workbook_excel_can_open(world, tasks, client_for):
    response = client_for(world.office).get(TASKS, {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"].startswith("attachment")
    assert "tasks.xlsx" in response["Content-Disposition"]
    assert xlsx_rows(response)


def test_xlsx_export_has_the_same_headers_and_rows_as_the_csv(world, tasks, client_for):
    client = client_for(world.office)

    from_xlsx = xlsx_rows(client.get(TASKS, {"format": "xlsx"}))
    from_csv = csv_rows(client.get(TASKS, {"format": "csv"}))

    assert all(header in from_xlsx[0] for header in HEADERS)
    assert from_xlsx[0] == from_csv[0]
    assert column(from_xlsx, "任务名称") == column(from_csv, "任务名称")
    assert column(from_xlsx, "编号") == column(from_csv, "编号")


def test_xlsx_export_applies_filters_and_scope(world, tasks, client_for):
    rows = xlsx_rows(client_for(world.wanan_official).get(TASKS, {"format": "xlsx", "overdue": "true"}))

    assert column(rows, "任务名称") == ["逾期的排查"]


def test_xlsx_export_keeps_progress_as_a_number(world, tasks, client_for):
    rows = xlsx_rows(client_for(world.office).get(TASKS, {"format": "xlsx", "search": "巡检"}))

    assert column(rows, "进度(%)") == [40]


def test_xlsx_export_keeps_a_title_that_looks_like_a_formula_as_text(world, client_for):
    world.task(title='=HYPERLINK("http://example.com","点此")')

    response = client_for(world.office).get(TASKS, {"format": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    title = sheet.cell(row=2, column=2)
    assert title.data_type == "s"


# ---- Formats that do not exist ---------------------------------------------------------------------


def test_unknown_export_format_is_not_found(world, tasks, client_for):
    response = client_for(world.office).get(TASKS, {"format": "pdf"})

    assert response.status_code == 404


def test_anonymous_export_is_refused(world, tasks):
    response = APIClient().get(TASKS, {"format": "csv"})

    assert response.status_code == 401
    assert "逾期的排查".encode() not in response.content


def test_an_export_is_recorded_in_the_audit_log(world, client_for):
    from tasks.models import AuditEntry, AuditKind

    world.task()
    client_for(world.office).get(TASKS, {"format": "xlsx", "overdue": "false"})

    entry = AuditEntry.objects.get(kind=AuditKind.EXPORTED)
    assert entry.user == world.office
    assert entry.detail["format"] == "xlsx"
    assert entry.detail["rows"] == 1
    assert entry.detail["filters"] == {"overdue": "false"}


def test_the_export_has_the_lead_units_latest_progress_problems_and_next_steps(world, client_for):
    task = world.task(title="宿舍消防排查", cooperating_units=[world.shanmu])
    services.progress_report(
        task=task,
        by=world.wanan_official,
        percent=20,
        done="旧的进展",
        problems="旧问题",
        next_steps="旧计划",
    )
    services.progress_report(
        task=task,
        by=world.wanan_official,
        percent=50,
        done="排查宿舍 12 间",
        problems="消防通道堵塞",
        next_steps="周五前清理",
    )
    # A cooperating unit's later report does not replace the lead unit's in the export.
    services.progress_report(
        task=task,
        by=world.shanmu_official,
        percent=90,
        done="配合完成",
        problems="配合问题",
        next_steps="配合计划",
    )
    quiet = world.task(title="尚未填报的任务")
    for fmt, read in (("xlsx", xlsx_rows), ("csv", csv_rows)):
        rows = read(client_for(world.office).get(TASKS, {"format": fmt}))
        titles = column(rows, "任务名称")
        row = titles.index("宿舍消防排查")
        assert column(rows, "最新进展")[row] == "排查宿舍 12 间"
        assert column(rows, "存在问题")[row] == "消防通道堵塞"
        assert column(rows, "下步计划")[row] == "周五前清理"
        empty = titles.index(quiet.title)
        assert column(rows, "存在问题")[empty] in ("", None)


def test_the_export_reads_the_latest_reports_in_a_fixed_number_of_queries(
    world, client_for, django_assert_num_queries, django_assert_max_num_queries
):
    client = client_for(world.office)
    for i in range(2):
        task = world.task(title=f"任务{i}")
        services.progress_report(task=task, by=world.wanan_official, percent=10, done="进展", problems="问题")
    client.get(TASKS, {"format": "xlsx"})
    with django_assert_max_num_queries(10) as few:
        client.get(TASKS, {"format": "xlsx"})
    for i in range(2, 12):
        task = world.task(title=f"任务{i}")
        services.progress_report(task=task, by=world.wanan_official, percent=10, done="进展", problems="问题")
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(TASKS, {"format": "xlsx"}).status_code == 200
