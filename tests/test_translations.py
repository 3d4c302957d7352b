"""English is complete: every source string has a translation, and the committed .mo matches the .po."""

import ast
import gettext
import re
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


SOURCE_DIRS = ("tasks", "supervision", "winteraction", "templates")
PY_CALL = re.compile(
    r"""\b(?:_|gettext|gettext_lazy|pgettext)\(\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')\s*[,)]"""
)
TEMPLATE_TAG = re.compile(r"""{%\s*translate\s+"([^"]+)"|{%\s*translate\s+'([^']+)'""")


def source_strings() -> set[str]:
    """Single-literal strings marked for translation in the code and templates (most of them)."""
    found = set()
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*"):
            if "migrations" in path.parts or path.suffix not in (".py", ".html", ".txt"):
                continue
            text = path.read_text(encoding="utf-8")
            pattern = PY_CALL if path.suffix == ".py" else TEMPLATE_TAG
            for match in pattern.finditer(text):
                value = match.group(1) or match.group(2)
                # A Python literal is read back with its own quotes ('…"…"…' holds double quotes);
                # {% translate %} doubles a literal % (it is a format string to gettext).
                quote = '"' if match.group(1) is not None else "'"
                found.add(
                    ast.literal_eval(f"{quote}{value}{quote}")
                    if path.suffix == ".py"
                    else value.replace("%", "%%")
                )
    return found


def test_every_marked_string_is_in_the_catalogue():
    entries, _fuzzy = po_entries()
    missing = sorted(source_strings() - set(entries))
    assert missing == [], "run `make messages` (needs GNU gettext), translate, and commit locale/"
