"""The charts' PNG rows go into the PDF as they are.

A PDF image may be compressed exactly as a PNG's pixel data is (Flate with PNG row filters),
so an 8-bit RGB PNG that is not interlaced needs no work: its IDAT chunks are the PDF
stream. WeasyPrint decodes each PNG and compresses it again all the same (a tenth of the
campaigns PDF). Here such a PNG keeps its own compressed rows; any other image (alpha,
palette, 16-bit, interlaced, scaled down) takes WeasyPrint's way. The pixels are the same.
"""

from __future__ import annotations

import functools
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_rgb_rows(data: bytes) -> bytes | None:
    """The concatenated IDAT chunks of an 8-bit truecolour (RGB), non-interlaced PNG whose
    rows are all there; None for any other PNG, or bytes that are not a well-formed PNG."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    rows, at, header = [], len(PNG_SIGNATURE), None
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if len(body) < length:
            return None  # truncated
        if kind == b"IHDR":
            if length != 13:
                return None
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            rows.append(body)
        elif kind == b"IEND":
            break
        at += 12 + length
    if header is None or not rows:
        return None
    width, height, depth, colour, _compression, _filter, interlace = header
    if (depth, colour, interlace) != (8, 2, 0):
        return None
    data = b"".join(rows)
    # Every row whole (a filter byte and three per pixel): a truncated or corrupt image takes
    # WeasyPrint's way, which reads what it can. A few milliseconds a chart.
    try:
        whole = len(zlib.decompress(data)) == height * (1 + 3 * width)
    except zlib.error:
        return None
    return data if whole else None


def install() -> None:
    """Make WeasyPrint embed an 8-bit RGB PNG's rows as they are (once per process)."""
    from weasyprint import images

    original = images.RasterImage.get_x_object
    if getattr(original, "reportlib_png_rows", False):
        return

    @functools.wraps(original)
    def get_x_object(self, interpolate, dpi_ratio):
        rows = (png_rgb_rows(self.image_data.data)
                if self.format == "PNG" and self.mode == "RGB" and dpi_ratio == 1 else None)
        if rows is None:
            return original(self, interpolate, dpi_ratio)
        import pydyf

        return pydyf.Stream([self.cache_image_data(rows, slot="stream")], pydyf.Dictionary({
            "Type": "/XObject", "Subtype": "/Image", "Width": self.width,
            "Height": self.height, "ColorSpace": "/DeviceRGB", "BitsPerComponent": 8,
            "Interpolate": "true" if interpolate else "false", "Filter": "/FlateDecode",
            "DecodeParms": pydyf.Dictionary({"Predictor": 15, "Columns": self.width,
                                             "Colors": 3}),
        }))

    get_x_object.reportlib_png_rows = True
    images.RasterImage.get_x_object = get_x_object
