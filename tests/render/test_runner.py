"""The same jobs through the process pool and through a Dask LocalCluster give the same
figures; the bundle travels to the worker, the files come back."""

from __future__ import annotations

import json
from datetime import date

import pytest

from reportlib.render import runner
from tests.conftest import utc
from tests.deliver.test_extract import warehouse  # noqa: F401  (the fixture: acme and beta rows)
from tests.full_disk import needs_tmpfs, on_small_disk

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


BIG_OUTPUT = 'import os\nif os.environ.get("BIG_OUTPUT_FOR") == tenant:\n    print("x" * 3_000_000)'


@needs_tmpfs
@pytest.mark.parametrize("stops", ["bundle", "notebook"])
def test_a_full_disk_fails_the_report_it_stops_and_the_others_are_published(
        tmp_path, warehouse, params_dir, stops):  # noqa: F811
    """Two tenants rendered again into an outputs folder on a disk with room for one of them,
    full while publishing beta's 3 MB notebook, or while building beta's bundle (--jobs 1
    builds them in the command): the run stopped at the first write that failed ('reportlib
    run: error: the disk is full: could not write a file', or the bundle's file), saying
    nothing of each report, leaving out of the history and the index what it had published,
    and the half-written file behind. Now that report alone fails, its line naming the file,
    its last good files and manifest as they were; the other is published, indexed and
    recorded; nothing temporary is left; exit 1. The disk is a real tmpfs
    (tests/full_disk.py)."""
    import hashlib
    import os
    import subprocess
    import sys

    import duckdb
    import nbformat
    import yaml

    from tests.conftest import REPO

    notebook = nbformat.read(str(REPO / "examples" / "message_digest.ipynb"), as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(BIG_OUTPUT))
    nbformat.write(notebook, str(tmp_path / "digest.ipynb"))
    entry = yaml.safe_load((REPO / "examples" / "reports.yaml").read_text("utf-8"))
    entry["reports"]["message_digest"]["notebook"] = str(tmp_path / "digest.ipynb")
    (params_dir / "reports.yaml").write_text(yaml.safe_dump(entry), "utf-8")
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "reportlib.cli", "run", "--tenant", "acme", "--tenant",
            "beta", "--period", "2026-10", "--as-of", "2026-11-20", "--report",
            "message_digest", "--warehouse", str(warehouse), "--params", str(params_dir),
            "--outputs", str(out), "--jobs", "1", "--force"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr

    def files(folder) -> dict[str, str]:
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    def kib(path) -> int:
        return -(-path.stat().st_size // 4096) * 4

    before = files(out)
    first_manifest = (out / "beta" / "2026-10" / "manifest.json").read_text("utf-8")
    used = sum(kib(p) for p in out.rglob("*") if p.is_file())
    # Room for one bundle more (acme's, built first: it has more rows), or for both and
    # acme's report, never for beta's 3 MB notebook.
    bundles = sum(kib(p) for p in out.glob("*/2026-10/bundle.duckdb"))
    room = bundles // 2 + 256 if stops == "bundle" else bundles + 1536
    done = on_small_disk(out, f"{used + room}k", argv, env={**env, "BIG_OUTPUT_FOR": "beta"})
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stdout.splitlines()
    assert lines[0] == "acme 2026-10 message_digest: ok"
    if stops == "bundle":
        assert lines[1].startswith(
            "beta 2026-10 message_digest: FAILED: the disk is full: could not write "
            f"{out}/.staging/beta/2026-10/.bundle-")
    else:
        assert lines[1] == (
            "beta 2026-10 message_digest: FAILED: nothing of it was published: the disk is "
            f"full: could not write {out}/beta/2026-10/message_digest.ipynb; free some space "
            "on that disk and run again")
    assert "Traceback" not in done.stderr and "error" not in done.stderr, done.stderr
    after = files(out)
    assert {k: v for k, v in after.items() if k.startswith("beta/") and "manifest" not in k} \
        == {k: v for k, v in before.items() if k.startswith("beta/") and "manifest" not in k}
    was, now = (json.loads(text)["reports"]["message_digest"] for text in (
        first_manifest, (out / "beta" / "2026-10" / "manifest.json").read_text("utf-8")))
    assert now["status"] == "failed" and now["last_good"]["files"] == was["files"]
    assert after["acme/2026-10/manifest.json"] != before["acme/2026-10/manifest.json"]
    assert after["index.html"] != before["index.html"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or "staging" in p.name]
    con = duckdb.connect(str(warehouse), read_only=True)
    runs = con.execute("SELECT tenant_id, status FROM run_history").fetchall()
    con.close()
    assert sorted(runs) == [("acme", "ok"), ("acme", "ok"), ("beta", "failed"), ("beta", "ok")]


@needs_tmpfs
def test_an_index_the_disk_has_no_room_for_is_said_after_every_report(
        tmp_path, warehouse, params_dir):  # noqa: F811
    """A site of 2,500 tenant-periods (a 4 MB index) whose disk has room for a report
    rendered again but not for the new index: the run ended with 'the disk is full: could not
    write a file', no report's line, and the half-written index behind. Now each report is
    said, then the index ('index not updated: the disk is full: could not write
    …/index.html'), exit 1; the old index stays whole, nothing temporary is left."""
    import hashlib
    import os
    import shutil
    import subprocess
    import sys

    import yaml

    from tests.conftest import REPO

    entry = yaml.safe_load((REPO / "examples" / "reports.yaml").read_text("utf-8"))
    entry["reports"]["message_digest"]["notebook"] = str(REPO / "examples" /
                                                         "message_digest.ipynb")
    (params_dir / "reports.yaml").write_text(yaml.safe_dump(entry), "utf-8")
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "reportlib.cli", "run", "--tenant", "acme", "--period",
            "2026-10", "--as-of", "2026-11-20", "--report", "message_digest", "--warehouse",
            str(warehouse), "--params", str(params_dir), "--outputs", str(out), "--jobs", "1",
            "--force"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    for n in range(2500):  # other tenants' periods, as the index lists them
        folder = out / f"t{n:04d}" / "2026-10"
        folder.mkdir(parents=True)
        shutil.copy(out / "acme" / "2026-10" / "manifest.json", folder / "manifest.json")
    index = hashlib.sha256((out / "index.html").read_bytes()).hexdigest()
    used = sum(-(-p.stat().st_size // 4096) * 4 for p in out.rglob("*") if p.is_file())
    bundle = (out / "acme" / "2026-10" / "bundle.duckdb").stat().st_size // 1024
    done = on_small_disk(out, f"{used + bundle + 512}k", argv, env=env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout.splitlines() == ["acme 2026-10 message_digest: ok"]
    assert done.stderr.splitlines()[-1] == (
        f"reportlib run: error: index not updated: the disk is full: could not write "
        f"{out}/index.html; free some space on that disk and run again")
    assert hashlib.sha256((out / "index.html").read_bytes()).hexdigest() == index
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or "staging" in p.name]


SLOW = 'import os, time\nif os.environ.get("SLOW_FOR") == tenant:\n    time.sleep(120)'


def test_a_run_stopped_part_way_says_indexes_and_records_what_it_published(
        tmp_path, warehouse, params_dir):  # noqa: F811
    """SIGTERM (a service stopped) while beta's report renders, acme's published: the command
    said 'terminated' alone, wrote no index (the first run: none at all) and recorded no
    history, though acme's files and manifest were published. Now acme's line comes before
    the stop's, the index lists it and `history` says it; beta's folder holds nothing."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import nbformat
    import yaml

    from reportlib.warehouse import history
    from tests.conftest import REPO

    notebook = nbformat.read(str(REPO / "examples" / "message_digest.ipynb"), as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(SLOW))
    nbformat.write(notebook, str(tmp_path / "digest.ipynb"))
    entry = yaml.safe_load((REPO / "examples" / "reports.yaml").read_text("utf-8"))
    entry["reports"]["message_digest"]["notebook"] = str(tmp_path / "digest.ipynb")
    (params_dir / "reports.yaml").write_text(yaml.safe_dump(entry), "utf-8")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "reportlib.cli", "run", "--tenant", "acme", "--tenant", "beta",
         "--period", "2026-10", "--as-of", "2026-11-20", "--report", "message_digest",
         "--warehouse", str(warehouse), "--params", str(params_dir), "--outputs", str(out),
         "--jobs", "1"],
        env={**os.environ, "PYTHONPATH": str(REPO), "SLOW_FOR": "beta"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    manifest = out / "acme" / "2026-10" / "manifest.json"
    deadline = time.monotonic() + 120
    while not manifest.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    time.sleep(1)  # beta's bundle is built and its notebook sleeps
    process.send_signal(signal.SIGTERM)
    out_text, err = process.communicate(timeout=60)
    assert process.returncode == 143, (out_text, err)
    assert out_text.splitlines() == ["acme 2026-10 message_digest: ok"]
    assert err.splitlines()[-1] == "reportlib run: terminated"
    index = (out / "index.html").read_text("utf-8")
    assert "acme/2026-10/message_digest.html" in index
    assert "beta/2026-10/message_digest.html" not in index
    assert not (out / "beta" / "2026-10" / "message_digest.html").exists()
    assert [(e.tenant, e.report, e.outcome) for e in history.events(warehouse)] == [
        ("acme", "message_digest", "ok")]
