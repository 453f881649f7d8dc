"""No near-empty last page: a PDF whose last page would carry only a few lines is laid out once
more in the stylesheet's tighter print style (`html.fit`: a little smaller type and spacing),
and that layout is kept when it has fewer pages.

Only WeasyPrint's laid-out boxes are read (no second file is written to find out).
"""

from __future__ import annotations

from pathlib import Path

NEAR_EMPTY = 0.25  # a last page filled to less than this share of its height is near-empty


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


def fitted(page: str, render):
    """The laid-out document of `page` (`render(html) -> Document`); when its last page is
    near-empty, the tighter layout instead if it has fewer pages."""
    document = render(page)
    if len(document.pages) < 2 or page_fill(document.pages[-1]) >= NEAR_EMPTY:
        return document
    tighter = render(page.replace("<html ", '<html class="fit" ', 1))
    return tighter if len(tighter.pages) < len(document.pages) else document


def write_pdf(page: str, out: Path, url_fetcher) -> None:
    from weasyprint import HTML

    def render(text: str):
        return HTML(string=text, url_fetcher=url_fetcher).render()

    fitted(page, render).write_pdf(str(out))
