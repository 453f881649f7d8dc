"""No near-empty last page: a page whose last PDF page would hold a few lines is laid out again
in the tighter print style and written on fewer pages; a page that ends well is laid out once.
Real WeasyPrint layouts of the real stylesheet."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from weasyprint import HTML

from reportlib import render
from reportlib.look import pagefit


def page_of(lines: int) -> str:
    paragraphs = "".join(f"<p>Line {n} of the report.</p>" for n in range(lines))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><style>'
            f"{render._stylesheet()}</style></head><body>{paragraphs}</body></html>")


def layouts(page: str, calls: list[str]):
    calls.append("fit" if 'class="fit"' in page else "plain")
    return HTML(string=page).render()


def test_a_few_lines_over_one_page_are_pulled_back_by_the_tighter_layout(tmp_path: Path):
    # The smallest number of one-line paragraphs that spills onto a second page: that page
    # then holds one line, far below a quarter of its height.
    lines = next(n for n in range(30, 200) if len(HTML(string=page_of(n)).render().pages) == 2)
    plain = HTML(string=page_of(lines)).render()
    assert pagefit.page_fill(plain.pages[-1]) < pagefit.NEAR_EMPTY
    assert pagefit.page_fill(plain.pages[0]) > 0.9  # the first page is full

    calls: list[str] = []
    document = pagefit.fitted(page_of(lines), lambda p: layouts(p, calls))
    assert calls == ["plain", "fit"] and len(document.pages) == 1

    render.html_to_pdf(page_of(lines), tmp_path / "r.pdf")
    assert len(PdfReader(tmp_path / "r.pdf").pages) == 1


def test_a_page_that_ends_well_is_laid_out_once():
    lines = next(n for n in range(30, 200) if len(HTML(string=page_of(n)).render().pages) == 2)
    # Half a page more than the spill: the last page is well filled and stays as it is.
    calls: list[str] = []
    document = pagefit.fitted(page_of(lines + lines // 2), lambda p: layouts(p, calls))
    assert calls == ["plain"] and len(document.pages) == 2
    assert pagefit.page_fill(document.pages[-1]) >= pagefit.NEAR_EMPTY
    # One page alone is never laid out again, however short.
    calls.clear()
    assert len(pagefit.fitted(page_of(3), lambda p: layouts(p, calls)).pages) == 1
    assert calls == ["plain"]
