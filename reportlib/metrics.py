"""Pure metric functions: rates with their denominators, the two-proportion comparison.

Frames in, numbers or frames out; no I/O, no global state. Definitions: docs/metrics.md, "Campaign
metrics".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
