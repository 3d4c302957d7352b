"""A bulletin (通报) as the documents an office sends: the .docx in the official layout, the PDF and the
xlsx attachments. Rendered from the bulletin's stored `sections` (the office's text) and `figures` (the
data frozen at the cutoff) ONLY, never from live data: an issued bulletin reads the same forever, and the
same bulletin renders the same bytes (the PDF is deterministic: see `bulletin_pdf`).

The layout follows GB/T 9704-2012 as the 督办单's print page does (templates/supervision/order_print.html):
A4, margins 37/35/28/26 mm (top/bottom/left/right), the red 版头 "<region>冬季行动督查通报" with a red rule
under the 期号 and the issuing office's line, the title in 小标宋 22 pt, the body in 仿宋 三号 (16 pt) with a
two-character first-line indent on a 28 pt line, headings 一、二、 in 黑体, the signature and the date at the
end, the page number "— 1 —" at the foot.

The documents are Chinese whoever renders them (the stored bytes must not depend on the language of the
person who pressed 印发): the labels go through gettext with Chinese forced (`translation.override`).
"""

import datetime
import functools
import io
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


def _local(moment: datetime.datetime | None) -> datetime.datetime | None:
    if moment is None:
        return None
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _date(value) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return _local(value).date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _number(value) -> str:
    """A score or a rate as printed: one decimal, "—" for none (a rate with nothing to measure)."""
    number = _decimal(value)
    return "—" if number is None else f"{number:.1f}"


def _plain(value) -> str:
    """An indicator's figure as reported, without trailing zeros."""
    number = _decimal(value)
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


def _ranking_table(figures: dict) -> Table:
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


def _lagging_table(figures: dict) -> Table:
    rows = []
    for task in (figures.get("lagging") or {}).get("tasks") or []:
        deadline = _date(task.get("deadline"))
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


def _indicator_table(figures: dict) -> Table:
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
    tables = {table.key: table for table in (_ranking_table(figures), _lagging_table(figures))}
    tables["indicators"] = _indicator_table(figures)
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

    issued_at = _local(getattr(bulletin, "issued_at", None))
    moment = issued_at or _local(bulletin.cutoff)
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


def _in_document_language(render):
    @functools.wraps(render)
    def wrapper(bulletin) -> bytes:
        with translation.override(DOCUMENT_LANGUAGE):
            return render(bulletin)

    return wrapper


# ---- .docx (python-docx) --------------------------------------------------------------------------------


def _run_fonts(run, east_asia: str, size: float, *, latin: str = LATIN, color=None, bold=False):
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = latin
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = RGBColor(*color)
    return run


def _line(paragraph, *, exact: float = LINE, before: float = 0, after: float = 0):
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(exact)
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.first_line_indent = None
    return paragraph


def _border(paragraph, side: str, *, color: str, size: int) -> None:
    """A rule along the paragraph (w:pBdr): the red 版头 rule, the 版记's lines."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))  # eighths of a point
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), color)
    borders.append(line)


def _indent_chars(paragraph, chars: int, size: float = BODY_SIZE) -> None:
    """First-line indent of `chars` characters: w:firstLineChars for Word, the points for the rest."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph.paragraph_format.first_line_indent = Pt(chars * size)
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(chars * 100))


def _page_number(section) -> None:
    """ "— 1 —" centred at the foot (a PAGE field), 宋体 四号 as GB/T 9704 has it."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run_fonts(paragraph.add_run("— "), SONGTI, 14)
    field_ = OxmlElement("w:fldSimple")
    field_.set(qn("w:instr"), "PAGE")
    paragraph._p.append(field_)
    number = paragraph.add_run("1")
    _run_fonts(number, SONGTI, 14)
    field_.append(number._element)  # the field's cached result, replaced by Word as it paginates
    _run_fonts(paragraph.add_run(" —"), SONGTI, 14)


def _docx_table(document, table: Table) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    caption = _line(document.add_paragraph(), exact=LINE, before=6)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run_fonts(caption.add_run(table.caption), HEITI, 14)

    grid = document.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = sum(table.widths)
    widths = [Mm(TEXT_WIDTH * width / total) for width in table.widths]
    header = grid.rows[0]
    flag = OxmlElement("w:tblHeader")  # the header row again on every page
    header._tr.get_or_add_trPr().append(flag)
    for cell, text, width in zip(header.cells, table.headers, widths, strict=True):
        cell.width = width
        paragraph = _line(cell.paragraphs[0], exact=18)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run_fonts(paragraph.add_run(text), HEITI, TABLE_SIZE)
    for index, values in enumerate(table.rows):
        color = RED if index in table.red else None
        for cell, text, width in zip(grid.add_row().cells, values, widths, strict=True):
            cell.width = width
            paragraph = _line(cell.paragraphs[0], exact=18)
            _run_fonts(paragraph.add_run(text), FANGSONG, TABLE_SIZE, color=color)
    layout = OxmlElement("w:tblLayout")  # the widths as given, not stretched to the longest text
    layout.set(qn("w:type"), "fixed")
    grid._tbl.tblPr.append(layout)


@_in_document_language
def bulletin_docx(bulletin) -> bytes:
    """The bulletin as a Word document in the official layout."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = page(bulletin)
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP), Mm(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT), Mm(MARGIN_RIGHT)
    section.footer_distance = Mm(28 - 7)  # the page number sits 7 mm under the type area
    _page_number(section)

    normal = document.styles["Normal"]
    normal.font.name = LATIN
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
    normal.font.size = Pt(BODY_SIZE)
    core = document.core_properties
    core.title, core.author, core.language = doc.title, doc.office, "zh-CN"
    # Word's dates are UTC: the issue time (a draft: its cutoff), not the moment of rendering.
    moment = doc.moment.astimezone(datetime.UTC) if timezone.is_aware(doc.moment) else doc.moment
    core.created = core.modified = moment.replace(tzinfo=None)
    core.last_modified_by, core.revision = doc.office, 1

    masthead = _line(document.add_paragraph(), exact=MASTHEAD_SIZE * 1.3, before=12)
    masthead.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run_fonts(masthead.add_run(doc.masthead), XIAOBIAOSONG, MASTHEAD_SIZE, color=RED)

    number = _line(document.add_paragraph(), before=18)
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run_fonts(number.add_run(doc.number), FANGSONG, BODY_SIZE, color=RED if doc.draft else None)

    office = _line(document.add_paragraph(), after=4)
    office.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)
    _run_fonts(office.add_run(f"{doc.office}\t{xlsx.date_in_words(doc.day)}"), FANGSONG, BODY_SIZE)
    _border(office, "bottom", color=RED_HEX, size=18)

    title = _line(document.add_paragraph(), exact=TITLE_SIZE * 1.6, before=LINE, after=LINE / 2)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run_fonts(title.add_run(doc.title), XIAOBIAOSONG, TITLE_SIZE)

    for part in doc.sections:
        heading = _line(document.add_paragraph())
        _indent_chars(heading, 2)
        _run_fonts(heading.add_run(part.heading), HEITI, BODY_SIZE)
        for text in part.paragraphs:
            body = _line(document.add_paragraph())
            body.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            _indent_chars(body, 2)
            body.add_run(text)  # the Normal style's 仿宋_GB2312 三号
        if part.table is not None:
            _docx_table(document, part.table)
    for table in doc.leftover:
        _docx_table(document, table)

    _line(document.add_paragraph())  # a blank line before the signature
    for text in (doc.office, doc.signed_line, doc.day_text):
        if not text:  # a draft not signed yet
            continue
        line = _line(document.add_paragraph())
        line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        line.paragraph_format.right_indent = Pt(BODY_SIZE * 2)
        line.add_run(text)
    if doc.issued:  # 版记: who printed it and when, between two rules
        imprint = _line(document.add_paragraph(), before=LINE)
        imprint.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)
        _border(imprint, "top", color="000000", size=8)
        _border(imprint, "bottom", color="000000", size=8)
        text = f"{doc.office}\t" + _("%(day)s印发") % {"day": xlsx.date_in_words(doc.day)}
        _run_fonts(imprint.add_run(text), FANGSONG, 14)

    out = io.BytesIO()
    document.save(out)
    return _stamped(out.getvalue(), doc.moment)


def _stamped(package: bytes, moment: datetime.datetime) -> bytes:
    """The .docx package again with every part dated `moment` (zip entries carry the time they were
    written): the same bulletin gives the same bytes, as its PDF does."""
    import zipfile

    stamp = moment.timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(package)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(entry))
    return out.getvalue()


# ---- PDF (reportlab) ---------------------------------------------------------------------------------------

CID_FONT = "STSong-Light"  # reportlab's built-in Adobe CID font: Chinese with no font file to ship


def _pdf_date(moment: datetime.datetime):
    """The PDF's CreationDate and ModDate: the bulletin's own moment, so the bytes do not change."""
    offset = moment.utcoffset() or datetime.timedelta()
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    stamp = f"D:{moment:%Y%m%d%H%M%S}{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"
    return lambda *_args: stamp


def _pdf_styles():
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    red = colors.Color(*(c / 255 for c in RED))
    base = ParagraphStyle("body", fontName=CID_FONT, fontSize=BODY_SIZE, leading=LINE, wordWrap="CJK")
    return {
        "masthead": ParagraphStyle(
            "masthead",
            base,
            fontSize=MASTHEAD_SIZE,
            leading=MASTHEAD_SIZE * 1.3,
            alignment=TA_CENTER,
            textColor=red,
            spaceBefore=12,
        ),
        "number": ParagraphStyle("number", base, alignment=TA_CENTER, spaceBefore=18),
        "draft": ParagraphStyle("draft", base, alignment=TA_CENTER, spaceBefore=18, textColor=red),
        "title": ParagraphStyle(
            "title",
            base,
            fontSize=TITLE_SIZE,
            leading=TITLE_SIZE * 1.6,
            alignment=TA_CENTER,
            spaceBefore=LINE,
            spaceAfter=LINE / 2,
        ),
        "heading": ParagraphStyle("heading", base, firstLineIndent=2 * BODY_SIZE),
        "body": ParagraphStyle("bodytext", base, firstLineIndent=2 * BODY_SIZE, alignment=TA_JUSTIFY),
        "right": ParagraphStyle("right", base, alignment=TA_RIGHT, rightIndent=2 * BODY_SIZE),
        "caption": ParagraphStyle("caption", base, fontSize=14, alignment=TA_CENTER, spaceBefore=6),
        "cell": ParagraphStyle("cell", base, fontSize=TABLE_SIZE - 1, leading=15),
        "cell-red": ParagraphStyle("cell-red", base, fontSize=TABLE_SIZE - 1, leading=15, textColor=red),
        "head": ParagraphStyle("head", base, fontSize=TABLE_SIZE - 1, leading=15, alignment=TA_CENTER),
        "imprint": ParagraphStyle("imprint", base, fontSize=14, leading=22),
    }, red


def _escape(text: str) -> str:
    """reportlab's Paragraph reads a little XML: the office's text is text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pdf_table(table: Table, styles) -> list:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, TableStyle
    from reportlab.platypus import Table as Grid

    total = sum(table.widths)
    widths = [TEXT_WIDTH * mm * width / total for width in table.widths]
    data = [[Paragraph(_escape(text), styles["head"]) for text in table.headers]]
    for index, values in enumerate(table.rows):
        style = styles["cell-red"] if index in table.red else styles["cell"]
        data.append([Paragraph(_escape(text), style) for text in values])
    grid = Grid(data, colWidths=widths, repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
            ]
        )
    )
    return [Paragraph(_escape(table.caption), styles["caption"]), grid]


def _office_line(doc: Page, styles):
    """The issuing office on the left, the date on the right, the red rule under them."""
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    right = ParagraphStyle("date", styles["number"], alignment=TA_RIGHT)
    left = ParagraphStyle("office", styles["number"], alignment=0)
    line = Table(
        [[Paragraph(_escape(doc.office), left), Paragraph(xlsx.date_in_words(doc.day), right)]],
        colWidths=[TEXT_WIDTH * mm * 0.6, TEXT_WIDTH * mm * 0.4],
    )
    line.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return line


@_in_document_language
def bulletin_pdf(bulletin) -> bytes:
    """The bulletin as a PDF in the same layout. Deterministic: reportlab's invariant mode (no random
    document id, no time stamp) and the creation date set to the bulletin's issue time (a draft: its
    cutoff), so the same bulletin renders the same bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import BaseDocTemplate, Frame, HRFlowable, PageTemplate, Paragraph, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    doc = page(bulletin)
    styles, red = _pdf_styles()

    story = [
        Paragraph(_escape(doc.masthead), styles["masthead"]),
        Paragraph(_escape(doc.number), styles["draft" if doc.draft else "number"]),
        _office_line(doc, styles),
        HRFlowable(width="100%", thickness=1.5, color=red, spaceBefore=2, spaceAfter=0),
        Paragraph(_escape(doc.title), styles["title"]),
    ]
    for part in doc.sections:
        story.append(Paragraph(_escape(part.heading), styles["heading"]))
        story += [Paragraph(_escape(text), styles["body"]) for text in part.paragraphs]
        if part.table is not None:
            story += _pdf_table(part.table, styles)
    for table in doc.leftover:
        story += _pdf_table(table, styles)
    story.append(Spacer(1, LINE))
    story.append(Paragraph(_escape(doc.office), styles["right"]))
    if doc.signer:
        story.append(Paragraph(_escape(doc.signed_line), styles["right"]))
    story.append(Paragraph(xlsx.date_in_words(doc.day), styles["right"]))
    if doc.issued:
        story.append(Spacer(1, LINE))
        story.append(HRFlowable(width="100%", thickness=0.7, color=colors.black, spaceAfter=2))
        imprint = f"{_escape(doc.office)}    " + _("%(day)s印发") % {"day": xlsx.date_in_words(doc.day)}
        story.append(Paragraph(imprint, styles["imprint"]))
        story.append(HRFlowable(width="100%", thickness=0.7, color=colors.black, spaceBefore=2))

    def decorate(canvas, _template):
        canvas.saveState()
        canvas.setFont(CID_FONT, 14)
        canvas.drawCentredString(A4[0] / 2, (MARGIN_BOTTOM - 14) * mm, f"— {canvas.getPageNumber()} —")
        if doc.draft:  # a draft says so across every page
            canvas.setFillColor(colors.Color(0.8, 0.8, 0.8, alpha=0.5))
            canvas.setFont(CID_FONT, 96)
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, _("草稿"))
        canvas.restoreState()

    class DatedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.setDateFormatter(_pdf_date(doc.moment))

    out = io.BytesIO()
    template = BaseDocTemplate(
        out,
        pagesize=A4,
        title=doc.title,
        author=doc.office,
        subject=doc.masthead,
        creator="WinterAction",
        lang="zh-CN",
        invariant=1,
    )
    # The frame is the type area itself (no padding): 156 × 225 mm inside the GB/T 9704 margins.
    area = Frame(
        MARGIN_LEFT * mm,
        MARGIN_BOTTOM * mm,
        TEXT_WIDTH * mm,
        (PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM) * mm,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    template.addPageTemplates([PageTemplate("bulletin", [area], onPage=decorate)])
    template.build(story, canvasmaker=DatedCanvas)
    return out.getvalue()


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
                _decimal(row.get("score")),
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
                _date(task.get("deadline")),
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
                *(_decimal(values.get(key)) for key in ("target", "expected", "actual", "completion", "gap")),
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


@_in_document_language
def bulletin_xlsx(bulletin) -> bytes:
    """The bulletin's attachments: sheets 排名, 滞后事项, 主要指标 from its frozen figures."""
    doc = page(bulletin)
    tables = {
        "ranking": _ranking_table(bulletin.figures or {}),
        "lagging": _lagging_table(bulletin.figures or {}),
        "indicators": _indicator_table(bulletin.figures or {}),
    }
    heading = f"{doc.title}({doc.number})"
    cutoff = _local(bulletin.cutoff)
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
