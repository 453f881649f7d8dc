"""Faster font subsetting for the PDFs, the same fonts in them.

Where HarfBuzz's subsetter is not installed (Debian's libharfbuzz-subset0; pip cannot bring
it), WeasyPrint subsets each embedded font with fontTools, which decodes the font's whole
OpenType layout tables (GSUB, GPOS: tens of thousands of records in DejaVu Sans) before it
drops them, as WeasyPrint asks: about 0.12 s per font, twice per PDF, a third of a short
report's PDF. Here each font is read once per process without those tables (the ones
WeasyPrint drops anyway), and fontTools subsets that.
"""

from __future__ import annotations

import functools
import hashlib
import io

# What WeasyPrint's fontTools subsetting drops (weasyprint/pdf/fonts.py, `_fonttools_subset`).
DROPPED_BY_WEASYPRINT = ("GSUB", "GPOS")


_leaned: dict[bytes, bytes] = {}  # by the digest of a font's bytes (new objects every PDF)


def _lean(content: bytes) -> bytes:
    """`content` without the tables WeasyPrint drops."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(content), lazy=True)
    if not any(tag in font for tag in DROPPED_BY_WEASYPRINT):
        return content
    # fontTools also drops the legacy 'kern' table of a font that has GPOS (its default,
    # `legacy_kern=False`): it would not know about GPOS once it is gone here.
    dropped = [*DROPPED_BY_WEASYPRINT, "kern"] if "GPOS" in font else DROPPED_BY_WEASYPRINT
    for tag in dropped:
        if tag in font:
            del font[tag]
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    return out.getvalue()


def lean_font(content: bytes) -> bytes:
    """A single font file (not a collection) without GSUB and GPOS; anything else as it is."""
    if content[:4] == b"ttcf":
        return content
    digest = hashlib.blake2b(content, digest_size=16).digest()
    if digest not in _leaned:
        _leaned[digest] = _lean(content)
    return _leaned[digest]


def install() -> None:
    """Make WeasyPrint's fontTools subsetting start from the lean font (once per process)."""
    from weasyprint.pdf import fonts

    original = fonts.Font._fonttools_subset
    if getattr(original, "reportlib_lean", False):
        return

    @functools.wraps(original)
    def subset(self, to_unicode, hinting):
        if self.index == 0:
            self.file_content = lean_font(self.file_content)
        return original(self, to_unicode, hinting)

    subset.reportlib_lean = True
    fonts.Font._fonttools_subset = subset
