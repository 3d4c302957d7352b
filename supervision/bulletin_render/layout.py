"""What every output of a bulletin prints (`page`), read from its stored sections and figures only, and
the page the documents share: GB/T 9704 sizes, fonts and the red of the 版头."""

import datetime
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tasks.spreadsheet import person_name
from winteraction import xlsx

DOCUMENT_LANGUAGE = "zh-hans"
RED = (0xC8, 0x16, 0x1D)  # the 版头's red, as on the 督办单's print page
RED_HEX = "C8161D"

# GB/T 9704: A4 and the margins of the type area (156 × 225 mm), in millimetres.
PAGE_WIDTH, PAGE_HEIGHT = 210, 297
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 37, 35, 28, 26
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT

BODY_SIZE = 16  # 三号
LINE = 28  # points: 22 lines on the type area
TITLE_SIZE = 22  # 二号
MASTHEAD_SIZE = 30
TABLE_SIZE = 12  # 小四: the tables are denser than the text

FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
LATIN = "Times New Roman"

NUMERALS = "一二三四五六七八九十"
_NUMBERED = re.compile(r"^[一二三四五六七八九十]+、")


# ---- What every output prints -------------------------------------------------------------------------


@dataclass
class Table:
    key: str  # "ranking", "lagging", "indicators": the section it follows and the xlsx sheet
    caption: str
    headers: list[str]
    widths: list[float]  # relative
    rows: list[list[str]]  # as printed
    red: set[int] = field(default_factory=set)  # rows printed in red (an indicator behind its target)


@dataclass
class Section:
    heading: str
    paragraphs: list[str]
    table: Table | None = None


@dataclass
class Page:
    masthead: str
    number: str  # 第N期, or 草稿
    office: str
    day: datetime.date
    title: str
    sections: list[Section]
    leftover: list[Table]  # tables whose section the office removed: printed at the end
    signer: str
    issued: bool
    draft: bool
    moment: datetime.datetime  # the issue time, or the cutoff: the PDF's creation date

    @property
    def day_text(self) -> str:
        """2026年12月5日: the date under the signature and on the office's line."""
        return xlsx.date_in_words(self.day)

    @property
    def signed_line(self) -> str:
        return _("签发:%(name)s") % {"name": self.signer} if self.signer else ""


def local_time(moment: datetime.datetime | None) -> datetime.datetime | None:
    if moment is None:
        return None
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def as_date(value) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return local_time(value).date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def as_decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _number(value) -> str:
    """A score or a rate as printed: one decimal, "—" for none (a rate with nothing to measure)."""
    number = as_decimal(value)
    return "—" if number is None else f"{number:.1f}"


def _plain(value) -> str:
    """An indicator's figure as reported, without trailing zeros."""
    number = as_decimal(value)
    if number is None:
        return "—"
    return f"{number.normalize():f}"


def _numbered(index: int, heading: str) -> str:
    """一、总体情况: the heading as stored, numbered when the office wrote it without its numeral."""
    heading = (heading or "").strip()
    if _NUMBERED.match(heading) or index >= len(NUMERALS):
        return heading
    return f"{NUMERALS[index]}、{heading}"


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _kind_display(bulletin) -> str:
    display = getattr(bulletin, "get_kind_display", None)
    return str(display()) if callable(display) else str(getattr(bulletin, "kind", ""))


def ranking_table(figures: dict) -> Table:
    rows = []
    for row in figures.get("ranking") or []:
        place, previous = row.get("place"), row.get("previous_place")
        if place is None:
            shown = "—"
        else:
            shown = _("%(place)s(并列)") % {"place": place} if row.get("tied") else str(place)
        if place is None or previous is None:
            change = "—"
        elif previous > place:
            change = f"↑{previous - place}"
        elif previous < place:
            change = f"↓{place - previous}"
        else:
            change = _("持平")
        rows.append(
            [
                str(row.get("kind_label", "")),
                shown,
                str(row.get("unit", "")),
                _number(row.get("score")),
                str(previous or "—"),
                change,
            ]
        )
    return Table(
        "ranking",
        _("争先进位排名"),
        [_("类别"), _("名次"), _("单位"), _("得分"), _("上期名次"), _("升降")],
        [1.4, 1.4, 3.0, 1.1, 1.3, 1.0],
        rows,
    )


def lagging_table(figures: dict) -> Table:
    rows = []
    for task in (figures.get("lagging") or {}).get("tasks") or []:
        deadline = as_date(task.get("deadline"))
        rows.append(
            [
                str(task.get("code", "")),
                str(task.get("title", "")),
                str(task.get("unit", "")),
                xlsx.date_in_words(deadline) if deadline else "—",
                str(task.get("days_overdue") if task.get("days_overdue") is not None else "—"),
                str(task.get("last_problems") or "—"),
            ]
        )
    return Table(
        "lagging",
        _("滞后事项"),
        [_("编号"), _("任务"), _("牵头单位"), _("完成时限"), _("逾期天数"), _("最近存在问题")],
        [1.3, 2.8, 1.6, 1.8, 1.0, 3.0],
        rows,
    )


def indicator_values(row: dict, month: str | None = None) -> dict:
    """One indicator's figures for the bulletin's month (`figures["indicators_month"]`): the row of
    `tasks.indicators.indicator_table` with the cell of that month ("months": a list of cells with their
    "month", or a dict by month; the last one when the month is not given) laid over it."""
    values = dict(row)
    months = row.get("months")
    cell = None
    if isinstance(months, dict) and months:
        cell = months.get(month) if month else list(months.values())[-1]
    elif isinstance(months, list) and months:
        cell = next((c for c in months if str(c.get("month")) == month), None) if month else months[-1]
    values.update(cell or {})
    unit = values.get("responsible_unit")
    values["responsible_unit"] = unit.get("name", "") if isinstance(unit, dict) else (unit or "")
    return values


def indicators_table(figures: dict) -> Table:
    rows, red = [], set()
    month = figures.get("indicators_month")
    for index, row in enumerate(figures.get("indicators") or []):
        values = indicator_values(row, month)
        if values.get("behind"):
            red.add(index)
        rows.append(
            [
                str(values.get("name", "")),
                str(values.get("measure", "")),
                str(values["responsible_unit"]),
                _plain(values.get("target")),
                _plain(values.get("expected")),
                _plain(values.get("actual")),
                _number(values.get("completion")),
                _plain(values.get("gap")),
            ]
        )
    return Table(
        "indicators",
        _("主要指标完成情况"),
        [_("指标"), _("计量单位"), _("责任单位"), _("目标"), _("预计"), _("实际"), _("完成率(%)"), _("差距")],
        [2.6, 1.1, 1.6, 1.1, 1.1, 1.1, 1.2, 1.1],
        rows,
        red,
    )


# A section's table: by its key as BUL-CORE writes the default sections, or by a word in its heading.
_TABLE_OF_SECTION = {"ranking": "ranking", "lagging": "lagging", "indicators": "indicators"}
_TABLE_BY_HEADING = (("排名", "ranking"), ("滞后", "lagging"), ("指标", "indicators"))


def _table_key(section: dict) -> str | None:
    key = _TABLE_OF_SECTION.get(section.get("key", ""))
    if key:
        return key
    heading = section.get("heading", "")
    return next((table for word, table in _TABLE_BY_HEADING if word in heading), None)


def page(bulletin) -> Page:
    """What the documents print, read from the bulletin's stored sections and figures only."""
    figures = bulletin.figures or {}
    tables = {table.key: table for table in (ranking_table(figures), lagging_table(figures))}
    tables["indicators"] = indicators_table(figures)
    sections, placed = [], set()
    for index, stored in enumerate(bulletin.sections or []):
        key = _table_key(stored)
        table = tables.get(key) if key not in placed else None
        if table is not None and table.rows:
            placed.add(key)
        else:
            table = None
        sections.append(
            Section(_numbered(index, stored.get("heading", "")), _paragraphs(stored.get("text")), table)
        )
    leftover = [table for key, table in tables.items() if key not in placed and table.rows]

    issued_at = local_time(getattr(bulletin, "issued_at", None))
    moment = issued_at or local_time(bulletin.cutoff)
    number = getattr(bulletin, "number", None)
    status = getattr(bulletin, "status", "")
    issued = status == "issued"
    signer = getattr(bulletin, "signed_by", None)
    region = bulletin.region.name
    return Page(
        masthead=_("%(region)s冬季行动督查通报") % {"region": region},
        number=_("第%(number)s期") % {"number": number} if issued and number else _("草稿"),
        office=_("%(region)s冬季行动督查室") % {"region": region},
        day=moment.date(),
        title=bulletin.title or _kind_display(bulletin),
        sections=sections,
        leftover=leftover,
        signer=(person_name(signer) or str(signer)) if signer is not None else "",
        issued=issued,
        draft=not issued,
        moment=moment,
    )


def document_name(bulletin) -> str:
    """A download's name without its suffix: the title and 第N期, or (草稿) before issue."""
    if getattr(bulletin, "status", "") == "issued" and bulletin.number:
        return _("%(title)s第%(number)s期") % {"title": bulletin.title, "number": bulletin.number}
    return _("%(title)s(草稿)") % {"title": bulletin.title}


def filename(bulletin, suffix: str) -> str:
    return f"{document_name(bulletin)}.{suffix}"


def in_document_language(render):
    @functools.wraps(render)
    def wrapper(bulletin) -> bytes:
        with translation.override(DOCUMENT_LANGUAGE):
            return render(bulletin)

    return wrapper
