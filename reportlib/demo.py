"""A seeded generator of realistic multi-tenant source files in the platform's and Meta's formats.

The model (every number is a parameter below; ballparks from DOMAIN.md, "Plausible shapes"):

* Three tenant profiles: a retailer heavy on marketing campaigns, a bank heavy on authentication
  codes and utility (invoice) campaigns, a service company with many user-initiated
  conversations (in another time zone, America/Manaus). `--tenants N` keeps the first N.
* Sends: campaigns on weekdays between 9 h and 18 h local (`CAMPAIGN_HOURS`), leaving at
  `THROUGHPUT_PER_S`; authentication codes through the day with the users' own rhythm
  (`USER_HOUR_WEIGHTS`, fewer on Sundays); agent-sent templates in office hours.
* Outcomes per category (`OUTCOMES`): failure share, read share of delivered, reply share;
  error codes drawn from `ERROR_CODES` (131026 the largest share, 131049 for marketing only).
  Template errors (132xxx, 131008) fail before `sent`; the others after it.
* Delays: sent after ~2 s; delivered after a log-normal of median `DELIVERY_MEDIAN_S` with a 4 %
  tail of phones off for hours; read after a log-normal of median `READ_MEDIAN_MIN` minutes
  (long tail to days), moved out of the night (reads cluster 8–22 h local).
* Webhook quirks: 4 % of read messages never get `delivered`; 3 % of status events are sent
  twice; arrival order is shuffled by a random lag, so files are out of order.
* User-initiated traffic (service conversations/messages) per day with a weekday rhythm, a
  share arriving from free entry points (click-to-WhatsApp ads); utility templates sent inside
  an open customer-service window are `free_customer_service` under per-message pricing.
* Meta's analytics are aggregated from the same simulated messages, daily, at the tenant's
  local midnight: conversation analytics before 2025-07-01 (24 h conversations per recipient
  and category; the first 1,000 service conversations per WABA and month are FREE_TIER until
  2024-10-31), pricing analytics from 2025-07-01 (delivered templates; utility and
  authentication get a `TIER_DISCOUNT` once a month passes `TIER_VOLUME` messages, so Meta's
  cost differs a little from list rates, as in real invoices). The service company is billed
  through a provider: its conversation analytics carry no cost.

Everything derives from `--seed` and `--as-of` (default `DEFAULT_AS_OF`): same inputs, same files.
"""

from __future__ import annotations

import csv
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from reportlib import params as params_mod
from reportlib.calendar import local_day_start
from reportlib.demo_attendance import FUNNEL, DeskSimulator
from reportlib.params import PhoneNumber, TenantParams
from reportlib.pricing import PMP_START, country_of_phone

DEFAULT_AS_OF = date(2026, 11, 20)
DEFAULT_MONTHS = 3
DEFAULT_SEED = 7

CAMPAIGN_HOURS = (9, 18)
THROUGHPUT_PER_S = 25
DELIVERY_MEDIAN_S = 4.0
DELIVERY_LATE_SHARE = 0.04
READ_MEDIAN_MIN = 25.0
READ_WITHOUT_DELIVERED = 0.04
DUPLICATE_EVENT_SHARE = 0.03
TIER_VOLUME = 2000
VARIANT_READ_LIFT = 0.10
TICKET_SHARE = {"campaign": 0.5, "agent": 1.0, "api": 0.0}
TIER_DISCOUNT = 0.10
FREE_TIER_CONVERSATIONS = 1000


def variant_days(day: date) -> tuple[int, ...]:
    """Days of a month with an A/B pair: the first weekday from the 6th and from the 20th."""
    first = next(d for d in range(6, 9) if day.replace(day=d).weekday() < 5)
    second = next(d for d in range(20, 23) if day.replace(day=d).weekday() < 5)
    return (first, second)


# Users' hour-of-day rhythm (0..23), for authentication codes and service traffic.
USER_HOUR_WEIGHTS = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.2, 3, 5, 6, 6.5, 6.5, 6, 6, 6, 6, 6, 6, 5.5, 5.5, 5, 4, 3, 2]
)
WEEKDAY_WEIGHTS = np.array([1.15, 1.05, 1.0, 1.0, 1.0, 0.75, 0.55])  # Monday..Sunday

# category: (failure share, read share of delivered, reply share of delivered)
OUTCOMES = {
    "marketing": (0.09, 0.52, 0.07),
    "utility": (0.04, 0.80, 0.12),
    "authentication": (0.03, 0.86, 0.01),
}
ERROR_CODES = {
    "marketing": {131026: 0.48, 131049: 0.22, 131050: 0.10, 130472: 0.08, 131047: 0.04,
                  130429: 0.03, 132001: 0.02, 131000: 0.02, 135000: 0.01},
    "utility": {131026: 0.62, 131047: 0.10, 131050: 0.04, 130429: 0.08, 131000: 0.06,
                132000: 0.05, 133010: 0.05},
    "authentication": {131026: 0.66, 131047: 0.08, 130429: 0.10, 131000: 0.08, 131056: 0.08},
}
FAILS_BEFORE_SENT = {132000, 132001, 132005, 132007, 132012, 132015, 132016, 131008, 131009,
                     131051, 133010}
ERROR_TITLES = {131026: "Message undeliverable", 131049: "This message was not delivered to "
                "maintain healthy ecosystem engagement.", 131050: "User has stopped "
                "receiving marketing messages", 130472: "User's number is part of an "
                "experiment", 131047: "Re-engagement message", 130429: "Rate limit hit",
                132001: "Template does not exist", 131000: "Something went wrong",
                132000: "Number of parameters does not match", 133010: "Phone number not "
                "registered", 131056: "Pair rate limit hit", 135000: "Generic user error"}


@dataclass(frozen=True)
class CampaignPlan:
    name: str
    template: str
    category: str
    audience: int


@dataclass(frozen=True)
class Profile:
    tenant: TenantParams
    campaigns_per_week: float
    campaigns: tuple[CampaignPlan, ...]
    auth_per_day: float
    agent_per_day: float
    service_per_day: float  # user-initiated conversations
    fep_share: float
    contacts: int
    foreign_share: float
    csv_style: str  # iso-offset | dmy-semicolon | iso-local
    provider_billed: bool = False
    variants: bool = False


def _phone(pid: str, display: str, waba: str, label: str) -> PhoneNumber:
    return PhoneNumber(pid, display, waba, label)


DEMO_OPTIONS = {"funnels": [{"name": "Pedido pelo menu",
                             "steps": [list(step) for step in FUNNEL]}]}

PROFILES = (
    Profile(
        tenant=TenantParams(
            tenant_id="varejo_sul", display_name="Varejo Sul", timezone="America/Sao_Paulo",
            locale="pt-BR", phone_numbers=(
                _phone("110000000000001", "+55 11 4000-1001", "200000000000001", "Ofertas"),
                _phone("110000000000002", "+55 11 4000-1002", "200000000000001", "SAC"),
            ), bots=("varejo-router", "varejo-ofertas", "varejo-sac"),
            recipients={"consumption": ["financeiro@varejosul.example"]},
            options=DEMO_OPTIONS,
        ),
        campaigns_per_week=3, contacts=9000, foreign_share=0.02, csv_style="iso-offset",
        campaigns=(
            CampaignPlan("Black Friday – aquecimento", "bf_aquecimento_v2", "marketing", 900),
            CampaignPlan("Carrinho abandonado", "carrinho_abandonado", "marketing", 500),
            CampaignPlan("Ofertas da semana", "ofertas_semana", "marketing", 700),
            CampaignPlan("Pedido enviado", "pedido_enviado", "utility", 450),
        ),
        auth_per_day=25, agent_per_day=18, service_per_day=90, fep_share=0.18,
        variants=True,
    ),
    Profile(
        tenant=TenantParams(
            tenant_id="banco_aurora", display_name="Banco Aurora", timezone="America/Sao_Paulo",
            locale="en", phone_numbers=(
                _phone("120000000000001", "+55 21 3000-2001", "210000000000001", "Tokens"),
                _phone("120000000000002", "+55 21 3000-2002", "210000000000001", "Faturas"),
            ), bots=("aurora-router", "aurora-atendimento"),
            recipients={"consumption": ["cfo@aurora.example", "ops@aurora.example"]},
            options=DEMO_OPTIONS,
        ),
        campaigns_per_week=1.5, contacts=12000, foreign_share=0.0, csv_style="dmy-semicolon",
        campaigns=(
            CampaignPlan("Fatura disponível", "fatura_disponivel", "utility", 1000),
            CampaignPlan("Limite pré-aprovado", "limite_preaprovado", "marketing", 900),
        ),
        auth_per_day=80, agent_per_day=10, service_per_day=70, fep_share=0.03,
    ),
    Profile(
        tenant=TenantParams(
            tenant_id="conecta_servicos", display_name="Conecta Serviços",
            timezone="America/Manaus", locale="pt-BR", phone_numbers=(
                _phone("130000000000001", "+55 92 3500-3001", "220000000000001", "Atendimento"),
            ), bots=("conecta-atendimento",),
            recipients={"consumption": ["gestao@conecta.example"]},
            options=DEMO_OPTIONS,
        ),
        campaigns_per_week=0.7, contacts=5000, foreign_share=0.0, csv_style="iso-local",
        campaigns=(
            CampaignPlan("Visita técnica agendada", "visita_agendada", "utility", 300),
            CampaignPlan("Pesquisa de satisfação", "pesquisa_nps", "marketing", 400),
        ),
        auth_per_day=8, agent_per_day=30, service_per_day=260, fep_share=0.08,
        provider_billed=True,
    ),
)


@dataclass
class Message:
    message_id: str
    campaign_id: str | None
    sender: str
    agent: str | None
    bot_id: str
    phone: PhoneNumber
    recipient: str
    template: str
    category: str
    accepted: datetime
    sent: datetime | None = None
    delivered: datetime | None = None
    read: datetime | None = None
    failed: datetime | None = None
    error_code: int | None = None
    replied: datetime | None = None
    free_customer_service: bool = False
    hide_delivered: bool = False


class Simulator:
    """Draws one tenant's messages and traffic day by day from a seeded generator."""

    def __init__(self, profile: Profile, start: date, as_of: date, seed: int, scale: float):
        self.p, self.start, self.as_of, self.scale = profile, start, as_of, scale
        self.rng = np.random.default_rng([seed, sum(map(ord, profile.tenant.tenant_id))])
        self.tz = ZoneInfo(profile.tenant.timezone)
        self.cutoff = local_day_start(as_of, profile.tenant.timezone)
        self.contacts = self._contacts(max(50, int(profile.contacts * scale)))
        self.messages: list[Message] = []
        self.campaign_rows: list[dict] = []
        self.inbound: list[dict] = []
        self.service_daily: dict[date, int] = {}
        self.desk = DeskSimulator(self.rng, profile.tenant, self.tz, self.cutoff,
                                  self.contacts)
        self._seq = 0

    def _contacts(self, n: int) -> list[str]:
        ddd = self.rng.choice([11, 21, 31, 41, 51, 61, 71, 81, 85, 92], size=n)
        numbers = [f"+55{d}9{self.rng.integers(10_000_000, 99_999_999)}" for d in ddd]
        foreign = int(n * self.p.foreign_share)
        for i in range(foreign):
            prefix = ["+52155", "+1415", "+35191", "+54911"][i % 4]
            numbers[i] = f"{prefix}{self.rng.integers(1_000_000, 9_999_999)}"
        return numbers

    def _next_id(self) -> str:
        self._seq += 1
        digest = zlib.crc32(f"{self.p.tenant.tenant_id}:{self._seq}".encode()) * 7919 % 10**12
        return f"wamid.HBgM{self.p.tenant.tenant_id[:3].upper()}{self._seq:08d}{digest:012d}"

    def _local(self, day: date, hour: float) -> datetime:
        base = local_day_start(day, self.p.tenant.timezone)
        return base + timedelta(hours=float(hour))

    def run(self) -> None:
        day = self.start
        campaign_no = 0
        while day < self.as_of:
            weekday = day.weekday()
            weight = WEEKDAY_WEIGHTS[weekday]
            if weekday < 5 and self.rng.random() < self.p.campaigns_per_week / 5:
                campaign_no += 1
                self._campaign(day, campaign_no)
            if self.p.variants and weekday < 5 and day.day in variant_days(day):
                campaign_no = self._variant_pair(day, campaign_no)
            self._individual(day, self.p.auth_per_day * weight * self.scale, "authentication",
                             "api", None)
            if weekday < 6:
                self._individual(day, self.p.agent_per_day * weight * self.scale, "utility",
                                 "agent", (9, 18))
            self.service_daily[day] = int(self.rng.poisson(
                self.p.service_per_day * weight * self.scale))
            self.desk.day(day, self.service_daily[day], self._local)
            day += timedelta(days=1)
        for n in range(2):  # campaigns scheduled after as-of: not sent yet
            campaign_no += 1
            plan = self.p.campaigns[n % len(self.p.campaigns)]
            when = self._local(self.as_of + timedelta(days=2 + 3 * n), 10)
            self.campaign_rows.append(self._campaign_row(campaign_no, plan, "Scheduled", when,
                                                         None, 0))

    def _campaign_row(self, number, plan, status, scheduled, sent, invalid) -> dict:
        return {"CampaignId": f"{self.p.tenant.tenant_id[:3]}-cmp-{number:04d}",
                "CampaignName": f"{plan.name} #{number}", "BotId": self.p.tenant.bots[0],
                "TemplateName": plan.template, "TemplateLanguage": "pt_BR",
                "Category": plan.category.upper() if number % 5 == 0 else plan.category,
                "Status": status, "ScheduledAt": scheduled, "SentAt": sent,
                "CreatedBy": f"analista{number % 3 + 1}@{self.p.tenant.tenant_id}.example",
                "InvalidContacts": invalid}

    def _campaign(self, day: date, number: int, plan: CampaignPlan | None = None,
                  hour: float | None = None, read_boost: float = 0.0,
                  name: str | None = None) -> None:
        plan = plan or self.p.campaigns[int(self.rng.integers(len(self.p.campaigns)))]
        audience = max(10, int(plan.audience * self.scale * self.rng.uniform(0.7, 1.3)))
        hour = self.rng.uniform(*CAMPAIGN_HOURS) if hour is None else hour
        scheduled = self._local(day, round(hour * 2) / 2)
        recipients = self.rng.choice(len(self.contacts), size=min(audience, len(
            self.contacts)), replace=False)
        invalid = int(self.rng.binomial(audience, 0.015))
        row = self._campaign_row(number, plan, "Sent", scheduled, scheduled, invalid)
        if name:
            row["CampaignName"] = name
        self.campaign_rows.append(row)
        offsets = np.sort(self.rng.uniform(0, len(recipients) / THROUGHPUT_PER_S,
                                           size=len(recipients)))
        phone = self.p.tenant.phone_numbers[0]
        for idx, offset in zip(recipients, offsets, strict=True):
            self._message(scheduled + timedelta(seconds=float(offset)), row["CampaignId"],
                          "campaign", None, phone, self.contacts[idx], plan.template,
                          plan.category, read_boost)

    def _variant_pair(self, day: date, number: int) -> int:
        """A/B tests on comparable audiences: two templates with a real difference in read
        rate (B +`VARIANT_READ_LIFT`) on the 6th-8th, two send hours without one on the
        20th-22nd."""
        month = day.strftime("%m/%Y")
        if day.day <= 10:
            pairs = [(CampaignPlan("VIP", "vip_oferta_a", "marketing", 1000), 10.0, 0.0,
                      f"Clube VIP {month} – A"),
                     (CampaignPlan("VIP", "vip_oferta_b", "marketing", 1000), 10.5,
                      VARIANT_READ_LIFT, f"Clube VIP {month} – B")]
        else:
            pairs = [(CampaignPlan("Relâmpago", "oferta_relampago", "marketing", 900), 10.0,
                      0.0, f"Oferta relâmpago {month} – 10h"),
                     (CampaignPlan("Relâmpago", "oferta_relampago", "marketing", 900), 15.0,
                      0.0, f"Oferta relâmpago {month} – 15h")]
        for plan, hour, boost, name in pairs:
            number += 1
            self._campaign(day, number, plan, hour, boost, name)
        return number

    def _individual(self, day, mean, category, sender, hours) -> None:
        count = int(self.rng.poisson(mean))
        if count == 0:
            return
        if hours:
            times = self.rng.uniform(*hours, size=count)
        else:
            probs = USER_HOUR_WEIGHTS / USER_HOUR_WEIGHTS.sum()
            times = self.rng.choice(24, size=count, p=probs) + self.rng.random(count)
        phone = self.p.tenant.phone_numbers[-1]
        template = "codigo_verificacao" if category == "authentication" else "retorno_atendimento"
        for t in np.sort(times):
            agent = f"agente{int(self.rng.integers(1, 7))}@{self.p.tenant.tenant_id}.example" \
                if sender == "agent" else None
            who = self.contacts[int(self.rng.integers(len(self.contacts)))]
            message = self._message(self._local(day, t), None, sender, agent, phone, who,
                                    template, category)
            if message and sender == "agent" and self.rng.random() < 0.3:
                message.free_customer_service = True

    def _message(self, accepted, campaign_id, sender, agent, phone, recipient, template,
                 category, read_boost: float = 0.0) -> Message | None:
        if accepted >= self.cutoff:
            return None
        rng = self.rng
        fail_share, read_share, reply_share = OUTCOMES[category]
        read_share = min(0.98, read_share + read_boost)
        m = Message(self._next_id(), campaign_id, sender, agent,
                    self.p.tenant.bots[-1] if sender != "campaign" else self.p.tenant.bots[0],
                    phone, recipient, template, category, accepted)
        sent = accepted + timedelta(seconds=float(rng.exponential(2.0)) + 0.5)
        if rng.random() < fail_share:
            codes = ERROR_CODES[category]
            m.error_code = int(rng.choice(list(codes), p=np.array(list(codes.values()))
                                          / sum(codes.values())))
            if m.error_code not in FAILS_BEFORE_SENT:
                m.sent = sent
            m.failed = sent + timedelta(seconds=float(rng.exponential(20)))
        else:
            m.sent = sent
            late = rng.random() < DELIVERY_LATE_SHARE
            delay = rng.lognormal(np.log(3600 * 5), 1.0) if late else rng.lognormal(
                np.log(DELIVERY_MEDIAN_S), 0.8)
            m.delivered = sent + timedelta(seconds=float(delay))
            local = accepted.astimezone(self.tz)
            sunday = 0.85 if local.weekday() == 6 else 1.0
            if rng.random() < read_share * sunday:
                read = m.delivered + timedelta(minutes=float(
                    rng.lognormal(np.log(READ_MEDIAN_MIN), 1.7)))
                hour = read.astimezone(self.tz).hour
                if hour < 7:  # asleep: read in the morning
                    read += timedelta(hours=float(8 - hour + rng.uniform(0, 2)))
                m.read = read
                m.hide_delivered = rng.random() < READ_WITHOUT_DELIVERED
                if rng.random() < reply_share / read_share:
                    m.replied = read + timedelta(minutes=float(rng.lognormal(np.log(4), 1.2)))
        for name in ("sent", "delivered", "read", "failed", "replied"):
            if getattr(m, name) is not None and getattr(m, name) >= self.cutoff:
                setattr(m, name, None)
        if m.read is None:
            m.replied = None
        self.messages.append(m)
        if m.replied is not None and rng.random() < TICKET_SHARE[sender]:
            self._ticket(m)
        if m.replied is not None:
            self.inbound.append({"id": f"wamid.IN{m.message_id[8:]}", "from": recipient[1:],
                                 "ts": m.replied, "context": m.message_id,
                                 "button": sender == "campaign" and rng.random() < 0.6,
                                 "phone": phone})
        return m


    def _ticket(self, m: Message) -> None:
        """A reply to an active message opens a help-desk ticket (DOMAIN.md, Attendance)."""
        self.desk.ticket(m.replied, m.recipient, "Vendas" if m.sender == "campaign"
                         else "Suporte", m.campaign_id, m.agent)


# ---------------------------------------------------------------------------------------------
# Writers


def _ts_text(value: datetime | None, style: str, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    if style == "iso-offset":
        return value.astimezone(tz).isoformat(timespec="seconds")
    if style == "dmy-semicolon":
        return value.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S")
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _write_csv(path: Path, header: list[str], rows: list[list], style: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";" if style == "dmy-semicolon" else ",")
        writer.writerow(header)
        writer.writerows(rows)


def _month_key(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m")


def write_platform_files(sim: Simulator, folder: Path) -> None:
    tz, style = sim.tz, sim.p.csv_style
    header = ["CampaignId", "CampaignName", "BotId", "TemplateName", "TemplateLanguage",
              "Category", "Status", "ScheduledAt", "SentAt", "CreatedBy", "InvalidContacts"]
    rows = [[r[h] if not isinstance(r[h], datetime) else _ts_text(r[h], style, tz)
             for h in header] for r in sim.campaign_rows]
    _write_csv(folder / "campaigns" / "campaigns.csv", header,
               [["" if v is None else v for v in row] for row in rows], style)
    header = ["MessageId", "CampaignId", "Sender", "AgentIdentity", "BotId", "PhoneNumberId",
              "Recipient", "TemplateName", "Category", "AcceptedAt", "SentAt", "DeliveredAt",
              "ReadAt", "FailedAt", "ErrorCode", "RepliedAt"]
    by_month: dict[str, list] = {}
    for i, m in enumerate(sim.messages):
        # The platform's export lags: some reads and replies are only in the webhooks.
        read = m.read if i % 9 else None
        by_month.setdefault(_month_key(m.accepted, tz), []).append([
            m.message_id, m.campaign_id or "", m.sender, m.agent or "", m.bot_id,
            m.phone.phone_number_id, m.recipient, m.template, m.category,
            _ts_text(m.accepted, style, tz), _ts_text(m.sent, style, tz),
            _ts_text(None if m.hide_delivered else m.delivered, style, tz),
            _ts_text(read, style, tz), _ts_text(m.failed, style, tz),
            m.error_code or "", _ts_text(m.replied if read else None, style, tz)])
    for month, rows in sorted(by_month.items()):
        if sim.p.tenant.tenant_id == "varejo_sul" and month == min(by_month):
            # Two rows as real exports sometimes have them: rejected at ingest, with reasons.
            rows.append(["wamid.BROKEN1", "", "campaign", "", sim.p.tenant.bots[0],
                         rows[0][5], "11-NOT-A-PHONE", "ofertas_semana", "marketing",
                         rows[0][9], "", "", "", "", "", ""])
            rows.append(["wamid.BROKEN2", "", "campaign", "", sim.p.tenant.bots[0],
                         rows[0][5], rows[0][6], "ofertas_semana", "marketing",
                         "31/02/2026 25:61:00", "", "", "", "", "", ""])
        _write_csv(folder / "notifications" / f"notifications_{month}.csv", header, rows, style)
    exports = {
        "tickets": (["TicketId", "SequentialId", "BotId", "Team", "AgentIdentity",
                     "CustomerIdentity", "Status", "StorageDate", "OpenDate",
                     "FirstResponseDate", "CloseDate", "ClosedBy", "Tags", "Rating",
                     "CampaignId", "ParentSequentialId"], sim.desk.tickets, "StorageDate"),
        "ticket_messages": (["TicketId", "MessageId", "Direction", "SentAt"],
                            sim.desk.ticket_messages, "SentAt"),
        "agent_status": (["AgentIdentity", "Status", "StartedAt", "EndedAt", "PauseReason"],
                         sim.desk.agent_status, "StartedAt"),
        "bot_messages": (["MessageId", "BotId", "RouterId", "UserIdentity", "Direction",
                          "Channel", "StorageDate"], sim.desk.bot_messages, "StorageDate"),
        "event_tracks": (["BotId", "ContactIdentity", "Category", "Action", "Label", "Value",
                          "Extras", "StorageDate"], sim.desk.events, "StorageDate"),
    }
    for kind, (header, records, when) in exports.items():
        by_month: dict[str, list] = {}
        for record in records:
            by_month.setdefault(_month_key(record[when], tz), []).append([
                _ts_text(record[h], style, tz) if isinstance(record[h], datetime) else
                ("" if record[h] is None else record[h]) for h in header])
        for month, rows in sorted(by_month.items()):
            _write_csv(folder / kind / f"{kind}_{month}.csv", header, rows, style)


def _status_event(m: Message, status: str, at: datetime, pmp: bool) -> dict:
    event = {"id": m.message_id, "status": status, "timestamp": str(int(at.timestamp())),
             "recipient_id": m.recipient[1:]}
    if status in ("sent", "delivered"):
        if pmp:
            event["pricing"] = {"billable": not m.free_customer_service, "pricing_model": "PMP",
                                "type": "free_customer_service" if m.free_customer_service
                                else "regular", "category": m.category}
        else:
            event["conversation"] = {"id": f"conv{m.message_id[-10:]}",
                                     "origin": {"type": m.category}}
            event["pricing"] = {"billable": True, "pricing_model": "CBP", "category": m.category}
    if status == "failed":
        event["errors"] = [{"code": m.error_code, "title": ERROR_TITLES.get(m.error_code,
                                                                            "Error"),
                            "message": ERROR_TITLES.get(m.error_code, "Error"),
                            "error_data": {"details": "See Cloud API error codes"},
                            "href": "https://developers.facebook.com/docs/whatsapp/"
                                    "cloud-api/support/error-codes/"}]
    return event


def _body(phone: PhoneNumber, key: str, items: list[dict]) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{
        "id": phone.waba_id, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "".join(c for c in phone.display_phone_number
                                                         if c.isdigit()),
                         "phone_number_id": phone.phone_number_id},
            key: items}}]}]}


def write_webhooks(sim: Simulator, folder: Path) -> None:
    rng, tz = sim.rng, sim.tz
    lines: list[tuple[float, str, str]] = []
    for m in sim.messages:
        pmp = m.accepted.astimezone(tz).date() >= PMP_START
        for status in ("sent", "delivered", "read", "failed"):
            at = getattr(m, status)
            if at is None or (status == "delivered" and m.hide_delivered):
                continue
            body = json.dumps(_body(m.phone, "statuses", [_status_event(m, status, at, pmp)]),
                              separators=(",", ":"))
            arrival = at.timestamp() + float(rng.exponential(30))
            lines.append((arrival, _month_key(at, tz), body))
            if rng.random() < DUPLICATE_EVENT_SHARE:
                lines.append((arrival + float(rng.exponential(600)), _month_key(at, tz), body))
    for reply in sim.inbound:
        message = {"from": reply["from"], "id": reply["id"],
                   "timestamp": str(int(reply["ts"].timestamp())),
                   "context": {"from": "".join(c for c in reply["phone"].display_phone_number
                                               if c.isdigit()), "id": reply["context"]}}
        if reply["button"]:
            message.update(type="button", button={"text": "Quero saber mais",
                                                  "payload": "SAIBA_MAIS"})
        else:
            message.update(type="text", text={"body": "Oi, pode me ajudar?"})
        body = json.dumps(_body(reply["phone"], "messages", [message]), separators=(",", ":"))
        lines.append((reply["ts"].timestamp() + 1, _month_key(reply["ts"], tz), body))
    lines.sort(key=lambda item: item[0])
    by_month: dict[str, list[str]] = {}
    for _, month, body in lines:
        by_month.setdefault(month, []).append(body)
    out = folder / "whatsapp_webhooks"
    out.mkdir(parents=True, exist_ok=True)
    for month, bodies in sorted(by_month.items()):
        (out / f"webhooks_{month}.jsonl").write_text("\n".join(bodies) + "\n", encoding="utf-8")


class MetaPrices:
    """Meta's list price and free/paid rule for the simulated analytics, asked of the same
    DuckDB macros the marts use (`reportlib.pricing`), so the rules live in one place."""

    def __init__(self) -> None:
        import duckdb

        from reportlib import pricing

        self.con = duckdb.connect()
        pricing.install(self.con)
        self._cache: dict[tuple, object] = {}

    def _ask(self, sql: str, *args):
        if (sql, args) not in self._cache:
            self._cache[(sql, args)] = self.con.execute(sql, list(args)).fetchall()[0][0]
        return self._cache[(sql, args)]

    def rate(self, market: str, category: str, day: date) -> float:
        value = self._ask("SELECT rate_in_force(?, ?, ?::DATE)", market, category, day)
        return float(value or 0.0)

    def paid_conversation(self, kind: str, category: str, day: date) -> bool:
        return bool(self._ask("SELECT is_paid_conversation(?, ?, ?::DATE)", kind, category,
                              day))


def write_analytics(sim: Simulator, folder: Path) -> None:
    """Meta's daily analytics for every WABA, aggregated from the simulated traffic."""
    from reportlib.pricing import market_of_country

    tz, prices = sim.tz, MetaPrices()
    tenant = sim.p.tenant
    cbp: dict[tuple, int] = {}
    pmp: dict[tuple, int] = {}
    open_until: dict[tuple[str, str], datetime] = {}
    for m in sorted(sim.messages, key=lambda x: x.delivered or x.read or x.accepted):
        arrived = m.delivered or m.read
        if arrived is None:
            continue
        day = arrived.astimezone(tz).date()
        country = country_of_phone(m.recipient) or "BR"
        if day >= PMP_START:
            kind = "FREE_CUSTOMER_SERVICE" if m.free_customer_service else "REGULAR"
            key = (day, m.phone, country, kind, m.category)
            pmp[key] = pmp.get(key, 0) + 1
        elif open_until.get((m.recipient, m.category), arrived) <= arrived or \
                (m.recipient, m.category) not in open_until:
            open_until[(m.recipient, m.category)] = arrived + timedelta(hours=24)
            key = (day, m.phone, country, "REGULAR", "BUSINESS_INITIATED", m.category)
            cbp[key] = cbp.get(key, 0) + 1
    service_phone = tenant.phone_numbers[-1]
    free_tier_used: dict[str, int] = {}
    for day, count in sorted(sim.service_daily.items()):
        fep = int(sim.rng.binomial(count, sim.p.fep_share))
        if day >= PMP_START:
            messages = count * 4
            for kind, n in (("FREE_CUSTOMER_SERVICE", messages - fep * 4),
                            ("FREE_ENTRY_POINT", fep * 4)):
                if n:
                    pmp[(day, service_phone, "BR", kind, "service")] = n
        else:
            month = day.strftime("%Y-%m")
            regular = count - fep
            if day < date(2024, 11, 1):
                free = min(regular, FREE_TIER_CONVERSATIONS - free_tier_used.get(month, 0))
                free_tier_used[month] = free_tier_used.get(month, 0) + free
                if free:
                    cbp[(day, service_phone, "BR", "FREE_TIER", "USER_INITIATED",
                         "service")] = free
                regular -= free
            for kind, n in (("REGULAR", regular), ("FREE_ENTRY_POINT", fep)):
                if n:
                    cbp[(day, service_phone, "BR", kind, "USER_INITIATED", "service")] = n
    tier_volume: dict[tuple, int] = {}

    def point(day: date, phone: PhoneNumber, country: str) -> dict:
        start = int(local_day_start(day, tenant.timezone).timestamp())
        end = int(local_day_start(day + timedelta(days=1), tenant.timezone).timestamp())
        return {"start": start, "end": end, "phone_number": "".join(
            c for c in phone.display_phone_number if c.isdigit()), "country": country}

    files: dict[tuple[str, str, str], list[dict]] = {}
    for (day, phone, country, kind, direction, category), n in sorted(
            cbp.items(), key=lambda kv: (kv[0][0], kv[0][1].phone_number_id, *kv[0][2:])):
        dp = point(day, phone, country) | {
            "conversation": n, "conversation_type": kind, "conversation_direction": direction,
            "conversation_category": category.upper()}
        if not sim.p.provider_billed:
            paid = prices.paid_conversation(kind, category, day)
            rate = prices.rate(market_of_country(country), category, day)
            dp["cost"] = round(n * rate, 4) if paid else 0.0
        files.setdefault(("conversation_analytics", phone.waba_id, day.strftime("%Y-%m")),
                         []).append(dp)
    for (day, phone, country, kind, category), n in sorted(
            pmp.items(), key=lambda kv: (kv[0][0], kv[0][1].phone_number_id, *kv[0][2:])):
        dp = point(day, phone, country) | {
            "pricing_type": kind, "pricing_category": category.upper(), "volume": n}
        cost = 0.0
        if kind == "REGULAR" and category != "service":
            rate = prices.rate(market_of_country(country), category, day)
            tkey = (phone.waba_id, day.strftime("%Y-%m"), category, country)
            before = tier_volume.get(tkey, 0)
            tier_volume[tkey] = before + n
            if category in ("utility", "authentication"):
                discounted = max(0, before + n - max(before, TIER_VOLUME))
                cost = (n - discounted) * rate + discounted * rate * (1 - TIER_DISCOUNT)
                dp["tier"] = f"{TIER_VOLUME}:" if before >= TIER_VOLUME else f"0:{TIER_VOLUME}"
            else:
                cost = n * rate
        dp["cost"] = round(cost, 4)
        files.setdefault(("pricing_analytics", phone.waba_id, day.strftime("%Y-%m")),
                         []).append(dp)
    for (kind, waba, month), points in sorted(files.items()):
        out = folder / kind
        out.mkdir(parents=True, exist_ok=True)
        body = {kind: {"data": [{"data_points": points}]}, "id": waba}
        (out / f"{waba}_{month}.json").write_text(json.dumps(body, indent=1), encoding="utf-8")


def generate(sources_dir: Path, params_dir: Path | None, as_of: date = DEFAULT_AS_OF,
             seed: int = DEFAULT_SEED, tenants: int = 3, scale: float = 1.0,
             months: int = DEFAULT_MONTHS) -> dict[str, int]:
    """Write demo source files (and missing tenant params); returns messages per tenant."""
    if not 1 <= tenants <= len(PROFILES):
        raise ValueError(f"--tenants must be 1..{len(PROFILES)}")
    if not 1 <= months <= 60 or not 0 < scale <= 100:
        raise ValueError("--months must be 1..60 and --scale in (0, 100]")
    start = as_of.replace(day=1)
    for _ in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    counts = {}
    for profile in PROFILES[:tenants]:
        sim = Simulator(profile, start, as_of, seed, scale)
        sim.run()
        folder = Path(sources_dir) / profile.tenant.tenant_id
        write_platform_files(sim, folder)
        write_webhooks(sim, folder)
        write_analytics(sim, folder)
        if params_dir is not None and not params_mod.tenant_file(
                params_dir, profile.tenant.tenant_id).exists():
            params_mod.dump_tenant(Path(params_dir), profile.tenant)
        counts[profile.tenant.tenant_id] = len(sim.messages)
    return counts


def _now() -> datetime:  # pragma: no cover - only for ad-hoc use
    return datetime.now(UTC)
