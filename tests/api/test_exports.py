"""CSV and XLSX exports of the task list: what Excel opens, with the list's scope and filters. The XLSX is
the office's ledger (推进台账): a title with the campaign and the day, real dates, 逾期天数, the lead unit's
latest report, frozen header, autofilter, and the import's headers so that it imports back."""

import csv
import datetime
import io
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.cache import cache
from django.utils import timezone
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


# ---- XLSX: the ledger (推进台账) -----------------------------------------------------------------------

LEDGER_HEADERS = [
    "序号",
    "编号",
    "专项行动",
    "任务",
    "具体举措/内容",
    "目标",
    "牵头单位",
    "配合单位",
    "责任领导",
    "开始日期",
    "完成时限",
    "节点/里程碑",
    "进度(%)",
    "状态",
    "逾期天数",
    "进展情况",
    "存在问题",
    "下步计划",
    "更新时间",
]
FIXED_DAY = datetime.datetime(2026, 12, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def fixed_day(time_machine):
    """15 December 2026 in Shanghai (ask for it before `world`, so the world is made on that day)."""
    time_machine.move_to(FIXED_DAY, tick=False)


def ledger_sheet(response):
    return openpyxl.load_workbook(io.BytesIO(response.content))["台账"]


def header_row(sheet) -> int:
    return next(row[0].row for row in sheet.iter_rows(max_row=10) if row[0].value == "序号")


def ledger_rows(response) -> list[list]:
    """The header row and the data rows (the title rows above them left out)."""
    sheet = ledger_sheet(response)
    return [list(row) for row in sheet.iter_rows(min_row=header_row(sheet), values_only=True)]


def ledger_row(response, title) -> dict:
    rows = ledger_rows(response)
    return dict(zip(rows[0], rows[column(rows, "任务").index(title) + 1], strict=True))


def test_xlsx_export_is_a_ledger_workbook_excel_can_open(world, tasks, client_for):
    response = client_for(world.office).get(TASKS, {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"].startswith("attachment")
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames == ["台账"]


def test_the_ledger_is_titled_with_the_campaign_and_the_day(fixed_day, world, tasks, client_for):
    response = client_for(world.office).get(TASKS, {"format": "xlsx"})

    sheet = ledger_sheet(response)
    assert sheet["A1"].value == "洪洞县冬季行动推进台账(截至 2026年12月15日)"
    assert "A1:S1" in {str(cells) for cells in sheet.merged_cells.ranges}


def test_the_ledger_is_named_after_the_campaign_and_the_day(fixed_day, world, tasks, client_for):
    response = client_for(world.office).get(TASKS, {"format": "xlsx"})

    disposition = response["Content-Disposition"]
    assert 'filename="ledger_20261215.xlsx"' in disposition
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "洪洞县冬季行动推进台账_20261215.xlsx"


def test_the_ledger_of_a_campaign_with_no_tasks_still_names_it(fixed_day, world, client_for):
    response = client_for(world.office).get(TASKS, {"format": "xlsx", "campaign": world.campaign.pk})

    assert ledger_sheet(response)["A1"].value.startswith("洪洞县冬季行动推进台账")
    assert len(ledger_rows(response)) == 1


def test_the_ledger_over_several_campaigns_is_the_winter_actions(world, tasks, client_for):
    superuser = services.person_create(
        by=None, username="root", unit=None, role="office", is_superuser=True, is_staff=True
    )

    response = client_for(superuser).get(TASKS, {"format": "xlsx"})

    assert ledger_sheet(response)["A1"].value.startswith("冬季行动推进台账(截至 ")
    assert "冬季行动推进台账_" in unquote(response["Content-Disposition"])


def test_the_ledger_says_which_filters_it_shows(world, tasks, client_for):
    params = {"format": "xlsx", "special_action": world.safety.pk, "status": "in_progress"}
    response = client_for(world.office).get(TASKS, params)

    sheet = ledger_sheet(response)
    assert sheet["A2"].value == "筛选:专项行动=安全生产专项行动;状态=推进中"
    assert header_row(sheet) == 3


def test_an_unfiltered_ledger_has_its_header_under_the_title(world, tasks, client_for):
    sheet = ledger_sheet(client_for(world.office).get(TASKS, {"format": "xlsx"}))

    assert header_row(sheet) == 2


def test_the_ledger_has_the_import_headers_then_the_progress_columns(world, tasks, client_for):
    from tasks.spreadsheet import COLUMNS

    rows = ledger_rows(client_for(world.office).get(TASKS, {"format": "xlsx"}))

    assert rows[0] == LEDGER_HEADERS
    assert rows[0][1 : 1 + len(COLUMNS)] == [header for _field, header in COLUMNS]


def test_the_ledger_numbers_its_rows_from_one(world, tasks, client_for):
    rows = ledger_rows(client_for(world.office).get(TASKS, {"format": "xlsx"}))

    assert column(rows, "序号") == [1, 2, 3]


def test_the_ledger_lists_the_same_tasks_in_the_same_order_as_the_csv(world, tasks, client_for):
    client = client_for(world.office)

    from_xlsx = ledger_rows(client.get(TASKS, {"format": "xlsx"}))
    from_csv = csv_rows(client.get(TASKS, {"format": "csv"}))

    assert column(from_xlsx, "编号") == column(from_csv, "编号")
    assert column(from_xlsx, "任务") == column(from_csv, "任务名称")


def test_the_ledger_shows_the_tasks_values(world, tasks, client_for):
    world.leader.first_name, world.leader.last_name = "强", "王"
    world.leader.save()
    task = world.task(
        title="宿舍消防排查",
        description="逐间排查",
        target="隐患清零",
        cooperating_units=[world.shanmu, world.yingji],
        responsible_leader=world.leader,
    )

    row = ledger_row(client_for(world.office).get(TASKS, {"format": "xlsx"}), "宿舍消防排查")

    assert row["编号"] == task.code
    assert row["专项行动"] == "安全生产专项行动"
    assert row["具体举措/内容"] == "逐间排查"
    assert row["目标"] == "隐患清零"
    assert row["牵头单位"] == "万安镇"
    assert row["配合单位"] == "山目乡、县应急管理局"
    assert row["责任领导"] == world.leader.get_full_name()
    assert row["状态"] == "未开始"


def test_the_ledger_keeps_progress_as_a_number(world, tasks, client_for):
    rows = ledger_rows(client_for(world.office).get(TASKS, {"format": "xlsx", "search": "巡检"}))

    assert column(rows, "进度(%)") == [40]


def test_the_ledger_dates_are_excel_dates(world, tasks, client_for):
    sheet = ledger_sheet(client_for(world.office).get(TASKS, {"format": "xlsx", "search": "巡检"}))

    headers = [cell.value for cell in sheet[header_row(sheet)]]
    data = sheet[header_row(sheet) + 1]
    deadline = data[headers.index("完成时限")]
    assert deadline.value == datetime.datetime.combine(days(15), datetime.time())  # openpyxl reads a datetime
    assert deadline.is_date and deadline.number_format == "yyyy-mm-dd"
    assert data[headers.index("开始日期")].is_date


def test_the_ledger_update_time_is_a_shanghai_datetime(world, tasks, client_for):
    sheet = ledger_sheet(client_for(world.office).get(TASKS, {"format": "xlsx", "search": "巡检"}))

    headers = [cell.value for cell in sheet[header_row(sheet)]]
    updated = sheet[header_row(sheet) + 1][headers.index("更新时间")]
    tasks.reported.refresh_from_db()
    assert isinstance(updated.value, datetime.datetime) and updated.is_date
    local = timezone.localtime(tasks.reported.updated_at)
    assert updated.value == local.replace(tzinfo=None, microsecond=0)
    assert updated.number_format == "yyyy-mm-dd hh:mm"


def test_the_ledger_counts_the_days_an_open_task_is_overdue(world, client_for):
    world.task(title="逾期的排查", start_date=days(-20), deadline=days(-3))

    row = ledger_row(client_for(world.office).get(TASKS, {"format": "xlsx"}), "逾期的排查")

    assert row["逾期天数"] == 3


def test_the_ledger_counts_the_days_a_task_was_closed_late(world, client_for):
    late = world.task(title="迟到的销号", start_date=days(-20), deadline=days(-4))
    services.progress_report(task=late, percent=100, done="完成", by=world.wanan_official)
    services.task_request_close(task=late, by=world.wanan_official, note="")
    services.task_close(task=late, by=world.office)

    row = ledger_row(client_for(world.office).get(TASKS, {"format": "xlsx"}), "迟到的销号")

    assert row["状态"] == "已销号"
    assert row["逾期天数"] == 4


def test_the_ledger_leaves_the_overdue_days_of_a_task_on_time_empty(world, client_for):
    world.task(title="按期推进", deadline=days(10))
    done = world.task(title="按期销号", deadline=days(10))
    services.progress_report(task=done, percent=100, done="完成", by=world.wanan_official)
    services.task_request_close(task=done, by=world.wanan_official, note="")
    services.task_close(task=done, by=world.office)

    response = client_for(world.office).get(TASKS, {"format": "xlsx"})

    assert ledger_row(response, "按期推进")["逾期天数"] is None
    assert ledger_row(response, "按期销号")["逾期天数"] is None


def test_the_ledger_lists_the_milestones_one_per_line(world, client_for):
    task = world.task(title="分节点推进", start_date=days(-5), deadline=days(20))
    services.milestone_add(task=task, by=world.office, title="完成摸排", due_date=days(10))
    services.milestone_add(task=task, by=world.office, title="制定方案", due_date=days(2))

    row = ledger_row(client_for(world.office).get(TASKS, {"format": "xlsx"}), "分节点推进")

    assert row["节点/里程碑"] == f"{days(2).isoformat()} 制定方案\n{days(10).isoformat()} 完成摸排"


def test_the_ledger_header_is_frozen_and_filterable(world, tasks, client_for):
    sheet = ledger_sheet(client_for(world.office).get(TASKS, {"format": "xlsx"}))

    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:S5"
    header = sheet[2]
    assert all(cell.font.bold for cell in header)
    assert header[0].fill.fgColor.rgb.endswith("DDEBF7")


def test_the_ledger_has_wide_text_columns_and_narrow_number_columns(world, tasks, client_for):
    sheet = ledger_sheet(client_for(world.office).get(TASKS, {"format": "xlsx"}))

    widths = {cell.value: sheet.column_dimensions[cell.column_letter].width for cell in sheet[2]}
    assert widths["具体举措/内容"] >= 30 and widths["进展情况"] >= 30
    assert widths["序号"] <= 8 and widths["进度(%)"] <= 10
    assert sheet.cell(row=3, column=LEDGER_HEADERS.index("具体举措/内容") + 1).alignment.wrap_text


def test_the_ledger_applies_filters_and_scope(world, tasks, client_for):
    rows = ledger_rows(client_for(world.wanan_official).get(TASKS, {"format": "xlsx", "overdue": "true"}))

    assert column(rows, "任务") == ["逾期的排查"]


def test_the_ledger_keeps_a_title_that_looks_like_a_formula_as_text(world, client_for):
    formula = '=HYPERLINK("http://example.com","点此")'
    world.task(title=formula)

    sheet = ledger_sheet(client_for(world.office).get(TASKS, {"format": "xlsx"}))

    title = sheet.cell(row=3, column=LEDGER_HEADERS.index("任务") + 1)
    assert title.data_type == "s"
    assert title.value == formula  # the same text, so that it imports back unchanged
    assert title.quotePrefix


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
    for fmt, read, title, done in (
        ("xlsx", ledger_rows, "任务", "进展情况"),
        ("csv", csv_rows, "任务名称", "最新进展"),
    ):
        rows = read(client_for(world.office).get(TASKS, {"format": fmt}))
        titles = column(rows, title)
        row = titles.index("宿舍消防排查")
        assert column(rows, done)[row] == "排查宿舍 12 间"
        assert column(rows, "存在问题")[row] == "消防通道堵塞"
        assert column(rows, "下步计划")[row] == "周五前清理"
        empty = titles.index(quiet.title)
        assert column(rows, "存在问题")[empty] in ("", None)


def test_the_export_reads_the_latest_reports_in_a_fixed_number_of_queries(
    world, client_for, django_assert_num_queries, django_assert_max_num_queries
):
    client = client_for(world.office)
    for i in range(2):
        task = world.task(title=f"任务{i}", cooperating_units=[world.shanmu])
        services.progress_report(task=task, by=world.wanan_official, percent=10, done="进展", problems="问题")
        services.milestone_add(task=task, by=world.office, title="摸排", due_date=days(1))
    client.get(TASKS, {"format": "xlsx"})
    with django_assert_max_num_queries(10) as few:
        client.get(TASKS, {"format": "xlsx"})
    for i in range(2, 12):
        task = world.task(title=f"任务{i}", cooperating_units=[world.shanmu])
        services.progress_report(task=task, by=world.wanan_official, percent=10, done="进展", problems="问题")
        services.milestone_add(task=task, by=world.office, title="摸排", due_date=days(1))
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(TASKS, {"format": "xlsx"}).status_code == 200


def test_an_invalid_filter_on_the_ledger_is_a_bad_request_not_a_crash(world, tasks, client_for):
    response = client_for(world.office).get(TASKS, {"format": "xlsx", "overdue": "maybe"})

    assert response.status_code == 400
