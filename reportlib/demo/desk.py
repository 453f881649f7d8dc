"""The help-desk and chatbot half of the demo: tickets, ticket messages, agent shifts, bot
messages and event tracks, drawn a batch at a time (arrays, not a Python loop per row).

Model (parameters below; ballparks from docs/metrics.md, "Plausible shapes"):
* Tickets: `TICKETS_PER_SERVICE` of the day's user-initiated conversations open a ticket, in
  the users' hour rhythm; queues (`DESK_WORDS`) plus a few `DIRECT_TRANSFER`; queue time log-normal
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
Whatever would happen at or after the cut-off (as-of, local midnight) is not in the exports.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date, timedelta

import numpy as np

from reportlib.demo.clock import LocalClock
from reportlib.demo.contacts import Contacts
from reportlib.demo.files import Table, csv_field
from reportlib.params import TenantParams

# The help desk's own names in the tenant's language (queues, tags, pause reasons, the
# agents' addresses): the English demo tenant's reader saw "Vendas", "boleto", "agente1@".
# A language's queues and tags are in the same order as the others' (the same draws).
DESK_WORDS = {
    "pt-BR": {"teams": ("Vendas", "Suporte", "Financeiro"),
              "tags": ("duvida", "pedido", "boleto", "troca", "entrega", "cadastro"),
              "pauses": ("Almoço", "Café"), "agent": "agente"},
    "en": {"teams": ("Sales", "Support", "Finance"),
           "tags": ("question", "order", "invoice", "exchange", "delivery", "signup"),
           "pauses": ("Lunch", "Coffee"), "agent": "agent"},
}


def desk_words(tenant: TenantParams) -> dict:
    """The help desk's names for `tenant` (`DESK_WORDS`; Portuguese for another language)."""
    return DESK_WORDS.get(tenant.locale, DESK_WORDS["pt-BR"])


TEAMS = DESK_WORDS["pt-BR"]["teams"]
DIRECT_TRANSFER_SHARE = 0.05
TICKETS_PER_SERVICE = 0.2
QUEUE_MEDIAN_S = 100
FIRST_RESPONSE_MEDIAN_S = 150
HANDLING_MEDIAN_MIN = 11
MISSED_CLOSE_MEDIAN_S = 600
ABANDON_MEDIAN_S = 400
ABANDONED_UNANSWERED = 0.6
OUTCOMES = {"missed": 0.05, "abandoned": 0.05, "transferred": 0.06, "inactivity": 0.03}
OUTCOME_STATUS = ("ClosedClient", "ClosedClient", "Transferred", "ClosedClientInactivity",
                  "ClosedAttendant")  # per outcome index; the last is "handled"
MAX_EXCHANGES = 5
RATED_SHARE = 0.4
AGENTS = 6
SESSIONS_PER_SERVICE = 0.5
BOT_INITIATED_SHARE = 0.15
INSTAGRAM_SHARE = 0.05
MAX_SESSION_MESSAGES = 9
FUNNEL = (("menu", "open"), ("menu", "option_selected"), ("pedido", "started"),
          ("pedido", "confirmed"))
FUNNEL_KEEP = (0.78, 0.52, 0.66)
FUNNEL_SKIP_SHARE = 0.03
FUNNEL_REPEAT_SHARE = 0.1
USER_HOURS = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.2, 3, 5, 6, 6.5, 6.5, 6, 6, 6, 6, 6, 6,
                       5.5, 5.5, 5, 4, 3, 2])
# (status, local hour, pause: the index of its reason) of a shift; the hours get a little
# noise per agent.
SHIFT = (("Online", 8.0, None), ("Pause", 12.0, 0), ("Online", 13.0, None),
         ("Pause", 15.5, 1), ("Online", 15.5, None), ("Invisible", 17.0, None),
         ("Offline", 17.4, None))
SHIFT_NOISE = ((-0.25, 0.5), (0, 0.5), (0, 0.5), (0, 0), (0.1, 0.3), (-0.2, 0.2), (0, 0))
NEXT_SHIFT_HOUR = 7.75
SLICE = 20_000  # tickets or sessions drawn at once: bounds memory however large --scale is

def _tag_pairs(tags: tuple[str, ...]) -> np.ndarray:
    return np.array([["|".join(sorted({a, b})) for b in tags] for a in tags], dtype=object)


def mail_domain(tenant: TenantParams) -> str:
    """The tenant's e-mail domain for its agents and analysts: its report recipients' (one
    company, one domain), else its name folded to letters and digits under the reserved
    `.example`; a reader sees these addresses, never the tenant's internal id."""
    for addresses in tenant.recipients.values():
        for address in addresses:
            if "@" in address:
                return address.rsplit("@", 1)[1]
    folded = unicodedata.normalize("NFKD", tenant.display_name).encode("ascii", "ignore")
    return "".join(ch for ch in folded.decode().lower() if ch.isalnum()) + ".example"


def _objects(values) -> np.ndarray:
    return np.array(values, dtype=object)


def _batches(values: np.ndarray) -> list[np.ndarray]:
    return [values[begin:begin + SLICE] for begin in range(0, len(values), SLICE)]


def _weekday(clock: LocalClock, instants: np.ndarray) -> np.ndarray:
    return (clock.epoch_day(instants) + 3) % 7  # 1970-01-01 was a Thursday


def _lognormal(rng: np.random.Generator, median, sigma: float, size) -> np.ndarray:
    return rng.lognormal(np.log(median), sigma, size)


class DeskSimulator:
    """Draws one tenant's help-desk and chatbot traffic; each call returns the rows drawn as
    `Table`s for the caller to write."""

    def __init__(self, rng: np.random.Generator, tenant: TenantParams, code: str,
                 clock: LocalClock, cutoff: float, contacts: Contacts) -> None:
        self.rng, self.tenant, self.code, self.clock = rng, tenant, code, clock
        self.cutoff, self.contacts = cutoff, contacts
        self.words = desk_words(tenant)
        self.teams, self.tags = self.words["teams"], self.words["tags"]
        self._tag_pairs = _tag_pairs(self.tags)
        self.agents = _objects([f"{self.words['agent']}{i}@{mail_domain(tenant)}"
                                for i in range(1, AGENTS + 1)])
        self._tickets = 0
        self._ticket_messages = 0
        self._bot_messages = 0

    # ---------------------------------------------------------------------------------------
    # Tickets

    def tickets(self, storage: np.ndarray, customer: np.ndarray,
                team: np.ndarray | None = None, campaign: np.ndarray | None = None,
                agent: np.ndarray | None = None,
                parent: np.ndarray | None = None) -> list[Table]:
        """Tickets opened at `storage` by `customer` (contact indices), with their messages;
        transfers open child tickets. Optional columns: "" (or None) means drawn here."""
        keep = storage < self.cutoff
        n = int(keep.sum())
        if n == 0:
            return []
        rng = self.rng
        storage, customer = storage[keep], customer[keep]
        empty = np.full(n, "", dtype=object)
        campaign = empty.copy() if campaign is None else campaign[keep]
        parent = empty.copy() if parent is None else parent[keep]
        drawn_team = np.where(rng.random(n) > DIRECT_TRANSFER_SHARE,
                              _objects(self.teams)[rng.integers(len(self.teams), size=n)],
                              "DIRECT_TRANSFER")
        team = drawn_team if team is None else np.where(team[keep] == "", drawn_team,
                                                        team[keep])
        monday_morning = (_weekday(self.clock, storage) == 0) & (self.clock.hour(storage) < 12)
        opened = storage + _lognormal(rng, QUEUE_MEDIAN_S * np.where(monday_morning, 2, 1),
                                      1.0, n)
        first = opened + _lognormal(rng, FIRST_RESPONSE_MEDIAN_S, 1.1, n)
        closed = first + 60 * _lognormal(rng, HANDLING_MEDIAN_MIN, 0.8, n)
        drawn_agent = self.agents[rng.integers(AGENTS, size=n)]
        agent = drawn_agent if agent is None else np.where(agent[keep] == "", drawn_agent,
                                                           agent[keep])
        outcome = np.searchsorted(np.cumsum(list(OUTCOMES.values())), rng.random(n),
                                  side="right")
        status = _objects(OUTCOME_STATUS)[outcome]
        closed_by = np.where((outcome == 2) | (outcome == 4), agent, "")
        missed, abandoned = outcome == 0, outcome == 1
        opened[missed] = first[missed] = np.nan
        closed = np.where(missed, storage + _lognormal(rng, MISSED_CLOSE_MEDIAN_S, 0.6, n),
                          closed)
        agent = np.where(missed, "", agent)
        first[abandoned & (rng.random(n) < ABANDONED_UNANSWERED)] = np.nan
        closed = np.where(abandoned, opened + _lognormal(rng, ABANDON_MEDIAN_S, 0.6, n), closed)
        # What has not happened by the cut-off is not in the export yet.
        waiting = opened >= self.cutoff
        assigned = ~waiting & (first >= self.cutoff)
        still_open = ~waiting & ~assigned & (closed >= self.cutoff)
        opened[waiting] = np.nan
        first[waiting | assigned] = np.nan
        closed[waiting | assigned | still_open] = np.nan
        status[waiting], status[assigned], status[still_open] = "Waiting", "Assigned", "Open"
        agent = np.where(waiting, "", agent)
        closed_by = np.where(waiting | assigned | still_open, "", closed_by)
        sequential = np.arange(self._tickets + 1, self._tickets + n + 1)
        self._tickets += n
        ticket_id = _objects([f"{self.code}-tk-{s:06d}" for s in sequential.tolist()])
        rated = (status == "ClosedAttendant") & (rng.random(n) < RATED_SHARE)
        rating = np.where(rated, rng.integers(1, 6, size=n).astype(str).astype(object), "")
        table = Table("tickets", "StorageDate", {
            "TicketId": ticket_id, "SequentialId": sequential.astype(str).astype(object),
            "BotId": np.full(n, self.tenant.bots[-1], dtype=object), "Team": team,
            "AgentIdentity": agent, "CustomerIdentity": self.contacts.e164(customer),
            "Status": status, "StorageDate": storage, "OpenDate": opened,
            "FirstResponseDate": first, "CloseDate": closed, "ClosedBy": closed_by,
            "Tags": self._tags(n), "Rating": rating, "CampaignId": campaign,
            "ParentSequentialId": parent})
        tables = [table, self._messages(ticket_id, storage, first, closed)]
        moved = (status == "Transferred") & ~np.isnan(closed)
        if moved.any():
            tables += self.tickets(closed[moved] + 5, customer[moved],
                                   self._other_team(team[moved]), campaign[moved], None,
                                   sequential[moved].astype(str).astype(object))
        return tables

    def _tags(self, n: int) -> np.ndarray:
        """0-2 tags per ticket, sorted and joined with '|'."""
        rng = self.rng
        count = rng.integers(0, 3, size=n)
        tags = self.tags
        first, second = rng.integers(len(tags), size=n), rng.integers(len(tags), size=n)
        return np.where(count == 0, "", np.where(count == 1, _objects(tags)[first],
                                                 self._tag_pairs[first, second]))

    def _other_team(self, team: np.ndarray) -> np.ndarray:
        """A queue other than `team` for each transferred ticket."""
        draws = self.rng.random(len(team)).tolist()
        others = [[t for t in self.teams if t != current] for current in team.tolist()]
        return _objects([o[int(u * len(o))] for o, u in zip(others, draws, strict=True)])

    def _messages(self, ticket_id: np.ndarray, storage: np.ndarray, first: np.ndarray,
                  closed: np.ndarray) -> Table:
        """Customer opening message, the agent's first reply, then 1-5 exchanges, stopping at
        the first customer message at or after the close."""
        rng = self.rng
        n = len(ticket_id)
        exchanges = rng.integers(1, MAX_EXCHANGES + 1, size=n)
        to_agent = _lognormal(rng, 90, 0.9, (n, MAX_EXCHANGES))
        to_customer = _lognormal(rng, 70, 0.9, (n, MAX_EXCHANGES))
        customer_at = first[:, None] + np.cumsum(to_agent, 1) + np.cumsum(to_customer, 1) \
            - to_customer
        agent_at = customer_at + to_customer
        within = (np.arange(MAX_EXCHANGES) < exchanges[:, None]) & ~np.isnan(first)[:, None]
        within &= np.isnan(closed)[:, None] | (customer_at < closed[:, None])
        times = np.column_stack([storage, first, np.stack([customer_at, agent_at], 2)
                                 .reshape(n, -1)])
        valid = np.column_stack([np.ones(n, bool), ~np.isnan(first),
                                 np.repeat(within, 2, axis=1)]) & (times < self.cutoff)
        rows, slots = np.nonzero(valid)
        directions = _objects(["customer", "agent"] * (MAX_EXCHANGES + 1))
        numbers = range(self._ticket_messages, self._ticket_messages + len(rows))
        self._ticket_messages += len(rows)
        ids = ticket_id[rows].tolist()
        return Table("ticket_messages", "SentAt", {
            "TicketId": ids, "MessageId": [f"{t}-m{i}" for t, i in zip(ids, numbers,
                                                                          strict=True)],
            "Direction": directions[slots], "SentAt": times[rows, slots]})

    # ---------------------------------------------------------------------------------------
    # A day of desk, shifts and bots

    def day(self, day: date, service_count: int) -> list[Table]:
        """The day's tickets from service conversations, agent shifts and bot sessions."""
        rng, start = self.rng, self.clock.day_start(day)
        tables = []
        tickets = start + 3600 * self._hours(int(rng.binomial(service_count,
                                                               TICKETS_PER_SERVICE)))
        for part in _batches(tickets):
            tables += self.tickets(part, self.contacts.pick(rng, len(part)))
        if day.weekday() < 5:
            tables.append(self._shifts(day))
        sessions = start + 3600 * self._hours(int(rng.binomial(service_count,
                                                                SESSIONS_PER_SERVICE)))
        for part in _batches(sessions):
            tables += self._sessions(part, self.contacts.pick(rng, len(part)))
        return tables

    def _hours(self, count: int) -> np.ndarray:
        p = USER_HOURS / USER_HOURS.sum()
        return np.sort(self.rng.choice(24, size=count, p=p) + self.rng.random(count))

    def _shifts(self, day: date) -> Table:
        """Each agent's statuses through a weekday shift; the last one ends at the next
        working day's start."""
        low, high = np.array(SHIFT_NOISE).T
        hours = np.array([h for _, h, _ in SHIFT]) + self.rng.uniform(low, high,
                                                                      (AGENTS, len(SHIFT)))
        started = self.clock.day_start(day) + 3600 * hours
        next_shift = day + timedelta(days=3 if day.weekday() == 4 else 1)
        ended = np.column_stack([started[:, 1:], np.full(
            AGENTS, self.clock.day_start(next_shift) + 3600 * NEXT_SHIFT_HOUR)])
        ended[ended >= self.cutoff] = np.nan
        rows, steps = np.nonzero(started < self.cutoff)
        return Table("agent_status", "StartedAt", {
            "AgentIdentity": self.agents[rows],
            "Status": _objects([s for s, _, _ in SHIFT])[steps],
            "StartedAt": started[rows, steps], "EndedAt": ended[rows, steps],
            "PauseReason": _objects(["" if r is None else self.words["pauses"][r]
                                     for _, _, r in SHIFT])[steps]})

    def _sessions(self, start: np.ndarray, user: np.ndarray) -> list[Table]:
        """User sessions on the bots: messages both ways, or only the bot's when it writes
        first and nobody answers; engaged sessions also walk the menu funnel."""
        rng, bots = self.rng, self.tenant.bots
        n = len(start)
        if n == 0:
            return []
        router = bots[0] if len(bots) > 1 else ""
        bot = _objects(bots[1:] or bots)[rng.integers(max(1, len(bots) - 1), size=n)]
        instagram = rng.random(n) < INSTAGRAM_SHARE
        phones = self.contacts.e164(user)
        identity = _objects([f"ig:{p[-8:]}" if ig else p
                             for p, ig in zip(phones, instagram.tolist(), strict=True)])
        bot_only = rng.random(n) < BOT_INITIATED_SHARE
        count = np.where(bot_only, rng.integers(1, 3, size=n), rng.integers(3, 10, size=n))
        gaps = _lognormal(rng, 20, 0.8, (n, MAX_SESSION_MESSAGES))
        times = start[:, None] + np.cumsum(gaps, 1) - gaps
        valid = (np.arange(MAX_SESSION_MESSAGES) < count[:, None]) & (times < self.cutoff)
        rows, slots = np.nonzero(valid)
        received = ~bot_only[rows] & (slots % 2 == 0)
        numbers = range(self._bot_messages, self._bot_messages + len(rows))
        self._bot_messages += len(rows)
        messages = Table("bot_messages", "StorageDate", {
            "MessageId": [f"bm-{self.code}-{i}" for i in numbers], "BotId": bot[rows],
            "RouterId": np.full(len(rows), router, dtype=object),
            "UserIdentity": identity[rows],
            "Direction": np.where(received, "received", "sent").astype(object),
            "Channel": np.where(instagram[rows], "instagram", "whatsapp").astype(object),
            "StorageDate": times[rows, slots]})
        engaged = ~bot_only
        return [messages, self._funnel(start[engaged], bots[0], identity[engaged])]

    def _funnel(self, start: np.ndarray, bot: str, user: np.ndarray) -> Table:
        """Menu funnel events: each step reached with `FUNNEL_KEEP`, some users skip the
        second step, some repeat a step; 15 s (log-normal) between events."""
        rng = self.rng
        n = len(start)
        skip = rng.random(n) < FUNNEL_SKIP_SHARE
        steps = np.tile(np.arange(len(FUNNEL)), (n, 1))
        steps[skip] = [0, 2, 3, -1]
        kept = rng.random((n, len(FUNNEL) - 1)) <= np.array(FUNNEL_KEEP)
        reached = 1 + np.cumprod(kept, 1).sum(1)
        reached = np.where(skip, np.minimum(reached, len(FUNNEL) - 1), reached)
        repeats = np.where(rng.random((n, len(FUNNEL))) < FUNNEL_REPEAT_SHARE, 2, 1)
        valid = np.repeat(np.arange(len(FUNNEL)) < reached[:, None], 2, axis=1)
        valid &= np.tile([True, False], len(FUNNEL)) | np.repeat(repeats == 2, 2, axis=1)
        gaps = _lognormal(rng, 15, 0.7, (n, 2 * len(FUNNEL))) * valid
        times = start[:, None] + np.cumsum(gaps, 1)
        valid &= times < self.cutoff
        rows, slots = np.nonzero(valid)
        step = steps[rows, slots // 2]
        categories = _objects([c for c, _ in FUNNEL])[step]
        actions = _objects([a for _, a in FUNNEL])[step]
        labels = np.where(actions == "option_selected",
                          _objects([f"opcao_{i}" for i in range(5)])[
                              rng.integers(1, 5, size=len(rows))], "")
        count = len(rows)
        return Table("event_tracks", "StorageDate", {
            "BotId": np.full(count, bot, dtype=object), "ContactIdentity": user[rows],
            "Category": categories, "Action": actions, "Label": labels,
            "Value": np.full(count, "", dtype=object),
            "Extras": np.full(count, csv_field(json.dumps({"canal": "whatsapp"})),
                              dtype=object),
            "StorageDate": times[rows, slots]})
