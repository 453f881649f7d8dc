"""A real browser opens outputs/index.html, follows its links to each report of one tenant,
and checks that pages load without console errors, images render and nothing leaves the
machine. Headless Chromium from Debian (`.ci/run` installs it), driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

from reportlib import cli
from reportlib.params import REPORTS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                 "(.ci/run installs it: apt-get install chromium)")]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_index_links_every_report_and_pages_render(tmp_path, tiny_warehouse, params_dir):
    from playwright.sync_api import sync_playwright

    assert cli.main(["run", "--tenant", "acme", "--period", "2026-10", "--as-of",
                     "2026-11-20", "--warehouse", str(tiny_warehouse), "--params",
                     str(params_dir), "--outputs", str(tmp_path / "out"), "--jobs", "2"]) == 0
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 partial(Quiet, directory=str(tmp_path / "out")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    outside, errors = [], []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def guard(route):
                host = urlparse(route.request.url).hostname
                if route.request.url.startswith("data:") or host == "127.0.0.1":
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.goto(f"{base}/index.html")
            links = page.eval_on_selector_all(
                "a[href$='.html']", "els => els.map(e => e.getAttribute('href'))")
            acme = sorted(h for h in links if h.startswith("acme/"))
            assert acme == sorted(f"acme/2026-10/{r}.html" for r in REPORTS)
            for href in acme:
                page.goto(f"{base}/index.html")
                page.click(f"a[href='{href}']")
                page.wait_for_load_state("load")
                assert page.url == f"{base}/{href}"
                assert page.locator("h1").count() == 1
                widths = page.eval_on_selector_all(
                    "img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
                assert all(w > 0 for w in widths), (href, widths)
                if href.endswith("consumption.html"):
                    assert len(widths) >= 2  # the daily and cost charts
                    # On a phone the page shows each chart's phone rendition (its <picture>'s
                    # <source>), narrower in pixels; on a desktop, the wide one.
                    shown = {}
                    for width in (390, 1280):
                        page.set_viewport_size({"width": width, "height": 800})
                        page.reload(wait_until="load")
                        shown[width] = page.eval_on_selector_all("img.chart", """imgs =>
                            imgs.map(i => [i.currentSrc === i.src, i.naturalWidth,
                                           i.getBoundingClientRect().right])""")
                        assert all(right <= width for *_, right in shown[width])
                    assert all(not wide for wide, *_ in shown[390]), shown[390]
                    assert all(wide for wide, *_ in shown[1280]), shown[1280]
                    assert all(phone[1] < desk[1] * 0.7
                               for phone, desk in zip(shown[390], shown[1280], strict=True))
                # On a phone the page is as wide as the screen: a wider table scrolls
                # sideways in its own box (it pushed the whole page wider, prose and all).
                page.set_viewport_size({"width": 390, "height": 800})
                page.reload(wait_until="load")
                wide = page.evaluate("""() => [document.documentElement.scrollWidth,
                    Math.max(0, ...[...document.querySelectorAll('table.data')].map(
                        t => t.getBoundingClientRect().right))]""")
                assert wide[0] <= 390 and wide[1] <= 390, (href, wide)
                page.set_viewport_size({"width": 1280, "height": 800})
            pdf_links = page.goto(f"{base}/index.html") and page.eval_on_selector_all(
                "a[href$='.pdf']", "els => els.length")
            assert pdf_links >= len(REPORTS)
            browser.close()
    finally:
        server.shutdown()
    assert errors == [] and outside == []
