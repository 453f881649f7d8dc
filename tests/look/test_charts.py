"""The house chart style: one theme (set when reportlib.look.charts is imported, without
seaborn or scipy), the category colours the same in every chart, heatmaps and distributions,
titles as given (the finding), the same PNG for the same data; and the weekday x send-hour
read rates behind the campaigns heatmap, worked by hand."""

from __future__ import annotations

from datetime import date

import matplotlib
import matplotlib.colors
import numpy as np
import pandas as pd

from reportlib.domain.metrics import best_slot, send_slot_rates
from reportlib.look import charts, present
from reportlib.look.i18n import Formatter

PT, EN = Formatter("pt-BR"), Formatter("en")


def test_the_house_theme_is_set_once_on_import():
    rc = matplotlib.rcParams
    assert rc["axes.titlelocation"] == "left"
    assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
    assert rc["axes.grid"] is True and rc["axes.grid.axis"] == "y"
    assert matplotlib.colors.to_hex(rc["grid.color"]) == charts.GRID
    assert rc["legend.frameon"] is False
    assert rc["font.family"] == [charts.FONT]


def test_each_category_has_its_own_colour_in_every_chart():
    # Marketing, utility, authentication and service: four distinct, fixed colours.
    fixed = {"marketing": "#d9480f", "utility": "#1c7ed6", "authentication": "#5f3dc4",
             "service": "#2b8a3e"}
    assert {k: charts.CATEGORY_COLORS[k] for k in fixed} == fixed
    assert len(set(charts.CATEGORY_COLORS.values())) == len(charts.CATEGORY_COLORS)
    # The bars of a category chart take those colours whatever the order of the categories.
    for order in (["service", "marketing", "utility"], ["utility", "service", "marketing"]):
        fig = charts.category_bars(order, [3.0, 2.0, 1.0], {c: c for c in order}, "t", PT)
        got = [matplotlib.colors.to_hex(bar.get_facecolor()) for bar in fig.axes[0].patches]
        assert got == [fixed[c] for c in order]


def test_heatmap_is_drawn_with_blank_cells_and_a_titled_finding():
    values = np.array([[50.0, np.nan, 70.0], [60.0, 65.0, np.nan]])
    fig = charts.heatmap(values, ["seg", "ter"], ["9h", "10h", "11h"],
                         "Envios de terça-feira às 10h são os mais lidos (65,0%)", PT,
                         "Taxa de leitura (%)")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Envios de terça-feira às 10h são os mais lidos (65,0%)"
    mesh = ax.collections[0]
    data = np.ma.getdata(mesh.get_array())
    mask = np.ma.getmaskarray(mesh.get_array())
    # The two missing cells are masked (too few messages): 6 cells, 2 of them masked,
    # showing the grey of the axes behind them.
    assert data.size == 6 and int(mask.sum()) == 2
    assert matplotlib.colors.to_hex(ax.get_facecolor()) == charts.GRID
    assert [t.get_text() for t in ax.get_yticklabels()] == ["seg", "ter"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["9h", "10h", "11h"]
    assert mesh.colorbar.ax.get_ylabel() == "Taxa de leitura (%)"


def test_distribution_counts_each_bin_once():
    # Minutes 0.5, 2, 3, 12 and 400 in bins [0, 1), [1, 5), [5, 60), [60, 1440): 1, 2, 1, 1.
    fig = charts.histogram([0.5, 2, 3, 12, 400], [0, 1, 5, 60, 1440],
                           ["<1", "1–5", "5–60", "1–24 h"], "Metade das leituras em até 3 min",
                           "Mensagens", PT)
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert heights == [1, 2, 1, 1]
    assert fig.axes[0].get_title(loc="left") == "Metade das leituras em até 3 min"


def test_the_same_data_draws_the_same_png():
    days = [date(2026, 11, d) for d in range(1, 8)]

    def draw() -> str:
        fig = charts.daily_lines(days, {"a": [1, 2, 3, 4, 5, 6, 7]}, {"a": charts.INK},
                                 {"a": "A"}, "Pico em 7 de novembro: 7 mensagens", "n", PT)
        return present.figure_to_img(fig, "x")

    assert draw() == draw()


def test_read_rate_by_send_weekday_and_hour():
    # Tuesday (2) 10h: 4 received (delivered or read), 3 read -> 75%; Tuesday 11h: 2 received,
    # 1 read -> 50%; Monday 10h: 1 received (read) -> below a minimum of 2, no rate; a failed
    # message is not received and counts nowhere.
    messages = pd.DataFrame({
        "send_weekday": [2, 2, 2, 2, 2, 2, 1, 1],
        "send_hour": [10, 10, 10, 10, 11, 11, 10, 10],
        "final_status": ["read", "read", "read", "delivered", "read", "delivered", "read",
                         "failed"]})
    slots = send_slot_rates(messages, min_volume=2)
    assert slots[["weekday", "hour", "received", "read"]].values.tolist() == [
        [1, 10, 1, 1], [2, 10, 4, 3], [2, 11, 2, 1]]
    assert pd.isna(slots["read_rate"].iloc[0])
    assert slots["read_rate"].iloc[1:].tolist() == [0.75, 0.5]
    assert best_slot(slots) == (2, 10, 0.75)


def test_best_slot_ties_go_to_the_earlier_weekday_then_hour_and_none_without_volume():
    slots = pd.DataFrame({"weekday": [3, 2, 2], "hour": [9, 14, 11],
                          "received": [10, 10, 10], "read": [5, 5, 5],
                          "read_rate": [0.5, 0.5, 0.5]})
    assert best_slot(slots) == (2, 11, 0.5)
    assert best_slot(slots.assign(read_rate=None)) is None
    assert best_slot(send_slot_rates(pd.DataFrame(
        columns=["send_weekday", "send_hour", "final_status"]))) is None


def test_weekdays_days_and_zones_are_written_out():
    assert (PT.weekday(2), EN.weekday(2)) == ("terça-feira", "Tuesday")
    assert (PT.weekday(7), EN.weekday(7)) == ("domingo", "Sunday")
    assert (PT.day_month(date(2026, 11, 6)), EN.day_month(date(2026, 11, 6))) == (
        "6 de novembro", "November 6")
    assert (PT.zone("America/Sao_Paulo"), EN.zone("America/Sao_Paulo")) == (
        "São Paulo", "Sao Paulo")
    assert PT.zone("UTC") == "UTC"


def test_day_labels_of_a_part_month_never_crowd_each_other():
    # 19 days of an open month in English ("Nov 10"): every label on its own made them touch;
    # at most 11 labels, every second day. A whole month keeps every third day (11 labels).
    open_month = [date(2026, 11, d) for d in range(1, 20)]
    whole = [date(2026, 10, d) for d in range(1, 32)]
    for days, expected in ((open_month, ["Nov 1", "Nov 3", "Nov 5"]),
                           (whole, ["Oct 1", "Oct 4", "Oct 7"])):
        for draw in (charts.daily_lines, charts.daily_stacked):
            fig = draw(days, {"a": [1.0] * len(days)}, {"a": "#000000"}, {"a": "a"}, "t", "u",
                       EN)
            labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
            assert len(labels) <= 11 and labels[:3] == expected, (draw.__name__, labels)


def test_heatmap_colour_bar_ticks_of_a_narrow_range_are_not_repeated():
    # Read rates between 79.6 % and 80.4 % (one category's hours): the colour bar's ticks are
    # a fraction of a point apart, so they need a decimal; whole numbers read "80 80 80".
    values = np.array([[79.6, 80.0, 80.4], [80.2, np.nan, 79.8]])
    fig = charts.heatmap(values, ["seg", "ter"], ["9h", "10h", "11h"], "t",
                         Formatter("pt-BR"), "Taxa de leitura (%)")
    fig.canvas.draw()
    bar = fig.axes[-1]
    labels = [t.get_text() for t in bar.get_yticklabels() if t.get_text()]
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    assert all("," in label for label in labels), labels


def test_a_dashed_series_stays_in_sight_over_one_that_runs_with_it():
    # Attendance, every tenant: tickets closed the day they were opened drew the "closed" line
    # exactly over the "opened" one; the legend named two lines and the reader saw one.
    days = [date(2026, 11, d) for d in range(1, 6)]
    same = [3, 5, 2, 4, 1]
    fig = charts.daily_lines(days, {"opened": same, "closed": same},
                             {"opened": "#1c7ed6", "closed": "#40c057"},
                             {"opened": "Abertos", "closed": "Encerrados"}, "t", "tickets", PT,
                             dashed=("closed",))
    opened, closed = fig.axes[0].get_lines()
    assert opened.get_linestyle() == "-" and closed.get_linestyle() == "--"
    assert opened.get_linewidth() > closed.get_linewidth()  # wider: seen on both sides
    assert closed.get_zorder() > opened.get_zorder()


def test_each_chart_has_a_phone_rendition_with_larger_text_and_labels_apart(monkeypatch):
    """Drawn 9 inches wide with 8-point labels, a chart on a 360-pixel phone showed labels of
    4 pixels. Its phone rendition is 4.6 inches with text 1.2 times larger (8 → 9.6 points),
    so some 10 pixels there, its title over the whole width; x labels that would touch are
    thinned out (31 days: every third day's label touched the next; amounts: the locator's
    ticks of "US$ 100,00" ran into each other), and the figure is left as it was."""
    import base64
    import io
    import re

    from PIL import Image

    whole = [date(2026, 10, d) for d in range(1, 32)]
    days = charts.daily_stacked(whole, {"a": [1.0] * 31}, {"a": "#000000"}, {"a": "a"},
                                "Mensagens por dia", "u", PT)
    money = charts.category_bars(["marketing", "utility", "authentication"],
                                 [580.28, 11.76, 4.91], {}, "Custo", PT, money=True)
    # Eight bins beside counts in the thousands: each bin is named, in smaller text (every
    # second one was left out).
    bins = charts.histogram([0.5] * 1400 + [2, 7, 30, 90, 300, 2000, 5000],
                            [0, 1, 5, 15, 60, 240, 1440, 4320, 99999],
                            ["<1 min", "1–5", "5–15", "15–60", "1–4 h", "4–24 h", "1–3 d",
                             ">3 d"], "Half", "Messages", EN)
    seen = []
    original = present._png

    def looking(figure):
        png = original(figure)  # the rendition drawn: its labels where they were drawn
        if figure.get_size_inches()[0] == present.NARROW_WIDTH:
            renderer = figure.canvas.get_renderer()
            labels = [t for t in figure.axes[0].get_xticklabels()
                      if t.get_visible() and t.get_text()]
            seen.append({"boxes": [t.get_window_extent(renderer) for t in labels],
                         "size": labels[0].get_fontsize(),
                         "title": (figure._suptitle.get_text(),
                                   figure._suptitle.get_fontsize())})
        return png

    monkeypatch.setattr(present, "_png", looking)
    for fig, title, counted in ((days, "Mensagens por dia", (3, 10)), (money, "Custo", (2, 4)),
                                (bins, "Half", (8, 8))):
        before = ([t.get_fontsize() for t in fig.axes[0].get_xticklabels()],
                  tuple(fig.get_size_inches()), fig.axes[0].get_title(loc="left"))
        tag = present.figure_to_img(fig, "x")
        assert present.figure_to_img(fig, "x") == tag  # the phone rendition changed nothing
        phone = seen[-1]
        assert (8 <= phone["size"] < 8 * 1.2) if fig is bins else phone["size"] == 8 * 1.2
        assert phone["title"] == (title, 10 * 1.2)
        boxes = phone["boxes"]
        assert counted[0] <= len(boxes) <= counted[1], len(boxes)
        assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False)), boxes
        assert ([t.get_fontsize() for t in fig.axes[0].get_xticklabels()],
                tuple(fig.get_size_inches()), fig.axes[0].get_title(loc="left")) == before
        assert fig._suptitle is None
        narrow, wide = (Image.open(io.BytesIO(base64.b64decode(b)))
                        for b in re.findall(r"base64,([A-Za-z0-9+/=]+)", tag))
        assert narrow.size[0] < wide.size[0] * 0.6
        assert tag.startswith(f'<picture><source media="{present.NARROW_MEDIA}" srcset="data:')


def test_counts_are_ticked_at_whole_numbers():
    """Bins of 1, 2 and 1 messages: the default ticks (0, 0.25 … 2) read "0 0 0 1 1 1 2" in
    the count's format. Whole numbers only, each written once; the same for the other count
    charts (daily lines, funnel, bars of messages)."""
    import matplotlib.ticker

    fig = charts.histogram([0.5, 2, 3, 12], [0, 1, 5, 60], ["<1", "1–5", "5–60"], "t", "n", PT)
    fig.draw_without_rendering()
    ticks = [t for t in fig.axes[0].get_yticks() if 0 <= t <= 2]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert len(labels) == len(set(labels)), labels
    days = [date(2026, 11, d) for d in range(1, 4)]
    lines = charts.daily_lines(days, {"a": [0, 1, 2]}, {"a": charts.INK}, {"a": "A"}, "t",
                               "n", PT)
    bars = charts.funnel(["a", "b"], [2, 1], "t", PT)
    for axis in (lines.axes[0].yaxis, bars.axes[0].xaxis):
        locator = axis.get_major_locator()
        assert isinstance(locator, matplotlib.ticker.MaxNLocator)
        assert all(float(t).is_integer() for t in locator.tick_values(0, 2))


def test_an_analysts_own_figure_is_left_as_it_was_by_its_phone_rendition():
    """A notebook's own figure, its title styled and a figure title of its own: drawing the
    phone rendition moves the one axes title and puts it back with its style; a figure title
    already there keeps the titles where they are (it was replaced, then dropped)."""
    import matplotlib.figure

    fig = matplotlib.figure.Figure(figsize=(9, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([1, 2, 3], [3, 1, 2])
    ax.set_title("Vendas", loc="left", color="#c92a2a", fontweight="bold", fontsize=13)
    present.figure_to_img(fig, "x")
    title = ax._left_title
    assert (title.get_text(), title.get_color(), title.get_fontweight(),
            title.get_fontsize()) == ("Vendas", "#c92a2a", "bold", 13)
    assert fig._suptitle is None
    fig.suptitle("Painel de vendas")
    first = present.figure_to_img(fig, "x")
    assert fig._suptitle.get_text() == "Painel de vendas" and ax.get_title("left") == "Vendas"
    assert present.figure_to_img(fig, "x") == first


def test_the_phone_rendition_leaves_other_locators_and_layouts_alone(monkeypatch):
    """A review's cases: categories on x lost their names (a locator put in place of
    matplotlib's own put "Lembrete de maio" at 2.5, off its bar), small counts on a funnel of
    long steps read "0 2 3 4 6 8" again, a legend lost its title, a title its line break,
    and a figure without constrained layout had its legend drawn over the plot. Now the
    categories' (dates', logarithms') own locators stay, a count's stays whole, the legend
    and title keep theirs, and a figure without constrained layout has no phone rendition."""
    import matplotlib.figure
    import matplotlib.ticker

    seen = []
    original = present._png

    def looking(figure):
        if figure.get_size_inches()[0] == present.NARROW_WIDTH:
            ax = figure.axes[0]
            legends = [leg for leg in figure.legends if leg.get_visible()]
            seen.append({"locator": ax.xaxis.get_major_locator(),
                         "ticks": list(ax.xaxis.get_major_locator()()),
                         "legend": [leg.get_title().get_text() for leg in legends],
                         "title": figure._suptitle.get_text() if figure._suptitle else None})
        return original(figure)

    monkeypatch.setattr(present, "_png", looking)
    fig = matplotlib.figure.Figure(figsize=(9, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(["Campanha de março", "Campanha de abril", "Lembrete de maio"], [3, 5, 2],
           label="Envios")
    ax.legend(title="Campanhas")
    ax.set_title("Linha um\nLinha dois", loc="left")
    present.figure_to_img(fig, "x")
    phone = seen[-1]
    assert not isinstance(phone["locator"], matplotlib.ticker.MaxNLocator)
    assert phone["ticks"] == [0, 1, 2]  # each category at its bar
    assert phone["legend"] == ["Campanhas"] and phone["title"] == "Linha um\nLinha dois"
    steps = [f"{n}. Etapa com um nome bastante comprido" for n in range(1, 5)]
    present.figure_to_img(charts.funnel(steps, [7, 5, 3, 1], "t", PT), "x")
    assert all(float(t).is_integer() for t in seen[-1]["ticks"]), seen[-1]["ticks"]
    plain = matplotlib.figure.Figure(figsize=(9, 3))
    plain.add_subplot().plot([1, 2], [1, 2], label="a")
    plain.axes[0].legend()
    tag = present.figure_to_img(plain, "x")
    assert tag.startswith('<img class="chart"') and "<picture>" not in tag


def test_a_chart_is_drawn_once_and_cut_to_its_tight_box_only_past_an_edge(monkeypatch):
    """`savefig`'s tight box drew every chart twice (a dry run to measure it, then its pixels):
    a quarter of a chart's time. A chart laid out inside its edges is drawn once, at its own
    size; one with text past an edge is still cut to its tight box, so nothing is lost."""
    import io

    import matplotlib.figure
    from PIL import Image

    draws = []
    original = matplotlib.figure.Figure.draw

    def counting(self, renderer):
        draws.append(self)
        return original(self, renderer)

    monkeypatch.setattr(matplotlib.figure.Figure, "draw", counting)
    days = [date(2026, 11, d) for d in range(1, 8)]
    fig = charts.daily_lines(days, {"a": [1, 2, 3, 4, 5, 6, 7]}, {"a": charts.INK},
                             {"a": "A"}, "Pico em 7 de novembro: 7 mensagens", "n", PT)
    image = Image.open(io.BytesIO(present._png(fig)))
    assert len(draws) == 1
    assert image.size == (9 * present.FIGURE_DPI, int(3.2 * present.FIGURE_DPI))
    fig.text(1.02, 0.5, "além da borda")  # past the right edge
    draws.clear()
    image = Image.open(io.BytesIO(present._png(fig)))
    assert len(draws) == 3 and image.size[0] > 9 * present.FIGURE_DPI  # then the tight box


def test_a_phone_rendition_names_each_bin_with_its_unit_on_two_lines(monkeypatch):
    """Eight bins each with its unit ("15–60 min") do not fit side by side on a phone even in
    smaller text: every second one was left out. A figure above its unit, they all fit."""
    labels = ["<1 min", "1–5 min", "5–15 min", "15–60 min", "1–4 h", "4–24 h", "1–3 d",
              ">3 d"]
    fig = charts.histogram([0.5, 2, 7, 30, 90, 300, 2000, 5000],
                           [0, 1, 5, 15, 60, 240, 1440, 4320, 99999], labels, "t", "n", PT)
    seen = []
    original = present._png

    def looking(figure):
        png = original(figure)
        if figure.get_size_inches()[0] == present.NARROW_WIDTH:
            seen.append([t.get_text() for t in figure.axes[0].get_xticklabels()
                         if t.get_visible()])
        return png

    monkeypatch.setattr(present, "_png", looking)
    present.figure_to_img(fig, "x")
    assert seen == [[label.replace(" ", "\n") for label in labels]]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == labels  # as it was


def test_days_without_records_are_a_band_and_no_values_not_zeros():
    """docs/metrics.md, "Coverage": the missing runs of a source are shaded with their own
    legend entry, and the lines are broken and the bars left out there (not drawn at 0)."""
    import math

    days = [date(2026, 10, d) for d in range(1, 11)]
    runs = [(date(2026, 10, 4), date(2026, 10, 6))]
    fmt = Formatter("en", "USD")
    lines = charts.daily_lines(days, {"a": [5.0] * 10}, {"a": charts.INK}, {"a": "A"}, "t",
                               "u", fmt, missing=runs)
    (line,) = lines.axes[0].get_lines()
    assert [math.isnan(y) for y in line.get_ydata()] == [d in (4, 5, 6) for d in range(1, 11)]
    labels = [t.get_text() for legend in lines.legends for t in legend.get_texts()]
    assert labels == ["A", "No records in the source: not available"]
    # A day alone between two breaks is a dot (a line needs two days).
    two = charts.daily_lines(days, {"a": [5.0] * 10}, {}, {}, "t", "u", fmt,
                             missing=[(date(2026, 10, 2), date(2026, 10, 2)), *runs])
    a, dots = two.axes[0].get_lines()
    assert sum(math.isnan(y) for y in a.get_ydata()) == 4
    assert (dots.get_marker(), list(dots.get_xdata())) == ("o", [date(2026, 10, 1),
                                                                 date(2026, 10, 3)])
    bars = charts.daily_stacked(days, {"a": [5.0] * 10}, {"a": "#000000"}, {"a": "A"}, "t",
                                "u", Formatter("pt-BR", "BRL"), date(2026, 10, 9), runs)
    heights = [p.get_height() for p in bars.axes[0].patches if p.get_width() < 1]
    assert [math.isnan(h) for h in heights] == [d in (4, 5, 6) for d in range(1, 11)]
    labels = [t.get_text() for legend in bars.legends for t in legend.get_texts()]
    assert labels == ["A", "Provisório: ainda pode mudar",
                      "Sem registros na fonte: não disponível"]


def test_every_axis_caption_starts_with_a_capital_in_both_languages():
    # The reports passed their captions as their labels read: "mensagens" and "usuários e
    # mensagens" (words of a sentence) beside "Mensagens", "Eventos" and "Tickets"; the daily
    # charts of one report set read "messages" over one chart and "Messages" over the next.
    # One rule, in the charts: the first letter a capital, the rest as given.
    days = [date(2026, 10, d) for d in range(1, 6)]
    for fmt, words in ((PT, ("mensagens", "usuários e mensagens", "US$")),
                       (EN, ("messages", "users and messages", "USD"))):
        count, both, currency = words
        captions = [
            charts.daily_stacked(days, {"business": [1] * 5}, charts.INITIATOR_COLORS,
                                 {"business": "b"}, "t", count, fmt).axes[0].get_ylabel(),
            charts.daily_lines(days, {"sent": [1] * 5}, {}, {"sent": "s"}, "t", both,
                               fmt).axes[0].get_ylabel(),
            charts.histogram([1, 2], [0, 1, 5], ["<1", "1–5"], "t", count,
                             fmt).axes[0].get_ylabel(),
            charts.category_bars(["marketing"], [2.0], {"marketing": "m"}, "t", fmt,
                                 unit_label=count).axes[0].get_xlabel(),
            charts.projection(days, [1, 2, 3, 4, 5], date(2026, 10, 31), 30.0, 25.0, 35.0,
                              "t", currency, fmt, ("a", "b")).axes[0].get_ylabel(),
            charts.heatmap(np.ones((2, 2)), ["a", "b"], ["c", "d"], "t", fmt,
                           "taxa (%)").axes[-1].get_ylabel()]
        assert captions == [count.capitalize(), both.capitalize(), count.capitalize(),
                            count.capitalize(), currency, "Taxa (%)"], captions
