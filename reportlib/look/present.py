"""HTML building blocks of a report section: headings, prose, tables, KPI cards, notes.

Every piece of user text goes through `html.escape`, so a campaign or template name can never
inject markup, nor turn a sentence round (`esc` drops direction controls). A `Section`
renders itself in JupyterLab and in nbconvert's HTML the same way.
"""

from __future__ import annotations

import base64
import html
import io
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import matplotlib.axes
import matplotlib.figure
import matplotlib.text
import matplotlib.ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.layout_engine import ConstrainedLayoutEngine

from reportlib.sources import DIRECTION_CONTROLS

# Figure geometry: wide and short charts read well on A4 and on screens.
FIGURE_DPI = 144


# A masked phone number (`+55 ••• ••••-1234`, `i18n.mask_phone`) is one token to a reader.
MASKED_PHONE = re.compile(r"(\+\d{1,3}) (•••) (••••-\d{4})")


def unbroken_phones(text: str) -> str:
    """`text` with each masked phone number's spaces made non-breaking, so that no line ever
    ends inside one: in a table's cell of any column, a sentence, or an e-mail client that
    drops the stylesheet. The number itself (extracts, CSV files) keeps its plain spaces."""
    return MASKED_PHONE.sub("\\1\u00a0\\2\u00a0\\3", text)


# A figure and its unit ("15 min", "24 h", "3 d", "3,2 pp") are one token to a reader: a
# line ending between them left "274" at the end of one line and "min" at the start of the next.
FIGURE_AND_UNIT = re.compile(r"(\d) (min|h|d|s|pp)\b")
# A campaign's number ("Pedido enviado #24") stays with the word before it: a cell left "#4"
# alone on its second line.
NUMBER_SIGN = re.compile(r" #(?=\d)")
# A spaced en dash ("Black Friday – aquecimento", "Clube VIP 10/2026 – A") never starts a
# line, and a short marker after it (a variant's A or B, an hour's "10h") never starts one
# alone either; a longer word after it may.
DASH_AND_MARKER = re.compile(r" \u2013 (\S{1,3})(?=[\s,.;:)]|$)")
DASH = re.compile(r" \u2013(?= )")


def unbroken(text: str) -> str:
    """`text` with masked phone numbers (`unbroken_phones`), each figure with its unit, a
    number sign with the word before it and a spaced dash with the word before it (and a
    short marker after it) held on one line by no-break spaces."""
    text = FIGURE_AND_UNIT.sub("\\1\u00a0\\2", unbroken_phones(text))
    text = NUMBER_SIGN.sub("\u00a0#", text)
    return DASH.sub("\u00a0\u2013", DASH_AND_MARKER.sub("\u00a0\u2013\u00a0\\1", text))


def esc(value) -> str:
    """User text as HTML: escaped (never markup), without direction controls (a name holding
    a right-to-left override turned round the rest of its cell or sentence)."""
    return html.escape(unbroken(DIRECTION_CONTROLS.sub("", str(value))), quote=True)


class OpaqueCanvas(FigureCanvasAgg):
    """Agg, writing a chart with no transparent pixel as an 8-bit RGB PNG instead of RGBA.

    A PDF cannot hold a PNG's alpha channel: WeasyPrint decodes an RGBA chart, splits the
    alpha off into a mask and compresses both again (half of the campaigns PDF's writing),
    where the compressed rows of an RGB PNG go into the PDF as they are
    (`pdf_images.install`). A chart with a transparent pixel is written as before."""

    def print_png(self, filename_or_obj, *, metadata=None, pil_kwargs=None, drawn=False,
                  **_options):
        import numpy
        from PIL import Image, PngImagePlugin

        if not drawn:  # else drawn just now by `_png`
            FigureCanvasAgg.draw(self)  # raises inside savefig's dry run, as Agg's own does
        pixels = self.buffer_rgba()
        height, width = pixels.shape[:2]
        image = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1)
        if numpy.asarray(pixels)[..., 3].min() == 255:  # opaque
            image = image.convert("RGB")
        info = PngImagePlugin.PngInfo()
        for key, value in (metadata or {}).items():
            if value is not None:
                info.add_text(key, value)
        dpi = round(self.figure.dpi)
        image.save(filename_or_obj, format="png", pnginfo=info, dpi=(dpi, dpi),
                   **(pil_kwargs or {}))


# A second rendition of each chart for phone screens (the HTML read on a phone, the e-mail):
# narrower and its text larger, so that a 360-pixel screen, scaling it down, still shows
# labels of some 10 pixels where the wide one's were 4. Day labels that would touch are
# thinned out. The PDF and wider screens take the wide one.
NARROW_WIDTH = 4.6  # inches, against the wide one's 9
NARROW_TEXT = 1.2  # times each text's own size
NARROW_MEDIA = "(max-width: 560px)"


def _figure_artists_inside(fig: matplotlib.figure.Figure, canvas: FigureCanvasAgg) -> bool:
    """Whether the figure's own texts, legends, lines, patches and images end inside its
    edges. Constrained layout places the axes and all they hold inside; these it does not
    (a `fig.text` anywhere), and one wholly outside touches no edge pixel."""
    renderer, box = canvas.get_renderer(), fig.bbox
    for artist in fig.get_children():
        if artist is fig.patch or isinstance(artist, matplotlib.axes.Axes):
            continue
        if artist.get_visible():
            extent = artist.get_window_extent(renderer)
            if (extent.x0 < box.x0 or extent.y0 < box.y0 or extent.x1 > box.x1
                    or extent.y1 > box.y1):
                return False
    return True


def _png(fig: matplotlib.figure.Figure) -> bytes:
    """The chart's PNG at `FIGURE_DPI`. A figure laid out by constrained layout keeps
    everything inside its edges, a few points in: it is drawn once, as it is, where
    `savefig`'s tight box laid it out and measured it in a dry run before drawing it again (a
    quarter of a chart's time). A figure drawn up to an edge (something past it, or no such
    layout) is cut to its tight box as before."""
    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        import numpy

        canvas, dpi = OpaqueCanvas(fig), fig.dpi
        fig.set_dpi(FIGURE_DPI)
        try:
            canvas.draw()
            pixels = numpy.asarray(canvas.buffer_rgba())
            edges = numpy.concatenate((pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]))
            if (edges == pixels[0, 0]).all() and _figure_artists_inside(fig, canvas):
                buffer = io.BytesIO()
                canvas.print_png(buffer, metadata={"Software": None}, drawn=True)
                return buffer.getvalue()
        finally:
            fig.set_dpi(dpi)
    buffer = io.BytesIO()
    OpaqueCanvas(fig).print_figure(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight",
                                   metadata={"Software": None})
    return buffer.getvalue()


# At most this many fixed labels (a histogram's bins) are each worth naming: smaller text,
# down to the page's own size, before any of them is left out.
NAMED_TICKS = 10


def _fit(at: list[float], widths: list[float]) -> float:
    """How many times over labels of these `widths` (points) fit between ticks `at`."""
    return min((abs(at[i + 1] - at[i]) - 3) / ((widths[i] + widths[i + 1]) / 2)
               for i in range(len(at) - 1))


def _thin_tick_labels(fig: matplotlib.figure.Figure, width: float
                      ) -> tuple[list, dict]:
    """Keep apart the x tick labels of each axis once the figure is `width` inches wide with
    text × `NARROW_TEXT`: fixed ticks (days, hours, bins) show every second (third…) label,
    the first kept, unless a few (`NAMED_TICKS`) fit in smaller text, or on two lines (a
    figure above its unit); ticks a locator chooses (amounts) are asked for fewer. Worked out
    from the text's widths and the last layout's margins, without laying the figure out
    again (a third of a phone rendition's time).
    Returns how to undo it, and the x labels' text factor of the axes given smaller text."""
    from matplotlib.textpath import TextToPath

    measure = TextToPath()
    undo = []
    smaller: dict = {}
    figure_width = fig.get_size_inches()[0]
    for ax in fig.axes:
        labels = [label for label in ax.get_xticklabels() if label.get_visible()]
        ticks = list(ax.get_xticks())
        low, high = ax.get_xlim()
        ticks_shown = [t for t in ticks if min(low, high) <= t <= max(low, high)]
        texts = ax.xaxis.get_major_formatter().format_ticks(ticks)
        if len(ticks_shown) < 2 or len(texts) != len(ticks) or not labels:
            continue
        font = labels[0].get_fontproperties().copy()
        font.set_size(labels[0].get_fontsize() * NARROW_TEXT)
        widths = [measure.get_text_width_height_descent(text, font, ismath=False)[0]
                  for text in texts]  # points
        box = ax.get_position()
        margins = box.x0 * figure_width * NARROW_TEXT + (1 - box.x1) * figure_width
        points = max(36.0, (width - margins) * 72)
        locator = ax.xaxis.get_major_locator()
        if isinstance(locator, matplotlib.ticker.MaxNLocator) and ax.get_xscale() == "linear":
            room = int(points // (max(widths) + 12))
            if room < len(ticks_shown):
                ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(
                    max(1, room - 1), steps=locator._steps, integer=locator._integer))
                undo.append(lambda ax=ax, locator=locator: ax.xaxis.set_major_locator(locator))
            continue
        if not isinstance(locator, matplotlib.ticker.FixedLocator):
            continue  # categories, dates, logarithms: their own locators, left as they are
        at = [(tick - low) / (high - low) * points for tick in ticks]
        step = 1
        while step < len(at) and any(
                abs(at[i + step] - at[i]) < (widths[i] + widths[i + step]) / 2 + 3
                for i in range(0, len(at) - step, step)):
            step += 1
        if step > 1 and len(ticks) <= NAMED_TICKS:
            fit = _fit(at, widths)
            if fit * NARROW_TEXT >= 1.0:
                smaller[ax] = fit * NARROW_TEXT
                continue
            # Labels of a figure and its unit ("15–60 min") on two lines, when then they fit.
            wrapped = [text.replace(" ", "\n", 1) if " " in text else text for text in texts]
            fit = _fit(at, [max(measure.get_text_width_height_descent(line, font,
                                                                      ismath=False)[0]
                                for line in text.split("\n")) for text in wrapped])
            if wrapped != texts and fit * NARROW_TEXT >= 1.0:
                formatter = ax.xaxis.get_major_formatter()
                ax.xaxis.set_major_formatter(matplotlib.ticker.FixedFormatter(wrapped))
                undo.append(lambda ax=ax, formatter=formatter:
                            ax.xaxis.set_major_formatter(formatter))
                if fit < 1.0:
                    smaller[ax] = fit * NARROW_TEXT
                continue
        if len(labels) == len(ticks):
            for i, label in enumerate(labels):
                if i % step:
                    label.set_visible(False)
                    undo.append(lambda label=label: label.set_visible(True))
    return undo, smaller


def _drop_suptitle(fig: matplotlib.figure.Figure) -> None:
    if fig._suptitle is not None:
        fig._suptitle.remove()
        fig._suptitle = None


def _legend_below(fig: matplotlib.figure.Figure, legend) -> Callable[[], None]:
    """`legend` again under the chart, in at most two columns; returns how to undo it."""
    labels = [text.get_text() for text in legend.texts]
    below = fig.legend(legend.legend_handles, labels, frameon=False, loc="outside lower left",
                       ncols=min(2, len(labels)), title=legend.get_title().get_text() or None,
                       fontsize=legend.texts[0].get_fontsize() if legend.texts else 8)
    legend.set_visible(False)
    legend.set_in_layout(False)

    def undo() -> None:
        below.remove()
        legend.set_visible(True)
        legend.set_in_layout(True)

    return undo


def _phone_layout(fig: matplotlib.figure.Figure) -> list:
    """Lay the figure out for a phone: the title over the whole width (a figure title, wrapped)
    instead of beside the axis labels, and every legend under the chart in at most two
    columns instead of beside the title, where the two ran into each other. Returns the steps
    that undo it, to be run in reverse."""
    undo: list = []
    ax = fig.axes[0] if fig.axes else None
    if ax is not None:
        # The one title of the chart, moved as it is (its own font and colour); a figure with
        # a figure title of its own, or with titles on two sides, keeps its titles.
        titles = [text for text in (ax._left_title, ax.title, ax._right_title)
                  if text.get_text()]
        if len(titles) == 1 and fig._suptitle is None:
            (text,) = titles
            title, size = text.get_text(), text.get_fontsize()
            chars = max(20, int(NARROW_WIDTH * 72 / (size * 0.56)))
            wrapped = "\n".join(textwrap.fill(line, chars) for line in title.splitlines())
            fig.suptitle(wrapped, x=0.01, ha="left", fontsize=size,
                         color=text.get_color(), fontproperties=text.get_fontproperties())
            text.set_text("")
            undo.append(lambda text=text, title=title: (text.set_text(title),
                                                        _drop_suptitle(fig)))
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            undo.append(_legend_below(fig, legend))
    for legend in [legend for legend in fig.legends if legend.get_visible()]:
        if legend._ncols > 2:
            undo.append(_legend_below(fig, legend))
    return undo


def _narrow_png(fig: matplotlib.figure.Figure) -> bytes:
    """The phone rendition (`NARROW_WIDTH`, text × `NARROW_TEXT`, `_phone_layout`); the
    figure is left as it was, so that an analyst's notebook can show it again."""
    width, height = fig.get_size_inches()
    # From the page layout, before any change.
    thinned, smaller = _thin_tick_labels(fig, NARROW_WIDTH)
    texts = [(text, text.get_fontsize()) for text in fig.findobj(matplotlib.text.Text)]
    ticks = [(ax, axis, labels[0].get_fontsize()) for ax in fig.axes
             for axis, labels in (("x", ax.get_xticklabels()), ("y", ax.get_yticklabels()))
             if labels]
    undo: list = []
    try:
        fig.set_size_inches(NARROW_WIDTH, height * 1.1)
        for text, size in texts:
            text.set_fontsize(size * NARROW_TEXT)
        for ax, axis, size in ticks:
            factor = smaller.get(ax, NARROW_TEXT) if axis == "x" else NARROW_TEXT
            ax.tick_params(axis=axis, which="major", labelsize=size * factor)
        undo = _phone_layout(fig)
        return _png(fig)
    finally:
        for step in reversed(undo):
            step()
        for step in reversed(thinned):
            step()
        for ax, axis, size in ticks:
            ax.tick_params(axis=axis, which="major", labelsize=size)
        for text, size in texts:
            text.set_fontsize(size)
        fig.set_size_inches(width, height)


def figure_to_img(fig: matplotlib.figure.Figure, alt: str) -> str:
    """A chart as an inline PNG <img> (static: the PDF and e-mail need no script), in a
    <picture> whose <source> is its phone rendition (`_narrow_png`). Only a figure laid out
    by constrained layout (every chart of `charts`) has one: without it, titles, legends and
    larger labels moved on a narrower figure would land on the plot."""
    wide = base64.b64encode(_png(fig)).decode("ascii")
    img = f'<img class="chart" alt="{esc(alt)}" src="data:image/png;base64,{wide}"/>'
    if not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        return img
    narrow = base64.b64encode(_narrow_png(fig)).decode("ascii")
    return (f'<picture><source media="{NARROW_MEDIA}" '
            f'srcset="data:image/png;base64,{narrow}">{img}</picture>')


LONGEST_WORD = 32  # a token up to this long (an e-mail address, a bot id) is never split
BREAK_AFTER = re.compile(r"([@._/-])")  # where a longer address or name may break (after these)


def _pieces(cell) -> list[str]:
    """A cell's words, cut after `@`, `.`, `_`, `/` and `-` (where a long one may break)."""
    return [p for word in str(cell).split() for p in BREAK_AFTER.sub(r"\1 ", word).split()]


def _short_words(cells: Sequence) -> bool:
    return all(len(piece) <= LONGEST_WORD for cell in cells for piece in _pieces(cell))


class Html(str):
    """A table cell that is already HTML (its text escaped when it was built): kept as it is."""


def link(href: str, text: str) -> Html:
    """A link cell; `href` as given (a relative path stays relative, in the HTML and PDF)."""
    return Html(f'<a href="{esc(href)}">{esc(text)}</a>')


# Where the line breaker may cut a word of its own accord (after a hyphen, a dash, a slash).
BREAKS_INSIDE = re.compile(r"[-/\u2010-\u2015]")


def _runs(word: str) -> list[str]:
    """A long token cut into as few runs of at most `LONGEST_WORD` characters as its
    separators allow, an address always after its `@`. A run with no separator to cut at
    stays longer (and may break anywhere)."""
    runs: list[str] = []
    for part in word.split("@"):
        if runs:
            runs[-1] += "@"
            runs.append("")
        for piece in BREAK_AFTER.sub(r"\1 ", part).split():
            if runs and runs[-1] and len(runs[-1]) + len(piece) <= LONGEST_WORD:
                runs[-1] += piece
            else:
                runs.append(piece)
    return [run for run in runs if run]


def _token(run: str) -> str:
    """One run of a cell, escaped and kept on one line: `-` and `/` would otherwise let the
    line breaker split `varejo-router`. A run longer than `LONGEST_WORD` is left free."""
    if len(run) > LONGEST_WORD or not BREAKS_INSIDE.search(run):
        return esc(run)
    return f'<span class="token">{esc(run)}</span>'


def _cell(value, whole: bool = False) -> str:
    """A cell's escaped text. A token that fits `LONGEST_WORD` is never split: a column
    breaks its identifiers only when they are longer, and then only after a separator
    (`agente5@` / `varejo_sul.example`). A break opportunity inside a short token would let
    the table's layout narrow its column below the token even with width to spare. `whole`:
    the cell never wraps (figures, masked phones), as it is."""
    if isinstance(value, Html):
        return str(value)
    if whole:
        return esc(value)
    value = unbroken(str(value))
    return " ".join("<wbr>".join(_token(run) for run in _runs(word)) if len(word) > LONGEST_WORD
                    else _token(word) for word in str(value).split(" "))


MASKED = "•••"


def table(columns: Sequence[str], rows: Sequence[Sequence], numeric: Sequence[bool] | None = None,
          footer: Sequence | None = None, words: Sequence[bool] | None = None) -> str:
    """A plain HTML table; cells are escaped, numeric columns right-aligned. Cells wrap
    between words; a token longer than `LONGEST_WORD` also after its separators (`_cell`),
    and one with none may break anywhere, except in `words` columns (short labels): those
    wrap between words only. By default a column is a `words` column when none of its words'
    pieces is longer than `LONGEST_WORD` characters."""
    numeric = list(numeric or [False] * len(columns))
    if words is None:
        words = [_short_words([c, *(row[i] for row in rows)]) for i, c in enumerate(columns)]
    # A masked phone number (`+55 ••• ••••-0001`) is one token to a reader: never wrapped.
    phones = [bool(rows) and all(MASKED in str(row[i]) for row in rows)
              for i in range(len(columns))]
    classes = [("num" if n else "nowrap" if p else "words" if w else "") for n, w, p in
               zip(numeric, words, phones, strict=True)]
    head = "".join(f'<th class="{k}">{esc(c)}</th>' for c, k in zip(columns, classes,
                                                                    strict=True))
    body = "".join(
        "<tr>" + "".join(f'<td class="{k}">{_cell(v, k in ("num", "nowrap"))}</td>'
                         for v, k in zip(row, classes, strict=True)) + "</tr>"
        for row in rows)
    foot = ""
    if footer is not None:
        foot = "<tfoot><tr>" + "".join(f'<td class="{"num" if n else ""}">{esc(v)}</td>'
                                       for v, n in zip(footer, numeric, strict=True))
        foot += "</tr></tfoot>"
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>'


def chart_block(heading: str, caption: str, chart: str) -> str:
    """A chart that follows a table in its section, under a subheading and a sentence of its
    own, the three kept on one page (report.css): a chart after a table would otherwise open
    a page away from the heading and prose that introduce it."""
    return (f'<div class="chart-block"><h3>{esc(heading)}</h3><p>{esc(caption)}</p>{chart}'
            "</div>")


def keep_together(body: str) -> str:
    """A short table (or any block) that reads as one piece, never split across two pages
    (report.css): a variant pair's result on one page and its rates on the other."""
    return f'<div class="keep-together">{body}</div>'


def cards(items: Sequence[tuple[str, str]]) -> str:
    """Headline numbers as KPI cards: (label, formatted value)."""
    inner = "".join(f'<div class="card"><div class="card-value">{esc(v)}</div>'
                    f'<div class="card-label">{esc(k)}</div></div>' for k, v in items)
    return f'<div class="cards">{inner}</div>'


@dataclass
class Section:
    """One report section: a title, one or two sentences, and a chart or table (HTML)."""

    title: str
    prose: Sequence[str]
    body: str = ""
    level: int = 2
    extra_class: str = ""
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        prose = "".join(f"<p>{esc(p)}</p>" for p in self.prose)
        notes = "".join(f'<p class="note">{esc(n)}</p>' for n in self.notes)
        return (f'<section class="report-section {esc(self.extra_class)}">'
                f"<h{self.level}>{esc(self.title)}</h{self.level}>{prose}{self.body}{notes}"
                "</section>")


@dataclass
class Header:
    """The report's title block with the partial badge, and its alerts (anomaly flags) first
    under the title."""

    title: str
    subtitle: str
    badge: str = ""
    lines: Sequence[str] = ()
    alerts: Sequence[str] = ()

    def _repr_html_(self) -> str:
        badge = f'<span class="badge">{esc(self.badge)}</span>' if self.badge else ""
        lines = "".join(f'<p class="meta">{esc(line)}</p>' for line in self.lines)
        alerts = "".join(f'<p class="alert" style="{ALERT_STYLE}">{esc(a)}</p>'
                         for a in self.alerts)
        return (f'<header class="report-header"><h1>{esc(self.title)}</h1>'
                f'<p class="subtitle">{esc(self.subtitle)} {badge}</p>{alerts}{lines}</header>')


# An alert stands out in the page, the PDF and the e-mail alike (inline: no stylesheet needed).
ALERT_STYLE = ("margin: 4px 0; padding: 4px 8px; border-left: 3px solid #c92a2a; "
               "background: #fff5f5; color: #212529; font-size: 0.85rem;")
PROVISIONAL_MARK = "†"


def mark_provisional(rows: Sequence[Sequence], provisional: Sequence[bool],
                     numeric: Sequence[bool]) -> list[list]:
    """Rows whose figures are provisional get a † after each numeric cell (the table's note
    says what it means)."""
    return [[f"{v} {PROVISIONAL_MARK}" if n and marked and str(v) not in ("", "–") else v
             for v, n in zip(row, numeric, strict=True)]
            for row, marked in zip(rows, provisional, strict=True)]


def note(text: str) -> str:
    """A note under a table (e.g. what its † marks)."""
    return f'<p class="note">{esc(text)}</p>'


@dataclass
class Footnotes:
    """The report's numbered notes; `beside_files`, after them, speak of the files published
    beside the report (a campaign's CSV): marked so that the e-mail, which carries no such
    file, leaves them out."""

    title: str
    notes: Sequence[str]
    beside_files: Sequence[str] = ()

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{esc(n)}</li>" for n in self.notes) + "".join(
            f'<li class="beside-files">{esc(n)}</li>' for n in self.beside_files)
        return f'<section class="footnotes"><h2>{esc(self.title)}</h2><ol>{items}</ol></section>'
