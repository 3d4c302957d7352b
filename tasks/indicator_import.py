"""The month's indicator figures from a sheet (.xlsx), and the entry rows a unit fills in.

`figures_import` checks the file with the task importer's guards (tasks.imports.check_workbook: size,
zip bombs, rows), reads the columns 指标名称, 类型(预计/实际), 数值, 差距原因, 措施 and, when present,
月份, checks every row (a problem names its cell: `C5: 数值"约3亿"不是数字`, an unknown indicator
gets suggestions, a row its unit may not report is refused as the services would), and only when
no row has a problem writes them all through `indicator_figure_report` in one transaction. A
refusal by a service rolls the whole file back and is reported on its row.

The task importer's `read_sheet` is not used: it recognises the task list's headers (专项行动, 任务 …)
and needs them; this sheet has its own five.
"""

import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from winteraction import xlsx

from .imports import MAX_ROWS, ImportRefused, check_workbook, read_upload, suggest
from .indicators import indicator_figure_report, may_report, month_start
from .models import Campaign, FigureKind, Indicator, IndicatorFigure, Person
from .spreadsheet import normalize_header

# ---- Months ---------------------------------------------------------------------------------------


def campaign_months(campaign: Campaign) -> list[datetime.date]:
    """The first day of every month the campaign runs in (November, December …)."""
    months, month = [], month_start(campaign.start_date)
    while month <= campaign.end_date:
        months.append(month)
        month = month_start(month + datetime.timedelta(days=31))
    return months


def parse_month(text) -> datetime.date | None:
    """`2026-11`, `2026/11`, `2026年11月`, a date: the month's first day; None if it is none of them."""
    if isinstance(text, datetime.datetime):
        text = text.date()
    if isinstance(text, datetime.date):
        return text.replace(day=1)
    match = re.fullmatch(
        r"\s*(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:月)?(?:\s*(?:-|/|\.)?\s*\d{1,2}\s*日?)?\s*",
        str(text or ""),
    )
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    return datetime.date(int(match[1]), int(match[2]), 1)


def month_label(month: datetime.date) -> str:
    return _("%(year)s年%(month)s月") % {"year": month.year, "month": month.month}


# ---- Values ---------------------------------------------------------------------------------------

MAX_VALUE = Decimal("1e12")  # the figure's field holds 12 digits before the point


def parse_value(text) -> Decimal:
    """A figure as typed: `3.25`, `1,234.5`, ` 12 `; a ValidationError in words otherwise."""
    if isinstance(text, bool):
        text = str(text)
    if isinstance(text, int | float):
        text = repr(text) if isinstance(text, float) else str(text)
    raw = str(text or "").strip()
    cleaned = raw.replace(",", "").replace(",", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(_('数值"%(value)s"不是数字') % {"value": raw}, code="not_a_number") from None
    if not value.is_finite():
        raise ValidationError(_('数值"%(value)s"不是数字') % {"value": raw}, code="not_a_number")
    if abs(value) >= MAX_VALUE:
        raise ValidationError(_('数值"%(value)s"超出范围') % {"value": raw}, code="out_of_range")
    return value.quantize(Decimal("0.0001"))


# ---- Who reports what -------------------------------------------------------------------------------


def reported_pairs(user: Person, indicators) -> list[tuple[Indicator, str]]:
    """(indicator, kind) the user reports, in the indicators' order (the office: all of them); the
    indicators come with their campaign's owner loaded (the predicates read it)."""
    return [
        (indicator, kind)
        for indicator in indicators
        for kind in (FigureKind.EXPECTED, FigureKind.ACTUAL)
        if may_report(user, indicator, kind)
    ]


def refusal(indicator: Indicator, kind: str) -> str:
    if kind == FigureKind.EXPECTED:
        return _("只有%(unit)s可以填报%(indicator)s的预计数。") % {
            "unit": indicator.responsible_unit.name,
            "indicator": indicator.name,
        }
    return _("只有%(unit)s可以填报%(indicator)s的实际数。") % {
        "unit": indicator.source_unit.name,
        "indicator": indicator.name,
    }


def error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, PermissionDenied):
        return str(error) or _("你没有权限执行此操作。")
    return " ".join(error.messages)


# ---- The sheet --------------------------------------------------------------------------------------

HEADER_ALIASES = {
    "name": ("指标名称", "指标"),
    "kind": ("类型", "数据类型", "类型(预计/实际)"),
    "value": ("数值", "数据", "完成值"),
    "gap_reason": ("差距原因",),
    "measures": ("措施", "下步措施"),
    "month": ("月份",),
}
FIELD_BY_HEADER = {
    normalize_header(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases
}
REQUIRED = ("name", "kind", "value")
HEADER_SCAN_ROWS = 10
KIND_BY_TEXT = {
    "预计": FigureKind.EXPECTED,
    "预计数": FigureKind.EXPECTED,
    "expected": FigureKind.EXPECTED,
    "实际": FigureKind.ACTUAL,
    "实际数": FigureKind.ACTUAL,
    "actual": FigureKind.ACTUAL,
}
TEXT_LENGTH = 2000


def _header_field(value) -> str | None:
    return FIELD_BY_HEADER.get(normalize_header(value))


def _cell(value):
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_figures_sheet(content: bytes) -> tuple[dict[str, str], list[tuple[int, dict]]]:
    """The columns (field → letter) and the non-empty data rows (row number, field → value) of the
    first worksheet that has the header row."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises anything on a broken file
        raise ImportRefused(
            _("文件不是有效的 .xlsx 工作簿,请用 Excel 或 WPS 另存为 .xlsx 后再上传。")
        ) from None
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            columns: dict[str, int] = {}
            header_row = 0
            for number, values in enumerate(rows, start=1):
                found = {}
                for index, value in enumerate(values[:100]):
                    name = _header_field(value) if value is not None else None
                    if name and name not in found:
                        found[name] = index
                if "name" in found and len(found) >= 2:
                    columns, header_row = found, number
                    break
                if number >= HEADER_SCAN_ROWS:
                    break
            if not header_row:
                continue
            missing = [HEADER_ALIASES[name][0] for name in REQUIRED if name not in columns]
            if missing:
                raise ImportRefused(
                    _("第 %(row)s 行的表头缺少必填列:%(columns)s。")
                    % {"row": header_row, "columns": "、".join(missing)}
                )
            data = []
            for number, values in enumerate(rows, start=header_row + 1):
                record = {
                    name: _cell(values[index]) if index < len(values) else None
                    for name, index in columns.items()
                }
                if all(value in (None, "") for value in record.values()):
                    continue
                data.append((number, record))
                if len(data) > MAX_ROWS:
                    raise ImportRefused(_("数据超过 %(limit)s 行,请拆分后分批导入。") % {"limit": MAX_ROWS})
            letters = {name: get_column_letter(index + 1) for name, index in columns.items()}
            return letters, data
    finally:
        book.close()
    raise ImportRefused(
        _("没有找到表头:前 %(rows)s 行中没有包含“指标名称”和“数值”的一行。") % {"rows": HEADER_SCAN_ROWS}
    )


# ---- Checking and writing -----------------------------------------------------------------------------


@dataclass
class FigureRow:
    row: int
    indicator: Indicator
    kind: str
    month: datetime.date
    value: Decimal
    gap_reason: str
    measures: str


@dataclass
class FiguresPlan:
    rows: list[FigureRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class FiguresRefused(ValidationError):
    """Some rows have problems: nothing was written. `problems` lists them, each with its cell."""

    def __init__(self, problems: list[str]):
        super().__init__(problems, code="figures_refused")
        self.problems = problems


def plan_figures(
    *, campaign: Campaign, content: bytes, month: datetime.date | None, by: Person
) -> FiguresPlan:
    """Every row checked against the campaign's indicators, their figures and the user's rights
    (a fixed number of queries: the indicators and the confirmed figures, read once)."""
    columns, records = read_figures_sheet(content)
    months = campaign_months(campaign)
    indicators = {
        indicator.name: indicator
        for indicator in Indicator.objects.filter(campaign=campaign).select_related(
            "campaign__owner", "responsible_unit", "source_unit"
        )
    }
    confirmed = set(
        IndicatorFigure.objects.filter(indicator__campaign=campaign, confirmed_at__isnull=False).values_list(
            "indicator_id", "month", "kind"
        )
    )
    plan = FiguresPlan()
    seen: dict[tuple, int] = {}
    for number, record in records:
        problems_before = len(plan.problems)

        def problem(name: str, message: str, number: int = number) -> None:
            plan.problems.append(f"{columns.get(name, 'A')}{number}: {message}")

        name = str(record.get("name") or "").strip()
        indicator = indicators.get(name)
        if not name:
            problem("name", _("缺少指标名称"))
        elif indicator is None:
            options = suggest(name, {key: key for key in indicators})
            if options:
                problem(
                    "name",
                    _('未知指标"%(name)s",是否为%(options)s?')
                    % {"name": name, "options": "、".join(f'"{option}"' for option in options)},
                )
            else:
                problem("name", _('未知指标"%(name)s"') % {"name": name})
        kind_text = str(record.get("kind") or "").strip()
        kind = KIND_BY_TEXT.get(kind_text.lower())
        if kind is None:
            problem("kind", _('类型"%(kind)s"应为"预计"或"实际"') % {"kind": kind_text})
        value = None
        if record.get("value") in (None, ""):
            problem("value", _("缺少数值"))
        else:
            try:
                value = parse_value(record["value"])
            except ValidationError as error:
                problem("value", error_text(error))
        row_month = month
        if record.get("month") not in (None, ""):
            row_month = parse_month(record["month"])
            if row_month is None:
                problem("month", _('月份"%(month)s"无法识别,请写作 2026-11') % {"month": record["month"]})
        if row_month is None and record.get("month") in (None, ""):
            problem("month", _("缺少月份:请在表中填写月份,或在页面上选择月份"))
        elif row_month is not None and row_month not in months:
            problem("month", _("%(month)s不在本次行动的月份内") % {"month": month_label(row_month)})
        for key in ("gap_reason", "measures"):
            if len(str(record.get(key) or "")) > TEXT_LENGTH:
                problem(key, _("内容超过 %(limit)s 字") % {"limit": TEXT_LENGTH})
        if len(plan.problems) > problems_before or indicator is None or kind is None or row_month is None:
            continue
        if not may_report(by, indicator, kind):
            problem("name", refusal(indicator, kind))
            continue
        key = (indicator.pk, row_month, kind)
        if key in seen:
            problem("name", _("与第 %(row)s 行重复(同一指标、月份和类型)") % {"row": seen[key]})
            continue
        seen[key] = number
        if key in confirmed:
            problem(
                "value",
                _("%(indicator)s%(month)s的%(kind)s数已确认,只能在网页上更正")
                % {
                    "indicator": indicator.name,
                    "month": month_label(row_month),
                    "kind": FigureKind(kind).label,
                },
            )
            continue
        plan.rows.append(
            FigureRow(
                row=number,
                indicator=indicator,
                kind=kind,
                month=row_month,
                value=value,
                gap_reason=str(record.get("gap_reason") or "").strip(),
                measures=str(record.get("measures") or "").strip(),
            )
        )
    if not records:
        plan.problems.append(_("表中没有数据行。"))
    return plan


def figures_import(*, campaign: Campaign, file, month: datetime.date | None, by: Person) -> int:
    """Check the file and write its figures, all or none (FiguresRefused lists the problems, each with
    its cell; ImportRefused refuses the file as a whole). Returns the number of figures written."""
    name, content = read_upload(file)
    check_workbook(name, content)
    plan = plan_figures(campaign=campaign, content=content, month=month, by=by)
    if plan.problems:
        raise FiguresRefused(plan.problems)
    problems = []
    with transaction.atomic():
        for row in plan.rows:
            try:
                indicator_figure_report(
                    indicator=row.indicator,
                    month=row.month,
                    kind=row.kind,
                    value=row.value,
                    gap_reason=row.gap_reason,
                    measures=row.measures,
                    by=by,
                )
            except (ValidationError, PermissionDenied) as error:
                problems.append(f"A{row.row}: {error_text(error)}")
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise FiguresRefused(problems)
    return len(plan.rows)


TEMPLATE_COLUMNS = [
    xlsx.Column("指标名称", "text", width=24),
    xlsx.Column("类型(预计/实际)", "name", width=10),
    xlsx.Column("数值", "decimal", width=12, number_format="0.00##"),
    xlsx.Column("差距原因", "text"),
    xlsx.Column("措施", "text"),
    xlsx.Column("月份", "name", width=10),
]


def figures_template(*, campaign: Campaign, month: datetime.date, by: Person) -> bytes:
    """The sheet to fill in: one row per figure the user reports that month (name, kind and month
    filled in; an unconfirmed figure already reported comes with its value and texts)."""
    indicators = list(
        Indicator.objects.filter(campaign=campaign)
        .select_related("campaign__owner", "responsible_unit", "source_unit")
        .order_by("sort_order", "id")
    )
    figures = {
        (figure.indicator_id, figure.kind): figure
        for figure in IndicatorFigure.objects.filter(indicator__campaign=campaign, month=month)
    }
    rows = []
    for indicator, kind in reported_pairs(by, indicators):
        figure = figures.get((indicator.pk, kind))
        if figure is not None and figure.confirmed_at is not None:
            continue
        rows.append(
            [
                indicator.name,
                str(FigureKind(kind).label),
                float(figure.value) if figure is not None else None,
                figure.gap_reason if figure is not None else "",
                figure.measures if figure is not None else "",
                f"{month:%Y-%m}",
            ]
        )
    return xlsx.workbook(
        sheet=_("指标填报"),
        title=_("%(campaign)s %(month)s 主要指标填报表")
        % {"campaign": campaign.name, "month": month_label(month)},
        subtitle=_(
            "填写“数值”(只填数字,单位见指标的计量单位),预计数未达目标的请写明差距原因和措施;已确认的数据不在表中,如需更正请在网页上操作。"
        ),
        columns=TEMPLATE_COLUMNS,
        rows=rows,
    )


def template_filename(campaign: Campaign, month: datetime.date) -> str:
    return _("%(campaign)s指标填报表-%(month)s.xlsx") % {"campaign": campaign.name, "month": f"{month:%Y-%m}"}
