"""The ranking as an Excel workbook (排名.xlsx): the rows of `dashboard.ranking`, the same figures as the
page and the API, as numbers (a rate is a number with a % format, not text), one sheet, a header row
frozen, then the formula and the rule for empty rates under the table."""

import datetime
import io

from django.utils.translation import gettext as _

from tasks.models import UnitKind


def _columns() -> list[tuple[str, str, str | None]]:
    """(row key, header, number format); the rates are percentages 0–100 with one decimal."""
    rate = "0.0"
    return [
        ("rank", _("名次"), "0"),
        ("tied", _("并列"), None),
        ("name", _("单位"), None),
        ("kind", _("单位类别"), None),
        ("score", _("得分"), "0.0"),
        ("tasks", _("牵头任务"), "0"),
        ("closed", _("已销号"), "0"),
        ("overdue", _("逾期任务"), "0"),
        ("overdue_days", _("逾期天数"), "0"),
        ("on_time_rate", _("按期完成率(%)"), rate),
        ("timeliness", _("填报及时率(%)"), rate),
        ("completion_rate", _("完成率(%)"), rate),
        ("returned", _("销号退回次数"), "0"),
        ("open_orders", _("未销号督办单"), "0"),
        ("overdue_orders", _("逾期督办单"), "0"),
    ]


def _value(key: str, row: dict):
    value = row[key]
    if key == "tied":
        return _("并列") if value else ""
    if key == "kind":
        return str(UnitKind(value).label)
    return value  # None stays an empty cell: nothing to measure, or not ranked


def ranking_workbook(ranking: dict, *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = _columns()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("单位排名")
    sheet.append([header for _key, header, _format in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for group in ranking["groups"]:
        for row in group["rows"]:
            sheet.append([_value(key, row) for key, _header, _format in columns])
            for cell, (_key, _header, number_format) in zip(sheet[sheet.max_row], columns, strict=True):
                if number_format and cell.value is not None:
                    cell.number_format = number_format
    sheet.append([])
    sheet.append([title])
    sheet.append([ranking["formula"]])
    sheet.append([ranking["empty_rule"]])
    sheet.append([_("统计日:%(day)s") % {"day": ranking["today"].isoformat()}])
    for letter, width in zip("ABCDEFGHIJKLMNO", (6, 6, 18, 10, 8), strict=False):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ranking_filename(campaign, special_action, county, today: datetime.date) -> str:
    """排名_<campaign>[_<special action>][_<county>]_<date>.xlsx"""
    parts = [_("单位排名"), campaign.name if campaign is not None else _("全部行动")]
    parts += [row.name for row in (special_action, county) if row is not None]
    parts.append(today.strftime("%Y%m%d"))
    name = "_".join(parts)
    return "".join(ch for ch in name if ch not in '\\/:*?"<>|') + ".xlsx"
