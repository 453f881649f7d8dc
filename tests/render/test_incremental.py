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


def test_a_report_whose_rows_did_not_change_is_skipped_before_its_bundle_is_built(
        tmp_path, monkeypatch):
    """The run compares each tenant's rows (their fingerprint) with those its reports were
    rendered from before building anything: a re-run builds no bundle; a new row of one tenant
    builds that tenant's bundle only; a row of another month changes no figure of this one,
    so its report stays as it was and the next run builds nothing again."""
    from reportlib.render import runner

    demo.generate(tmp_path / "sources", tmp_path / "params", date(2026, 11, 20), tenants=2,
                  months=1, scale=0.1)
    wh = tmp_path / "warehouse.duckdb"
    ingest.ingest(tmp_path / "sources", wh, tmp_path / "params")
    built: list[str] = []
    real_prepare = runner.prepare

    def prepare(scope, **kwargs):
        built.append(scope.tenant.tenant_id)
        return real_prepare(scope, **kwargs)

    monkeypatch.setattr(runner, "prepare", prepare)

    def again() -> list[str]:
        built.clear()
        results = runner.run(["varejo_sul", "banco_aurora"], [PERIOD], ["chatbots"],
                             date(2026, 11, 20), wh, tmp_path / "params", tmp_path / "out",
                             workers=1)
        return sorted(f"{r.tenant} {r.status}" for r in results)

    assert again() == ["banco_aurora ok", "varejo_sul ok"]
    assert sorted(built) == ["banco_aurora", "varejo_sul"]
    before = hashes(tmp_path / "out")
    assert again() == ["banco_aurora unchanged", "varejo_sul unchanged"] and built == []
    assert hashes(tmp_path / "out") == before

    # A bot message of varejo_sul in November: its bundle is built, its report rendered.
    extra = tmp_path / "sources" / "varejo_sul" / "bot_messages" / "extra.csv"
    extra.write_text("MessageId,BotId,UserIdentity,Direction,StorageDate\n"
                     "bm-extra-1,varejo-sac,+5511999990001,received,2026-11-10T12:00:00-03:00\n",
                     encoding="utf-8")
    ingest.ingest(tmp_path / "sources", wh, tmp_path / "params")
    assert again() == ["banco_aurora unchanged", "varejo_sul ok"] and built == ["varejo_sul"]

    # One in December: the bundle is built and found equal, so nothing is rendered; the
    # manifest remembers the new rows and the next run builds nothing.
    extra.write_text(extra.read_text(encoding="utf-8") +
                     "bm-extra-2,varejo-sac,+5511999990001,received,2026-12-10T12:00:00-03:00\n",
                     encoding="utf-8")
    ingest.ingest(tmp_path / "sources", wh, tmp_path / "params")
    assert again() == ["banco_aurora unchanged", "varejo_sul unchanged"]
    assert built == ["varejo_sul"]
    assert again() == ["banco_aurora unchanged", "varejo_sul unchanged"] and built == []


def test_a_new_name_of_a_bot_renders_its_report_again(tmp_path):
    # A bot's name (params `bots:`) changes no row of the warehouse: the report is rendered
    # again because the name reaches it through the bundle's info, which its input hash holds.
    demo.generate(tmp_path / "sources", tmp_path / "params", date(2026, 11, 20), tenants=1,
                  months=1, scale=0.1)
    ingest.ingest(tmp_path / "sources", tmp_path / "warehouse.duckdb", tmp_path / "params")
    assert run(tmp_path) == ["varejo_sul 2026-11 chatbots: ok",
                             "varejo_sul 2026-11 consumption: ok"]
    page = tmp_path / "outputs" / "varejo_sul" / PERIOD / "chatbots.html"
    assert ">SAC<" in page.read_text(encoding="utf-8")
    params = tmp_path / "params" / "tenants" / "varejo_sul.yaml"
    params.write_text(params.read_text(encoding="utf-8").replace(
        "varejo-sac: SAC", "varejo-sac: Central de atendimento"), encoding="utf-8")
    # ... and only that report: the consumption report shows no bot name.
    assert run(tmp_path) == ["varejo_sul 2026-11 chatbots: ok",
                             "varejo_sul 2026-11 consumption: unchanged (its inputs are as when "
                             "it was last rendered; --force renders it again)"]
    html = page.read_text(encoding="utf-8")
    assert ">Central de atendimento<" in html and ">SAC<" not in html


def test_a_setting_one_report_shows_is_read_by_that_report_alone():
    """The input hash leaves a report's name maps (bots, events) out of the other reports'
    hashes; that holds only while no other report's code reads them."""
    from reportlib.render.runner import INFO_OF_ONE_REPORT

    code = {path: path.read_text(encoding="utf-8") for folder in ("reports", "look", "render")
            for path in (REPO / "reportlib" / folder).rglob("*") if path.suffix in (
                ".py", ".ipynb", ".sql")}
    code[REPO / "reportlib" / "notebook.py"] = (REPO / "reportlib" / "notebook.py").read_text(
        encoding="utf-8")
    for key, report in INFO_OF_ONE_REPORT.items():
        readers = sorted(str(p.relative_to(REPO)) for p, text in code.items()
                         if key in text and p.name != "runner.py")
        assert readers and all(f"reports/{report}/" in r for r in readers), (key, readers)
