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

from .attachments import bulletin_xlsx
from .layout import RED, RED_HEX, Page, Section, Table, document_name, filename, indicator_values, page
from .pdf import bulletin_pdf
from .word import bulletin_docx


def document(bulletin, kind: str) -> bytes:
    """The bulletin's .pdf or .docx as a download gives it: once issued, the bytes stored at issue (what
    was sent); before, rendered now and marked 草稿."""
    stored = getattr(bulletin, kind) if bulletin.status == "issued" else None
    if stored:
        return bytes(stored)
    return bytes(bulletin_pdf(bulletin) if kind == "pdf" else bulletin_docx(bulletin))


__all__ = [
    "RED",
    "RED_HEX",
    "Page",
    "Section",
    "Table",
    "bulletin_docx",
    "bulletin_pdf",
    "bulletin_xlsx",
    "document",
    "document_name",
    "filename",
    "indicator_values",
    "page",
]
