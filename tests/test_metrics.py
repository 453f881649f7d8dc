"""The two-proportion comparison, worked out by hand and cross-checked with scipy."""

from __future__ import annotations

import pytest
from scipy.stats import chi2_contingency

from reportlib.metrics import compare_proportions, rate


def test_rate_shows_none_without_denominator():
    assert rate(3, 4) == 0.75 and rate(1, 0) is None


def test_a_real_difference():
    # A: 50 read of 100 received; B: 65 of 100.
    c = compare_proportions(50, 100, 65, 100)
    assert c.difference == pytest.approx(0.15)
    # Pooled p = 115/200 = 0.575; SE = sqrt(0.575 * 0.425 * (1/100 + 1/100)) = 0.0699106
    assert c.z == pytest.approx(0.15 / 0.0699106, rel=1e-5)  # 2.1456
    assert c.p_value == pytest.approx(0.0319, abs=1e-4)
    # CI: SE = sqrt(0.5*0.5/100 + 0.65*0.35/100) = 0.0691014 -> 0.15 -/+ 1.95996 * SE
    assert (c.ci_low, c.ci_high) == (pytest.approx(0.01456, abs=1e-5),
                                     pytest.approx(0.28544, abs=1e-5))
    assert c.significant
    chi2, p, _, _ = chi2_contingency([[50, 50], [65, 35]], correction=False)
    assert c.p_value == pytest.approx(p) and c.z ** 2 == pytest.approx(chi2)


def test_no_difference():
    c = compare_proportions(50, 100, 52, 100)
    assert c.difference == pytest.approx(0.02)
    assert not c.significant and c.ci_low < 0 < c.ci_high
    _, p, _, _ = chi2_contingency([[50, 50], [52, 48]], correction=False)
    assert c.p_value == pytest.approx(p)


def test_empty_group_gives_no_comparison():
    assert compare_proportions(0, 0, 5, 10) is None
