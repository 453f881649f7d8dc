"""Active (business-initiated) messages: the sends of a day and their outcomes, drawn as
arrays for a whole batch (campaign audience, a day of codes) instead of one message at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportlib.demo.clock import LocalClock
from reportlib.demo.profiles import (
    CATEGORIES,
    DELIVERY_LATE_SHARE,
    DELIVERY_MEDIAN_S,
    ERROR_CODES,
    FAILS_BEFORE_SENT,
    LATE_DELIVERY_MEDIAN_S,
    OUTCOMES,
    READ_MEDIAN_MIN,
    READ_WITHOUT_DELIVERED,
    SENDERS,
    SUNDAY_READ_FACTOR,
    THROUGHPUT_PER_S,
    USER_HOUR_WEIGHTS,
)

FAILURE, READ, REPLY = (np.array([OUTCOMES[c][i] for c in CATEGORIES]) for i in range(3))
MAX_READ_SHARE = 0.98
WAKE_HOUR = 7  # a read drawn before 7 h local happens in the morning instead


@dataclass(frozen=True)
class SendGroup:
    """What the sends of one campaign, or of one kind of one-to-one template on a day, share."""

    sender: str
    category: str
    template: str
    phone: int  # index into the tenant's phone numbers
    campaign: str = ""
    read_lift: float = 0.0  # added to the category's read share (A/B variant B)


@dataclass
class Sends:
    """Messages accepted by the platform, before their outcome: one entry per message. What
    messages share lives once in `groups` (about 20 bytes a message instead of 70: a day of
    a large campaign is millions of entries)."""

    accepted: np.ndarray  # Unix seconds
    recipient: np.ndarray  # contact index
    group: np.ndarray  # index into `groups`
    agent_number: np.ndarray  # index into `agents` ("" at 0: not sent by an agent)
    free_service: np.ndarray  # sent inside an open customer-service window
    groups: tuple[SendGroup, ...]
    agents: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.accepted)

    def take(self, index: np.ndarray | slice) -> Sends:
        return Sends(self.accepted[index], self.recipient[index], self.group[index],
                     self.agent_number[index], self.free_service[index], self.groups,
                     self.agents)

    @staticmethod
    def concat(parts: list[Sends]) -> Sends:
        """One batch of several; group indices are renumbered."""
        offsets = np.cumsum([0] + [len(p.groups) for p in parts[:-1]])
        return Sends(
            accepted=np.concatenate([p.accepted for p in parts]),
            recipient=np.concatenate([p.recipient for p in parts]),
            group=np.concatenate([p.group + o for p, o in zip(parts, offsets, strict=True)
                                  ]).astype(np.int32),
            agent_number=np.concatenate([p.agent_number for p in parts]),
            free_service=np.concatenate([p.free_service for p in parts]),
            groups=tuple(g for p in parts for g in p.groups), agents=parts[0].agents)

    def _per_group(self, values: list, dtype=None) -> np.ndarray:
        return np.array(values, dtype=dtype)[self.group]

    @property
    def sender(self) -> np.ndarray:
        """Index into SENDERS."""
        return self._per_group([SENDERS.index(g.sender) for g in self.groups], np.int64)

    @property
    def category(self) -> np.ndarray:
        """Index into CATEGORIES."""
        return self._per_group([CATEGORIES.index(g.category) for g in self.groups], np.int64)

    @property
    def phone(self) -> np.ndarray:
        return self._per_group([g.phone for g in self.groups], np.int64)

    @property
    def read_lift(self) -> np.ndarray:
        return self._per_group([g.read_lift for g in self.groups], np.float64)

    @property
    def template(self) -> np.ndarray:
        return self._per_group([g.template for g in self.groups], object)

    @property
    def campaign(self) -> np.ndarray:
        """Campaign id, "" for none."""
        return self._per_group([g.campaign for g in self.groups], object)

    @property
    def agent(self) -> np.ndarray:
        """Agent identity, "" for none."""
        return np.array(self.agents, dtype=object)[self.agent_number]


def make_sends(group: SendGroup, accepted: np.ndarray, recipient: np.ndarray,
               agents: tuple[str, ...], agent_number: np.ndarray | None = None,
               free_service: np.ndarray | None = None) -> Sends:
    """Sends of one group; `agents` names agents 1.. (0 = none) for `agent_number`."""
    n = len(accepted)
    return Sends(accepted, recipient, np.zeros(n, np.int32),
                 np.zeros(n, np.int8) if agent_number is None else agent_number.astype(np.int8),
                 np.zeros(n, bool) if free_service is None else free_service, (group,),
                 ("", *agents))


def campaign_times(rng: np.random.Generator, scheduled: float, audience: int) -> np.ndarray:
    """Send instants of a campaign's audience, leaving at `THROUGHPUT_PER_S`."""
    return scheduled + np.sort(rng.uniform(0, audience / THROUGHPUT_PER_S, size=audience))


def user_rhythm_hours(rng: np.random.Generator, count: int) -> np.ndarray:
    """Hours of the day (fractional) drawn with the users' own rhythm, sorted."""
    p = USER_HOUR_WEIGHTS / USER_HOUR_WEIGHTS.sum()
    return np.sort(rng.choice(24, size=count, p=p) + rng.random(count))


@dataclass
class Outcomes:
    """What happened to each send (Unix seconds, NaN = did not happen before the cut-off)."""

    sent: np.ndarray
    delivered: np.ndarray
    read: np.ndarray
    failed: np.ndarray
    replied: np.ndarray
    error_code: np.ndarray  # 0 when not failed
    hide_delivered: np.ndarray  # read, but the `delivered` status never arrives


def _error_codes(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """An error code per message from its category's distribution (`ERROR_CODES`)."""
    draws = rng.random(len(category))
    codes = np.zeros(len(category), dtype=np.int64)
    for index, name in enumerate(CATEGORIES):
        table = ERROR_CODES[name]
        weights = np.array(list(table.values()))
        bounds = np.cumsum(weights) / weights.sum()
        chosen = category == index
        picks = np.minimum(np.searchsorted(bounds, draws[chosen], side="right"), len(table) - 1)
        codes[chosen] = np.array(list(table))[picks]
    return codes


def draw_outcomes(rng: np.random.Generator, sends: Sends, clock: LocalClock, cutoff: float,
                  sunday: bool) -> Outcomes:
    """Sent after ~2 s; failures per category (template errors before `sent`); delivered
    after a log-normal delay with a tail of phones off for hours; read after a long-tailed
    delay, moved out of the night; some replied. Reads are fewer on Sundays."""
    n, category = len(sends), sends.category
    read_share = np.minimum(MAX_READ_SHARE, READ[category] + sends.read_lift)
    sent = sends.accepted + rng.exponential(2.0, n) + 0.5
    failing = rng.random(n) < FAILURE[category]
    error_code = np.where(failing, _error_codes(rng, category), 0)
    failed = np.where(failing, sent + rng.exponential(20, n), np.nan)
    sent[np.isin(error_code, FAILS_BEFORE_SENT)] = np.nan
    late = rng.random(n) < DELIVERY_LATE_SHARE
    delay = np.where(late, rng.lognormal(np.log(LATE_DELIVERY_MEDIAN_S), 1.0, n),
                     rng.lognormal(np.log(DELIVERY_MEDIAN_S), 0.8, n))
    delivered = np.where(failing, np.nan, sent + delay)
    reading = ~failing & (rng.random(n) < read_share * (SUNDAY_READ_FACTOR if sunday else 1))
    read = delivered + 60 * rng.lognormal(np.log(READ_MEDIAN_MIN), 1.7, n)
    hour = clock.hour(read)
    asleep = reading & (hour < WAKE_HOUR)
    read[asleep] += 3600 * (8 - hour[asleep] + rng.uniform(0, 2, int(asleep.sum())))
    read[~reading] = np.nan
    hide_delivered = reading & (rng.random(n) < READ_WITHOUT_DELIVERED)
    replying = reading & (rng.random(n) < REPLY[category] / read_share)
    replied = np.where(replying, read + 60 * rng.lognormal(np.log(4), 1.2, n), np.nan)
    stamps = [sent, delivered, read, failed, replied]
    for stamp in stamps:
        stamp[stamp >= cutoff] = np.nan
    replied[np.isnan(read)] = np.nan
    hide_delivered &= ~np.isnan(read)
    return Outcomes(*stamps, error_code=error_code, hide_delivered=hide_delivered)


def over_marketing_limit(rng: np.random.Generator, sends: Sends, outcomes: Outcomes,
                         share: float, code: int) -> None:
    """Turn `share` of the marketing messages that did not fail into failures with `code`
    (Meta's per-user marketing limit), failed a little after `sent`: nothing after that."""
    n = len(sends)
    hit = ((sends.category == CATEGORIES.index("marketing")) & np.isnan(outcomes.failed)
           & ~np.isnan(outcomes.sent) & (rng.random(n) < share))
    outcomes.error_code[hit] = code
    outcomes.failed[hit] = outcomes.sent[hit] + rng.exponential(20, int(hit.sum()))
    for stamp in (outcomes.delivered, outcomes.read, outcomes.replied):
        stamp[hit] = np.nan
    outcomes.hide_delivered[hit] = False


def message_ids(code: str, salt: int, sequence: np.ndarray) -> list[str]:
    """Meta-like message ids ('wamid.HBgM' + tenant code + sequence + 12 scrambled digits);
    the sequence makes them unique within a tenant, the salt across tenants."""
    prefix = f"wamid.HBgM{code.upper()}"
    digest = (sequence.astype(np.uint64) * np.uint64(2654435761) + np.uint64(salt)) \
        % np.uint64(10**12)
    return [f"{prefix}{s:08d}{d:012d}" for s, d in zip(sequence.tolist(), digest.tolist(),
                                                        strict=True)]
