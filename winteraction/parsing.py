"""Whole numbers from a request (query parameters, form fields, ids in paths).

`str.isdigit()` is true for "①" and "²", which `int()` then refuses (a 500 where a 400 was meant), and
`int()` itself takes "١٢" (Arabic-Indic digits), " 12 " and "1_000". An id or a count typed in a URL is
ASCII digits, nothing else: every parser of such a value goes through here.
"""

import re

_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")  # 18 digits: always below 2**63, a PostgreSQL bigint


def whole_number(raw) -> int | None:
    """`raw` as a non-negative int when it is 1 to 18 ASCII digits, else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 <= raw < 2**63 else None
    if not isinstance(raw, str) or not _ASCII_DIGITS.fullmatch(raw):
        return None
    return int(raw)
