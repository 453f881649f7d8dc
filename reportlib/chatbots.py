"""The chatbots report: MAU, MEU and MSGs per month, per bot and per router; daily active
users; messages sent vs received; month-over-month change. docs/metrics.md, "Chatbot metrics"."""

from __future__ import annotations

import pandas as pd

from reportlib import charts, present
from reportlib.bundle import Bundle
from reportlib.metrics import rate
from reportlib.report import BaseReport

REPORT = "chatbots"
PROSE = {
    "monthly": {
        "pt-BR": "Em {month}: {mau} usuários ativos (MAU), {meu} engajados (MEU) e {msgs} "
                 "mensagens{change}.",
        "en": "In {month}: {mau} active users (MAU), {meu} engaged (MEU) and {msgs} "
              "messages{change}.",
    },
    "monthly.change": {"pt-BR": "; MAU {change} sobre o mês anterior",
                       "en": "; MAU {change} on the previous month"},
    "monthly.detail": {
        "pt-BR": "MAU: pessoas (por canal) que enviaram ou receberam mensagens; MEU: as que "
                 "enviaram ao menos uma.",
        "en": "MAU: people (per channel) who sent or received messages; MEU: those who sent "
              "at least one.",
    },
    "daily": {
        "pt-BR": "Em média {mean} usuários ativos por dia; pico em {day} ({peak}).",
        "en": "On average {mean} active users a day; peak on {day} ({peak}).",
    },
    "daily.detail": {
        "pt-BR": "O bot enviou {sent} mensagens e recebeu {received} no período.",
        "en": "The bots sent {sent} messages and received {received} in the period.",
    },
    "none": {"pt-BR": "Nenhuma mensagem de bot no período.",
             "en": "No bot message in the period."},
}


class ChatbotsReport(BaseReport):
    title_key = "chatbots.title"
    report_name = "chatbots"
    prose = PROSE

    def __init__(self, bundle: Bundle, locale: str | None = None) -> None:
        super().__init__(bundle, locale)
        self.monthly_df = bundle.table("chatbot_monthly")
        self.daily_df = bundle.table("chatbot_daily")


    def _with_change(self) -> pd.DataFrame:
        """Each month's row with the change of MAU, MEU and MSGs on the month before."""
        df = self.monthly_df.sort_values(["level", "name", "month"]).copy()
        for column in ("mau", "meu", "msgs"):
            before = df.groupby(["level", "name"])[column].shift(1)
            previous_month = df.groupby(["level", "name"])["month"].shift(1)
            consecutive = previous_month == (pd.to_datetime(df["month"]) - pd.DateOffset(
                months=1))
            df[f"{column}_change"] = [rate(v - b, b) if ok and pd.notna(b) else None
                                      for v, b, ok in zip(df[column], before, consecutive,
                                                          strict=True)]
        return df[~df["previous"]]

    def figures(self) -> dict:
        figures: dict = {"partial": bool(self.info["partial"])}
        df = self._with_change()
        overall = df[df["level"] == "all"]
        if overall.empty:
            return {**figures, "mau": 0, "meu": 0, "msgs": 0}
        last = overall.iloc[-1]
        figures.update({"month": pd.Timestamp(last.month).strftime("%Y-%m"),
                        "mau": int(last.mau), "meu": int(last.meu), "msgs": int(last.msgs),
                        "sent": int(overall["sent"].sum()),
                        "received": int(overall["received"].sum()),
                        "mau_change": None if last.mau_change is None else round(
                            float(last.mau_change), 4)})
        for r in df[df["level"].isin(["bot", "router"])].itertuples():
            key = f"{r.level}.{r.name}.{pd.Timestamp(r.month).strftime('%Y-%m')}"
            figures[f"{key}.mau"], figures[f"{key}.meu"] = int(r.mau), int(r.meu)
            figures[f"{key}.msgs"] = int(r.msgs)
        return figures

    def monthly(self) -> present.Section:
        df = self._with_change()
        if df.empty:
            return present.Section(self._t("section.monthly"), [self._say("none")])
        f = self.figures()
        change = "" if f["mau_change"] is None else self._say(
            "monthly.change", change=self._signed(f["mau_change"]))
        prose = [self._say("monthly", month=self.fmt.month(pd.Timestamp(f["month"]).date()),
                           mau=self.fmt.number(f["mau"]), meu=self.fmt.number(f["meu"]),
                           msgs=self.fmt.number(f["msgs"]), change=change),
                 self._say("monthly.detail")]
        order = {"all": 0, "router": 1, "bot": 2}
        df = df.assign(o=df["level"].map(order)).sort_values(["o", "name", "month"])
        rows = [[self._t(r.level) if r.level != "all" else self._t("total"),
                 r.name if r.level != "all" else "–",
                 self.fmt.month(pd.Timestamp(r.month).date()), self.fmt.number(r.mau),
                 self._signed(r.mau_change), self.fmt.number(r.meu), self._signed(r.meu_change),
                 self.fmt.number(r.msgs), self._signed(r.msgs_change)]
                for r in df.itertuples()]
        columns = [self._t("level"), self._t("bot"), self._t("month"), "MAU",
                   self._t("change"), "MEU", self._t("change"), "MSGs", self._t("change")]
        return present.Section(self._t("section.monthly"), prose, present.table(
            columns, rows, [False] * 3 + [True] * 6))

    def _signed(self, value) -> str:
        if value is None or pd.isna(value):
            return "–"
        return ("+" if value > 0 else "") + self.fmt.percent(value)

    def daily(self) -> present.Section:
        df = self.observed(self.daily_df)
        if df.empty or df["active_users"].sum() == 0:
            return present.Section(self._t("section.daily_users"), [self._say("none")])
        days = [d.date() if hasattr(d, "date") else d for d in df["day"]]
        peak = df.loc[df["active_users"].idxmax()]
        active = df[df["active_users"] > 0]
        prose = [self._say("daily", mean=self.fmt.number(active["active_users"].mean()),
                           day=self.fmt.date(pd.Timestamp(peak.day).date()),
                           peak=self.fmt.number(peak.active_users)),
                 self._say("daily.detail", sent=self.fmt.number(df["sent"].sum()),
                           received=self.fmt.number(df["received"].sum()))]
        fig = charts.daily_lines(
            days, {"active_users": df["active_users"].tolist(), "sent": df["sent"].tolist(),
                   "received": df["received"].tolist()},
            {"active_users": charts.INK, "sent": charts.INITIATOR_COLORS["business"],
             "received": charts.INITIATOR_COLORS["user"]},
            {"active_users": self._t("active_users"), "sent": self._t("bot_sent"),
             "received": self._t("bot_received")},
            self._t("section.daily_users"), self._t("messages"), self.fmt)
        return present.Section(self._t("section.daily_users"), prose,
                               present.figure_to_img(fig, self._t("section.daily_users")))
