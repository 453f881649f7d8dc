"""The two-proportion comparison, worked out by hand and cross-checked with scipy; the minimum
detectable difference, send-hour rates, button clicks and the opt-out trend by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from reportlib.domain.metrics import (
    best_hours,
    button_clicks,
    compare_proportions,
    minimum_detectable_difference,
    opt_out_trend,
    rate,
    send_hour_rates,
)


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


def test_minimum_detectable_difference_by_hand():
    # 80 % power, 5 % two-sided: z = 1.959964 + 0.841621 = 2.801585.
    # p = 0.5, 100 and 100: sqrt(0.25 * (1/100 + 1/100)) = 0.0707107 -> 0.198101.
    assert minimum_detectable_difference(0.5, 100, 100) == pytest.approx(0.198101, abs=1e-6)
    # Four times the sample halves it.
    assert minimum_detectable_difference(0.5, 400, 400) == pytest.approx(0.0990505, abs=1e-6)
    # Unequal groups: p = 0.2, 100 and 300: sqrt(0.16 * (0.01 + 0.003333)) = 0.0461880
    # -> 0.129399.
    assert minimum_detectable_difference(0.2, 100, 300) == pytest.approx(0.129399, abs=1e-6)
    assert minimum_detectable_difference(0.5, 0, 10) is None


def test_send_hour_rates_and_best_hours():
    rows = ([{"send_hour": 9, "final_status": "read", "replied_24h": True}] * 30
            + [{"send_hour": 9, "final_status": "delivered", "replied_24h": False}] * 70
            + [{"send_hour": 9, "final_status": "failed", "replied_24h": False}] * 50
            + [{"send_hour": 16, "final_status": "read", "replied_24h": False}] * 80
            + [{"send_hour": 16, "final_status": "delivered", "replied_24h": False}] * 20
            + [{"send_hour": 22, "final_status": "read", "replied_24h": True}] * 5)
    hours = send_hour_rates(pd.DataFrame(rows), min_volume=100).set_index("hour")
    # 9h: 100 received, 30 read, 30 replied; 16h: 100 received, 80 read, 0 replied;
    # 22h: 5 received: too few.
    assert hours.loc[9, ["received", "read", "replied"]].tolist() == [100, 30, 30]
    assert (hours.loc[9, "read_rate"], hours.loc[9, "reply_rate"]) == (0.30, 0.30)
    assert (hours.loc[16, "read_rate"], hours.loc[16, "reply_rate"]) == (0.80, 0.0)
    assert not hours.loc[22, "enough"] and pd.isna(hours.loc[22, "read_rate"])
    frame = hours.reset_index()
    assert best_hours(frame, "read_rate") == [16, 9]
    assert best_hours(frame, "reply_rate") == [9, 16]


def test_button_clicks_and_opt_out_trend_by_hand():
    week1, week2 = date(2026, 10, 5), date(2026, 10, 12)

    def msg(template, final, buttons=(), recipient="+1", week=week1, opted=False, code=None):
        return {"template_name": template, "final_status": final, "buttons": list(buttons),
                "recipient": recipient, "send_week": week, "opted_out_7d": opted,
                "error_code": code}

    messages = pd.DataFrame([
        msg("t1", "read", ["Sim"], "+1", opted=True), msg("t1", "delivered", ["Sim", "Não"]),
        msg("t1", "delivered"), msg("t1", "read", [], "+1", opted=True),
        msg("t1", "failed", code=131050), msg("t1", "sent", ["Sim"]),  # not received
        msg("t1", "read", week=week2), msg("t2", "read", ["Ok"])])
    clicks = {(r.template_name, r.button_text): (r.clicks, r.delivered, r.ctr)
              for r in button_clicks(messages).itertuples()}
    # t1 received: 5 (4 in week 1, 1 in week 2); "Sim" on 2 of them (the "sent" message's
    # click is not over a received one), "Não" on 1; t2: 1 of 1.
    assert clicks == {("t1", "Sim"): (2, 5, 0.4), ("t1", "Não"): (1, 5, 0.2),
                      ("t2", "Ok"): (1, 1, 1.0)}
    trend = {(r.template_name, r.week): (r.audience, r.received, r.opted_out, r.failed_131050,
                                         r.opt_out_rate)
             for r in opt_out_trend(messages).itertuples()}
    # t1 week 1: 6 messages, 4 received, recipient +1 opted out (twice: one recipient), one
    # 131050 failure; rate 1/4.
    assert trend[("t1", week1)] == (6, 4, 1, 1, 0.25)
    assert trend[("t1", week2)] == (1, 1, 0, 0, 0.0)
    assert trend[("t2", week1)] == (1, 1, 0, 0, 0.0)


def test_opt_out_trend_is_not_available_where_preferences_are_unknown():
    # Two received messages of one template and week whose opt-out is unknown (NULL): the
    # opt-outs and their rate are None, not 0; one 131050 failure is still counted.
    rows = pd.DataFrame([
        {"template_name": "t", "send_week": "2026-10-05", "final_status": "read",
         "recipient": "+1", "opted_out_7d": None, "error_code": None},
        {"template_name": "t", "send_week": "2026-10-05", "final_status": "delivered",
         "recipient": "+2", "opted_out_7d": None, "error_code": None},
        {"template_name": "t", "send_week": "2026-10-05", "final_status": "failed",
         "recipient": "+3", "opted_out_7d": None, "error_code": 131050}])
    row = opt_out_trend(rows).iloc[0]
    assert (row.received, row.failed_131050) == (2, 1)
    assert row.opted_out is None and row.opt_out_rate is None
    known = rows.assign(opted_out_7d=[True, False, False])
    row = opt_out_trend(known).iloc[0]
    assert (row.opted_out, row.opt_out_rate) == (1, 0.5)
