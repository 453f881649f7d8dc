"""Making user text safe where it lands: CSV cells and file names."""

from __future__ import annotations

import hashlib
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet never runs as a formula: cells starting with = + - @
    (or tab, CR) get a leading apostrophe (OWASP, CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def slug(text: str, max_length: int = 60) -> str:
    """A file-name-safe slug: lowercase ASCII letters, digits, '-' and '_' only, never empty,
    never '.' or '..'; a short hash keeps two different texts apart."""
    base = re.sub(r"[^a-z0-9_-]+", "-", str(text).lower()).strip("-_")[:max_length] or "item"
    if base != str(text):
        base += "-" + hashlib.sha256(str(text).encode()).hexdigest()[:8]
    return base


def csv_cell_sql(expression: str) -> str:
    """`csv_cell` in SQL, for a text expression (NULL stays NULL: an empty cell)."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_START)
    return (f"CASE WHEN left({expression}, 1) IN ({starts}) "
            f"THEN '''' || {expression} ELSE {expression} END")
