"""The campaigns report: how each active-message campaign did, why messages failed, when
people read, which variant wins; plus the per-campaign per-message CSV files.

Definitions: docs/metrics.md, "Campaign metrics". Counts and rates come from the
`campaign_summary` mart; this module only selects, formats and explains them.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from reportlib import charts, error_codes, present
from reportlib.bundle import Bundle
from reportlib.i18n import mask_phone
from reportlib.metrics import compare_proportions, rate
from reportlib.report import BaseReport, say
from reportlib.safe import csv_cell, slug

REPORT = "campaigns"
VARIANT_SEPARATOR = re.compile(r"\s+[–—-]\s+(?=[^–—-]*$)")
READ_BINS = [0, 1, 5, 15, 60, 240, 1440, 4320, np.inf]  # minutes
READ_BIN_LABELS = ["<1 min", "1–5", "5–15", "15–60", "1–4 h", "4–24 h", "1–3 d", ">3 d"]

PROSE = {
    "campaigns": {
        "pt-BR": "{count} campanhas no período, para {audience} contatos: {received} "
                 "receberam e {read} leram a mensagem.",
        "en": "{count} campaigns in the period, to {audience} contacts: {received} received "
              "and {read} read the message.",
    },
    "campaigns.best": {
        "pt-BR": "A maior taxa de leitura foi de {name}: {rate}.",
        "en": "The highest read rate was {name}'s: {rate}.",
    },
    "rates": {
        "pt-BR": "Cada taxa mostra seu denominador: entrega sobre enviadas, leitura e resposta "
                 "sobre recebidas, falha sobre o público.",
        "en": "Each rate shows its denominator: delivery over sent, read and reply over "
              "received, failure over audience.",
    },
    "rates.detail": {
        "pt-BR": "Respondidas são as mensagens respondidas em até 24 h do envio.",
        "en": "Replied counts messages answered within 24 h of the send.",
    },
    "scheduled": {
        "pt-BR": "{count} campanhas agendadas ainda não enviadas.",
        "en": "{count} scheduled campaigns not sent yet.",
    },
    "funnel": {
        "pt-BR": "De {audience} mensagens, {received} chegaram ({delivered}) e {read} foram "
                 "lidas; {tickets} viraram ticket.",
        "en": "Of {audience} messages, {received} arrived ({delivered}) and {read} were read; "
              "{tickets} became tickets.",
    },
    "funnel.detail": {
        "pt-BR": "Cada barra é uma etapa do funil, com a parcela do público.",
        "en": "Each bar is a funnel step, with its share of the audience.",
    },
    "failures": {
        "pt-BR": "{failed} mensagens falharam; a causa principal foi {code} ({meaning}), "
                 "{share} das falhas.",
        "en": "{failed} messages failed; the main cause was {code} ({meaning}), {share} of "
              "failures.",
    },
    "failures.detail": {
        "pt-BR": "\"Reenviar?\" diz se vale tentar de novo: nunca, depois de um tempo, ou já.",
        "en": "\"Retry?\" says whether sending again helps: never, after a wait, or now.",
    },
    "opt_outs": {
        "pt-BR": "{count} destinatários pediram ao WhatsApp para não receber mais mensagens de "
                 "marketing da empresa em até 7 dias após receber uma campanha; {n} deles após "
                 "“{campaign}”.",
        "en": "{count} recipients asked WhatsApp to stop the business's marketing messages "
              "within 7 days of receiving a campaign; {n} of them after “{campaign}”.",
    },
    "failures.none": {"pt-BR": "Nenhuma mensagem falhou.", "en": "No message failed."},
    "time_to_read": {
        "pt-BR": "Metade das leituras acontece em até {median} min após o envio; 90 % em até "
                 "{p90} min.",
        "en": "Half of the reads happen within {median} min of the send; 90 % within {p90} min.",
    },
    "time_to_read.detail": {
        "pt-BR": "Mediana e P90, não média: poucas leituras dias depois distorcem a média.",
        "en": "Median and P90, not the mean: a few reads days later would skew a mean.",
    },
    "peaks": {
        "pt-BR": "O pico de leituras é {weekday} às {hour}h (fuso {tz}).",
        "en": "Reads peak on {weekday} at {hour}:00 ({tz} time).",
    },
    "peaks.detail": {
        "pt-BR": "Cores mais escuras: mais leituras e respostas naquela hora do dia da semana.",
        "en": "Darker cells: more reads and replies in that hour of that weekday.",
    },
    "variants": {
        "pt-BR": "{count} pares de variantes comparados (mesmo prefixo de nome ou declarados "
                 "nos parâmetros do cliente).",
        "en": "{count} variant pairs compared (same name prefix, or declared in the tenant's "
              "params).",
    },
    "variants.detail": {
        "pt-BR": "Diferença em pontos percentuais (B − A), intervalo de 95 % e teste de duas "
                 "proporções.",
        "en": "Difference in percentage points (B − A), 95 % interval and two-proportion test.",
    },
    "variants.none": {"pt-BR": "Nenhum par de variantes no período.",
                      "en": "No variant pair in the period."},
    "verdict.more": {"pt-BR": "B é {what} mais: {diff} pp, IC 95 % {low} a {high}",
                     "en": "B is {what} more: {diff} pp, 95 % CI {low} to {high}"},
    "verdict.less": {"pt-BR": "B é {what} menos: {diff} pp, IC 95 % {low} a {high}",
                     "en": "B is {what} less: {diff} pp, 95 % CI {low} to {high}"},
    "verdict.none": {"pt-BR": "sem diferença significativa ({diff} pp, IC 95 % {low} a "
                              "{high})",
                     "en": "no significant difference ({diff} pp, 95 % CI {low} to {high})"},
    "what.read": {"pt-BR": "lida", "en": "read"},
    "what.reply": {"pt-BR": "respondida", "en": "replied to"},
    "none": {"pt-BR": "Nenhuma campanha no período.", "en": "No campaign in the period."},
}

NOTES = {
    "definitions": {
        "pt-BR": "Público: contatos válidos da lista (inválidos contados à parte). Enviadas = "
                 "público − pendentes. Recebidas: entregues ou lidas. Contagens de mensagens, "
                 "não de pessoas.",
        "en": "Audience: valid contacts of the list (invalid ones counted apart). Sent = "
              "audience − pending. Received: delivered or read. Counts of messages, not people.",
    },
    "provisional": {
        "pt-BR": "Status podem mudar por até 30 dias: números recentes são provisórios.",
        "en": "Statuses can change for up to 30 days: recent figures are provisional.",
    },
    "privacy": {
        "pt-BR": "Destinatários mascarados nos arquivos CSV (código do país e 4 últimos dígitos).",
        "en": "Recipients are masked in the CSV files (country code and last 4 digits).",
    },
}


def variant_pairs(summary: pd.DataFrame, declared: list | None = None) -> list[tuple[str, str]]:
    """Pairs of campaign ids to compare: declared ones first, then campaigns whose names share
    a prefix before a final " – " (e.g. "Clube VIP – A" / "Clube VIP – B")."""
    ids = set(summary["campaign_id"])
    pairs = [(a, b) for a, b in (declared or []) if a in ids and b in ids]
    used = {c for pair in pairs for c in pair}
    groups: dict[str, list[str]] = {}
    for row in summary.itertuples():
        parts = VARIANT_SEPARATOR.split(str(row.campaign_name))
        if len(parts) == 2 and row.campaign_id not in used and row.audience > 0:
            groups.setdefault(parts[0].strip(), []).append(row.campaign_id)
    for members in groups.values():
        if len(members) == 2:
            pairs.append((members[0], members[1]))
    return pairs


class CampaignsReport(BaseReport):
    """Sections and figures of the campaigns report for one bundle."""

    title_key = "campaigns.title"
    report_name = "campaigns"
    prose = PROSE

    def __init__(self, bundle: Bundle, locale: str | None = None, campaign_filter: str = "",
                 scheduled_only: bool = False) -> None:
        super().__init__(bundle, locale)
        summary = bundle.table("campaign_summary")
        if campaign_filter:
            summary = summary[summary["campaign_name"].str.contains(
                campaign_filter, case=False, regex=False, na=False)]
        self.scheduled_df = summary[summary["scheduled_only"]]
        self.summary_df = self.scheduled_df if scheduled_only else summary[
            ~summary["scheduled_only"]]
        keep = set(self.summary_df["campaign_id"])
        self.messages_df = bundle.table("campaign_messages")
        self.messages_df = self.messages_df[self.messages_df["campaign_id"].isin(keep)]
        failures = bundle.table("campaign_failures")
        self.failures_df = failures[failures["campaign_id"].isin(keep)]
        self.heatmap_df = bundle.table("engagement_heatmap")
        self.declared_pairs = bundle.info.get("options", {}).get("campaign_variants", [])


    def _pct(self, numerator, denominator) -> str:
        value = rate(numerator, denominator)
        return f"{self.fmt.percent(value)} ({self.fmt.number(numerator)}/" \
               f"{self.fmt.number(denominator)})" if value is not None else "–"

    # -- figures -------------------------------------------------------------------------
    def figures(self) -> dict:
        s = self.summary_df
        figures: dict = {
            "campaigns": int(len(s)), "scheduled_only": int(len(self.scheduled_df)),
            "audience": int(s["audience"].sum()), "failed": int(s["failed"].sum()),
            "received": int(s["received"].sum()), "read": int(s["read"].sum()),
            "replied": int(s["replied"].sum()), "tickets": int(s["tickets"].sum()),
            "opted_out": int(s["opted_out"].sum()),
            "partial": bool(self.info["partial"]),
        }
        for row in s.itertuples():
            for key in ("audience", "failed", "received", "read", "replied"):
                figures[f"campaign.{row.campaign_id}.{key}"] = int(getattr(row, key))
        return figures

    # -- sections ------------------------------------------------------------------------
    def campaigns(self) -> present.Section:
        s = self.summary_df
        if s.empty:
            return present.Section(self._t("section.campaigns"), [self._say("none")])
        f = self.figures()
        prose = [self._say("campaigns", count=self.fmt.number(f["campaigns"]),
                           audience=self.fmt.number(f["audience"]),
                           received=self.fmt.number(f["received"]),
                           read=self.fmt.number(f["read"]))]
        if f["opted_out"]:
            worst = s.sort_values("opted_out", ascending=False).iloc[0]
            prose.append(self._say("opt_outs", count=self.fmt.number(f["opted_out"]),
                                   campaign=worst["campaign_name"],
                                   n=self.fmt.number(worst["opted_out"])))
        best = s.dropna(subset=["read_rate"])
        if len(best):
            top = best.loc[best["read_rate"].idxmax()]
            prose.append(self._say("campaigns.best", name=top.campaign_name,
                                   rate=self.fmt.percent(top.read_rate)))
        identity = [[r.campaign_name, r.template_name or "–", self._t(r.category or "–"),
                     self.when(r.scheduled_at), self.when(r.sent_at)] for r in s.itertuples()]
        counts = [[r.campaign_name, *(self.fmt.number(getattr(r, k)) for k in (
                   "audience", "invalid_contacts", "sent", "failed", "received", "read",
                   "replied", "tickets"))] for r in s.itertuples()]
        body = present.table([self._t(k) for k in ("campaign", "template", "category",
                                                   "scheduled_at", "sent_at")], identity)
        body += present.table([self._t(k) for k in (
            "campaign", "audience", "invalid", "sent", "failed", "received", "read", "replied",
            "ticket")], counts, [False] + [True] * 8)
        return present.Section(self._t("section.campaigns"), prose, body)

    def rates(self) -> present.Section:
        s = self.summary_df
        if s.empty:
            return present.Section(self._t("section.rates"), [self._say("none")])
        rows = [[r.campaign_name, self._pct(r.received, r.sent), self._pct(r.read, r.received),
                 self._pct(r.failed, r.audience), self._pct(r.replied, r.received),
                 self._pct(r.tickets, r.received)] for r in s.itertuples()]
        columns = [self._t(k) for k in ("campaign", "delivery_rate", "read_rate",
                                        "failure_rate", "reply_rate", "ticket_rate")]
        return present.Section(self._t("section.rates"),
                               [self._say("rates"), self._say("rates.detail")],
                               present.table(columns, rows, [False] + [True] * 5))

    def scheduled(self) -> present.Section:
        s = self.scheduled_df
        rows = [[r.campaign_name, r.template_name or "–", self._t(r.category or "–"),
                 self.when(r.scheduled_at), r.status or "–"] for r in s.itertuples()]
        body = present.table([self._t(k) for k in ("campaign", "template", "category",
                                                   "scheduled_at", "status")], rows) if rows \
            else ""
        return present.Section(self._t("section.scheduled"),
                               [self._say("scheduled", count=self.fmt.number(len(s)))], body)

    def funnel(self) -> present.Section:
        s = self.summary_df
        if s.empty:
            return present.Section(self._t("section.funnel"), [self._say("none")])
        f = self.figures()
        steps = ["audience", "sent", "received", "read", "replied", "ticket"]
        values = [int(s["audience"].sum()), int(s["sent"].sum()), f["received"], f["read"],
                  f["replied"], f["tickets"]]
        fig = charts.funnel([self._t(k) for k in steps], values, self._t("section.funnel"),
                            self.fmt)
        rows = [[r.campaign_name, *(self.fmt.number(v) for v in (
            r.audience, r.sent, r.received, r.read, r.replied, r.tickets))]
                for r in s.itertuples()]
        prose = [self._say("funnel", audience=self.fmt.number(values[0]),
                           received=self.fmt.number(values[2]),
                           delivered=self.fmt.percent(rate(values[2], values[1]) or 0),
                           read=self.fmt.number(values[3]), tickets=self.fmt.number(values[5])),
                 self._say("funnel.detail")]
        body = present.figure_to_img(fig, self._t("section.funnel")) + present.table(
            [self._t("campaign"), *(self._t(k) for k in steps)], rows, [False] + [True] * 6)
        return present.Section(self._t("section.funnel"), prose, body)

    def failures(self) -> present.Section:
        df = self.failures_df
        if df.empty:
            return present.Section(self._t("section.failures"), [self._say("failures.none")])
        by_code = df.groupby("error_code", dropna=False)["messages"].sum().sort_values(
            ascending=False)
        # Meta's own words for a code, where its webhooks gave them: beside our meaning.
        details = (df.dropna(subset=["details"]).sort_values("messages", ascending=False)
                   .groupby("error_code")["details"].first()
                   if "details" in df else {})
        total = int(by_code.sum())
        top_code = by_code.index[0]
        prose = [self._say("failures", failed=self.fmt.number(total),
                           code=self._code(top_code),
                           meaning=error_codes.meaning(top_code, self.locale),
                           share=self.fmt.percent(by_code.iloc[0] / total)),
                 self._say("failures.detail")]
        rows = [[self._code(code), self._meaning(code, details),
                 error_codes.retry_label(code, self.locale),
                 error_codes.action(code, self.locale), self.fmt.number(n),
                 self.fmt.percent(n / total)] for code, n in by_code.items()]
        body = present.table([self._t(k) for k in ("error_code", "meaning", "retry", "action",
                                                   "messages")] + ["%"], rows,
                             [True] + [False] * 3 + [True] * 2)
        return present.Section(self._t("section.failures"), prose, body)

    def _meaning(self, code, details) -> str:
        meaning = error_codes.meaning(code, self.locale)
        said = details.get(code) if code == code and code is not None else None
        return f"{meaning} ({self._t('meta_says')}: “{said}”)" if said else meaning

    def _code(self, code) -> str:
        return "–" if code is None or code != code else str(int(code))

    def time_to_read(self) -> present.Section:
        minutes = self.messages_df["minutes_to_read"].dropna()
        if minutes.empty:
            return present.Section(self._t("section.time_to_read"), [self._say("none")])
        median, p90 = float(np.quantile(minutes, 0.5)), float(np.quantile(minutes, 0.9))
        prose = [self._say("time_to_read", median=self.fmt.number(median),
                           p90=self.fmt.number(p90)), self._say("time_to_read.detail")]
        fig = charts.histogram(minutes.to_numpy(), READ_BINS, READ_BIN_LABELS,
                               f"{self._t('section.time_to_read')} · {self._t('minutes')}",
                               self._t("messages"), self.fmt)
        rows = [[r.campaign_name, self.fmt.number(r.minutes_to_read_median, 1),
                 self.fmt.number(r.minutes_to_read_p90, 1)]
                for r in self.summary_df.itertuples()]
        body = present.figure_to_img(fig, self._t("section.time_to_read")) + present.table(
            [self._t("campaign"), f"{self._t('median')} (min)", f"{self._t('p90')} (min)"],
            rows, [False, True, True])
        return present.Section(self._t("section.time_to_read"), prose, body)

    def peaks(self) -> present.Section:
        df = self.heatmap_df
        if df.empty:
            return present.Section(self._t("section.peaks"), [self._say("none")])
        grid = np.zeros((7, 24))
        for r in df.itertuples():
            grid[int(r.weekday) - 1, int(r.hour)] = r.reads + r.replies
        reads = df.sort_values("reads", ascending=False).iloc[0]
        weekdays = [self._t(f"weekday.{d}") for d in range(1, 8)]
        prose = [self._say("peaks", weekday=weekdays[int(reads.weekday) - 1],
                           hour=int(reads.hour), tz=self.info["timezone"]),
                 self._say("peaks.detail")]
        fig = charts.heatmap(grid, weekdays, [f"{h}h" for h in range(24)],
                             self._t("section.peaks"), self.fmt,
                             f"{self._t('read')} + {self._t('replied')}")
        return present.Section(self._t("section.peaks"), prose,
                               present.figure_to_img(fig, self._t("section.peaks")))

    def comparisons(self) -> list[dict]:
        """Each variant pair compared on read rate and reply rate (denominator: received)."""
        s = self.summary_df.set_index("campaign_id")
        out = []
        for a, b in variant_pairs(self.summary_df, self.declared_pairs):
            for measure, column in (("read", "read"), ("reply", "replied")):
                result = compare_proportions(int(s.loc[a, column]), int(s.loc[a, "received"]),
                                             int(s.loc[b, column]), int(s.loc[b, "received"]))
                if result is not None:
                    out.append({"a": a, "b": b, "measure": measure, "result": result,
                                "name_a": s.loc[a, "campaign_name"],
                                "name_b": s.loc[b, "campaign_name"]})
        return out

    def verdict(self, measure: str, result) -> str:
        values = {"what": self._say(f"what.{measure}"),
                  "diff": self.fmt.number(result.difference * 100, 1),
                  "low": self.fmt.number(result.ci_low * 100, 1),
                  "high": self.fmt.number(result.ci_high * 100, 1)}
        if not result.significant:
            return self._say("verdict.none", **values)
        if result.difference > 0:
            return self._say("verdict.more", **{**values, "diff": "+" + values["diff"]})
        return self._say("verdict.less", **values)

    def variants(self) -> present.Section:
        comparisons = self.comparisons()
        if not comparisons:
            return present.Section(self._t("section.variants"), [self._say("variants.none")])
        pairs = len({(c["a"], c["b"]) for c in comparisons})
        rows = [[c["name_a"], c["name_b"], self._t("read_rate" if c["measure"] == "read"
                                                    else "reply_rate"),
                 self._pct(c["result"].successes_a, c["result"].total_a),
                 self._pct(c["result"].successes_b, c["result"].total_b),
                 self.verdict(c["measure"], c["result"]),
                 self.fmt.number(c["result"].p_value, 3)] for c in comparisons]
        columns = [self._t("variant_a"), self._t("variant_b"), self._t("measure"), "A", "B",
                   self._t("result"), "p"]
        return present.Section(self._t("section.variants"),
                               [self._say("variants", count=self.fmt.number(pairs)),
                                self._say("variants.detail")],
                               present.table(columns, rows, [False] * 3 + [True] * 2 + [
                                   False, True]))

    def footnotes(self) -> present.Footnotes:
        notes = [say(NOTES, k, self.locale) for k in ("definitions", "provisional", "privacy")]
        return present.Footnotes(self._t("section.notes"), notes)


CSV_COLUMNS = ["message_id", "sent_at", "recipient", "final_status", "accepted_at",
               "delivered_at", "read_at", "failed_at", "replied_at", "error_code",
               "error_meaning"]


def write_campaign_csvs(bundle: Bundle, folder: Path, locale: str = "en") -> list[Path]:
    """One CSV per campaign (file name: a safe slug of the campaign id), recipients masked,
    formula-looking cells neutralised. Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    messages = bundle.table("campaign_messages")
    written = []
    for campaign_id, rows in messages.groupby("campaign_id", sort=True):
        path = folder / f"{slug(campaign_id)}.csv"
        if path.resolve().parent != folder.resolve():  # never outside the folder
            raise ValueError(f"unsafe campaign file name for {campaign_id!r}")
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for r in rows.itertuples():
                values = [r.message_id, _iso(r.sent_at), mask_phone(r.recipient),
                          r.final_status, _iso(r.accepted_at), _iso(r.delivered_at),
                          _iso(r.read_at), _iso(r.failed_at), _iso(r.replied_at),
                          "" if pd.isna(r.error_code) else int(r.error_code),
                          "" if pd.isna(r.error_code) else error_codes.meaning(r.error_code,
                                                                                 locale)]
                writer.writerow([csv_cell(v) for v in values])
        written.append(path)
    return written


def _iso(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()
