"""Reconciliation of our delivered templates and cost with Meta's analytics: which differences
pass the tolerance, and the causes that explain the others (docs/metrics.md, "Reconciliation").

Pure functions on the `consumption_reconciliation` mart (one row per tenant-local day x template
category); the SQL has already counted every row, so what is left here is arithmetic on a few
dozen rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

# The tolerance (docs/metrics.md): a difference of at most 5 messages, or of at most 1 % of
# Meta's volume, whichever is larger, is no difference; for cost, 5 messages at the row's rate
# or 1 % of Meta's cost (US$ 0.05 when the row has no rate).
TOLERANCE_MESSAGES = 5
TOLERANCE_USD = 0.05
TOLERANCE_SHARE = 0.01
# Meta's analytics and late statuses still change the last days before the as-of date: a
# difference on them is "not final yet" *(assumed: 3 days)*.
NOT_FINAL_DAYS = 3

# Causes, in the order they are tried (each a part of Meta's figure minus ours).
CAUSES = ("not_final", "day_boundary", "outside_coverage", "category_mismatch",
          "category_unknown", "free_classification", "meta_rates")
# Our messages whose category no source names (the platform's event log without one, and no
# pricing in their webhooks): the timeline calls it `unknown`. Meta bills each in a category of
# its own, so they are compared in their day's total only (cause `category_unknown`).
UNKNOWN = "unknown"


@dataclass
class Difference:
    """One day x category whose figures differ beyond the tolerance."""

    day: date
    category: str
    ours: float
    meta: float
    causes: dict[str, float] = field(default_factory=dict)  # cause -> part of the difference
    unexplained: float = 0.0

    @property
    def difference(self) -> float:
        return self.meta - self.ours

    @property
    def explained(self) -> bool:
        return self.unexplained == 0


def tolerance(meta: float, unit: str = "messages", rate: float | None = None) -> float:
    """The largest difference that is no difference, for Meta's figure `meta`; for cost
    (`unit="usd"`), `rate` is the row's rate per paid message."""
    if unit == "messages":
        floor = TOLERANCE_MESSAGES
    else:
        floor = TOLERANCE_MESSAGES * rate if rate else TOLERANCE_USD
    return max(floor, TOLERANCE_SHARE * abs(meta))


def final_before(as_of: date) -> date:
    """The first day whose figures may still change: days from it on are not final."""
    return as_of - timedelta(days=NOT_FINAL_DAYS)


def _explain(difference: float, parts: dict[str, float], allowed: float) -> tuple[dict, float]:
    """The causes with a part in the difference, and what they leave unexplained (0 when the
    rest is within the tolerance)."""
    causes = {cause: part for cause, part in parts.items() if part}
    rest = difference - sum(causes.values())
    return causes, (0.0 if abs(rest) <= allowed else rest)


def _volume_parts(row) -> dict[str, float]:
    """The parts of a final day's message difference the causes account for (but the
    messages of unknown category, `unknown_shares`)."""
    return {"day_boundary": float(row.delivered_on_meta_day - row.delivered),
            "outside_coverage": float(row.outside_coverage),
            "category_mismatch": float(row.billed_here - row.billed_away)}


def unknown_shares(df: pd.DataFrame, as_of: date) -> dict[tuple[date, str], float]:
    """Our messages of unknown category on a final day, given to the day's categories in which
    Meta counts more than we do (after the other causes), as many as that excess and as are
    left; the unknown row's share is minus what was given, so that what no category took
    stays unexplained there (a real gap in the day's total)."""
    not_final_from = final_before(as_of)
    pool = {_day(r.day): float(r.delivered) for r in df.itertuples()
            if r.category == UNKNOWN and pd.notna(r.meta_volume)
            and _day(r.day) < not_final_from}
    shares: dict[tuple[date, str], float] = {}
    for row in df.itertuples():
        day = _day(row.day)
        if row.category == UNKNOWN or day not in pool or pd.isna(row.meta_volume):
            continue
        rest = float(row.meta_volume) - float(row.delivered) - sum(_volume_parts(row).values())
        take = min(max(rest, 0.0), pool[day])
        if take:
            shares[(day, row.category)] = take
            pool[day] -= take
            shares[(day, UNKNOWN)] = shares.get((day, UNKNOWN), 0.0) - take
    return shares


def volume_differences(df: pd.DataFrame, as_of: date) -> list[Difference]:
    """Days x categories whose delivered messages differ from Meta's volume beyond the
    tolerance, each with its causes. Rows without Meta's figure are left out (not available,
    see `not_available`)."""
    found = []
    not_final_from = final_before(as_of)
    shares = unknown_shares(df, as_of)
    for row in df.itertuples():
        if pd.isna(row.meta_volume):
            continue
        meta, ours = float(row.meta_volume), float(row.delivered)
        allowed = tolerance(meta)
        if abs(meta - ours) <= allowed:
            continue
        if _day(row.day) >= not_final_from:
            parts = {"not_final": meta - ours}
        elif row.category == UNKNOWN:  # Meta has no such category: what other rows took
            parts = {"category_unknown": shares.get((_day(row.day), UNKNOWN), 0.0)}
        else:
            parts = {**_volume_parts(row),
                     "category_unknown": shares.get((_day(row.day), row.category), 0.0)}
        causes, unexplained = _explain(meta - ours, parts, allowed)
        found.append(Difference(_day(row.day), row.category, ours, meta, causes, unexplained))
    return found


def cost_differences(df: pd.DataFrame, as_of: date) -> list[Difference]:
    """Days x categories whose cost (ours: our paid messages at the rate card) differs from
    Meta's beyond the tolerance. Meta's cost minus ours splits in two: Meta's own rates (its
    cost minus its paid volume at the card) and the paid messages counted differently (its
    paid volume at the card minus our cost). The second part is explained as far as the paid
    count difference is (the volume causes, and free vs paid classification); the rest of it,
    in the same proportion, is unexplained."""
    found = []
    not_final_from = final_before(as_of)
    shares = unknown_shares(df, as_of)
    for row in df.itertuples():
        if pd.isna(row.meta_cost_usd) or bool(row.meta_cost_missing) \
                or pd.isna(row.our_cost_usd):  # a message of ours has no rate
            continue
        meta, ours = float(row.meta_cost_usd), float(row.our_cost_usd)
        allowed = tolerance(meta, "usd", _rate(row))
        if abs(meta - ours) <= allowed:
            continue
        if _day(row.day) >= not_final_from:
            parts = {"not_final": meta - ours}
        elif pd.isna(row.meta_paid_at_card_usd):
            # Meta's paid volume has no market (no `country`): the split between Meta's own
            # rates and the paid count is not available, so no cause can be given a part.
            parts = {}
        else:
            rates = meta - float(row.meta_paid_at_card_usd)
            counted = float(row.meta_paid_at_card_usd) - ours
            paid_difference = float(row.meta_paid - row.our_paid)
            # The paid count difference, by cause: the volume causes, and free vs paid (Meta
            # freed fewer than we did: more paid on its side).
            count_parts = {
                **_volume_parts(row),
                "category_unknown": shares.get((_day(row.day), row.category), 0.0),
                "free_classification": float(row.our_free - row.meta_free)}
            per_message = counted / paid_difference if paid_difference else 0.0
            parts = {cause: round(n * per_message, 6) for cause, n in count_parts.items()}
            if not paid_difference:
                parts = {}
            parts["meta_rates"] = round(rates, 6)
        causes, unexplained = _explain(meta - ours, parts, allowed)
        found.append(Difference(_day(row.day), row.category, ours, meta, causes, unexplained))
    return found


def not_available(df: pd.DataFrame) -> pd.DataFrame:
    """Rows with our delivered messages but no figure of Meta's (its analytics have no point
    on that day): not available, never a difference against zero."""
    return df[df["meta_volume"].isna() & (df["delivered"] > 0)]


def by_category(df: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The period per category: our delivered and Meta's volume (on the days Meta reports),
    the difference, how much of it is explained and how much is not; and the same for cost."""
    volume = volume_differences(df, as_of)
    cost = cost_differences(df, as_of)
    rows = []
    for category in sorted(set(df["category"])):
        rows_of = df[df["category"] == category]
        reported = rows_of[rows_of["meta_volume"].notna()]
        costed = reported[~reported["meta_cost_missing"].astype(bool)
                          & reported["our_cost_usd"].notna()]
        rows.append({
            "category": category,
            "delivered": int(reported["delivered"].sum()),
            "delivered_without_meta": int(rows_of.loc[rows_of["meta_volume"].isna(),
                                                      "delivered"].sum()),
            "meta_volume": int(reported["meta_volume"].sum()) if len(reported) else None,
            "unexplained_volume": sum(d.unexplained for d in volume if d.category == category),
            "differences": sum(1 for d in volume if d.category == category),
            "unexplained_days": sum(1 for d in volume
                                    if d.category == category and not d.explained),
            "our_cost_usd": float(costed["our_cost_usd"].sum()) if len(costed) else None,
            "meta_cost_usd": float(costed["meta_cost_usd"].sum()) if len(costed) else None,
            "unexplained_cost_usd": sum(d.unexplained for d in cost if d.category == category),
        })
    return pd.DataFrame(rows)


def _day(value) -> date:
    return value.date() if hasattr(value, "date") else value


def _rate(row) -> float | None:
    """The row's card rate per paid message: Meta's paid volume at the card, else our cost."""
    if row.meta_paid and pd.notna(row.meta_paid_at_card_usd) and row.meta_paid_at_card_usd:
        return float(row.meta_paid_at_card_usd) / float(row.meta_paid)
    if row.our_paid and pd.notna(row.our_cost_usd) and row.our_cost_usd:
        return float(row.our_cost_usd) / float(row.our_paid)
    return None
