"""The bulletin as a PDF (reportlab): the same layout, deterministic bytes."""

import datetime
import io

from django.utils.translation import gettext as _

from winteraction import xlsx

from .layout import (
    BODY_SIZE,
    LINE,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_TOP,
    MASTHEAD_SIZE,
    PAGE_HEIGHT,
    RED,
    TABLE_SIZE,
    TEXT_WIDTH,
    TITLE_SIZE,
    Page,
    Table,
    in_document_language,
    page,
)

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


@in_document_language
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
