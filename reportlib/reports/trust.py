"""Numbers people can trust: which figures may still change and until when (provisional
figures), and the tenant-days whose figures stand out from their own history (anomaly flags).

Definitions: docs/metrics.md, "Provisional figures" and "Anomaly flags". The flags themselves
are computed in SQL (mart `daily_anomalies`); this module reads them, words them and names
their likely cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reportlib.domain import calendar, error_codes
from reportlib.look.i18n import Formatter

STATUS_DAYS = 30  # message statuses can keep changing for 30 days after the send
# Likely causes of a failure-rate flag, by error code (DOMAIN: a 131049 spike is the per-user
# marketing limit; 132015/132016 a paused or disabled template).
CAUSES = {131049: "marketing_limit", 132015: "template_paused", 132016: "template_paused"}
# Likely cause of a cost flag: who sent the messages (outside campaigns) whose cost moved most.
SENDERS = {"agent": "agents", "api": "api"}

TEXT = {
    "provisional.statuses": {
        "pt-BR": "Provisório: status de entrega e leitura das mensagens enviadas a partir de "
                 "{first} ainda podem mudar (até 30 dias após cada envio); os números ficam "
                 "finais em {final}.",
        "en": "Provisional: delivery and read statuses of messages sent from {first} can "
              "still change (up to 30 days after each send); the figures are final on {final}.",
    },
    "final.statuses": {
        "pt-BR": "Final: todas as mensagens do período foram enviadas há mais de 30 dias; seus "
                 "status não mudam mais.",
        "en": "Final: every message of the period was sent more than 30 days ago; its "
              "statuses no longer change.",
    },
    "provisional.tickets": {
        "pt-BR": "Provisório: {count} tickets abertos a partir de {first} ainda não foram "
                 "encerrados; seus tempos e resultados mudam até o encerramento.",
        "en": "Provisional: {count} tickets opened from {first} are not closed yet; their "
              "times and outcomes change until they close.",
    },
    "provisional.tickets.open_period": {
        "pt-BR": "Provisório: o período ainda não terminou (os números podem mudar até "
                 "{until}) e {count} tickets abertos a partir de {first} ainda não foram "
                 "encerrados; seus tempos e resultados mudam até o encerramento.",
        "en": "Provisional: the period is not over yet (the figures may change until "
              "{until}), and {count} tickets opened from {first} are not closed yet; their "
              "times and outcomes change until they close.",
    },
    "provisional.period": {
        "pt-BR": "Provisório: o período ainda não terminou; os números podem mudar até "
                 "{until}.",
        "en": "Provisional: the period is not over yet; the figures may change until "
              "{until}.",
    },
    "chart.provisional": {"pt-BR": "Provisório: ainda pode mudar",
                          "en": "Provisional: may still change"},
    "chart.missing": {"pt-BR": "Sem registros na fonte: não disponível",
                      "en": "No records in the source: not available"},
    "table.provisional": {
        "pt-BR": "† Provisório: os status ainda podem mudar até {until}.",
        "en": "† Provisional: statuses can still change until {until}.",
    },
    "table.provisional.statuses": {
        "pt-BR": "† Provisório: os status ainda podem mudar; os números ficam finais em "
                 "{final}.",
        "en": "† Provisional: statuses can still change; the figures are final on {final}.",
    },
    "table.provisional.consumption": {
        "pt-BR": "† Provisório: a Meta ainda pode revisar estes números até a consolidação, "
                 "em {consolidated}.",
        "en": "† Provisional: Meta can still revise these figures until they are "
              "consolidated on {consolidated}.",
    },
    "flags.title": {"pt-BR": "Alertas", "en": "Alerts"},
    # Each flag says what happened as a sentence does, its value a figure of a verb: it read
    # "taxa de falha pelo erro 131049 de 28,0%, contra 1,5%…", "failure rate with error 131049
    # of 28.0%, against…".
    "flag.failure_rate": {
        "pt-BR": "Alerta, {day}: {value} das mensagens falharam com o erro {code}, contra "
                 "{baseline} no mesmo dia da semana das semanas anteriores ({volume} "
                 "mensagens). Erro {code}: {meaning}.",
        "en": "Alert, {day}: {value} of the messages failed with error {code}, against "
              "{baseline} on the same weekday of the previous weeks ({volume} messages). Error "
              "{code}: {meaning}.",
    },
    "flag.read_rate": {
        "pt-BR": "Alerta, {day}: a taxa de leitura em 24 h de {category} foi de {value}, contra "
                 "{baseline} no mesmo dia da semana das semanas anteriores ({volume} "
                 "mensagens recebidas).",
        "en": "Alert, {day}: the read rate within 24 h of {category} messages was {value}, "
              "against {baseline} on the same weekday of the previous weeks ({volume} received "
              "messages).",
    },
    "flag.cost": {
        "pt-BR": "Alerta, {day}: o custo fora de campanhas (o custo do dia menos o custo "
                 "estimado das suas campanhas) foi de {value}, contra {baseline} no mesmo dia "
                 "da semana das semanas anteriores.",
        "en": "Alert, {day}: the cost outside campaigns (the day's cost less the estimated "
              "cost of its campaigns) was {value}, against {baseline} on the same weekday of "
              "the previous weeks.",
    },
    "cause.marketing_limit": {
        "pt-BR": "Causa provável: o limite da Meta de mensagens de marketing por usuário.",
        "en": "Likely cause: Meta's per-user marketing message limit.",
    },
    "cause.template_paused": {
        "pt-BR": "Causa provável: um modelo pausado ou desativado por baixa qualidade.",
        "en": "Likely cause: a template paused or disabled for low quality.",
    },
    "cause.agents": {
        "pt-BR": "Causa provável: mensagens de {category} enviadas por agentes: {count}, que "
                 "custaram {value} (normalmente {usual}).",
        "en": "Likely cause: {category} messages sent by agents: {count}, costing {value} "
              "(usually {usual}).",
    },
    "cause.api": {
        "pt-BR": "Causa provável: mensagens de {category} enviadas pela API (integrações): "
                 "{count}, que custaram {value} (normalmente {usual}).",
        "en": "Likely cause: {category} messages sent through the API (integrations): {count}, "
              "costing {value} (usually {usual}).",
    },
    "cause.other_senders": {
        "pt-BR": "Causa provável: mensagens de {category} de outros remetentes: {count}, que "
                 "custaram {value} (normalmente {usual}).",
        "en": "Likely cause: {category} messages from other senders: {count}, costing {value} "
              "(usually {usual}).",
    },
    "subject.flag": {"pt-BR": "alerta: {what} em {day}", "en": "alert: {what} on {day}"},
    "subject.flags": {"pt-BR": "{count} alertas", "en": "{count} alerts"},
    "subject.one_flag": {"pt-BR": "1 alerta", "en": "1 alert"},
    # The code named as the report names it ("erro 131049"), not a bare number.
    "subject.failure_rate": {"pt-BR": "falhas pelo erro {code}", "en": "error {code} failures"},
    "subject.read_rate": {"pt-BR": "leitura de {category}", "en": "{category} read rate"},
    "subject.cost": {"pt-BR": "custo fora de campanhas", "en": "cost outside campaigns"},
}


def say(key: str, locale: str, **values) -> str:
    entry = TEXT[key]
    return (entry.get(locale) or entry["en"]).format(**values)


# ---------------------------------------------------------------------------------------------
# Provisional figures


@dataclass(frozen=True)
class Provisional:
    """How long a report's figures may still change, seen from as-of.

    `until`: the last date at which any of its figures may still change (None: not known yet,
    e.g. tickets still open); `first_day`: the first day of the period whose figures may still
    change (None: no day is provisional); `open_items`: what keeps it open (tickets);
    `period_end`: the period's last day, where a rule says more while the period is open."""

    rule: str
    until: date | None
    first_day: date | None
    as_of: date
    open_items: int = 0
    period_end: date | None = None

    @property
    def provisional(self) -> bool:
        return self.until is None or self.as_of <= self.until

    def day_is_provisional(self, day: date) -> bool:
        return self.first_day is not None and day >= self.first_day


def provisional(rule: str, period: calendar.Period, as_of: date,
                open_ticket_days: list[date] | None = None) -> Provisional:
    """The report's provisional window by its rule (registry `provisional`):

    - statuses: a message's statuses can change for 30 days after its send day d, so d is
      provisional while as_of <= d + 30; the report until period end + 30 days;
    - consolidation: every day of the month until the 5th business day of the next month (the
      figures are final on that day: `until` is the day before);
    - tickets: the days whose tickets are not all closed yet; `until` not known while any is
      open, else the period's end;
    - final: nothing changes once its day is over; `until` is the period's end.
    """
    last_complete = min(period.end, as_of - timedelta(days=1))
    if rule == "statuses":
        first = max(period.start, as_of - timedelta(days=STATUS_DAYS))
        return Provisional(rule, period.end + timedelta(days=STATUS_DAYS),
                           first if first <= last_complete else None, as_of)
    if rule == "consolidation":
        until = calendar.consolidation_date(period) - timedelta(days=1)
        return Provisional(rule, until, period.start if as_of <= until else None, as_of)
    if rule == "tickets":
        days = sorted(open_ticket_days or [])
        return Provisional(rule, None if days else period.end, days[0] if days else None,
                           as_of, len(days), period.end)
    return Provisional(rule, period.end, None, as_of)


def provisional_sentence(window: Provisional, fmt: Formatter) -> str:
    """The one sentence that says which figures may still move and until when ('' when the
    report's own header already says it: consumption's consolidation line)."""
    locale = fmt.locale
    if window.rule == "statuses":
        if not window.provisional:
            return say("final.statuses", locale)
        if window.first_day is None:  # nothing sent yet in an open period
            return say("provisional.period", locale, until=fmt.date(window.until))
        return say("provisional.statuses", locale, first=fmt.date(window.first_day),
                   final=fmt.date(window.until + timedelta(days=1)))
    if window.rule == "tickets" and window.open_items:
        # an open period gains tickets too, not only its open ones' outcomes
        period_open = window.period_end is not None and window.as_of <= window.period_end
        return say("provisional.tickets.open_period" if period_open else "provisional.tickets",
                   locale, count=fmt.number(window.open_items),
                   first=fmt.date(window.first_day),
                   until=fmt.date(window.period_end) if period_open else "")
    if window.rule in ("tickets", "final") and window.provisional:
        return say("provisional.period", locale, until=fmt.date(window.until))
    return ""


def table_note(window: Provisional, fmt: Formatter) -> str:
    """The note under a table whose provisional figures carry a †."""
    if window.rule == "consolidation":
        # the day the header names ("partial until they are consolidated on 7 December"),
        # not the day before it, the last that may still change
        return say("table.provisional.consumption", fmt.locale,
                   consolidated=fmt.date(window.until + timedelta(days=1)))
    if window.rule == "statuses" and window.until:
        # the day the header names ("the figures are final on 31 December")
        return say("table.provisional.statuses", fmt.locale,
                   final=fmt.date(window.until + timedelta(days=1)))
    return say("table.provisional", fmt.locale,
               until=fmt.date(window.until) if window.until else "–")


# ---------------------------------------------------------------------------------------------
# Anomaly flags


def read_flags(frame, metrics: tuple[str, ...]) -> list[dict]:
    """The flags of the mart `daily_anomalies` for these metrics, as the manifest lists them:
    day, metric, subject (error code or category; none for cost), value, baseline, robust z,
    volume, baseline days and the likely cause where one is known (of a cost flag, its detail:
    the category, messages, cost and usual cost of the senders whose cost moved most)."""
    import pandas as pd

    flags = []
    for row in frame[frame["metric"].isin(metrics)].itertuples():
        subject = None if row.subject is None or row.subject != row.subject else str(row.subject)
        cause = CAUSES.get(int(subject)) if row.metric == "failure_rate" and subject and \
            subject.isdigit() else None
        detail = None
        if row.metric == "cost" and isinstance(row.cause_sender, str):
            cause = SENDERS.get(row.cause_sender, "other_senders")
            detail = {"category": row.cause_category, "messages": int(row.cause_messages),
                      "value": round(float(row.cause_value), 6),
                      "baseline": round(float(row.cause_baseline), 6)}
        flags.append({
            "day": pd.Timestamp(row.day).date().isoformat(), "metric": row.metric,
            "subject": subject, "value": round(float(row.value), 6),
            "baseline": round(float(row.baseline), 6),
            "robust_z": round(float(row.robust_z), 2), "volume": round(float(row.volume), 2),
            "baseline_days": int(row.baseline_days), "cause": cause, "cause_detail": detail})
    return flags


def _category(name: str | None, locale: str) -> str:
    from reportlib.look.i18n import t

    return t(name, locale) if name else "–"


def flag_sentence(flag: dict, fmt: Formatter) -> str:
    """A flag in words: metric, day, value, baseline and, where known, the likely cause.
    (DOMAIN's baseline words are kept short: the same weekday of the previous weeks.)"""
    locale = fmt.locale
    day = fmt.date(date.fromisoformat(flag["day"]))
    if flag["metric"] == "cost":
        text = say("flag.cost", locale, day=day, value=fmt.money(flag["value"]),
                   baseline=fmt.money(flag["baseline"]))
    elif flag["metric"] == "failure_rate":
        code = flag["subject"]
        text = say("flag.failure_rate", locale, day=day, code=code,
                   meaning=error_codes.meaning(int(code), locale) if code.isdigit() else code,
                   value=fmt.percent(flag["value"]), baseline=fmt.percent(flag["baseline"]),
                   volume=fmt.number(flag["volume"]))
    else:
        text = say("flag.read_rate", locale, day=day,
                   category=_category(flag["subject"], locale).lower(),
                   value=fmt.percent(flag["value"]), baseline=fmt.percent(flag["baseline"]),
                   volume=fmt.number(flag["volume"]))
    if flag.get("cause"):
        detail = flag.get("cause_detail") or {}
        text += " " + say(f"cause.{flag['cause']}", locale,
                          category=_category(detail.get("category"), locale).lower(),
                          count=fmt.number(detail.get("messages") or 0),
                          value=fmt.money(detail.get("value") or 0),
                          usual=fmt.money(detail.get("baseline") or 0))
    return text


def alert_lines(flags: list[dict], fmt: Formatter) -> list[str]:
    """The flags as the top of a report shows them: one sentence each."""
    return [flag_sentence(f, fmt) for f in flags]


def subject_words(flags: list[dict], locale: str, count_only: bool = False) -> str:
    """What an e-mail subject says of the flags: the one flag (its day without the year,
    which the period gives), or how many ('' for none; `count_only`: how many, one too)."""
    if not flags:
        return ""
    if count_only and len(flags) == 1:
        return say("subject.one_flag", locale)
    if len(flags) > 1:
        return say("subject.flags", locale, count=len(flags))
    flag = flags[0]
    fmt = Formatter(locale)
    what = say(f"subject.{flag['metric']}", locale, code=flag.get("subject") or "",
               category=_category(flag.get("subject"), locale).lower())
    return say("subject.flag", locale, what=what, day=fmt.day(date.fromisoformat(flag["day"])))
