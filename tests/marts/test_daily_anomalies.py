"""Anomaly flags per tenant-day (docs/metrics.md, "Anomaly flags"), on a hand-made warehouse.

Tenant beta (UTC, so local days are UTC days). Eight Tuesdays before 10 Nov 2026 (15 Sep ..
3 Nov) each send 300 messages at 12:00, of which 6, 6, 7, 7, 8, 8, 9 and 9 fail with 131049 and
the rest are delivered and read 30 minutes later. On Tuesday 10 Nov the same 300 messages fail
60 times (the spike), 7 times (a quiet day), or the day sends only 100 messages with 20
failures (too small to judge).

Worked by hand, failure rate of 131049:
  baseline values 6,6,7,7,8,8,9,9 / 300 -> median 7.5/300 = 0.025
  deviations |v - 7.5| = 1.5,1.5,0.5,0.5,0.5,0.5,1.5,1.5 -> MAD 1.0/300 = 0.00333
  scale = max(1.4826 x 0.00333 = 0.00494, floor 0.01) = 0.01
  spike: 60/300 = 0.20 -> robust z = (0.20 - 0.025) / 0.01 = 17.5 > 3.5: one flag
  quiet: 7/300 = 0.02333 -> z = -0.167: no flag
  small: 100 messages < 200: not judged
Read rate within 24 h is 100 % every day (z = 0); there is no analytics data, so no cost.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from reportlib import deliver
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from reportlib.reports.campaigns import CampaignsReport
from tests.conftest import BETA

AS_OF = date(2026, 11, 20)
SPIKE_DAY = date(2026, 11, 10)
BASELINE_FAILURES = (6, 6, 7, 7, 8, 8, 9, 9)  # 15 Sep, 22 Sep, ..., 3 Nov


def _send(con, day: date, messages: int, failures: int, start: int) -> None:
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    rows = []
    for n in range(messages):
        failed = n < failures
        rows.append(["beta", f"m{start + n}", None, "api", None, None, "2001",
                     f"+5521999{start + n:06d}", "aviso", "marketing", at, at,
                     None if failed else at + timedelta(minutes=1),
                     None if failed else at + timedelta(minutes=30),
                     at + timedelta(minutes=1) if failed else None,
                     131049 if failed else None, None, "hand-made", n + 1])
    con.executemany("INSERT INTO notifications VALUES (" + ", ".join(["?"] * 19) + ")", rows)


def _warehouse(empty_warehouse, spike_messages: int, spike_failures: int):
    path, con = empty_warehouse
    start = 0
    for weeks, failures in zip(range(8, 0, -1), BASELINE_FAILURES, strict=True):
        _send(con, SPIKE_DAY - timedelta(weeks=weeks), 300, failures, start)
        start += 300
    _send(con, SPIKE_DAY, spike_messages, spike_failures, start)
    con.close()
    return path


def _report(path, tmp_path) -> CampaignsReport:
    out = tmp_path / "bundle.duckdb"
    bundle.build(path, BETA, calendar.parse_period("2026-11"), AS_OF, out, ("campaigns",))
    return CampaignsReport(Bundle.open(out))


def test_a_planted_failure_spike_is_flagged_with_its_likely_cause(empty_warehouse, tmp_path):
    report = _report(_warehouse(empty_warehouse, 300, 60), tmp_path)
    flags = report.flags()
    assert [(f["day"], f["metric"], f["subject"], f["cause"]) for f in flags] == [
        ("2026-11-10", "failure_rate", "131049", "marketing_limit")]
    flag = flags[0]
    assert flag["value"] == pytest.approx(0.2)
    assert flag["baseline"] == pytest.approx(0.025)
    assert flag["robust_z"] == pytest.approx(17.5)
    assert flag["volume"] == 300 and flag["baseline_days"] == 8
    # At the top of the report (its header), naming metric, day, value, baseline and cause.
    header = report.header()
    assert len(header.alerts) == 1
    alert = header.alerts[0]
    assert "November 10, 2026" in alert and "131049" in alert and "20.0%" in alert \
        and "2.5%" in alert and "per-user marketing message limit" in alert
    assert header._repr_html_().index("Alert") < header._repr_html_().index("Data up to")
    # The manifest's list.
    assert report.published_figures()["flags"] == flags


def test_a_quiet_month_has_no_flag(empty_warehouse, tmp_path):
    report = _report(_warehouse(empty_warehouse, 300, 7), tmp_path)
    assert report.flags() == []
    header = report.header()
    assert header.alerts == []
    assert report.published_figures()["flags"] == []
    # November seen on 20 Nov: every send day of it is within 30 days, so statuses may move
    # until 30 Nov + 30 days = 30 Dec; final on 31 Dec. Its header says so, under the badge.
    assert header.badge == "Partial data"
    assert "Provisional: delivery and read statuses of messages sent from November 1, 2026 can " \
        "still change (up to 30 days after each send); the figures are final on December 31, " \
        "2026." in header.lines
    assert not any(line.startswith("Consolidated") for line in header.lines)
    assert report.published_figures()["provisional_until"] == "2026-12-30"


def test_a_small_day_never_flags(empty_warehouse, tmp_path):
    # 20 % failures, but on 100 messages: below the 200-message minimum.
    report = _report(_warehouse(empty_warehouse, 100, 20), tmp_path)
    assert report.flags() == []


def test_the_subject_carries_the_flag(tmp_path):
    import json

    flag = {"day": "2026-11-10", "metric": "failure_rate", "subject": "131049",
            "value": 0.2, "baseline": 0.025, "robust_z": 17.5, "volume": 300,
            "baseline_days": 8, "campaign_messages": 0, "cause": "marketing_limit"}
    base = "Active-message campaigns · Beta · November 2026 · partial"
    assert deliver.subject(BETA, "campaigns", "2026-11", partial=True, flags=[]) == base
    one = deliver.subject(BETA, "campaigns", "2026-11", partial=True, flags=[flag])
    assert one == f"{base} · alert: 131049 failures on 11/10/26"
    two = deliver.subject(BETA, "campaigns", "2026-11", partial=True,
                          flags=[flag, {**flag, "day": "2026-11-11"}])
    assert two == f"{base} · 2 alerts"
    # The message built from a published output reads the flags from its manifest entry.
    out = tmp_path / "beta" / "2026-11"
    out.mkdir(parents=True)
    (out / "campaigns.html").write_text("<html><body><h1>Campaigns</h1></body></html>")
    (out / "campaigns.pdf").write_bytes(b"%PDF-1.4 hand-made")
    (out / "manifest.json").write_text(json.dumps({"reports": {"campaigns": {
        "status": "ok", "figures": {"partial": True}, "flags": [flag]}}}))
    message = deliver.build_message(BETA, "2026-11", "campaigns", out, ["a@b.example"],
                                    "reports@example.com")
    assert message["Subject"] == one


def test_cost_rises_on_campaign_days_share_one_line_at_the_top():
    from reportlib.look.i18n import Formatter
    from reportlib.reports import trust

    def cost(day, value, baseline):
        return {"day": day, "metric": "cost", "subject": None, "value": value,
                "baseline": baseline, "robust_z": 40.0, "volume": value, "baseline_days": 8,
                "campaign_messages": 900, "cause": "campaigns"}

    failure = {"day": "2026-10-20", "metric": "failure_rate", "subject": "132015",
               "value": 0.1, "baseline": 0.0, "robust_z": 10.0, "volume": 400,
               "baseline_days": 8, "campaign_messages": 0, "cause": "template_paused"}
    flags = [cost("2026-10-01", 52.63, 0.59), cost("2026-10-09", 46.10, 0.55),
             cost("2026-10-14", 8.79, 0.65), failure]
    lines = trust.alert_lines(flags, Formatter("en"))
    assert len(lines) == 2
    assert lines[0].startswith("Alert, October 20, 2026: failure rate 132015") and \
        lines[0].endswith("Likely cause: a template paused or disabled for low quality.")
    assert lines[1] == (
        "Alert: the day's cost was above the usual on 3 days with campaigns (Oct 1, Oct 9, "
        "Oct 14); the largest on October 1, 2026: $52.63, against $0.59 on the same weekday of "
        "the previous weeks.")
    # One such day is said on its own.
    assert trust.alert_lines([flags[0]], Formatter("en")) == [
        "Alert, October 1, 2026: the day's cost was $52.63, against $0.59 on the same weekday of "
        "the previous weeks. Likely cause: campaigns sent that day (900 messages)."]
