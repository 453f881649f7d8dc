"""Bundles are built by the pool's workers while other workers render: each holds only its
tenant's rows (the same content as a bundle built alone), rendering starts before the last
bundle is built, no writer gets into the warehouse until the last bundle is built, and a bundle
build that outgrows its memory limit fails its tenant-period in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from reportlib import demo, ingest, params
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.render import runner

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow

AS_OF = date(2026, 11, 20)
TENANTS = ("varejo_sul", "banco_aurora")
PERIODS = ("2026-10", "2026-11")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pool")
    demo.generate(root / "sources", root / "params", AS_OF, tenants=2, months=2, scale=0.2)
    ingest.ingest(root / "sources", root / "warehouse.duckdb", root / "params")
    return root


# A writer that waits for the run's first staging folder (the run holds the warehouse by
# then), then tries to open the warehouse for writing every 20 ms; it prints how many tries
# were refused and when (Unix seconds) one got in.
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import duckdb
    warehouse, staging = sys.argv[1], Path(sys.argv[2])
    deadline = time.time() + 300
    while not any(staging.glob('*/*')) and time.time() < deadline:
        time.sleep(0.005)
    refused = 0
    while time.time() < deadline:
        try:
            duckdb.connect(warehouse).close()
            break
        except duckdb.IOException as exc:
            assert 'lock' in str(exc), exc
            refused += 1
            time.sleep(0.02)
    print(refused, time.time(), flush=True)
""")


def test_bundles_built_in_the_pool_hold_their_tenant_and_overlap_rendering(site, tmp_path):
    outputs = tmp_path / "outputs"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(site / "warehouse.duckdb"),
         str(outputs / ".staging")], stdout=subprocess.PIPE, text=True)
    try:
        results = runner.run(list(TENANTS), list(PERIODS), ["consumption"], AS_OF,
                             site / "warehouse.duckdb", site / "params", outputs, workers=2)
    finally:
        out, _ = writer.communicate(timeout=300)
    assert sorted((r.tenant, r.period, r.status) for r in results) == sorted(
        (t, p, "ok") for t in TENANTS for p in PERIODS), [r.error for r in results]
    assert not (outputs / ".staging").exists()

    built_at, started_at = [], []
    for tenant in TENANTS:
        tp = params.load_tenant(site / "params", tenant)
        for period in PERIODS:
            published = outputs / tenant / period / "bundle.duckdb"
            # The same tables, columns and rows as the bundle of that tenant-period built
            # alone, in this process: a worker's bundle holds its tenant's rows and no other.
            alone = tmp_path / "alone" / tenant / period / "bundle.duckdb"
            bundle.build(site / "warehouse.duckdb", tp, calendar.parse_period(period), AS_OF,
                         alone, ("consumption",))
            assert bundle.table_hashes(published) == bundle.table_hashes(alone)
            assert bundle.Bundle.open(published).info["tenant"] == tenant
            # Renaming a bundle into place keeps the time it was last written: when it was
            # built.
            built_at.append(published.stat().st_mtime)
            manifest = json.loads((outputs / tenant / period / "manifest.json").read_text())
            started_at.append(datetime.fromisoformat(
                manifest["reports"]["consumption"]["started_at"]).timestamp())
    # Four bundles, two workers: the first built bundle's report is queued ahead of the third
    # and fourth bundles, so a report was rendering before the last bundle was finished.
    assert min(started_at) < max(built_at)

    # The writer was kept out while bundles were being built, and got in only after the
    # last one was.
    refused, got_in = out.split()
    assert int(refused) >= 1
    assert float(got_in) >= max(built_at)


def test_a_bundle_past_its_memory_limit_fails_in_one_line_and_leaves_nothing(site, tmp_path,
                                                                          monkeypatch):
    """At 20 MB the demo's consumption bundle cannot be built, even spilling (measured: the
    whole bundle of a demo tenant needs more than 100 MB, and its consumption marts more
    than 20 MB); the error names the tenant-period, the limit and the setting, and neither
    the bundle nor its spill folder is left behind."""
    tp = params.load_tenant(site / "params", "varejo_sul")
    out = tmp_path / "b" / "bundle.duckdb"
    with pytest.raises(Exception) as caught:
        bundle.build(site / "warehouse.duckdb", tp, calendar.parse_period("2026-10"), AS_OF,
                     out, ("consumption", "campaigns"), memory_limit="20MB")
    message = str(caught.value)
    assert type(caught.value).__name__ == "ReportError"
    assert message.startswith("bundle of varejo_sul 2026-10: more than its memory limit of "
                              "20MB")
    assert "REPORTLIB_BUNDLE_MEMORY" in message and "\n" not in message
    assert os.listdir(tmp_path / "b") == []
    bundle.build(site / "warehouse.duckdb", tp, calendar.parse_period("2026-10"), AS_OF, out,
                 ("consumption", "campaigns"), memory_limit="1GB")
    assert os.listdir(tmp_path / "b") == ["bundle.duckdb"]  # no spill folder left


def test_a_bundle_built_on_one_thread_holds_what_one_built_on_every_core_holds(site, tmp_path,
                                                                               monkeypatch):
    """A run with several builds at once gives each fewer DuckDB threads
    (`runner.bundle_threads`): the build runs on that many, and the content is the same,
    table by table."""
    seen = []
    take = bundle.tenant_slice.take

    def watched(con, queries):
        seen.append(con.execute("SELECT current_setting('threads')").fetchone()[0])
        return take(con, queries)

    monkeypatch.setattr(bundle.tenant_slice, "take", watched)
    tp = params.load_tenant(site / "params", "varejo_sul")
    period, reports = calendar.parse_period("2026-10"), tuple(runner.reports_of(tp, None))
    one = bundle.build(site / "warehouse.duckdb", tp, period, AS_OF, tmp_path / "1.duckdb",
                       reports, threads=1)
    every = bundle.build(site / "warehouse.duckdb", tp, period, AS_OF, tmp_path / "n.duckdb",
                         reports)
    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    assert seen == [1, default]
    assert len(one) > 20 and one == every


def test_a_failed_bundle_in_the_pool_fails_its_reports_and_the_rest_render(site, tmp_path):
    """A tenant the warehouse does not know: its bundle fails in its worker, its reports are
    failed with the reason, the other tenant's reports render."""
    import dataclasses
    import shutil

    shutil.copytree(site / "params", tmp_path / "params")
    ghost = params.load_tenant(site / "params", TENANTS[1])
    params.dump_tenant(tmp_path / "params", dataclasses.replace(ghost, tenant_id="ghost"))
    results = runner.run([TENANTS[0], "ghost"], ["2026-10"], ["consumption", "chatbots"],
                         AS_OF, site / "warehouse.duckdb", tmp_path / "params",
                         tmp_path / "outputs", workers=2)
    by = {(r.tenant, r.report): r for r in results}
    assert by[(TENANTS[0], "consumption")].status == "ok"
    assert by[(TENANTS[0], "chatbots")].status == "ok"
    for report in ("consumption", "chatbots"):
        assert by[("ghost", report)].status == "failed"
        assert "unknown tenant 'ghost'" in by[("ghost", report)].error
    assert not (tmp_path / "outputs" / ".staging").exists()
    assert not (tmp_path / "outputs" / "ghost" / "2026-10" / "bundle.duckdb").exists()
