"""Importing a task list (清单.xlsx): real workbooks made with openpyxl, previewed and committed through
tasks.imports, as the office would upload them."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from tasks import imports, services
from tasks.imports import ImportRefused, import_commit, import_preview, template_workbook
from tasks.models import EventKind, ImportBatch, ImportStatus, Milestone, SpecialAction, Task, TaskEvent
from tasks.spreadsheet import COLUMNS, format_milestones, parse_date

HEADER = [
    "序号",
    "专项行动",
    "任务",
    "具体举措/内容",
    "牵头单位",
    "配合单位",
    "责任领导",
    "开始日期",
    "完成时限",
    "节点/里程碑",
]
TODAY = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _december(time_machine):
    # The world's campaign then runs from 2026-11-05 to 2027-02-03: phrases without a year read in it.
    time_machine.move_to(TODAY, tick=False)


@pytest.fixture
def county(world):
    """The world with a named leader (王强, 副县长) and an alias for the emergency bureau."""
    world.leader.first_name = "强"
    world.leader.last_name = "王"
    world.leader.position = "副县长"
    world.leader.save()
    world.yingji.aliases = "应急局\n县应急管理局(安监局)"
    world.yingji.save()
    return world


def row(**values):
    defaults = {
        "专项行动": "安全生产专项行动",
        "任务": "煤矿隐患排查",
        "具体举措/内容": "井下逐面排查",
        "牵头单位": "万安镇",
        "配合单位": "县应急管理局",
        "责任领导": "王强(副县长)",
        "开始日期": "2026-11-10",
        "完成时限": "12月底前",
        "节点/里程碑": "12月10日前 完成摸排",
    }
    defaults.update(values)
    return defaults


def xlsx(rows, *, header=HEADER, title=None, merges=(), edit=None) -> bytes:
    """A workbook as an office makes one: an optional title row, the header, the rows (dicts by header)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "清单"
    if title:
        sheet.append([title])
    sheet.append(header)
    for number, values in enumerate(rows, start=1):
        sheet.append([number if name == "序号" else values.get(name) for name in header])
    for merged in merges:
        sheet.merge_cells(merged)
    if edit:
        edit(sheet)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def upload(content: bytes, name="清单.xlsx"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def preview(world, content, name="清单.xlsx"):
    return import_preview(campaign=world.campaign, file=upload(content, name), by=world.office)


def messages(batch):
    return [problem["message"] for problem in batch.preview["problems"]]


# ---- A simple list ----------------------------------------------------------------------------------


def test_preview_plans_each_row_and_writes_no_task(county):
    batch = preview(county, xlsx([row(), row(任务="烟花爆竹检查", 牵头单位="山目乡", 配合单位="")]))

    assert batch.status == ImportStatus.PREVIEWED
    assert batch.can_commit, messages(batch)
    assert batch.preview["counts"] == {"rows": 2, "create": 2, "update": 0, "unchanged": 0, "error": 0}
    first = batch.preview["rows"][0]
    assert first["row"] == 2
    assert first["action"] == "create"
    assert first["lead_unit"] == "万安镇"
    assert first["cooperating_units"] == ["县应急管理局"]
    assert first["responsible_leader"] == "王强(副县长)"
    assert first["start_date"] == "2026-11-10"
    assert first["deadline"] == "2026-12-31"
    assert first["milestones"] == [{"title": "完成摸排", "due_date": "2026-12-10"}]
    assert batch.preview["columns"]["C"] == "任务"
    assert Task.objects.count() == 0
    assert Milestone.objects.count() == 0


def test_commit_creates_the_tasks_with_their_milestones(county):
    batch = preview(county, xlsx([row(), row(任务="烟花爆竹检查", 牵头单位="山目乡", 配合单位="")]))

    batch = import_commit(batch=batch, by=county.office)

    assert batch.status == ImportStatus.COMMITTED
    assert batch.committed_by == county.office
    task = Task.objects.get(title="煤矿隐患排查")
    assert task.code == "HD-AQ-001"
    assert task.lead_unit == county.wanan
    assert list(task.cooperating_units.all()) == [county.yingji]
    assert task.responsible_leader == county.leader
    assert task.deadline == datetime.date(2026, 12, 31)
    assert task.description == "井下逐面排查"
    assert [(m.title, m.due_date) for m in task.milestones.all()] == [
        ("完成摸排", datetime.date(2026, 12, 10))
    ]
    assert Task.objects.get(title="烟花爆竹检查").lead_unit == county.shanmu


def test_each_imported_task_timeline_names_the_file_and_row(county):
    batch = preview(county, xlsx([row(), row(任务="烟花爆竹检查")]), name="洪洞县清单.xlsx")
    import_commit(batch=batch, by=county.office)

    created = TaskEvent.objects.get(task__title="烟花爆竹检查", kind=EventKind.CREATED)
    assert created.note == "由导入文件《洪洞县清单.xlsx》第 3 行创建"


def test_a_new_special_action_is_announced_and_created_on_commit(county):
    batch = preview(county, xlsx([row(专项行动="清洁取暖专项行动")]))
    assert batch.preview["new_special_actions"] == ["清洁取暖专项行动"]
    assert not SpecialAction.objects.filter(name="清洁取暖专项行动").exists()

    import_commit(batch=batch, by=county.office)

    action = SpecialAction.objects.get(name="清洁取暖专项行动")
    assert action.code == "ZX01"
    assert action.sort_order > county.safety.sort_order
    assert Task.objects.get().code == "HD-ZX01-001"


def test_a_task_code_in_the_file_is_kept(county):
    header = ["编号", *HEADER]
    batch = preview(county, xlsx([{**row(), "编号": "HD-AQ-120"}], header=header))
    import_commit(batch=batch, by=county.office)

    assert Task.objects.get().code == "HD-AQ-120"


# ---- Reading the sheet ------------------------------------------------------------------------------


def test_header_row_below_a_title_row_is_found(county):
    batch = preview(county, xlsx([row()], title="洪洞县冬季行动任务分解表"))

    assert batch.preview["header_row"] == 2
    assert batch.preview["rows"][0]["row"] == 3
    assert batch.can_commit, messages(batch)


def test_headers_with_notes_spaces_and_aliases_are_recognised(county):
    header = ["序 号", "专项行动", "重点任务", "责任单位\n(牵头)", "协办单位", "完成时间(必填)", "备注"]
    content = xlsx(
        [
            {
                "专项行动": "安全生产专项行动",
                "重点任务": "煤矿隐患排查",
                "责任单位\n(牵头)": "万安镇",
                "完成时间(必填)": "12月15日前",
            }
        ],
        header=header,
    )
    batch = preview(county, content)

    assert batch.can_commit, messages(batch)
    assert batch.preview["ignored_columns"] == ["G: 备注"]
    assert batch.preview["rows"][0]["deadline"] == "2026-12-15"


def test_merged_special_action_cells_fill_down(county):
    rows = [
        row(任务="煤矿隐患排查"),
        row(任务="烟花爆竹检查", 专项行动=None),
        row(任务="燃气安全检查", 专项行动=None),
    ]
    batch = preview(county, xlsx(rows, merges=["B2:B4"]))

    assert [r["special_action"] for r in batch.preview["rows"]] == ["安全生产专项行动"] * 3
    assert batch.can_commit, messages(batch)


def test_multi_unit_cells_are_split_on_every_separator(county):
    batch = preview(county, xlsx([row(牵头单位="县应急管理局", 配合单位="万安镇、山目乡;万安煤业\n洪洞县")]))

    assert batch.preview["rows"][0]["cooperating_units"] == ["万安镇", "山目乡", "万安煤业", "洪洞县"]


def test_units_match_by_full_name_and_alias(county):
    batch = preview(county, xlsx([row(牵头单位="洪洞县万安镇", 配合单位="应急局")]))

    assert batch.preview["rows"][0]["lead_unit"] == "万安镇"
    assert batch.preview["rows"][0]["cooperating_units"] == ["县应急管理局"]


def test_unknown_unit_is_an_error_with_a_suggestion(county):
    rows = [row(任务=f"任务{n}") for n in range(12)] + [row(任务="燃气检查", 牵头单位="县应急局")]
    batch = preview(county, xlsx(rows, header=["序号", "专项行动", "任务", "牵头单位", "完成时限"]))

    assert messages(batch) == ['D14: 未知单位"县应急局",是否为"县应急管理局"?']
    assert batch.preview["rows"][-1]["action"] == "error"
    assert batch.preview["counts"]["error"] == 1
    assert not batch.can_commit


def test_unknown_unit_without_a_close_name_has_no_suggestion(county):
    batch = preview(county, xlsx([row(配合单位="市交通运输局")]))

    assert messages(batch) == ['F2: 未知单位"市交通运输局"']


def test_a_unit_of_another_county_is_unknown(county):
    batch = preview(county, xlsx([row(牵头单位="屯里镇")]))

    assert messages(batch) == ['E2: 未知单位"屯里镇"']


def test_unknown_leader_is_an_error_with_a_suggestion(county):
    batch = preview(county, xlsx([row(责任领导="王强强")]))

    assert messages(batch) == ['G2: 未知领导"王强强",是否为"王强(副县长)"?']


def test_missing_required_cells_are_errors(county):
    batch = preview(county, xlsx([row(任务=None, 完成时限=None)]))

    assert messages(batch) == ["C2: 请填写任务", "I2: 请填写完成时限"]


def test_lead_unit_cannot_also_cooperate(county):
    batch = preview(county, xlsx([row(配合单位="万安镇、山目乡")]))

    assert messages(batch) == ['F2: 牵头单位"万安镇"不能同时是配合单位']


# ---- Dates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-15", "2026-12-15"),
        ("2026/12/15", "2026-12-15"),
        ("2026.12.15", "2026-12-15"),
        ("2026年12月15日", "2026-12-15"),
        ("12月15日前", "2026-12-15"),
        ("12月15日", "2026-12-15"),
        ("12月底前", "2026-12-31"),
        ("12月末", "2026-12-31"),
        ("12月上旬", "2026-12-10"),
        ("12月中旬", "2026-12-20"),
        ("12月下旬", "2026-12-31"),
        ("12.15", "2026-12-15"),
        ("1月底前", "2027-01-31"),  # the campaign started in November: January is next year's
        ("2月上旬", "2027-02-10"),
    ],
)
def test_date_phrases_are_read_in_the_campaign_year(county, text, expected):
    batch = preview(county, xlsx([row(完成时限=text, 开始日期="2026-11-06", **{"节点/里程碑": None})]))

    assert batch.preview["rows"][0]["deadline"] == expected, messages(batch)


def test_a_real_excel_date_is_taken_as_is(county):
    batch = preview(county, xlsx([row(完成时限=datetime.datetime(2027, 1, 15))]))

    assert batch.preview["rows"][0]["deadline"] == "2027-01-15"


@pytest.mark.parametrize("text", ["尽快", "长期坚持", "13月底前", "2月30日"])
def test_an_unreadable_date_is_an_error_not_a_guess(county, text):
    batch = preview(county, xlsx([row(完成时限=text)]))

    assert messages(batch) == [f'I2: 无法识别的日期"{text}",请填写如"2026-12-15"或"12月15日前"']
    assert not batch.can_commit


def test_an_empty_start_date_is_the_campaign_start(county):
    batch = preview(county, xlsx([row(开始日期=None)]))

    assert batch.preview["rows"][0]["start_date"] == county.campaign.start_date.isoformat()


def test_a_deadline_before_the_start_is_an_error(county):
    batch = preview(
        county, xlsx([row(开始日期="2026-12-20", 完成时限="12月15日前", **{"节点/里程碑": None})])
    )

    assert messages(batch) == ["I2: 完成时限(2026-12-15)早于开始日期(2026-12-20)"]


def test_parse_date_reads_real_dates():
    start = datetime.date(2026, 11, 5)
    assert parse_date(datetime.date(2027, 1, 2), start) == datetime.date(2027, 1, 2)
    assert parse_date("12月底前完成", start) == datetime.date(2026, 12, 31)


# ---- Milestones ----------------------------------------------------------------------------------------


def test_milestones_written_by_the_ledger_read_back(county):
    text = format_milestones(
        [
            {"title": "完成摸排", "due_date": datetime.date(2026, 12, 10)},
            {"title": "完成整改", "due_date": datetime.date(2026, 12, 20)},
        ]
    )
    batch = preview(county, xlsx([row(**{"节点/里程碑": text})]))

    assert batch.preview["rows"][0]["milestones"] == [
        {"title": "完成摸排", "due_date": "2026-12-10"},
        {"title": "完成整改", "due_date": "2026-12-20"},
    ]


def test_an_unreadable_milestone_is_an_error(county):
    batch = preview(county, xlsx([row(**{"节点/里程碑": "尽快完成摸排"})]))

    assert messages(batch) == [
        'J2: 无法识别的节点"尽快完成摸排",请每行填写一个,如"2026-12-10 完成摸排"或"12月10日前 完成摸排"'
    ]


def test_a_milestone_after_the_deadline_is_an_error(county):
    batch = preview(county, xlsx([row(完成时限="12月15日前", **{"节点/里程碑": "12月20日前 完成整改"})]))

    assert messages(batch) == ['J2: 节点"完成整改"的时限 2026-12-20 晚于完成时限']


# ---- Importing again ------------------------------------------------------------------------------------


def test_importing_the_same_file_again_creates_and_changes_nothing(county):
    content = xlsx([row(), row(任务="烟花爆竹检查", 专项行动="清洁取暖专项行动")])
    import_commit(batch=preview(county, content), by=county.office)
    events = TaskEvent.objects.count()

    again = preview(county, content)

    assert again.preview["counts"] == {"rows": 2, "create": 0, "update": 0, "unchanged": 2, "error": 0}
    import_commit(batch=again, by=county.office)
    assert Task.objects.count() == 2
    assert SpecialAction.objects.count() == 2
    assert TaskEvent.objects.count() == events


def test_a_changed_deadline_is_an_update_showing_before_and_after(county):
    import_commit(batch=preview(county, xlsx([row()])), by=county.office)
    task = Task.objects.get()

    batch = preview(
        county,
        xlsx(
            [
                row(
                    完成时限="2027-01-15",
                    配合单位="山目乡",
                    **{"节点/里程碑": "12月10日前 完成摸排\n1月10日前 完成整改"},
                )
            ]
        ),
    )

    planned = batch.preview["rows"][0]
    assert planned["action"] == "update"
    assert planned["task_id"] == task.pk
    assert planned["changes"]["deadline"] == ["2026-12-31", "2027-01-15"]
    assert planned["changes"]["cooperating_units"] == ["县应急管理局", "山目乡"]
    import_commit(batch=batch, by=county.office)
    task.refresh_from_db()
    assert task.deadline == datetime.date(2027, 1, 15)
    assert list(task.cooperating_units.all()) == [county.shanmu]
    assert task.milestones.count() == 2
    updated = TaskEvent.objects.get(task=task, kind=EventKind.UPDATED)
    assert updated.note == "由导入文件《清单.xlsx》第 2 行更新"
    assert updated.after == {"deadline": "2027-01-15"}
    assert TaskEvent.objects.get(task=task, kind=EventKind.ASSIGNED).note == updated.note


def test_a_row_matches_an_existing_task_by_code(county):
    task = county.task(title="旧名称")
    header = ["编号", *HEADER]
    batch = preview(county, xlsx([{**row(), "编号": task.code}], header=header))

    planned = batch.preview["rows"][0]
    assert planned["action"] == "update"
    assert planned["changes"]["title"] == ["旧名称", "煤矿隐患排查"]


def test_the_same_task_twice_in_one_file_is_an_error(county):
    batch = preview(county, xlsx([row(), row()]))

    assert messages(batch) == ['C3: 与第 2 行重复(同一专项行动下的同名任务"煤矿隐患排查")']


# ---- Formulas ----------------------------------------------------------------------------------------------


def test_a_formula_cell_stays_text(county):
    def formula(sheet):
        sheet["D2"] = '=HYPERLINK("http://evil.example","点击")'

    batch = preview(county, xlsx([row()], edit=formula))
    import_commit(batch=batch, by=county.office)

    assert Task.objects.get().description == '=HYPERLINK("http://evil.example","点击")'


# ---- Refused files -----------------------------------------------------------------------------------------


def refused(world, content, name="清单.xlsx") -> str:
    with pytest.raises(ImportRefused) as caught:
        preview(world, content, name)
    assert not ImportBatch.objects.exists()
    return caught.value.messages[0]


def test_a_zip_bomb_is_refused_before_parsing(county, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not open a zip bomb")

    monkeypatch.setattr(imports, "read_sheet", never)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (50 * 1024 * 1024) + b"/>")

    assert "恶意文件" in refused(county, output.getvalue())


def test_a_file_over_10_mb_is_refused(county):
    assert "10 MB" in refused(county, b"PK" + b"\0" * (10 * 1024 * 1024))


def test_more_than_5000_rows_are_refused(county):
    rows = [row(任务=f"任务{n}") for n in range(5001)]
    assert "5000" in refused(county, xlsx(rows, header=["序号", "专项行动", "任务", "牵头单位", "完成时限"]))


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "清单.xls"),
        ("任务,牵头单位\n".encode(), "清单.csv"),
    ],
)
def test_xls_and_csv_are_refused(county, content, name):
    assert ".xlsx" in refused(county, content, name)


def test_a_file_that_is_no_workbook_is_refused(county):
    assert "不是有效的 .xlsx" in refused(county, b"hello, world")


def test_a_merged_range_over_whole_columns_is_refused_before_parsing(county, monkeypatch):
    monkeypatch.setattr(imports, "read_sheet", lambda content: pytest.fail("openpyxl must not load it"))

    merge = b'<mergeCells count="1"><mergeCell ref="B3:K1048576"/></mergeCells>'
    content = rewrite_sheet(
        xlsx([row()]), lambda data: data.replace(b"</sheetData>", b"</sheetData>" + merge)
    )

    assert "合并单元格" in refused(county, content)


def test_a_cell_far_below_the_list_is_refused(county):
    def far(sheet):
        sheet["C200000"] = "备注"

    assert "5000" in refused(county, xlsx([row()], edit=far))


def rewrite_sheet(content: bytes, change) -> bytes:
    """The workbook with its sheet's XML changed by `change` (what openpyxl would never write)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            data = source.read(member.filename)
            archive.writestr(member, change(data) if member.filename == "xl/worksheets/sheet1.xml" else data)
    return output.getvalue()


def test_an_xml_entity_bomb_is_refused(county):
    # openpyxl reads through defusedxml: a DOCTYPE with entities is never expanded.
    entities = b'<!DOCTYPE z [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    content = rewrite_sheet(
        xlsx([row()]), lambda data: data.replace(b"<worksheet", entities + b"<worksheet", 1)
    )

    assert "不是有效的 .xlsx" in refused(county, content)


def test_a_too_long_title_is_the_rows_problem(county):
    batch = preview(county, xlsx([row(任务="长" * 201)]))

    assert messages(batch) == ["C2: 任务超过 200 个字"]


def test_a_sheet_without_headers_is_refused(county):
    assert "没有找到表头" in refused(county, xlsx([{"a": 1}], header=["a", "b", "c"]))


# ---- Committing --------------------------------------------------------------------------------------------


def test_a_file_with_errors_cannot_be_committed(county):
    batch = preview(county, xlsx([row(), row(任务="燃气检查", 牵头单位="县应急局")]))

    with pytest.raises(ValidationError, match="1 处问题"):
        import_commit(batch=batch, by=county.office)
    assert not Task.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED


def test_a_committed_batch_cannot_be_committed_again(county):
    batch = import_commit(batch=preview(county, xlsx([row()])), by=county.office)

    with pytest.raises(ValidationError, match="已经导入过"):
        import_commit(batch=batch, by=county.office)
    assert Task.objects.count() == 1


def test_commit_plans_again_from_the_stored_file(county):
    batch = preview(county, xlsx([row()]))
    county.task(title="煤矿隐患排查", deadline=datetime.date(2027, 1, 1))  # someone typed it in meanwhile

    batch = import_commit(batch=batch, by=county.office)

    assert batch.preview["counts"]["update"] == 1
    assert Task.objects.count() == 1
    assert Task.objects.get().deadline == datetime.date(2026, 12, 31)


def test_only_the_campaign_office_may_import(county):
    with pytest.raises(PermissionDenied):
        import_preview(campaign=county.campaign, file=upload(xlsx([row()])), by=county.other_office)
    batch = preview(county, xlsx([row()]))
    with pytest.raises(PermissionDenied):
        import_commit(batch=batch, by=county.wanan_official)
    assert not Task.objects.exists()


# ---- Speed --------------------------------------------------------------------------------------------------


def count_queries(world, rows: int) -> int:
    content = xlsx([row(任务=f"任务{n}", 配合单位="山目乡、县应急局") for n in range(rows)])
    with CaptureQueriesContext(connection) as captured:
        preview(world, content)
    return len(captured)


def test_preview_queries_do_not_grow_with_rows(county):
    county.task(title="任务1")
    assert count_queries(county, 50) == count_queries(county, 5)


# ---- The template --------------------------------------------------------------------------------------------


def test_template_has_the_headers_and_drop_downs(county):
    content = template_workbook(campaign=county.campaign, by=county.office)

    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook["清单"]
    assert [cell.value for cell in sheet[1]] == ["序号", *(header for _name, header in COLUMNS)]
    assert sheet.freeze_panes == "A2"
    options = workbook["选项"]
    assert options.sheet_state == "hidden"
    assert "安全生产专项行动" in [cell.value for cell in options["A"]]
    assert "县应急管理局" in [cell.value for cell in options["B"]]
    assert "王强(副县长)" in [cell.value for cell in options["C"]]
    assert "屯里镇" not in [cell.value for cell in options["B"]]
    validated = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    assert set(validated) == {"C2", "G2", "H2", "I2"}
    assert validated["H2"].showErrorMessage is False  # 配合单位: several units, any text


def test_the_template_imports_back_as_an_empty_list(county):
    content = template_workbook(campaign=county.campaign, by=county.office)

    batch = preview(county, content)
    assert batch.preview["counts"]["rows"] == 0


def test_only_the_office_downloads_the_template(county):
    with pytest.raises(PermissionDenied):
        template_workbook(campaign=county.campaign, by=county.wanan_official)


def test_services_take_a_note_for_the_timeline(county):
    task = county.task()
    services.task_update(task=task, by=county.office, deadline=datetime.date(2027, 1, 20), note="导入")
    assert TaskEvent.objects.filter(task=task, kind=EventKind.UPDATED, note="导入").exists()
