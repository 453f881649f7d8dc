"""No near-empty last page: a page whose last PDF page would hold a few lines is laid out again
in the tighter print style and written on fewer pages; when that cannot pull them back, a whole
section moves over so that the last page is not a few stray lines; a page that ends well is laid
out once; the second layout keeps the first one's table columns; a worker's PDFs share one font
configuration. Real WeasyPrint layouts of the real stylesheet."""

from __future__ import annotations

import threading
from pathlib import Path

from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from reportlib import render
from reportlib.look import pagefit, present


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


def sections_page(notes: int) -> str:
    """A report's last pages in the real stylesheet: two sections of one-line paragraphs,
    then its notes (`notes` one-line items), as the reports write them."""
    def section(title: str, lines: int) -> str:
        return (f'<section class="report-section"><h2>{title}</h2>'
                + "".join(f"<p>Line {n} of {title}.</p>" for n in range(lines)) + "</section>")

    items = "".join(f"<li>Note {n}: what the figures above stand on.</li>"
                    for n in range(notes))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><style>'
            f"{render._stylesheet()}</style></head><body>{section('Projection', 14)}"
            f"{section('Reconciliation', 8)}<section class=\"footnotes\"><h2>Notes</h2>"
            f"<ol>{items}</ol></section></body></html>")


def spills_past_the_tighter_layout(notes: int) -> bool:
    """The notes spill a few lines onto a second page, and the tighter style does not pull
    them back (the first page is full to its foot)."""
    plain = HTML(string=sections_page(notes)).render()
    if len(plain.pages) != 2 or pagefit.page_fill(plain.pages[-1]) >= pagefit.NEAR_EMPTY:
        return False
    tighter = sections_page(notes).replace("<html ", '<html class="fit" ', 1)
    return len(HTML(string=tighter).render().pages) == 2


def test_notes_that_spill_past_the_tighter_layout_take_their_section_along(tmp_path: Path):
    # The consumption report of an open month in English: its notes filled the page after the
    # reconciliation, and the last ones stood alone on a nearly empty last page.
    notes = next(n for n in range(4, 80, 2) if spills_past_the_tighter_layout(n))
    page = sections_page(notes)
    calls: list[str] = []
    document = pagefit.fitted(page, lambda p: layouts(p, calls))
    assert calls == ["plain", "fit", "plain"] and len(document.pages) == 2
    # The reconciliation (the latest section that leaves both pages well filled) starts the
    # last page, and the notes follow it there, none of them split.
    first, last = (pagefit.page_fill(p) for p in document.pages)
    assert first >= pagefit.BALANCED and last >= pagefit.BALANCED

    def texts(page) -> str:
        return " ".join(box.text for box in page._page_box.descendants()
                        if isinstance(box, boxes.TextBox))

    assert "Reconciliation" not in texts(document.pages[0])
    assert texts(document.pages[1]).startswith("Reconciliation")
    assert all(f"Note {n}:" in texts(document.pages[1]) for n in range(notes))

    render.html_to_pdf(page, tmp_path / "r.pdf")
    pdf = PdfReader(tmp_path / "r.pdf")
    assert len(pdf.pages) == 2
    assert pdf.pages[1].extract_text().startswith("Reconciliation")


def test_a_section_is_moved_only_when_both_pages_stay_well_filled():
    # One section of paragraphs: nothing starts late enough on the first page to be moved,
    # and the page keeps its one-line last page rather than leave a near-empty first one.
    lines = next(n for n in range(30, 200) if len(HTML(string=page_of(n)).render().pages) == 2)
    single = page_of(lines + 3).replace("<body>", '<body><section class="report-section">', 1)
    plain = HTML(string=single).render()
    assert pagefit.balanced(single, plain, lambda p: HTML(string=p).render()) is None
    # A page whose sections do not pair up with its layout's is never marked.
    assert pagefit.break_before("<section><section>", 1, 3) is None
    assert pagefit.break_before("<section>a</section><section>b</section>", 1, 2) == (
        '<section>a</section><section style="break-before: page">b</section>')


TEMPLATE = "carrinho_abandonado_lembrete_final_com_cupom_de_natal_e_frete_gratis"


def table_page(rows: int) -> str:
    """A house table of `rows` campaigns (a words column, a long name, figures) under a
    paragraph, in the real stylesheet."""
    table = present.table(
        ["Campanha", "Template", "Público", "Enviadas", "Taxa de leitura"],
        [[f"Oferta relâmpago da semana {n}", TEMPLATE,
          f"{1000 + n:,}", f"{990 + n:,}", f"{n % 97},{n % 10}% ({n}/{990 + n})"]
         for n in range(rows)],
        [False, False, True, True, True])
    return (f'<!DOCTYPE html>\n<html lang="pt-BR"><head><meta charset="utf-8"><style>'
            f"{render._stylesheet()}</style></head><body><h2>Campanhas</h2>"
            f"<p>Todas as campanhas do período.</p>{table}</body></html>")


def rows_of(page) -> list[tuple]:
    """Each laid-out table row of a page: per cell its x, width and lines (their texts)."""
    def text(box) -> str:
        return "".join(t.text for t in box.descendants()
                       if isinstance(t, boxes.TextBox)).replace("\u200b", "")  # <wbr>

    return [tuple((round(cell.position_x, 3), round(cell.width, 3),
                   tuple(text(line) for line in cell.descendants()
                         if isinstance(line, boxes.LineBox)))
                  for cell in row.children)
            for row in page._page_box.descendants() if isinstance(row, boxes.TableRowBox)]


def test_the_tighter_layout_keeps_the_table_columns_of_the_first():
    # One row more than the first page holds (its header and the rows that fit): the second
    # page carries the repeated header and one row, which the tighter layout pulls back.
    first_page = rows_of(HTML(string=table_page(80)).render().pages[0])
    page = table_page(len(first_page))
    plain = HTML(string=page).render()
    assert len(plain.pages) == 2 and pagefit.page_fill(plain.pages[-1]) < pagefit.NEAR_EMPTY

    laid_out: list[str] = []
    document = pagefit.fitted(page, lambda p: laid_out.append(p) or HTML(string=p).render())
    assert len(laid_out) == 2 and len(document.pages) == 1
    # The tighter page fixes each column at the width the first layout gave it...
    widths = pagefit.column_widths(plain)
    assert len(widths) == 1 and len(widths[0]) == 5
    assert 'style="table-layout: fixed"><colgroup><col style="width: ' in laid_out[1]
    assert [tuple(box.column_widths) for box in document.pages[0]._page_box.descendants()
            if isinstance(box, boxes.TableBox)] == widths
    # ...and lays the table out as the tighter style alone does: the same cells at the same
    # places, lines broken at the same words, no column wider than the page.
    unpinned = HTML(string=page.replace("<html ", '<html class="fit" ', 1)).render()
    assert rows_of(document.pages[0]) == rows_of(unpinned.pages[0])
    sheet = document.pages[0]._page_box
    for row in rows_of(document.pages[0]):
        x, width, _ = row[-1]
        assert x + width <= sheet.content_box_x() + sheet.width + 0.01
    # The long template name wraps after its separators, never inside a word.
    lines = rows_of(document.pages[0])[1][1][2]
    assert len(lines) > 1 and all(line.endswith("_") for line in lines[:-1])
    assert "".join(lines) == TEMPLATE


def test_a_page_whose_tables_do_not_pair_up_with_the_widths_is_laid_out_as_it_is():
    page = table_page(3)
    assert pagefit.pin_columns(page, []) == page
    assert pagefit.pin_columns(page, [None]) == page
    pinned = pagefit.pin_columns(page, [(10.0, 20.5, 30.0, 40.0, 50.0)])
    assert '<colgroup><col style="width: 10.0px"><col style="width: 20.5px">' in pinned


def test_the_pdfs_of_a_worker_share_one_font_configuration(tmp_path: Path, monkeypatch):
    used = []
    render_as_weasyprint_does = HTML.render
    monkeypatch.setattr(HTML, "render", lambda self, **options: used.append(
        options["font_config"]) or render_as_weasyprint_does(self, **options))
    pagefit.write_pdf(page_of(3), tmp_path / "a.pdf", None)
    pagefit.write_pdf(page_of(4), tmp_path / "b.pdf", None)
    assert used[0] is used[1] is pagefit.shared_font_config()
    # A page with fonts of its own keeps them to itself.
    own = page_of(3).replace("<style>", "<style>@font-face { font-family: Own; "
                                        "src: local('DejaVu Sans') }", 1)
    pagefit.write_pdf(own, tmp_path / "c.pdf", None)
    assert used[2] is not used[0]
    # Another thread (a Dask worker's) has its own.
    other = []
    thread = threading.Thread(target=lambda: other.append(pagefit.shared_font_config()))
    thread.start()
    thread.join()
    assert other[0] is not used[0]
