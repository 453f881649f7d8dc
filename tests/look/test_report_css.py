"""The print stylesheet's page breaks (templates/report.css): a section's heading and the prose
that introduces its table share a page with the table's first rows; a table's first row never
ends a page alone, nor its last row starts one, nor its note; a table of two or three rows is
never split. Each section is pushed down a real report page (nbconvert's output around it,
WeasyPrint's layout) so that the page's foot crosses it at every few pixels."""

from __future__ import annotations

import nbformat
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from reportlib import render
from reportlib.look import pagefit, present

STEP = 6  # px between two positions of the section on the page


def page(spacer: int, *outputs: str) -> str:
    """A report page: a block `spacer` px tall, then each of `outputs` as a notebook cell's
    HTML output, as `render.notebook_to_html` writes them."""
    cells = [nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": html})])
        for html in (f'<div style="height: {spacer}px"></div>', *outputs)]
    return render.notebook_to_html(nbformat.v4.new_notebook(cells=cells), "Report", "Report",
                                   "en")


def laid_out(html: str):
    return HTML(string=html).render(font_config=pagefit.shared_font_config())


def pages_of(document) -> dict:
    """Each laid-out heading, paragraph and table row (its element) with the pages it is on."""
    found: dict = {}
    for number, sheet in enumerate(document.pages):
        for box in sheet._page_box.descendants():
            tag = getattr(box, "element_tag", None)
            if (tag in ("h2", "h3", "p") and isinstance(box, boxes.BlockBox)) or (
                    tag == "tr" and isinstance(box, boxes.TableRowBox)) or (
                    tag == "img" and isinstance(box, boxes.ReplacedBox)):
                found.setdefault(box.element, set()).add(number)
    return found


def positions(*outputs: str, start: str, end: str):
    """(spacer, laid-out document, pages of each element) for every position, `STEP` px
    apart, at which the page's foot crosses the last of `outputs` between the top of the
    block whose text starts with `start` and the bottom of the one whose text starts with
    `end`."""
    document = laid_out(page(0, *outputs))
    assert len(document.pages) == 1, "the outputs fit one page"
    sheet = document.pages[0]._page_box
    blocks = [box for box in sheet.descendants()
              if isinstance(box, (boxes.BlockBox, boxes.TableRowBox))
              and box.element_tag in ("h2", "p", "tr")]

    def block(text: str):
        return next(box for box in blocks if "".join(box.element.itertext()).startswith(text))

    foot = sheet.content_box_y() + sheet.height
    top, bottom = block(start).position_y, block(end).position_y + block(end).margin_height()
    for spacer in range(int(foot - bottom), int(foot - top) + 1, STEP):
        document = laid_out(page(spacer, *outputs))
        yield spacer, document, pages_of(document)


def root(document):
    """The page's `<html>` element, as WeasyPrint parsed it."""
    return next(box.element for box in document.pages[0]._page_box.descendants()
                if getattr(box, "element_tag", None) == "html")


def rows(document, where: str = "tbody") -> list:
    """The `where` rows (tbody, thead) of the page's last house table, in order."""
    table = [t for t in root(document).iter("table") if t.get("class") == "data"][-1]
    return [row for group in table.iter(where) for row in group.iter("tr")]


def elements(document, tag: str, text: str) -> list:
    """The page's `tag` elements whose text starts with `text`."""
    return [e for e in root(document).iter(tag) if "".join(e.itertext()).startswith(text)]


def campaigns(count: int) -> str:
    return present.table(["Campaign", "Sent", "Read rate"],
                         [[f"Campaign row {n}", f"{900 + n:,}", f"{n % 60}.5%"]
                          for n in range(count)], [False, True, True])


INTRO = ("Difference in percentage points (B − A), a 95% interval and a two-proportion test; "
         "below it, the smallest difference the test detects with these volumes (80% power, "
         "5% two-sided). Below 0.05 with such volumes a difference is often larger than the "
         "real one, and the next campaign may not repeat it.")


def test_a_heading_and_the_prose_before_a_table_share_a_page_with_its_first_two_rows():
    # The campaigns report's variant comparison: a page ended on its heading and most of the
    # paragraph that introduces the table, the table on the next page; another ended on a
    # table's header and its first row, the other rows overleaf.
    section = present.Section("Variant comparison", ["Pairs compared: 1.", INTRO],
                              body=campaigns(4))._repr_html_()
    checked = 0
    for spacer, document, on in positions(section, start="Difference",
                                           end="Campaign row 2"):
        heading, = elements(document, "h2", "Variant comparison")
        body = rows(document)
        assert on[heading] == on[body[0]] == on[body[1]], spacer
        for prose in elements(document, "p", "Pairs compared") + elements(document, "p", "Diff"):
            assert len(on[prose]) == 1, (spacer, "prose split across pages")
        checked += len(document.pages) == 2
    assert checked  # the page's foot did cross the section


def test_a_tables_last_row_and_its_note_never_start_a_page_alone():
    # The campaigns report's engagement peaks (its last row alone over the page) and a
    # provisional table's † note at the top of a page, away from its table.
    note = "† Provisional: statuses can still change until November 30, 2026."
    section = present.Section("Time to read", ["Half of the reads happen within 25 min."],
                              body=campaigns(10) + present.note(note))._repr_html_()
    split = 0
    for spacer, document, on in positions(section, start="Campaign row 7", end="† Prov"):
        body = rows(document)
        header, = rows(document, "thead")
        note_box, = elements(document, "p", "† Provisional")
        assert on[body[-1]] == on[body[-2]], spacer
        assert on[note_box] == on[body[-1]], spacer
        assert all(on[header] >= on[row] for row in body), (spacer, "header not repeated")
        split += len({page for row in body for page in on[row]}) == 2
    assert split  # some positions split the table over two pages


def test_a_table_of_two_or_three_rows_is_never_split_and_a_one_row_table_holds_nothing():
    for count in (2, 3):
        section = present.Section("Opt-outs", ["131050 failures per template."],
                                  body=campaigns(count))._repr_html_()
        for spacer, _, on in positions(section, start="Campaign row 0",
                                       end=f"Campaign row {count - 1}"):
            assert len({page for element, pages in on.items() for page in pages
                        if element.tag == "tr"}) == 1, (count, spacer)
    # A one-row table that ends a section passes no break rule on to the next section: the
    # section stays at the foot of its page when the next one cannot start there.
    single = present.Section("Scheduled", ["One campaign scheduled."],
                             body=campaigns(1))._repr_html_()
    chart = present.Section("Status funnel", ["Each bar is a step."], body=(
        '<img class="chart" alt="funnel" src="data:image/svg+xml;utf8,<svg xmlns='
        '%22http://www.w3.org/2000/svg%22 width=%22600%22 height=%22300%22/>"/>'))._repr_html_()
    document = laid_out(page(0, single))
    sheet = document.pages[0]._page_box
    last = [box for box in sheet.descendants() if isinstance(box, boxes.TableRowBox)][-1]
    room = sheet.content_box_y() + sheet.height - (last.position_y + last.height)
    document = laid_out(page(int(room) - 20, single, chart))
    on = pages_of(document)
    heading, = elements(document, "h2", "Scheduled")
    funnel, = elements(document, "h2", "Status funnel")
    assert on[heading] == on[rows(document)[0]] == {0} and on[funnel] == {1}


def test_a_table_kept_together_is_never_split_across_pages():
    # The campaigns report's variant pair (A, B, the difference, its interval, the smallest
    # detectable difference, p and the result): its first four rows ended a page and the
    # result stood alone overleaf, away from the rates it judges.
    section = present.Section("Variant comparison", ["Pairs compared: 1.", INTRO],
                              body=present.keep_together(campaigns(7)))._repr_html_()
    split = 0
    for spacer, document, on in positions(section, start="Campaign row 0",
                                           end="Campaign row 6"):
        pages = {page for row in rows(document) for page in on[row]}
        assert len(pages) == 1, spacer
        split += len(document.pages) == 2
    assert split  # the page's foot did cross the table


CHART = ('<img class="chart" alt="heatmap" src="data:image/svg+xml;utf8,<svg xmlns='
         '%22http://www.w3.org/2000/svg%22 width=%22600%22 height=%22200%22/>"/>')


def spacers(section: str, tags: tuple[str, ...], step: int) -> range:
    """The spacers, `step` px apart, that put the page's foot across `section`'s elements of
    `tags`: from below the last of them to above the first (the section fits one page)."""
    document = laid_out(page(0, section))
    assert len(document.pages) == 1
    sheet = document.pages[0]._page_box
    foot = sheet.content_box_y() + sheet.height
    placed = [box for box in sheet.descendants()
              if getattr(box, "element_tag", None) in tags]
    top = min(box.position_y for box in placed)
    bottom = max(box.position_y + box.margin_height() for box in placed)
    return range(int(foot - bottom), int(foot - top) + 1, step)


def test_a_chart_after_a_table_shares_a_page_with_its_subheading_and_sentence():
    # The campaigns report's heatmap: its section's table ended a page and the chart opened
    # the next one, pages away from the heading and the sentence that said what it shows.
    section = present.Section(
        "Engagement peaks", ["Marketing: best hours to send, by read rate: 10:00 (58.6%)."],
        body=campaigns(6) + present.chart_block(
            "Read rate by weekday and hour of the send",
            "Marketing, the category with the most received messages.", CHART))._repr_html_()
    split = 0
    for spacer in spacers(section, ("h3", "img"), STEP):
        document = laid_out(page(spacer, section))
        on = pages_of(document)
        heading, = elements(document, "h3", "Read rate")
        caption, = elements(document, "p", "Marketing, the")
        chart, = [e for e in root(document).iter("img") if e.get("alt") == "heatmap"]
        assert len(on[heading]) == 1 and on[heading] == on[caption] == on[chart], spacer
        split += on[chart] != on[rows(document)[0]]
    assert split  # some positions put the chart on the page after the table's first rows


def test_a_heading_and_its_prose_share_a_page_with_a_chart_and_its_phone_rendition():
    """A chart with its phone rendition is a <picture> around the <img>: inline, it let the
    campaigns' "Status funnel" heading and sentence end a page with the chart alone overleaf,
    where the bare <img> had kept them together."""
    import matplotlib.figure

    fig = matplotlib.figure.Figure(figsize=(9, 3.2), layout="constrained")
    fig.add_subplot().barh(["Sent", "Read"], [10, 6])
    chart = present.figure_to_img(fig, "funnel")
    assert chart.startswith("<picture>")
    section = present.Section("Status funnel", ["Each bar is a step of the audience."],
                              body=chart)._repr_html_()
    moved = 0
    for spacer in spacers(section, ("h2", "img"), STEP * 4):
        document = laid_out(page(spacer, section))
        on = pages_of(document)
        heading, = elements(document, "h2", "Status funnel")
        prose, = elements(document, "p", "Each bar")
        image, = [e for e in root(document).iter("img") if e.get("alt") == "funnel"]
        assert on[heading] == on[prose] == on[image], spacer
        moved += on[image] == {1}
    assert moved  # some positions put the chart, and so its heading, on the next page
