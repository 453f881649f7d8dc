"""The chatbots report: MAU, MEU and MSGs per month, per bot and per router; daily active
users; messages sent vs received; changes like for like (the same days of the month before and
of the same month a year before). docs/metrics.md, "Chatbot metrics"."""

from __future__ import annotations

from datetime import date

import pandas as pd

from reportlib.domain import calendar
from reportlib.domain.metrics import rate
from reportlib.look import charts, present
from reportlib.marts.bundle import Bundle
from reportlib.reports.base import BaseReport

REPORT = "chatbots"
PROSE = {
    "monthly": {
        "pt-BR": "Em {month}: {mau} usuários ativos (MAU), {meu} engajados (MEU) e {msgs} "
                 "mensagens{span}.",
        "en": "In {month}: {mau} active users (MAU), {meu} engaged (MEU) and {msgs} "
              "messages{span}.",
    },
    "monthly.span": {"pt-BR": " (até {end})", "en": " (through {end})"},
    "monthly.change": {
        # Not "Contra ... (... vs ...)": English's "against" word for word.
        "pt-BR": "Em comparação com {against} ({current} contra {previous}): MAU {mau}, MEU "
                 "{meu}, MSGs {msgs}.",
        "en": "Against {against} ({current} vs {previous}): MAU {mau}, MEU {meu}, MSGs {msgs}.",
    },
    # The month's own span misses days of data (the coverage block names them): its figures
    # are the data received, compared with nothing.
    "monthly.change.partial": {
        "pt-BR": "Em comparação com {against} ({previous}): variação não disponível, os dados "
                 "recebidos não cobrem todos os dias de {current}.",
        "en": "Against {against} ({previous}): change not available, the data received does "
              "not cover every day of {current}.",
    },
    "monthly.change.none": {
        "pt-BR": "Em comparação com {against} ({previous}): variação não disponível, os dados "
                 "recebidos não cobrem esse intervalo inteiro.",
        "en": "Against {against} ({previous}): change not available, the data received does "
              "not cover that whole range.",
    },
    "against.previous_days": {"pt-BR": "os mesmos dias do mês anterior",
                              "en": "the same days of the month before"},
    "against.previous_month": {"pt-BR": "o mês anterior inteiro",
                               "en": "the whole month before"},
    "against.year": {"pt-BR": "os mesmos dias um ano antes", "en": "the same days a year before"},
    "monthly.table": {
        "pt-BR": "Cada variação compara os dias do mês com os mesmos dias do mês anterior "
                 "(coluna “Comparado”); a última coluna, com os mesmos dias um ano antes; “não "
                 "disponível”: sem dados para comparar.",
        "en": "Each change compares the month's days with the same days of the month before "
              "(column “Compared”); the last column, with the same days a year before; “not "
              "available”: no data to compare with.",
    },
    # A closed month is compared with the whole month before (October with September's 30
    # days), as the prose above the table says: not "the same days".
    "monthly.table.whole": {
        "pt-BR": "Cada variação compara o mês com o mês anterior inteiro (coluna "
                 "“Comparado”); a última coluna, com os mesmos dias um ano antes; “não "
                 "disponível”: sem dados para comparar.",
        "en": "Each change compares the month with the whole month before (column "
              "“Compared”); the last column, with the same days a year before; “not "
              "available”: no data to compare with.",
    },
    "compared": {"pt-BR": "Comparado", "en": "Compared"},
    "change.year": {"pt-BR": "MAU, variação em um ano", "en": "MAU, year-on-year change"},
    "not_available": {"pt-BR": "não disponível", "en": "not available"},
    "chart.unit": {"pt-BR": "usuários e mensagens", "en": "users and messages"},
    "monthly.detail": {
        "pt-BR": "MAU: pessoas (por canal) que enviaram ou receberam mensagens; MEU: as que "
                 "enviaram ao menos uma; MSGs: mensagens enviadas e recebidas.",
        "en": "MAU: people (per channel) who sent or received messages; MEU: those who sent "
              "at least one; MSGs: messages sent and received.",
    },
    "chart.daily": {"pt-BR": "Pico de {peak} usuários ativos em {day}",
                    "en": "Active users peaked at {peak} on {day}"},
    "daily": {
        "pt-BR": "Em média {mean} usuários ativos por dia; pico em {day} ({peak}).",
        "en": "On average {mean} active users a day; peak on {day} ({peak}).",
    },
    "daily.detail": {
        "pt-BR": "Os bots enviaram {sent} mensagens e receberam {received} no período.",
        "en": "The bots sent {sent} messages and received {received} in the period.",
    },
    "daily.detail.one": {
        "pt-BR": "O bot enviou {sent} mensagens e recebeu {received} no período.",
        "en": "The bot sent {sent} messages and received {received} in the period.",
    },
    "none": {"pt-BR": "Nenhuma mensagem de bot no período.",
             "en": "No bot message in the period."},
}


def like_for_like(value, before, available) -> float | None:
    """The change of `value` on `before`, measured over an equal span: None when the
    comparison span is not available (no data then) or its value is zero."""
    if not available or before is None or pd.isna(before):
        return None
    return rate(value - before, before)


def span_label(start, end) -> str | None:
    """An ISO range `YYYY-MM-DD..YYYY-MM-DD` (the manifest's spelling of a span)."""
    if start is None or pd.isna(start):
        return None
    return f"{_day(start).isoformat()}..{_day(end).isoformat()}"


def _day(value) -> date:
    return pd.Timestamp(value).date()


class ChatbotsReport(BaseReport):
    report_name = "chatbots"
    prose = PROSE

    def __init__(self, bundle: Bundle, locale: str | None = None) -> None:
        super().__init__(bundle, locale)
        self.monthly_df = bundle.table("chatbot_monthly")
        self.daily_df = bundle.table("chatbot_daily")


    def bot_name(self, bot_id: str) -> str:
        """The name the tenant gives a bot or router (params `bots:`), else its id."""
        return self.info.get("bot_names", {}).get(str(bot_id).lower(), bot_id)

    def _with_change(self) -> pd.DataFrame:
        """Each month's row with the like-for-like change of MAU, MEU and MSGs on the same days
        of the month before (`*_change`) and of the same month a year before (`*_change_year`);
        None where the comparison span is not available or its value is zero."""
        df = self.monthly_df.copy()
        for column in ("mau", "meu", "msgs"):
            for kind, suffix in (("previous", ""), ("year", "_year")):
                df[f"{column}_change{suffix}"] = [
                    like_for_like(v, b, ok) for v, b, ok in zip(
                        df[column], df[f"{kind}_{column}"], df[f"{kind}_available"],
                        strict=True)]
        return df

    def figures(self) -> dict:
        figures: dict = {"partial": bool(self.info["partial"])}
        df = self._with_change()
        overall = df[df["level"] == "all"].sort_values("month")
        if overall.empty:
            # Bot messages, but no complete day of the period yet to measure (as of its first
            # day): not available, never a measured 0 (a period without any is "no data").
            return {**figures, "mau": None, "meu": None, "msgs": None}
        last = overall.iloc[-1]
        figures.update({"month": pd.Timestamp(last.month).strftime("%Y-%m"),
                        "mau": int(last.mau), "meu": int(last.meu), "msgs": int(last.msgs),
                        "sent": int(overall["sent"].sum()),
                        "received": int(overall["received"].sum()),
                        "span": span_label(last.span_start, last.span_end)})
        for kind, suffix in (("previous", ""), ("year", "_year")):
            figures[f"{kind}_span"] = span_label(last[f"{kind}_start"], last[f"{kind}_end"])
            figures[f"{kind}_available"] = bool(last[f"{kind}_available"])
            for column in ("mau", "meu", "msgs"):
                value = last[f"{column}_change{suffix}"]
                figures[f"{column}_change{suffix}"] = None if value is None else round(
                    float(value), 4)
        for r in df[df["level"].isin(["bot", "router"])].itertuples():
            key = f"{r.level}.{r.name}.{pd.Timestamp(r.month).strftime('%Y-%m')}"
            figures[f"{key}.mau"], figures[f"{key}.meu"] = int(r.mau), int(r.meu)
            figures[f"{key}.msgs"] = int(r.msgs)
        return figures

    def _range(self, start, end) -> str:
        return self.fmt.date_range(_day(start), _day(end))

    @staticmethod
    def _whole_month(last) -> bool:
        """Whether the row spans its whole month (then compared with the whole month before)."""
        return _day(last.span_end) == calendar.month_end(_day(last.span_end)) \
            and _day(last.span_start).day == 1

    def _changes(self, last) -> list[str]:
        """One sentence per comparison, naming the two ranges it compares."""
        current = self._range(last.span_start, last.span_end)
        whole = self._whole_month(last)
        sentences = []
        for kind, suffix in (("previous", ""), ("year", "_year")):
            against = self._say("against.year" if kind == "year" else
                                "against.previous_month" if whole else "against.previous_days")
            previous = self._range(last[f"{kind}_start"], last[f"{kind}_end"])
            if not last[f"{kind}_available"]:
                partial = "span_complete" in last and not last["span_complete"]
                sentences.append(self._say(
                    "monthly.change.partial" if partial else "monthly.change.none",
                    against=against, previous=previous, current=current))
                continue
            sentences.append(self._say(
                "monthly.change", against=against, current=current, previous=previous,
                **{c: self._signed(last[f"{c}_change{suffix}"], True)
                   for c in ("mau", "meu", "msgs")}))
        return sentences

    def monthly(self) -> present.Section:
        df = self._with_change()
        if df.empty:
            return present.Section(self._t("section.monthly"), [
                self._t("no_complete_day") if self.daily_df["sent"].sum()
                + self.daily_df["received"].sum() else self._say("none")])
        f = self.figures()
        last = df[df["level"] == "all"].sort_values("month").iloc[-1]
        month_end = calendar.month_end(_day(last.month))
        span = "" if _day(last.span_end) == month_end else self._say(
            "monthly.span", end=self.fmt.date(_day(last.span_end)))
        prose = [self._say("monthly", month=self.fmt.month(pd.Timestamp(f["month"]).date()),
                           mau=self.fmt.number(f["mau"]), meu=self.fmt.number(f["meu"]),
                           msgs=self.fmt.number(f["msgs"]), span=span),
                 *self._changes(last), self._say("monthly.detail"),
                 self._say("monthly.table.whole" if self._whole_month(last) else "monthly.table")]
        order = {"all": 0, "router": 1, "bot": 2}
        df = df.assign(o=df["level"].map(order), shown=[
            self.bot_name(n) if level != "all" else "–" for level, n in zip(
                df["level"], df["name"], strict=True)]).sort_values(["o", "shown", "month"])
        rows = [[self._t(r.level) if r.level != "all" else self._t("total"), r.shown,
                 self.fmt.month(_day(r.month)),
                 f"{self._days(r.span_start, r.span_end)} vs "
                 f"{self._days(r.previous_start, r.previous_end)}",
                 self.fmt.number(r.mau), self._signed(r.mau_change, r.previous_available),
                 self.fmt.number(r.meu), self._signed(r.meu_change, r.previous_available),
                 self.fmt.number(r.msgs), self._signed(r.msgs_change, r.previous_available),
                 self._signed(r.mau_change_year, r.year_available)]
                for r in df.itertuples()]
        columns = [self._t("level"), self._t("bot"), self._t("month"), self._say("compared"),
                   "MAU", self._t("change"), "MEU", self._t("change"), "MSGs",
                   self._t("change"), self._say("change.year")]
        return present.Section(self._t("section.monthly"), prose, present.table(
            columns, rows, [False] * 4 + [True] * 7))

    def _days(self, start, end) -> str:
        # A day's month and number held together: the narrow "Compared" column broke
        # "Oct 1–Oct 31 vs Sep 1–Sep 30" between "Oct" and "31", "Sep" and "1".
        return "–".join(self.fmt.day(_day(d)).replace(" ", "\u00a0") for d in (start, end))

    def _signed(self, value, available: bool = True) -> str:
        if not available:
            return self._say("not_available")
        if value is None or pd.isna(value):
            return "–"
        return ("+" if value > 0 else "") + self.fmt.percent(value)

    def _bots(self) -> int:
        """How many bots the period's figures are of (the monthly mart's rows per bot)."""
        return int((self.monthly_df["level"] == "bot").sum())

    def daily(self) -> present.Section:
        df = self.observed(self.daily_df)
        if df.empty or df["active_users"].sum() == 0:
            return present.Section(self._t("section.daily_users"), [
                self._t("no_complete_day") if self.daily_df["active_users"].sum()
                else self._say("none")])
        days = [d.date() if hasattr(d, "date") else d for d in df["day"]]
        peak = df.loc[df["active_users"].idxmax()]
        # The mean over the days the chart draws (the period's complete days), a day without
        # an active user counted as 0 as it is drawn: over the days with users it came out
        # larger than any reader's sum of the line divided by its days. Days the bot messages
        # have no record on (coverage's missing_days) are not available, not 0: left out.
        missing = self.missing_chart_days(("bot_messages",))
        drawn = pd.Series(charts.without_missing(days, df["active_users"].tolist(), missing))
        prose = [self._say("daily", mean=self.fmt.number(drawn.mean(), 1),
                           day=self.fmt.date(pd.Timestamp(peak.day).date()),
                           peak=self.fmt.number(peak.active_users)),
                 self._say("daily.detail" if self._bots() != 1 else "daily.detail.one",
                           sent=self.fmt.number(df["sent"].sum()),
                           received=self.fmt.number(df["received"].sum()))]
        fig = charts.daily_lines(
            days, {"active_users": df["active_users"].tolist(), "sent": df["sent"].tolist(),
                   "received": df["received"].tolist()},
            {"active_users": charts.INK, "sent": charts.INITIATOR_COLORS["business"],
             "received": charts.INITIATOR_COLORS["user"]},
            {"active_users": self._t("active_users"), "sent": self._t("bot_sent"),
             "received": self._t("bot_received")},
            self._say("chart.daily", peak=self.fmt.number(peak.active_users),
                      day=self.fmt.day_month(pd.Timestamp(peak.day).date())),
            self._say("chart.unit"), self.fmt,
            provisional_from=self.provisional_chart_from(),
            missing=missing)
        return present.Section(self._t("section.daily_users"), prose,
                               present.figure_to_img(fig, self._t("section.daily_users")))
