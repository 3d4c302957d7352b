"""The bulletin as a Word document (python-docx) in the official layout."""

import datetime
import io

from django.utils import timezone
from django.utils.translation import gettext as _

from winteraction import xlsx

from .layout import (
    BODY_SIZE,
    FANGSONG,
    HEITI,
    LATIN,
    LINE,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MASTHEAD_SIZE,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RED,
    RED_HEX,
    SONGTI,
    TABLE_SIZE,
    TEXT_WIDTH,
    TITLE_SIZE,
    XIAOBIAOSONG,
    Table,
    in_document_language,
    page,
)

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


@in_document_language
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
