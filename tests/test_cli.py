"""The operator's command, run as an operator runs it (a subprocess): each usage mistake is one
line and exit 2 with nothing written; a busy warehouse is waited for; help teaches; every run
is in the history; a run killed mid-notebook leaves the published outputs as they were."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import yaml

from reportlib import cli, demo, ingest
from reportlib.render import SOCKETS_ROOT
from tests.conftest import REPO

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow

TENANT = "varejo_sul"
PERIOD = "2026-11"
AS_OF = "2026-11-20"


def reportlib(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reportlib.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def hashes(folder: Path) -> dict[str, str]:
    """Every file under `folder` (the index, manifests, reports, bundles) by content."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """One demo tenant, one month, ingested, with its consumption report rendered once."""
    root = tmp_path_factory.mktemp("site")
    demo.generate(root / "sources", root / "params", date(2026, 11, 20), tenants=1, months=1,
                  scale=0.3)
    ingest.ingest(root / "sources", root / "warehouse.duckdb", root / "params")
    done = reportlib("run", "--tenant", TENANT, "--period", PERIOD, "--report", "consumption",
                     "--as-of", AS_OF, "--jobs", "1", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


@pytest.mark.parametrize(("args", "says"), [
    (("--warehouse", "nope.duckdb"), "no warehouse at nope.duckdb: load the sources first"),
    (("--warehouse", "params/tenants/varejo_sul.yaml"), "is not a DuckDB warehouse"),
    (("--report", "nope"), "--report 'nope' is not a report: one of consumption, campaigns"),
    (("--period", "2026-13"), "'2026-13' has no month 13"),
    (("--tenant", "nobody"), "unknown tenant 'nobody'"),
    # A mistyped --params was "unknown tenant 'varejo_sul': no nope/tenants/varejo_sul.yaml".
    (("--params", "nope"), "no params folder at nope: give the right --params"),
    # A period with no complete day before as-of (a typo of the year, a month not begun)
    # would publish reports of nothing.
    (("--period", "2027-01"), "period 2027-01 has no complete day before --as-of 2026-11-20"),
    (("--period", "2026-11-20..2026-11-30"), "has no complete day before --as-of"),
    # An as-of date in the future (a typo of the month or year) made days not lived yet
    # complete, with nothing in them: November's reports "final" with ten empty days.
    (("--as-of", "2099-11-20"), "--as-of 2099-11-20 is after today ("),
    (("--dask", "notanaddress"), "is not a scheduler address (tcp://HOST:PORT)"),
    (("--dask", "tcp://127.0.0.1:9"), "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
    # An --outputs that is a file (or inside one) failed after the bundles were being built,
    # with "unexpected error (FileExistsError ...)" and exit 1.
    (("--outputs", "params/tenants/varejo_sul.yaml"),
     "--outputs params/tenants/varejo_sul.yaml is a file: give a folder"),
    (("--outputs", "params/tenants/varejo_sul.yaml/out"),
     "is inside params/tenants/varejo_sul.yaml, a file: give a folder"),
])
def test_a_usage_mistake_is_one_line_exit_2_and_touches_nothing(site, args, says):
    before = hashes(site / "outputs")
    base = {"--tenant": TENANT, "--period": PERIOD, "--as-of": AS_OF}
    flags = dict(zip(args[::2], args[1::2], strict=True))
    argv = [x for k, v in {**base, **flags}.items() for x in (k, v)]
    result = reportlib("run", *argv, cwd=site)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert hashes(site / "outputs") == before


@pytest.mark.parametrize(("command", "option", "says"), [
    (("run", "--period", PERIOD, "--as-of", AS_OF, "--outputs"), {"funels": []},
     "field options.funels: not an option; did you mean funnels?"),
    (("extract", "--table", "notifications", "--from", "2026-11-01", "--to", "2026-11-19",
      "--out"), {"extract_identities": "plain"},
     "field options.extract_identities: 'plain' is not one of masked, full, both"),
])
def test_a_mistake_under_options_stops_the_command_before_anything_is_written(
        site, tmp_path, command, option, says):
    """A typo under `options:` was ignored (or, for extract_identities, found after the
    checks of the command line); now it is the command's one usage line."""
    shutil.copytree(site / "params", tmp_path / "params")
    path = tmp_path / "params" / "tenants" / f"{TENANT}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**raw, "options": {**raw["options"], **option}}),
                    encoding="utf-8")
    before = hashes(site / "outputs")
    result = reportlib(command[0], "--tenant", TENANT, *command[1:], str(tmp_path / "out"),
                       "--params", str(tmp_path / "params"),
                       "--warehouse", str(site / "warehouse.duckdb"), cwd=site)
    assert result.returncode == 2
    assert result.stderr.strip() == f"reportlib {command[0]}: error: {path}: {says}"
    assert not (tmp_path / "out").exists() and hashes(site / "outputs") == before


def test_an_empty_path_is_a_usage_line_not_the_working_folder(tmp_path, monkeypatch, capsys):
    """`--outputs "$OUT"` with $OUT unset, or `REPORTLIB_OUTPUTS=` in a crontab: the path ""
    was the working folder, and the reports went among the operator's files there."""
    from reportlib import cli

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        cli.main(["run", "--tenant", TENANT, "--period", PERIOD, "--outputs", ""])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "reportlib run: error: argument --outputs: empty: give a path")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("argv", "says"), [
    (["run", "--tenant", "acme", "--period", "2026-10", "--as-of", ""],
     "reportlib run: error: --as-of: '' is not a date (expected YYYY-MM-DD)"),
    (["email", "--tenant", "acme", "--period", "2026-10", "--now", ""],
     "reportlib email: error: --now: '' is not an ISO timestamp"),
    (["schedule", "run-due", "--now", ""],
     "reportlib schedule: error: --now: '' is not an ISO timestamp"),
    (["schedule", "status", "--now", ""],
     "reportlib schedule: error: --now: '' is not an ISO timestamp"),
    (["extract", "--tenant", "acme", "--table", "notifications", "--from", "2026-10-01",
      "--to", "2026-10-02", "--today", ""],
     "reportlib extract: error: --today: '' is not a date (expected YYYY-MM-DD)"),
])
def test_an_empty_date_is_a_usage_line_not_today(tmp_path, params_dir, tiny_warehouse,
                                                 monkeypatch, capsys, argv, says):
    """`--as-of "$AS_OF"` with $AS_OF unset (a cron line, a script): the empty date was taken
    as today's, and the run rendered the reports of another as-of without a word."""
    monkeypatch.chdir(tmp_path)
    before = hashlib.sha256(tiny_warehouse.read_bytes()).hexdigest()
    assert cli.main([*argv, "--params", str(params_dir), "--warehouse", str(tiny_warehouse)]
                    ) == 2
    assert capsys.readouterr().err.strip() == says
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params", "warehouse.duckdb"]
    assert hashlib.sha256(tiny_warehouse.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("argv", [
    ["run", "--tenant", "acme", "--period", "2026-10", "--as-of", "2026-11-20", "--jobs", "0"],
    ["run", "--tenant", "acme", "--period", "2026-10", "--as-of", "2026-11-20", "--jobs", "-3"],
    ["schedule", "run-due", "--now", "2026-11-20T10:00:00+00:00", "--jobs", "0"],
    ["schedule", "run-due", "--dry-run", "--jobs", "-3"],
])
def test_jobs_below_one_is_a_usage_line(tmp_path, params_dir, tiny_warehouse, monkeypatch,
                                        capsys, argv):
    """`schedule run-due --jobs 0` was taken (0 meant the core count, a negative count one
    process) where `run --jobs 0` was a usage line."""
    monkeypatch.chdir(tmp_path)
    (params_dir / "schedule.yaml").write_text("schedules: []\n")
    before = hashlib.sha256(tiny_warehouse.read_bytes()).hexdigest()
    assert cli.main([*argv, "--params", str(params_dir), "--warehouse", str(tiny_warehouse)]
                    ) == 2
    assert capsys.readouterr().err.strip() == (
        f"reportlib {argv[0]}: error: --jobs must be at least 1, not {argv[-1]}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params", "warehouse.duckdb"]
    assert hashlib.sha256(tiny_warehouse.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("command", [
    ["run", "--tenant", "acme", "--period", "2026-10", "--as-of", "2026-11-20"],
    ["schedule", "run-due", "--now", "2026-11-20T10:00:00+00:00"],
])
def test_a_rate_card_mistake_stops_before_the_outputs_folder_is_made(
        tmp_path, params_dir, tiny_warehouse, capsys, command):
    """The edited rate card was read once the run held its outputs folder: the mistake's
    line came with an empty outputs folder made (run), or after the first slot's checks."""
    card = params_dir / "rate_card.csv"
    card.write_text("market,category,effective_from,rate_usd,enabled\n"
                    "Brazil,marketing,2025-07-01,0,0625,true\n")
    (params_dir / "schedule.yaml").write_text(
        "schedules:\n  - {name: x, reports: [consumption], period: month_to_date,\n"
        "     cadence: daily, at: '06:30'}\n")
    assert cli.main([*command, "--jobs", "1", "--params", str(params_dir), "--warehouse",
                     str(tiny_warehouse), "--outputs", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"reportlib {command[0]}: error: {card}: line 2: more cells than the header has "
        "columns (a rate written with a decimal comma? write 0.0625)")
    assert not (tmp_path / "out").exists()


def test_email_from_an_outputs_folder_that_is_not_there_is_a_usage_line(
        tmp_path, params_dir, tiny_warehouse, monkeypatch, capsys):
    """A mistyped --outputs was 'failed: not e-mailed: no report rendered' for each report
    (exit 1), with a delivery attempt's warehouse opened for writing."""
    for name, value in (("HOST", "127.0.0.1"), ("PORT", "2525"), ("SECURITY", "none"),
                        ("FROM", "reports@reportlib.example")):
        monkeypatch.setenv(f"REPORTLIB_SMTP_{name}", value)
    before = hashlib.sha256(tiny_warehouse.read_bytes()).hexdigest()
    assert cli.main(["email", "--tenant", "acme", "--period", "2026-10", "--params",
                     str(params_dir), "--warehouse", str(tiny_warehouse),
                     "--outputs", str(tmp_path / "outptus")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == (
        f"reportlib email: error: no outputs folder at {tmp_path / 'outptus'}: render the "
        "reports first (reportlib run), or give the right --outputs")
    assert hashlib.sha256(tiny_warehouse.read_bytes()).hexdigest() == before


@pytest.mark.parametrize(("stop", "code", "says"), [
    (signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_ctrl_c_while_a_bundle_is_built_here_is_the_runs_one_line(
        tmp_path, params_dir, tiny_warehouse, monkeypatch, capsys, stop, code, says):
    """DuckDB turns a signal that comes during a query into RuntimeError('Query
    interrupted'): Ctrl-C or SIGTERM while `run --jobs 1` built a bundle was 'unexpected
    error (RuntimeError: Query interrupted); the details are in <log>', exit 1."""
    import threading

    import duckdb

    from reportlib.render import runner

    prepare = runner.prepare

    def slow_prepare(*args, **kwargs):
        threading.Timer(0.3, os.kill, (os.getpid(), stop)).start()
        # One thread: DuckDB looks at the signal at once (with more, when a task ends).
        duckdb.connect(config={"threads": 1}).execute(
            "SELECT count(*) FROM range(20000000000) t(i) WHERE i % 7 = 3").fetchall()
        return prepare(*args, **kwargs)

    monkeypatch.setattr(runner, "prepare", slow_prepare)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    assert cli.main(["run", "--tenant", "acme", "--period", "2026-10", "--as-of",
                     "2026-11-20", "--jobs", "1", "--params", str(params_dir), "--warehouse",
                     str(tiny_warehouse), "--outputs", str(tmp_path / "out")]) == code
    out, err = capsys.readouterr()
    assert out == "" and err.strip().splitlines()[-1] == f"reportlib run: {says}"
    assert [p.name for p in tmp_path.glob("reportlib-run-*.log")] == []
    assert [p.relative_to(tmp_path / "out").as_posix()
            for p in (tmp_path / "out").rglob("*")] == []


def test_an_extract_into_a_file_is_a_usage_line(site, tmp_path):
    """`extract --all-tables --out FILE` was "unexpected error (FileExistsError ...)", exit 1."""
    taken = tmp_path / "taken"
    taken.write_text("mine")
    result = reportlib("extract", "--tenant", TENANT, "--all-tables", "--from", "2026-11-01",
                       "--to", "2026-11-19", "--out", str(taken), cwd=site)
    assert result.returncode == 2 and taken.read_text() == "mine"
    assert result.stderr.strip() == (
        f"reportlib extract: error: --out {taken} is a file: give a folder")


@pytest.mark.parametrize(("warehouse", "says"), [
    ("params", "cannot read the warehouse params (Is a directory)"),
    ("params/tenants/varejo_sul.yaml", "params/tenants/varejo_sul.yaml is not a DuckDB warehouse"),
])
def test_ingest_into_what_is_not_a_warehouse_is_a_usage_line(site, warehouse, says):
    """`ingest --warehouse` naming a folder or another file was "unexpected error
    (IOException ...)" with a log, exit 1; now the usage line `run` gives for it, exit 2."""
    before = hashes(site / "params")
    result = reportlib("ingest", "sources", "--warehouse", warehouse, cwd=site)
    assert result.returncode == 2 and hashes(site / "params") == before
    assert result.stderr.strip().startswith(f"reportlib ingest: error: {says}")


def test_ingest_of_an_empty_sources_folder_says_so(site, tmp_path):
    """`reportlib ingest` of an empty folder (most often a mistyped path) printed nothing and
    exited 0; now a usage line, exit 2, and no warehouse made. Tenant folders without files
    are read and the command says that nothing was."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".DS_Store").write_text("")
    result = reportlib("ingest", str(tmp_path / "empty"), "--warehouse",
                       str(tmp_path / "wh.duckdb"), cwd=site)
    assert result.returncode == 2 and not (tmp_path / "wh.duckdb").exists()
    assert result.stderr.strip() == (
        f"reportlib ingest: error: sources: {tmp_path / 'empty'} is empty: it holds a folder "
        "per tenant, each a folder per kind of file (e.g. acme/notifications/2026-10.csv)")
    (tmp_path / "bare" / TENANT / "notifications").mkdir(parents=True)
    result = reportlib("ingest", str(tmp_path / "bare"), "--warehouse",
                       str(tmp_path / "wh.duckdb"), cwd=site)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{tmp_path / 'bare'}: no source files in its tenant folders, nothing read")


def test_a_tenant_period_or_report_given_twice_is_one_job(site):
    """`--tenant T --tenant T --report R --report R` rendered R four times, concurrently into
    the same files, and printed four lines; it is one job now."""
    result = reportlib("run", "--tenant", TENANT, "--tenant", TENANT, "--period", PERIOD,
                       "--period", PERIOD, "--report", "consumption", "--report", "consumption",
                       "--as-of", AS_OF, "--jobs", "2", cwd=site)
    assert result.returncode == 0, result.stderr
    lines = [x for x in result.stdout.splitlines() if x.startswith(TENANT)]
    assert len(lines) == 1 and lines[0].startswith(f"{TENANT} {PERIOD} consumption: ")


def test_all_tenants_with_one_broken_settings_file_runs_the_others(site, tmp_path):
    """One tenant's YAML broken by an edit stopped `run --all-tenants` for every tenant (exit
    2, nothing rendered). That tenant now fails alone, one line a period saying why (exit 1);
    the others are rendered. Named with --tenant, it is still a usage line (exit 2)."""
    import shutil

    params_dir = tmp_path / "params"
    shutil.copytree(site / "params", params_dir)
    (params_dir / "tenants" / "zeta.yaml").write_text("display_name: [Zeta\n")
    result = reportlib("run", "--all-tenants", "--period", PERIOD, "--report", "consumption",
                       "--as-of", AS_OF, "--jobs", "1", "--params", str(params_dir),
                       "--outputs", str(tmp_path / "out"), cwd=site)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert f"{TENANT} {PERIOD} consumption: ok" in lines
    [broken] = [x for x in lines if x.startswith("zeta ")]
    assert broken.startswith(f"zeta {PERIOD}: FAILED: its settings do not load: ")
    assert "zeta.yaml" in broken
    assert (tmp_path / "out" / TENANT / PERIOD / "consumption.pdf").is_file()
    named = reportlib("run", "--tenant", "zeta", "--period", PERIOD, "--as-of", AS_OF,
                      "--params", str(params_dir), "--outputs", str(tmp_path / "out2"),
                      cwd=site)
    assert named.returncode == 2 and not (tmp_path / "out2").exists()


def test_a_warehouse_cut_short_is_a_usage_line_before_anything_is_written(site, tmp_path):
    # DuckDB opens such a file and failed only at the run's first read ("Could not read
    # enough bytes"), an unexpected error, after --outputs was made.
    data = (site / "warehouse.duckdb").read_bytes()
    (tmp_path / "cut.duckdb").write_bytes(data[:len(data) // 3])
    result = reportlib("run", "--tenant", TENANT, "--period", PERIOD, "--as-of", AS_OF,
                       "--warehouse", str(tmp_path / "cut.duckdb"), "--outputs",
                       str(tmp_path / "out"), cwd=site)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"reportlib run: error: {tmp_path / 'cut.duckdb'} is not a whole "
                           f"DuckDB warehouse (cut short: {len(data) // 3} bytes ")
    assert line.endswith("): give the file `reportlib ingest` wrote, or load the sources "
                         "again (--warehouse)")
    assert not (tmp_path / "out").exists()


def test_run_before_ingest_says_to_ingest_and_writes_nothing(tmp_path):
    """The default ./warehouse.duckdb is said with the folder it was looked for in: a cron
    line without `cd` runs in the home folder, and 'no warehouse at warehouse.duckdb' did not
    say where that was (nor 'no params folder at params')."""
    (tmp_path / "params" / "tenants").mkdir(parents=True)
    (tmp_path / "params" / "tenants" / "acme.yaml").write_text("display_name: Acme\n")
    result = reportlib("run", "--tenant", "acme", "--period", PERIOD, cwd=tmp_path)
    assert result.returncode == 2
    where = (f"is looked for in {tmp_path}, the folder the command runs in (a cron line runs "
             "in the home folder unless it does `cd /path/to/site && …`; a systemd unit, "
             "unless it sets WorkingDirectory=)")
    assert result.stderr.strip() == (
        "reportlib run: error: no warehouse at warehouse.duckdb: load the sources first "
        "(reportlib ingest SOURCES_DIR --warehouse warehouse.duckdb), or give the right "
        f"--warehouse; warehouse.duckdb {where}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params"]
    home = tmp_path / "home"  # cron's working folder: no params there either
    home.mkdir()
    result = reportlib("run", "--all-tenants", "--period", PERIOD, cwd=home)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "reportlib run: error: no params folder at params: give the right --params (or "
        f"REPORTLIB_PARAMS); params {where.replace(str(tmp_path), str(home))}")
    assert list(home.iterdir()) == []


def test_a_warehouse_link_whose_target_moved_is_said_as_such(tmp_path):
    """--warehouse (or REPORTLIB_WAREHOUSE) a symbolic link left behind when the warehouse
    moved: every command said 'no warehouse at wh.duckdb: load the sources first (reportlib
    ingest SOURCES_DIR --warehouse wh.duckdb)', to ingest the very command that said it."""
    (tmp_path / "params" / "tenants").mkdir(parents=True)
    (tmp_path / "params" / "tenants" / "acme.yaml").write_text("display_name: Acme\n")
    (tmp_path / "sources" / "acme").mkdir(parents=True)
    (tmp_path / "wh.duckdb").symlink_to(tmp_path / "old-disk" / "warehouse.duckdb")
    for command in (("ingest", "sources"), ("history",)):
        result = reportlib(*command, "--warehouse", "wh.duckdb", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            f"reportlib {command[0]}: error: wh.duckdb is a symbolic link to {tmp_path}/old-disk/"
            "warehouse.duckdb, which is not there (moved or removed?): point the link at the "
            "warehouse, or give the right --warehouse")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params", "sources", "wh.duckdb"]


def test_help_lists_every_command_report_and_an_example(tmp_path):
    top = reportlib("--help", cwd=tmp_path).stdout
    for command in ("demo", "ingest", "run", "extract", "email", "schedule", "history"):
        assert f"    {command} " in top
    assert "design" not in top.lower()
    run = " ".join(reportlib("run", "--help", cwd=tmp_path).stdout.split())
    assert "consumption, campaigns, desk_followup, attendance, chatbots, custom_events" in run
    assert "example: reportlib run --all-tenants" in run
    version = reportlib("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("reportlib ")


def test_help_explains_every_option():
    """`--help` is the operator's manual: --all-tenants, extract's and email's --tenant,
    --format, demo's --sources and --seed, ingest's SOURCES_DIR and preview's NOTEBOOK were
    listed bare, with nothing said of them."""
    import argparse

    from reportlib import cli

    parser = cli.build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    bare = [f"{name} {action.option_strings or action.dest}"
            for name, command in commands.choices.items() for action in command._actions
            if not action.help]
    assert bare == []


def test_a_negative_seed_is_a_usage_line_naming_the_option(tmp_path, capsys):
    from reportlib import cli

    assert cli.main(["demo", "--seed", "-1", "--sources", str(tmp_path / "s"), "--params",
                     str(tmp_path / "p")]) == 2
    assert capsys.readouterr().err.strip() == (
        "reportlib demo: error: --seed must be 0 or more, not -1")
    assert list(tmp_path.iterdir()) == []


def hold_warehouse(path: Path) -> subprocess.Popen:
    """Another command holding the warehouse (a writer's lock) until a line arrives on its
    standard input."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys\n"
        f"con = duckdb.connect({str(path)!r})\n"
        "print('held', flush=True)\n"
        "sys.stdin.readline()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_busy_warehouse_is_waited_for_or_given_up_on_in_one_line(site):
    before = hashes(site / "outputs")
    holder = hold_warehouse(site / "warehouse.duckdb")
    try:
        quick = reportlib("run", "--tenant", TENANT, "--period", PERIOD, "--report",
                          "consumption", "--as-of", AS_OF, "--wait", "0.5", cwd=site)
        assert quick.returncode == 2
        assert "is busy" in quick.stderr and "Traceback" not in quick.stderr
        assert quick.stderr.strip().splitlines()[-1].startswith(
            "reportlib run: error: the warehouse warehouse.duckdb is busy")
        assert hashes(site / "outputs") == before
        patient = subprocess.Popen(
            [sys.executable, "-m", "reportlib.cli", "run", "--tenant", TENANT, "--period",
             PERIOD, "--report", "consumption", "--as-of", AS_OF, "--wait", "120", "--jobs",
             "1", "--force"], cwd=site, env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = patient.stderr.readline()  # it says it waits, once, then we let it in
        assert "is busy" in first and "waiting up to 120 s" in first
    finally:
        holder.communicate("release\n", timeout=30)
    out, rest = patient.communicate(timeout=300)
    assert patient.returncode == 0, rest
    assert "is busy" not in rest  # said once only
    assert f"{TENANT} {PERIOD} consumption: ok" in out


def test_two_runs_of_one_tenant_and_period_at_once_take_turns(site):
    # The second used to clear the first's staging folder under it (FileNotFoundError on
    # its bundle, or DuckDB's "Cannot open file"): now it waits for the first.
    argv = [sys.executable, "-m", "reportlib.cli", "run", "--tenant", TENANT, "--period",
            PERIOD, "--report", "consumption", "--as-of", AS_OF, "--jobs", "1", "--force"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(argv, cwd=site, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    staged = site / "outputs" / ".staging" / TENANT / PERIOD
    deadline = time.monotonic() + 120
    while not staged.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    second = subprocess.Popen(argv, cwd=site, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    (out1, err1), (out2, err2) = first.communicate(timeout=300), second.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    for out in (out1, out2):
        assert f"{TENANT} {PERIOD} consumption: ok" in out
    assert err2.count("reportlib: the outputs folder outputs is busy: `") == 1
    assert f"reportlib.cli run --tenant {TENANT} --period {PERIOD}" in err2
    assert f"(PID {first.pid}, since" in err2 and "waiting up to 300 s (--wait)" in err2
    assert "unexpected error" not in err1 + err2 and "Traceback" not in err1 + err2
    assert sorted(p.name for p in (site / "outputs").iterdir() if p.name.startswith(".")) == []


def test_history_lists_every_run_and_send(site):
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    try:
        env = {"REPORTLIB_SMTP_HOST": "127.0.0.1", "REPORTLIB_SMTP_PORT": str(server.port),
               "REPORTLIB_SMTP_SECURITY": "none", "REPORTLIB_SMTP_FROM": "r@reportlib.example"}
        sent = subprocess.run(
            [sys.executable, "-m", "reportlib.cli", "email", "--tenant", TENANT, "--period",
             PERIOD, "--report", "consumption", "--now", "2026-11-20T12:00:00+00:00"],
            cwd=site, capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO), **env})
    finally:
        server.stop()
    assert sent.returncode == 0, sent.stderr
    assert len(server.inbox.messages) == 1
    result = reportlib("history", "--tenant", TENANT, "--period", PERIOD, cwd=site)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    rendered = [line for line in lines if " rendered " in line]
    assert rendered and all(f"{TENANT} {PERIOD} consumption: ok" in line for line in rendered)
    assert "figures " in rendered[0]
    assert [line for line in lines if " sent " in line and "consumption: sent" in line
            and "financeiro@varejosul.example" in line and "by " in line]
    index = (site / "outputs" / "index.html").read_text("utf-8")
    assert "Last sent (UTC)" in index and "2026-11-20 12:00" in index


def test_history_of_a_mistyped_tenant_says_so(site):
    """`history --tenant varejo_sull` said "no runs or sends recorded for varejo_sull" (exit
    0), as if that tenant had nothing; a tenant neither loaded nor configured is a usage line.
    A known tenant with nothing in a period still says it has nothing."""
    wrong = reportlib("history", "--tenant", TENANT + "l", cwd=site)
    assert wrong.returncode == 2
    assert f"unknown tenant '{TENANT}l'" in wrong.stderr and not wrong.stdout
    quiet = reportlib("history", "--tenant", TENANT, "--period", "2024-01", cwd=site)
    assert quiet.returncode == 0
    assert quiet.stdout.strip() == f"no runs or sends recorded for {TENANT} in 2024-01"


def test_a_run_killed_mid_notebook_leaves_the_published_outputs_as_they_were(site):
    out = site / "outputs"
    before = hashes(out)
    process = subprocess.Popen(
        [sys.executable, "-m", "reportlib.cli", "run", "--tenant", TENANT, "--period", PERIOD,
         "--report", "consumption", "--as-of", AS_OF, "--jobs", "1", "--force"],
        cwd=site, env={**os.environ, "PYTHONPATH": str(REPO),
                       "REPORTLIB_NOTEBOOKS": str(slow_notebooks(site))},
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staged = out / ".staging" / TENANT / PERIOD / "bundle.duckdb"
    deadline = time.monotonic() + 120
    while not staged.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert staged.exists(), "the run never staged its bundle"
    time.sleep(1.5)  # the kernel is up and running the notebook
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    after = {k: v for k, v in hashes(out).items() if not k.startswith(".staging")}
    assert after == before
    # The next run clears what the killed one left and publishes normally.
    result = reportlib("run", "--tenant", TENANT, "--period", PERIOD, "--report",
                       "consumption", "--as-of", AS_OF, "--jobs", "1", cwd=site)
    assert result.returncode == 0, result.stderr
    assert not (out / ".staging").exists()


def _as_from_a_shell() -> None:
    """Ctrl-C as a shell leaves it to a command it starts: default, not blocked (not whatever
    the test process inherited or was left with)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def stopped_run_env(site: Path, name: str) -> tuple[dict[str, str], Path, set[str]]:
    """A stopped run's environment: the slow notebooks, and a temporary folder of its own
    (TMPDIR), with the kernels' socket folders there were before it (`left_behind`)."""
    tmp = site.parent / f"{site.name}-tmp-{name}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp),
           "REPORTLIB_NOTEBOOKS": str(slow_notebooks(site))}
    return env, tmp, set(os.listdir(SOCKETS_ROOT))


def left_behind(tmp: Path, sockets_before: set[str]) -> list[str]:
    """What a stopped run left of its own: its workers' folders and its kernels' connection
    files in its TMPDIR, and socket folders of processes that are gone."""
    import re

    from reportlib.render import process_alive

    gone = [name for name in set(os.listdir(SOCKETS_ROOT)) - sockets_before
            if (found := re.fullmatch(r"rk-(\d+)-\w+", name))
            and not process_alive(int(found.group(1)))]
    return sorted(os.listdir(tmp)) + sorted(gone)


def slow_notebooks(site: Path) -> Path:
    """The reports' notebooks (parameters cell, kernel) with one cell that sleeps two minutes,
    for `$REPORTLIB_NOTEBOOKS`: a run stopped a couple of seconds in is still rendering,
    whatever the machine's speed. On a fast one a real report was published within the two
    seconds the tests waited, and the outputs were no longer as they were."""
    import nbformat

    from reportlib import registry
    from reportlib.render import NOTEBOOK_PARAMETERS, notebook_path

    slow = site.parent / f"{site.name}-slow-notebooks"
    slow.mkdir(exist_ok=True)
    for spec in registry.REPORTS:
        real = nbformat.read(str(notebook_path(spec.name)), as_version=4)
        cell = nbformat.v4.new_code_cell("\n".join(f'{name} = ""' for name in
                                                   NOTEBOOK_PARAMETERS))
        cell.metadata["tags"] = ["parameters"]
        nbformat.write(nbformat.v4.new_notebook(
            cells=[cell, nbformat.v4.new_code_cell("import time\ntime.sleep(120)")],
            metadata=real.metadata), str(slow / spec.notebook_file))
    return slow


@pytest.mark.parametrize("delay", [0.3, 2.0])  # workers starting; kernels running notebooks
def test_ctrl_c_mid_run_is_one_line_and_exit_130(site, delay):
    # Ctrl-C reaches the whole process group: the pool's workers too, which printed their
    # tracebacks (nbclient's "Task exception was never retrieved") after the run's line.
    env, tmp, sockets = stopped_run_env(site, f"ctrl-c-{delay}")
    process = subprocess.Popen(
        [sys.executable, "-m", "reportlib.cli", "run", "--tenant", TENANT, "--period", PERIOD,
         "--as-of", AS_OF, "--jobs", "2", "--force"],
        cwd=site, env=env, start_new_session=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, preexec_fn=_as_from_a_shell)
    staged = site / "outputs" / ".staging" / TENANT / PERIOD / "bundle.duckdb"
    deadline = time.monotonic() + 120
    while not staged.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    time.sleep(1)  # what a worker would still print comes after the run's end
    assert process.returncode == 130, err
    lines = [line for line in err.replace("\r", "\n").splitlines()
             if line.strip() and not line.startswith("reports ")]  # the progress bar
    assert lines == ["reportlib run: interrupted"], err
    with pytest.raises(ProcessLookupError):  # no worker or kernel left
        for _ in range(100):
            os.killpg(process.pid, 0)
            time.sleep(0.1)
    # Nor their files: each worker's folder (the executed notebook of a tenant's report), its
    # kernel's connection file (its key) and socket folder were left in /tmp at every stop.
    assert left_behind(tmp, sockets) == []


def test_sigterm_mid_run_ends_its_workers_and_is_one_line_exit_143(site):
    """`kill PID` (or a service's stop) reaches the command alone: it died at once and its
    pool's workers lived on, orphaned, each with its kernel, and its staged bundles stayed.
    It now stops as on Ctrl-C."""
    out = site / "outputs"
    before = hashes(out)
    env, tmp, sockets = stopped_run_env(site, "sigterm")
    process = subprocess.Popen(
        [sys.executable, "-m", "reportlib.cli", "run", "--tenant", TENANT, "--period", PERIOD,
         "--as-of", AS_OF, "--jobs", "2", "--force"],
        cwd=site, env=env, start_new_session=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    staged = out / ".staging" / TENANT / PERIOD / "bundle.duckdb"
    deadline = time.monotonic() + 120
    while not staged.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)  # the kernels are running notebooks
    os.kill(process.pid, signal.SIGTERM)  # the command only, not its group
    try:
        _, err = process.communicate(timeout=60)
        with pytest.raises(ProcessLookupError):  # no worker or kernel left
            for _ in range(100):
                os.killpg(process.pid, 0)
                time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):  # not left to the next tests
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 128 + signal.SIGTERM, err
    lines = [line for line in err.replace("\r", "\n").splitlines()
             if line.strip() and not line.startswith("reports ")]  # the progress bar
    assert lines == ["reportlib run: terminated"], err
    assert not (out / ".staging").exists()
    assert left_behind(tmp, sockets) == []  # as on Ctrl-C
    assert {k: v for k, v in hashes(out).items() if k != ".staging.lock"} == before


def test_a_run_killed_outright_takes_its_workers_and_kernels_with_it(site):
    """SIGKILL (the OOM killer, `kill -9`) gives the command no chance to end its pool: its
    workers lived on, orphaned, each rendering with its kernel for nobody. They now die with
    it (and their kernels with them); the published files stay as they were."""
    slow = slow_notebooks(site)
    out = site / "outputs"
    before = hashes(out)
    process = subprocess.Popen(
        [sys.executable, "-m", "reportlib.cli", "run", "--tenant", TENANT, "--period", PERIOD,
         "--as-of", AS_OF, "--jobs", "2", "--force"],
        cwd=site, env={**os.environ, "PYTHONPATH": str(REPO), "REPORTLIB_NOTEBOOKS": str(slow)},
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    staged = out / ".staging" / TENANT / PERIOD / "bundle.duckdb"
    deadline = time.monotonic() + 120
    while not staged.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)  # the kernels are running notebooks
    os.kill(process.pid, signal.SIGKILL)  # the command only, not its group
    process.communicate(timeout=60)
    try:
        with pytest.raises(ProcessLookupError):  # no worker or kernel left
            for _ in range(150):
                os.killpg(process.pid, 0)
                time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):  # not left to the next tests
            os.killpg(process.pid, signal.SIGKILL)
    assert {k: v for k, v in hashes(out).items()
            if not k.startswith(".staging")} == before


def test_schedule_dry_run_and_status_print_and_write_nothing(site):
    (site / "params" / "schedule.yaml").write_text(
        "schedules:\n"
        "  - {name: month-preliminary, reports: [consumption], tenants: all,\n"
        "     period: previous_month, cadence: first_day, at: '07:00'}\n"
        "  - {name: month-consolidated, reports: [consumption], tenants: all,\n"
        "     period: previous_month, cadence: consolidation_day, at: '07:00'}\n",
        encoding="utf-8")
    before = {**hashes(site / "outputs"), "warehouse": hashes(site)["warehouse.duckdb"]}
    now = "2026-12-09T12:00:00+00:00"  # after December's 5th business day: both are due
    dry = reportlib("schedule", "run-due", "--dry-run", "--now", now, cwd=site)
    assert dry.returncode == 0, dry.stderr
    assert f"month-preliminary {TENANT} " in dry.stdout and "would be superseded" in dry.stdout
    assert f"month-consolidated {TENANT} " in dry.stdout and "would run: consumption" \
        in dry.stdout
    status = reportlib("schedule", "status", "--now", now, cwd=site)
    assert status.returncode == 0, status.stderr
    assert f"month-consolidated {TENANT}: never run" in status.stdout
    assert {**hashes(site / "outputs"), "warehouse": hashes(site)["warehouse.duckdb"]} == before


def test_a_report_renders_between_two_files_of_a_long_ingest(tmp_path):
    """Ingest lets a waiting command in between two files: the run's bundle is built while the
    ingest is still loading, and both finish."""
    import shutil

    demo.generate(tmp_path / "all", tmp_path / "params", date(2026, 11, 20), tenants=3,
                  months=2, scale=2)  # an ingest of some seconds, even on a busy machine
    (tmp_path / "later").mkdir()
    for tenant in ("banco_aurora", "conecta_servicos"):
        shutil.move(tmp_path / "all" / tenant, tmp_path / "later" / tenant)
    ingest.ingest(tmp_path / "all", tmp_path / "warehouse.duckdb", tmp_path / "params")
    loading = subprocess.Popen([sys.executable, "-m", "reportlib.cli", "ingest", "later"],
                               cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import duckdb

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the ingest holds the warehouse
        try:
            duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True).close()
            time.sleep(0.05)
        except duckdb.IOException:
            break
    run = subprocess.Popen(
        [sys.executable, "-m", "reportlib.cli", "run", "--tenant", TENANT, "--period", PERIOD,
         "--report", "consumption", "--as-of", AS_OF, "--jobs", "1", "--wait", "120"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    staged = tmp_path / "outputs" / ".staging" / TENANT / PERIOD / "bundle.duckdb"
    while not staged.exists() and run.poll() is None:
        time.sleep(0.02)
    ingest_running_when_bundle_built = loading.poll() is None
    out, err = run.communicate(timeout=300)
    loaded_out, loaded_err = loading.communicate(timeout=300)
    assert run.returncode == 0, err
    assert loading.returncode == 0, loaded_err
    assert ingest_running_when_bundle_built
    assert f"{TENANT} {PERIOD} consumption: ok" in out
    assert "Traceback" not in err + loaded_err


def test_email_of_a_report_without_recipients_says_so(site):
    """The demo tenant has recipients for consumption only: campaigns is not sent, and says
    why and where to add them; nothing failed (exit 0)."""
    rendered = reportlib("run", "--tenant", TENANT, "--period", PERIOD, "--report",
                         "campaigns", "--as-of", AS_OF, "--jobs", "1", cwd=site)
    assert rendered.returncode == 0, rendered.stderr
    env = {"REPORTLIB_SMTP_HOST": "127.0.0.1", "REPORTLIB_SMTP_PORT": "9",
           "REPORTLIB_SMTP_SECURITY": "none", "REPORTLIB_SMTP_FROM": "r@reportlib.example"}
    result = subprocess.run(
        [sys.executable, "-m", "reportlib.cli", "email", "--tenant", TENANT, "--period", PERIOD,
         "--report", "campaigns"], cwd=site, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO), **env})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[0] == (
        f"{TENANT} {PERIOD} campaigns: not sent: no recipients for this report (add them under "
        f"recipients: in params/tenants/{TENANT}.yaml)")


def test_schedule_without_a_warehouse_is_a_usage_error(tmp_path):
    (tmp_path / "params").mkdir()
    result = reportlib("schedule", "status", cwd=tmp_path)
    assert result.returncode == 2 and "no warehouse at warehouse.duckdb" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params"]


def test_an_unexpected_error_is_one_line_naming_its_log(tmp_path, monkeypatch, capsys):
    """A cause the operator cannot fix: one line, exit 1, the traceback in the file it names."""
    from reportlib import cli

    def broken(args):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setitem(cli.COMMANDS, "history", broken)
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    assert cli.main(["history"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "reportlib history: unexpected error (RuntimeError: disk on fire); the details are in ")
    log = Path(lines[0].rsplit(" ", 1)[1])
    assert log.parent == tmp_path and "Traceback" in log.read_text() and "broken" in \
        log.read_text()


def test_demo_draws_the_year_before_unless_told_not_to(tmp_path, monkeypatch, capsys):
    """`reportlib demo` asks the generator for the same months a year before (the chatbots
    report's change on a year needs them) and says which days it drew; `--no-year-before`
    leaves them out."""
    from reportlib import cli

    asked = []
    monkeypatch.setattr(demo, "generate", lambda *args: asked.append(args) or {"acme": 5})
    base = ["demo", "--sources", str(tmp_path / "s"), "--params", str(tmp_path / "p")]
    assert cli.main(base) == 0
    assert cli.main([*base, "--no-year-before"]) == 0
    assert [args[-1] for args in asked] == [True, False]
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["days 2026-09-01..2026-11-19",
                       "days 2025-09-01..2025-11-30: the same months a year before, 0.85 × "
                       "the volume"]
    assert out[4] == "days 2026-09-01..2026-11-19" and "year before" not in out[5]


def test_an_as_of_ahead_of_the_clock_is_taken_when_the_data_has_lived_those_days(
        site, tmp_path, monkeypatch, capsys):
    """An --as-of after tomorrow is refused (test above), unless the warehouse holds messages
    of the day before it: a machine whose clock is behind the data's (the demo's set date)
    still renders the demo, and a date past the data is still refused."""
    from datetime import datetime as real

    from reportlib import cli

    class Behind(real):
        @classmethod
        def now(cls, tz=None):
            return real(2026, 11, 10, 12, tzinfo=tz)  # ten days before the demo's as-of

    monkeypatch.setattr(cli, "datetime", Behind)
    base = ["run", "--tenant", TENANT, "--period", PERIOD, "--report", "consumption",
            "--warehouse", str(site / "warehouse.duckdb"), "--params", str(site / "params"),
            "--jobs", "1"]
    assert cli.main([*base, "--as-of", "2026-11-20", "--outputs", str(tmp_path / "a")]) == 0
    capsys.readouterr()
    assert cli.main([*base, "--as-of", "2026-11-22", "--outputs", str(tmp_path / "b")]) == 2
    assert "--as-of 2026-11-22 is after today (2026-11-10)" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_an_error_quoting_data_stays_one_line_on_every_kind_of_line():
    """A report's error (it may quote a cell or a traceback), an e-mail's detail (an SMTP
    server's reply) and a schedule slot's detail are printed escaped: a newline or an escape
    code in them can neither split the command's output nor forge a line of its own."""
    from datetime import UTC, datetime

    from reportlib.deliver import Delivery
    from reportlib.deliver.schedule import SlotRun, UnloadedStatus
    from reportlib.render import JobResult

    forged = "bad\nacme 2026-10 consumption: ok\x1b[2K"
    lines = [
        JobResult("acme", "2026-10", "consumption", "failed", error=forged).line(),
        Delivery("acme", "2026-10", "consumption", "ops", "failed", forged).line(),
        Delivery("acme", "2026-10", "consumption", "ops", "no_recipients", forged).line(),
        SlotRun("daily", "acme", datetime(2026, 11, 20, tzinfo=UTC), "2026-10", "failed",
                   forged).line(),
        UnloadedStatus("daily", "acme", forged).line(),
    ]
    for line in lines:
        assert "\n" not in line and "\x1b" not in line, line
        assert "bad\\nacme 2026-10 consumption: ok\\x1b[2K" in line, line
