"""The registry is the one place a report is declared; every piece it names must exist.

A report registered without its notebook, class, title, SQL or sources fails here, loudly,
instead of at the first run that reaches the missing piece.
"""

from __future__ import annotations

import ast
import importlib
import json
from importlib import resources

import pytest

from reportlib import marts, registry, render, sources
from reportlib.look import i18n
from reportlib.reports.base import BaseReport
from tests.conftest import REPO

REPORTS = resources.files("reportlib") / "reports"
SHARED_SQL = resources.files("reportlib") / "marts" / "sql"


def sql_file(report: str, table: str) -> bool:
    """Its SQL is in the report's folder, or shared in marts/sql."""
    return (REPORTS / report / f"{table}.sql").is_file() or \
        (SHARED_SQL / f"{table}.sql").is_file()


def test_report_names_are_unique_and_the_defaults_are_the_registry():
    from reportlib import params

    names = [r.name for r in registry.REPORTS]
    assert len(names) == len(set(names)) and names
    assert params.REPORTS == registry.names() == registry.built_in_names() == tuple(names)
    assert [marts.report_marts(n) for n in names] == [r.marts for r in registry.REPORTS]
    assert params.TenantParams("t", "T").reports == tuple(names)
    assert all(i18n.report_title(n, loc) != n for n in names for loc in ('pt-BR', 'en'))


@pytest.mark.parametrize("name", registry.names())
def test_a_registered_report_has_every_piece(name):
    spec = registry.get(name)

    # Its notebook ships in the package, has a parameters cell and opens this report.
    notebook = REPORTS / name / spec.notebook_file
    assert notebook.is_file(), f"{name}: no {spec.notebook_file} in reportlib/reports/{name}"
    cells = json.loads(notebook.read_text("utf-8"))["cells"]
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells), \
        f"{name}: {spec.notebook_file} has no cell tagged 'parameters'"
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert f'open_report("{name}"' in code, f"{name}: its notebook opens another report"
    assert render.notebook_path(name).name == spec.notebook_file

    # Its class imports, is a report, and agrees with its entry.
    module = importlib.import_module(f"reportlib.{spec.module}")
    cls = getattr(module, spec.class_name, None)
    assert cls is not None, f"{name}: no class {spec.class_name} in reportlib.{spec.module}"
    assert issubclass(cls, BaseReport)
    assert cls.report_name == name
    assert cls.title_key == spec.title_key

    # Its title is a label in both locales.
    label = i18n.LABELS.get(spec.title_key, {})
    for locale in ("pt-BR", "en"):
        assert label.get(locale), f"{name}: title {spec.title_key!r} has no {locale} label"

    # Each mart and staging table is an SQL file, or a staging table the bundle copies.
    for table in spec.staging:
        assert sql_file(name, table), f"{name}: staging {table}: no {table}.sql"
    for table in spec.marts:
        assert sql_file(name, table) or table in spec.staging, \
            f"{name}: mart {table}: no {table}.sql and not one of its staging tables"
        assert marts.sql(table) if table not in spec.staging else True
    assert set(spec.marts) <= set(marts.mart_names((name,)))
    for table in marts.COMMON_MARTS:
        assert (SHARED_SQL / f"{table}.sql").is_file()

    # It reads known source kinds; an alternative pairs two of its own kinds.
    assert spec.sources, f"{name}: reads no source kind"
    for kind in spec.sources:
        assert kind in sources.KNOWN_SOURCES, f"{name}: {kind!r} is not a known source kind"
        assert f"source.{kind}" in i18n.LABELS, f"{name}: source {kind!r} has no label"
    for pair in spec.alternatives:
        assert len(pair) == 2 and set(pair) <= set(spec.sources), (name, pair)

    # Its headline figures have a format the index knows; each extra has a writer.
    for key, label_text, kind in spec.headlines:
        assert key and label_text and kind in ("number", "money", "percent"), (name, key)
    for extra in spec.extras:
        assert extra in render.EXTRA_WRITERS, f"{name}: extra {extra!r} has no writer"


def test_every_report_folder_is_a_registered_report():
    registered = {(r.name, r.notebook_file) for r in registry.REPORTS}
    shipped = {(p.parent.name, p.name) for p in REPORTS.glob("*/*.ipynb")}
    assert shipped == registered
    folders = {p.name for p in REPORTS.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == {r.name for r in registry.REPORTS}


def test_the_registry_imports_nothing_from_reportlib():
    """Plain data: any module may read it without an import cycle."""
    tree = ast.parse((REPO / "reportlib" / "registry.py").read_text("utf-8"))
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append("." * node.level + (node.module or ""))
    assert imported, "expected at least its __future__ and dataclasses imports"
    assert not [m for m in imported if m.startswith(".") or m.split(".")[0] == "reportlib"], \
        imported
