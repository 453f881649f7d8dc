"""The demo generator is seeded and dated; the notebook runs as it is on the demo warehouse."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from reportlib import demo, ingest, params
from tests.conftest import REPO

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_and_date_give_the_same_files(tmp_path):
    kwargs = dict(as_of=date(2026, 11, 20), seed=3, tenants=2, scale=0.05, months=1)
    demo.generate(tmp_path / "a" / "sources", tmp_path / "a" / "params", **kwargs)
    demo.generate(tmp_path / "b" / "sources", tmp_path / "b" / "params", **kwargs)
    first, second = tree_digest(tmp_path / "a"), tree_digest(tmp_path / "b")
    assert first == second and len(first) > 8
    demo.generate(tmp_path / "c" / "sources", None, **{**kwargs, "seed": 4})
    assert tree_digest(tmp_path / "c" / "sources") != tree_digest(tmp_path / "a" / "sources")


def test_the_year_before_is_the_same_calendar_months_a_year_earlier():
    from reportlib.demo import YEAR_BEFORE_VOLUME, Span, demo_spans

    own = Span(date(2026, 9, 1), date(2026, 11, 20))
    assert demo_spans(date(2026, 11, 20), 3, False) == [own]
    # Whole months: November 2025 to its last day, though November 2026 stops at as-of.
    assert demo_spans(date(2026, 11, 20), 3, True) == [
        own, Span(date(2025, 9, 1), date(2025, 12, 1), YEAR_BEFORE_VOLUME)]
    # As-of on the 1st: the demo has no day of November 2026, so none of November 2025.
    assert demo_spans(date(2026, 11, 1), 3, True)[1] == Span(date(2025, 9, 1),
                                                              date(2025, 11, 1), 0.85)
    # 13 months already hold November 2025: the year before is the 12 months before them.
    assert demo_spans(date(2026, 11, 20), 13, True)[1] == Span(date(2024, 11, 1),
                                                               date(2025, 11, 1), 0.85)


def test_the_year_before_gives_the_chatbots_report_a_change_on_a_year(tmp_path):
    """With `year_before`, every kind of file of the demo's months is also written a year
    earlier, at a lower volume, with ids of their own; the demo's months are the same files as
    without it; no other month has a file (not even the window a user opened the evening
    before a span); and a demo month's chatbots report compares with the same days a year
    before."""
    import csv
    import re

    import duckdb

    from reportlib.domain import calendar
    from reportlib.marts import bundle
    from reportlib.marts.bundle import Bundle
    from reportlib.reports.chatbots import ChatbotsReport

    kwargs = dict(as_of=date(2026, 11, 20), tenants=1, scale=0.1, months=2)
    demo.generate(tmp_path / "own", None, **kwargs)
    counts = demo.generate(tmp_path / "sources", tmp_path / "params", year_before=True,
                           **kwargs)
    tenant = tmp_path / "sources" / "varejo_sul"
    found = {(p.parent.name, re.search(r"\d{4}-\d{2}", p.name)[0])
             for p in tenant.rglob("*_20??-??.*")}
    kinds = {kind for kind, _ in found}
    assert len(kinds) == 8  # every month file the demo writes (and campaigns.csv)
    months = ("2025-10", "2025-11", "2026-10", "2026-11")
    assert found == {(kind, m) for kind in kinds for m in months}  # none in the months between
    own = tree_digest(tmp_path / "own" / "varejo_sul")
    assert {k: v for k, v in tree_digest(tenant).items() if "_2026-" in k} == {
        k: v for k, v in own.items() if "_2026-" in k}

    def rows(kind: str, month: str) -> list[dict]:
        with open(tenant / kind / f"{kind}_{month}.csv", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    assert len(rows("notifications", "2025-10")) < len(rows("notifications", "2026-10"))
    for kind, key in (("tickets", "TicketId"), ("ticket_messages", "MessageId"),
                      ("bot_messages", "MessageId")):
        ids = [r[key] for m in months for r in rows(kind, m)]
        assert len(ids) == len(set(ids)), kind

    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", tmp_path / "params")
    assert not [r for r in results if r.failed]
    assert sum(r.rows_rejected for r in results) == 2  # the two malformed rows, once
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT count(DISTINCT message_id) FROM notifications").fetchone()[0] \
        == counts["varejo_sul"]
    con.close()

    def report(period: str) -> ChatbotsReport:
        out = tmp_path / f"{period}.duckdb"
        bundle.build(tmp_path / "wh.duckdb", params.load_tenant(tmp_path / "params",
                                                                "varejo_sul"),
                     calendar.parse_period(period), date(2026, 11, 20), out, ("chatbots",))
        return ChatbotsReport(Bundle.open(out), "pt-BR")

    november = report("2026-11")
    f = november.figures()
    assert (f["span"], f["year_span"]) == ("2026-11-01..2026-11-19", "2025-11-01..2025-11-19")
    assert f["year_available"] is True
    assert all(isinstance(f[f"{c}_change_year"], float) for c in ("mau", "meu", "msgs"))
    sentence = november.monthly().prose[2]
    assert re.fullmatch(
        r"Em comparação com os mesmos dias um ano antes \(1º a 19 de novembro de 2026 "
        r"contra 1º a 19 de novembro de 2025\): MAU [+-]?\d+,\d%, "
        r"MEU [+-]?\d+,\d%, MSGs [+-]?\d+,\d%\.", sentence), sentence
    # October 2026 against the whole of September 2026, which the demo does not cover (the
    # months between the two spans): not available, never a change against 0.
    f = report("2026-10").figures()
    assert f["previous_available"] is False and f["mau_change"] is None
    assert f["year_available"] is True and f["year_span"] == "2025-10-01..2025-10-31"


def test_months_across_july_2025_give_both_pricing_eras(tmp_path):
    demo.generate(tmp_path / "sources", tmp_path / "params", as_of=date(2025, 8, 5), tenants=1,
                  scale=0.05, months=3)
    tenant = tmp_path / "sources" / "varejo_sul"
    cbp = sorted(p.name for p in (tenant / "conversation_analytics").glob("*.json"))
    pmp = sorted(p.name for p in (tenant / "pricing_analytics").glob("*.json"))
    assert cbp == ["200000000000001_2025-06.json"]
    assert pmp == ["200000000000001_2025-07.json", "200000000000001_2025-08.json"]
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", tmp_path / "params")
    assert not [r for r in results if r.failed]
    body = json.loads((tenant / "conversation_analytics" / cbp[0]).read_text())
    points = body["conversation_analytics"]["data"][0]["data_points"]
    assert {p["conversation_type"] for p in points} >= {"REGULAR", "FREE_ENTRY_POINT"}


def test_demo_looks_like_real_traffic(tmp_path):
    demo.generate(tmp_path / "sources", tmp_path / "params", tenants=3, scale=0.1, months=1)
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", tmp_path / "params")
    assert not [r for r in results if r.failed]
    import duckdb

    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    shares = dict(con.execute(
        "SELECT final_status, count(*) / sum(count(*)) OVER () FROM message_timeline "
        "GROUP BY ALL").fetchall())
    top_error = con.execute("SELECT error_code FROM message_timeline WHERE final_status = "
                            "'failed' GROUP BY ALL ORDER BY count(*) DESC LIMIT 1").fetchall()
    duplicates = con.execute("SELECT count(*) FROM ingest_log").fetchall()
    read_without_delivered = con.execute(
        "SELECT count(*) FROM message_timeline WHERE read_at IS NOT NULL AND delivered_at IS "
        "NULL").fetchall()[0][0]
    # Meta's marketing limit and the user's marketing opt-out only ever fail marketing.
    opt_out_categories = {row[0] for row in con.execute(
        "SELECT DISTINCT category FROM message_timeline "
        "WHERE error_code IN (131049, 131050)").fetchall()}
    # Agents and campaign authors are addresses a reader sees: the company's domain, not the
    # tenant's id.
    addresses = {row[0] for row in con.execute(
        "SELECT agent_identity FROM tickets WHERE agent_identity IS NOT NULL UNION "
        "SELECT created_by FROM campaigns WHERE created_by IS NOT NULL").fetchall()}
    # The English tenant's own names are English: its reader saw queues "Vendas", tags
    # "boleto", campaigns "Limite pré-aprovado", a number "Faturas", "agente1@" and the
    # button "Quero saber mais".
    words = {locale: {row[0] for row in con.execute(
        "SELECT DISTINCT w FROM (SELECT team AS w, t.tenant_id FROM tickets t UNION ALL "
        "SELECT unnest(string_split(tags, '|')), tenant_id FROM tickets UNION ALL "
        "SELECT pause_reason, tenant_id FROM agent_status UNION ALL "
        "SELECT campaign_name, tenant_id FROM campaigns UNION ALL "
        "SELECT split_part(agent_identity, '@', 1), tenant_id FROM tickets UNION ALL "
        "SELECT button_text, tenant_id FROM inbound_messages) "
        "WHERE w <> '' AND tenant_id = ?", [tenant]).fetchall()}
        for locale, tenant in (("pt-BR", "varejo_sul"), ("en", "banco_aurora"))}
    con.close()
    assert {"Sales", "invoice", "Lunch", "agent1", "Tell me more"} <= words["en"]
    assert [w for w in words["en"] if w.startswith("Statement ready #")]
    assert {"Vendas", "boleto", "Almoço", "agente1", "Quero saber mais"} <= words["pt-BR"]
    portuguese = {"Vendas", "Suporte", "Financeiro", "duvida", "pedido", "boleto", "troca",
                  "entrega", "cadastro", "Almoço", "Café", "agente1", "Quero saber mais"}
    assert not words["en"] & portuguese
    assert not [w for w in words["en"] if set(w) & set("ãõçáéíóúâêôà")]
    assert [p.label for p in params.load_tenant(tmp_path / "params", "banco_aurora")
            .phone_numbers] == ["Tokens", "Statements"]
    assert opt_out_categories == {"marketing"}
    assert "agente1@varejosul.example" in addresses
    assert not [a for a in addresses if "_" in a]
    # one company, one domain: its report recipients' (params) and its agents' alike
    assert {a.split("@")[1] for a in addresses} == {
        "varejosul.example", "aurora.example", "conecta.example"}
    assert 0.02 < shares["failed"] < 0.12
    assert 0.5 < shares["read"] < 0.9
    assert top_error == [(131026,)]
    assert read_without_delivered > 0
    assert duplicates[0][0] >= 12
    assert {p.name for p in (tmp_path / "params" / "tenants").iterdir()} == {
        "varejo_sul.yaml", "banco_aurora.yaml", "conecta_servicos.yaml"}


def test_notebook_runs_with_nbmake_on_the_demo_defaults(tmp_path):
    demo.generate(tmp_path / "sources", tmp_path / "params", tenants=1, scale=0.1, months=2)
    ingest.ingest(tmp_path / "sources", tmp_path / "warehouse.duckdb", tmp_path / "params")
    env = {**os.environ, "REPORTLIB_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
           "REPORTLIB_PARAMS": str(tmp_path / "params")}
    from reportlib.render import kernel_name

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbmake",
         f"--nbmake-kernel={kernel_name()}", str(REPO / "notebooks")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "6 passed" in done.stdout


def test_tenants_beyond_the_three_profiles_are_distinct_tenants(tmp_path):
    counts = demo.generate(tmp_path / "sources", tmp_path / "params", tenants=5, scale=0.05,
                           months=1)
    assert list(counts) == ["varejo_sul", "banco_aurora", "conecta_servicos", "varejo_sul_4",
                            "banco_aurora_5"]
    assert all(n > 0 for n in counts.values())
    tenants = [params.load_tenant(tmp_path / "params", t) for t in counts]
    phones = [p for t in tenants for p in t.phone_numbers]
    for values in ([p.phone_number_id for p in phones], [p.display_phone_number for p in phones],
                   [b for t in tenants for b in t.bots]):
        assert len(values) == len(set(values))
    assert len({p.waba_id for p in phones}) == len(tenants)
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", tmp_path / "params")
    assert not [r for r in results if r.failed]
    # Only the two malformed rows each retailer's export has on purpose.
    rejected = {r.tenant: r.rows_rejected for r in results if r.rows_rejected}
    assert rejected == {"varejo_sul": 2, "varejo_sul_4": 2}


def test_the_demo_tenants_name_their_bots_and_events_in_their_language(tmp_path):
    # The demo's reports showed slugs (varejo-router, menu/open, opcao_1): each demo tenant's
    # params name every bot and every event value the demo writes, in the tenant's language,
    # copies of a profile (varejo_sul_4) too.
    from reportlib.demo.desk import FUNNEL
    from reportlib.demo.profiles import tenant_profile

    for number in range(4):
        params.dump_tenant(tmp_path, tenant_profile(number).tenant)
        tenant = params.load_tenant(tmp_path, tenant_profile(number).tenant.tenant_id)
        assert set(tenant.bot_names) == set(tenant.bots)
        names = tenant.event_names
        assert {c for c, _ in FUNNEL} <= set(names["categories"])
        assert {a for _, a in FUNNEL} <= set(names["actions"])
        assert {f"opcao_{i}" for i in range(1, 5)} <= set(names["labels"])
    varejo = params.load_tenant(tmp_path, "varejo_sul")
    aurora = params.load_tenant(tmp_path, "banco_aurora")
    assert varejo.bot_names["varejo-router"] == "Triagem"
    assert varejo.event_names["actions"]["option_selected"] == "Opção escolhida"
    assert aurora.locale == "en" and aurora.bot_names["aurora-atendimento"] == "Customer service"
    assert aurora.event_names["categories"]["menu"] == "Main menu"
    assert aurora.options["funnels"][0]["name"] == "Order from the menu"
    assert params.load_tenant(tmp_path, "varejo_sul_4").bot_names["varejo-router-4"] == "Triagem"


def test_webhook_files_keep_their_quirks(tmp_path):
    demo.generate(tmp_path / "sources", None, tenants=1, scale=0.1, months=1)
    lines = (tmp_path / "sources" / "varejo_sul" / "whatsapp_webhooks" /
             "webhooks_2026-11.jsonl").read_text().splitlines()
    events = [json.loads(line)["entry"][0]["changes"][0]["value"] for line in lines]
    stamps = [int(v["statuses"][0]["timestamp"]) for v in events if "statuses" in v]
    assert stamps != sorted(stamps)  # arrival order, not event order
    assert len(lines) > len(set(lines))  # some events sent twice
    assert any("messages" in v for v in events)  # replies


def test_memory_does_not_grow_with_the_number_of_months(tmp_path):
    import tracemalloc

    peaks = []
    for months in (1, 4):
        tracemalloc.start()
        demo.generate(tmp_path / f"m{months}", None, tenants=1, scale=0.3, months=months)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0], peaks


def test_local_clock_writes_what_datetime_writes_across_a_dst_change():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    import numpy as np

    from reportlib.demo.clock import LocalClock

    zone = "America/Sao_Paulo"  # had daylight saving time until 2019
    clock = LocalClock(zone, date(2018, 10, 1), date(2019, 3, 1))
    instants = np.random.default_rng(1).uniform(
        datetime(2018, 10, 1, tzinfo=UTC).timestamp(), datetime(2019, 3, 1,
                                                                tzinfo=UTC).timestamp(), 2000)
    instants[::10] = np.nan
    local = [None if np.isnan(t) else datetime.fromtimestamp(t, ZoneInfo(zone))
             for t in instants.tolist()]
    expected = {
        "iso-offset": [d.isoformat(timespec="seconds") if d else "" for d in local],
        "dmy-semicolon": [d.strftime("%d/%m/%Y %H:%M:%S") if d else "" for d in local],
        "iso-local": [d.strftime("%Y-%m-%d %H:%M:%S") if d else "" for d in local]}
    for style, texts in expected.items():
        assert clock.text(instants, style) == texts
    assert {t[-6:] for t in expected["iso-offset"] if t} == {"-03:00", "-02:00"}


def test_arrival_queue_releases_in_arrival_order_and_keeps_the_rest():
    import numpy as np

    from reportlib.demo.arrivals import ArrivalQueue

    queue = ArrivalQueue()
    queue.push(np.array([5.0, 1.0, 9.0]), line=np.array(["e", "a", "i"], dtype=object))
    queue.push(np.array([3.0, 7.0]), line=np.array(["c", "g"], dtype=object))
    assert queue.pop_before(6.0)["line"].tolist() == ["a", "c", "e"]
    queue.push(np.array([6.5]), line=np.array(["f"], dtype=object))
    assert queue.pop_before(np.inf)["line"].tolist() == ["f", "g", "i"]
    assert queue.pop_before(np.inf) == {}


def test_the_incident_day_is_the_second_tuesday_before_as_of():
    from reportlib.demo.profiles import limit_incident_day

    assert limit_incident_day(date(2026, 11, 20)) == date(2026, 11, 10)  # a Friday
    assert limit_incident_day(date(2026, 11, 17)) == date(2026, 11, 3)  # a Tuesday: not itself
    assert limit_incident_day(date(2026, 11, 18)) == date(2026, 11, 10)


def test_the_retailers_incident_is_the_one_anomaly_flag_of_its_campaigns(tmp_path):
    """On Tuesday 2026-11-10, 30 % of the retailer's marketing messages that would have been
    delivered fail with 131049 (Meta's per-user marketing limit): its November campaigns
    report carries that one flag, named for its cause; October is quiet."""
    from reportlib.domain import calendar
    from reportlib.marts import bundle
    from reportlib.marts.bundle import Bundle
    from reportlib.reports.campaigns import CampaignsReport

    as_of = date(2026, 11, 20)
    demo.generate(tmp_path / "sources", tmp_path / "params", as_of, tenants=1, months=3)
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", tmp_path / "params")
    tenant = params.load_tenant(tmp_path / "params", "varejo_sul")

    def flags(period: str) -> list[dict]:
        out = tmp_path / f"{period}.duckdb"
        bundle.build(tmp_path / "wh.duckdb", tenant, calendar.parse_period(period), as_of,
                     out, ("campaigns",))
        return CampaignsReport(Bundle.open(out)).flags()

    (flag,) = flags("2026-11")
    assert (flag["day"], flag["metric"], flag["subject"], flag["cause"]) == (
        "2026-11-10", "failure_rate", "131049", "marketing_limit")
    # About 30 % of the day's marketing messages (most of its messages), against ~1.5 %.
    assert 0.15 < flag["value"] < 0.35 and flag["baseline"] < 0.03
    assert flags("2026-10") == []


def test_the_day_a_month_passes_the_volume_tier_has_a_point_in_each_tier(tmp_path, monkeypatch):
    """As in Meta's pricing analytics, a tier holds no more than its range: the day a month's
    utility or authentication volume in a market passes the mark is two points, the messages
    up to the mark at the list rate and the rest in the next tier (a reader saw 2,372 messages
    in "tier 0–2,000"). A mark of 50 so that a small demo passes it."""
    from reportlib.demo import analytics

    monkeypatch.setattr(analytics, "TIER_VOLUME", 50)
    demo.generate(tmp_path / "sources", tmp_path / "params", date(2026, 11, 20), tenants=1,
                  months=1, scale=0.1, year_before=False)
    totals: dict[tuple, dict[str, int]] = {}
    for path in (tmp_path / "sources").glob("*/pricing_analytics/*.json"):
        for point in json.loads(path.read_text())["pricing_analytics"]["data"][0]["data_points"]:
            if "tier" in point:
                key = (path.name, point["pricing_category"], point["country"])
                tiers = totals.setdefault(key, {})
                tiers[point["tier"]] = tiers.get(point["tier"], 0) + point["volume"]
    passed = {key: tiers for key, tiers in totals.items() if "50:" in tiers}
    assert passed, "the demo passes the mark somewhere"
    for tiers in totals.values():
        assert tiers.get("0:50", 0) <= 50
    for tiers in passed.values():
        assert tiers["0:50"] == 50
