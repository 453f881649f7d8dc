"""No near-empty last page: a PDF whose last page would carry only a few lines is laid out once
more in the stylesheet's tighter print style (`html.fit`: a little smaller type and spacing),
and that layout is kept when it has fewer pages. When even the tighter style cannot pull those
lines back (the page before is full to its foot: a report's last notes spilling over), a
section that starts on the page before is moved over whole (`break-before: page`), the latest
one that leaves both pages at least `BALANCED` full: the reader gets two pages of content,
never a page of a few stray lines, and no row or word is broken for it.

Only WeasyPrint's laid-out boxes are read (no second file is written to find out). The second
layout keeps the column widths the first one gave each table (`pin_columns`): a table's type
size and side padding are the same in both styles, so its columns are too, and WeasyPrint need
not measure every cell again (a fifth of a page of tables' layout). Both layouts, and every
PDF a worker writes, use one font configuration (`shared_font_config`).
"""

from __future__ import annotations

import threading
from pathlib import Path

NEAR_EMPTY = 0.25  # a last page filled to less than this share of its height is near-empty
BALANCED = 0.4  # a section moved onto the last page leaves both pages at least this full
TABLE_TAG = '<table class="data">'  # a house table (`present.table`), as the page writes it


def page_fill(page) -> float:
    """How far down a laid-out page its content goes, as a share of the page's content
    height (its header and footer margins left out)."""
    from weasyprint.formatting_structure import boxes

    box = page._page_box
    top = box.content_box_y()
    bottom = top
    for child in box.children:
        if isinstance(child, boxes.MarginBox):  # the running footer and page number
            continue
        for inner in child.descendants():
            if isinstance(inner, (boxes.LineBox, boxes.ReplacedBox)):
                bottom = max(bottom, inner.position_y + inner.margin_height())
    return (bottom - top) / box.height


def column_widths(document) -> list[tuple[float, ...] | None]:
    """The column widths (CSS px) of each house table of a laid-out document, in the page's
    order; None for a table it did not lay out (not displayed)."""
    from weasyprint.formatting_structure import boxes

    laid_out, root = {}, None
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.TableBox):
                laid_out.setdefault(box.element, tuple(box.column_widths))
            elif root is None and getattr(box, "element_tag", None) == "html":
                root = box.element
    if root is None:
        return []
    return [laid_out.get(table) for table in root.iter("table")
            if dict(table.attrib) == {"class": "data"}]  # written as TABLE_TAG


def pin_columns(page: str, widths: list[tuple[float, ...] | None]) -> str:
    """`page` with each house table's columns fixed at the widths a layout gave them
    (`column_widths`): `table-layout: fixed` and one `<col>` per column. A table without
    widths stays as it is; so does the whole page when its house tables and `widths` do not
    pair up one to one."""
    parts = page.split(TABLE_TAG)
    if len(parts) - 1 != len(widths):
        return page
    pinned = [parts[0]]
    for columns, rest in zip(widths, parts[1:], strict=True):
        if columns:
            cols = "".join(f'<col style="width: {width!r}px">' for width in columns)
            pinned.append(f'<table class="data" style="table-layout: fixed">'
                          f"<colgroup>{cols}</colgroup>{rest}")
        else:
            pinned.append(TABLE_TAG + rest)
    return "".join(pinned)


def section_starts(document) -> tuple[list[tuple[int, int, float]], int]:
    """Where each `<section>` of a laid-out document starts: (its index among the page's
    sections, in document order; the page it starts on; its top as a share of that page's
    content height), and how many sections the page has."""
    from weasyprint.formatting_structure import boxes

    first: dict = {}
    root = None
    for number, page in enumerate(document.pages):
        box = page._page_box
        top = box.content_box_y()
        for inner in box.descendants():
            tag = getattr(inner, "element_tag", None)
            if root is None and tag == "html":
                root = inner.element
            elif (tag == "section" and isinstance(inner, boxes.BlockBox)
                  and inner.element not in first):
                first[inner.element] = (number, (inner.position_y - top) / box.height)
    if root is None:
        return [], 0
    sections = list(root.iter("section"))
    return ([(index, *first[element]) for index, element in enumerate(sections)
             if element in first], len(sections))


def break_before(page: str, index: int, count: int) -> str | None:
    """`page` with a page break before its `index`-th `<section>`; None when the page's
    `<section` tags and the `count` sections of its layout do not pair up one to one."""
    parts = page.split("<section")
    if len(parts) - 1 != count:
        return None
    return ("<section".join(parts[:index + 1]) + '<section style="break-before: page"'
            + "<section".join(parts[index + 1:]))


def balanced(page: str, document, render):
    """The layout of `page` with the latest section that starts on the page before the last
    moved onto the last page, when that leaves both pages at least `BALANCED` full and the
    document no longer; None when no section can."""
    if len(document.pages) < 2:
        return None
    before = len(document.pages) - 2
    last, full = page_fill(document.pages[-1]), page_fill(document.pages[before])
    starts, count = section_starts(document)
    for index, _, top in sorted((s for s in starts if s[1] == before), key=lambda s: -s[2]):
        if top >= BALANCED and full - top + last >= BALANCED:
            moved = break_before(page, index, count)
            if moved is None:
                return None
            laid_out = render(moved)
            if (len(laid_out.pages) == len(document.pages)
                    and page_fill(laid_out.pages[-1]) >= NEAR_EMPTY):
                return laid_out
            return None
    return None


def fitted(page: str, render):
    """The laid-out document of `page` (`render(html) -> Document`); when its last page is
    near-empty, the tighter layout instead if it has fewer pages, else the layout with a
    section moved over onto the last page (`balanced`) if there is one."""
    document = render(page)
    if len(document.pages) < 2 or page_fill(document.pages[-1]) >= NEAR_EMPTY:
        return document
    pinned = pin_columns(page, column_widths(document))
    tighter = render(pinned.replace("<html ", '<html class="fit" ', 1))
    if len(tighter.pages) < len(document.pages):
        return tighter
    return balanced(pinned, document, render) or document


_thread = threading.local()


def shared_font_config():
    """One font configuration per worker (per thread: a Dask worker may render in several, and
    Pango's fonts are not to be shared between threads): the fonts and their glyph caches
    stay warm from one layout (and report) to the next, instead of being looked up again
    for each (a sixth of a layout)."""
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_thread, "font_config", None) is None:
        _thread.font_config = FontConfiguration()
    return _thread.font_config


def write_pdf(page: str, out: Path, url_fetcher) -> None:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from reportlib.look import font_subset, pdf_images

    font_subset.install()
    pdf_images.install()
    # A page that brings fonts of its own (@font-face) keeps them to itself.
    fonts = FontConfiguration() if "@font-face" in page else shared_font_config()
    images: dict = {}  # the charts, decoded once for both layouts

    def render(text: str):
        return HTML(string=text, url_fetcher=url_fetcher).render(font_config=fonts,
                                                                  cache=images)

    fitted(page, render).write_pdf(str(out))
