"""CSV and XLSX exports of a list: the same scope and filters as the JSON, Chinese column headers. A view
may build its own workbook (the task list's ledger) and answer with its bytes."""

import csv
import io
import json

from django.utils.translation import gettext_lazy as _
from rest_framework import renderers

from winteraction import xlsx
from winteraction.xlsx import XLSX_TYPE

# (key in the row dict, header)
TASK_COLUMNS = [
    ("code", _("编号")),
    ("title", _("任务名称")),
    ("special_action_name", _("专项行动")),
    ("lead_unit_name", _("牵头单位")),
    ("cooperating_unit_names", _("配合单位")),
    ("responsible_leader_name", _("责任领导")),
    ("start_date", _("开始日期")),
    ("deadline", _("完成时限")),
    ("progress", _("进度(%)")),
    ("status_display", _("状态")),
    ("is_overdue", _("逾期")),
    ("is_due_soon", _("临期")),
    ("is_behind", _("滞后")),
    ("lead_report_done", _("最新进展")),
    ("lead_report_problems", _("存在问题")),
    ("lead_report_next_steps", _("下步计划")),
    ("updated_at", _("更新时间")),
]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # A title like "=HYPERLINK(…)" must stay text in a spreadsheet, never become a formula.
        return "'" + value
    return "" if value is None else value


class _TableRenderer(renderers.BaseRenderer):
    columns = TASK_COLUMNS

    def rows(self, data):
        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        if not isinstance(data, list):  # an error body: render it as one cell
            return [["detail"], [data.get("detail", "") if isinstance(data, dict) else str(data)]]
        return [[str(header) for _key, header in self.columns]] + [
            [_cell(row.get(key)) for key, _header in self.columns] for row in data
        ]


class CSVRenderer(_TableRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        out.write("\ufeff")  # a BOM, so Excel opens the Chinese text as UTF-8
        csv.writer(out).writerows(self.rows(data))
        return out.getvalue().encode("utf-8")


class XLSXRenderer(_TableRenderer):
    """A view that built its workbook (a ledger) answers with its bytes, rendered as they are; any other
    body (an error) is written as a plain table through winteraction.xlsx."""

    media_type = XLSX_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        header, *rows = self.rows(data)
        return xlsx.workbook(
            sheet=str(_("任务清单")),
            title=str(_("任务清单")),
            columns=[xlsx.Column(str(name)) for name in header],
            rows=rows,
        )


# ---- Documents -----------------------------------------------------------------------------------------

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"


class _DocumentRenderer(renderers.BaseRenderer):
    """A download of a stored document: its bytes as they are. Lets a client ask for the document's
    type in `Accept`; an error body (a dict) is written as JSON."""

    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")


class PDFRenderer(_DocumentRenderer):
    media_type = PDF_TYPE
    format = "pdf"


class DOCXRenderer(_DocumentRenderer):
    media_type = DOCX_TYPE
    format = "docx"
