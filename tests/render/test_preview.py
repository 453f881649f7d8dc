"""`reportlib preview NOTEBOOK`: an open notebook rendered as delivered, with its own
parameters, into its own folder; nothing published."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from reportlib import cli
from tests.conftest import REPO

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow


def with_parameters(source: Path, target: Path, **values) -> Path:
    nb = nbformat.read(str(source), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = []
    for line in cell.source.splitlines():
        name = line.split(":", 1)[0]
        lines.append(f"{name}: str = {values[name]!r}" if name in values else line)
    cell.source = "\n".join(lines)
    nbformat.write(nb, str(target))
    return target


def test_a_preview_is_the_delivered_page_and_publishes_nothing(tmp_path, tiny_warehouse,
                                                              params_dir, capsys):
    common = ["--warehouse", str(tiny_warehouse), "--params", str(params_dir)]
    assert cli.main(["run", "--tenant", "acme", "--period", "2026-10", "--as-of",
                     "2026-11-20", "--report", "consumption", "--jobs", "1",
                     "--outputs", str(tmp_path / "out"), *common]) == 0
    delivered = (tmp_path / "out" / "acme" / "2026-10" / "consumption.html").read_text("utf-8")

    notebook = with_parameters(REPO / "notebooks" / "consumption.ipynb",
                               tmp_path / "mine.ipynb", tenant="acme", period="2026-10",
                               as_of="2026-11-20")
    assert cli.main(["preview", str(notebook), "--out", str(tmp_path / "preview"),
                     *common]) == 0
    printed = capsys.readouterr().out
    assert "acme 2026-10 consumption: ok" in printed
    preview = tmp_path / "preview"
    assert (preview / "consumption.html").read_text("utf-8") == delivered
    assert (preview / "consumption.pdf").read_bytes().startswith(b"%PDF")
    assert not (preview / "manifest.json").exists() and not (preview / "index.html").exists()

    # An edit shows in the preview; the delivered report is untouched.
    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell(
        "from IPython.display import HTML\nHTML('<p>Nota da analista</p>')"))
    nbformat.write(nb, str(notebook))
    assert cli.main(["preview", str(notebook), "--out", str(preview), *common]) == 0
    assert "Nota da analista" in (preview / "consumption.html").read_text("utf-8")
    assert (tmp_path / "out" / "acme" / "2026-10" / "consumption.html").read_text(
        "utf-8") == delivered


def test_a_notebook_that_opens_no_report_is_one_line(tmp_path, tiny_warehouse, params_dir,
                                                     capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'tenant: str = "acme"', metadata={"tags": ["parameters"]})])
    nbformat.write(nb, str(tmp_path / "x.ipynb"))
    assert cli.main(["preview", str(tmp_path / "x.ipynb"), "--warehouse", str(tiny_warehouse),
                     "--params", str(params_dir)]) == 2
    assert "it opens no report" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "says"), [
    ("print(1)\n", "Notebook does not appear to be JSON"),
    ("{}", "missing a key: cells"),
    ("", "Notebook does not appear to be JSON"),
])
def test_a_file_that_is_no_notebook_is_one_usage_line(tmp_path, tiny_warehouse, params_dir,
                                                      capsys, content, says):
    """A .ipynb that is not a notebook (a script renamed, an empty file) was "unexpected
    error (ValidationError ...)" with a log, exit 1; now one line naming it, exit 2."""
    path = tmp_path / "x.ipynb"
    path.write_text(content)
    assert cli.main(["preview", str(path), "--warehouse", str(tiny_warehouse),
                     "--params", str(params_dir), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"reportlib preview: error: {path}: not a Jupyter notebook (")
    assert says in err and "\n" not in err and not (tmp_path / "out").exists()
