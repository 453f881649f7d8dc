"""reportlib/look/lab.py: the report's stylesheet scoped to notebook outputs in JupyterLab."""

from __future__ import annotations

import tinycss2

from reportlib.look.lab import SCOPES, scoped_css

CSS = """
:root { --ink: #212529; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 980px; }
.card, table.data th { padding: 8px; }
@page { size: A4; }
@media print { h2 { break-after: avoid; } }
"""


def test_every_rule_stays_inside_the_output_areas():
    css = scoped_css(CSS)
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    selectors = [tinycss2.serialize(r.prelude).strip() for r in rules]
    # Worked by hand: :root and * for both scopes, body dropped (the page's margins), two
    # selectors times two scopes, the print-only rules left out.
    assert selectors == [
        ".jp-OutputArea-output, .output_html",
        ".jp-OutputArea-output *, .output_html *",
        ".jp-OutputArea-output .card, .output_html .card, "
        ".jp-OutputArea-output table.data th, .output_html table.data th",
    ]
    assert all(r.type == "qualified-rule" for r in rules)
    assert "A4" not in css and "break-after" not in css and "980px" not in css


def test_the_house_stylesheet_scopes_cleanly():
    css = scoped_css()
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    assert rules and all(r.type == "qualified-rule" for r in rules)
    for rule in rules:
        for one in tinycss2.serialize(rule.prelude).split(","):
            assert one.strip().startswith(SCOPES), one
    assert ".jp-OutputArea-output .cards" in css  # the KPI tiles that collapsed


def test_text_cells_stay_left_where_jupyterlab_right_aligns_them():
    css = scoped_css()
    assert ".jp-OutputArea-output table.data td, .output_html table.data td, " \
           ".jp-OutputArea-output table.data th, .output_html table.data th " \
           "{ text-align: left; }" in css
