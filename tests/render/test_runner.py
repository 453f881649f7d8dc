"""The same jobs through the process pool and through a Dask LocalCluster give the same
figures; the bundle travels to the worker, the files come back."""

from __future__ import annotations

import json
from datetime import date

import pytest

from reportlib.render import runner
from tests.conftest import utc

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow


@pytest.fixture
def two_tenant_warehouse(empty_warehouse):
    path, con = empty_warehouse
    for tenant, phone, n in (("acme", "551140000001", 40), ("beta", "552130000002", 7)):
        con.execute(
            "INSERT INTO pricing_daily VALUES (?, 'w', ?, ?, ?, 'BR', 'REGULAR', 'UTILITY', "
            "NULL, ?, NULL, 'hand-made', 'DAILY', "
            "'phone_number,country,pricing_type,pricing_category')",
            [tenant, utc("2026-10-05T03:00:00+00:00"), utc("2026-10-06T03:00:00+00:00"),
             phone, n])
    con.close()
    return path


def figures(outputs):
    return {path.parent.parent.name: json.loads(path.read_text())["reports"]["consumption"]
            ["figures"] for path in outputs.glob("*/*/manifest.json")}


def test_process_pool_and_dask_cluster_agree(tmp_path, two_tenant_warehouse, params_dir):
    from distributed import LocalCluster

    pool = runner.run(["acme", "beta"], ["2026-10"], ["consumption"], date(2026, 11, 20),
                      two_tenant_warehouse, params_dir, tmp_path / "pool", workers=2)
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = runner.run(["acme", "beta"], ["2026-10"], ["consumption"],
                            date(2026, 11, 20), two_tenant_warehouse, params_dir,
                            tmp_path / "dask", dask_address=cluster.scheduler_address)
    assert all(r.status == "ok" for r in pool + remote), [r.error for r in pool + remote]
    local_figures, dask_figures = figures(tmp_path / "pool"), figures(tmp_path / "dask")
    assert local_figures == dask_figures
    assert local_figures["acme"]["paid"] == 40 and local_figures["beta"]["paid"] == 7
    for out in ("pool", "dask"):
        page = tmp_path / out / "acme" / "2026-10" / "consumption.pdf"
        assert page.read_bytes().startswith(b"%PDF")
        manifest = json.loads((tmp_path / out / "acme/2026-10/manifest.json").read_text())
        # The manifest names the published bundle, not a worker's temporary copy.
        assert manifest["reports"]["consumption"]["params"]["bundle"].endswith(
            "acme/2026-10/bundle.duckdb")


def test_a_period_without_data_is_no_data_not_zeros(tmp_path, two_tenant_warehouse,
                                                    params_dir):
    """October has acme's analytics; August has nothing: rendered, marked no_data in the run
    line, the manifest (with its coverage) and the index, and not an error."""
    results = runner.run(["acme"], ["2026-08", "2026-10"], ["consumption"], date(2026, 11, 20),
                         two_tenant_warehouse, params_dir, tmp_path / "out", workers=1)
    by_period = {r.period: r for r in results}
    assert by_period["2026-08"].status == "no_data", by_period["2026-08"].error
    assert by_period["2026-10"].status == "ok", by_period["2026-10"].error
    assert "no data" in by_period["2026-08"].line()
    manifest = json.loads((tmp_path / "out/acme/2026-08/manifest.json").read_text())
    entry = manifest["reports"]["consumption"]
    assert entry["status"] == "no_data"
    assert [c["rows"] for c in entry["coverage"]] == [0, 0]
    october = json.loads((tmp_path / "out/acme/2026-10/manifest.json").read_text())
    coverage = {c["kind"]: c for c in october["reports"]["consumption"]["coverage"]}
    assert coverage["pricing_analytics"]["rows"] == 1
    assert coverage["pricing_analytics"]["first_day"] == "2026-10-05"
    page = (tmp_path / "out/acme/2026-08/consumption.html").read_text()
    assert "Sem dados neste período" in page
    assert "no data" in (tmp_path / "out/index.html").read_text()


@pytest.mark.parametrize(("cores", "workers", "scopes", "threads"), [
    (2, 2, 50, 1),     # two builds at once on two cores: one thread each
    (8, 2, 50, 4),
    (8, 3, 50, 2),
    (2, 4, 50, 1),     # more workers than cores: still one each
    (2, 2, 1, None),   # one tenant-period: its build has every core
    (8, 1, 50, None),  # one worker: one build at a time
])
def test_bundle_builds_share_the_cores_among_those_that_run_at_once(monkeypatch, cores,
                                                                     workers, scopes, threads):
    monkeypatch.setattr(runner.os, "cpu_count", lambda: cores)
    assert runner.bundle_threads(workers, scopes) == threads
    # Built here one after another (one worker, a Dask cluster): each has every core.
    assert runner.bundle_threads(workers, scopes, in_the_pool=False) is None


def test_bundles_are_built_in_the_pool_only_with_workers_and_no_dask_cluster():
    from reportlib.domain import calendar

    scopes = [runner.Scope(None, calendar.parse_period("2026-10"), ("consumption", "campaigns"),
                           "", "")] * 3
    assert runner.builds_in_the_pool(scopes, 2, None)
    assert not runner.builds_in_the_pool(scopes, 2, "tcp://127.0.0.1:8786")
    assert not runner.builds_in_the_pool(scopes, 1, None)
    one_report = runner.Scope(None, calendar.parse_period("2026-10"), ("consumption",), "", "")
    assert not runner.builds_in_the_pool([one_report], 2, None)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_tenant_whose_outputs_cannot_be_written_fails_alone(tmp_path, two_tenant_warehouse,
                                                              params_dir, workers):
    """A tenant's folder of the outputs that cannot be written (another user's, a file where
    the folder should be) ended the whole run: 'unexpected error (NotADirectoryError ...)',
    the other tenants' reports rendered for nothing or left out of the index, no history."""
    from reportlib.warehouse import history

    outputs = tmp_path / "out"
    outputs.mkdir()
    (outputs / "acme").write_text("not a folder")
    results = runner.run(["acme", "beta"], ["2026-10"], ["consumption"], date(2026, 11, 20),
                         two_tenant_warehouse, params_dir, outputs, workers=workers)
    by_tenant = {r.tenant: r for r in results}
    assert by_tenant["beta"].status == "ok"
    assert (outputs / "beta" / "2026-10" / "consumption.pdf").read_bytes().startswith(b"%PDF")
    assert by_tenant["acme"].status == "failed"
    assert by_tenant["acme"].line() == (
        f"acme 2026-10 consumption: FAILED: cannot write in {outputs / 'acme' / '2026-10'} "
        "(Not a directory): nothing of it was published")
    assert (outputs / "acme").read_text() == "not a folder"
    assert "beta" in (outputs / "index.html").read_text()
    assert not (outputs / ".staging").exists()
    assert {(e.tenant, e.outcome) for e in history.events(two_tenant_warehouse)} == {
        ("acme", "failed"), ("beta", "ok")}
