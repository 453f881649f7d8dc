"""reportlib/environment.py: the one module that reads environment variables."""

from __future__ import annotations

import ast
from pathlib import Path

from reportlib import environment
from tests.conftest import REPO


def test_no_other_module_reads_the_environment():
    readers = []
    for path in sorted((REPO / "reportlib").rglob("*.py")):
        if path.name == "environment.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                    isinstance(node.value, ast.Name) and node.value.id == "os":
                readers.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert readers == []


def test_the_command_defaults_and_what_overrides_them():
    plain = environment.command_settings({})
    assert (plain.warehouse, plain.params, plain.outputs, plain.rate_card) == (
        Path("warehouse.duckdb"), Path("params"), Path("outputs"), None)
    assert plain.smtp == {}
    given = environment.command_settings({
        "REPORTLIB_WAREHOUSE": "/w/wh.duckdb", "REPORTLIB_PARAMS": "/w/p",
        "REPORTLIB_OUTPUTS": "/w/o", "REPORTLIB_RATE_CARD": "/w/card.csv",
        "REPORTLIB_SMTP_HOST": "mail.example", "REPORTLIB_SMTP_PASSWORD": "s3cret",
        "HOME": "/root"})
    assert (given.warehouse, given.params, given.outputs, given.rate_card) == (
        Path("/w/wh.duckdb"), Path("/w/p"), Path("/w/o"), Path("/w/card.csv"))
    assert given.smtp == {"host": "mail.example", "password": "s3cret"}


def test_an_empty_variable_is_its_default_not_the_working_folder(tmp_path):
    """`REPORTLIB_OUTPUTS=` (an EnvironmentFile's or a crontab's empty line) was the path "":
    the reports went into the folder the command ran in, index.html and tenant folders among
    the operator's files."""
    empty = {"REPORTLIB_WAREHOUSE": "", "REPORTLIB_PARAMS": " ", "REPORTLIB_OUTPUTS": "",
             "REPORTLIB_RATE_CARD": ""}
    settings = environment.command_settings(empty)
    assert (settings.warehouse, settings.params, settings.outputs, settings.rate_card) == (
        Path("warehouse.duckdb"), Path("params"), Path("outputs"), None)
    (tmp_path / "warehouse.duckdb").write_bytes(b"")
    found = environment.notebook_settings(tmp_path, empty)
    assert (found.warehouse, found.params) == (tmp_path / "warehouse.duckdb",
                                               tmp_path / "params")


def test_a_notebook_finds_the_warehouse_above_its_folder(tmp_path):
    (tmp_path / "warehouse.duckdb").write_bytes(b"")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    found = environment.notebook_settings(notebooks, {})
    assert found.warehouse == tmp_path / "warehouse.duckdb"
    assert found.params == tmp_path / "params"
    assert environment.notebook_settings(notebooks, {"REPORTLIB_PARAMS": "/p"}).params == \
        Path("/p")
    assert environment.notebook_settings(tmp_path.parent / "elsewhere-none", {}) is None
