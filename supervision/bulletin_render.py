"""The bulletin's documents (stub: BUL-OUT replaces this module with the .docx and PDF renderers).

Rendered from the bulletin's stored sections and figures only, never from live data."""


def bulletin_pdf(bulletin) -> bytes:
    return b""


def bulletin_docx(bulletin) -> bytes:
    return b""
