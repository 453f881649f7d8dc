"""A tenant's local calendar over arrays of instants (Unix seconds as float, NaN = none).

The generator draws hundreds of thousands of instants a day; `astimezone` and `strftime` per
instant were most of its time. Offsets come instead from a table per UTC hour (time-zone
changes fall on whole hours) built once for the simulated span, and text is assembled from
tables of day and time-of-day strings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np

from reportlib.domain.calendar import local_day_start

STYLES = ("iso-offset", "dmy-semicolon", "iso-local")
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
TABLE_MARGIN_DAYS = 40


@cache
def _times_of_day(suffix: str = "") -> np.ndarray:
    """'HH:MM:SS' + suffix for each second of a day (86,400 strings, built once per suffix)."""
    return np.array([f"{h:02d}:{m:02d}:{s:02d}{suffix}" for h in range(24) for m in range(60)
                     for s in range(60)], dtype=object)


def _offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


class LocalClock:
    """Local hour, day, month and timestamp text of instants, for one time zone and span."""

    def __init__(self, timezone: str, first: date, last: date) -> None:
        self.timezone = timezone
        zone = ZoneInfo(timezone)
        start = local_day_start(first - timedelta(days=2), timezone)
        self.base = int(start.timestamp()) // 3600 * 3600
        hours = ((last - first).days + TABLE_MARGIN_DAYS) * 24
        self.offsets = np.array(
            [datetime.fromtimestamp(self.base + 3600 * h, zone).utcoffset().total_seconds()
             for h in range(hours)], dtype=np.int64)

    def day_start(self, day: date) -> float:
        """Unix seconds at which `day` starts in the tenant's zone."""
        return local_day_start(day, self.timezone).timestamp()

    def local_seconds(self, instants: np.ndarray) -> np.ndarray:
        """Whole local seconds since 1970 (wall clock read as UTC); instants must be finite.
        Instants past the table take its last offset: the demo drops them at as-of anyway."""
        seconds = np.floor(instants).astype(np.int64)
        hour = np.minimum(np.maximum((seconds - self.base) // 3600, 0), len(self.offsets) - 1)
        return seconds + self.offsets[hour]

    def hour(self, instants: np.ndarray) -> np.ndarray:
        """Local hour of day (0..23); NaN instants give 0."""
        local = self.local_seconds(np.nan_to_num(instants))
        return (local % 86400) // 3600

    def epoch_day(self, instants: np.ndarray) -> np.ndarray:
        """Local date as days since 1970-01-01 (`date.fromordinal(n + EPOCH_ORDINAL)`)."""
        return self.local_seconds(instants) // 86400

    def month(self, instants: np.ndarray) -> np.ndarray:
        """Local month as months since 1970-01 (finite instants only)."""
        return self.epoch_day(instants).astype("datetime64[D]").astype(
            "datetime64[M]").astype(np.int64)

    def text(self, instants: np.ndarray, style: str) -> list[str]:
        """Timestamps as the platform exports them in `style`; "" where NaN. Seconds are
        truncated, as `isoformat(timespec="seconds")` does."""
        out = np.full(len(instants), "", dtype=object)
        present = ~np.isnan(instants)
        if not present.any():
            return out.tolist()
        local = self.local_seconds(instants[present])
        days = local // 86400
        seconds = local - days * 86400
        first = int(days.min())
        dates = [date.fromordinal(first + i + EPOCH_ORDINAL)
                 for i in range(int(days.max()) - first + 1)]
        if style == "iso-offset":
            day_text = np.array([f"{d.isoformat()}T" for d in dates], dtype=object)
            times = self._times_with_offset(local - np.floor(instants[present]).astype(
                np.int64), seconds)
        else:
            pattern = "%d/%m/%Y " if style == "dmy-semicolon" else "%Y-%m-%d "
            day_text = np.array([d.strftime(pattern) for d in dates], dtype=object)
            times = _times_of_day()[seconds]
        out[present] = day_text[days - first] + times
        return out.tolist()

    @staticmethod
    def _times_with_offset(offsets: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """'HH:MM:SS-03:00': one table per offset (one or two per zone)."""
        if (offsets == offsets[0]).all():
            return _times_of_day(_offset_text(int(offsets[0])))[seconds]
        times = np.empty(len(seconds), dtype=object)
        for offset in np.unique(offsets).tolist():
            chosen = offsets == offset
            times[chosen] = _times_of_day(_offset_text(offset))[seconds[chosen]]
        return times

    def text_of(self, instant: datetime | None, style: str) -> str:
        """One timestamp as text (campaign rows, scheduled after as-of)."""
        if instant is None:
            return ""
        return self.text(np.array([instant.timestamp()]), style)[0]


def month_label(month: int) -> str:
    """'YYYY-MM' of a month counted from 1970-01."""
    return f"{1970 + month // 12:04d}-{month % 12 + 1:02d}"


def utc_from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
