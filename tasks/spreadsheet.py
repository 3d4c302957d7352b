"""The task list (清单) as a spreadsheet: its columns, their header names, and how dates and milestones
are written in a cell.

One module for both directions: the ledger export (台账) writes these header names and
`format_milestones`, the import (tasks/imports.py) recognises them (and their aliases) and reads the
dates and milestones back, so an exported ledger imports again unchanged.
"""

import calendar
import datetime
import re
import unicodedata
from collections.abc import Iterable

# ---- Columns -----------------------------------------------------------------------------------

# (field, header) in the order a ledger or a template writes them. 序号 comes first in a sheet but is
# informational only: it is no field of a task.
COLUMNS = [
    ("code", "编号"),
    ("special_action", "专项行动"),
    ("title", "任务"),
    ("description", "具体举措/内容"),
    ("target", "目标"),
    ("lead_unit", "牵头单位"),
    ("cooperating_units", "配合单位"),
    ("responsible_leader", "责任领导"),
    ("start_date", "开始日期"),
    ("deadline", "完成时限"),
    ("milestones", "节点/里程碑"),
]
SEQUENCE_HEADER = "序号"
HEADERS = dict(COLUMNS)

# What offices write at the top of a column, after `normalize_header`.
HEADER_ALIASES = {
    "sequence": ("序号",),
    "code": ("编号", "任务编号"),
    "special_action": ("专项行动", "行动"),
    "title": ("任务", "任务名称", "重点任务", "工作任务"),
    "description": ("具体举措", "内容", "具体举措/内容", "任务内容", "工作内容"),
    "target": ("目标", "目标/预期成效", "预期成效", "工作目标"),
    "lead_unit": ("牵头单位", "责任单位"),
    "cooperating_units": ("配合单位", "协办单位"),
    "responsible_leader": ("责任领导", "分管领导", "包联领导"),
    "start_date": ("开始日期", "开始时间"),
    "deadline": ("完成时限", "完成时间", "时限要求", "完成期限"),
    "milestones": ("节点/里程碑", "节点", "里程碑", "时间节点"),
}
FIELD_BY_HEADER = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
REQUIRED = ("special_action", "title", "lead_unit", "deadline")

_NOTE = re.compile(r"\([^()]*\)$")


def normalize_header(value) -> str:
    """A header cell as compared: full-width folded to half-width, without spaces, line breaks or a
    trailing note in brackets ("完成时限(必填)" → "完成时限")."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text)
    while _NOTE.search(text) and _NOTE.sub("", text):
        text = _NOTE.sub("", text)
    return text


def header_field(value) -> str | None:
    """The field a header cell names (`sequence` for 序号), or None."""
    return FIELD_BY_HEADER.get(normalize_header(value))


# ---- Units in one cell -------------------------------------------------------------------------

_UNIT_SEPARATORS = re.compile(r"[、,，;；\r\n]+")


def split_units(text: str) -> list[str]:
    """`县应急管理局、万安镇;山目乡` → the names, blanks dropped, repeats once, in order."""
    names = (part.strip() for part in _UNIT_SEPARATORS.split(text or ""))
    return list(dict.fromkeys(name for name in names if name))


def join_units(names: Iterable[str]) -> str:
    return "、".join(names)


def person_name(person) -> str:
    """A person's name as written in Chinese: family name first, no space (王强); Django's
    get_full_name() ("强 王") for names in Latin letters."""
    first, last = (person.first_name or "").strip(), (person.last_name or "").strip()
    if (first + last).isascii():
        return person.get_full_name().strip()
    return f"{last}{first}"


def leader_label(person) -> str:
    """How a leader is written in a cell: the full name with the position in brackets (王强(副县长)), or,
    for an account without a name, as the app shows the person (洪洞县县长)."""
    name = person_name(person)
    if name and person.position:
        return f"{name}({person.position})"
    return name or str(person)


# ---- Dates ------------------------------------------------------------------------------------

# Each pattern reads one date phrase from the start of the text; `end` says which day of the month.
_YEAR = r"(?:(?P<year>\d{4})\s*[年\-/.]\s*)"
_DATE_PATTERNS = [
    # 2026-12-15, 2026/12/15, 2026.12.15, 2026年12月15日
    re.compile(r"(?P<year>\d{4})\s*[\-/.年]\s*(?P<month>\d{1,2})\s*[\-/.月]\s*(?P<day>\d{1,2})\s*日?"),
    # (2026年)12月15日, 12月15号
    re.compile(_YEAR + r"?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]"),
    # (2026年)12月底, 12月末
    re.compile(_YEAR + r"?(?P<month>\d{1,2})\s*月\s*(?P<end>底|末)"),
    # (2026年)12月上旬 / 中旬 / 下旬
    re.compile(_YEAR + r"?(?P<month>\d{1,2})\s*月\s*(?P<part>上旬|中旬|下旬)"),
    # 12.15
    re.compile(r"(?P<month>\d{1,2})\.(?P<day>\d{1,2})(?!\d)"),
]
_BEFORE = re.compile(r"\s*(?:之前|以前|前)?")
_DONE = re.compile(r"\s*(?:完成)?\s*$")


def _fold(text: str) -> str:
    """Full-width digits and punctuation folded to half-width, one character for one (so positions in
    the folded text are positions in the original)."""
    folded = (unicodedata.normalize("NFKC", char) for char in text)
    return "".join(new if len(new) == 1 else old for new, old in zip(folded, text, strict=True))


def _year_for(month: int, campaign_start: datetime.date) -> int:
    """A date without a year falls inside the campaign: its start year, or the next one for a month
    before the start month (a campaign from November reads 1月 as next January)."""
    return campaign_start.year + (1 if month < campaign_start.month else 0)


def _date_from(match: re.Match, campaign_start: datetime.date) -> datetime.date:
    parts = match.groupdict()
    month = int(parts["month"])
    if not 1 <= month <= 12:
        raise ValueError("month")
    year = int(parts["year"]) if parts.get("year") else _year_for(month, campaign_start)
    last = calendar.monthrange(year, month)[1]
    if parts.get("day"):
        day = int(parts["day"])
    elif parts.get("end"):
        day = last
    else:
        day = {"上旬": 10, "中旬": 20, "下旬": last}[parts["part"]]
    return datetime.date(year, month, day)  # ValueError for 2月30日


def read_date_prefix(text: str, campaign_start: datetime.date) -> tuple[datetime.date, int] | None:
    """The date a text starts with and how many characters it takes (a trailing 前 / 之前 included),
    or None when it does not start with a date phrase. ValueError for a phrase naming no real date."""
    text = _fold(text)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            day = _date_from(match, campaign_start)
            rest = _BEFORE.match(text, match.end())
            return day, rest.end()
    return None


def parse_date(value, campaign_start: datetime.date) -> datetime.date:
    """A date cell: a real date as it is; text in one of the forms the office writes (2026-12-15,
    12月15日前, 12月底前, 12月下旬, 12.15 …). ValueError for anything else: never a guess."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value if value is not None else "").strip()
    found = read_date_prefix(text, campaign_start) if text else None
    if found is None or not _DONE.match(text, found[1]):
        raise ValueError(text)
    return found[0]


# ---- Milestones ------------------------------------------------------------------------------------

_MILESTONE_SEPARATORS = re.compile(r"[\r\n;；]+")
_TITLE_LEAD = re.compile(r"^[\s:：,，、\-—]+")


def format_milestones(milestones) -> str:
    """One milestone a line, `YYYY-MM-DD 标题`, in date order (models or dicts with title and due_date)."""

    def pair(milestone):
        if isinstance(milestone, dict):
            return milestone["due_date"], milestone["title"]
        return milestone.due_date, milestone.title

    lines = []
    for due, title in sorted(pair(m) for m in milestones):
        due = due.isoformat() if isinstance(due, datetime.date) else str(due)
        lines.append(f"{due} {title}")
    return "\n".join(lines)


def parse_milestones(text: str, campaign_start: datetime.date) -> list[tuple[datetime.date, str]]:
    """The milestones of one cell, one a line: `2026-12-10 完成摸排` or `12月10日前 完成摸排`.
    ValueError(line) for the first line that is not a date followed by a title."""
    milestones = []
    for line in _MILESTONE_SEPARATORS.split(text or ""):
        line = line.strip()
        if not line:
            continue
        try:
            found = read_date_prefix(line, campaign_start)
        except ValueError:
            found = None
        title = _TITLE_LEAD.sub("", line[found[1] :]).strip() if found else ""
        if not found or not title:
            raise ValueError(line)
        milestones.append((found[0], title))
    return milestones
