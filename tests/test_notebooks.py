"""The notebooks as committed: without outputs, and each section cell naming the frames that
hold its data (the `*_df` frames its report method reads), so an analyst knows where to look.

`python -m tests.test_notebooks` rewrites those comments after a report's code changes.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import textwrap
from pathlib import Path

import pytest

from reportlib import registry
from tests.conftest import REPO

NOTEBOOKS = sorted([*(REPO / "reportlib" / "reports").glob("*/*.ipynb"),
                    *(REPO / "examples").glob("*.ipynb")])
SECTION_CALL = re.compile(r"^report\.(\w+)\(\)\s*$")
FRAMES_LINE = "# Its data: "


def frames_of(cls) -> dict[str, list[str]]:
    """Per method of a report class: the `*_df` frames it reads, itself or through the methods
    it calls on self (transitively)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]
    methods = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    direct, calls = {}, {}
    for name, node in methods.items():
        attrs = {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
                 and isinstance(n.value, ast.Name) and n.value.id == "self"}
        direct[name] = {a for a in attrs if a.endswith("_df")}
        calls[name] = {a for a in attrs if a in methods}

    def reach(name: str, seen: set[str]) -> set[str]:
        found = set(direct.get(name, ()))
        for other in calls.get(name, ()) - seen:
            seen.add(other)
            found |= reach(other, seen)
        return found

    return {name: sorted(reach(name, {name})) for name in methods}


def expected_cells(spec: registry.Report, cells: list[dict]) -> list[str]:
    """Each code cell's source as it should read: a section call preceded by its frames."""
    module = importlib.import_module(f"reportlib.{spec.module}")
    frames = frames_of(getattr(module, spec.class_name))
    wanted = []
    for cell in cells:
        source = "".join(cell["source"])
        lines = [line for line in source.splitlines() if not line.startswith(FRAMES_LINE)]
        call = SECTION_CALL.match(lines[-1]) if cell["cell_type"] == "code" and lines else None
        if call and frames.get(call.group(1)):
            names = ", ".join(f"report.{f}" for f in frames[call.group(1)])
            lines = [f"{FRAMES_LINE}{names}", *lines]
        wanted.append("\n".join(lines))
    return wanted


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path):
    nb = json.loads(path.read_text("utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and
             (c.get("outputs") or c.get("execution_count") is not None)]
    assert dirty == [], f"{path.name}: cells {dirty} carry outputs (clear them before committing)"


@pytest.mark.parametrize("spec", registry.REPORTS, ids=lambda s: s.name)
def test_each_section_names_the_frames_behind_it(spec: registry.Report):
    path = REPO / "reportlib" / "reports" / spec.name / spec.notebook_file
    cells = json.loads(path.read_text("utf-8"))["cells"]
    assert ["".join(c["source"]) for c in cells] == expected_cells(spec, cells), \
        f"{path.name}: run `python -m tests.test_notebooks` to name each section's frames"


def rewrite() -> None:
    for spec in registry.REPORTS:
        path = REPO / "reportlib" / "reports" / spec.name / spec.notebook_file
        nb = json.loads(path.read_text("utf-8"))
        for cell, source in zip(nb["cells"], expected_cells(spec, nb["cells"]), strict=True):
            lines = source.splitlines(keepends=True)
            cell["source"] = lines
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    rewrite()
