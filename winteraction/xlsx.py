"""Workbooks as an office prints them (台账): a merged title row, an optional line under it, a bold
header with a fill, frozen below the header, an autofilter over the table, widths by column kind, real
dates and numbers, and notes under the table. Domain-free: the apps give titles, columns and rows.

    xlsx.workbook(
        sheet="台账",
        title="冬季行动推进台账(截至 2026年12月5日)",
        columns=[xlsx.Column("序号", "index"), xlsx.Column("任务", "text"), xlsx.Column("完成时限", "date")],
        rows=[[1, "燃气管道巡检", datetime.date(2026, 12, 31)]],
    )  # -> the .xlsx bytes

A workbook of several sheets: `xlsx.workbooks([xlsx.Sheet(sheet=…, title=…, columns=…, rows=…), …])`.
"""

import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from django.utils.translation import gettext as _

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# kind: (width in characters, number format, wrap). A Chinese character is about two characters wide.
KINDS = {
    "index": (6, "0", False),  # 序号, 名次
    "code": (12, None, False),  # 编号
    "name": (16, None, True),  # a unit, a person, a status: short text
    "text": (36, None, True),  # free text: wrapped in a wide column
    "number": (9, "0", False),
    "decimal": (9, "0.0", False),
    "date": (12, "yyyy-mm-dd", False),
    "datetime": (17, "yyyy-mm-dd hh:mm", False),
}

HEADER_FILL = "DDEBF7"


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "name"
    width: float | None = None  # overrides the kind's
    number_format: str | None = None  # overrides the kind's

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; one of {', '.join(KINDS)}")

    @property
    def style(self) -> tuple[float, str | None, bool]:
        width, number_format, wrap = KINDS[self.kind]
        return self.width or width, self.number_format or number_format, wrap


def _is_formula_looking(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook with several (`workbooks`): the arguments of `workbook`."""

    sheet: str
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    subtitle: str = ""
    notes: Sequence[str] = ()


def workbook(
    *,
    sheet: str,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    subtitle: str = "",
    notes: Sequence[str] = (),
) -> bytes:
    """The .xlsx bytes of one sheet: row 1 `title` merged over the columns, row 2 `subtitle` if any, then
    the header and `rows` (one value per column: str, int, float, date, datetime (naive, local) or None),
    then `notes` one per row after a blank row."""
    return workbooks([Sheet(sheet, title, columns, rows, subtitle, notes)])


def workbooks(sheets: Sequence[Sheet]) -> bytes:
    """The .xlsx bytes of several sheets in this order, each laid out as `workbook` lays out its one."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    named: dict[tuple, str] = {}  # the book's named styles, shared by its sheets
    for sheet in sheets:
        _fill(book, book.create_sheet(sheet.sheet), sheet, named)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(book, ws, sheet: Sheet, named: dict[tuple, str]) -> None:
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
    from openpyxl.utils import get_column_letter

    columns = sheet.columns
    last = get_column_letter(len(columns))
    styles = [column.style for column in columns]

    ws.append([sheet.title])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    if sheet.subtitle:
        ws.append([sheet.subtitle])
        ws.merge_cells(f"A2:{last}2")
        ws["A2"].alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)

    header_row = ws.max_row + 1
    ws.append([column.header for column in columns])
    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    # One named style per column kind: setting a cell's font, border and format one by one costs ~1 ms a
    # row; a named style is one lookup (5,000 rows in about a second).
    for _width, number_format, wrap in styles:
        if (number_format, wrap) not in named:
            named[number_format, wrap] = f"wa-{len(named) + 1}"
            book.add_named_style(
                NamedStyle(
                    name=named[number_format, wrap],
                    border=border,
                    alignment=Alignment(vertical="top", wrap_text=wrap),
                    number_format=number_format or "General",
                )
            )
    names = [named[number_format, wrap] for _width, number_format, wrap in styles]
    count = 0
    for count, values in enumerate(sheet.rows, start=1):
        row = header_row + count
        for column, (value, name) in enumerate(zip(values, names, strict=True), start=1):
            cell = ws.cell(row=row, column=column, value=None if value == "" else value)
            cell.style = name
            if _is_formula_looking(value):
                # "=HYPERLINK(…)" stays the text it is: a string cell with Excel's quote prefix, as when
                # someone types '= in Excel. The value is unchanged, so it reads back (imports) the same.
                cell.data_type = "s"
                cell.quotePrefix = True

    ws.freeze_panes = f"A{header_row + 1}"
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + count}"
    for index, (width, _format, _wrap) in enumerate(styles, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width

    # Printed as offices print a ledger: landscape, as wide as the page, the header on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{header_row}:{header_row}"

    for offset, note in enumerate(sheet.notes, start=2):  # after a blank row
        ws.cell(row=header_row + count + offset, column=1, value=note)


def date_in_words(day: datetime.date) -> str:
    """2026年12月5日"""
    return _("%(year)d年%(month)d月%(day)d日") % {"year": day.year, "month": day.month, "day": day.day}


def attachment(filename: str, *, fallback: str) -> str:
    """A Content-Disposition for a download named `filename` (any script, RFC 5987/6266), with an
    ASCII `fallback` for clients that do not read `filename*`."""
    safe = "".join(ch for ch in filename if ch not in '\\/:*?"<>|\r\n')
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(safe, safe='')}"
