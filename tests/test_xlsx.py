"""winteraction.xlsx: any table as an office prints it (the ledger and the ranking use it)."""

import datetime
import io
from urllib.parse import unquote

import openpyxl
import pytest

from winteraction import xlsx

COLUMNS = [
    xlsx.Column("序号", "index"),
    xlsx.Column("任务", "text"),
    xlsx.Column("完成时限", "date"),
    xlsx.Column("得分", "decimal"),
]
ROWS = [
    [1, "燃气管道巡检", datetime.date(2026, 12, 31), 97.5],
    [2, "应急演练", datetime.date(2027, 1, 15), None],
]


def sheet_of(data: bytes, name="台账"):
    return openpyxl.load_workbook(io.BytesIO(data))[name]


def test_the_title_spans_the_table_and_the_header_is_frozen_under_it():
    sheet = sheet_of(xlsx.workbook(sheet="台账", title="推进台账", columns=COLUMNS, rows=ROWS))

    assert sheet["A1"].value == "推进台账"
    assert [str(cells) for cells in sheet.merged_cells.ranges] == ["A1:D1"]
    assert [cell.value for cell in sheet[2]] == ["序号", "任务", "完成时限", "得分"]
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:D4"


def test_a_subtitle_goes_between_the_title_and_the_header():
    sheet = sheet_of(
        xlsx.workbook(sheet="台账", title="推进台账", subtitle="筛选:状态=推进中", columns=COLUMNS, rows=ROWS)
    )

    assert sheet["A2"].value == "筛选:状态=推进中"
    assert sheet["A3"].value == "序号"
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref == "A3:D5"


def test_an_empty_table_keeps_its_header_and_filter():
    sheet = sheet_of(xlsx.workbook(sheet="台账", title="推进台账", columns=COLUMNS, rows=[]))

    assert sheet.max_row == 2
    assert sheet.auto_filter.ref == "A2:D2"


def test_dates_and_numbers_keep_their_types_and_formats():
    sheet = sheet_of(xlsx.workbook(sheet="台账", title="推进台账", columns=COLUMNS, rows=ROWS))

    deadline, score = sheet["C3"], sheet["D3"]
    assert deadline.is_date and deadline.number_format == "yyyy-mm-dd"
    assert deadline.value == datetime.datetime(2026, 12, 31)
    assert score.value == 97.5 and score.number_format == "0.0"
    assert sheet["D4"].value is None


def test_text_columns_are_wide_and_wrapped_number_columns_narrow():
    sheet = sheet_of(xlsx.workbook(sheet="台账", title="推进台账", columns=COLUMNS, rows=ROWS))

    assert sheet.column_dimensions["B"].width >= 30 and sheet["B3"].alignment.wrap_text
    assert sheet.column_dimensions["A"].width <= 8 and not sheet["A3"].alignment.wrap_text
    assert sheet["B2"].font.bold


def test_it_prints_landscape_one_page_wide_with_the_header_on_every_page():
    sheet = sheet_of(xlsx.workbook(sheet="台账", title="推进台账", columns=COLUMNS, rows=ROWS))

    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    assert sheet.print_title_rows == "$2:$2"


def test_notes_come_under_the_table_after_a_blank_row():
    data = xlsx.workbook(
        sheet="排名", title="排名", columns=COLUMNS, rows=ROWS, notes=["得分 = …", "空率不计"]
    )
    sheet = sheet_of(data, "排名")

    assert [sheet.cell(row=r, column=1).value for r in (5, 6, 7)] == [None, "得分 = …", "空率不计"]
    assert sheet.auto_filter.ref == "A2:D4"


def test_a_value_that_looks_like_a_formula_stays_text():
    formula = "=1+1"
    sheet = sheet_of(xlsx.workbook(sheet="台账", title="t", columns=COLUMNS, rows=[[1, formula, None, None]]))

    assert sheet["B3"].data_type == "s" and sheet["B3"].value == formula and sheet["B3"].quotePrefix


def test_a_workbook_of_several_sheets_keeps_their_order_and_each_its_own_layout():
    data = xlsx.workbooks(
        [
            xlsx.Sheet(sheet="排名", title="排名", columns=COLUMNS, rows=ROWS),
            xlsx.Sheet(
                sheet="滞后事项", title="滞后事项", subtitle="截至 12月5日", columns=COLUMNS[:2], rows=[]
            ),
        ]
    )
    book = openpyxl.load_workbook(io.BytesIO(data))

    assert book.sheetnames == ["排名", "滞后事项"]
    assert book["排名"].auto_filter.ref == "A2:D4" and book["排名"]["C3"].is_date
    assert [cell.value for cell in book["滞后事项"][3]] == ["序号", "任务"]
    assert book["滞后事项"].freeze_panes == "A4"


def test_an_unknown_column_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown column kind"):
        xlsx.Column("任务", "wide")


def test_the_attachment_names_the_file_in_any_script_with_an_ascii_fallback():
    header = xlsx.attachment("洪洞县冬季行动推进台账_20261215.xlsx", fallback="ledger_20261215.xlsx")

    assert header.startswith('attachment; filename="ledger_20261215.xlsx"; ')
    assert unquote(header.split("filename*=UTF-8''")[1]) == "洪洞县冬季行动推进台账_20261215.xlsx"


def test_the_attachment_drops_characters_a_file_name_cannot_hold():
    header = xlsx.attachment('a/b:"c".xlsx', fallback="x.xlsx")

    assert unquote(header.split("filename*=UTF-8''")[1]) == "abc.xlsx"
