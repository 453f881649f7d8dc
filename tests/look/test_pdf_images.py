"""Charts as opaque RGB PNGs whose compressed rows go into the PDF as they are: the same pixels
as matplotlib's RGBA PNG and as WeasyPrint's own re-encoding, without decoding them again."""

from __future__ import annotations

import base64
import inspect
import io
import re
import struct
import zlib
from datetime import date

import matplotlib.figure
import pypdf
from PIL import Image, ImageChops
from weasyprint import images

from reportlib import render
from reportlib.look import charts, pdf_images, present
from reportlib.look.i18n import Formatter

PT = Formatter("pt-BR")


def chart() -> matplotlib.figure.Figure:
    days = [date(2026, 11, d) for d in range(1, 15)]
    return charts.daily_lines(days, {"a": list(range(14)), "b": [3] * 14},
                              {"a": charts.INK, "b": "#1c7ed6"}, {"a": "A", "b": "B"},
                              "Pico em 14 de novembro: 13 mensagens", "Mensagens", PT)


def png_of(img_tag: str) -> bytes:
    """The chart's wide image (its <img>; a <picture>'s <source> is the phone rendition)."""
    return base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', img_tag).group(1))


def png(mode: str, **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (7, 5), (10, 200, 30) if mode.startswith("RGB") else 3).save(
        buffer, format="png", **save)
    return buffer.getvalue()


def idat_of(data: bytes) -> bytes:
    found, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            found.append(data[at + 8:at + 8 + length])
        at += 12 + length
    return b"".join(found)


def test_only_an_8_bit_rgb_png_not_interlaced_gives_its_rows():
    rgb = png("RGB")
    rows = pdf_images.png_rgb_rows(rgb)
    assert rows == idat_of(rgb)
    assert len(zlib.decompress(rows)) == 5 * (1 + 7 * 3)  # a filter byte, then 7 RGB pixels
    for other in (png("RGBA"), png("L"), png("P"), png("I;16")):
        assert pdf_images.png_rgb_rows(other) is None
    # The same RGB PNG marked interlaced (Adam7 rows are not the PDF's rows).
    header_end = 8 + 8 + 13
    interlaced = rgb[:header_end - 1] + b"\x01" + rgb[header_end:]
    assert pdf_images.png_rgb_rows(interlaced) is None
    assert pdf_images.png_rgb_rows(rgb[:40]) is None  # truncated
    # Well-formed chunks around rows cut short (a review's case): WeasyPrint's way, which
    # reads what it can, not a broken stream in the PDF.
    rows = idat_of(rgb)
    short = zlib.compress(zlib.decompress(rows)[:-5])
    cut = rgb.replace(struct.pack(">I", len(rows)) + b"IDAT" + rows,
                      struct.pack(">I", len(short)) + b"IDAT" + short)
    assert cut != rgb and pdf_images.png_rgb_rows(cut) is None
    assert pdf_images.png_rgb_rows(rgb.replace(rows, rows[:-4] + b"\0\0\0\0")) is None
    assert pdf_images.png_rgb_rows(b"GIF89a" + rgb[6:]) is None


def test_a_chart_is_an_rgb_png_with_matplotlibs_pixels():
    ours = Image.open(io.BytesIO(png_of(present.figure_to_img(chart(), "x"))))
    buffer = io.BytesIO()
    chart().savefig(buffer, format="png", dpi=present.FIGURE_DPI)  # laid out inside its edges
    theirs = Image.open(buffer)
    assert (ours.mode, theirs.mode) == ("RGB", "RGBA")
    assert ours.size == theirs.size
    assert theirs.getextrema()[3] == (255, 255)
    assert ImageChops.difference(ours, theirs.convert("RGB")).getbbox() is None


def test_a_chart_with_transparent_pixels_keeps_its_alpha():
    fig = chart()
    fig.set_facecolor("none")
    image = Image.open(io.BytesIO(png_of(present.figure_to_img(fig, "x"))))
    assert image.mode == "RGBA" and image.getextrema()[3][0] == 0


def pdf_image(path) -> tuple[bytes, Image.Image]:
    """The one image of a PDF: its stream as stored, and its pixels decoded."""
    page = pypdf.PdfReader(path).pages[0]
    (xobject,) = [o.get_object() for o in page["/Resources"]["/XObject"].values()]
    return xobject._data, page.images[0].image


def test_the_pdf_holds_the_charts_rows_as_they_are(tmp_path, monkeypatch):
    tag = present.figure_to_img(chart(), "x")
    data = png_of(tag)
    page = f"<!DOCTYPE html><html><body><p>Gráfico</p>{tag}</body></html>"
    encoded = []  # the images WeasyPrint compressed again
    original_encode = images.RasterImage._get_png_data
    monkeypatch.setattr(images.RasterImage, "_get_png_data", staticmethod(
        lambda image: encoded.append(image.size) or original_encode(image)))
    pdf_images.install()
    render.html_to_pdf(page, tmp_path / "ours.pdf")
    stored, pixels = pdf_image(tmp_path / "ours.pdf")
    assert encoded == []  # not decoded and compressed again
    assert stored == pdf_images.png_rgb_rows(data)
    assert ImageChops.difference(pixels.convert("RGB"), Image.open(io.BytesIO(data))
                                 ).getbbox() is None
    # WeasyPrint's own way decodes and compresses the rows again, to the same pixels.
    monkeypatch.setattr(images.RasterImage, "get_x_object",
                        inspect.unwrap(images.RasterImage.get_x_object))
    monkeypatch.setattr(pdf_images, "install", lambda: None)
    render.html_to_pdf(page, tmp_path / "theirs.pdf")
    _, pixels_theirs = pdf_image(tmp_path / "theirs.pdf")
    assert encoded == [pixels.size]
    assert ImageChops.difference(pixels.convert("RGB"), pixels_theirs.convert("RGB")
                                 ).getbbox() is None
