"""The house style inside JupyterLab: report.css scoped to notebook outputs, so that a notebook
opened by an analyst shows its sections (KPI cards, tables, headers) as the report shows them,
without restyling JupyterLab itself."""

from __future__ import annotations

from importlib import resources

import tinycss2

# Where a cell's HTML output sits: JupyterLab, and the classic notebook.
SCOPES = (".jp-OutputArea-output", ".output_html")
# Page-level selectors stand for the output itself; the page's own margins are not a cell's.
PAGE = {":root", "html"}
SKIP = {"body"}
# JupyterLab right-aligns every table cell of rendered HTML; a report aligns text left.
LAB_ONLY = "table.data td, table.data th { text-align: left; } table.data td.num, " \
           "table.data th.num { text-align: right; }"


def _scoped(selector: str) -> str:
    parts = []
    for one in (s.strip() for s in selector.split(",") if s.strip()):
        if one.startswith(SCOPES):
            parts.append(one)
            continue
        for scope in SCOPES:
            parts.append(scope if one in PAGE else f"{scope} {one}")
    return ", ".join(parts)


def scoped_css(css: str | None = None) -> str:
    """report.css with every rule under the notebook's output areas; print-only rules
    (@page, @media print) left out."""
    given = css
    if css is None:
        css = (resources.files("reportlib") / "look" / "templates" / "report.css").read_text(
            "utf-8")
    rules = []
    css += LAB_ONLY if given is None else ""
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue  # @page, @media print: the paper's, not the screen's
        selector = tinycss2.serialize(rule.prelude).strip()
        body = tinycss2.serialize(rule.content).strip()
        if selector in SKIP:
            continue
        rules.append(f"{_scoped(selector)} {{ {body} }}")
    return "\n".join(rules)


def style_block() -> dict:
    """The display bundle a notebook shows once: the scoped stylesheet as HTML."""
    return {"text/html": f"<style>{scoped_css()}</style>", "text/plain": ""}
