"""The desk follow-up report: agents' active messages by help-desk status as of `as_of`,
the ones that need action now, their conversion into tickets, per agent.

Definitions: docs/metrics.md, "Help-desk statuses of an agent's active message". The status is
computed in SQL (`desk_messages` mart, macro `desk_status`).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from reportlib.domain import error_codes
from reportlib.domain.metrics import rate
from reportlib.look import charts, present
from reportlib.look.i18n import mask_phone
from reportlib.marts.bundle import Bundle
from reportlib.reports.base import BaseReport

REPORT = "desk_followup"
STATUSES = ("sending", "sent", "delivered", "read", "failed", "expired")
STATUS_COLORS = {"sending": "#adb5bd", "sent": "#74c0fc", "delivered": "#1c7ed6",
                 "read": "#2b8a3e", "failed": "#c92a2a", "expired": "#868e96"}

PROSE = {
    "chart.status": {"pt-BR": "{share} das mensagens expiraram sem resposta",
                     "en": "{share} of the messages expired without a reply"},
    "status": {
        "pt-BR": "{total} mensagens ativas enviadas por agentes no período: {counts}.",
        "en": "{total} active messages sent by agents in the period: {counts}.",
    },
    "status.sending": {"pt-BR": "{n} enviando", "en": "{n} sending"},
    "status.sent": {"pt-BR": "{n} enviadas", "en": "{n} sent"},
    "status.delivered": {"pt-BR": "{n} entregues", "en": "{n} delivered"},
    "status.read": {"pt-BR": "{n} lidas", "en": "{n} read"},
    "status.failed": {"pt-BR": "{n} com falha", "en": "{n} failed"},
    "status.expired": {"pt-BR": "{n} expiradas sem resposta",
                       "en": "{n} expired without a reply"},
    "status.sent.one": {"pt-BR": "{n} enviada", "en": "{n} sent"},
    "status.delivered.one": {"pt-BR": "{n} entregue", "en": "{n} delivered"},
    "status.read.one": {"pt-BR": "{n} lida", "en": "{n} read"},
    "status.expired.one": {"pt-BR": "{n} expirada sem resposta",
                           "en": "{n} expired without a reply"},
    "and": {"pt-BR": " e ", "en": " and "},
    "status.detail": {
        "pt-BR": "Status como o atendimento os mostra em {as_of}: expira 24 h após o envio sem "
                 "resposta.",
        "en": "Statuses as the desk shows them on {as_of}: a message expires 24 h after the "
              "send without a reply.",
    },
    "actions": {
        "pt-BR": "Mensagens ainda visíveis no atendimento que pedem ação: {count} ({failed} "
                 "com falha, {followup} sem resposta após entrega ou leitura).",
        "en": "Messages still visible in the desk that need action: {count} ({failed} failed, "
              "{followup} unanswered after delivery or read).",
    },
    "actions.detail": {
        "pt-BR": "Uma mensagem fica visível até 72 h após o envio; falhas trazem o que fazer.",
        "en": "A message stays visible until 72 h after the send; failures say what to do.",
    },
    "actions.none": {"pt-BR": "Nada pendente: nenhuma mensagem visível pede ação.",
                     "en": "Nothing pending: no visible message needs action."},
    # The code stays on the line of its word ("erro 131026").
    "action.failed": {"pt-BR": "{action} (erro\u00a0{code})",
                      "en": "{action} (error\u00a0{code})"},
    "action.codes": {"pt-BR": "Erros: {codes}.", "en": "Errors: {codes}."},
    "followup": {"pt-BR": "Sem resposta: candidata a novo contato",
                 "en": "No reply yet: candidate for a follow-up"},
    "tickets": {
        "pt-BR": "{tickets} das {total} mensagens viraram ticket ({rate}): o cliente respondeu "
                 "em até 24 h.",
        "en": "{tickets} of {total} messages became tickets ({rate}): the customer replied "
              "within 24 h.",
    },
    "tickets.detail": {
        "pt-BR": "A taxa usa como denominador as mensagens enviadas pelos agentes (as de "
                 "resultado conhecido, quando algumas ficam de fora). Um ticket "
                 "conta uma vez, para a última mensagem de agente ao cliente nas 24 h antes "
                 "dele, como no relatório de atendimento (que o conta no dia do ticket).",
        "en": "The rate's denominator is the messages the agents sent (those whose outcome is "
              "known, when some are left out). A ticket counts once, "
              "for the agent's latest message to the customer in the 24 h before it, as in the "
              "attendance report (which counts it on the ticket's day).",
    },
    # No tickets source in the period and no reply on the messages: whether a message opened
    # a ticket is not known (a 0 there was an export not received, not customers who never
    # answered).
    "tickets.unknown": {
        "pt-BR": "Não se sabe quantas das {total} mensagens viraram ticket: a fonte de tickets "
                 "não tem registros no período e nenhuma resposta está registrada nas "
                 "mensagens.",
        "en": "Whether the {total} messages became tickets is not known: the tickets source "
              "has no records in the period and no reply is recorded on the messages.",
    },
    "tickets.unknown.uncovered": {
        "pt-BR": "Não se sabe quantas das {total} mensagens viraram ticket: foram enviadas em "
                 "dias que a fonte de tickets não cobre (o dia do envio ou o seguinte).",
        "en": "Whether the {total} messages became tickets is not known: they were sent on "
              "days the tickets source does not cover (the day of the send or the next).",
    },
    "tickets.uncovered": {
        "pt-BR": "{n} mensagens enviadas em dias que a fonte de tickets não cobre (o dia do "
                 "envio ou o seguinte) ficam de fora: não se sabe se viraram ticket.",
        "en": "{n} messages sent on days the tickets source does not cover (the day of the "
              "send or the next) are left out: whether they became tickets is not known.",
    },
    "tickets.uncovered.one": {
        "pt-BR": "1 mensagem enviada em um dia que a fonte de tickets não cobre (o dia do "
                 "envio ou o seguinte) fica de fora: não se sabe se virou ticket.",
        "en": "1 message sent on a day the tickets source does not cover (the day of the "
              "send or the next) is left out: whether it became a ticket is not known.",
    },
    "agents.unknown": {
        "pt-BR": "{count} agentes enviaram mensagens ativas; a conversão em tickets não está "
                 "disponível.",
        "en": "{count} agents sent active messages; their conversion into tickets is not "
              "available.",
    },
    "agents.unknown.one": {
        "pt-BR": "Um agente enviou mensagens ativas: {top}; a conversão em tickets não está "
                 "disponível.",
        "en": "One agent sent active messages: {top}; the conversion into tickets is not "
              "available.",
    },
    "not_available": {"pt-BR": "não disponível", "en": "not available"},
    "agents": {
        "pt-BR": "{count} agentes enviaram mensagens ativas; {top} teve a maior conversão "
                 "({rate}).",
        "en": "{count} agents sent active messages; {top} converted best ({rate}).",
    },
    "agents.one": {
        "pt-BR": "Um agente enviou mensagens ativas: {top}, com conversão de {rate}.",
        "en": "One agent sent active messages: {top}, converting {rate}.",
    },
    "agents.detail": {
        "pt-BR": "Por agente: mensagens por status e tickets abertos.",
        "en": "Per agent: messages by status and tickets opened.",
    },
    "none": {"pt-BR": "Nenhuma mensagem ativa de agente no período.",
             "en": "No agent active message in the period."},
}


class DeskFollowupReport(BaseReport):
    report_name = "desk_followup"
    prose = PROSE

    def __init__(self, bundle: Bundle, locale: str | None = None) -> None:
        super().__init__(bundle, locale)
        self.messages_df = bundle.table("desk_messages")


    def counts(self) -> dict[str, int]:
        found = self.messages_df["desk_status"].value_counts()
        return {s: int(found.get(s, 0)) for s in STATUSES}

    def ticket_known(self) -> pd.Series:
        """Per message, whether we can tell if it became a ticket: replies are recorded on the
        messages (a reply within 24 h is the ticket), or the tickets source covers the day of
        its send and the day after (not before the source `begins`, not in a run of its
        `missing_days`: docs/metrics.md, "Coverage"); a message whose ticket was found is
        known, but not on such a day. Elsewhere a 0 would be an export not received, not a
        customer who never answered: not known, and left out of the rate with the tickets
        found on those days."""
        df = self.messages_df
        tickets = [c for c in self.coverage() if c["kind"] == "tickets"]
        if not tickets or df["replied_at"].notna().any():
            return pd.Series(True, index=df.index)
        coverage = tickets[0]
        runs = [(date.fromisoformat(a), date.fromisoformat(b))
                for a, b in coverage["missing_days"] or []]
        if coverage.get("begins"):
            runs.append((self.bundle.period.start,
                         date.fromisoformat(coverage["begins"]) - timedelta(days=1)))
        uncovered = {a + timedelta(days=i) for a, b in runs for i in range((b - a).days + 1)}
        sent = pd.to_datetime(df["accepted_at"], utc=True).fillna(
            pd.to_datetime(df["sent_at"], utc=True)).dt.tz_convert(self.info["timezone"])
        outside = pd.Series([pd.isna(d) or d.date() in uncovered
                             or d.date() + timedelta(days=1) in uncovered for d in sent],
                            index=df.index)
        # A ticket found is known, but not on a day the source does not cover: counting it
        # while the messages of that day without one are left out would raise the rate.
        return (~outside & (coverage["rows"] > 0)) | (df["ticket_opened"].astype(bool)
                                                     & ~outside)

    def tickets_known(self) -> bool:
        """Whether any message's ticket is known (else the tickets are not available)."""
        return bool(self.ticket_known().any())

    def figures(self) -> dict:
        df = self.messages_df
        figures = {f"desk.{k}": v for k, v in self.counts().items()}
        known = self.ticket_known()
        figures.update({"total": int(len(df)),
                        # no message, no ticket from one: 0, known
                        "tickets": int((df["ticket_opened"].astype(bool) & known).sum())
                        if known.any() or df.empty else None,
                        "tickets_not_known": int((~known).sum()),
                        "visible": int(df["visible"].sum()),
                        "partial": bool(self.info["partial"])})
        return figures

    def status(self) -> present.Section:
        counts = self.counts()
        total = sum(counts.values())
        if not total:
            return present.Section(self._t("section.desk_status"), [self._say("none")])
        labels = [self._t(f"desk.count.{s}") for s in STATUSES]
        # Every status that has messages, so that the parts add up to the total.
        parts = [self._say(f"status.{s}.one" if counts[s] == 1 and f"status.{s}.one" in PROSE
                           else f"status.{s}", n=self.fmt.number(counts[s]))
                 for s in STATUSES if counts[s]]
        listed = parts[0] if len(parts) == 1 else \
            ", ".join(parts[:-1]) + self._say("and") + parts[-1]
        prose = [self._say("status", total=self.fmt.number(total), counts=listed),
                 self._say("status.detail", as_of=self.fmt.date(self.bundle.as_of))]
        cards = present.cards([(label, self.fmt.number(counts[s]))
                               for s, label in zip(STATUSES, labels, strict=True)])
        fig = charts.category_bars(list(STATUSES), [counts[s] for s in STATUSES],
                                   dict(zip(STATUSES, labels, strict=True)),
                                   self._say("chart.status", share=self.fmt.percent(
                                       counts["expired"] / total)), self.fmt,
                                   unit_label=self._t("messages"))
        for bar, s in zip(fig.axes[0].patches, STATUSES, strict=True):
            bar.set_color(STATUS_COLORS[s])
        return present.Section(self._t("section.desk_status"), prose,
                               cards + present.figure_to_img(fig, self._t("section.desk_status")))

    def actions(self) -> present.Section:
        df = self.messages_df
        visible = df[df["visible"]]
        failed = visible[visible["desk_status"] == "failed"]
        followup = visible[visible["desk_status"].isin(["delivered", "read"])
                           & ~visible["ticket_opened"]]
        if failed.empty and followup.empty:
            return present.Section(self._t("section.actions"), [self._say("actions.none")])
        prose = [self._say("actions", count=self.fmt.number(len(failed) + len(followup)),
                           failed=self.fmt.number(len(failed)),
                           followup=self.fmt.number(len(followup))),
                 self._say("actions.detail")]
        rows, codes = [], {}
        for r in pd.concat([failed, followup]).itertuples():
            if r.desk_status == "failed" and pd.notna(r.error_code):
                code = int(r.error_code)
                codes.setdefault(code, error_codes.meaning(code, self.locale))
                what = self._say("action.failed", action=error_codes.action(code, self.locale),
                                 code=code)
            else:
                what = self._say("followup")
            rows.append([self.when(r.accepted_at), r.agent_identity or "–",
                         mask_phone(r.recipient), r.template_name or "–",
                         self._t(f"desk.{r.desk_status}"), what])
        body = present.table([self._t(k) for k in ("sent_at", "agent", "recipient",
                                                   "template", "status", "action")], rows)
        # Each error's meaning once, under the table: in the row it was a sentence before the
        # action, the two wrapped into five lines of a narrow column, again on each row.
        if codes:
            body += present.note(self._say("action.codes", codes="; ".join(
                f"{code} — {text}" for code, text in sorted(codes.items()))))
        return present.Section(self._t("section.actions"), prose, body)

    def tickets(self) -> present.Section:
        df = self.messages_df
        if df.empty:
            return present.Section(self._t("section.tickets"), [self._say("none")])
        known = self.ticket_known()
        tickets = int((df["ticket_opened"].astype(bool) & known).sum())
        total = int(known.sum())
        if not total:
            covered = any(c["kind"] == "tickets" and c["rows"] for c in self.coverage())
            return present.Section(self._t("section.tickets"), [
                self._say("tickets.unknown" + (".uncovered" if covered else ""),
                          total=self.fmt.number(len(df)))],
                present.cards([(self._t("messages"), self.fmt.number(len(df))),
                               (self._t("ticket"), self._say("not_available")),
                               (self._t("ticket_rate"), self._say("not_available"))]))
        prose = [self._say("tickets", tickets=self.fmt.number(tickets),
                           total=self.fmt.number(total),
                           rate=self.fmt.percent(rate(tickets, total) or 0))]
        if total < len(df):
            left = len(df) - total
            prose.append(self._say("tickets.uncovered" + (".one" if left == 1 else ""),
                                   n=self.fmt.number(left)))
        prose.append(self._say("tickets.detail"))
        # the rate's own messages: those whose ticket is known (all, when every one is)
        return present.Section(self._t("section.tickets"), prose, present.cards([
            (self._t("messages"), self.fmt.number(total)),
            (self._t("ticket"), self.fmt.number(tickets)),
            (self._t("ticket_rate"), self.fmt.percent(rate(tickets, total) or 0))]))

    def agents(self) -> present.Section:
        df = self.messages_df
        if df.empty:
            return present.Section(self._t("section.agents"), [self._say("none")])
        # Messages the export names no agent for are a row of their own, as the attendance
        # report's tickets without one: grouped by a missing name they were left out, and the
        # rows no longer added up to the messages of the status section.
        nobody = self._t("group.none.agent")
        df = df.assign(agent_identity=df["agent_identity"].fillna(nobody))
        table = df.pivot_table(index="agent_identity", columns="desk_status",
                               values="message_id", aggfunc="count", fill_value=0)
        table = table.reindex(columns=list(STATUSES), fill_value=0)
        known_ticket = self.ticket_known()
        tickets = (df["ticket_opened"].astype(bool) & known_ticket).groupby(
            df["agent_identity"]).sum()
        totals = table.sum(axis=1)
        # Each agent's conversion over the messages whose ticket is known (ticket_known).
        over = known_ticket.groupby(df["agent_identity"]).sum()
        conversion = (tickets / over.where(over > 0)).sort_values(
            ascending=False, kind="stable", na_position="last")
        named = conversion.drop(nobody, errors="ignore")
        best = named if len(named) else conversion
        known = bool(over.sum())
        key = "agents" + ("" if known and not pd.isna(best.iloc[0]) else ".unknown") + (
            ".one" if len(named) == 1 else "")
        prose = [self._say(key, count=self.fmt.number(len(named)),
                           top=best.index[0], rate=self.fmt.percent(best.iloc[0])),
                 self._say("agents.detail")]
        missing = self._say("not_available")
        rows = [[agent, self.fmt.number(totals[agent]),
                 *(self.fmt.number(table.loc[agent, s]) for s in STATUSES),
                 # an agent none of whose messages has a known outcome: not 0 tickets
                 self.fmt.number(tickets[agent]) if known and over[agent] else missing,
                 missing if pd.isna(conversion[agent]) else self.fmt.percent(conversion[agent])]
                for agent in table.index]
        columns = [self._t("agent"), self._t("messages"),
                   *(self._t(f"desk.count.{s}") for s in STATUSES), self._t("ticket"),
                   self._t("ticket_rate")]
        return present.Section(self._t("section.agents"), prose, present.table(
            columns, rows, [False] + [True] * 9))
