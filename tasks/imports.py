"""Import a task list (清单.xlsx): check the file, plan every row, show the plan, then commit it.

`import_preview` refuses a file that is too large, malicious or no workbook (`ImportRefused`), reads the
sheet (header row found among the first rows, merged cells filled down), resolves every name against
the campaign (units, leaders, special actions, existing tasks: loaded once, a fixed number of queries
whatever the number of rows) and stores the plan with the uploaded bytes in an `ImportBatch`. Nothing
else is written. `import_commit` plans again from the stored bytes (the tasks may have changed since
the preview) and, when no row has a problem, writes every row through the services in one transaction.
"""

import datetime
import difflib
import hashlib
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from . import permissions, seams, services
from .models import (
    OPEN_STATUSES,
    Campaign,
    ImportBatch,
    ImportStatus,
    Milestone,
    Person,
    Role,
    SpecialAction,
    Task,
    TaskCooperation,
    Unit,
)
from .spreadsheet import (
    COLUMNS,
    HEADERS,
    REQUIRED,
    SEQUENCE_HEADER,
    header_field,
    join_units,
    leader_label,
    parse_date,
    parse_milestones,
    person_name,
    split_units,
)

MAX_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
# A member smaller than this cannot hurt whatever its ratio (and tiny XML parts compress very well).
RATIO_FLOOR = 1024 * 1024
MAX_ROWS = 5000
HEADER_SCAN_ROWS = 10
MIN_HEADERS = 3
# Empty rows tolerated among the data (blank lines between sections, a formatted tail).
MAX_EMPTY_ROWS = 1000
# Headers are looked for in the first columns only (a list has a dozen; a ledger about twenty).
MAX_COLUMNS = 100
# The model fields' lengths: a longer cell is the row's problem, not a failed commit.
LENGTHS = {
    "code": Task._meta.get_field("code").max_length,
    "title": Task._meta.get_field("title").max_length,
    "special_action": SpecialAction._meta.get_field("name").max_length,
}
MILESTONE_TITLE_LENGTH = Milestone._meta.get_field("title").max_length


class ImportRefused(ValidationError):
    """The file as a whole is refused (too large, a zip bomb, too many rows, not an .xlsx workbook)."""

    def __init__(self, message):
        super().__init__(message, code="import_refused")


# ---- The file ------------------------------------------------------------------------------------


def read_upload(file) -> tuple[str, bytes]:
    """The name and the bytes of an uploaded file (a Django UploadedFile or any binary file object with
    a name), never reading more than one byte past the limit."""
    name = getattr(file, "name", "") or "清单.xlsx"
    name = name.replace("\\", "/").rsplit("/", 1)[-1][:255]
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ImportRefused(_("文件超过 10 MB,请拆分后分批导入。"))
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ImportRefused(_("文件超过 10 MB,请拆分后分批导入。"))
    return name, content


def check_workbook(name: str, content: bytes) -> None:
    """Refuse, before any XML is parsed, what is no .xlsx workbook or would unpack to too much."""
    lower = name.lower()
    if lower.endswith((".xls", ".csv", ".et", ".wps")):
        raise ImportRefused(_("只支持 .xlsx 格式的文件,请在 Excel 或 WPS 中“另存为”.xlsx 后再上传。"))
    if len(content) > MAX_BYTES:
        raise ImportRefused(_("文件超过 10 MB,请拆分后分批导入。"))
    not_xlsx = _("文件不是有效的 .xlsx 工作簿,请用 Excel 或 WPS 另存为 .xlsx 后再上传。")
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise ImportRefused(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRefused(not_xlsx) from None
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise ImportRefused(not_xlsx)
    bomb = _("文件解压后过大或压缩比异常,可能是恶意文件,已拒绝。")
    if sum(member.file_size for member in members) > MAX_UNCOMPRESSED:
        raise ImportRefused(bomb)
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise ImportRefused(bomb)
    rows, merged = _scan_sheets(content, members)
    if rows > MAX_ROWS + HEADER_SCAN_ROWS:
        raise ImportRefused(_too_many_rows())
    if merged > MAX_MERGED_CELLS:
        raise ImportRefused(_("合并单元格的范围过大,请取消整列或整行的合并后再上传。"))


def _too_many_rows() -> str:
    return _("数据超过 %(limit)s 行,请拆分后分批导入。") % {"limit": MAX_ROWS}


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_MERGE_TAG = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})\"")
# A merged range becomes one object per cell in openpyxl: a tiny file could claim a million rows.
MAX_MERGED_CELLS = 200_000


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _scan_sheets(content: bytes, members) -> tuple[int, int]:
    """The most <row> elements in one worksheet and the most cells its merged ranges cover, read from
    the XML as a byte stream (nothing parsed yet)."""
    most_rows = most_merged = 0
    overlap = 200  # longer than a row or mergeCell tag: a tag cut between two chunks is read once
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for member in members:
            if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
                continue
            rows, merges, tail = 0, set(), b""
            with archive.open(member) as stream:
                while chunk := stream.read(1 << 20):
                    data = tail + chunk
                    # Count the tags that start before the overlap kept for the next chunk.
                    cut = max(len(data) - overlap, 0)
                    rows += sum(1 for match in _ROW_TAG.finditer(data) if match.start() < cut)
                    merges.update(match.groups() for match in _MERGE_TAG.finditer(data))
                    tail = data[cut:]
                rows += len(_ROW_TAG.findall(tail))
            merged = sum(
                (abs(int(row2) - int(row1)) + 1) * (abs(_column_number(col2) - _column_number(col1)) + 1)
                for col1, row1, col2, row2 in merges
            )
            most_rows, most_merged = max(most_rows, rows), max(most_merged, merged)
    return most_rows, most_merged


# ---- The sheet ------------------------------------------------------------------------------------


@dataclass
class Sheet:
    title: str
    header_row: int
    columns: dict[str, str]  # field → column letter
    column_headers: dict[str, str]  # column letter → the header as written
    ignored: list[str]
    rows: list[tuple[int, dict]]  # (row number, field → value)


def _cell_value(value):
    """A cell as read: text stripped, whole floats as integers; a formula stays its text (never run)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float | datetime.date | datetime.time):
        return value
    text = getattr(value, "text", None)  # ArrayFormula, DataTableFormula
    return str(text if text is not None else value).strip() or None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def read_sheet(content: bytes) -> Sheet:
    """The first worksheet with a header row: its columns and non-empty data rows, merged cells filled
    with their top-left value."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        # Not read-only: merged ranges are only known to a fully loaded sheet. Never data_only: a
        # formula is read as its text.
        workbook = load_workbook(io.BytesIO(content), read_only=False, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises anything from KeyError to its own errors on a broken file
        raise ImportRefused(
            _("文件不是有效的 .xlsx 工作簿,请用 Excel 或 WPS 另存为 .xlsx 后再上传。")
        ) from None
    try:
        for worksheet in workbook.worksheets:
            if worksheet.sheet_state != "visible":
                continue
            grid = {}
            for row in worksheet.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, max_col=MAX_COLUMNS):
                for cell in row:
                    if cell.value is not None:
                        grid[(cell.row, cell.column)] = cell.value
            header_row = None
            for number in range(1, HEADER_SCAN_ROWS + 1):
                fields = [header_field(value) for (row, _col), value in grid.items() if row == number]
                if len({name for name in fields if name}) >= MIN_HEADERS:
                    header_row = number
                    break
            if header_row is None:
                continue
            return _read_rows(worksheet, header_row, get_column_letter)
    finally:
        workbook.close()
    raise ImportRefused(
        _(
            "没有找到表头:前 %(rows)s 行中没有一行包含至少 3 个可识别的列名(如 专项行动、任务、牵头单位、完成时限)。"
        )
        % {"rows": HEADER_SCAN_ROWS}
    )


def _read_rows(worksheet, header_row: int, get_column_letter) -> Sheet:
    columns, column_headers, ignored = {}, {}, []
    header_cells = next(worksheet.iter_rows(min_row=header_row, max_row=header_row, max_col=MAX_COLUMNS))
    for cell in header_cells:
        if cell.value is None or not str(cell.value).strip():
            continue
        letter = get_column_letter(cell.column)
        name = header_field(cell.value)
        if name is None or name in columns:
            ignored.append(f"{letter}: {str(cell.value).strip()}")
            continue
        columns[name] = letter
        column_headers[letter] = str(cell.value).strip()
    missing = [HEADERS[name] for name in REQUIRED if name not in columns]
    if missing:
        raise ImportRefused(
            _("第 %(row)s 行的表头缺少必填列:%(columns)s。")
            % {"row": header_row, "columns": "、".join(missing)}
        )
    from openpyxl.utils import column_index_from_string

    index = {name: column_index_from_string(letter) for name, letter in columns.items()}
    # Merged cells: every cell of a range reads the range's top-left value (a 专项行动 spanning ten
    # rows). Only the columns read and the rows that exist: a range may claim a million rows.
    filled = {}
    wanted = set(index.values())
    last_row = worksheet.max_row
    for merged in worksheet.merged_cells.ranges:
        if merged.min_row <= header_row:
            continue  # part of the header, or above it
        top_left = worksheet.cell(row=merged.min_row, column=merged.min_col).value
        columns_in = wanted.intersection(range(merged.min_col, merged.max_col + 1))
        for row in range(merged.min_row, min(merged.max_row, last_row) + 1):
            for column in columns_in:
                filled[(row, column)] = top_left
    # Rows far below the last one a list could have: openpyxl would make every empty cell up to them.
    if last_row > header_row + MAX_ROWS + MAX_EMPTY_ROWS:
        raise ImportRefused(_too_many_rows())
    rows = []
    for number, values in enumerate(
        worksheet.iter_rows(min_row=header_row + 1, max_col=max(wanted), values_only=True),
        start=header_row + 1,
    ):
        record = {}
        for name, column in index.items():
            value = values[column - 1] if column - 1 < len(values) else None
            if (number, column) in filled:
                value = filled[(number, column)]
            record[name] = _cell_value(value)
        if not any(value is not None for name, value in record.items() if name != "sequence"):
            continue
        rows.append((number, record))
        if len(rows) > MAX_ROWS:
            raise ImportRefused(_too_many_rows())
    return Sheet(
        title=worksheet.title,
        header_row=header_row,
        columns=columns,
        column_headers=column_headers,
        ignored=ignored,
        rows=rows,
    )


# ---- Names in the campaign -------------------------------------------------------------------------


def suggest(name: str, candidates: dict[str, str], limit: int = 3) -> list[str]:
    """Up to `limit` display names like `name`: containment first, then difflib's similarity."""
    found = []
    if len(name) >= 2:
        for key, label in candidates.items():
            if len(key) >= 2 and (name in key or key in name) and label not in found:
                found.append(label)
    for key in difflib.get_close_matches(name, list(candidates), n=limit * 2, cutoff=0.5):
        if candidates[key] not in found:
            found.append(candidates[key])
    return found[:limit]


def _unknown(cell: str, kind: str, name: str, suggestions: list[str]) -> str:
    """`D14: 未知单位"县应急局",是否为"县应急管理局"?` (kind: unit or leader)."""
    values = {"cell": cell, "name": name, "options": "、".join(f'"{option}"' for option in suggestions)}
    if kind == "unit":
        if suggestions:
            return _('%(cell)s: 未知单位"%(name)s",是否为%(options)s?') % values
        return _('%(cell)s: 未知单位"%(name)s"') % values
    if suggestions:
        return _('%(cell)s: 未知领导"%(name)s",是否为%(options)s?') % values
    return _('%(cell)s: 未知领导"%(name)s"') % values


class Names:
    """Everything a row may name, loaded once for the campaign (a fixed number of queries)."""

    def __init__(self, campaign: Campaign):
        owner = campaign.owner
        self.campaign = campaign
        units = list(Unit.objects.filter(path__startswith=owner.path).order_by("path"))
        self.units = {unit.pk: unit for unit in units}
        self.unit_keys: dict[str, list[Unit]] = defaultdict(list)
        self.unit_labels: dict[str, str] = {}
        for unit in units:
            for key in dict.fromkeys([unit.name, unit.full_name, *unit.alias_list]):
                if key:
                    self.unit_keys[key].append(unit)
                    self.unit_labels[key] = unit.name
        leaders = list(
            Person.objects.filter(
                role=Role.LEADER, is_active=True, unit__path__startswith=owner.path
            ).order_by("unit__path", "id")
        )
        self.leaders = {person.pk: person for person in leaders}
        self.leader_keys: dict[str, list[Person]] = defaultdict(list)
        self.leader_labels: dict[str, str] = {}
        for person in leaders:
            keys = [leader_label(person), str(person), person.username]
            for full in dict.fromkeys([person_name(person), person.get_full_name().strip()]):
                if full:
                    keys += [full, f"{full}({person.position})", f"{full}({person.position})"]
            for key in dict.fromkeys(k for k in keys if k):
                self.leader_keys[key].append(person)
                self.leader_labels[key] = leader_label(person)
        self.special_actions = {
            action.name: action for action in SpecialAction.objects.filter(campaign=campaign)
        }
        tasks = list(
            Task.objects.filter(campaign=campaign).select_related(
                "special_action", "lead_unit", "responsible_leader"
            )
        )
        self.tasks_by_code = {task.code: task for task in tasks}
        self.tasks_by_title = {(task.title, task.special_action.name): task for task in tasks}
        self.cooperating: dict[int, list[int]] = defaultdict(list)
        for task_id, unit_id in (
            TaskCooperation.objects.filter(task__campaign=campaign)
            .order_by("id")
            .values_list("task_id", "unit_id")
        ):
            self.cooperating[task_id].append(unit_id)
        self.milestones: dict[int, dict[str, datetime.date]] = defaultdict(dict)
        for task_id, title, due in Milestone.objects.filter(task__campaign=campaign).values_list(
            "task_id", "title", "due_date"
        ):
            self.milestones[task_id][title] = due
        self._suggestions: dict[tuple[str, str], list[str]] = {}

    def unit(self, name: str) -> tuple[Unit | None, str | None]:
        """The unit called `name`, or None and why (ambiguous or unknown)."""
        found = self.unit_keys.get(name, [])
        if len(found) == 1:
            return found[0], None
        if found:
            return None, "ambiguous"
        return None, "unknown"

    def leader(self, name: str) -> tuple[Person | None, str | None]:
        found = self.leader_keys.get(name, [])
        if len(found) == 1:
            return found[0], None
        return None, "ambiguous" if found else "unknown"

    def suggestions(self, kind: str, name: str) -> list[str]:
        key = (kind, name)
        if key not in self._suggestions:
            labels = self.unit_labels if kind == "unit" else self.leader_labels
            self._suggestions[key] = suggest(name, labels)
        return self._suggestions[key]

    def unit_name(self, pk: int | None) -> str:
        unit = self.units.get(pk)
        return unit.name if unit else ""


# ---- The plan ------------------------------------------------------------------------------------------


@dataclass
class RowPlan:
    row: int
    action: str = "create"
    task: Task | None = None
    code: str = ""
    title: str = ""
    special_action: str = ""
    description: str | None = None
    target: str | None = None
    lead_unit: Unit | None = None
    cooperating_units: list[Unit] | None = None
    responsible_leader: Person | None = None
    leader_given: bool = False
    start_date: datetime.date | None = None
    deadline: datetime.date | None = None
    milestones: list[tuple[datetime.date, str]] = field(default_factory=list)
    new_milestones: list[tuple[datetime.date, str]] = field(default_factory=list)
    changes: dict[str, list[str]] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (cell, message)
    # The cells as written, shown where a name could not be resolved.
    written: dict[str, str] = field(default_factory=dict)
    cooperating_written: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "row": self.row,
            "action": self.action,
            "task_id": self.task.pk if self.task else None,
            "code": self.code,
            "title": self.title,
            "special_action": self.special_action,
            "lead_unit": self.lead_unit.name if self.lead_unit else self.written.get("lead_unit", ""),
            "cooperating_units": self.cooperating_written,
            "responsible_leader": (
                leader_label(self.responsible_leader)
                if self.responsible_leader
                else self.written.get("responsible_leader", "")
            ),
            "start_date": self.start_date.isoformat() if self.start_date else "",
            "deadline": self.deadline.isoformat() if self.deadline else "",
            "milestones": [{"title": title, "due_date": due.isoformat()} for due, title in self.milestones],
            "changes": self.changes,
            "problems": [message for _cell, message in self.problems],
        }


@dataclass
class Plan:
    filename: str
    sha256: str
    sheet: Sheet
    rows: list[RowPlan]
    new_special_actions: list[str]

    @property
    def problems(self) -> list[dict]:
        return [
            {"cell": cell, "row": row.row, "message": message}
            for row in self.rows
            for cell, message in row.problems
        ]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"rows": len(self.rows), "create": 0, "update": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    def as_json(self) -> dict:
        return {
            "filename": self.filename,
            "sha256": self.sha256,
            "sheet": self.sheet.title,
            "header_row": self.sheet.header_row,
            "columns": {
                letter: HEADERS.get(name, SEQUENCE_HEADER) for name, letter in self.sheet.columns.items()
            },
            "ignored_columns": self.sheet.ignored,
            "counts": self.counts,
            "new_special_actions": self.new_special_actions,
            "problems": self.problems,
            "rows": [row.as_json() for row in self.rows],
        }


def _dates_text(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


class Planner:
    """Reads each row against the campaign's names and decides what it will do."""

    def __init__(self, campaign: Campaign, sheet: Sheet, names: Names):
        self.campaign = campaign
        self.sheet = sheet
        self.names = names
        self.seen_codes: dict[str, int] = {}
        self.seen_titles: dict[tuple[str, str], int] = {}
        self.new_special_actions: list[str] = []

    def cell(self, name: str, row: int) -> str:
        return f"{self.sheet.columns[name]}{row}"

    def plan(self) -> list[RowPlan]:
        return [self.plan_row(number, record) for number, record in self.sheet.rows]

    def plan_row(self, number: int, record: dict) -> RowPlan:
        plan = RowPlan(row=number)
        columns = self.sheet.columns

        def problem(name: str, message: str) -> None:
            plan.problems.append((self.cell(name, number), message))

        for name in REQUIRED:
            if record.get(name) is None:
                cell = self.cell(name, number)
                problem(name, _("%(cell)s: 请填写%(label)s") % {"cell": cell, "label": HEADERS[name]})
        plan.code = _text(record.get("code"))
        plan.title = _text(record.get("title"))
        plan.special_action = _text(record.get("special_action"))
        for name, limit in LENGTHS.items():
            if len(getattr(plan, name)) > limit:
                problem(
                    name,
                    _("%(cell)s: %(label)s超过 %(limit)s 个字")
                    % {"cell": self.cell(name, number), "label": HEADERS[name], "limit": limit},
                )
        if "description" in columns:
            plan.description = _text(record.get("description"))
        if "target" in columns:
            plan.target = _text(record.get("target"))
        self._units(plan, record, problem)
        self._leader(plan, record, problem)
        self._dates(plan, record, problem)
        self._match(plan, problem)
        self._milestones(plan, record, problem)
        if plan.task is not None and not plan.problems:
            self._changes(plan, problem)
        if plan.problems:
            plan.action = "error"
        elif plan.task is not None:
            plan.action = "update" if plan.changes else "unchanged"
        # Problems in the order of the columns, as the file reads.
        order = {
            letter: position for position, letter in enumerate(sorted(columns.values(), key=_column_key))
        }
        plan.problems.sort(key=lambda item: order.get(re.sub(r"\d+$", "", item[0]), 0))
        return plan

    def _units(self, plan: RowPlan, record: dict, problem) -> None:
        lead_text = _text(record.get("lead_unit"))
        plan.written["lead_unit"] = lead_text
        lead_cell = self.cell("lead_unit", plan.row)
        if lead_text:
            lead_names = split_units(lead_text)
            if len(lead_names) > 1:
                problem(
                    "lead_unit",
                    _('%(cell)s: 牵头单位只能填一个,"%(text)s"中有 %(count)s 个')
                    % {"cell": lead_cell, "text": lead_text, "count": len(lead_names)},
                )
            else:
                plan.lead_unit = self._unit(lead_names[0], "lead_unit", plan.row, problem)
        if "cooperating_units" in self.sheet.columns:
            plan.cooperating_units = []
            for name in split_units(_text(record.get("cooperating_units"))):
                unit = self._unit(name, "cooperating_units", plan.row, problem)
                label = unit.name if unit else name
                if label not in plan.cooperating_written:
                    plan.cooperating_written.append(label)
                if unit is None or unit in plan.cooperating_units:
                    continue
                if plan.lead_unit is not None and unit.pk == plan.lead_unit.pk:
                    problem(
                        "cooperating_units",
                        _('%(cell)s: 牵头单位"%(unit)s"不能同时是配合单位')
                        % {"cell": self.cell("cooperating_units", plan.row), "unit": unit.name},
                    )
                    continue
                plan.cooperating_units.append(unit)

    def _unit(self, name: str, column: str, row: int, problem) -> Unit | None:
        unit, why = self.names.unit(name)
        cell = self.cell(column, row)
        if why == "ambiguous":
            problem(column, _('%(cell)s: 单位名称"%(name)s"不唯一,请填写全称') % {"cell": cell, "name": name})
        elif why == "unknown":
            problem(column, _unknown(cell, "unit", name, self.names.suggestions("unit", name)))
        return unit

    def _leader(self, plan: RowPlan, record: dict, problem) -> None:
        if "responsible_leader" not in self.sheet.columns:
            return
        plan.leader_given = True
        name = _text(record.get("responsible_leader"))
        plan.written["responsible_leader"] = name
        if not name:
            return
        person, why = self.names.leader(name)
        cell = self.cell("responsible_leader", plan.row)
        if why == "ambiguous":
            problem(
                "responsible_leader",
                _('%(cell)s: 领导"%(name)s"不唯一,请写明姓名和职务') % {"cell": cell, "name": name},
            )
        elif why == "unknown":
            problem(
                "responsible_leader", _unknown(cell, "leader", name, self.names.suggestions("leader", name))
            )
        plan.responsible_leader = person

    def _date(self, name: str, record: dict, row: int, problem) -> datetime.date | None:
        value = record.get(name)
        if value is None:
            return None
        try:
            return parse_date(value, self.campaign.start_date)
        except ValueError:
            problem(
                name,
                _('%(cell)s: 无法识别的日期"%(text)s",请填写如"2026-12-15"或"12月15日前"')
                % {"cell": self.cell(name, row), "text": _text(value)},
            )
            return None

    def _dates(self, plan: RowPlan, record: dict, problem) -> None:
        if "start_date" in self.sheet.columns:
            plan.start_date = self._date("start_date", record, plan.row, problem)
        plan.deadline = self._date("deadline", record, plan.row, problem)

    def _match(self, plan: RowPlan, problem) -> None:
        names = self.names
        row = plan.row
        if plan.code:
            earlier = self.seen_codes.setdefault(plan.code, row)
            if earlier != row:
                problem(
                    "code",
                    _('%(cell)s: 编号"%(code)s"与第 %(row)s 行重复')
                    % {"cell": self.cell("code", row), "code": plan.code, "row": earlier},
                )
        if plan.title and plan.special_action:
            earlier = self.seen_titles.setdefault((plan.title, plan.special_action), row)
            if earlier != row:
                problem(
                    "title",
                    _('%(cell)s: 与第 %(row)s 行重复(同一专项行动下的同名任务"%(title)s")')
                    % {"cell": self.cell("title", row), "row": earlier, "title": plan.title},
                )
        task = names.tasks_by_code.get(plan.code) if plan.code else None
        if task is not None and plan.special_action and task.special_action.name != plan.special_action:
            problem(
                "special_action",
                _('%(cell)s: 编号"%(code)s"的任务属于专项行动"%(action)s",导入不能改变专项行动')
                % {
                    "cell": self.cell("special_action", row),
                    "code": plan.code,
                    "action": task.special_action.name,
                },
            )
        if task is None and plan.title and plan.special_action:
            task = names.tasks_by_title.get((plan.title, plan.special_action))
        plan.task = task
        if task is None:
            if plan.special_action and plan.special_action not in names.special_actions:
                if plan.special_action not in self.new_special_actions:
                    self.new_special_actions.append(plan.special_action)
            if plan.start_date is None:
                plan.start_date = self.campaign.start_date
        elif plan.start_date is None:
            plan.start_date = task.start_date
        if plan.start_date and plan.deadline and plan.deadline < plan.start_date:
            problem(
                "deadline",
                _("%(cell)s: 完成时限(%(deadline)s)早于开始日期(%(start)s)")
                % {
                    "cell": self.cell("deadline", row),
                    "deadline": plan.deadline.isoformat(),
                    "start": plan.start_date.isoformat(),
                },
            )

    def _milestones(self, plan: RowPlan, record: dict, problem) -> None:
        text = _text(record.get("milestones"))
        if not text:
            return
        cell = self.cell("milestones", plan.row) if "milestones" in self.sheet.columns else ""
        try:
            plan.milestones = parse_milestones(text, self.campaign.start_date)
        except ValueError as error:
            problem(
                "milestones",
                _(
                    '%(cell)s: 无法识别的节点"%(line)s",请每行填写一个,如"2026-12-10 完成摸排"或"12月10日前 完成摸排"'
                )
                % {"cell": cell, "line": error.args[0]},
            )
            return
        existing = self.names.milestones.get(plan.task.pk, {}) if plan.task else {}
        titles = set()
        for due, title in plan.milestones:
            if title in titles:
                problem("milestones", _('%(cell)s: 节点"%(title)s"重复') % {"cell": cell, "title": title})
                continue
            titles.add(title)
            if len(title) > MILESTONE_TITLE_LENGTH:
                problem(
                    "milestones",
                    _('%(cell)s: 节点"%(title)s"超过 %(limit)s 个字')
                    % {"cell": cell, "title": title[:20], "limit": MILESTONE_TITLE_LENGTH},
                )
                continue
            if title in existing:
                if existing[title] != due:
                    problem(
                        "milestones",
                        _('%(cell)s: 节点"%(title)s"已存在(时限 %(due)s),导入不修改已有节点')
                        % {"cell": cell, "title": title, "due": existing[title].isoformat()},
                    )
                continue
            if plan.deadline and due > plan.deadline:
                problem(
                    "milestones",
                    _('%(cell)s: 节点"%(title)s"的时限 %(due)s 晚于完成时限')
                    % {"cell": cell, "title": title, "due": due.isoformat()},
                )
            elif plan.start_date and due < plan.start_date:
                problem(
                    "milestones",
                    _('%(cell)s: 节点"%(title)s"的时限 %(due)s 早于开始日期')
                    % {"cell": cell, "title": title, "due": due.isoformat()},
                )
            else:
                plan.new_milestones.append((due, title))

    def _changes(self, plan: RowPlan, problem) -> None:
        task = plan.task
        names = self.names
        changes = {}
        for name in ("title", "description", "target"):
            value = getattr(plan, name)
            if value is not None and value != getattr(task, name):
                changes[name] = [getattr(task, name), value]
        if plan.lead_unit is not None and plan.lead_unit.pk != task.lead_unit_id:
            changes["lead_unit"] = [names.unit_name(task.lead_unit_id), plan.lead_unit.name]
        if plan.cooperating_units is not None:
            before = names.cooperating.get(task.pk, [])
            if set(before) != {unit.pk for unit in plan.cooperating_units}:
                changes["cooperating_units"] = [
                    join_units(names.unit_name(pk) for pk in before),
                    join_units(unit.name for unit in plan.cooperating_units),
                ]
        if plan.leader_given:
            new = plan.responsible_leader.pk if plan.responsible_leader else None
            if new != task.responsible_leader_id:
                old = names.leaders.get(task.responsible_leader_id) or task.responsible_leader
                changes["responsible_leader"] = [
                    leader_label(old) if old else "",
                    leader_label(plan.responsible_leader) if plan.responsible_leader else "",
                ]
        for name in ("start_date", "deadline"):
            value = getattr(plan, name)
            if value is not None and value != getattr(task, name):
                changes[name] = [_dates_text(getattr(task, name)), _dates_text(value)]
        if plan.new_milestones:
            existing = names.milestones.get(task.pk, {})
            changes["milestones"] = [
                "\n".join(
                    f"{due.isoformat()} {title}"
                    for title, due in sorted(existing.items(), key=lambda i: i[1])
                ),
                "\n".join(
                    f"{due.isoformat()} {title}"
                    for due, title in sorted([*((d, t) for t, d in existing.items()), *plan.new_milestones])
                ),
            ]
        if changes and task.status not in OPEN_STATUSES:
            problem(
                "title",
                _('%(cell)s: 任务"%(code)s"%(status)s,不能再修改')
                % {
                    "cell": self.cell("title", plan.row),
                    "code": task.code,
                    "status": task.get_status_display(),
                },
            )
        plan.changes = changes


def _column_key(letter: str) -> tuple[int, str]:
    return (len(letter), letter)


def plan_import(*, campaign: Campaign, filename: str, content: bytes) -> Plan:
    """Check the file and plan every row; reads only (a fixed number of queries)."""
    check_workbook(filename, content)
    sheet = read_sheet(content)
    names = Names(campaign)
    planner = Planner(campaign, sheet, names)
    rows = planner.plan()
    return Plan(
        filename=filename,
        sha256=hashlib.sha256(content).hexdigest(),
        sheet=sheet,
        rows=rows,
        new_special_actions=planner.new_special_actions,
    )


# ---- Services ----------------------------------------------------------------------------------------


def _require_office(by: Person, campaign: Campaign) -> None:
    services.require_office_for(by, campaign.owner, _("导入任务清单"))


def import_preview(*, campaign: Campaign, file, by: Person) -> ImportBatch:
    """Check and plan an uploaded task list; store it with its plan. No task is written."""
    campaign = Campaign.objects.select_related("owner").get(pk=campaign.pk)
    _require_office(by, campaign)
    filename, content = read_upload(file)
    plan = plan_import(campaign=campaign, filename=filename, content=content)
    preview = plan.as_json()
    return ImportBatch.objects.create(
        campaign=campaign,
        uploaded_by=by,
        uploaded_at=timezone.now(),
        filename=filename,
        sha256=plan.sha256,
        content=content,
        preview=preview,
        counts=preview["counts"],
    )


def import_commit(*, batch: ImportBatch, by: Person) -> ImportBatch:
    """Write a previewed batch: planned again from its bytes, refused when any row has a problem or the
    batch was already committed; every row through the services, in one transaction."""
    campaign = Campaign.objects.select_related("owner").get(pk=batch.campaign_id)
    _require_office(by, campaign)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == ImportStatus.COMMITTED:
            raise ValidationError(_("该文件已经导入过了,不能重复导入。"), code="already_committed")
        plan = plan_import(campaign=campaign, filename=batch.filename, content=bytes(batch.content))
        preview = plan.as_json()
        batch.preview = preview
        batch.counts = preview["counts"]
        if not plan.problems:
            if any(row.new_milestones for row in plan.rows):
                # milestone_add takes the region's office itself (no superuser shortcut): say so up front.
                if not permissions.is_office_in_region(by, campaign.owner):
                    raise PermissionDenied(
                        _("只有本地区的督查室可以%(action)s。") % {"action": _("导入带节点的任务清单")}
                    )
            # One inbox item per task for each unit, as when the office types them in, but told in a
            # few statements for the whole file rather than a few per task.
            with seams.handoffs_told_together():
                _write(plan, campaign, by)
            batch.status = ImportStatus.COMMITTED
            batch.committed_at = timezone.now()
            batch.committed_by = by
        batch.save()
    if plan.problems:
        raise ValidationError(
            _("文件中有 %(count)s 处问题,请修改后重新上传。") % {"count": len(plan.problems)},
            code="import_problems",
        )
    return batch


def _next_special_action_codes(campaign: Campaign, count: int) -> list[str]:
    taken = set(SpecialAction.objects.filter(campaign=campaign).values_list("code", flat=True))
    codes, number = [], 1
    while len(codes) < count:
        code = f"ZX{number:02d}"
        if code not in taken:
            codes.append(code)
        number += 1
    return codes


class _Codes:
    """The next free task code of each special action (what task_create would pick), worked out from
    the campaign's codes read once: task_create would read them all again for every new task."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.taken = list(Task.objects.filter(campaign=campaign).values_list("code", flat=True))
        self.highest: dict[str, int] = {}

    def take(self, code: str) -> None:
        self.taken.append(code)
        self.highest.clear()

    def next(self, action: SpecialAction) -> str:
        prefix = f"{self.campaign.code}-{action.code}-"
        if prefix not in self.highest:
            self.highest[prefix] = max(
                (
                    int(match.group(1))
                    for code in self.taken
                    if code.startswith(prefix) and (match := services.CODE_TAIL.search(code))
                ),
                default=0,
            )
        self.highest[prefix] += 1
        return f"{prefix}{self.highest[prefix]:03d}"


def _write(plan: Plan, campaign: Campaign, by: Person) -> None:
    actions = {action.name: action for action in SpecialAction.objects.filter(campaign=campaign)}
    if plan.new_special_actions:
        last = SpecialAction.objects.filter(campaign=campaign).aggregate(last=Max("sort_order"))["last"] or 0
        codes = _next_special_action_codes(campaign, len(plan.new_special_actions))
        for offset, (name, code) in enumerate(zip(plan.new_special_actions, codes, strict=True), start=1):
            actions[name] = services.special_action_create(
                campaign=campaign, name=name, code=code, by=by, sort_order=last + offset
            )
    codes = _Codes(campaign)
    for row in plan.rows:
        if row.action == "create" and row.code:
            codes.take(row.code)
    for row in plan.rows:
        if row.action == "create":
            note = _("由导入文件《%(file)s》第 %(row)s 行创建") % {"file": plan.filename, "row": row.row}
            action = actions[row.special_action]
            task = services.task_create(
                campaign=campaign,
                special_action=action,
                title=row.title,
                lead_unit=row.lead_unit,
                deadline=row.deadline,
                start_date=row.start_date,
                code=row.code or codes.next(action),
                description=row.description or "",
                target=row.target or "",
                cooperating_units=row.cooperating_units or [],
                responsible_leader=row.responsible_leader,
                by=by,
                note=note,
            )
        elif row.action == "update":
            note = _("由导入文件《%(file)s》第 %(row)s 行更新") % {"file": plan.filename, "row": row.row}
            task = row.task
            content = {
                name: getattr(row, name)
                for name in ("title", "description", "target", "start_date", "deadline")
                if name in row.changes
            }
            if content:
                task = services.task_update(task=task, by=by, note=note, **content)
            assignment = {}
            if "lead_unit" in row.changes:
                assignment["lead_unit"] = row.lead_unit
            if "cooperating_units" in row.changes or "lead_unit" in row.changes:
                if row.cooperating_units is not None:
                    assignment["cooperating_units"] = row.cooperating_units
            if "responsible_leader" in row.changes:
                assignment["responsible_leader"] = row.responsible_leader
            if assignment:
                task = services.task_assign(task=task, by=by, note=note, **assignment)
        else:
            continue
        for due, title in row.new_milestones:
            services.milestone_add(task=task, by=by, title=title, due_date=due, note=note)


# ---- The template --------------------------------------------------------------------------------------

TEMPLATE_ROWS = 1000
WIDTHS = {
    "sequence": 6,
    "code": 14,
    "special_action": 20,
    "title": 30,
    "description": 40,
    "target": 30,
    "lead_unit": 18,
    "cooperating_units": 24,
    "responsible_leader": 16,
    "start_date": 12,
    "deadline": 14,
    "milestones": 32,
}


def template_workbook(*, campaign: Campaign, by: Person) -> bytes:
    """A blank task list for the campaign: the header row, drop-down lists of its special actions, the
    owner's units and leaders (fed from a hidden sheet 选项), frozen header, sensible widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    campaign = Campaign.objects.select_related("owner").get(pk=campaign.pk)
    _require_office(by, campaign)
    owner = campaign.owner
    actions = list(SpecialAction.objects.filter(campaign=campaign).values_list("name", flat=True))
    units = list(
        Unit.objects.filter(path__startswith=owner.path).order_by("path").values_list("name", flat=True)
    )
    units = list(dict.fromkeys(units))
    leaders = [
        leader_label(person)
        for person in Person.objects.filter(
            role=Role.LEADER, is_active=True, unit__path__startswith=owner.path
        ).order_by("unit__path", "id")
    ]

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "清单"
    fields = ["sequence", *(name for name, _header in COLUMNS)]
    headers = [SEQUENCE_HEADER, *(header for _name, header in COLUMNS)]
    sheet.append(headers)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, name in enumerate(fields, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[name]
    sheet.freeze_panes = "A2"

    options = workbook.create_sheet("选项")
    options.sheet_state = "hidden"
    lists = {"special_action": actions, "lead_unit": units, "responsible_leader": leaders}
    ranges = {}
    for column, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(column)
        options.cell(row=1, column=column, value=HEADERS[name])
        for row, value in enumerate(values, start=2):
            options.cell(row=row, column=column, value=value)
        if values:
            ranges[name] = f"'选项'!${letter}${2}:${letter}${len(values) + 1}"
    ranges["cooperating_units"] = ranges.get("lead_unit")
    last = TEMPLATE_ROWS + 1
    for name in ("special_action", "lead_unit", "cooperating_units", "responsible_leader"):
        if not ranges.get(name):
            continue
        # 专项行动 may be new (created on import) and 配合单位 holds several units: any text is allowed there.
        strict = name in ("lead_unit", "responsible_leader")
        validation = DataValidation(
            type="list",
            formula1=f"={ranges[name]}",
            allow_blank=True,
            showErrorMessage=strict,
            errorTitle=_("不在清单中") if strict else None,
            error=_("请从下拉列表中选择。") if strict else None,
            showInputMessage=name == "cooperating_units",
            promptTitle=_("配合单位") if name == "cooperating_units" else None,
            prompt=_("可填写多个单位,用“、”分隔。") if name == "cooperating_units" else None,
        )
        letter = get_column_letter(fields.index(name) + 1)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def template_filename(campaign: Campaign) -> str:
    return _("%(campaign)s任务清单模板.xlsx") % {"campaign": campaign.name}
