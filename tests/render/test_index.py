"""outputs/index.html from hand-made manifests: display names, report titles, statuses with
their legend, headline figures, links, times, every text escaped; and in a real browser at
1280 px, no horizontal scroll and no word broken across two lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reportlib.render import write_index

HOSTILE = '<script>alert("x")</script> & Co'


def manifest(outputs: Path, tenant: str, period: str, reports: dict) -> None:
    folder = outputs / tenant / period
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(
        {"tenant": tenant, "period": period, "as_of": "2026-11-20", "reports": reports},
        ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    manifest(out, "acme", "2026-10", {
        "consumption": {
            "status": "ok", "error": None, "ended_at": "2026-11-20T10:00:12.5+00:00",
            "files": {"html": "consumption.html", "pdf": "consumption.pdf",
                      "notebook": "consumption.ipynb"},
            "figures": {"total": 1234567, "paid": 45678, "cost_usd.headline": 12345.5,
                        "cost_usd.total": 99.0, "units": ["message"], "partial": False}},
        "campaigns": {
            "status": "ok", "ended_at": "2026-11-02T09:15:00+00:00",
            "files": {"html": "campaigns.html", "pdf": "campaigns.pdf",
                      "csv": ["campaigns/black-friday.csv", 'campaigns/a"b.csv']},
            "figures": {"campaigns": 3, "audience": 25000, "read": 18000, "partial": True}},
        "chatbots": {"status": "no_data", "ended_at": "2026-11-20T10:01:00+00:00",
                     "files": {"html": "chatbots.html", "pdf": "chatbots.pdf"},
                     "figures": {"no_data": True, "partial": False}},
    })
    manifest(out, "evil", "2026-09", {
        "attendance": {
            "status": "failed", "ended_at": "2026-11-20T10:02:00+00:00",
            "error": "KeyError: <img src=x onerror=alert(1)> not found",
            "files": {"html": "attendance.html", "pdf": "attendance.pdf",
                      "failed_notebook": "attendance.failed.ipynb"},
            "figures": {},
            "last_good": {"files": {"html": "attendance.html", "pdf": "attendance.pdf"},
                          "figures": {"opened": 4321, "handled": 4000,
                                      "sla_attainment": 0.8512},
                          "ended_at": "2026-10-31T23:59:00+00:00"}},
    })
    return out


NAMES = {"acme": "Acme Lojas S.A.", "evil": HOSTILE}
SENT = {("acme", "2026-10", "consumption"): "2026-11-20 11:30"}


def body(page: str) -> str:
    return page.split("</style>", 1)[1]


def test_index_shows_names_titles_statuses_figures_links_and_times(outputs):
    page = write_index(outputs, SENT, NAMES).read_text("utf-8")
    text = body(page)
    # Display names, not ids; report titles, not slugs; the period in words.
    assert "<h2>Acme Lojas S.A.</h2>" in text and "<h2>acme</h2>" not in text
    for title in ("WhatsApp consumption", "Active-message campaigns",
                  "Chatbots: users and messages", "Human attendance"):
        assert f'<td class="report">{title}</td>' in text
    assert ">consumption<" not in text and "October 2026" in text
    # The legend names every status.
    legend = text.split('class="legend"', 1)[1].split("</ul>", 1)[0]
    for label in ("OK", "Partial", "Failed", "No data"):
        assert f">{label}</span>" in legend
    # Statuses: ok, partial (figures say so, with the consolidation date), no data, failed.
    assert '<span class="st st-ok">OK</span>' in text
    assert '<span class="st st-partial">Partial</span>' in text
    assert "final on November 9, 2026" in text
    assert '<span class="st st-no_data">No data</span>' in text
    assert '<span class="st st-failed">Failed</span>' in text
    assert "run of 2026-11-20 10:02 failed; last good run&#39;s files" in text
    # Headline figures with thousands separators (and the unit of consumption).
    for label, value in (("Messages", "1,234,567"), ("Paid", "45,678"), ("Cost", "$12,345.50"),
                         ("Campaigns", "3"), ("Audience", "25,000"), ("Read", "18,000"),
                         ("Tickets", "4,321"), ("Handled", "4,000"), ("Within SLA", "85.1%")):
        assert (f'<span class="label">{label}</span> <span class="value">{value}</span>'
                in text), label
    # Links to HTML, PDF and CSV files, relative to the index.
    for href in ("acme/2026-10/consumption.html", "acme/2026-10/consumption.pdf",
                 "acme/2026-10/campaigns/black-friday.csv", "acme/2026-10/campaigns/a%22b.csv",
                 "evil/2026-09/attendance.html"):
        assert f'href="{href}"' in text, href
    assert ">black-friday.csv</a>" in text and ">a&#34;b.csv</a>" in text
    # Produced and last sent (UTC, minutes).
    rows = re.findall(r'<tr class="row">(.*?)</tr>', text, flags=re.S)
    consumption = next(r for r in rows if "WhatsApp consumption" in r)
    assert '<td class="short">2026-11-20 10:00</td>' in consumption
    assert '<td class="short">2026-11-20 11:30</td>' in consumption
    attendance = next(r for r in rows if "Human attendance" in r)
    assert '<td class="short">2026-10-31 23:59</td>' in attendance  # the last good files
    assert "4 reports · 1 ok · 1 partial · 1 failed · 1 no data" in text


def test_index_escapes_every_text(outputs):
    page = write_index(outputs, SENT, NAMES).read_text("utf-8")
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page
    assert "KeyError: &lt;img src=x onerror=alert(1)&gt; not found" in page


def test_index_is_backwards_compatible_and_falls_back_to_the_id(outputs):
    page = body(write_index(outputs).read_text("utf-8"))
    assert "<h2>acme</h2>" in page and "<h2>evil</h2>" in page
    page = body(write_index(outputs, SENT).read_text("utf-8"))
    assert "<h2>acme</h2>" in page and "2026-11-20 11:30" in page
    page = body(write_index(outputs, SENT, {"acme": "Acme"}).read_text("utf-8"))
    assert "<h2>Acme</h2>" in page and "<h2>evil</h2>" in page


def test_index_of_nothing_and_of_an_unreadable_manifest(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert "No reports yet." in write_index(out).read_text("utf-8")
    (out / "acme" / "2026-10").mkdir(parents=True)
    (out / "acme" / "2026-10" / "manifest.json").write_text("{half a manifest")
    page = write_index(out).read_text("utf-8")
    assert "No reports yet." in page
    assert "Not listed (manifest.json unreadable): acme/2026-10" in page


def test_index_folds_many_csv_files(tmp_path):
    out = tmp_path / "out"
    manifest(out, "acme", "2026-10", {"campaigns": {
        "status": "ok", "files": {"html": "campaigns.html",
                                  "csv": [f"campaigns/c{n}.csv" for n in range(12)]},
        "figures": {"campaigns": 12, "audience": 1200, "partial": False}}})
    page = body(write_index(out).read_text("utf-8"))
    assert "<summary>12 CSV files</summary>" in page
    assert page.count('.csv">') == 12


def test_index_in_a_browser_at_1280_px(outputs):
    from tests.test_browser import ARGS, CHROMIUM

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    index = write_index(outputs, SENT, NAMES)
    outside, errors = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))

        def guard(route):
            if route.request.url.startswith(("file:", "data:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.goto(index.as_uri())
        text = page.inner_text("body")
        assert "Acme Lojas S.A." in text and HOSTILE in text
        assert "WhatsApp consumption" in text and "1,234,567" in text
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        # No word of any cell is broken across two lines.
        broken = page.evaluate("""() => {
            const broken = [];
            for (const cell of document.querySelectorAll('table.index td, table.index th')) {
                const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    if (node.parentElement.closest('details:not([open])')) continue;
                    for (const m of node.data.matchAll(/\\S+/g)) {
                        const range = document.createRange();
                        range.setStart(node, m.index);
                        range.setEnd(node, m.index + m[0].length);
                        const tops = new Set([...range.getClientRects()]
                            .filter(r => r.width > 0).map(r => Math.round(r.top)));
                        if (tops.size > 1) broken.push(m[0]);
                    }
                }
            }
            return broken;
        }""")
        assert broken == []
        # Short cells (times, figures, statuses, links) keep to one line.
        lines = page.eval_on_selector_all(
            "table.index td.short, table.index td.report, .figure, .st, td.files a",
            """els => els.map(e => {
                const range = document.createRange();
                range.selectNodeContents(e);
                return new Set([...range.getClientRects()].filter(r => r.width > 0)
                    .map(r => Math.round(r.bottom))).size;
            })""")
        assert lines and set(lines) == {1}
        browser.close()
    assert errors == [] and outside == []


def test_a_chatbots_figure_of_one_month_of_a_longer_period_names_its_days(tmp_path):
    """A period of days across two months: the chatbots' MAU, MEU and messages are its last
    month's (a month is what MAU counts), and the index showed them as the period's ('MAU
    790'). They name their days; a one-month period's figures are as before."""
    out = tmp_path / "out"
    figures = {"mau": 790, "meu": 673, "msgs": 4341, "sent": 9000, "received": 9500,
               "span": "2026-11-01..2026-11-14", "partial": False}
    manifest(out, "acme", "2026-10-15..2026-11-14", {"chatbots": {
        "status": "ok", "files": {"html": "chatbots.html"}, "figures": figures}})
    manifest(out, "acme", "2026-10", {"chatbots": {
        "status": "ok", "files": {"html": "chatbots.html"},
        "figures": {**figures, "span": "2026-10-01..2026-10-31"}}})
    page = body(write_index(out).read_text("utf-8"))
    assert page.count("MAU (November 1–14, 2026)") == 1, page
    assert "Messages (November 1–14, 2026)" in page
    assert re.search(r">MAU<", page)  # the month's own period: no days named
