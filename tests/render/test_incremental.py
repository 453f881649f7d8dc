"""Incremental runs: a report whose inputs did not change is not rendered again (its files and
manifest stay byte-identical); a changed source row re-renders only the reports it feeds, of
its tenant; --force renders everything."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest

from reportlib import demo, ingest
from tests.conftest import REPO
from tests.test_cli import hashes

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow

PERIOD, AS_OF = "2026-11", "2026-11-20"


def run(site, *extra: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "reportlib.cli", "run", "--all-tenants", "--period", PERIOD,
         "--report", "consumption", "--report", "chatbots", "--as-of", AS_OF, "--jobs", "2",
         *extra], cwd=site, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    return sorted(line for line in result.stdout.splitlines() if not line.startswith("index"))


def test_unchanged_reports_are_not_rendered_again(tmp_path):
    demo.generate(tmp_path / "sources", tmp_path / "params", date(2026, 11, 20), tenants=2,
                  months=1, scale=0.2)
    ingest.ingest(tmp_path / "sources", tmp_path / "warehouse.duckdb", tmp_path / "params")
    first = run(tmp_path)
    assert all(line.endswith(": ok") for line in first) and len(first) == 4
    before = hashes(tmp_path / "outputs")

    second = run(tmp_path)
    assert all(": unchanged (" in line for line in second) and len(second) == 4
    assert hashes(tmp_path / "outputs") == before  # files, manifests and the index

    # One more bot message for the first tenant: its chatbots report is rendered again; its
    # consumption report and the other tenant's reports are not.
    extra = tmp_path / "sources" / "varejo_sul" / "bot_messages" / "extra.csv"
    extra.write_text("MessageId,BotId,UserIdentity,Direction,StorageDate\n"
                     "bm-extra-1,varejo-sac,+5511999990001,received,2026-11-10T12:00:00-03:00\n",
                     encoding="utf-8")
    ingest.ingest(tmp_path / "sources", tmp_path / "warehouse.duckdb", tmp_path / "params")
    third = run(tmp_path)
    assert [line for line in third if line.endswith(": ok")] == [
        "varejo_sul 2026-11 chatbots: ok"]
    assert len([line for line in third if ": unchanged (" in line]) == 3

    forced = run(tmp_path, "--force")
    assert all(line.endswith(": ok") for line in forced) and len(forced) == 4
