"""The attendance report: how fast and how well agents answer, and how many tickets active
messages create. Definitions: docs/metrics.md, "Attendance"; SQL: `attendance_*.sql` beside
this module.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from reportlib.domain.calendar import local_day_start
from reportlib.look import charts, present
from reportlib.look.i18n import LABELS
from reportlib.marts.bundle import Bundle
from reportlib.reports.base import BaseReport

REPORT = "attendance"
TIME_METRICS = ("queue_minutes", "first_response_minutes", "waiting_minutes",
                "response_minutes", "response_per_ticket_minutes", "handling_minutes",
                "handling_from_open_minutes")
STATUSES = ("Online", "Pause", "Invisible", "Offline")

PROSE = {
    "overview": {
        "pt-BR": "{opened} tickets abertos no período: {handled} atendidos, {missed} perdidos "
                 "e {abandoned} abandonados; {open} seguem em aberto.",
        "en": "{opened} tickets opened in the period: {handled} handled, {missed} missed and "
              "{abandoned} abandoned; {open} are still open.",
    },
    # None or one ticket still open: "0 are still open" read as a count of nothing.
    "overview.open_none": {
        "pt-BR": "{opened} tickets abertos no período: {handled} atendidos, {missed} perdidos "
                 "e {abandoned} abandonados; nenhum segue em aberto.",
        "en": "{opened} tickets opened in the period: {handled} handled, {missed} missed and "
              "{abandoned} abandoned; none is still open.",
    },
    "overview.open_one": {
        "pt-BR": "{opened} tickets abertos no período: {handled} atendidos, {missed} perdidos "
                 "e {abandoned} abandonados; 1 segue em aberto.",
        "en": "{opened} tickets opened in the period: {handled} handled, {missed} missed and "
              "{abandoned} abandoned; 1 is still open.",
    },
    "overview.sla": {
        "pt-BR": "{sla} dos tickets respondidos tiveram espera de até {target} min (sua "
                 "meta).",
        "en": "{sla} of answered tickets waited at most {target} min (your target).",
    },
    "overview.sla_missed": {
        "pt-BR": "Fora dessa parcela, {missed} tickets perdidos esperaram mais de {target} min "
                 "antes de o cliente desistir.",
        "en": "That share leaves out {missed} missed tickets that waited longer than "
              "{target} min before the customer gave up.",
    },
    "overview.sla_missed.one": {
        "pt-BR": "Fora dessa parcela, 1 ticket perdido esperou mais de {target} min antes de o "
                 "cliente desistir.",
        "en": "That share leaves out 1 missed ticket that waited longer than {target} min "
              "before the customer gave up.",
    },
    # Without an answered ticket there is no share for "that share" to refer to.
    "overview.missed_past": {
        "pt-BR": "{missed} tickets perdidos esperaram mais de {target} min antes de o cliente "
                 "desistir.",
        "en": "{missed} missed tickets waited longer than {target} min before the customer "
              "gave up.",
    },
    "overview.missed_past.one": {
        "pt-BR": "1 ticket perdido esperou mais de {target} min antes de o cliente desistir.",
        "en": "1 missed ticket waited longer than {target} min before the customer gave up.",
    },
    "overview.sla_missed.none": {
        "pt-BR": "Nenhum ticket perdido esperou mais de {target} min antes de o cliente "
                 "desistir.",
        "en": "No missed ticket waited longer than {target} min before the customer gave up.",
    },
    "label.response_minutes": {"pt-BR": "Tempo de resposta (por mensagem)",
                               "en": "Response time (per message)"},
    "label.response_per_ticket_minutes": {"pt-BR": "Tempo de resposta (média por ticket)",
                                          "en": "Response time (average per ticket)"},
    "label.none": {"pt-BR": "Sem status registrado", "en": "No status recorded"},
    "label.missed_past_target": {"pt-BR": "Perdidos além da meta",
                                 "en": "Missed past the target"},
    "times": {
        "pt-BR": "A espera mediana (TME) foi de {waiting} min e o atendimento mediano (TMA) de "
                 "{handling} min; 10% esperaram mais de {waiting_p90} min.",
        "en": "The median wait was {waiting} min and the median handling time "
              "{handling} min; 10% waited longer than {waiting_p90} min.",
    },
    "times.detail": {
        "pt-BR": "Mediana e P90 ao lado da média: poucos casos longos puxam a média para cima.",
        "en": "The median and P90 (90th percentile) are shown beside the mean, which a few "
              "long cases pull up.",
    },
    "times.response": {
        "pt-BR": "Tempo de resposta por mensagem do cliente (após a primeira resposta): "
                 "mediana {median} min sobre {n} mensagens; a média por ticket vem à parte.",
        "en": "Response time per customer message (after the first reply): median {median} "
              "min over {n} messages; the average per ticket is shown separately.",
    },
    "groups": {
        "pt-BR": "{top} concentra o maior volume ({opened} tickets); {worst} tem a menor "
                 "parcela dentro do SLA ({sla}).",
        "en": "{top} has the most tickets ({opened}); {worst} has the lowest share within "
              "SLA ({sla}).",
    },
    # The group with the most tickets is also the one with the lowest share.
    "groups.same": {
        "pt-BR": "{top} concentra o maior volume ({opened} tickets) e também tem a menor "
                 "parcela dentro do SLA ({sla}).",
        "en": "{top} has the most tickets ({opened}) and also the lowest share within SLA "
              "({sla}).",
    },
    # Two or more groups share the lowest share as shown.
    "groups.tied": {
        "pt-BR": "{top} concentra o maior volume ({opened} tickets); {worst} têm a menor "
                 "parcela dentro do SLA ({sla} cada).",
        "en": "{top} has the most tickets ({opened}); {worst} have the lowest share within "
              "SLA ({sla} each).",
    },
    "groups.detail": {
        "pt-BR": "Tempos em minutos (medianas).", "en": "Times in minutes (medians).",
    },
    "chart.daily": {"pt-BR": "Mais tickets abertos em {day}: {n}",
                    "en": "Most tickets opened on {day}: {n}"},
    "daily": {
        "pt-BR": "O dia com mais aberturas foi {day} ({n} tickets).",
        "en": "The day with the most tickets opened was {day} ({n}).",
    },
    "daily.detail": {
        "pt-BR": "Quando a linha de encerrados fica abaixo da de abertos, a fila cresce.",
        "en": "When the closed line runs below the opened one, the queue grows.",
    },
    "agents": {
        "pt-BR": "{agents} agentes somaram {online} horas online e {pause} em pausa.",
        "en": "{agents} agents were online for {online} hours and on pause for {pause} "
              "hours.",
    },
    "agents.one": {
        "pt-BR": "1 agente somou {online} horas online e {pause} em pausa.",
        "en": "1 agent was online for {online} hours and on pause for {pause} hours.",
    },
    "agents.detail": {
        "pt-BR": "Intervalos recortados ao período; com as horas sem status registrado, cada "
                 "agente soma {hours} horas.",
        "en": "Status intervals are cut at the period's limits; counting the hours with no "
              "status recorded, each agent's row adds up to {hours} hours.",
    },
    "agents.detail.open": {
        "pt-BR": "Intervalos recortados ao período (e a {as_of}); com as horas sem status "
                 "registrado, cada agente soma {hours} horas.",
        "en": "Status intervals are cut at the period's limits (and at {as_of}); counting "
              "the hours with no status recorded, each agent's row adds up to {hours} hours.",
    },
    "agents.began": {
        "pt-BR": "Os status dos agentes começam em {day}: as horas antes disso não estão "
                 "disponíveis e não contam como horas sem status.",
        "en": "The agents' statuses begin on {day}: the hours before it are not available "
              "and do not count as hours with no status.",
    },
    "groups.tags": {
        "pt-BR": "Um ticket com várias etiquetas conta em cada uma: a soma da coluna passa do "
                 "total de tickets.",
        "en": "A ticket with several tags counts under each: the column adds up to more than "
              "the tickets.",
    },
    "active": {
        "pt-BR": "{count} tickets ({share}) vieram de mensagens ativas: {campaign} de campanhas "
                 "e {agent} de envios de agentes.",
        "en": "{count} tickets ({share}) came from active messages: {campaign} from campaigns "
              "and {agent} from agents' sends.",
    },
    "active.detail": {
        "pt-BR": "Espera e atendimento medianos (min) comparados com os demais tickets.",
        "en": "Median waiting and handling (min) compared with the other tickets.",
    },
    "active.days": {
        "pt-BR": "Cada ticket conta no dia em que foi aberto, também os de campanhas enviadas "
                 "antes do período; o relatório de campanhas conta os tickets das campanhas "
                 "enviadas no período.",
        "en": "Each ticket counts on the day it was opened, including those from campaigns "
              "sent before the period; the campaigns report counts the tickets of the campaigns "
              "sent in the period.",
    },
    "none": {"pt-BR": "Nenhum ticket no período.", "en": "No ticket in the period."},
}


class AttendanceReport(BaseReport):
    report_name = "attendance"
    prose = PROSE

    def __init__(self, bundle: Bundle, locale: str | None = None) -> None:
        super().__init__(bundle, locale)
        self.tickets_df = bundle.table("attendance_tickets")
        self.counts_df = bundle.table("attendance_counts")
        self.times_df = bundle.table("attendance_times")
        self.daily_df = bundle.table("attendance_daily")
        self.status_df = bundle.table("agent_status_time")

    def open_ticket_days(self) -> list:
        """Creation days (the tenant's zone) of the period's tickets not closed yet: their
        times and outcomes still change (docs/metrics.md, "Provisional figures")."""
        open_tickets = self.tickets_df[self.tickets_df["outcome"] == "open"]
        return [pd.Timestamp(t).tz_convert(self.info["timezone"]).date()
                for t in open_tickets["storage_date"]]

    def _counts(self, dimension: str) -> pd.DataFrame:
        return self.counts_df[self.counts_df["dimension"] == dimension].set_index("grp")

    def _times(self, dimension: str) -> pd.DataFrame:
        t = self.times_df[self.times_df["dimension"] == dimension]
        return t.set_index(["grp", "metric"])

    def _minutes(self, value) -> str:
        return self.fmt.number(value, 1)

    def figures(self) -> dict:
        figures: dict = {"partial": bool(self.info["partial"])}
        if self.counts_df.empty:
            return {**figures, "opened": 0}
        overall = self._counts("all").loc["all"]
        for key in ("opened", "missed", "abandoned", "handled", "closed", "still_open",
                    "answered", "within_sla", "missed_past_target"):
            figures[key] = int(overall[key])
        figures["sla_attainment"] = (None if pd.isna(overall["sla_attainment"])
                                     else round(float(overall["sla_attainment"]), 4))
        times = self._times("all")
        for metric in TIME_METRICS:
            if ("all", metric) in times.index:
                row = times.loc[("all", metric)]
                name = metric.removesuffix("_minutes")
                for stat in ("median", "p90", "mean"):
                    value = row[stat]
                    figures[f"{name}.{stat}_minutes"] = None if pd.isna(value) else round(
                        float(value), 2)
        sources = self._counts("source")
        for source in ("campaign", "agent", "other"):
            figures[f"tickets_from.{source}"] = int(sources["opened"].get(source, 0))
        return figures

    def overview(self) -> present.Section:
        if self.counts_df.empty:
            return present.Section(self._t("section.overview"), [self._say("none")])
        f = self.figures()
        still_open = {0: "overview.open_none", 1: "overview.open_one"}.get(f["still_open"],
                                                                          "overview")
        prose = [self._say(still_open, opened=self.fmt.number(f["opened"]),
                           handled=self.fmt.number(f["handled"]),
                           missed=self.fmt.number(f["missed"]),
                           abandoned=self.fmt.number(f["abandoned"]),
                           open=self.fmt.number(f["still_open"]))]
        target = self.fmt.number(self.info["sla_target_minutes"])
        if f["sla_attainment"] is not None:
            prose.append(self._say("overview.sla", sla=self.fmt.percent(f["sla_attainment"]),
                                   target=target))
        past = f["missed_past_target"]
        key = "overview.sla_missed" if f["sla_attainment"] is not None or not past else \
            "overview.missed_past"
        prose.append(self._say(key + {0: ".none", 1: ".one"}.get(past, ""),
                               missed=self.fmt.number(f["missed_past_target"]), target=target))
        cards = present.cards([(self._t(k), self.fmt.number(f[k])) for k in (
            "opened", "handled", "missed", "abandoned", "still_open")] + [
            (self._t("sla"), self.fmt.percent(f["sla_attainment"])),
            (self._say("label.missed_past_target"), self.fmt.number(f["missed_past_target"]))])
        return present.Section(self._t("section.overview"), prose, cards)

    def times(self) -> present.Section:
        times = self._times("all")
        if times.empty:
            return present.Section(self._t("section.times"), [self._say("none")])
        def stat(metric: str, name: str):
            # the table's own value: the figures' (rounded to hundredths) could round again
            # to another tenth than the table beside it shows (14.0 against 14.1)
            return times.loc[("all", metric), name] if ("all", metric) in times.index else None

        prose = [self._say("times", waiting=self._minutes(stat("waiting_minutes", "median")),
                           handling=self._minutes(stat("handling_minutes", "median")),
                           waiting_p90=self._minutes(stat("waiting_minutes", "p90"))),
                 self._say("times.detail")]
        response = stat("response_minutes", "median")
        if response is not None and not pd.isna(response):
            prose.append(self._say("times.response", median=self._minutes(response),
                                   n=self.fmt.number(times.loc[("all", "response_minutes"),
                                                               "n"])))
        rows = [[self._metric_label(m), self._minutes(times.loc[("all", m), "median"]),
                 self._minutes(times.loc[("all", m), "p90"]),
                 self._minutes(times.loc[("all", m), "mean"]),
                 self.fmt.number(times.loc[("all", m), "n"])]
                for m in TIME_METRICS if ("all", m) in times.index]
        return present.Section(self._t("section.times"), prose, present.table(
            [self._t("metric"), f"{self._t('median')} (min)", f"{self._t('p90')} (min)",
             f"{self._t('mean')} (min)", self._t("count")], rows, [False] + [True] * 4))

    def _metric_label(self, metric: str) -> str:
        key = f"label.{metric}"
        return self._say(key) if key in self.prose else self._t(metric)

    def _group_section(self, dimension: str, title_key: str, label_key: str,
                       limit: int = 15) -> present.Section:
        counts = self._counts(dimension)
        if counts.empty:
            return present.Section(self._t(title_key), [self._say("none")])
        times = self._times(dimension)
        counts = counts.sort_values("opened", ascending=False).head(limit)
        worst = counts.dropna(subset=["sla_attainment"])
        prose = []
        if len(worst):
            # every group at the lowest share as shown: one named alone would read as the worst
            sla = self.fmt.percent(worst["sla_attainment"].min())
            lows = [g for g, v in worst["sla_attainment"].items() if self.fmt.percent(v) == sla]
            key = ("groups.tied" if len(lows) > 1 else
                   "groups.same" if lows[0] == counts.index[0] else "groups")
            prose.append(self._say(key,
                                   top=self._group_named(dimension, counts.index[0],
                                                         start=True),
                                   opened=self.fmt.number(counts["opened"].iloc[0]),
                                   worst=self.fmt.names([self._group_named(dimension, g)
                                                         for g in lows]),
                                   sla=sla))
        if dimension == "tag":
            prose.append(self._say("groups.tags"))
        prose.append(self._say("groups.detail"))

        def median(group, metric):
            return self._minutes(times["median"].get((group, metric))) \
                if (group, metric) in times.index else "–"

        # Opened = handled + missed + abandoned + still open: a row adds up only with its
        # open tickets, shown when there are any (an open period, tickets not yet closed).
        still_open = bool(counts["still_open"].sum())
        rows = [[self._group_label(dimension, g), self.fmt.number(r.opened),
                 self.fmt.number(r.handled), self.fmt.number(r.missed + r.abandoned),
                 *([self.fmt.number(r.still_open)] if still_open else []),
                 self.fmt.percent(r.sla_attainment) if pd.notna(r.sla_attainment) else "–",
                 median(g, "waiting_minutes"), median(g, "handling_minutes")]
                for g, r in counts.iterrows()]
        columns = [self._t(label_key), self._t("opened"), self._t("handled"),
                   f"{self._t('missed')} + {self._t('abandoned')}",
                   *([self._t("still_open")] if still_open else []), self._t("sla"),
                   self._t("waiting_minutes"), self._t("handling_minutes")]
        return present.Section(self._t(title_key), prose, present.table(
            columns, rows, [False] + [True] * (len(columns) - 1)))

    def _group_named(self, dimension: str, group: str, start: bool = False) -> str:
        """A group as a sentence names it: the table's placeholder for tickets with no tag,
        agent or queue ("(sem etiqueta)") in words ("o grupo sem etiqueta"), capitalized
        where it begins the sentence; any other group as the table names it."""
        label = self._group_label(dimension, group)
        key = ("group.prose.(none)" if group == "(none)" and dimension != "source" else
               f"group.prose.none.{dimension}"
               if group is None or group != group or group == "–" else None)
        if key is None or key not in LABELS:
            return label
        named = self._t(key)
        return named[:1].upper() + named[1:] if start else named

    def _group_label(self, dimension: str, group: str) -> str:
        """A group's name as the reader reads it: the sources and the platform's own words
        (no tag, the direct-transfer queue) translated, everything else as the tenant wrote it."""
        if dimension == "source":
            return self._t(f"source.{group}")
        if group in ("(none)", "DIRECT_TRANSFER"):
            return self._t(f"group.{group}")
        if group is None or group != group or group == "–":  # no agent (never assigned)
            key = f"group.none.{dimension}"
            return self._t(key) if key in LABELS else "–"
        return str(group)

    def by_team(self) -> present.Section:
        return self._group_section("team", "section.by_team", "team")

    def by_agent(self) -> present.Section:
        return self._group_section("agent", "section.by_agent", "agent")

    def by_tag(self) -> present.Section:
        return self._group_section("tag", "section.by_tag", "tag")

    def daily(self) -> present.Section:
        df = self.observed(self.daily_df)
        if df.empty or df["opened"].sum() == 0:
            # tickets of the as-of day only (not complete): not "no ticket in the period"
            text = self._t("no_complete_day") if len(self.tickets_df) else self._say("none")
            return present.Section(self._t("section.tickets_daily"), [text])
        days = [d.date() if hasattr(d, "date") else d for d in df["day"]]
        peak = df.loc[df["opened"].idxmax()]
        prose = [self._say("daily", day=self.fmt.date(pd.Timestamp(peak.day).date()),
                           n=self.fmt.number(peak.opened)), self._say("daily.detail")]
        fig = charts.daily_lines(days, {"opened": df["opened"].tolist(),
                                        "closed": df["closed"].tolist()},
                                 {"opened": charts.INITIATOR_COLORS["business"],
                                  "closed": charts.INITIATOR_COLORS["user"]},
                                 {k: self._t(k) for k in ("opened", "closed")},
                                 self._say("chart.daily", day=self.fmt.day_month(
                                     pd.Timestamp(peak.day).date()),
                                     n=self.fmt.number(peak.opened)), self._t("ticket"), self.fmt,
                                 provisional_from=self.provisional_chart_from(),
                                 missing=self.missing_chart_days(("tickets",)),
                                 dashed=("closed",))
        return present.Section(self._t("section.tickets_daily"), prose,
                               present.figure_to_img(fig, self._t("section.tickets_daily")))

    def agent_status(self) -> present.Section:
        df = self.status_df
        if df.empty:
            return present.Section(self._t("section.agent_status"), [self._say("none")])
        columns = [*STATUSES, "none"]
        table = df.pivot_table(index="agent_identity", columns="status", values="hours",
                               aggfunc="sum", fill_value=0).reindex(columns=columns,
                                                                    fill_value=0)
        period = self.status_period_hours()
        prose = [self._say("agents.one" if len(table) == 1 else "agents",
                           agents=self.fmt.number(len(table)),
                           # in tenths, as the table gives each agent's hours
                           online=self.fmt.number(table["Online"].sum(), 1),
                           pause=self.fmt.number(table["Pause"].sum(), 1)),
                 self._say("agents.detail.open" if self.bundle.as_of <= self.bundle.period.end
                           else "agents.detail", as_of=self.fmt.date(self.bundle.as_of),
                           hours=self.fmt.number(period, 1))]
        if self.status_began():
            prose.append(self._say("agents.began", day=self.fmt.date(self.status_began())))
        rows = [[agent, *(self.fmt.number(table.loc[agent, s], 1) for s in columns),
                 self.fmt.number(table.loc[agent].sum(), 1)]
                for agent in table.index]
        return present.Section(self._t("section.agent_status"), prose, present.table(
            [self._t("agent")] + [f"{self._t(s)} ({self._t('hours')})" for s in STATUSES]
            + [f"{self._say('label.none')} ({self._t('hours')})",
               f"{self._t('total')} ({self._t('hours')})"],
            rows, [False] + [True] * 6))

    def status_began(self) -> date | None:
        """The day the tenant's agent statuses begin, when inside the period (coverage's
        `begins`): the hours before it are not available."""
        found = [c.get("begins") for c in self.coverage() if c["kind"] == "agent_status"]
        return date.fromisoformat(found[0]) if found and found[0] else None

    def status_period_hours(self) -> float:
        """The hours each agent's row adds up to: the period (from the day the statuses
        begin, when they begin inside it), up to as-of when it is open."""
        period = self.bundle.period
        tz = self.info["timezone"]
        end = min(period.end + timedelta(days=1), self.bundle.as_of)
        start = max(period.start, self.status_began() or period.start)
        return max((local_day_start(end, tz) - local_day_start(start, tz)).total_seconds()
                   / 3600, 0)

    def active_messages(self) -> present.Section:
        counts = self._counts("source")
        if counts.empty:
            return present.Section(self._t("section.active_messages"), [self._say("none")])
        total = int(counts["opened"].sum())
        campaign = int(counts["opened"].get("campaign", 0))
        agent = int(counts["opened"].get("agent", 0))
        prose = [self._say("active", count=self.fmt.number(campaign + agent),
                           share=self.fmt.percent((campaign + agent) / total if total else 0),
                           campaign=self.fmt.number(campaign), agent=self.fmt.number(agent)),
                 self._say("active.days"), self._say("active.detail")]
        times = self._times("source")
        rows = []
        for source in ("campaign", "agent", "other"):
            if source not in counts.index:
                continue
            r = counts.loc[source]
            rows.append([self._t(f"source.{source}"), self.fmt.number(r.opened),
                         self.fmt.percent(r.opened / total),
                         self._minutes(times["median"].get((source, "waiting_minutes"))),
                         self._minutes(times["median"].get((source, "handling_minutes")))])
        body = present.table([self._t("source"), self._t("opened"), self._t("share"),
                              self._t("waiting_minutes"), self._t("handling_minutes")], rows,
                             [False] + [True] * 4)
        # Per campaign (by id; two campaigns may share a name), named as its readers know it.
        per_campaign = self.tickets_df[self.tickets_df["source"] == "campaign"].groupby(
            ["campaign_id", "campaign_name"]).size().sort_values(ascending=False)
        if len(per_campaign):
            body += present.table([self._t("campaign"), self._t("opened")],
                                  [[name, self.fmt.number(n)]
                                   for (_, name), n in per_campaign.items()], [False, True])
        return present.Section(self._t("section.active_messages"), prose, body)
