"""Every French string the console shows, found where it is written: ``_("…")`` in the pages, ``t("…")`` in
``admin.js``, ``_("…")``/``translate("…")`` and the word tables in the console's Python. The test of each
language's catalog compares against this."""

from __future__ import annotations

import re
from pathlib import Path

from signage.web.console import LOGIN_ERRORS
from signage.web.console_pages import ACTION_NAMES, STATE_NAMES
from signage.web.console_words import FAULTS, FIELDS, LANES, ROLES

ROOT = Path(__file__).resolve().parents[1]
_STRING = r'"((?:[^"\\]|\\.)*)"' + "|" + r"'((?:[^'\\]|\\.)*)'"
_CALL = {"j2": re.compile(r"\b_\(\s*(?:" + _STRING + ")"), "js": re.compile(r"\bt\(\s*(?:" + _STRING + ")"),
         "py": re.compile(r"\b(?:_|translate)\(\s*(?:" + _STRING + ")")}
_TITLE = re.compile(r'\btitle="([^"]+)"')
EXTRA = ("ok", "sans nouvelles", "en erreur", "republiée (depuis la version {n})", "message par défaut")


def console_strings() -> set[str]:
    found: set[str] = set()
    sources = [*(ROOT / "content" / "pages" / "admin").glob("*.j2"), ROOT / "content" / "pages" / "admin.js",
               *(ROOT / "signage" / "web").glob("console*.py")]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        pattern = _CALL["js" if path.suffix == ".js" else "py" if path.suffix == ".py" else "j2"]
        for match in pattern.finditer(text):
            found.add((match.group(1) or match.group(2) or "").replace("\\'", "'").replace('\\"', '"'))
        if path.suffix == ".py":
            found |= set(_TITLE.findall(text))
    for table in (LANES, ROLES, FIELDS, FAULTS, STATE_NAMES, ACTION_NAMES):
        found |= set(table.values())
    found |= set(LOGIN_ERRORS.values()) | set(EXTRA)
    found.discard("")
    return found
