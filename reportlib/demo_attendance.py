"""The help-desk and chatbot half of the demo: tickets, ticket messages, agent shifts, bot
messages and event tracks. Called by `reportlib.demo` with the same seeded generator.

Model (parameters below; ballparks from DOMAIN.md, "Plausible shapes"):
* Tickets: `TICKETS_PER_SERVICE` of the day's user-initiated conversations open a ticket, in
  the users' hour rhythm; queues `TEAMS` plus a few `DIRECT_TRANSFER`; queue time log-normal
  (median `QUEUE_MEDIAN_S`, doubled on Monday mornings), first response median
  `FIRST_RESPONSE_MEDIAN_S` with a long tail; outcomes by `OUTCOMES` (missed, abandoned,
  transferred: a new ticket with `ParentSequentialId`, closed by inactivity, handled).
* Ticket messages: the customer's opening message, the agent's first reply, then 1–5 more
  exchanges with log-normal response times.
* Agents: `AGENTS` per tenant on weekday shifts 8–17 h with lunch and coffee pauses, a little
  time invisible, offline otherwise.
* Bots: each day `SESSIONS_PER_SERVICE` × service conversations user sessions on a router and
  its sub-bots (3–9 messages each, both directions; 5 % of people also on Instagram); in
  `BOT_INITIATED_SHARE` of them the bot writes and the user never answers (active, not engaged).
* Event tracks: each session walks the menu funnel `FUNNEL`, continuing with `FUNNEL_KEEP`
  at each step; 3 % skip a step, 10 % repeat one.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np

TEAMS = ("Vendas", "Suporte", "Financeiro")
DIRECT_TRANSFER_SHARE = 0.05
TICKETS_PER_SERVICE = 0.2
QUEUE_MEDIAN_S = 100
FIRST_RESPONSE_MEDIAN_S = 150
HANDLING_MEDIAN_MIN = 11
OUTCOMES = {"missed": 0.05, "abandoned": 0.05, "transferred": 0.06, "inactivity": 0.03}
AGENTS = 6
SESSIONS_PER_SERVICE = 0.5
BOT_INITIATED_SHARE = 0.15
FUNNEL = (("menu", "open"), ("menu", "option_selected"), ("pedido", "started"),
          ("pedido", "confirmed"))
FUNNEL_KEEP = (0.78, 0.52, 0.66)
USER_HOURS = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.2, 3, 5, 6, 6.5, 6.5, 6, 6, 6, 6, 6, 6,
                       5.5, 5.5, 5, 4, 3, 2])


class DeskSimulator:
    """Draws one tenant's help-desk and chatbot traffic."""

    def __init__(self, rng: np.random.Generator, tenant, local, cutoff: datetime,
                 contacts: list[str]) -> None:
        self.rng, self.tenant, self.local, self.cutoff = rng, tenant, local, cutoff
        self.contacts = contacts
        self.agents = [f"agente{i}@{tenant.tenant_id}.example" for i in range(1, AGENTS + 1)]
        self.tickets: list[dict] = []
        self.ticket_messages: list[dict] = []
        self.agent_status: list[dict] = []
        self.bot_messages: list[dict] = []
        self.events: list[dict] = []

    def _contact(self) -> str:
        return self.contacts[int(self.rng.integers(len(self.contacts)))]

    def _lognormal_s(self, median: float, sigma: float) -> timedelta:
        return timedelta(seconds=float(self.rng.lognormal(np.log(median), sigma)))

    def _hours(self, count: int) -> np.ndarray:
        p = USER_HOURS / USER_HOURS.sum()
        return np.sort(self.rng.choice(24, size=count, p=p) + self.rng.random(count))

    def ticket(self, storage: datetime, customer: str, team: str | None = None,
               campaign_id: str | None = None, agent: str | None = None,
               parent: int | None = None) -> None:
        """One ticket and its messages; a transfer opens a child ticket."""
        rng = self.rng
        if storage >= self.cutoff:
            return
        team = team or (rng.choice(TEAMS) if rng.random() > DIRECT_TRANSFER_SHARE
                        else "DIRECT_TRANSFER")
        monday_morning = storage.astimezone(self.local).weekday() == 0 and \
            storage.astimezone(self.local).hour < 12
        queue = self._lognormal_s(QUEUE_MEDIAN_S * (2 if monday_morning else 1), 1.0)
        opened = storage + queue
        first = opened + self._lognormal_s(FIRST_RESPONSE_MEDIAN_S, 1.1)
        closed = first + timedelta(minutes=float(rng.lognormal(np.log(HANDLING_MEDIAN_MIN),
                                                               0.8)))
        agent = agent or str(rng.choice(self.agents))
        draw = rng.random()
        bounds = np.cumsum(list(OUTCOMES.values()))
        outcome = next((k for k, b in zip(OUTCOMES, bounds, strict=True) if draw < b),
                       "handled")
        status, closed_by = "ClosedAttendant", agent
        if outcome == "missed":
            opened = first = None
            closed = storage + self._lognormal_s(600, 0.6)
            status, closed_by, agent = "ClosedClient", None, None
        elif outcome == "abandoned":
            first = None if rng.random() < 0.6 else first
            closed = opened + self._lognormal_s(400, 0.6)
            status, closed_by = "ClosedClient", None
        elif outcome == "inactivity":
            status, closed_by = "ClosedClientInactivity", None
        elif outcome == "transferred":
            status = "Transferred"
        # What has not happened by the cut-off is not in the export yet.
        if opened is not None and opened >= self.cutoff:
            opened = first = closed = None
            status, agent, closed_by = "Waiting", None, None
        elif first is not None and first >= self.cutoff:
            first = closed = None
            status, closed_by = "Assigned", None
        elif closed is not None and closed >= self.cutoff:
            closed, closed_by = None, None
            status = "Open"
        sequential = len(self.tickets) + 1
        ticket_id = f"{self.tenant.tenant_id[:3]}-tk-{sequential:06d}"
        self.tickets.append({
            "TicketId": ticket_id, "SequentialId": sequential,
            "BotId": self.tenant.bots[-1], "Team": team, "AgentIdentity": agent,
            "CustomerIdentity": customer, "Status": status, "StorageDate": storage,
            "OpenDate": opened, "FirstResponseDate": first, "CloseDate": closed,
            "ClosedBy": closed_by, "Tags": "|".join(sorted(set(rng.choice(
                ["duvida", "pedido", "boleto", "troca", "entrega", "cadastro"],
                size=int(rng.integers(0, 3)))))), "Rating": int(rng.integers(1, 6))
            if status == "ClosedAttendant" and rng.random() < 0.4 else None,
            "CampaignId": campaign_id, "ParentSequentialId": parent})
        self._messages(ticket_id, storage, first, closed)
        if status == "Transferred" and closed is not None:
            other = [t for t in TEAMS if t != team]
            self.ticket(closed + timedelta(seconds=5), customer, str(rng.choice(other)),
                        campaign_id, None, sequential)

    def _messages(self, ticket_id: str, storage, first, closed) -> None:
        at = storage
        self._say(ticket_id, "customer", at)
        if first is None:
            return
        self._say(ticket_id, "agent", first)
        at = first
        for _ in range(int(self.rng.integers(1, 6))):
            at += self._lognormal_s(90, 0.9)
            if closed is not None and at >= closed:
                break
            self._say(ticket_id, "customer", at)
            at += self._lognormal_s(70, 0.9)
            self._say(ticket_id, "agent", at)

    def _say(self, ticket_id: str, direction: str, at: datetime) -> None:
        if at < self.cutoff:
            self.ticket_messages.append({
                "TicketId": ticket_id, "MessageId": f"{ticket_id}-m{len(self.ticket_messages)}",
                "Direction": direction, "SentAt": at})

    def day(self, day: date, service_count: int, local_start) -> None:
        rng = self.rng
        for hour in self._hours(int(rng.binomial(service_count, TICKETS_PER_SERVICE))):
            self.ticket(local_start(day, hour), self._contact())
        if day.weekday() < 5:
            for agent in self.agents:
                self._shift(day, agent, local_start)
        for hour in self._hours(int(rng.binomial(service_count, SESSIONS_PER_SERVICE))):
            self._session(local_start(day, hour), self._contact())

    def _shift(self, day: date, agent: str, local_start) -> None:
        rng = self.rng
        start = 8 + rng.uniform(-0.25, 0.5)
        plan = [("Online", start), ("Pause", 12 + rng.uniform(0, 0.5), "Almoço"),
                ("Online", 13 + rng.uniform(0, 0.5)), ("Pause", 15.5, "Café"),
                ("Online", 15.5 + rng.uniform(0.1, 0.3)),
                ("Invisible", 17 + rng.uniform(-0.2, 0.2)), ("Offline", 17.4)]
        next_shift = day + timedelta(days=3 if day.weekday() == 4 else 1)
        for i, step in enumerate(plan):
            started = local_start(day, step[1])
            ended = (local_start(day, plan[i + 1][1]) if i + 1 < len(plan)
                     else local_start(next_shift, 7.75))
            if started >= self.cutoff:
                break
            self.agent_status.append({
                "AgentIdentity": agent, "Status": step[0], "StartedAt": started,
                "EndedAt": ended if ended is not None and ended < self.cutoff else None,
                "PauseReason": step[2] if len(step) > 2 else None})

    def _session(self, start: datetime, user: str) -> None:
        rng = self.rng
        bots = self.tenant.bots
        router = bots[0] if len(bots) > 1 else None
        bot = str(rng.choice(bots[1:])) if len(bots) > 1 else bots[0]
        channel = "instagram" if rng.random() < 0.05 else "whatsapp"
        identity = user if channel == "whatsapp" else f"ig:{user[-8:]}"
        at = start
        bot_only = rng.random() < BOT_INITIATED_SHARE  # the bot writes, the user never answers
        for n in range(int(rng.integers(1, 3)) if bot_only else int(rng.integers(3, 10))):
            direction = "sent" if bot_only or n % 2 else "received"
            if at >= self.cutoff:
                break
            self.bot_messages.append({
                "MessageId": f"bm-{self.tenant.tenant_id[:3]}-{len(self.bot_messages)}",
                "BotId": bot, "RouterId": router, "UserIdentity": identity,
                "Direction": direction, "Channel": channel, "StorageDate": at})
            at += self._lognormal_s(20, 0.8)
        if not bot_only:
            self._funnel(start, bots[0], identity)

    def _funnel(self, start: datetime, bot: str, user: str) -> None:
        rng = self.rng
        at = start
        steps = list(FUNNEL)
        if rng.random() < 0.03:
            del steps[1]  # a user who skips a step
        for i, (category, action) in enumerate(steps):
            if i and rng.random() > FUNNEL_KEEP[min(i - 1, len(FUNNEL_KEEP) - 1)]:
                break
            repeats = 2 if rng.random() < 0.1 else 1
            for _ in range(repeats):
                at += self._lognormal_s(15, 0.7)
                if at >= self.cutoff:
                    return
                self.events.append({
                    "BotId": bot, "ContactIdentity": user, "Category": category,
                    "Action": action, "Label": f"opcao_{int(rng.integers(1, 5))}"
                    if action == "option_selected" else "",
                    "Value": "", "Extras": json.dumps({"canal": "whatsapp"}),
                    "StorageDate": at})
