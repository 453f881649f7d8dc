"""Real papermill runs on tiny bundles: HTML without code, PDF, manifest, failure handling."""

from __future__ import annotations

import json
import re
from datetime import date

import nbformat
import pypdf
import pytest

from reportlib import cli, registry
from reportlib.look.i18n import Formatter
from reportlib.render import runner
from tests.conftest import REPO
from tests.full_disk import needs_tmpfs, on_small_disk

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow


def run(tmp_path, warehouse, params_dir, *extra):
    return cli.main(["run", "--tenant", "acme", "--period", "2026-10", "--as-of", "2026-11-20",
                     "--warehouse", str(warehouse), "--params", str(params_dir),
                     "--outputs", str(tmp_path / "out"), "--jobs", "1", "--report", "consumption",
                     *extra])


def test_report_renders_html_and_pdf_with_the_manifest_figures(tmp_path, tiny_warehouse,
                                                                params_dir, capsys):
    assert run(tmp_path, tiny_warehouse, params_dir) == 0
    assert "acme 2026-10 consumption: ok" in capsys.readouterr().out
    out = tmp_path / "out" / "acme" / "2026-10"
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["reports"]["consumption"]
    assert entry["status"] == "ok" and entry["error"] is None
    assert set(entry["files"].values()) == {"consumption.html", "consumption.pdf",
                                            "consumption.ipynb"}
    figures = entry["figures"]
    # 120 + 80 paid marketing messages at 0.0625; 300 free service messages.
    assert (figures["business_initiated"], figures["user_initiated"], figures["paid"],
            figures["free"]) == (200, 300, 200, 300)
    assert figures["cost_usd.marketing"] == pytest.approx(12.5)
    assert figures["partial"] is False  # consolidated on 9 Nov 2026, as of 20 Nov
    assert entry["bundle_hash"] and entry["params"]["period"] == "2026-10"
    assert set(entry["seconds"]) == {"execute", "html", "pdf", "total"}

    page = (out / "consumption.html").read_text()
    fmt = Formatter("pt-BR")
    for value in (fmt.number(200), fmt.number(300), fmt.number(500), fmt.money(12.5)):
        assert value in page
    assert "Acme &lt;Lojas&gt;" in page and "Acme <Lojas>" not in page
    assert "Consumo parcial" not in page.split("<footer")[0].split("</header>")[0]
    # No code, no prompts, no streams, no script, nothing fetched from elsewhere.
    assert "open_report" not in page and "publish_figures" not in page
    assert "<script" not in page.lower()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "@import" not in page and "TCP without encryption" not in page
    assert "Traceback" not in page and "Warning" not in page
    # The masked business number, never the raw one.
    assert "+55\xa0•••\xa0••••-0001" in page and "551140000001" not in page

    pdf = (out / "consumption.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(out / "consumption.pdf")
    assert len(reader.pages) >= 2
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = " ".join(p.extract_text() for p in reader.pages)
    assert fmt.money(12.5) in text and "Acme <Lojas>" in text

    index = (tmp_path / "out" / "index.html").read_text()
    assert 'href="acme/2026-10/consumption.html"' in index and "ok" in index


def test_partial_tag_while_not_consolidated(tmp_path, tiny_warehouse, params_dir):
    assert cli.main(["run", "--tenant", "acme", "--period", "2026-10", "--as-of", "2026-11-05",
                     "--warehouse", str(tiny_warehouse), "--params", str(params_dir),
                     "--outputs", str(tmp_path / "out"), "--jobs", "1", "--report",
                     "consumption"]) == 0
    out = tmp_path / "out" / "acme" / "2026-10"
    assert json.loads((out / "manifest.json").read_text())["reports"]["consumption"][
        "figures"]["partial"] is True
    assert "Consumo parcial" in (out / "consumption.html").read_text()


def test_a_failed_notebook_keeps_the_last_good_report(tmp_path, tiny_warehouse, params_dir,
                                                      capsys):
    # A site's own report (params/reports.yaml) whose notebook an analyst then breaks.
    notebook = tmp_path / "digest.ipynb"
    notebook.write_bytes((REPO / "examples" / "message_digest.ipynb").read_bytes())
    (params_dir / "reports.yaml").write_text(
        "reports:\n  digest:\n    notebook: ../digest.ipynb\n    title: Digest\n"
        "    tables: [notifications, notifications_by_template]\n", "utf-8")
    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace('open_report("message_digest"', 'open_report("digest"')
    nbformat.write(nb, str(notebook))
    try:
        assert run(tmp_path, tiny_warehouse, params_dir, "--report", "digest") == 0
        out = tmp_path / "out" / "acme" / "2026-10"
        good_html = (out / "digest.html").read_bytes()
        good_pdf = (out / "digest.pdf").read_bytes()
        capsys.readouterr()

        nb.cells.insert(3, nbformat.v4.new_code_cell("raise RuntimeError('chart exploded')"))
        nbformat.write(nb, str(notebook))

        assert run(tmp_path, tiny_warehouse, params_dir, "--report", "digest") == 1
    finally:
        registry.use_site(())
    printed = capsys.readouterr().out
    assert "acme 2026-10 digest: FAILED: RuntimeError: chart exploded" in printed
    assert (out / "digest.html").read_bytes() == good_html
    assert (out / "digest.pdf").read_bytes() == good_pdf
    failed = nbformat.read(str(out / "digest.failed.ipynb"), as_version=4)
    tracebacks = [o for c in failed.cells for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
    assert tracebacks and tracebacks[0]["evalue"] == "chart exploded"
    entry = json.loads((out / "manifest.json").read_text())["reports"]["digest"]
    assert entry["status"] == "failed" and "chart exploded" in entry["error"]
    assert entry["last_good"]["files"]["html"] == "digest.html"
    assert entry["files"]["failed_notebook"] == "digest.failed.ipynb"
    assert not list(out.glob(".staging-*"))
    index = (tmp_path / "out" / "index.html").read_text()
    assert "failed" in index


def test_unknown_parameter_is_refused_before_running(tmp_path):
    from reportlib.errors import ReportError
    from reportlib.render import validate_parameters

    with pytest.raises(ReportError, match="unknown parameter colour"):
        validate_parameters(REPO / "notebooks" / "consumption.ipynb",
                            {"tenant": "acme", "period": "2026-10", "as_of": "2026-11-20",
                             "colour": "red"})
    with pytest.raises(ReportError, match="period"):
        validate_parameters(REPO / "notebooks" / "consumption.ipynb",
                            {"tenant": "acme", "period": "October", "as_of": "2026-11-20"})


def test_two_jobs_in_the_process_pool(tmp_path, tiny_warehouse, params_dir):
    results = runner.run(["acme", "beta"], ["2026-10"], ["consumption"], date(2026, 11, 20),
                         tiny_warehouse, params_dir, tmp_path / "out", workers=2)
    # beta has no analytics in October: rendered, and reported as no data, with no figures.
    assert sorted((r.tenant, r.status) for r in results) == [("acme", "ok"),
                                                             ("beta", "no_data")], \
        [(r.tenant, r.error) for r in results]
    beta = json.loads((tmp_path / "out/beta/2026-10/manifest.json").read_text())
    assert "total" not in beta["reports"]["consumption"]["figures"]
    assert beta["reports"]["consumption"]["figures"]["no_data"] is True
    assert "551140000001" not in json.dumps(beta)


def test_pdf_pages_rasterise(tmp_path, tiny_warehouse, params_dir):
    """Every page of a published PDF draws (PDFium, another reader than the one that wrote
    it), with ink on it."""
    import pypdfium2

    assert run(tmp_path, tiny_warehouse, params_dir) == 0
    document = pypdfium2.PdfDocument(str(tmp_path / "out/acme/2026-10/consumption.pdf"))
    assert len(document) >= 2
    for index in range(len(document)):
        picture = document[index].render(scale=30 / 72).to_pil().convert("L")
        assert picture.getextrema()[0] < 128, index  # something dark: text, not a blank page


def test_page_footer_and_badge_name_the_report_in_the_readers_language():
    """The footer names the report by its title, the tenant by its name and the month in
    words (never the report's internal name); a report other than consumption says its data
    is partial."""
    from reportlib.render import Job, page_titles

    job = Job(tenant="acme", period="2026-10", report="desk_followup", as_of="2026-11-20",
              locale="pt-BR", bundle="", bundle_hash="", notebook="", out_dir="",
              display_name="Acme <Lojas>")
    title, footer = page_titles(job)
    assert footer == title == ("Acompanhamento de mensagens ativas do atendimento · "
                               "Acme <Lojas> · outubro de 2026")


def test_the_pdf_step_pauses_the_garbage_collector_and_restores_it(tmp_path, monkeypatch):
    """The PDF is laid out with the cyclic collector off; after it (even after a failure)
    the collector is as it was."""
    import gc

    from reportlib import render
    from reportlib.look import pagefit

    seen = []
    monkeypatch.setattr(pagefit, "write_pdf", lambda *args: seen.append(gc.isenabled()))
    render.html_to_pdf("<html></html>", tmp_path / "r.pdf")
    assert seen == [False] and gc.isenabled()

    def fails(*args):
        raise RuntimeError("layout")

    monkeypatch.setattr(pagefit, "write_pdf", fails)
    with pytest.raises(RuntimeError):
        render.html_to_pdf("<html></html>", tmp_path / "r.pdf")
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off keeps it off
    try:
        with render.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_another_folder_of_notebooks_is_used_when_the_environment_names_it(tmp_path,
                                                                           monkeypatch):
    """$REPORTLIB_NOTEBOOKS (the benchmark's empty notebooks through the same command): a
    built-in report's notebook is taken from that folder, by its file name, and a folder
    without it is a one-line error, not the packaged notebook in its place."""
    from reportlib import registry
    from reportlib.errors import ReportError
    from reportlib.render import notebook_path

    packaged = notebook_path("chatbots")
    mine = tmp_path / registry.get("chatbots").notebook_file
    mine.write_text(packaged.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("REPORTLIB_NOTEBOOKS", str(tmp_path))
    assert notebook_path("chatbots") == mine
    with pytest.raises(ReportError, match="no notebook"):
        notebook_path("consumption")


PUBLISH_ON_A_FULL_DISK = """
import sys
from pathlib import Path
from reportlib.errors import disk_full
from reportlib.render import JobResult, RenderOutput, publish
out_dir = Path(sys.argv[1])
result = JobResult("acme", "2026-10", "campaigns", "ok")
files = {"campaigns.ipynb": b"n" * 20_000, "campaigns.pdf": b"p" * 20_000,
         "campaigns/c-1.csv": b"c" * 20_000, "campaigns.html": b"h" * 900_000}
try:
    publish(out_dir, RenderOutput(result, files))
except OSError as exc:
    print(disk_full(exc))
    sys.exit(3)
"""


@needs_tmpfs
def test_a_full_disk_while_publishing_leaves_the_last_good_report_whole(tmp_path):
    """A report's new files, published on a disk with room for all but its page: its notebook,
    PDF and CSV folder were replaced and its HTML was not (a report of two runs), and the
    half-written page stayed as '.campaigns.html.<hex>.tmp'. Now nothing of it is replaced
    and nothing is left behind. A real full disk: a 700 KB tmpfs."""
    import hashlib
    import os
    import sys

    out_dir = tmp_path / "out" / "acme" / "2026-10"
    (out_dir / "campaigns").mkdir(parents=True)
    for name, size in (("campaigns.ipynb", 9_000), ("campaigns.pdf", 9_000),
                       ("campaigns.html", 9_000), ("campaigns/c-1.csv", 9_000),
                       ("manifest.json", 900)):
        (out_dir / name).write_bytes(name.encode() * (size // len(name)))

    def files() -> dict[str, str]:
        return {str(p.relative_to(tmp_path / "out")): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted((tmp_path / "out").rglob("*")) if p.is_file()}

    before = files()
    done = on_small_disk(tmp_path / "out", "700k", [
        sys.executable, "-c", PUBLISH_ON_A_FULL_DISK, str(out_dir)],
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 3, done.stderr
    assert done.stdout.strip() == (f"the disk is full: could not write {out_dir}/campaigns.html; "
                                   "free some space on that disk and run again")
    assert files() == before  # nothing replaced, no temporary file or staging folder left
    assert sorted(os.listdir(out_dir)) == sorted(["campaigns", "campaigns.html",
                                                  "campaigns.ipynb", "campaigns.pdf",
                                                  "manifest.json"])
