"""Meta's daily analytics for the demo tenants' WABAs, counted while messages are drawn.

Conversation analytics before 2025-07-01 (24 h conversations per recipient and category; the
first 1,000 service conversations per WABA and month are FREE_TIER until 2024-10-31), pricing
analytics from 2025-07-01 (delivered templates; utility and authentication get a
`TIER_DISCOUNT` once a month passes `TIER_VOLUME` messages, so Meta's cost differs a little
from list rates, as in real invoices, and from 2025-10-01 the day a month passes it Meta posts
a volume tier update webhook). A provider-billed tenant's conversations carry no cost.

Only per-day counters are kept; conversations need the deliveries in arrival order, so those
wait in an `ArrivalQueue` until they are final.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from reportlib.demo.arrivals import ArrivalQueue
from reportlib.demo.clock import EPOCH_ORDINAL, LocalClock
from reportlib.demo.contacts import COUNTRIES
from reportlib.demo.messages import Outcomes, Sends
from reportlib.demo.profiles import (
    CATEGORIES,
    FREE_TIER_CONVERSATIONS,
    TIER_DISCOUNT,
    TIER_VOLUME,
    Profile,
)
from reportlib.domain.calendar import local_day_start
from reportlib.domain.pricing import PMP_START, SERVICE_FREE_FROM, market_of_country
from reportlib.params import PhoneNumber

SERVICE_MESSAGES_PER_CONVERSATION = 4
CONVERSATION_S = 24 * 3600
PMP_EPOCH_DAY = PMP_START.toordinal() - EPOCH_ORDINAL
TIER_UPDATES_FROM = date(2025, 10, 1)  # Meta posts VOLUME_BASED_PRICING_TIER_UPDATE from then
# Meta's name of the market (the `region` of a tier update) of each demo country.
REGIONS = {"BR": "BRAZIL", "MX": "MEXICO", "US": "NORTH_AMERICA", "PT": "REST_OF_WESTERN_EUROPE",
           "AR": "ARGENTINA"}


class MetaPrices:
    """Meta's list price and free/paid rule for the simulated analytics, asked of the same
    DuckDB macros the marts use (`reportlib.domain.pricing`), so the rules live in one place. Asked
    in one query per batch: a query per day and category cost seconds per tenant."""

    def __init__(self) -> None:
        import duckdb

        from reportlib.domain import pricing

        self.con = duckdb.connect()
        pricing.install(self.con)
        self._rates: dict[tuple[str, str, date], float] = {}
        self._paid: dict[tuple[str, str, date], bool] = {}

    def _ask(self, macro: str, asks: list[tuple[str, str, date]]) -> list[tuple]:
        """(text, category, day, macro(text, category, day)) for each ask, in one query."""
        columns = [list(column) for column in zip(*asks, strict=True)]
        return self.con.execute(
            f"SELECT a, c, d, {macro}(a, c, d) FROM (SELECT unnest(?) AS a, unnest(?) AS c, "
            "unnest(?::DATE[]) AS d)", columns).fetchall()

    def prepare(self, rates: set[tuple[str, str, date]],
                conversations: set[tuple[str, str, date]]) -> None:
        """Look up every (market, category, day) rate and (type, category, day) rule."""
        if asks := sorted(rates - self._rates.keys()):
            self._rates.update({(m, c, d): float(r or 0.0)
                                for m, c, d, r in self._ask("rate_in_force", asks)})
        if asks := sorted(conversations - self._paid.keys()):
            self._paid.update({(t, c, d): bool(p)
                               for t, c, d, p in self._ask("is_paid_conversation", asks)})

    def rate(self, market: str, category: str, day: date) -> float:
        return self._rates[(market, category, day)]

    def paid_conversation(self, kind: str, category: str, day: date) -> bool:
        return self._paid[(kind, category, day)]


def _day(epoch_day: int) -> date:
    return date.fromordinal(epoch_day + EPOCH_ORDINAL)


class MetaAnalytics:
    """Per-day analytics counters of one tenant."""

    def __init__(self, profile: Profile, clock: LocalClock) -> None:
        self.profile, self.clock = profile, clock
        self.phones = profile.tenant.phone_numbers
        # (day, phone index, country, pricing type, category) -> messages
        self.pmp: dict[tuple, int] = {}
        # (day, phone index, country, type, direction, category) -> conversations
        self.cbp: dict[tuple, int] = {}
        self._pending = ArrivalQueue()
        self._open_until: dict[int, float] = {}  # contact × category -> conversation end
        self._free_tier_used: dict[str, int] = {}

    def deliveries(self, sends: Sends, outcomes: Outcomes, country: np.ndarray) -> None:
        """Count templates reaching the phone (delivered, or read without `delivered`)."""
        arrived = np.where(np.isnan(outcomes.delivered), outcomes.read, outcomes.delivered)
        index = np.flatnonzero(~np.isnan(arrived))
        day = self.clock.epoch_day(arrived[index])
        pmp = day >= PMP_EPOCH_DAY
        self._count_messages(day[pmp], sends.take(index[pmp]), country[index[pmp]])
        cbp = index[~pmp]
        self._pending.push(arrived[cbp], day=day[~pmp], contact=sends.recipient[cbp],
                           category=sends.category[cbp], phone=sends.phone[cbp],
                           country=country[cbp])

    def _count_messages(self, day: np.ndarray, sends: Sends, country: np.ndarray) -> None:
        if not len(day):
            return
        # One integer per (day, phone, country, free, category), counted with np.unique.
        first = int(day.min())
        shape = (int(day.max()) - first + 1, len(self.phones), len(COUNTRIES), 2,
                 len(CATEGORIES))
        key = np.ravel_multi_index((day - first, sends.phone, country,
                                    sends.free_service.astype(np.int64), sends.category), shape)
        unique, counts = np.unique(key, return_counts=True)
        columns = np.stack(np.unravel_index(unique, shape), 1).tolist()
        for (d, phone, c, free, category), n in zip(columns, counts.tolist(), strict=True):
            kind = "FREE_CUSTOMER_SERVICE" if free else "REGULAR"
            entry = (_day(first + d), phone, COUNTRIES[c], kind, CATEGORIES[category])
            self.pmp[entry] = self.pmp.get(entry, 0) + n

    def settle(self, bound: float) -> None:
        """Open conversations for the pending deliveries that arrived before `bound`, in
        arrival order: a delivery opens one unless the recipient has an open conversation
        of that category (24 h from the delivery that opened it)."""
        ready = self._pending.pop_before(bound)
        if not ready:
            return
        keys = (ready["contact"] * len(CATEGORIES) + ready["category"]).tolist()
        for arrived, key, day, phone, country, category in zip(
                ready["arrival"].tolist(), keys, ready["day"].tolist(), ready["phone"].tolist(),
                ready["country"].tolist(), ready["category"].tolist(), strict=True):
            until = self._open_until.get(key)
            if until is None or until <= arrived:
                self._open_until[key] = arrived + CONVERSATION_S
                entry = (_day(day), phone, COUNTRIES[country], "REGULAR",
                         "BUSINESS_INITIATED", CATEGORIES[category])
                self.cbp[entry] = self.cbp.get(entry, 0) + 1
        # Everything later arrives after `bound`: expired conversations can be forgotten.
        self._open_until = {k: v for k, v in self._open_until.items() if v > bound}

    def service(self, day: date, conversations: int, free_entry: int) -> None:
        """A day of user-initiated (service) traffic on the last phone number."""
        phone = len(self.phones) - 1
        if day >= PMP_START:
            messages = conversations * SERVICE_MESSAGES_PER_CONVERSATION
            fep = free_entry * SERVICE_MESSAGES_PER_CONVERSATION
            for kind, n in (("FREE_CUSTOMER_SERVICE", messages - fep), ("FREE_ENTRY_POINT", fep)):
                if n:
                    self.pmp[(day, phone, "BR", kind, "service")] = n
            return
        month = day.strftime("%Y-%m")
        regular = conversations - free_entry
        if day < SERVICE_FREE_FROM:
            used = self._free_tier_used.get(month, 0)
            free = min(regular, FREE_TIER_CONVERSATIONS - used)
            self._free_tier_used[month] = used + free
            if free:
                self.cbp[(day, phone, "BR", "FREE_TIER", "USER_INITIATED", "service")] = free
            regular -= free
        for kind, n in (("REGULAR", regular), ("FREE_ENTRY_POINT", free_entry)):
            if n:
                self.cbp[(day, phone, "BR", kind, "USER_INITIATED", "service")] = n

    # ---------------------------------------------------------------------------------------
    # Files

    def _point(self, day: date, phone: PhoneNumber, country: str) -> dict:
        timezone = self.profile.tenant.timezone
        start = int(local_day_start(day, timezone).timestamp())
        end = int(local_day_start(day + timedelta(days=1), timezone).timestamp())
        digits = "".join(c for c in phone.display_phone_number if c.isdigit())
        return {"start": start, "end": end, "phone_number": digits, "country": country}

    def _tier_update(self, day: date, phone: PhoneNumber, country: str, category: str) -> dict:
        """Meta's account_update of the day a month's volume passed the first tier: the next
        tier, reached (the demo says) at the local noon of that day."""
        reached = int(local_day_start(day, self.profile.tenant.timezone).timestamp()) + 43200
        return {"object": "whatsapp_business_account", "entry": [{
            "id": phone.waba_id, "time": reached, "changes": [{
                "field": "account_update",
                "value": {"event": "VOLUME_BASED_PRICING_TIER_UPDATE", "volume_tier_info": {
                    "effective_month": day.strftime("%Y-%m"),
                    "pricing_category": category.upper(),
                    "region": REGIONS.get(country, "OTHER"), "tier": f"{TIER_VOLUME}:",
                    "tier_update_time": reached}}}]}]}

    def _sorted(self, counters: dict[tuple, int]) -> list[tuple[tuple, int]]:
        return sorted(counters.items(), key=lambda kv: (
            kv[0][0], self.phones[kv[0][1]].phone_number_id, *kv[0][2:]))

    def write(self, folder: Path, prices: MetaPrices) -> None:
        """One JSON file per kind, WABA and month, as Meta's Graph API returns them."""
        prices.prepare(
            {(market_of_country(c), cat, d) for d, _, c, *_, cat in [*self.cbp, *self.pmp]},
            {(kind, cat, d) for d, _, _, kind, _, cat in self.cbp})
        files: dict[tuple[str, str, str], list[dict]] = {}
        for (day, phone, country, kind, direction, category), n in self._sorted(self.cbp):
            point = self._point(day, self.phones[phone], country) | {
                "conversation": n, "conversation_type": kind,
                "conversation_direction": direction,
                "conversation_category": category.upper()}
            if not self.profile.provider_billed:
                paid = prices.paid_conversation(kind, category, day)
                rate = prices.rate(market_of_country(country), category, day)
                point["cost"] = round(n * rate, 4) if paid else 0.0
            files.setdefault(("conversation_analytics", self.phones[phone].waba_id,
                              day.strftime("%Y-%m")), []).append(point)
        tier_volume: dict[tuple, int] = {}
        tier_updates: dict[str, list[dict]] = {}  # month -> account_update bodies
        for (day, phone, country, kind, category), n in self._sorted(self.pmp):
            number = self.phones[phone]
            point = self._point(day, number, country) | {
                "pricing_type": kind, "pricing_category": category.upper(), "volume": n}
            points = [point]
            if kind == "REGULAR" and category != "service":
                rate = prices.rate(market_of_country(country), category, day)
                tier = (number.waba_id, day.strftime("%Y-%m"), category, country)
                before = tier_volume.get(tier, 0)
                tier_volume[tier] = before + n
                point["cost"] = n * rate
                if category in ("utility", "authentication"):
                    # As Meta does, the day a month passes the tier has a point in each tier:
                    # the messages up to the mark at the first tier's rate, the rest at the
                    # next. `2000:` as the demo has always written it (Meta's next tier would
                    # start at 2001): a point's tier is part of its key, and a warehouse an
                    # earlier demo filled would keep both spellings and count days twice.
                    discounted = max(0, before + n - max(before, TIER_VOLUME))
                    at_list = n - discounted
                    point |= {"volume": at_list, "cost": at_list * rate,
                              "tier": f"0:{TIER_VOLUME}"}
                    upper = point | {"volume": discounted, "tier": f"{TIER_VOLUME}:",
                                     "cost": discounted * rate * (1 - TIER_DISCOUNT)}
                    points = [p for p in (point, upper) if p["volume"]]
                    if before < TIER_VOLUME <= before + n and day >= TIER_UPDATES_FROM:
                        tier_updates.setdefault(day.strftime("%Y-%m"), []).append(
                            self._tier_update(day, number, country, category))
            else:
                point["cost"] = 0.0
            for p in points:
                p["cost"] = round(p["cost"], 4)
            files.setdefault(("pricing_analytics", number.waba_id, day.strftime("%Y-%m")),
                             []).extend(points)
        for month, bodies in sorted(tier_updates.items()):
            out = folder / "whatsapp_webhooks"
            out.mkdir(parents=True, exist_ok=True)
            (out / f"account_updates_{month}.jsonl").write_text(
                "".join(json.dumps(b) + "\n" for b in bodies), encoding="utf-8")
        for (kind, waba, month), points in sorted(files.items()):
            out = folder / kind
            out.mkdir(parents=True, exist_ok=True)
            body = {kind: {"data": [{"data_points": points}]}, "id": waba}
            (out / f"{waba}_{month}.json").write_text(json.dumps(body, indent=1),
                                                      encoding="utf-8")
