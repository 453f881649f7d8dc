"""What every report object shares: its bundle, locale, formatter and title block."""

from __future__ import annotations

from datetime import date, timedelta

from reportlib import registry
from reportlib.look import present
from reportlib.look.i18n import Formatter, t
from reportlib.marts.bundle import Bundle
from reportlib.reports import trust


def say(table: dict, key: str, locale: str, **values) -> str:
    """One sentence of a report's prose, in the reader's locale."""
    entry = table[key]
    return (entry.get(locale) or entry["en"]).format(**values)


class BaseReport:
    """A report over one bundle; subclasses add one method per section and `figures()`."""

    report_name = ""  # its registry entry (reportlib/registry.py)
    spec: registry.Report | None = None  # that entry, set from report_name
    title_key = ""  # the entry's title key
    prose: dict = {}  # the report's sentences: key -> {locale: text}

    def __init_subclass__(cls, **kwargs) -> None:
        """A report class names its registry entry; its title comes from there (a class for
        no registered report fails at import)."""
        super().__init_subclass__(**kwargs)
        if cls.report_name:
            cls.spec = registry.get(cls.report_name)
            cls.title_key = cls.spec.title_key

    def __init__(self, bundle: Bundle, locale: str | None = None) -> None:
        self.bundle = bundle
        self.info = bundle.info
        self.locale = locale or self.info.get("locale", "pt-BR")
        # Amounts in the currency Meta bills the tenant in (pricing: never converted).
        self.fmt = Formatter(self.locale, self.info.get("currency") or "USD")
        self._coverage: list[dict] | None = None
        self._provisional: trust.Provisional | None = None
        self._flags: list[dict] | None = None

    def _t(self, key: str, **values) -> str:
        return t(key, self.locale, **values)

    # -- what the report stands on ------------------------------------------------------------
    def coverage(self) -> list[dict]:
        """Per source kind this report reads: rows in the period, days with data, first and
        last day, rejected rows of the files that gave them (mart `source_coverage`); read once
        (the header, the figures and `no_data` all ask)."""
        if self._coverage is None:
            self._coverage = self._read_coverage()
        return self._coverage

    def _read_coverage(self) -> list[dict]:
        import pandas as pd

        kinds = self.spec.sources if self.spec else ()
        if not kinds or "source_coverage" not in self.bundle.tables():
            return []
        df = self.bundle.table("source_coverage").set_index("kind")

        def day(value) -> str | None:
            return None if pd.isna(value) else str(value)[:10]

        def runs(value) -> list[list[str]] | None:
            """The runs of days without a record, [[first, last], ...]; None for a kind not
            judged (its records need not come every day; a bundle built before the column)."""
            return None if value is None or not hasattr(value, "__len__") else [
                [day(run["first"]), day(run["last"])] for run in value]

        return [{"kind": kind, "rows": int(r["rows"]),
                 "days_with_data": int(r["days_with_data"]), "first_day": day(r["first_day"]),
                 "last_day": day(r["last_day"]), "rejected": int(r["rejected"]),
                 "missing_days": runs(r.get("missing_days")),
                 "begins": day(r["begins"]) if "begins" in r else None}
                for kind in kinds if kind in df.index for r in [df.loc[kind]]]

    @property
    def no_data(self) -> bool:
        """No source this report reads has a row in the period (said as such, never zeros)."""
        coverage = self.coverage()
        return bool(coverage) and all(c["rows"] == 0 for c in coverage)

    def coverage_lines(self) -> list[str]:
        """One line per source kind, shown when a source is missing, begins after the period's
        first day (`begins`), has days without a record where its records flow every day
        (`missing_days`), or had rejected rows."""
        coverage = self.coverage()
        rows = {c["kind"]: c["rows"] for c in coverage}
        # A source that has nothing while its alternative has rows (conversation analytics in
        # the per-message era) is not missing.
        coverage = [c for c in coverage if c["rows"] or not any(
            rows.get(k) for k in (self.spec.alternatives_of(c["kind"]) if self.spec else ()))]
        if not any(c["rows"] == 0 or c["rejected"] or c["missing_days"] or c.get("begins")
                   for c in coverage):
            return []
        lines = []
        for c in coverage:
            name = self._t(f"source.{c['kind']}")
            if c["rows"] == 0:
                text = self._t("coverage.none", source=name)
            elif c["days_with_data"] == 1:  # "1 record, on 10/5/2026", not "on 1 days"
                text = self._t("coverage.rows.one" if c["rows"] == 1 else "coverage.rows.day",
                               source=name, rows=self.fmt.number(c["rows"]),
                               day=self.fmt.date(date.fromisoformat(c["first_day"]), "short"))
            else:
                text = self._t("coverage.rows", source=name, rows=self.fmt.number(c["rows"]),
                               days=self.fmt.number(c["days_with_data"]),
                               first=self.fmt.date(date.fromisoformat(c["first_day"]), "short"),
                               last=self.fmt.date(date.fromisoformat(c["last_day"]), "short"))
            if c.get("begins"):
                text += self._t("coverage.begins", day=self.fmt.date(
                    date.fromisoformat(c["begins"]), "short"))
            if c["missing_days"]:
                text += self._t("coverage.missing", runs=self.fmt.names([
                    self._missing_run(date.fromisoformat(first), date.fromisoformat(last))
                    for first, last in c["missing_days"]]))
            if c["rejected"]:
                text += self._t("coverage.rejected" + (".one" if c["rejected"] == 1 else ""),
                                rejected=self.fmt.number(c["rejected"]))
            lines.append(text)
        return lines

    def _missing_run(self, first: date, last: date) -> str:
        """A run of days without a record, as the coverage line names it: one day alone when
        only one of its days is in the period (the rest across the period's end)."""
        if first == last:
            return self._t("coverage.day", day=self.fmt.date(first, "short"))
        return self._t("coverage.run", first=self.fmt.date(first, "short"),
                       last=self.fmt.date(last, "short"))

    # -- how far its figures can be trusted (docs/metrics.md) ------------------------------------
    def provisional(self) -> trust.Provisional:
        """Until when its figures may still change, and from which day of the period, by its
        registry rule (`provisional`)."""
        if self._provisional is None:
            rule = self.spec.provisional if self.spec else "final"
            self._provisional = trust.provisional(
                rule, self.bundle.period, self.bundle.as_of,
                self.open_ticket_days() if rule == "tickets" else None)
        return self._provisional

    def open_ticket_days(self) -> list:
        """Creation days of the period's tickets still open (the `tickets` rule)."""
        return []

    def flags(self) -> list[dict]:
        """Its anomaly flags (mart `daily_anomalies`, the series its registry entry names);
        empty when none, or when it flags none."""
        if self._flags is None:
            metrics = self.spec.anomalies if self.spec else ()
            self._flags = trust.read_flags(self.bundle.table("daily_anomalies"), metrics) \
                if metrics and "daily_anomalies" in self.bundle.tables() else []
        return self._flags

    def provisional_chart_from(self):
        """The first provisional day a daily chart shades (None: nothing to shade)."""
        return self.provisional().first_day

    def missing_chart_days(self, kinds: tuple[str, ...]) -> list[tuple[date, date]]:
        """The runs of days that none of `kinds` (the sources a daily chart stands on) has a
        record on (coverage's `missing_days`) or had not begun by (the days before its
        `begins`): the chart shows them as not available, never as zeros. A day one of them
        covers is a day of data (statuses come from the webhooks and the platform's
        notifications alike); a source with records that is not judged (too few a day) may
        cover any day from its beginning on, so then no later day is missing."""
        coverage = [c for c in self.coverage() if c["kind"] in kinds and c["rows"]]
        if not coverage:
            return []
        start = self.bundle.period.start
        unavailable = []
        for c in coverage:
            runs = [(date.fromisoformat(a), date.fromisoformat(b))
                    for a, b in c["missing_days"] or []]
            if c.get("begins"):
                runs.append((start, date.fromisoformat(c["begins"]) - timedelta(days=1)))
            unavailable.append({a + timedelta(days=i) for a, b in runs
                                for i in range((b - a).days + 1)})
        days = set.intersection(*unavailable)
        out: list[tuple[date, date]] = []
        for day in sorted(days):
            if out and out[-1][1] + timedelta(days=1) == day:
                out[-1] = (out[-1][0], day)
            else:
                out.append((day, day))
        return out

    def published_figures(self) -> dict:
        """The report's figures with what they stand on (the manifest's `coverage`), until
        when they may change (`provisional_until`, `provisional`) and its anomaly `flags`; with
        no data at all, no figure: a count of nothing is not a measured zero."""
        window = self.provisional()
        trust_figures = {
            "provisional_until": window.until.isoformat() if window.until else None,
            "provisional": window.provisional, "flags": [] if self.no_data else self.flags()}
        if self.no_data:
            return {"partial": bool(self.info["partial"]), "coverage": self.coverage(),
                    "no_data": True, **trust_figures}
        return {**self.figures(), "coverage": self.coverage(), "no_data": False,
                "currency": self.fmt.currency, **trust_figures}

    def title(self) -> str:
        """The report's title in the reader's language."""
        return self._t(self.title_key)

    def _say(self, key: str, **values) -> str:
        return say(self.prose, key, self.locale, **values)

    def header(self) -> present.Header:
        period = self.bundle.period
        subtitle = (self.fmt.month(period.start) if period.is_month else
                    self.fmt.date_range(period.start, period.end))
        consolidation = date.fromisoformat(self.info["consolidation_date"])
        lines = [self._t("generated", date=self.fmt.date(self.bundle.as_of))]
        window = self.provisional()
        # Which figures may still move and until when: the consolidation date where that is
        # the report's rule (consumption), else its own rule's sentence.
        if window.rule != "consolidation":
            sentence = trust.provisional_sentence(window, self.fmt)
            lines.extend([sentence] if sentence else [])
        elif self.info["partial"]:
            lines.append(self._t("partial.note", date=self.fmt.date(consolidation)))
        else:
            lines.append(self.consolidated_line(consolidation))
        if self.no_data:
            lines.append(self._t("coverage.no_data"))
        lines.extend(self.coverage_lines())
        return present.Header(
            alerts=[] if self.no_data else trust.alert_lines(self.flags(), self.fmt),
            title=f"{self.title()} · {self.info['display_name']}",
            subtitle=subtitle, badge=self.badge(), lines=lines)

    def awaiting_meta(self) -> bool:
        """Part of the figures is our estimate of what Meta has not reported yet (consumption)."""
        return False

    def consolidated_line(self, consolidation: date) -> str:
        """The header's line of a consolidated month (the consumption rule)."""
        return self._t("consolidated", date=self.fmt.date(consolidation))

    def badge(self) -> str:
        """The word beside the period, true of it: partial while the period is open (its data
        runs up to as-of), provisional once it is over while its figures may still change
        (statuses, open tickets), nothing when they are final. Consumption keeps the
        platform's rule (docs/metrics.md, `partial`): "Consumo parcial" until the month is
        consolidated, open or not (Meta's analytics of its last days are still arriving)."""
        if self.report_name == "consumption":
            return self._t("badge.partial.consumption") if self.info["partial"] \
                or self.awaiting_meta() else ""
        if self.info["open"]:
            return self._t("badge.partial")
        return self._t("badge.provisional") if self.provisional().provisional else ""

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


class SiteReport(BaseReport):
    """A site's own report (params/reports.yaml): an analyst's notebook over the tables and
    marts its entry names, with the house header, sections, charts and figures.

    In its notebook: `report.table(name)` (a frame), `report.sql(query)` (DuckDB over the
    bundle, which holds only this tenant and period), `report.section(title, prose, body)`,
    `report.fmt` (numbers, money, dates in the reader's locale), `report.figure(key, value)`
    for the index's headline figures, then `publish_figures(report)`."""

    def __init__(self, name: str, site: dict, bundle: Bundle, locale: str | None = None) -> None:
        super().__init__(bundle, locale)
        self.report_name = name
        self.titles = site.get("title") or {}
        self.readable = {*site.get("tables", ()), *site.get("marts", ())}
        self._figures: dict = {"partial": bool(self.info["partial"])}

    def title(self) -> str:
        return self.titles.get(self.locale) or self.titles.get("en") or self.report_name

    def _readable(self, name: str) -> str:
        if name not in self.readable:
            raise ValueError(f"{name!r} is not among this report's tables "
                             f"({', '.join(sorted(self.readable))}): add it to its entry in "
                             "params/reports.yaml")
        return name

    def table(self, name: str):
        """One of its tables or marts, whole, as a pandas frame."""
        return self.bundle.table(self._readable(name))

    def sql(self, query: str):
        """A DuckDB query over its bundle (read-only), as a pandas frame."""
        import duckdb

        con = duckdb.connect(str(self.bundle.path), read_only=True)
        try:
            return con.execute(query).df()
        finally:
            con.close()

    def section(self, title: str, prose: str | list[str] = (), body: str = "",
                notes: list[str] = ()) -> present.Section:
        """A section styled as the built-in reports' (body: `present.table`, a chart's
        `present.figure_to_img`)."""
        prose = [prose] if isinstance(prose, str) else list(prose)
        return present.Section(title, prose, body, notes=list(notes))

    def figure(self, key: str, value) -> None:
        """Record a headline figure (the manifest's `figures`, the index)."""
        self._figures[key] = value

    def figures(self) -> dict:
        return dict(self._figures)
