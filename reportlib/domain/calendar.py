"""Periods, tenant time-zone day boundaries, business days and the partial-consumption rule.

A period is a closed range of the tenant's local dates. Consumption figures of a month are
*partial* until the 5th business day of the following month (docs/metrics.md), counted Monday to
Friday without Brazilian national holidays as the `holidays` package lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from reportlib.errors import ReportError

CONSOLIDATION_BUSINESS_DAY = 5
EARLIEST_DATE = date(2015, 1, 1)
LATEST_DATE = date(2099, 12, 31)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    """A closed range of local dates, written `2026-10` (a month) or `2026-10-01..2026-10-15`."""

    start: date
    end: date  # inclusive
    label: str

    @property
    def is_month(self) -> bool:
        return _MONTH.match(self.label) is not None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """The period as a half-open UTC interval [start, end) for the tenant's time zone."""
        return local_day_start(self.start, timezone), local_day_start(
            self.end + timedelta(days=1), timezone
        )

    def __str__(self) -> str:
        return self.label


def parse_date(text: str, what: str = "date") -> date:
    """An ISO date (YYYY-MM-DD) or a ReportError naming the field."""
    try:
        value = date.fromisoformat(str(text).strip())
    except ValueError:
        raise ReportError(f"{what}: {text!r} is not a date (expected YYYY-MM-DD)") from None
    if not (EARLIEST_DATE <= value <= LATEST_DATE):
        raise ReportError(f"{what}: {text} is out of range ({EARLIEST_DATE}..{LATEST_DATE})")
    return value


def parse_period(text: str) -> Period:
    """Parse `YYYY-MM` or `YYYY-MM-DD..YYYY-MM-DD` (inclusive); anything else is a ReportError."""
    label = str(text).strip()
    if m := _MONTH.match(label):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise ReportError(f"period: {label!r} has no month {month:02d}")
        start = parse_date(f"{year:04d}-{month:02d}-01", "period")
        return Period(start, month_end(start), label)
    if m := _RANGE.match(label):
        start, end = parse_date(m.group(1), "period"), parse_date(m.group(2), "period")
        if end < start:
            raise ReportError(f"period: {label!r} ends before it starts")
        if (end - start).days > 366:
            raise ReportError(f"period: {label!r} is longer than 366 days")
        return Period(start, end, label)
    raise ReportError(f"period: {label!r} is not YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")


def month_end(day: date) -> date:
    nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def next_month_start(day: date) -> date:
    return month_end(day) + timedelta(days=1)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportError(f"timezone: {name!r} is not an IANA time zone") from None


def local_day_start(day: date, timezone: str) -> datetime:
    """The UTC instant at which `day` starts in `timezone` (aware datetime)."""
    return datetime.combine(day, time(0), tzinfo=zone(timezone)).astimezone(ZoneInfo("UTC"))


def local_date(instant: datetime, timezone: str) -> date:
    """The tenant's calendar date of an aware UTC instant."""
    return instant.astimezone(zone(timezone)).date()


@lru_cache(maxsize=64)
def _brazil_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Brazil(years=year).keys())


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a Brazilian national holiday."""
    return day.weekday() < 5 and day not in _brazil_holidays(day.year)


def nth_business_day(year: int, month: int, n: int) -> date:
    day, seen = date(year, month, 1), 0
    while True:
        if is_business_day(day):
            seen += 1
            if seen == n:
                return day
        day += timedelta(days=1)


def consolidation_date(period: Period) -> date:
    """The day a period's figures become final: the 5th business day after the month it ends in."""
    following = next_month_start(period.end)
    return nth_business_day(following.year, following.month, CONSOLIDATION_BUSINESS_DAY)


def is_partial(period: Period, as_of: date) -> bool:
    """Partial ("Consumo parcial") until the consolidation date; open periods are partial too."""
    return as_of < consolidation_date(period)


def is_open(period: Period, as_of: date) -> bool:
    """The period has days still to come (as_of is the first day not yet complete)."""
    return as_of <= period.end
