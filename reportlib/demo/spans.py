"""Which days the demo draws: its months up to as-of and, with `year_before`, the same calendar
months a year before, so that a report of a demo month can compare with the same days a year
before (docs/metrics.md, "Like for like").

A span is drawn as if exported at its end: whatever would happen from `end` on (a late read,
the close of a ticket still open at midnight) is not in the files, as at as-of. No month
outside the spans has a file: the months between the two are a gap in the data received, which
the reports show as no data or not available, never as a quiet month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reportlib.domain.calendar import next_month_start

# A year before, the demo tenants sent 15 % less of everything (campaign audiences, codes,
# agents' templates, service conversations): the business grew about 18 % in a year.
YEAR_BEFORE_VOLUME = 0.85


@dataclass(frozen=True)
class Span:
    """Days `first` up to `end` (the first day not drawn), at `volume` × the demo's scale."""

    first: date
    end: date
    volume: float = 1.0


def first_day(as_of: date, months: int) -> date:
    """The first day of the month `months - 1` months before as-of's."""
    start = as_of.replace(day=1)
    for _ in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return start


def _year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1)  # first days of months only: no 29 February


def demo_spans(as_of: date, months: int, year_before: bool) -> list[Span]:
    """The demo's own span (its months up to as-of), then, with `year_before`, the whole
    calendar months a year before those it covers, less those it covers itself (with 12
    months or more the two are one run of months)."""
    start = first_day(as_of, months)
    spans = [Span(start, as_of)]
    if year_before:
        last_month = (as_of - timedelta(days=1)).replace(day=1)
        end = min(next_month_start(_year_earlier(last_month)), start)
        if _year_earlier(start) < end:
            spans.append(Span(_year_earlier(start), end, YEAR_BEFORE_VOLUME))
    return spans
