"""An installed package renders from any folder: the notebooks ship inside it.

The package is laid out as a wheel would hold it (every module, and the data files that
pyproject.toml's package-data names) in a folder outside the repository, and a report is
rendered from another folder with only that copy importable as `reportlib`. Building a real
wheel needs setuptools from the network; this checks the same thing offline: a data file the
package-data patterns miss (the notebooks, say) is missing here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest

from reportlib import demo, ingest
from tests.conftest import REPO

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow


def installed_copy(target: Path) -> Path:
    """reportlib's modules and declared data files under `target` (a site folder)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["reportlib"]
    source = REPO / "reportlib"
    files = {p for p in source.rglob("*.py")}
    for pattern in patterns:
        files |= {p for p in source.glob(pattern) if p.is_file()}
    for path in files:
        if "__pycache__" in path.parts:
            continue
        destination = target / "reportlib" / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target


def test_an_installed_package_renders_from_another_folder(tmp_path):
    site = installed_copy(tmp_path / "site")
    work = tmp_path / "elsewhere"
    demo.generate(work / "sources", work / "params", date(2026, 11, 20), tenants=1, months=1,
                  scale=0.3)
    ingest.ingest(work / "sources", work / "warehouse.duckdb", work / "params")
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import reportlib, reportlib.render as r; "
         "print(reportlib.__file__); print(r.notebook_path('consumption'))"],
        cwd=work, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(p).is_relative_to(site) for p in where), where  # the copy, not the repo
    result = subprocess.run(
        [sys.executable, "-m", "reportlib.cli", "run", "--tenant", "varejo_sul", "--period",
         "2026-11", "--report", "consumption", "--as-of", "2026-11-20", "--jobs", "1"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "varejo_sul 2026-11 consumption: ok" in result.stdout
    assert (work / "outputs" / "varejo_sul" / "2026-11" / "consumption.pdf").stat().st_size > 0


def test_the_repositorys_notebooks_folder_is_the_packages():
    """One copy: analysts open notebooks/, links to the package's own files (each in its
    report's folder, reportlib/reports/<name>/)."""
    for link in (REPO / "notebooks").glob("*.ipynb"):
        assert link.is_symlink(), link
        assert link.resolve() == (REPO / "reportlib" / "reports" / link.stem /
                                  link.name).resolve()
    assert sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb")) == [
        f"{name}.ipynb" for name in sorted(
            ("consumption", "campaigns", "desk_followup", "attendance", "chatbots",
             "custom_events"))]
