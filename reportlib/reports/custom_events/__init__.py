"""The custom-events report: event counts by category and action, daily trends, top labels,
and the funnels declared in the tenant's params with the step that loses most users.
docs/metrics.md, "Event tracks": events are counted (the platform's convention), with distinct users
beside them; drop-off at a step is the share of the previous step's users who never reach it.
"""

from __future__ import annotations

import pandas as pd

from reportlib.domain.metrics import rate
from reportlib.look import charts, present
from reportlib.marts.bundle import Bundle
from reportlib.reports.base import BaseReport

REPORT = "custom_events"
PROSE = {
    "events": {
        "pt-BR": "{events} eventos de {users} usuários no período; o mais frequente foi "
                 "{event} ({top}).",
        "en": "{events} events from {users} users in the period; the most frequent was "
              "{event} ({top}).",
    },
    "events.detail": {
        "pt-BR": "Contamos eventos, como a plataforma, e mostramos usuários distintos ao lado.",
        "en": "Events are counted, as the platform does, with distinct users beside them.",
    },
    "chart.funnel": {"pt-BR": "{name}: {rate} dos usuários chegam à última etapa",
                     "en": "{name}: {rate} of the users reach the last step"},
    # No user did the first step in the period: no share reaches the last one (not 0 %).
    "chart.funnel.none": {"pt-BR": "{name}: nenhum usuário na primeira etapa",
                          "en": "{name}: no user at the first step"},
    "funnel.none": {
        "pt-BR": "Funil “{name}”: nenhum usuário fez a primeira etapa no período.",
        "en": "Funnel “{name}”: no user did its first step in the period.",
    },
    # {n}: the day's events of every category together (the chart draws one line each)
    "chart.trend": {"pt-BR": "Mais eventos em {day}: {n}, somando as categorias",
                    "en": "Most events on {day}: {n}, all categories together"},
    "trend": {"pt-BR": "O dia com mais eventos, somando as categorias, foi {day} ({n}).",
              "en": "The day with the most events, all categories together, was {day} ({n})."},
    "trend.detail": {"pt-BR": "Uma linha por categoria.", "en": "One line per category."},
    "labels": {"pt-BR": "Os rótulos mais usados, por categoria e ação.",
               "en": "The most used labels, by category and action."},
    "funnel": {
        "pt-BR": "Funil “{name}”: {first} usuários começaram e {last} concluíram ({rate}). "
                 "O ponto de atrito é a etapa {step} ({what}), que perde {drop} dos usuários "
                 "da etapa anterior.",
        "en": "Funnel “{name}”: {first} users started and {last} finished ({rate}). The "
              "friction point is step {step} ({what}), which loses {drop} of the previous "
              "step's users.",
    },
    # Why a step's users are fewer than the events table's for the same category/action.
    "funnels.detail": {
        "pt-BR": "Uma etapa conta os usuários que chegaram a ela depois das etapas anteriores "
                 "(menos que na tabela de eventos); a coluna Eventos conta todos os eventos da "
                 "etapa no período.",
        "en": "A step counts the users who reached it after the steps before it (fewer than "
              "in the events table); the Events column counts all of the step's events in the "
              "period.",
    },
    "funnels.none": {"pt-BR": "Nenhum funil declarado nas configurações de relatórios da "
                              "sua conta.",
                     "en": "No funnel declared in your account's report settings."},
    "col.label": {"pt-BR": "Rótulo", "en": "Label"},
    "none": {"pt-BR": "Nenhum evento no período.", "en": "No event in the period."},
}


def funnel_table(steps: pd.DataFrame) -> pd.DataFrame:
    """Conversion from the first step and drop-off from the previous one, per step."""
    steps = steps.sort_values("step").copy()
    first = steps["users"].iloc[0] if len(steps) else 0
    previous = steps["users"].shift(1)
    steps["conversion"] = [rate(u, first) for u in steps["users"]]
    steps["drop_off"] = [None if pd.isna(p) else (1 - rate(u, p) if p else None)
                         for u, p in zip(steps["users"], previous, strict=True)]
    return steps


def friction_step(table: pd.DataFrame) -> pd.Series | None:
    """The step that loses the largest share of the previous step's users."""
    losing = table.dropna(subset=["drop_off"])
    return None if losing.empty else losing.loc[losing["drop_off"].astype(float).idxmax()]


class CustomEventsReport(BaseReport):
    report_name = "custom_events"
    prose = PROSE

    def __init__(self, bundle: Bundle, locale: str | None = None) -> None:
        super().__init__(bundle, locale)
        self.counts_df = bundle.table("event_counts")
        self.daily_df = bundle.table("event_daily")
        self.labels_df = bundle.table("event_labels")
        self.funnels_df = bundle.table("event_funnel_steps")
        self.totals_df = bundle.table("event_totals")


    def named(self, kind: str, value) -> str:
        """The name the tenant gives an event's category, action or label (`kind`: params
        `event_names:` categories, actions, labels), else the value as the data has it."""
        return self.info.get("event_names", {}).get(kind, {}).get(str(value), value)

    def event_name(self, category, action) -> str:
        """A category and action as one name (a funnel's step, the most frequent event)."""
        return f"{self.named('categories', category)} / {self.named('actions', action)}"

    def figures(self) -> dict:
        totals = self.totals_df.iloc[0]
        figures: dict = {"partial": bool(self.info["partial"]), "events": int(totals.events),
                         "users": int(totals.users)}
        for r in self.counts_df.itertuples():
            figures[f"events.{r.category}.{r.action}"] = int(r.events)
        for name, steps in self.funnels_df.groupby("funnel", sort=False):
            table = funnel_table(steps)
            for r in table.itertuples():
                figures[f"funnel.{name}.step{r.step}.users"] = int(r.users)
                figures[f"funnel.{name}.step{r.step}.events"] = int(r.events)
            worst = friction_step(table)
            figures[f"funnel.{name}.friction_step"] = None if worst is None else int(
                worst["step"])
        return figures

    def events(self) -> present.Section:
        df = self.counts_df
        if df.empty:
            return present.Section(self._t("section.events"), [self._say("none")])
        top = df.iloc[0]
        totals = self.totals_df.iloc[0]
        prose = [self._say("events", events=self.fmt.number(totals.events),
                           users=self.fmt.number(totals.users),
                           event=self.event_name(top.category, top.action),
                           top=self.fmt.number(top.events)),
                 self._say("events.detail")]
        rows = [[self.named("categories", r.category), self.named("actions", r.action),
                 self.fmt.number(r.events), self.fmt.number(r.users)] for r in df.itertuples()]
        return present.Section(self._t("section.events"), prose, present.table(
            [self._t("category"), self._t("action_name"), self._t("events"),
             self._t("users")], rows, [False, False, True, True]))

    def trend(self) -> present.Section:
        df = self.daily_df
        if df.empty:
            return present.Section(self._t("section.event_trend"), [self._say("none")])
        period = self.bundle.period
        days = pd.date_range(period.start, min(period.end, self.bundle.as_of - pd.Timedelta(
            days=1)), freq="D")
        grid = df.pivot_table(index="day", columns="category", values="events",
                              aggfunc="sum", fill_value=0).reindex(days, fill_value=0)
        totals = grid.sum(axis=1)
        if totals.empty or totals.max() == 0:
            # events of the as-of day only (not complete): not "no event in the period"
            return present.Section(self._t("section.event_trend"), [
                self._t("no_complete_day") if int(self.totals_df.iloc[0].events)
                else self._say("none")])
        prose = [self._say("trend", day=self.fmt.date(totals.idxmax().date()),
                           n=self.fmt.number(totals.max())), self._say("trend.detail")]
        palette = ["#1c7ed6", "#d9480f", "#2b8a3e", "#5f3dc4", "#e67700", "#868e96"]
        colors = {c: palette[i % len(palette)] for i, c in enumerate(grid.columns)}
        fig = charts.daily_lines([d.date() for d in days],
                                 {c: grid[c].tolist() for c in grid.columns}, colors,
                                 {c: self.named("categories", c) for c in grid.columns},
                                 self._say("chart.trend",
                                           day=self.fmt.day_month(totals.idxmax().date()),
                                           n=self.fmt.number(totals.max())),
                                 self._t("events"), self.fmt,
                                 provisional_from=self.provisional_chart_from(),
                                 missing=self.missing_chart_days(("event_tracks",)))
        return present.Section(self._t("section.event_trend"), prose,
                               present.figure_to_img(fig, self._t("section.event_trend")))

    def labels(self) -> present.Section:
        df = self.labels_df.head(15)
        if df.empty:
            return present.Section(self._t("section.labels"), [self._say("none")])
        rows = [[self.named("categories", r.category), self.named("actions", r.action),
                 self.named("labels", r.label), self.fmt.number(r.events),
                 self.fmt.number(r.users)] for r in df.itertuples()]
        return present.Section(self._t("section.labels"), [self._say("labels")], present.table(
            [self._t("category"), self._t("action_name"), self._say("col.label"),
             self._t("events"),
             self._t("users")], rows, [False] * 3 + [True] * 2))

    def funnels(self) -> present.Section:
        if self.funnels_df.empty:
            return present.Section(self._t("section.funnels"), [self._say("funnels.none")])
        prose, body = [], ""
        for name, steps in self.funnels_df.groupby("funnel", sort=False):
            table = funnel_table(steps)
            worst = friction_step(table)
            first, last = int(table["users"].iloc[0]), int(table["users"].iloc[-1])
            if not first:
                prose.append(self._say("funnel.none", name=name))
            elif worst is not None:
                prose.append(self._say(
                    "funnel", name=name, first=self.fmt.number(first),
                    last=self.fmt.number(last), rate=self.fmt.percent(rate(last, first)),
                    step=int(worst["step"]),
                    what=self.event_name(worst["category"], worst["action"]),
                    drop=self.fmt.percent(float(worst["drop_off"]))))
            labels = [f"{r.step}. {self.event_name(r.category, r.action)}"
                      for r in table.itertuples()]
            title = self._say("chart.funnel", name=name, rate=self.fmt.percent(
                rate(last, first))) if first else self._say("chart.funnel.none", name=name)
            fig = charts.funnel(labels, table["users"].tolist(), title, self.fmt,
                                self._t("users"))
            rows = [[int(r.step), self.event_name(r.category, r.action),
                     self.fmt.number(r.events),
                     self.fmt.number(r.users),
                     self.fmt.percent(r.conversion) if r.conversion is not None else "–",
                     self.fmt.percent(r.drop_off) if r.drop_off is not None else "–"]
                    for r in table.itertuples()]
            body += present.figure_to_img(fig, str(name)) + present.table(
                # Headed as its cells read: "Menu principal / Abertura".
                [self._t("step"), f"{self._t('category')} / {self._t('action_name')}",
                 self._t("events"), self._t("users"), self._t("conversion"),
                 self._t("drop_off")], rows, [True, False] + [True] * 4)
        prose.append(self._say("funnels.detail"))
        return present.Section(self._t("section.funnels"), prose, body)
