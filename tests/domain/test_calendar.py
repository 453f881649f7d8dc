from datetime import UTC, date, datetime

import pytest

from reportlib.domain import calendar
from reportlib.errors import ReportError


def test_month_and_range_periods():
    month = calendar.parse_period("2026-10")
    assert (month.start, month.end, month.days, month.is_month) == (
        date(2026, 10, 1), date(2026, 10, 31), 31, True)
    feb = calendar.parse_period("2028-02")
    assert feb.end == date(2028, 2, 29)
    part = calendar.parse_period("2026-10-01..2026-10-15")
    assert (part.start, part.end, part.days, part.is_month) == (
        date(2026, 10, 1), date(2026, 10, 15), 15, False)


@pytest.mark.parametrize("text", ["2026-13", "2026-10-15..2026-10-01", "oct", "2026-1",
                                  "2026-02-30..2026-03-01", "1990-01", "2026-10; rm -rf /"])
def test_bad_periods_are_one_line_errors(text):
    with pytest.raises(ReportError) as err:
        calendar.parse_period(text)
    assert "\n" not in str(err.value) and "period" in str(err.value)


def test_day_boundaries_sao_paulo_vs_utc():
    # São Paulo is UTC-3 (no DST since 2019): its 1 October starts at 03:00 UTC.
    assert calendar.local_day_start(date(2026, 10, 1), "America/Sao_Paulo") == datetime(
        2026, 10, 1, 3, 0, tzinfo=UTC)
    assert calendar.local_day_start(date(2026, 10, 1), "UTC") == datetime(
        2026, 10, 1, 0, 0, tzinfo=UTC)
    instant = datetime(2026, 10, 1, 1, 30, tzinfo=UTC)
    assert calendar.local_date(instant, "America/Sao_Paulo") == date(2026, 9, 30)
    assert calendar.local_date(instant, "UTC") == date(2026, 10, 1)
    start, end = calendar.parse_period("2026-10").utc_bounds("America/Sao_Paulo")
    assert (start.isoformat(), end.isoformat()) == (
        "2026-10-01T03:00:00+00:00", "2026-11-01T03:00:00+00:00")


def test_fifth_business_day_with_a_holiday_in_the_first_week():
    # April 2026: Good Friday (3 Apr) is a national holiday; 1, 2, 6, 7, 8 -> 8 April.
    assert calendar.nth_business_day(2026, 4, 5) == date(2026, 4, 8)
    # November 2026: All Souls' Day (Mon 2 Nov): 3, 4, 5, 6, 9 -> 9 November.
    assert calendar.nth_business_day(2026, 11, 5) == date(2026, 11, 9)
    # The whole of 2026 as docs/metrics.md lists it (no Carnival, no Corpus Christi).
    expected = [8, 6, 6, 8, 8, 5, 7, 7, 8, 7, 9, 7]
    assert [calendar.nth_business_day(2026, m, 5).day for m in range(1, 13)] == expected


def test_partial_before_and_after_consolidation():
    october = calendar.parse_period("2026-10")
    assert calendar.consolidation_date(october) == date(2026, 11, 9)
    assert calendar.is_partial(october, date(2026, 11, 8)) is True
    assert calendar.is_partial(october, date(2026, 11, 9)) is False
    assert calendar.is_open(october, date(2026, 10, 20)) is True
    assert calendar.is_open(october, date(2026, 11, 1)) is False
    # A part of a month consolidates with the month it ends in.
    first_half = calendar.parse_period("2026-03-01..2026-03-15")
    assert calendar.consolidation_date(first_half) == date(2026, 4, 8)


def test_bad_time_zone_is_a_report_error():
    with pytest.raises(ReportError, match="timezone"):
        calendar.zone("Mars/Olympus")
