"""The demo generator is seeded and dated; the notebook runs as it is on the demo warehouse."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from reportlib import demo, ingest
from tests.conftest import REPO


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
    con.close()
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
