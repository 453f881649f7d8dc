"""What every report object shares: its bundle, locale, formatter and title block."""

from __future__ import annotations

from datetime import date

from reportlib import present
from reportlib.bundle import Bundle
from reportlib.i18n import Formatter, t


def say(table: dict, key: str, locale: str, **values) -> str:
    """One sentence of a report's prose, in the reader's locale."""
    entry = table[key]
    return (entry.get(locale) or entry["en"]).format(**values)


class BaseReport:
    """A report over one bundle; subclasses add one method per section and `figures()`."""

    title_key = ""
    prose: dict = {}  # the report's sentences: key -> {locale: text}

    def __init__(self, bundle: Bundle, locale: str | None = None) -> None:
        self.bundle = bundle
        self.info = bundle.info
        self.locale = locale or self.info.get("locale", "pt-BR")
        self.fmt = Formatter(self.locale, "USD")

    def _t(self, key: str, **values) -> str:
        return t(key, self.locale, **values)

    def _say(self, key: str, **values) -> str:
        return say(self.prose, key, self.locale, **values)

    def header(self) -> present.Header:
        period = self.bundle.period
        subtitle = (self.fmt.month(period.start) if period.is_month else
                    f"{self.fmt.date(period.start)} – {self.fmt.date(period.end)}")
        consolidation = date.fromisoformat(self.info["consolidation_date"])
        lines = [self._t("generated", date=self.fmt.date(self.bundle.as_of))]
        if self.info["partial"]:
            lines.append(self._t("partial.note", date=self.fmt.date(consolidation)))
        else:
            lines.append(self._t("consolidated", date=self.fmt.date(consolidation)))
        return present.Header(
            title=f"{self._t(self.title_key)} · {self.info['display_name']}",
            subtitle=subtitle, badge=self._t("partial") if self.info["partial"] else "",
            lines=lines)

    def when(self, value) -> str:
        """A timestamp in the tenant's time zone, short, in the reader's locale."""
        import pandas as pd

        if value is None or pd.isna(value):
            return "–"
        local = pd.Timestamp(value).tz_convert(self.info["timezone"])
        return f"{self.fmt.date(local.date(), 'short')} {local.strftime('%H:%M')}"

    def observed(self, frame, column: str = "day"):
        """Rows of days already complete (before as-of): an open period's future days are not
        zeros, and line charts must not fall to zero at its end."""
        import pandas as pd

        return frame[pd.to_datetime(frame[column]) < pd.Timestamp(self.bundle.as_of)]
