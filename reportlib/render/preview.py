"""`reportlib preview NOTEBOOK`: one notebook an analyst has open, rendered to HTML and PDF
exactly as a run delivers it (the same bundle, execution, page and PDF), with the parameters
written in its own parameters cell, into a folder of its own: nothing is published, indexed
or sent."""

from __future__ import annotations

import ast
import re
import tempfile
from pathlib import Path

from reportlib import params as params_mod
from reportlib import registry
from reportlib.domain import calendar, pricing
from reportlib.errors import ReportError
from reportlib.look.i18n import report_title
from reportlib.marts import bundle as bundle_mod
from reportlib.render import Job, RenderOutput, render

OPENS = re.compile(r"""open_report\(\s*["']([a-z0-9][a-z0-9_-]*)["']""")


def notebook_parameters(notebook: Path) -> dict:
    """The values written in the notebook's parameters cell (literals only)."""
    import papermill

    try:
        declared = papermill.inspect_notebook(str(notebook), parameters={})
    except Exception as exc:  # noqa: BLE001 - papermill's own errors name no file
        raise ReportError(f"{notebook}: cannot read its parameters cell "
                          f"({' '.join(str(exc).split())[:160]})") from None
    if not declared:
        raise ReportError(f"{notebook}: no cell tagged 'parameters'")
    values = {}
    for name, spec in declared.items():
        try:
            values[name] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            raise ReportError(f"{notebook}: parameter {name} = {spec['default']} is not a "
                              "literal") from None
    return values


def report_of(notebook: Path) -> str:
    """The report the notebook opens (`open_report("<name>", ...)`)."""
    import nbformat

    try:
        nb = nbformat.read(str(notebook), as_version=4)
    except Exception as exc:  # noqa: BLE001 - JSON, UTF-8 and nbformat's errors alike
        # Not a notebook (a .py renamed, an empty or cut-short file): one line, not a traceback.
        raise ReportError(f"{notebook}: not a Jupyter notebook "
                          f"({' '.join(str(exc).split())[:160]})") from None
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    found = OPENS.search(code)
    if not found:
        raise ReportError(f"{notebook}: it opens no report (open_report(\"<name>\", ...))")
    return found.group(1)


def preview(notebook: Path, warehouse: Path, params_dir: Path, out_dir: Path,
            rate_card: Path | None = None) -> tuple[RenderOutput, list[Path]]:
    """Render `notebook` with its own parameters into `out_dir`; returns the render's output
    and the files written (the failed notebook, with its traceback, when it fails)."""
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise ReportError(f"no notebook {notebook}")
    report = report_of(notebook)
    values = notebook_parameters(notebook)
    params_mod.use_site_reports(params_dir)
    if registry.find(report) is None:
        raise ReportError(f"{notebook.name} opens report {report!r}, which is not one of "
                          f"{', '.join(registry.names())}")
    tenant = params_mod.load_tenant(params_dir, str(values.get("tenant", "")))
    period = calendar.parse_period(str(values.get("period", "")))
    as_of = calendar.parse_date(str(values.get("as_of", "")), "as_of")
    locale = str(values.get("locale") or tenant.locale)
    with tempfile.TemporaryDirectory(prefix="reportlib-preview-") as work:
        bundle_path = Path(values.get("bundle") or Path(work) / "bundle.duckdb")
        if not values.get("bundle"):
            card = pricing.load_rate_card(pricing.rate_card_path(params_dir, rate_card))
            bundle_mod.build(warehouse, tenant, period, as_of, bundle_path, (report,), card)
        job = Job(tenant=tenant.tenant_id, period=period.label, report=report,
                  as_of=as_of.isoformat(), locale=locale, bundle=str(bundle_path),
                  bundle_hash="", notebook=str(notebook), out_dir=str(out_dir),
                  display_name=tenant.display_name, title=report_title(report, locale))
        output = render(job)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(output.files.items()):
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return output, written
