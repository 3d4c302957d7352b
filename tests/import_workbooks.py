"""Task lists (.xlsx) as an office would fill them, built with openpyxl: for the import pages' tests,
the browser test and the benchmark."""

import io

import openpyxl

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["序号", "专项行动", "任务", "牵头单位", "配合单位", "开始日期", "完成时限", "节点/里程碑"]


def task_list_bytes(rows, *, headers=HEADERS, title: str | None = None, merge: list[str] = ()) -> bytes:
    """A workbook: an optional title row, the header row, then `rows` (lists in the headers' order).
    `merge` names ranges to merge (e.g. "B3:B5"), as offices merge a special action's cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "任务清单"
    if title:
        sheet.append([title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for cells in merge:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=XLSX)
