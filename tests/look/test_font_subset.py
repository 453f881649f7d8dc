"""The PDFs' fonts, subset from a font read once without its layout tables: the same embedded
fonts as WeasyPrint's own subsetting gives (every table but `head`, whose timestamp is the
time of writing), in less time."""

from __future__ import annotations

import inspect
import io
from pathlib import Path

import matplotlib
import pypdf
from fontTools.ttLib import TTFont
from weasyprint.pdf import fonts

from reportlib import render
from reportlib.look import font_subset

PAGE = ("<!DOCTYPE html><html><body><h1>Relatório de consumo</h1><p>Conversas pagas: 1.234 "
        "(R$ 56,78) · <b>marketing</b> — ação, coração, “aspas”.</p></body></html>")


def embedded_fonts(path) -> dict[str, TTFont]:
    out = {}
    for page in pypdf.PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            data = descriptor.get_object()["/FontFile2"].get_object().get_data()
            out[str(font["/BaseFont"])] = TTFont(io.BytesIO(data))
    return out


def test_the_lean_subset_embeds_the_same_fonts_as_weasyprints_own(tmp_path, monkeypatch):
    # WeasyPrint's own, even where an earlier PDF of this process installed the lean one
    original = inspect.unwrap(fonts.Font._fonttools_subset)
    monkeypatch.setattr(fonts.Font, "_fonttools_subset", original)
    monkeypatch.setattr(font_subset, "install", lambda: None)
    render.html_to_pdf(PAGE, tmp_path / "theirs.pdf")
    monkeypatch.undo()
    monkeypatch.setattr(fonts.Font, "_fonttools_subset", original)
    font_subset.install()
    assert fonts.Font._fonttools_subset is not original
    render.html_to_pdf(PAGE, tmp_path / "ours.pdf")
    theirs, ours = embedded_fonts(tmp_path / "theirs.pdf"), embedded_fonts(tmp_path / "ours.pdf")
    assert theirs.keys() == ours.keys() and len(ours) >= 2  # regular and bold
    for name, font in ours.items():
        tables = sorted(t for t in font.keys() if t != "GlyphOrder")
        assert tables == sorted(t for t in theirs[name].keys() if t != "GlyphOrder")
        assert not {"GSUB", "GPOS", "kern"} & set(tables)
        for tag in tables:
            if tag != "head":
                assert font.getTableData(tag) == theirs[name].getTableData(tag), (name, tag)


def test_a_font_is_leaned_once_and_a_collection_is_left_as_it_is():
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    content = path.read_bytes()
    lean = font_subset.lean_font(content)
    assert len(lean) < len(content)
    assert not {"GSUB", "GPOS", "kern"} & set(TTFont(io.BytesIO(lean)).keys())
    assert font_subset.lean_font(bytes(content)) is lean  # the same bytes: from the cache
    collection = b"ttcf" + content[4:]
    assert font_subset.lean_font(collection) is collection
