"""English is complete: every source string has a translation, and the committed .mo matches the .po."""

import ast
import gettext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def po_entries() -> dict[str, str]:
    """msgid → msgstr of the .po file (singular forms; plural entries by their msgid)."""
    entries, fuzzy, current, field = {}, set(), {}, None
    for line in [*PO.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current.get("msgid"):
                entries[current["msgid"]] = current.get("msgstr", current.get("msgstr[0]", ""))
                if current.get("fuzzy"):
                    fuzzy.add(current["msgid"])
            current, field = {}, None
        elif line.startswith("#,") and "fuzzy" in line:
            current["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            current[field] = ast.literal_eval(value)
    return entries, fuzzy


def test_every_string_has_an_english_translation():
    entries, fuzzy = po_entries()
    assert len(entries) > 200
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []
    assert sorted(fuzzy) == []


def test_compiled_catalog_matches_the_po_file():
    entries, _fuzzy = po_entries()
    with MO.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr in entries.items()
        if catalog.gettext(msgid) != msgstr and "%(count)" not in msgid
    ]
    assert stale == [], "run `make messages` (needs GNU gettext) and commit locale/"
