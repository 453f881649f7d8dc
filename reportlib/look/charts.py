"""The house chart style and the few chart kinds the reports use (plain matplotlib).

The house theme is set once, in matplotlib's rcParams, when this module is imported. Seaborn
drew it once; it is not imported any more: with scipy under it, it cost a kernel about 0.8 s
of imports per tenant-period for a theme and two chart kinds. One palette for the categories
everywhere (marketing, utility, authentication, service always the same colours); titles state
the finding (the callers write them: "Reads peak on Tuesdays at 10:00", not "Reads by hour");
axes carry units; numbers in the reader's locale. Nothing is random and nothing is fetched:
the same data draws the same PNG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import matplotlib
import matplotlib.figure
import matplotlib.ticker
import numpy as np

from reportlib.look.i18n import Formatter

CATEGORY_COLORS = {
    "marketing": "#d9480f",
    "utility": "#1c7ed6",
    "authentication": "#5f3dc4",
    "authentication_international": "#9775fa",
    "marketing_lite": "#ffa94d",
    "marketing_lite_dynamic": "#ffc078",
    "service": "#2b8a3e",
    "group_marketing": "#e8590c",
    "group_marketing_lite": "#ffd8a8",
    "group_utility": "#74c0fc",
    "group_service": "#8ce99a",
}
INITIATOR_COLORS = {"business": "#1c7ed6", "user": "#40c057", "not_reported": "#adb5bd"}
INK = "#212529"
MUTED = "#868e96"
GRID = "#e9ecef"
FONT = "DejaVu Sans"
HEAT = "Blues"  # sequential: darker = more


# Seaborn's "paper" context and "ticks" style (what the theme was first drawn with), then the
# house's own choices; the colour cycle is seaborn's "deep" palette.
HOUSE_RC = {
    "axes.linewidth": 1.0, "lines.linewidth": 1.2, "lines.markersize": 4.8,
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "patch.linewidth": 0.8, "text.color": ".15", "legend.title_fontsize": 9.6,
    "xtick.major.size": 4.8, "ytick.major.size": 4.8, "xtick.major.width": 1.0,
    "ytick.major.width": 1.0, "xtick.minor.size": 3.2, "ytick.minor.size": 3.2,
    "xtick.minor.width": 0.8, "ytick.minor.width": 0.8,
    "font.family": [FONT],
    "font.sans-serif": ["Arial", FONT, "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "axes.prop_cycle": matplotlib.cycler(color=[
        "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
        "#8c8c8c", "#ccb974", "#64b5cd"]),
    "axes.edgecolor": MUTED, "axes.labelcolor": MUTED, "axes.labelsize": 8,
    "axes.titlesize": 10, "axes.titlelocation": "left", "axes.titlecolor": INK,
    "axes.spines.top": False, "axes.spines.right": False, "axes.axisbelow": True,
    "axes.grid": True, "axes.grid.axis": "y", "grid.color": GRID, "grid.linewidth": 0.8,
    "xtick.color": INK, "ytick.color": INK, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "legend.frameon": False, "legend.fontsize": 8, "font.size": 8,
}


def house_style() -> None:
    """The house theme: white background, light horizontal grid, no top or right spine, small
    muted labels, left-aligned titles, no legend frame."""
    matplotlib.rcParams.update(HOUSE_RC)


house_style()


def _figure(width: float = 9.0, height: float = 3.2) -> tuple[matplotlib.figure.Figure, object]:
    fig = matplotlib.figure.Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(MUTED)
    ax.tick_params(colors=INK, labelsize=8)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _legend_above(ax, ncols: int = 1) -> None:
    """The legend above the plot, right-aligned on the title's line: never over the data."""
    ax.legend(frameon=False, fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0),
              ncols=ncols, borderaxespad=0.2)


def _counts(axis) -> None:
    """Ticks of a count at whole numbers: with few messages the default locator put them at
    0.25, 0.5…, which the count's format wrote "0 0 0 1 1 1 2"."""
    axis.set_major_locator(matplotlib.ticker.MaxNLocator(
        nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True))


def _locale_axis(ax, fmt: Formatter, money: bool = False) -> None:
    def label(value, _pos):
        return fmt.money(value) if money else fmt.number(value)

    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(label))
    if not money:
        _counts(ax.yaxis)


def caption(text: str) -> str:
    """An axis's caption as every chart writes it, in both languages: its first letter a
    capital ("Mensagens", "Tickets", "Usuários e mensagens"), the rest as given (a currency's
    "US$", a unit's "(%)"). Callers pass the words of a sentence ("mensagens"): one rule
    here, not one per caller."""
    return text[:1].upper() + text[1:]


PROVISIONAL_SHADE = "#ced4da"


def shade_provisional(ax, days: Sequence[date], first_day: date | None, fmt: Formatter) -> bool:
    """A light band over the provisional days (`first_day` on) of a daily chart, with a legend
    entry that says so in the reader's language; False when no day shown is provisional."""
    from datetime import datetime, time, timedelta

    from reportlib.reports import trust

    shown = [d for d in days if first_day is not None and d >= first_day]
    if not shown:
        return False
    half = timedelta(hours=12)
    ax.axvspan(datetime.combine(shown[0], time()) - half,
               datetime.combine(shown[-1], time()) + half, facecolor=PROVISIONAL_SHADE, alpha=0.45,
               hatch="//", edgecolor="#adb5bd", linewidth=0, zorder=0,
               label=trust.say("chart.provisional", fmt.locale))
    return True


MISSING_SHADE = "#f8f0e3"


def shade_missing(ax, days: Sequence[date], runs: Sequence[tuple[date, date]],
                  fmt: Formatter) -> bool:
    """A band over each run of days a source has no record on (coverage's `missing_days`),
    with one legend entry that says so: those days are not available, not zeros (their
    values are left out of the lines and bars). False when no run falls on the days shown."""
    from datetime import datetime, time, timedelta

    from reportlib.reports import trust

    half, labelled = timedelta(hours=12), False
    for first, last in runs:
        shown = [d for d in days if first <= d <= last]
        if not shown:
            continue
        ax.axvspan(datetime.combine(shown[0], time()) - half,
                   datetime.combine(shown[-1], time()) + half, facecolor=MISSING_SHADE,
                   hatch="..", edgecolor="#d9c6a5", linewidth=0, zorder=0,
                   label=None if labelled else trust.say("chart.missing", fmt.locale))
        labelled = True
    return labelled


def without_missing(days: Sequence[date], values: Sequence[float],
                     runs: Sequence[tuple[date, date]]) -> list[float]:
    """The values with those of missing days left out (NaN: no line, no bar)."""
    return [float("nan") if any(a <= d <= b for a, b in runs) else v
            for d, v in zip(days, values, strict=True)]


def _daily_legend(fig, ax, ncols: int, bands: int) -> None:
    """The series' legend above the plot; with a band (provisional days, days without
    records), under the chart instead (the bands' entries beside the series)."""
    if not bands:
        _legend_above(ax, ncols=ncols)
        return
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles[bands:] + handles[:bands], labels[bands:] + labels[:bands],
               frameon=False, fontsize=8, loc="outside lower left", ncols=ncols + bands)


MAX_DAY_TICKS = 11  # "Nov 10" labels side by side: more than this and they touch


def _day_ticks(ax, days: Sequence[date], fmt: Formatter) -> None:
    """At most MAX_DAY_TICKS day labels, evenly spaced from the first day (19 days: every
    second day, never all 19 crowded into each other)."""
    days = list(days)
    step = max(1, -(-len(days) // MAX_DAY_TICKS))
    ax.set_xticks(days[::step], [fmt.day(d) for d in days[::step]])


def daily_stacked(days: Sequence[date], series: dict[str, Sequence[float]],
                  colors: dict[str, str], labels: dict[str, str], title: str, unit_label: str,
                  fmt: Formatter, provisional_from: date | None = None,
                  missing: Sequence[tuple[date, date]] = ()) -> matplotlib.figure.Figure:
    """Stacked daily bars (e.g. business- vs user-initiated); days from `provisional_from` on
    shaded as provisional, the `missing` runs of days as without records (no bar)."""
    fig, ax = _figure()
    bands = shade_provisional(ax, days, provisional_from, fmt) + \
        shade_missing(ax, days, missing, fmt)
    bottom = [0.0] * len(days)
    for key, values in series.items():
        values = without_missing(days, values, missing)
        ax.bar(days, values, bottom=bottom, color=colors[key], label=labels[key], width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(title, loc="left", fontsize=10, color=INK, fontfamily=FONT)
    ax.set_ylabel(caption(unit_label), fontsize=8, color=MUTED)
    _locale_axis(ax, fmt)
    _day_ticks(ax, days, fmt)
    _daily_legend(fig, ax, len(series), bands)
    return fig


def projection(days: Sequence[date], cumulative: Sequence[float], end_day: date,
               projected: float, low: float, high: float, title: str, unit_label: str,
               fmt: Formatter, labels: tuple[str, str]) -> matplotlib.figure.Figure:
    """Cumulative value so far, and the month-end projection with its band."""
    fig, ax = _figure(height=3.0)
    ax.plot(days, cumulative, color=INITIATOR_COLORS["business"], linewidth=2, label=labels[0])
    if days:
        last_day, last = days[-1], cumulative[-1]
        ax.plot([last_day, end_day], [last, projected], color=MUTED, linestyle="--",
                linewidth=1.5, label=labels[1])
        ax.fill_between([last_day, end_day], [last, low], [last, high], color=GRID, alpha=0.9)
        ax.annotate(fmt.money(projected), (end_day, projected), textcoords="offset points",
                    xytext=(-4, 6), ha="right", fontsize=8, color=INK)
    ax.set_title(title, loc="left", fontsize=10, color=INK, fontfamily=FONT)
    ax.set_ylabel(caption(unit_label), fontsize=8, color=MUTED)
    _locale_axis(ax, fmt, money=True)
    ticks = list(days)[:: max(1, len(days) // 8)] + [end_day]
    ax.set_xticks(ticks, [fmt.day(d) for d in ticks])
    _legend_above(ax, ncols=2)
    return fig


def category_bars(categories: Sequence[str], values: Sequence[float], labels: dict[str, str],
                  title: str, fmt: Formatter, money: bool = False,
                  unit_label: str = "") -> matplotlib.figure.Figure:
    """Horizontal bars, one per category, in the house colours; the value axis names its unit
    (`unit_label`, in the reader's language) where its figures do not (money does)."""
    fig, ax = _figure(height=0.5 + 0.45 * max(1, len(categories)))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=GRID)
    positions = list(range(len(categories)))
    ax.barh(positions, values, color=[CATEGORY_COLORS.get(c, MUTED) for c in categories])
    ax.set_yticks(positions, [labels.get(c, c) for c in categories])
    ax.invert_yaxis()
    for y, v in zip(positions, values, strict=True):
        ax.annotate(fmt.money(v) if money else fmt.number(v), (v, y), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8, color=INK)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _p: fmt.money(v) if money else fmt.number(v)))
    if not money:
        _counts(ax.xaxis)
    ax.set_xlabel(caption(unit_label), fontsize=8, color=MUTED)
    ax.set_title(title, loc="left", fontsize=10, color=INK, fontfamily=FONT)
    ax.margins(x=0.15)
    return fig


def heatmap(values, row_labels: Sequence[str], column_labels: Sequence[str], title: str,
            fmt: Formatter, colorbar_label: str) -> matplotlib.figure.Figure:
    """A weekday x hour grid of values (rows x columns), darker = more, first row on top;
    missing values (NaN: too few to say) are grey cells."""
    grid = np.ma.masked_invalid(np.asarray(values, dtype=float))
    fig = matplotlib.figure.Figure(figsize=(9.0, 2.9), layout="constrained")
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(grid, cmap=HEAT, edgecolors="white", linewidth=0.6)
    ax.set_xlim(0, grid.shape[1])
    ax.set_ylim(grid.shape[0], 0)
    ax.set_xticks(np.arange(grid.shape[1]) + 0.5, list(column_labels))
    ax.set_yticks(np.arange(grid.shape[0]) + 0.5, list(row_labels))
    ax.tick_params(axis="both", rotation=0, length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.grid(False)
    ax.set_facecolor(GRID)  # the masked (missing) cells
    ax.set_title(title)
    bar = fig.colorbar(mesh, ax=ax, shrink=0.9, pad=0.01)
    bar.outline.set_visible(False)
    bar.ax.tick_params(labelsize=7)
    bar.set_label(caption(colorbar_label), fontsize=8, color=MUTED)
    # As many decimals as the ticks' step needs: a narrow range (79.6 to 80.4) would otherwise
    # read "80 80 80".
    ticks = [float(t) for t in bar.get_ticks()]
    step = min((b - a for a, b in zip(ticks, ticks[1:], strict=False)), default=1.0)
    decimals = next((d for d in range(3) if step * 10 ** d >= 1 - 1e-9), 3)
    bar.ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _p: fmt.number(v, decimals)))
    return fig


def histogram(values: Sequence[float], bins: Sequence[float], bin_labels: Sequence[str],
              title: str, ylabel: str, fmt: Formatter) -> matplotlib.figure.Figure:
    """A distribution: counts per bin, bins given by their edges (e.g. minutes on a log
    scale), one bar per bin, labelled by `bin_labels`."""
    counts, _ = np.histogram(values, bins=bins)
    fig, ax = _figure(height=2.8)
    ax.bar(np.arange(len(counts)), counts, width=0.8, color=INITIATOR_COLORS["business"],
           edgecolor="white")
    ax.set_xticks(range(len(counts)), bin_labels, fontsize=8)
    ax.set_xlabel("")
    ax.set_title(title, loc="left", fontsize=10, color=INK, fontfamily=FONT)
    ax.set_ylabel(caption(ylabel), fontsize=8, color=MUTED)
    _locale_axis(ax, fmt)
    return fig


def funnel(steps: Sequence[str], values: Sequence[float], title: str,
           fmt: Formatter, unit_label: str = "") -> matplotlib.figure.Figure:
    """Horizontal funnel: one bar per step, with the share of the first step; the value axis
    names what its numbers count (`unit_label`: messages, users)."""
    fig, ax = _figure(height=0.6 + 0.42 * len(steps))
    ax.grid(axis="y", visible=False)
    positions = list(range(len(steps)))
    ax.barh(positions, values, color=INITIATOR_COLORS["business"])
    ax.set_yticks(positions, steps)
    ax.invert_yaxis()
    first = values[0] or 1
    for y, v in zip(positions, values, strict=True):
        ax.annotate(f"{fmt.number(v)} ({fmt.percent(v / first)})", (v, y), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8, color=INK)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _p: fmt.number(v)))
    _counts(ax.xaxis)
    ax.set_xlabel(caption(unit_label), fontsize=8, color=MUTED)
    ax.set_title(title, loc="left", fontsize=10, color=INK, fontfamily=FONT)
    ax.margins(x=0.2)
    return fig


def daily_lines(days: Sequence[date], series: dict[str, Sequence[float]],
                colors: dict[str, str], labels: dict[str, str], title: str, unit_label: str,
                fmt: Formatter, provisional_from: date | None = None,
                dashed: Sequence[str] = (),
                missing: Sequence[tuple[date, date]] = ()) -> matplotlib.figure.Figure:
    """One line per series over the days of a period; days from `provisional_from` on shaded
    as provisional, the `missing` runs of days as without records (the lines broken there; a
    day left alone between two breaks is a dot). The series named in `dashed` are drawn dashed
    over the others: where two series run together (tickets closed the day they were opened),
    both stay in sight instead of the last one drawn hiding the first."""
    fig, ax = _figure()
    bands = shade_provisional(ax, days, provisional_from, fmt) + \
        shade_missing(ax, days, missing, fmt)
    for key, values in series.items():
        values = without_missing(days, values, missing)
        style = ({"linestyle": (0, (4, 2.5)), "linewidth": 1.6, "zorder": 3} if key in dashed
                 else {"linewidth": 2.6 if dashed else 1.8, "zorder": 2})
        ax.plot(days, values, color=colors.get(key, MUTED), label=labels.get(key, key),
                **style)
        alone = [i for i, v in enumerate(values) if not math.isnan(v) and all(
            j < 0 or j >= len(values) or math.isnan(values[j]) for j in (i - 1, i + 1))]
        if missing and alone:  # no line to draw through a day with no neighbour
            ax.plot([days[i] for i in alone], [values[i] for i in alone], linestyle="none",
                    marker="o", markersize=3.5, color=colors.get(key, MUTED),
                    zorder=style["zorder"])
    ax.set_title(title, loc="left", fontsize=10, color=INK, fontfamily=FONT)
    ax.set_ylabel(caption(unit_label), fontsize=8, color=MUTED)
    _locale_axis(ax, fmt)
    _day_ticks(ax, days, fmt)
    _daily_legend(fig, ax, min(4, len(series)), bands)
    return fig
