"""The bulletin's attachments as one workbook: 排名, 滞后事项, 主要指标."""

from django.utils.translation import gettext as _

from winteraction import xlsx

from .layout import (
    Table,
    as_date,
    as_decimal,
    in_document_language,
    indicator_values,
    indicators_table,
    lagging_table,
    local_time,
    page,
    ranking_table,
)

# ---- xlsx attachments ---------------------------------------------------------------------------------------


def _cells(table: Table, bulletin) -> list[list]:
    """The rows as numbers and dates where they are (an Excel user sorts and sums them)."""
    figures = bulletin.figures or {}
    if table.key == "ranking":
        return [
            [
                row.get("kind_label", ""),
                row.get("place"),
                _("并列") if row.get("tied") else "",
                row.get("unit", ""),
                as_decimal(row.get("score")),
                row.get("previous_place"),
            ]
            for row in figures.get("ranking") or []
        ]
    if table.key == "lagging":
        return [
            [
                task.get("code", ""),
                task.get("title", ""),
                task.get("unit", ""),
                as_date(task.get("deadline")),
                task.get("days_overdue"),
                task.get("last_problems") or "",
            ]
            for task in (figures.get("lagging") or {}).get("tasks") or []
        ]
    rows = []
    for row in figures.get("indicators") or []:
        values = indicator_values(row, figures.get("indicators_month"))
        rows.append(
            [
                values.get("name", ""),
                values.get("measure", ""),
                values["responsible_unit"],
                *(
                    as_decimal(values.get(key))
                    for key in ("target", "expected", "actual", "completion", "gap")
                ),
                _("是") if values.get("behind") else "",
            ]
        )
    return rows


def _sheet_columns(key: str) -> list:
    if key == "ranking":
        return [
            xlsx.Column(_("类别"), "name", width=10),
            xlsx.Column(_("名次"), "index"),
            xlsx.Column(_("并列"), "name", width=6),
            xlsx.Column(_("单位"), "name", width=18),
            xlsx.Column(_("得分"), "decimal"),
            xlsx.Column(_("上期名次"), "index", width=10),
        ]
    if key == "lagging":
        return [
            xlsx.Column(_("编号"), "code"),
            xlsx.Column(_("任务"), "text"),
            xlsx.Column(_("牵头单位"), "name"),
            xlsx.Column(_("完成时限"), "date"),
            xlsx.Column(_("逾期天数"), "number", width=10),
            xlsx.Column(_("最近存在问题"), "text"),
        ]
    return [
        xlsx.Column(_("指标"), "text", width=24),
        xlsx.Column(_("计量单位"), "name", width=10),
        xlsx.Column(_("责任单位"), "name"),
        xlsx.Column(_("目标"), "decimal", width=12, number_format="General"),
        xlsx.Column(_("预计"), "decimal", width=12, number_format="General"),
        xlsx.Column(_("实际"), "decimal", width=12, number_format="General"),
        xlsx.Column(_("完成率(%)"), "decimal", width=12),
        xlsx.Column(_("差距"), "decimal", width=12, number_format="General"),
        xlsx.Column(_("滞后"), "name", width=8),
    ]


def _sheets() -> list[tuple[str, str]]:
    return [("ranking", _("排名")), ("lagging", _("滞后事项")), ("indicators", _("主要指标"))]


@in_document_language
def bulletin_xlsx(bulletin) -> bytes:
    """The bulletin's attachments: sheets 排名, 滞后事项, 主要指标 from its frozen figures."""
    doc = page(bulletin)
    tables = {
        "ranking": ranking_table(bulletin.figures or {}),
        "lagging": lagging_table(bulletin.figures or {}),
        "indicators": indicators_table(bulletin.figures or {}),
    }
    heading = f"{doc.title}({doc.number})"
    cutoff = local_time(bulletin.cutoff)
    subtitle = _("数据截至 %(moment)s") % {"moment": f"{xlsx.date_in_words(cutoff.date())} {cutoff:%H:%M}"}
    sheets = []
    for key, name in _sheets():
        sheets.append(
            xlsx.Sheet(
                sheet=name,
                title=f"{heading} {tables[key].caption}",
                subtitle=subtitle,
                columns=_sheet_columns(key),
                rows=_cells(tables[key], bulletin),
            )
        )
    return xlsx.workbooks(sheets)
