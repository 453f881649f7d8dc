"""Faster font subsetting for the PDFs: HarfBuzz's subsetter, as WeasyPrint itself prefers.

WeasyPrint subsets each embedded font with HarfBuzz's subsetter where the system has it
(`libharfbuzz-subset`, which Debian packages apart and pip cannot bring to the system), and
with fontTools otherwise: about 25 ms per font even from a lean font, against under 1 ms for
HarfBuzz. The `uharfbuzz` wheel carries its own HarfBuzz with the subsetter, so the fallback
here runs WeasyPrint's HarfBuzz path (`Font._harfbuzz_subset`: the same glyphs, flags and
dropped tables) through it. Without uharfbuzz, or where its subsetter fails, fontTools
subsets a font read once per process without its OpenType layout tables (GSUB, GPOS: tens
of thousands of records in DejaVu Sans, decoded only to be dropped, as WeasyPrint asks).
"""

from __future__ import annotations

import functools
import hashlib
import io

# What WeasyPrint's fontTools subsetting drops (weasyprint/pdf/fonts.py, `_fonttools_subset`).
DROPPED_BY_WEASYPRINT = ("GSUB", "GPOS")
# What WeasyPrint's HarfBuzz subsetting drops (`_harfbuzz_subset`).
DROPPED_BY_HARFBUZZ_PATH = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF",
                            "LTSH", "PCLT", "SVG ")


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


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii"), "big")


def harfbuzz_subset(content: bytes, index: int, glyphs, hinting: bool,
                    notdef_outline: bool) -> bytes | None:
    """The font `content` (face `index` of a collection) with only `glyphs` (glyph ids, kept
    at their ids; empty glyphs after the last one dropped), as WeasyPrint's HarfBuzz path
    makes it; None without uharfbuzz or when HarfBuzz cannot subset this font."""
    try:
        import uharfbuzz as hb
    except ImportError:
        return None
    flags = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
    if notdef_outline:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE

    def subset_input(gids, extra):
        wanted = hb.SubsetInput()
        for gid in gids:
            wanted.glyph_set.add(gid)
        for name in DROPPED_BY_HARFBUZZ_PATH:
            wanted.drop_table_tag_set.add(_tag(name))
        wanted.flags = flags | extra
        return wanted

    try:
        kept = hb.subset(hb.Face(content, index), subset_input(sorted(glyphs),
                                                               hb.SubsetFlags.RETAIN_GIDS))
        if kept is None:
            return None
        # Then the glyphs up to the last one used, renumbered as they are (none moves).
        last = max(glyphs)
        trimmed = hb.subset(kept, subset_input(range(last + 1), hb.SubsetFlags.DEFAULT
                                               if hinting else hb.SubsetFlags.NO_HINTING))
        data = trimmed.blob.data if trimmed is not None else b""
    except Exception:  # noqa: BLE001  (a font HarfBuzz refuses: fontTools tries it)
        return None
    return bytes(data) or None


def install() -> None:
    """Make WeasyPrint's fontTools fallback subset with HarfBuzz (uharfbuzz's), or else
    start from the lean font (once per process)."""
    from weasyprint.pdf import fonts

    original = fonts.Font._fonttools_subset
    if getattr(original, "reportlib_lean", False):
        return

    @functools.wraps(original)
    def subset(self, to_unicode, hinting):
        data = harfbuzz_subset(self.file_content, self.index, to_unicode, hinting,
                               bool(self.missing))
        if data is not None:
            self.file_content = data
            return None
        if self.index == 0:
            self.file_content = lean_font(self.file_content)
        return original(self, to_unicode, hinting)

    subset.reportlib_lean = True
    fonts.Font._fonttools_subset = subset
