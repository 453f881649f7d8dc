"""The e-mail as a client shows it: the HTML part of a message received by a real SMTP server on
loopback, its `cid:` charts swapped for data: URIs (what a mail client does with the related
parts), opened by headless Chromium on a 390 px phone and a 1280 px desktop. The page is never
wider than the phone's screen (wide tables scroll inside themselves), the charts load, and the
styles hold even when a client strips the `<style>` block. Screenshots of both are kept in the
test's tmp folder (email-390.png, email-1280.png)."""

from __future__ import annotations

import base64
import re
from dataclasses import replace

import pytest

from reportlib import cli
from reportlib import params as params_mod
from tests.conftest import ACME
from tests.render.test_render import run
from tests.smtp import SmtpServer, free_port
from tests.test_browser import ARGS, CHROMIUM

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                 "(.ci/run installs it: apt-get install chromium)")]


@pytest.fixture
def received(tmp_path, tiny_warehouse, params_dir, monkeypatch):
    """The consumption report of acme, 2026-10, as its recipient's server received it."""
    params_mod.dump_tenant(params_dir, replace(ACME, recipients={
        "consumption": ["cfo@acme.example"]}))
    assert run(tmp_path, tiny_warehouse, params_dir) == 0
    port = free_port()
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port)), ("SECURITY", "none"),
                        ("FROM", "reports@reportlib.example")):
        monkeypatch.setenv(f"REPORTLIB_SMTP_{name}", value)
    monkeypatch.delenv("REPORTLIB_SMTP_USER", raising=False)
    server = SmtpServer(port).start()
    try:
        assert cli.main(["email", "--tenant", "acme", "--period", "2026-10", "--report",
                         "consumption", "--now", "2026-11-20T10:00:00+00:00", "--warehouse",
                         str(tiny_warehouse), "--params", str(params_dir), "--outputs",
                         str(tmp_path / "out")]) == 0
    finally:
        server.stop()
    [(_, message)] = server.inbox.messages
    return message


def as_a_client_shows_it(message) -> str:
    """The HTML part with each `cid:` reference replaced by its part's bytes as a data: URI."""
    html_part = message.get_body(preferencelist=("html",))
    related = {part["Content-ID"].strip("<>"): part for part in message.walk()
               if part["Content-ID"]}
    body = html_part.get_content()

    def data_uri(match: re.Match) -> str:
        part = related[match.group(1)]
        return (f'src="data:{part.get_content_type()};base64,'
                f'{base64.b64encode(part.get_content()).decode()}"')

    shown = re.sub(r'src="cid:([^"]+)"', data_uri, body)
    assert "cid:" not in shown
    return shown


MEASURE = """() => ({
    viewport: window.innerWidth,
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    images: Array.from(document.images).map(i => [i.alt, i.complete ? i.naturalWidth : 0,
                                                  i.getBoundingClientRect().right,
                                                  i.className, getComputedStyle(i).display,
                                                  i.getBoundingClientRect().width]),
    scrollers: Array.from(document.querySelectorAll('.table-scroll')).map(d => [
        d.clientWidth, d.scrollWidth, getComputedStyle(d).overflowX,
        d.getBoundingClientRect().right]),
    cell: (() => { const td = document.querySelector('table.data td');
                   const s = getComputedStyle(td);
                   return [s.borderBottomWidth, s.paddingLeft, s.fontSize]; })(),
    heading: getComputedStyle(document.querySelector('h2')).borderBottomWidth,
    styles: document.querySelectorAll('style').length,
})"""


def test_the_email_fits_a_phone_and_a_desktop(received, tmp_path):
    from playwright.sync_api import sync_playwright

    shown = as_a_client_shows_it(received)
    outside, errors, seen = [], [], {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for width, strip_style in ((390, False), (1280, False), (390, True)):
                page = browser.new_page(viewport={"width": width, "height": 844},
                                        device_scale_factor=1)
                page.on("console",
                        lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))

                def guard(route):  # nothing leaves the machine
                    if route.request.url.startswith(("data:", "about:")):
                        route.continue_()
                    else:
                        outside.append(route.request.url)
                        route.abort()

                page.route("**/*", guard)
                page.set_content(shown, wait_until="load")
                if strip_style:  # a client that drops <style> keeps only the style= attributes
                    page.evaluate("document.querySelectorAll('style').forEach(s => s.remove())")
                page.wait_for_function(
                    "Array.from(document.images).every(i => i.complete)")
                seen[width, strip_style] = page.evaluate(MEASURE)
                if not strip_style:
                    page.screenshot(path=str(tmp_path / f"email-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert errors == [] and outside == []
    for (width, strip_style), m in seen.items():
        assert m["viewport"] == width
        # The page never gets wider than the screen, with or without the <style> block.
        assert m["scrollWidth"] <= width, (width, strip_style, m["scrollWidth"])
        # Each chart twice, wide then its phone rendition; one of the two is shown.
        assert [alt for alt, *_ in m["images"]] == ["Contagem diária"] * 2 + ["Custo"] * 2
        assert all(natural > 0 and right <= width for _, natural, right, *_ in m["images"])
        shown = [(kind, natural, drawn) for _, natural, _, kind, display, drawn in m["images"]
                 if display != "none"]
        # The phone (the @media rule) shows the phone renditions; the desktop, and a client
        # that drops <style>, the wide ones.
        kind = "chart chart-narrow" if width == 390 and not strip_style else "chart chart-wide"
        assert [k for k, *_ in shown] == [kind] * 2, (width, strip_style, shown)
        if kind.endswith("narrow"):
            # Shrunk to the phone's width by at most half (the wide one by three quarters):
            # its labels of 9.6 points at 144 dpi stay some 10 pixels.
            assert all(drawn / natural >= 0.5 for _, natural, drawn in shown), shown
        # by number, cost, projection (no message records: the reconciliation has no table)
        assert len(m["scrollers"]) == 3
        assert all(overflow == "auto" and right <= width
                   for _, _, overflow, right in m["scrollers"])
        # Styles inlined into the elements: table rules and heading rules drawn either way.
        assert m["cell"][:2] == ["1px", "5px"] and m["heading"] == "2px"
        assert m["styles"] == (0 if strip_style else 1)
    phone, desktop = seen[390, False], seen[1280, False]
    # On the phone the wide tables scroll inside their wrapper; on the desktop they fit.
    assert any(scroll > client for client, scroll, *_ in phone["scrollers"])
    assert all(scroll <= client for client, scroll, *_ in desktop["scrollers"])
    assert phone["cell"][2] == "11px" and desktop["cell"][2] == "12px"  # the @media rule
    assert seen[390, True]["cell"][2] == "12px"  # without <style>: the inlined size
    for width in (390, 1280):
        assert (tmp_path / f"email-{width}.png").read_bytes().startswith(b"\x89PNG")
