"""One demo tenant, day by day: draw a day's sends, their outcomes, webhooks, help desk and
bots, append them to the month files, keep only counters and the events still in flight.

The spans (`reportlib.demo.spans`) are drawn one after the other into the same month files
(a month is in one span only), each cut off at its end. Ids, sequential numbers and the
campaign list run on across spans, so they stay unique in a tenant; the demo's own months are
drawn first, so they are the same with or without the year before.

Memory depends on the size of a batch (`SLICE` messages, a day's desk traffic) and on the
number of days (analytics counters, campaign rows), never on the number of messages.
"""

from __future__ import annotations

import csv
import zlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from reportlib.demo.analytics import PMP_EPOCH_DAY, MetaAnalytics, MetaPrices
from reportlib.demo.arrivals import ArrivalQueue
from reportlib.demo.clock import LocalClock, month_label
from reportlib.demo.contacts import Contacts
from reportlib.demo.desk import DeskSimulator, mail_domain
from reportlib.demo.files import CSV_LINE_END, MonthFiles, Table
from reportlib.demo.messages import (
    Outcomes,
    SendGroup,
    Sends,
    campaign_times,
    draw_outcomes,
    make_sends,
    message_ids,
    over_marketing_limit,
    user_rhythm_hours,
)
from reportlib.demo.platform import broken_event_rows
from reportlib.demo.profiles import (
    CAMPAIGN_HOURS,
    CATEGORIES,
    EXPORT_LAG_EVERY,
    FREE_SERVICE_SHARE,
    LIMIT_INCIDENT_CODE,
    LIMIT_INCIDENT_SHARE,
    SCHEDULED_AHEAD,
    SENDERS,
    TICKET_SHARE,
    WEEKDAY_WEIGHTS,
    CampaignPlan,
    Profile,
    limit_incident_day,
    variant_days,
    variant_pairs,
)
from reportlib.demo.spans import Span
from reportlib.demo.webhooks import Webhooks

SLICE = 20_000  # messages drawn and written at once
INVALID_CONTACT_SHARE = 0.015
CAMPAIGN_HEADER = ["CampaignId", "CampaignName", "BotId", "TemplateName", "TemplateLanguage",
                   "Category", "Status", "ScheduledAt", "SentAt", "CreatedBy",
                   "InvalidContacts"]


class TenantRun:
    """Writes one tenant's source files under `folder`; `run()` returns its message count."""

    def __init__(self, profile: Profile, spans: list[Span], as_of: date, seed: int,
                 scale: float, folder: Path, prices: MetaPrices, shape: str = "wide") -> None:
        tenant = profile.tenant
        self.p, self.spans, self.as_of = profile, spans, as_of
        self.scale = scale
        self.volume = scale  # of the span being drawn: the scale × the span's volume
        self.folder, self.prices = folder, prices
        self.salt = zlib.crc32(tenant.tenant_id.encode())
        self.rng = np.random.default_rng([seed, self.salt])
        # Draws added later take their own stream, so the earlier ones stay as they were.
        self.opener_rng = np.random.default_rng([seed, self.salt, 2])
        self.incident_rng = np.random.default_rng([seed, self.salt, 3])
        self.incident_day = limit_incident_day(as_of) if profile.limit_incident else None
        self.clock = LocalClock(tenant.timezone, min(s.first for s in spans), as_of)
        self.cutoff = self.clock.day_start(as_of)  # of the span being drawn
        self.first_month = 0  # of the span being drawn (months since 1970-01)
        self.contacts = Contacts(self.rng, max(50, int(profile.contacts * scale)),
                                 profile.foreign_share)
        self.files = MonthFiles(folder, self.clock, profile.csv_style, shape)
        self.desk = DeskSimulator(self.rng, tenant, profile.code, self.clock, self.cutoff,
                                  self.contacts)
        self.agents = tuple(self.desk.agents.tolist())
        self.webhooks = Webhooks(tenant)
        self.analytics = MetaAnalytics(profile, self.clock)
        self.arrivals = ArrivalQueue()
        self.campaign_rows: list[dict] = []
        self.messages = 0

    def run(self) -> int:
        """Every day of each span, then the webhooks still in flight (the span's files end at
        its cut-off); then what is only known at the end: campaigns (with two scheduled after
        as-of) and Meta's analytics."""
        for span in self.spans:
            self.volume = self.scale * span.volume
            self.cutoff = self.desk.cutoff = self.clock.day_start(span.end)
            self.first_month = int(self.clock.month(np.array([self.clock.day_start(
                span.first)]))[0])
            day = span.first
            while day < span.end:
                self._day(day)
                day += timedelta(days=1)
            self._flush(np.inf)
        self.files.close()
        self._scheduled_campaigns()
        self._write_campaigns()
        self.analytics.write(self.folder, self.prices)
        return self.messages

    # ---------------------------------------------------------------------------------------
    # A day

    def _day(self, day: date) -> None:
        """A day's sends in order of acceptance, a `SLICE` at a time (after each, the webhooks
        that arrived before the next slice's first send are final); then the day's service
        traffic, help desk and bots."""
        sends = self._sends(day)
        sends = sends.take(np.argsort(sends.accepted, kind="stable"))
        sends = sends.take(sends.accepted < self.cutoff)
        next_day = self.clock.day_start(day + timedelta(days=1))
        for begin in range(0, len(sends), SLICE):
            self._messages(sends.take(slice(begin, begin + SLICE)), day)
            later = begin + SLICE < len(sends)
            self._flush(sends.accepted[begin + SLICE] if later else next_day)
        weight = WEEKDAY_WEIGHTS[day.weekday()]
        service = int(self.rng.poisson(self.p.service_per_day * weight * self.volume))
        self.analytics.service(day, service, int(self.rng.binomial(service, self.p.fep_share)))
        for table in self.desk.day(day, service):
            self.files.write(table)

    def _sends(self, day: date) -> Sends:
        """Campaigns on weekdays (A/B pairs on their days), authentication codes with the
        users' rhythm, agents' templates in office hours."""
        rng, weekday = self.rng, day.weekday()
        weight = WEEKDAY_WEIGHTS[weekday]
        parts = []
        if weekday < 5 and rng.random() < self.p.campaigns_per_week / 5:
            parts.append(self._campaign(day))
        if self.p.variants and weekday < 5 and day.day in variant_days(day):
            for plan, hour, lift, name in variant_pairs(day):
                parts.append(self._campaign(day, plan, hour, lift, name))
        parts.append(self._individual(day, self.p.auth_per_day * weight * self.volume,
                                      "authentication", "api"))
        if weekday < 6:
            parts.append(self._individual(day, self.p.agent_per_day * weight * self.volume,
                                          "utility", "agent"))
        return Sends.concat(parts)

    def _campaign(self, day: date, plan: CampaignPlan | None = None,
                  hour: float | None = None, read_lift: float = 0.0,
                  name: str | None = None) -> Sends:
        rng = self.rng
        plan = plan or self.p.campaigns[int(rng.integers(len(self.p.campaigns)))]
        audience = max(10, int(plan.audience * self.volume * rng.uniform(0.7, 1.3)))
        hour = rng.uniform(*CAMPAIGN_HOURS) if hour is None else hour
        scheduled = self.clock.day_start(day) + 3600 * round(hour * 2) / 2
        recipients = rng.choice(self.contacts.size, size=min(audience, self.contacts.size),
                                replace=False)
        invalid = int(rng.binomial(audience, INVALID_CONTACT_SHARE))
        row = self._campaign_row(plan, "Sent", scheduled, scheduled, invalid)
        if name:
            row["CampaignName"] = name
        group = SendGroup("campaign", plan.category, plan.template, phone=0,
                          campaign=row["CampaignId"], read_lift=read_lift)
        return make_sends(group, campaign_times(rng, scheduled, len(recipients)), recipients,
                          self.agents)

    def _individual(self, day: date, mean: float, category: str, sender: str) -> Sends:
        """One-to-one templates: codes from the API through the day, agents' follow-ups in
        office hours (some inside an open service window, hence free)."""
        rng = self.rng
        count = int(rng.poisson(mean))
        if sender == "agent":
            hours = np.sort(rng.uniform(9, 18, size=count))
            agents = 1 + rng.integers(len(self.agents), size=count)
            free = rng.random(count) < FREE_SERVICE_SHARE
        else:
            hours, agents, free = user_rhythm_hours(rng, count), None, None
        template = "codigo_verificacao" if category == "authentication" else \
            "retorno_atendimento"
        group = SendGroup(sender, category, template, len(self.p.tenant.phone_numbers) - 1)
        return make_sends(group, self.clock.day_start(day) + 3600 * hours,
                          self.contacts.pick(rng, count), self.agents, agents, free)

    def _messages(self, sends: Sends, day: date) -> None:
        """Outcomes of a batch of sends; their notification rows, webhooks, analytics counts
        and the tickets their replies open."""
        n = len(sends)
        outcomes = draw_outcomes(self.rng, sends, self.clock, self.cutoff, day.weekday() == 6)
        if day == self.incident_day:
            over_marketing_limit(self.incident_rng, sends, outcomes, LIMIT_INCIDENT_SHARE,
                                 LIMIT_INCIDENT_CODE)
        sequence = np.arange(self.messages + 1, self.messages + n + 1)
        first_batch = self.messages == 0
        self.messages += n
        ids = message_ids(self.p.code, self.salt, sequence)
        recipients = self.contacts.e164(sends.recipient)
        self.files.write(self._notifications(sends, outcomes, ids, recipients, sequence))
        if first_batch and self.p.broken_rows:
            self._broken_rows(sends, recipients)
        pmp = self.clock.epoch_day(sends.accepted[:1])[0] >= PMP_EPOCH_DAY
        arrival, month, lines = self.webhooks.statuses(self.rng, sends, outcomes, ids,
                                                       recipients, pmp, self.clock.month)
        self.arrivals.push(arrival, month=month, line=lines)
        arrival, month, lines = self.webhooks.replies(self.rng, sends, outcomes, ids,
                                                      recipients, self.clock.month)
        self.arrivals.push(arrival, month=month, line=lines)
        arrival, month, lines = self.webhooks.openers(self.opener_rng, sends, ids, recipients,
                                                      self.clock.month)
        # A window opened before the span's first month (the evening before its first day)
        # would be the only line of a month without data: it is in no file, as a real export
        # that starts on the 1st.
        kept = month >= self.first_month
        self.arrivals.push(arrival[kept], month=month[kept], line=lines[kept])
        self.analytics.deliveries(sends, outcomes, self.contacts.country(sends.recipient))
        for table in self._reply_tickets(sends, outcomes):
            self.files.write(table)

    def _notifications(self, sends: Sends, outcomes: Outcomes, ids: list[str],
                       recipients: list[str], sequence: np.ndarray) -> Table:
        """The platform's notifications export. It lags: every `EXPORT_LAG_EVERY`th message
        has its read and reply only in the webhooks."""
        lagging = (sequence - 1) % EXPORT_LAG_EVERY == 0
        read = np.where(lagging, np.nan, outcomes.read)
        tenant = self.p.tenant
        bots = np.array([tenant.bots[-1], tenant.bots[0]], dtype=object)
        codes = outcomes.error_code
        return Table("notifications", "AcceptedAt", {
            "MessageId": ids, "CampaignId": sends.campaign,
            "Sender": np.array(SENDERS, dtype=object)[sends.sender],
            "AgentIdentity": sends.agent,
            "BotId": bots[(sends.sender == SENDERS.index("campaign")).astype(int)],
            "PhoneNumberId": np.array([p.phone_number_id for p in tenant.phone_numbers],
                                      dtype=object)[sends.phone],
            "Recipient": recipients, "TemplateName": sends.template,
            "Category": np.array(CATEGORIES, dtype=object)[sends.category],
            "AcceptedAt": sends.accepted, "SentAt": outcomes.sent,
            "DeliveredAt": np.where(outcomes.hide_delivered, np.nan, outcomes.delivered),
            "ReadAt": read, "FailedAt": outcomes.failed,
            "ErrorCode": np.where(codes > 0, codes.astype(str), "").astype(object),
            "RepliedAt": np.where(np.isnan(read), np.nan, outcomes.replied)})

    def _broken_rows(self, sends: Sends, recipients: list[str]) -> None:
        """Two rows as real exports sometimes have them: rejected at ingest, with reasons."""
        phone = self.p.tenant.phone_numbers[int(sends.phone[0])].phone_number_id
        accepted = self.clock.text(sends.accepted[:1], self.p.csv_style)[0]
        bot = self.p.tenant.bots[0]
        rows = [["wamid.BROKEN1", "", "campaign", "", bot, phone, "11-NOT-A-PHONE",
                 "ofertas_semana", "marketing", accepted, "", "", "", "", "", ""],
                ["wamid.BROKEN2", "", "campaign", "", bot, phone, recipients[0],
                 "ofertas_semana", "marketing", "31/02/2026 25:61:00", "", "", "", "", "", ""]]
        delimiter = self.files.delimiter
        header = delimiter.join(["MessageId", "CampaignId", "Sender", "AgentIdentity", "BotId",
                                 "PhoneNumberId", "Recipient", "TemplateName", "Category",
                                 "AcceptedAt", "SentAt", "DeliveredAt", "ReadAt", "FailedAt",
                                 "ErrorCode", "RepliedAt"]) + CSV_LINE_END
        if self.files.shape == "platform":
            header, rows = broken_event_rows(bot, recipients[0], accepted)
            header = delimiter.join(header) + CSV_LINE_END
        month = int(self.clock.month(sends.accepted[:1])[0])
        self.files.append_csv("notifications", month, header, [delimiter.join(r) for r in rows])

    def _reply_tickets(self, sends: Sends, outcomes: Outcomes) -> list:
        """A reply to an active message opens a help-desk ticket (docs/metrics.md, Attendance):
        half of campaign replies, every reply to an agent."""
        share = np.array([TICKET_SHARE[s] for s in SENDERS])[sends.sender]
        opens = ~np.isnan(outcomes.replied) & (self.rng.random(len(sends)) < share)
        if not opens.any():
            return []
        from_campaign = sends.sender[opens] == SENDERS.index("campaign")
        return self.desk.tickets(outcomes.replied[opens], sends.recipient[opens],
                                 np.where(from_campaign, *self.desk.teams[:2]).astype(object),
                                 sends.campaign[opens], sends.agent[opens])

    def _flush(self, bound: float) -> None:
        """Write the webhooks that arrived before `bound`, in arrival order, to the file of
        their event's month; settle the analytics up to the same instant."""
        ready = self.arrivals.pop_before(bound)
        if ready:
            months, lines = ready["month"], ready["line"]
            for month in np.unique(months).tolist():
                chosen = lines[months == month].tolist()
                self.files.append_lines("whatsapp_webhooks", f"webhooks_{month_label(month)}"
                                        ".jsonl", chosen)
        self.analytics.settle(bound)

    # ---------------------------------------------------------------------------------------
    # Campaigns

    def _campaign_row(self, plan: CampaignPlan, status: str, scheduled: float,
                      sent: float | None, invalid: int) -> dict:
        number = len(self.campaign_rows) + 1
        tenant = self.p.tenant
        row = {"CampaignId": f"{self.p.code}-cmp-{number:04d}",
               "CampaignName": f"{plan.name} #{number}", "BotId": tenant.bots[0],
               "TemplateName": plan.template, "TemplateLanguage": "pt_BR",
               "Category": plan.category.upper() if number % 5 == 0 else plan.category,
               "Status": status, "ScheduledAt": scheduled, "SentAt": sent,
               "CreatedBy": f"analista{number % 3 + 1}@{mail_domain(tenant)}",
               "InvalidContacts": invalid}
        self.campaign_rows.append(row)
        return row

    def _scheduled_campaigns(self) -> None:
        """Campaigns scheduled after as-of: not sent yet."""
        for n in range(SCHEDULED_AHEAD):
            plan = self.p.campaigns[n % len(self.p.campaigns)]
            when = self.clock.day_start(self.as_of + timedelta(days=2 + 3 * n)) + 10 * 3600
            self._campaign_row(plan, "Scheduled", when, None, 0)

    def _write_campaigns(self) -> None:
        path = self.folder / "campaigns" / "campaigns.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        style = self.p.csv_style
        stamps = {name: self.clock.text(np.array([np.nan if r[name] is None else r[name]
                                                  for r in self.campaign_rows]), style)
                  for name in ("ScheduledAt", "SentAt")}
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter=self.files.delimiter)
            writer.writerow(CAMPAIGN_HEADER)
            for i, row in enumerate(self.campaign_rows):
                writer.writerow([stamps[h][i] if h in stamps else row[h]
                                 for h in CAMPAIGN_HEADER])
