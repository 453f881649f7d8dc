"""The PDFs' fonts, subset by HarfBuzz (uharfbuzz's) as WeasyPrint's own HarfBuzz path does,
or else from a font read once without its layout tables: the same glyphs, pages and text as
WeasyPrint's own fontTools subsetting gives, in less time."""

from __future__ import annotations

import inspect
import io
from pathlib import Path

import matplotlib
import pypdf
import pypdfium2
import pytest
from fontTools.ttLib import TTFont
from weasyprint.pdf import fonts

from reportlib import render
from reportlib.look import font_subset

PAGE = ("<!DOCTYPE html><html><body><h1>Relatório de consumo</h1><p>Conversas pagas: 1.234 "
        "(R$ 56,78) · <b>marketing</b> — ação, coração, “aspas”.</p>"
        "<table><tr><th>Campanha</th><th>Entregues</th></tr>"
        "<tr><td>Black Friday – 2ª onda</td><td>98,7 %</td></tr></table></body></html>")


def embedded_font_files(path) -> dict[str, bytes]:
    out = {}
    for page in pypdf.PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            data = descriptor.get_object()["/FontFile2"].get_object().get_data()
            out[str(font["/BaseFont"])] = data
    return out


def embedded_fonts(path) -> dict[str, TTFont]:
    return {name: TTFont(io.BytesIO(data)) for name, data in embedded_font_files(path).items()}


def pictures_and_text(path) -> tuple[list[bytes], list[str]]:
    document = pypdfium2.PdfDocument(str(path))
    pages = [document[i] for i in range(len(document))]
    return ([page.render(scale=150 / 72).to_pil().tobytes() for page in pages],
            [page.get_textpage().get_text_range() for page in pages])


def weasyprints_own(tmp_path, monkeypatch) -> Path:
    """The PDF of PAGE as WeasyPrint makes it with fontTools, even where an earlier PDF of
    this process installed ours."""
    original = inspect.unwrap(fonts.Font._fonttools_subset)
    monkeypatch.setattr(fonts.Font, "_fonttools_subset", original)
    monkeypatch.setattr(font_subset, "install", lambda: None)
    render.html_to_pdf(PAGE, tmp_path / "theirs.pdf")
    monkeypatch.undo()
    monkeypatch.setattr(fonts.Font, "_fonttools_subset", original)
    monkeypatch.setattr(fonts, "harfbuzz_subset", None)  # as `_fresh_install`
    font_subset.install()
    assert fonts.Font._fonttools_subset is not original
    return tmp_path / "theirs.pdf"


def outline(font: TTFont, gid: int):
    """Glyph `gid`'s points (components resolved), end points, flags and advance width."""
    name = font.getGlyphName(gid)
    coordinates, ends, flags = font["glyf"][name].getCoordinates(font["glyf"])
    return list(coordinates), list(ends), list(flags), font["hmtx"][name]


def test_harfbuzz_subsets_the_same_glyphs_pages_and_text_as_weasyprints_own(tmp_path,
                                                                           monkeypatch):
    theirs = weasyprints_own(tmp_path, monkeypatch)
    asked = {}  # the glyph ids the PDF's text uses, by the subset font's bytes
    real = font_subset.harfbuzz_subset

    def spy(content, index, glyphs, hinting, notdef_outline):
        data = real(content, index, glyphs, hinting, notdef_outline)
        asked[data] = sorted(glyphs)
        return data

    monkeypatch.setattr(font_subset, "harfbuzz_subset", spy)
    render.html_to_pdf(PAGE, tmp_path / "ours.pdf")
    ours_files, their_fonts = embedded_font_files(tmp_path / "ours.pdf"), embedded_fonts(theirs)
    assert ours_files.keys() == their_fonts.keys() and len(ours_files) >= 2  # regular, bold
    assert None not in asked and set(ours_files.values()) <= asked.keys()  # all by HarfBuzz
    for name, data in ours_files.items():
        font = TTFont(io.BytesIO(data))
        assert not {"GSUB", "GPOS"} & set(font.keys())
        for gid in asked[data]:  # kept at their ids, the same outlines and widths
            assert outline(font, gid) == outline(their_fonts[name], gid), (name, gid)
    assert pictures_and_text(tmp_path / "ours.pdf") == pictures_and_text(theirs)


def test_without_harfbuzz_the_lean_font_embeds_the_same_fonts_as_weasyprints_own(tmp_path,
                                                                                 monkeypatch):
    theirs = weasyprints_own(tmp_path, monkeypatch)
    monkeypatch.setattr(font_subset, "harfbuzz_subset", lambda *a: None)
    render.html_to_pdf(PAGE, tmp_path / "ours.pdf")
    ours_fonts, their_fonts = embedded_fonts(tmp_path / "ours.pdf"), embedded_fonts(theirs)
    assert ours_fonts.keys() == their_fonts.keys() and len(ours_fonts) >= 2
    for name, font in ours_fonts.items():
        tables = sorted(t for t in font.keys() if t != "GlyphOrder")
        assert tables == sorted(t for t in their_fonts[name].keys() if t != "GlyphOrder")
        assert not {"GSUB", "GPOS", "kern"} & set(tables)
        for tag in tables:
            if tag != "head":
                assert font.getTableData(tag) == their_fonts[name].getTableData(tag), (name, tag)


def dejavu() -> bytes:
    return (Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf").read_bytes()


def test_harfbuzz_keeps_glyph_ids_and_drops_what_weasyprint_drops():
    content = dejavu()
    font = TTFont(io.BytesIO(content))
    wanted = sorted({font.getBestCmap()[ord(c)] for c in "Relatório 98,7 %"})
    gids = {font.getGlyphID(name): "" for name in wanted}
    data = font_subset.harfbuzz_subset(content, 0, gids, True, False)
    subset = TTFont(io.BytesIO(data))
    assert subset["maxp"].numGlyphs == max(gids) + 1
    assert not set(font_subset.DROPPED_BY_HARFBUZZ_PATH) & set(subset.keys())
    for gid in gids:
        assert subset["glyf"][subset.getGlyphName(gid)].numberOfContours == \
            font["glyf"][font.getGlyphName(gid)].numberOfContours
    components = {font.getGlyphID(c.glyphName) for gid in gids
                  if font["glyf"][font.getGlyphName(gid)].isComposite()
                  for c in font["glyf"][font.getGlyphName(gid)].components}
    kept = {gid for gid in range(max(gids)) if subset["glyf"][subset.getGlyphName(gid)]
            .numberOfContours != 0}
    assert components and kept <= set(gids) | components | {0}  # no other glyph's outline
    assert font_subset.harfbuzz_subset(b"not a font", 0, gids, True, False) is None


def test_a_font_is_leaned_once_and_a_collection_is_left_as_it_is():
    content = dejavu()
    lean = font_subset.lean_font(content)
    assert len(lean) < len(content)
    assert not {"GSUB", "GPOS", "kern"} & set(TTFont(io.BytesIO(lean)).keys())
    assert font_subset.lean_font(bytes(content)) is lean  # the same bytes: from the cache
    collection = b"ttcf" + content[4:]
    assert font_subset.lean_font(collection) is collection


@pytest.fixture(autouse=True)
def _fresh_install(monkeypatch):
    """Each test installs ours itself, on WeasyPrint's own method; and WeasyPrint takes its
    fontTools fallback (where ours runs) even on a machine whose system has HarfBuzz's
    subsetter (Debian's libharfbuzz-subset0, which WeasyPrint then calls itself)."""
    monkeypatch.setattr(fonts.Font, "_fonttools_subset",
                        inspect.unwrap(fonts.Font._fonttools_subset))
    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
