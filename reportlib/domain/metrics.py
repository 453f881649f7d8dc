"""Pure metric functions: rates with their denominators, the two-proportion comparison and its
minimum detectable difference, campaign engagement by send hour, button and opt-out tables.

Frames in, numbers or frames out; no I/O, no global state. Definitions: docs/metrics.md, "Metrics
of the campaigns report".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import pandas as pd

Z_95 = 1.959963984540054


def rate(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is zero (shown as "–")."""
    return numerator / denominator if denominator else None


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


@dataclass(frozen=True)
class Comparison:
    """B against A on one rate: difference (B − A) with a 95 % interval and a two-sided
    two-proportion z-test (pooled standard error for the test, unpooled for the interval)."""

    successes_a: int
    total_a: int
    successes_b: int
    total_b: int
    rate_a: float
    rate_b: float
    difference: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05


def compare_proportions(successes_a: int, total_a: int, successes_b: int,
                        total_b: int) -> Comparison | None:
    """None when either group is empty."""
    if total_a <= 0 or total_b <= 0:
        return None
    p_a, p_b = successes_a / total_a, successes_b / total_b
    difference = p_b - p_a
    se = math.sqrt(p_a * (1 - p_a) / total_a + p_b * (1 - p_b) / total_b)
    pooled = (successes_a + successes_b) / (total_a + total_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
    z = difference / se_pooled if se_pooled else 0.0
    p_value = 2 * (1 - normal_cdf(abs(z))) if se_pooled else 1.0
    return Comparison(successes_a, total_a, successes_b, total_b, p_a, p_b, difference,
                      difference - Z_95 * se, difference + Z_95 * se, z, p_value)


# -- A/B tests: the smallest difference a pair can tell apart -------------------------------
POWER = 0.8
ALPHA = 0.05


def minimum_detectable_difference(base_rate: float, total_a: int, total_b: int,
                                  alpha: float = ALPHA, power: float = POWER) -> float | None:
    """The smallest difference between two proportions that a two-sided two-proportion z-test
    at level `alpha` detects with probability `power`, at these group sizes, around
    `base_rate` (the pooled rate of the pair): (z_{1−α/2} + z_{power}) ·
    √(p(1−p)(1/n_A + 1/n_B)). None when either group is empty."""
    if total_a <= 0 or total_b <= 0:
        return None
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return z * math.sqrt(base_rate * (1 - base_rate) * (1 / total_a + 1 / total_b))


# -- campaign messages (mart campaign_messages) -> per hour, button, template-week ----------
MIN_HOUR_VOLUME = 100  # received messages an hour needs before its rates are shown


def send_hour_rates(messages: pd.DataFrame, min_volume: int = MIN_HOUR_VOLUME) -> pd.DataFrame:
    """Per tenant-local send hour (0–23) with at least one received message: received, read,
    replied (within 24 h), and read rate = read / received, reply rate = replied / received;
    the rates are None ("too few") when the hour has fewer than `min_volume` received."""
    received = messages[messages["final_status"].isin(["delivered", "read"])]
    rows = []
    for hour, group in received.groupby("send_hour", sort=True):
        n = len(group)
        read = int((group["final_status"] == "read").sum())
        replied = int(group["replied_24h"].astype(bool).sum())
        enough = n >= min_volume
        rows.append({"hour": int(hour), "received": n, "read": read, "replied": replied,
                     "enough": enough, "read_rate": read / n if enough else None,
                     "reply_rate": replied / n if enough else None})
    return pd.DataFrame(rows, columns=["hour", "received", "read", "replied", "enough",
                                       "read_rate", "reply_rate"])


MIN_SLOT_VOLUME = 30  # received messages a weekday x hour cell needs for its read rate


def send_slot_rates(messages: pd.DataFrame, min_volume: int = MIN_SLOT_VOLUME) -> pd.DataFrame:
    """Per tenant-local send weekday (1 = Monday) and hour with at least one received
    message: received, read, and read rate = read / received, None ("too few") below
    `min_volume` received. Counted in DuckDB over the messages frame."""
    import duckdb

    columns = ["weekday", "hour", "received", "read", "read_rate"]
    if messages.empty:
        return pd.DataFrame(columns=columns)
    con = duckdb.connect()
    try:
        con.register("messages", messages[["send_weekday", "send_hour", "final_status"]])
        return con.execute(
            "SELECT send_weekday::INT AS weekday, send_hour::INT AS hour, "
            "count(*) AS received, count(*) FILTER (WHERE final_status = 'read') AS read, "
            "CASE WHEN count(*) >= ? THEN (count(*) FILTER (WHERE final_status = 'read'))"
            "::DOUBLE / count(*) END AS read_rate "
            "FROM messages WHERE final_status IN ('delivered', 'read') "
            "GROUP BY ALL ORDER BY weekday, hour", [min_volume]).df()[columns]
    finally:
        con.close()


def best_slot(slots: pd.DataFrame) -> tuple[int, int, float] | None:
    """(weekday, hour, read rate) of the highest read rate among cells with enough volume;
    ties: the earlier weekday, then the earlier hour. None when no cell has enough."""
    shown = slots.dropna(subset=["read_rate"]).sort_values(
        ["read_rate", "weekday", "hour"], ascending=[False, True, True])
    if shown.empty:
        return None
    top = shown.iloc[0]
    return int(top["weekday"]), int(top["hour"]), float(top["read_rate"])


def best_hours(hours: pd.DataFrame, measure: str = "read_rate", count: int = 3) -> list[int]:
    """The hours with the highest rate among those with enough volume (ties: earlier hour)."""
    shown = hours[hours["enough"]].sort_values([measure, "hour"], ascending=[False, True])
    return [int(h) for h in shown["hour"].head(count)]


def button_clicks(messages: pd.DataFrame) -> pd.DataFrame:
    """Per template and quick-reply button text: clicks = received messages of the template on
    which the recipient clicked that button (once per message), delivered = received messages
    of the template, click-through rate = clicks / delivered."""
    received = messages[messages["final_status"].isin(["delivered", "read"])]
    delivered = received.groupby("template_name", dropna=False).size()
    clicks = received[["template_name", "buttons"]].explode("buttons") \
        .dropna(subset=["buttons"]).rename(columns={"buttons": "button_text"})
    out = clicks.groupby(["template_name", "button_text"], dropna=False).size() \
        .rename("clicks").reset_index()
    out["delivered"] = [int(delivered.get(t, 0)) for t in out["template_name"]]
    out["ctr"] = out["clicks"] / out["delivered"]
    return out.sort_values(["template_name", "clicks", "button_text"],
                           ascending=[True, False, True]).reset_index(drop=True)


def opt_out_trend(messages: pd.DataFrame) -> pd.DataFrame:
    """Per template and week of the send (Monday, tenant's zone): audience (messages),
    received, opted_out = distinct recipients of received messages who stopped marketing
    messages within 7 days of the send, failed_131050 = messages that failed with 131050 (the
    user had already stopped marketing messages), opt-out rate = opted_out / received.
    opted_out and its rate are None (not available) where `opted_out_7d` is unknown (NULL:
    the tenant's webhooks carry no marketing preferences)."""
    rows = []
    for (template, week), g in messages.groupby(["template_name", "send_week"], sort=True,
                                                dropna=False):
        received = int(g["final_status"].isin(["delivered", "read"]).sum())
        known = g["opted_out_7d"].notna()
        flags = g["opted_out_7d"].where(known, False).astype(bool)
        opted = int(g.loc[flags, "recipient"].nunique()) if known.any() else None
        rows.append({"template_name": template, "week": week, "audience": len(g),
                     "received": received, "opted_out": opted,
                     # failed as the report counts failures (final status failed): a
                     # failure webhook after the delivery receipt leaves a message delivered
                     "failed_131050": int(((g["final_status"] == "failed")
                                           & (g["error_code"] == 131050)).sum()),
                     "opt_out_rate": rate(opted, received) if opted is not None else None})
    return pd.DataFrame(rows, columns=["template_name", "week", "audience", "received",
                                       "opted_out", "failed_131050", "opt_out_rate"])
