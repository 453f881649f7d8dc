"""E-mail to a real SMTP server on loopback: MIME tree, once only, failures retried."""

from __future__ import annotations

import html
import io
import re
import signal
from datetime import UTC, datetime

import pytest
from PIL import Image

from reportlib import cli, deliver
from reportlib import params as params_mod
from reportlib.environment import command_settings
from reportlib.errors import ReportError
from reportlib.warehouse import history
from tests.conftest import ACME
from tests.render.test_render import run
from tests.smtp import SmtpServer, free_port, refuse_every_login, tls_context

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow


@pytest.fixture
def smtp_env(monkeypatch):
    port = free_port()
    monkeypatch.setenv("REPORTLIB_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REPORTLIB_SMTP_PORT", str(port))
    monkeypatch.setenv("REPORTLIB_SMTP_SECURITY", "none")
    monkeypatch.setenv("REPORTLIB_SMTP_FROM", "reports@reportlib.example")
    return port


@pytest.fixture
def rendered(tmp_path, tiny_warehouse, params_dir):
    from dataclasses import replace

    params_mod.dump_tenant(params_dir, replace(ACME, recipients={
        "consumption": ["cfo@acme.example", "ops@acme.example"], "all": ["ceo@acme.example"]}))
    assert run(tmp_path, tiny_warehouse, params_dir) == 0
    return tmp_path


def email(tmp_path, warehouse, params_dir, now="2026-11-20T10:00:00+00:00"):
    return cli.main(["email", "--tenant", "acme", "--period", "2026-10", "--report",
                     "consumption", "--now", now, "--warehouse", str(warehouse), "--params",
                     str(params_dir), "--outputs", str(tmp_path / "out")])



def test_email_mime_tree(rendered, tiny_warehouse, params_dir, smtp_env, capsys):
    server = SmtpServer(smtp_env).start()
    try:
        assert email(rendered, tiny_warehouse, params_dir) == 0
    finally:
        server.stop()
    assert len(server.inbox.messages) == 2  # the consumption list, and the `all` list
    by_list = {tuple(rcpt): msg for rcpt, msg in server.inbox.messages}
    message = by_list[("cfo@acme.example", "ops@acme.example")]
    assert ("ceo@acme.example",) in by_list
    assert message["Subject"] == ("Consumo de WhatsApp · Acme <Lojas> · outubro de 2026 · "
                                  "consolidado")  # as of 20 Nov: consolidated on 9 Nov
    assert message["To"] == "cfo@acme.example, ops@acme.example"
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    body = html_part.get_content()
    cids = re.findall(r'src="cid:([^"]+)"', body)
    assert cids and sorted(cids) == sorted(i["Content-ID"].strip("<>") for i in images)
    assert all(i.get_content_type() == "image/png" and i.get_content().startswith(b"\x89PNG")
               for i in images)
    # Charts are shown in the body, not listed beside the PDF: inline, never attachments.
    assert all(i.get_content_disposition() == "inline" and not i.is_attachment()
               for i in images)
    assert [p.get_content_type() for p in message.walk() if p.is_attachment()] == [
        "application/pdf"]
    tags = re.findall(r"<img\b[^>]*>", body)
    assert len(tags) == len(images)
    alts = [html.unescape(re.search(r'\balt="([^"]*)"', tag).group(1)) for tag in tags]
    # Each chart's title, twice: the wide image, then its phone rendition, hidden but on a
    # narrow screen (the @media rule), narrower in pixels than the wide one.
    assert alts == ["Contagem diária", "Contagem diária", "Custo", "Custo"]
    kinds = [re.search(r'class="chart (chart-\w+)"', tag).group(1) for tag in tags]
    assert kinds == ["chart-wide", "chart-narrow"] * 2
    assert all(re.search(r'style="[^"]*display: ?none', tag) for tag in tags[1::2])
    assert not any("display: none" in tag or "display:none" in tag for tag in tags[::2])
    widths = {i["Content-ID"].strip("<>"): Image.open(io.BytesIO(i.get_content())).size[0]
              for i in images}
    pairs = [tuple(widths[re.search(r'src="cid:([^"]+)"', t).group(1)] for t in tags[k:k + 2])
             for k in (0, 2)]
    assert all(narrow < wide * 0.7 for wide, narrow in pairs), pairs
    # The stylesheet is inlined into the elements; only @media stays in a <style> block.
    cells = re.findall(r"<t[dh]\b[^>]*>", body)
    assert cells and all('style="' in cell and "padding" in cell for cell in cells)
    assert all("border-bottom" in c for c in re.findall(r"<td\b[^>]*>", body))
    styles = re.findall(r"<style[^>]*>(.*?)</style>", body, flags=re.S)
    assert len(styles) == 1 and styles[0].strip().startswith("@media")
    assert re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", styles[0]).strip() == ""
    # Every data table scrolls sideways inside a wrapper instead of widening the page.
    tables = re.findall(r'(<div[^>]*>)<table class="data"', body)
    # 3: by number, cost, projection (no message records: the reconciliation has no table)
    assert len(tables) == body.count("<table") == 3
    assert all(re.search(r'style="[^"]*overflow-x: ?auto', wrapper) for wrapper in tables)
    assert "data:image" not in body and "<script" not in body.lower()
    assert len(body.encode()) < 100_000
    assert "Acme &lt;Lojas&gt;" in body
    assert attachment.get_content_type() == "application/pdf"
    # Named for its reader, in the reader's language: not "acme-consumption-2026-10.pdf"
    # (the tenant's slug and the report's internal name); "<" and ">" cannot be in a file name.
    assert attachment.get_filename() == "Consumo de WhatsApp - Acme Lojas - outubro de 2026.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    text = plain.get_content()
    assert "Resumo" in text and "US$ 12,50" in text
    lines = text.splitlines()
    # Headings and paragraphs on their own lines, each heading underlined.
    assert lines[:5] == ["Consumo de WhatsApp · Acme <Lojas>", "=" * 34, "outubro de 2026",
                         "Dados até 20 de novembro de 2026 (exclusive)",
                         "Consolidado em 9 de novembro de 2026"]
    at = lines.index("Resumo")
    assert lines[at - 1:at + 3] == ["", "Resumo", "------", (
        "No período foram 500 mensagens: 200 iniciadas pela empresa e 300 pelo usuário. "
        "200 foram pagas.")]
    assert lines[at + 3] == "" and lines[at + 4].startswith("Custo informado pela Meta:")
    # A table row per line, its cells separated; a card as label: value; a chart by its title.
    assert ("Origem · Categoria · Tipo de cobrança · Quantidade · Pagas · Gratuitas · "
            "Custo estimado · Custo da Meta") in lines
    assert ("Iniciadas pela empresa · Marketing · Regular · 200 · 200 · 0 · US$ 12,50 · "
            "US$ 12,50") in lines
    assert "Total · – · – · 500 · 200 · 300 · US$ 12,50 · US$ 12,50" in lines
    assert "Custo (Meta): US$ 12,50" in lines and "[Contagem diária]" in lines
    assert lines[-1] == "Consumo de WhatsApp · Acme <Lojas> · outubro de 2026"
    # No words of two elements run together.
    for glued in ("2026Dados", "2026Consolidado", "ResumoNo", "200Iniciadas", "OrigemCategoria",
                  "12,50Iniciadas", "empresaMarketing"):
        assert glued not in text, glued
    for part in (body, text):
        assert "551140000001" not in part and "4000-0001" not in part
    # The HTML part keeps the number on one line; the text part has no lines to break.
    assert "+55&nbsp;•••&nbsp;••••-0001" in body and "+55 ••• ••••-0001" in text


def test_email_is_sent_once_and_failures_are_retried(rendered, tiny_warehouse, params_dir,
                                                      smtp_env, capsys):
    # Server down: the attempt is recorded as failed and the command exits 1. Its line names
    # the server ('failed: ConnectionRefusedError: [Errno 111] Connection refused' did not).
    assert email(rendered, tiny_warehouse, params_dir) == 1
    out = capsys.readouterr().out
    assert (f"acme 2026-10 consumption [consumption]: failed: SMTP server 127.0.0.1:{smtp_env}: "
            "ConnectionRefusedError: [Errno 111] Connection refused") in out.splitlines()
    server = SmtpServer(smtp_env).start()
    try:
        assert email(rendered, tiny_warehouse, params_dir, "2026-11-20T10:01:00+00:00") == 0
        assert email(rendered, tiny_warehouse, params_dir, "2026-11-20T10:02:00+00:00") == 0
    finally:
        server.stop()
    assert len(server.inbox.messages) == 2  # one per list, once
    assert "already sent for this output" in capsys.readouterr().out
    import duckdb

    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    rows = con.execute("SELECT list_name, status, attempt FROM deliveries ORDER BY "
                       "attempted_at, list_name").fetchall()
    con.close()
    assert rows == [("all", "failed", 1), ("consumption", "failed", 1),
                    ("all", "sent", 2), ("consumption", "sent", 2)]


def test_backoff_holds_a_scheduled_retry(rendered, tiny_warehouse, params_dir, smtp_env):
    settings = deliver.smtp_settings(params_dir, command_settings().smtp)
    tenant = params_mod.load_tenant(params_dir, "acme")
    first = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    failed = deliver.send_reports(tenant, "2026-10", ["consumption"], rendered / "out",
                                  tiny_warehouse, settings, first, respect_backoff=True)
    assert {d.status for d in failed} == {"failed"}
    held = deliver.send_reports(tenant, "2026-10", ["consumption"], rendered / "out",
                                tiny_warehouse, settings, first.replace(minute=3),
                                respect_backoff=True)
    assert {d.status for d in held} == {"skipped"} and "next attempt after" in held[0].detail


def test_a_failed_report_is_never_emailed(rendered, tiny_warehouse, params_dir, smtp_env,
                                          capsys):
    import json

    manifest = rendered / "out" / "acme" / "2026-10" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["reports"]["consumption"]["status"] = "failed"
    manifest.write_text(json.dumps(data))
    server = SmtpServer(smtp_env).start()
    try:
        assert email(rendered, tiny_warehouse, params_dir) == 1
    finally:
        server.stop()
    assert server.inbox.messages == []
    assert "not e-mailed: its last run failed" in capsys.readouterr().out


def test_smtp_password_only_from_the_environment(tmp_path, monkeypatch):
    for name in ("HOST", "FROM", "PORT", "SECURITY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"REPORTLIB_SMTP_{name}", raising=False)
    (tmp_path / "smtp.yaml").write_text("host: smtp.example\nfrom: r@x.example\n"
                                        "password: hunter2\n")
    with pytest.raises(ReportError, match="REPORTLIB_SMTP_PASSWORD"):
        deliver.smtp_settings(tmp_path, command_settings().smtp)
    (tmp_path / "smtp.yaml").write_text("host: smtp.example\nfrom: r@x.example\nuser: u\n")
    monkeypatch.setenv("REPORTLIB_SMTP_PASSWORD", "s3cret")
    settings = deliver.smtp_settings(tmp_path, command_settings().smtp)
    assert (settings.host, settings.port, settings.security, settings.password) == (
        "smtp.example", 587, "starttls", "s3cret")


def test_bad_recipient_address_is_refused():
    from dataclasses import replace

    tenant = replace(ACME, recipients={"consumption": ["ok@x.example", "evil\r\nBcc: x@y"]})
    with pytest.raises(ReportError, match="is not an e-mail address"):
        deliver.recipient_lists(tenant, "consumption")


def test_a_report_without_recipients_says_so(rendered, tiny_warehouse, params_dir, smtp_env,
                                             capsys):
    from dataclasses import replace

    params_mod.dump_tenant(params_dir, replace(ACME, recipients={}))
    server = SmtpServer(smtp_env).start()
    try:
        assert email(rendered, tiny_warehouse, params_dir) == 0  # nothing failed
    finally:
        server.stop()
    assert server.inbox.messages == []
    assert capsys.readouterr().out.splitlines() == [  # the file the command read
        "acme 2026-10 consumption: not sent: no recipients for this report (add them under "
        f"recipients: in {params_dir}/tenants/acme.yaml)"]


def test_smtp_security_values(tmp_path, monkeypatch):
    for name in ("HOST", "FROM", "PORT", "SECURITY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"REPORTLIB_SMTP_{name}", raising=False)
    (tmp_path / "smtp.yaml").write_text("host: smtp.example\nfrom: r@x.example\n")
    ports = {}
    for value in ("starttls", "ssl", "none", " SSL "):
        monkeypatch.setenv("REPORTLIB_SMTP_SECURITY", value)
        settings = deliver.smtp_settings(tmp_path, command_settings().smtp)
        ports[value] = (settings.security, settings.port)
    assert ports == {"starttls": ("starttls", 587), "ssl": ("ssl", 465),
                     "none": ("none", 587), " SSL ": ("ssl", 465)}
    monkeypatch.setenv("REPORTLIB_SMTP_SECURITY", "tls")
    with pytest.raises(ReportError) as caught:
        deliver.smtp_settings(tmp_path, command_settings().smtp)
    message = str(caught.value)
    assert message.startswith("REPORTLIB_SMTP_SECURITY: 'tls' is not one of starttls (")
    assert "; ssl (" in message and "; none (" in message and "\n" not in message
    monkeypatch.delenv("REPORTLIB_SMTP_SECURITY")
    (tmp_path / "smtp.yaml").write_text("host: smtp.example\nfrom: r@x.example\n"
                                        "security: tls\n")
    with pytest.raises(ReportError, match=r"smtp\.yaml: field security: 'tls' is not one of"):
        deliver.smtp_settings(tmp_path, command_settings().smtp)
    monkeypatch.setenv("REPORTLIB_SMTP_PORT", "smtp")
    monkeypatch.setenv("REPORTLIB_SMTP_SECURITY", "none")
    with pytest.raises(ReportError, match="REPORTLIB_SMTP_PORT: 'smtp' is not a port number"):
        deliver.smtp_settings(tmp_path, command_settings().smtp)


def test_smtp_settings_mistakes_are_one_line_before_any_send(tmp_path, monkeypatch):
    """A broken params/smtp.yaml, a line break in the sender or a port out of range stopped
    `reportlib email` with "unexpected error (ParserError ...)" or an AttributeError, or let
    the sender's line break reach the From header; each is now one line naming the setting."""
    for name in ("HOST", "FROM", "PORT", "SECURITY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"REPORTLIB_SMTP_{name}", raising=False)
    smtp_yaml = tmp_path / "smtp.yaml"
    cases = {
        "host: [\n": r"smtp\.yaml: line 2: not valid YAML$",
        "- smtp.example\n": r"smtp\.yaml: expected a mapping of settings \(host, port,",
        "hostname: smtp.example\nfrom: r@x.example\n":
            r"smtp\.yaml: field hostname: not a setting; did you mean host\?$",
        "host: smtp.example\nfrom: r@x.example\nport: 99999\n":
            r"smtp\.yaml: field port: 99999 is not a port number \(1 to 65535\)$",
        "host: smtp.example\nfrom: not-an-address\n":
            r"smtp\.yaml: field from: 'not-an-address' is not an e-mail address",
    }
    for text, expected in cases.items():
        smtp_yaml.write_text(text)
        with pytest.raises(ReportError, match=expected):
            deliver.smtp_settings(tmp_path, command_settings().smtp)
    smtp_yaml.write_text("host: smtp.example\nfrom: Reports <r@x.example>\n")
    assert deliver.smtp_settings(tmp_path, command_settings().smtp).sender == (
        "Reports <r@x.example>")
    monkeypatch.setenv("REPORTLIB_SMTP_FROM", "r@x.example\r\nBcc: spy@evil.example")
    with pytest.raises(ReportError) as caught:
        deliver.smtp_settings(tmp_path, command_settings().smtp)
    assert str(caught.value).startswith("REPORTLIB_SMTP_FROM: 'r@x.example\\r\\nBcc: spy@")
    assert "\n" not in str(caught.value)


def readme_smtp_environment() -> dict[str, str | None]:
    """The `export` and `unset` lines of the README's "E-mail and schedules" section, in
    order: what an operator who follows it ends up with (None: unset)."""
    import shlex

    from tests.conftest import REPO

    text = (REPO / "README.md").read_text("utf-8")
    section = text.split("\n## E-mail and schedules\n", 1)[1].split("\n## ", 1)[0]
    env: dict[str, str | None] = {}
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["export"]:
                env.update(word.split("=", 1) for word in words[1:])
            elif words[:1] == ["unset"]:
                env.update(dict.fromkeys(words[1:]))
    return env


def test_the_readme_configuration_reaches_a_plain_server(rendered, tiny_warehouse, params_dir,
                                                         monkeypatch, capsys):
    env = readme_smtp_environment()
    assert env["REPORTLIB_SMTP_SECURITY"] == "none"  # the README's plain-server lines
    assert env["REPORTLIB_SMTP_USER"] is None and env["REPORTLIB_SMTP_PASSWORD"] is None
    port = free_port()
    env.update(REPORTLIB_SMTP_HOST="127.0.0.1", REPORTLIB_SMTP_PORT=str(port))
    for name in ("HOST", "FROM", "PORT", "SECURITY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"REPORTLIB_SMTP_{name}", raising=False)
    for name, value in env.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    server = SmtpServer(port).start()
    try:
        assert email(rendered, tiny_warehouse, params_dir) == 0
    finally:
        server.stop()
    assert sorted(tuple(rcpt) for rcpt, _ in server.inbox.messages) == [
        ("ceo@acme.example",), ("cfo@acme.example", "ops@acme.example")]
    assert {msg["From"] for _, msg in server.inbox.messages} == {"reports@example.com"}
    assert "consumption [consumption]: sent: 2 recipient(s)" in capsys.readouterr().out


def test_subject_says_partial_or_consolidated():
    from dataclasses import replace

    from tests.conftest import BETA

    base = "Consumo de WhatsApp · Acme <Lojas> · outubro de 2026"
    assert deliver.subject(ACME, "consumption", "2026-10") == base  # unknown: unchanged
    partial = deliver.subject(ACME, "consumption", "2026-10", partial=True)
    consolidated = deliver.subject(ACME, "consumption", "2026-10", partial=False)
    assert partial == f"{base} · parcial" and consolidated == f"{base} · consolidado"
    assert partial != consolidated
    assert deliver.subject(BETA, "campaigns", "2026-10", partial=True) == (
        "Campaigns · Beta · October 2026 · partial")
    assert deliver.subject(BETA, "campaigns", "2026-10", partial=False).endswith(
        " · consolidated")
    evil = replace(ACME, display_name="Acme\r\nBcc: x@y")
    assert "\n" not in deliver.subject(evil, "consumption", "2026-10", partial=True)


def test_subject_stays_within_100_characters_saying_the_rest_shorter():
    """Mail clients cut a subject past its first words; the cut ones were the state and the
    alert. The longest title, period, state and flag of every report in both languages fit,
    worked out: the flag named while it fits, else counted; then a range of days in figures;
    then the company's name shortened."""
    from dataclasses import replace

    from reportlib import registry
    from tests.conftest import BETA

    flag = {"day": "2026-12-28", "metric": "read_rate", "subject": "authentication"}
    long_name = "Companhia Brasileira de Distribuição e Comércio Eletrônico S.A."
    for tenant in (ACME, BETA, replace(ACME, display_name=long_name),
                   replace(BETA, display_name=long_name)):
        for report in registry.REPORTS:
            for period in ("2026-12", "2026-12-01..2026-12-15", "2026-12-20..2027-01-19"):
                for flags in ([flag], [flag, flag]):
                    text = deliver.subject(tenant, report.name, period, partial=False,
                                           flags=flags, provisional=True)
                    assert len(text) <= deliver.SUBJECT_LIMIT, text
                    assert text.endswith(("1 alerta", "1 alert", "2 alertas", "2 alerts",
                                          "em 28/12", "on Dec 28")), text
    # Each step, by hand: a short title keeps everything written out (97 characters); the
    # long one (110) counts the flag instead.
    assert deliver.subject(ACME, "campaigns", "2026-12", partial=True, flags=[flag]) == (
        "Campanhas · Acme <Lojas> · dezembro de 2026 · parcial · "
        "alerta: leitura de autenticação em 28/12")
    assert deliver.subject(ACME, "desk_followup", "2026-12", partial=True, flags=[flag]) == (
        "Mensagens ativas do atendimento · Acme <Lojas> · dezembro de 2026 · parcial · "
        "1 alerta")
    half = deliver.subject(ACME, "desk_followup", "2026-12-01..2026-12-15", partial=False,
                           flags=[flag], provisional=True)
    assert half == ("Mensagens ativas do atendimento · Acme <Lojas> · 1º a 15 de dezembro de "
                    "2026 · provisório · 1 alerta")  # 100 characters
    across = deliver.subject(ACME, "desk_followup", "2026-12-20..2027-01-19", partial=False,
                             flags=[flag], provisional=True)  # written out: 117
    assert across == ("Mensagens ativas do atendimento · Acme <Lojas> · 20/12/2026 a 19/01/2027 · "
                      "provisório · 1 alerta")
    # 20 characters of name: 104 with the days in figures, so the name loses 4 and takes "…".
    longer = replace(ACME, display_name="Acme Lojas do Brasil")
    assert deliver.subject(longer, "desk_followup", "2026-12-01..2026-12-15", partial=False,
                           flags=[flag], provisional=True) == (
        "Mensagens ativas do atendimento · Acme Lojas do B… · 01/12/2026 a 15/12/2026 · "
        "provisório · 1 alerta")


def test_a_site_reports_long_title_is_shortened_last_in_its_subject():
    """A site's own report (params/reports.yaml) has no short title: a 79-character one made
    subjects of 134 characters. Worked out: the company's name is at its 12-character minimum
    already, so the title loses 35 characters for "…": 44 + 1 + 55 = 100."""
    from reportlib import registry

    title = "Relatório mensal de indicadores operacionais da central de atendimento e vendas"
    registry.use_site((registry.Report(
        name="indicadores", class_name="", title_key="", marts=(),
        notebook_path="/site/indicadores.ipynb", titles=(("pt-BR", title),)),))
    try:
        flag = {"day": "2026-12-28", "metric": "read_rate", "subject": "authentication"}
        text = deliver.subject(ACME, "indicadores", "2026-12", partial=True, flags=[flag])
    finally:
        registry.use_site(())
    assert text == ("Relatório mensal de indicadores operacionais… · "
                    "Acme <Lojas> · dezembro de 2026 · parcial · 1 alerta")
    assert len(text) == deliver.SUBJECT_LIMIT


def _hand_made_output(folder, partial):
    import json

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "consumption.html").write_text(
        "<!DOCTYPE html><html><head><title>x</title></head><body><h1>Consumo</h1>"
        "<p>Resumo</p></body></html>", encoding="utf-8")
    (folder / "consumption.pdf").write_bytes(b"%PDF-1.4 hand-made")
    figures = {"total": 500} if partial is None else {"total": 500, "partial": partial}
    (folder / "manifest.json").write_text(json.dumps({"reports": {"consumption": {
        "status": "ok", "figures": figures}}}), encoding="utf-8")
    return folder


def test_message_subject_of_a_partial_and_a_consolidated_send_differ(tmp_path):
    subjects = {}
    for partial in (True, False, None):
        out_dir = _hand_made_output(tmp_path / str(partial), partial)
        message = deliver.build_message(ACME, "2026-10", "consumption", out_dir,
                                        ["cfo@acme.example"], "reports@reportlib.example")
        subjects[partial] = message["Subject"]
    base = "Consumo de WhatsApp · Acme <Lojas> · outubro de 2026"
    assert subjects == {True: f"{base} · parcial", False: f"{base} · consolidado",
                        None: base}
    (tmp_path / "True" / "manifest.json").write_text("{not json")
    message = deliver.build_message(ACME, "2026-10", "consumption", tmp_path / "True",
                                    ["cfo@acme.example"], "reports@reportlib.example")
    assert message["Subject"] == base  # an unreadable manifest: the subject as before


def test_plain_text_and_html_of_hand_made_markup():
    """The partial badge after the period, lists, and hostile user text in a cell."""
    from reportlib.look import present

    header = present.Header("Consumption · Beta", "October 2026", "Partial",
                            ["Data until 20 Oct 2026"])._repr_html_()
    page = ("<!DOCTYPE html><html><head><title>x</title><style>p{}</style></head><body>"
            f"{header}<section class=\"footnotes\"><h2>Notes</h2><ol><li>One</li><li>Two"
            "</li></ol></section><p>a <b>bold</b>word</p><table class=\"data\"><tr><th>Name"
            "</th><th class=\"num\">Count</th></tr><tr><td>&lt;script&gt;x&lt;/script&gt; "
            "&amp; co</td><td class=\"num\">3</td></tr></table></body></html>")
    text = deliver.plain_text(page)
    assert text.splitlines() == [
        "Consumption · Beta", "==================", "October 2026 Partial",
        "Data until 20 Oct 2026", "", "Notes", "-----", "1. One", "2. Two", "",
        "a boldword", "", "Name · Count", "<script>x</script> & co · 3"]
    body, images = deliver.slim_html(page, "A <title>")
    assert images == [] and "<title>A &lt;title&gt;</title>" in body
    assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in body and "<script" not in body
    assert re.search(r'<span class="badge" style="[^"]*border: 1px solid', body)
    assert re.search(r'<div class="table-scroll" style="[^"]*overflow-x: auto[^"]*"><table', body)


def hand_made_reports(folder, reports):
    """Published reports without rendering: a page, a PDF and an `ok` manifest entry each."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    for report in reports:
        (folder / f"{report}.html").write_text(
            f"<!DOCTYPE html><html><body><h1>{report}</h1></body></html>", encoding="utf-8")
        (folder / f"{report}.pdf").write_bytes(b"%PDF-1.4 hand-made")
    (folder / "manifest.json").write_text(json.dumps({"reports": {
        r: {"status": "ok", "figures": {"partial": False}} for r in reports}}))
    return folder


def test_a_bad_recipient_list_stops_before_anything_is_sent(tmp_path, tiny_warehouse,
                                                            smtp_env, monkeypatch, capsys):
    """Three reports rendered (hand-made files), the third's list holds a header injection:
    a usage mistake, found before the first message goes out or a delivery is recorded, and
    named in the file the command read ($REPORTLIB_PARAMS, not ./params)."""
    from dataclasses import replace

    import duckdb

    site = tmp_path / "site-params"
    params_mod.dump_tenant(site, replace(ACME, recipients={
        "consumption": ["ok1@x.example"], "campaigns": "ok2@x.example",
        "attendance": ["evil@x.example\r\nBcc: spy@x.example"]}))
    monkeypatch.setenv("REPORTLIB_PARAMS", str(site))
    hand_made_reports(tmp_path / "out" / "acme" / "2026-10",
                      ("consumption", "campaigns", "attendance"))
    server = SmtpServer(smtp_env).start()
    try:
        assert cli.main(["email", "--tenant", "acme", "--period", "2026-10", "--report",
                         "consumption", "--report", "campaigns", "--report", "attendance",
                         "--now", "2026-11-20T10:00:00+00:00", "--warehouse",
                         str(tiny_warehouse), "--outputs", str(tmp_path / "out")]) == 2
    finally:
        server.stop()
    out, err = capsys.readouterr()
    assert out == "" and server.inbox.messages == []
    assert err.splitlines() == [
        f"reportlib email: error: {site}/tenants/acme.yaml: recipients.attendance: "
        "'evil@x.example\\r\\nBcc: spy@x.example' is not an e-mail address"]
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)
    con.close()


def test_a_refused_recipient_is_failed_and_retried_alone(tmp_path, tiny_warehouse, params_dir,
                                                        smtp_env, capsys):
    """The server answers 550 for reject1: ok1 has the report (recorded sent), reject1 is
    recorded failed with the server's answer, the command says so and exits 1; the next run
    sends to reject1 alone (the same To: header), and the one after sends nothing."""
    from dataclasses import replace

    import duckdb

    params_mod.dump_tenant(params_dir, replace(ACME, recipients={
        "consumption": ["ok1@x.example", "reject1@x.example"]}))
    hand_made_reports(tmp_path / "out" / "acme" / "2026-10", ("consumption",))
    server = SmtpServer(smtp_env, refuse=("reject",)).start()
    try:
        assert email(tmp_path, tiny_warehouse, params_dir) == 1
        assert capsys.readouterr().out.splitlines() == [
            "acme 2026-10 consumption [consumption]: failed: refused by the server: "
            "reject1@x.example (550 5.1.1 mailbox unavailable); sent to 1 other recipient(s)"]
        assert [rcpt for rcpt, _ in server.inbox.messages] == [["ok1@x.example"]]
        server.inbox.refuse = ()  # the mailbox exists again
        assert email(tmp_path, tiny_warehouse, params_dir, "2026-11-20T10:10:00+00:00") == 0
        assert capsys.readouterr().out.splitlines() == [
            "acme 2026-10 consumption [consumption]: sent: 1 recipient(s)"]
        assert email(tmp_path, tiny_warehouse, params_dir, "2026-11-20T10:20:00+00:00") == 0
        assert "skipped: already sent for this output" in capsys.readouterr().out
    finally:
        server.stop()
    assert [rcpt for rcpt, _ in server.inbox.messages] == [
        ["ok1@x.example"], ["reject1@x.example"]]
    assert {msg["To"] for _, msg in server.inbox.messages} == {
        "ok1@x.example, reject1@x.example"}
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    rows = con.execute("SELECT status, recipients, error, attempt, next_attempt_at IS NOT NULL "
                       "FROM deliveries ORDER BY attempted_at, status DESC").fetchall()
    con.close()
    assert rows == [
        ("sent", "ok1@x.example", None, 1, False),
        ("failed", "reject1@x.example", "refused by the server: reject1@x.example (550 5.1.1 "
         "mailbox unavailable)", 1, True),
        ("sent", "reject1@x.example", None, 2, False)]



def test_the_attachment_is_named_in_the_readers_language():
    from dataclasses import replace

    from reportlib.deliver import attachment_name

    english = replace(ACME, locale="en", display_name="Banco Aurora")
    assert attachment_name(english, "campaigns", "2026-11") == \
        "Active-message campaigns - Banco Aurora - November 2026.pdf"
    # A character a file name cannot hold is written as one it can, not dropped: the
    # chatbots report's title read "Chatbots usuários e mensagens", its colon gone.
    assert attachment_name(ACME, "chatbots", "2026-10") == \
        "Chatbots – usuários e mensagens - Acme Lojas - outubro de 2026.pdf"
    assert attachment_name(english, "chatbots", "2026-11") == \
        "Chatbots – users and messages - Banco Aurora - November 2026.pdf"
    assert attachment_name(replace(ACME, display_name='A/B: "Lojas" | 24h?'), "attendance",
                           "2026-10-01..2026-10-15") == \
        "Atendimento humano - A-B – 'Lojas' 24h - 1º a 15 de outubro de 2026.pdf"


def test_words_that_are_elements_keep_their_space_in_the_email():
    """A campaign's name set as tokens ("Clube VIP 11/2026 – A") read "11/2026– A" in the
    e-mail: the space between two elements was taken for layout and dropped."""
    page = ('<html><body><table class="data"><tr><td class="words">Clube VIP <span class='
            '"token">11/2026</span> <span class="token">–</span> A</td></tr></table></body>'
            "</html>")
    body, _ = deliver.slim_html(page, "Campanhas")
    cell = re.search(r"<td\b[^>]*>(.*?)</td>", body).group(1)
    assert re.sub(r"<[^>]+>", "", cell) == "Clube VIP 11/2026 – A"


def test_a_column_of_links_to_files_beside_the_report_is_not_in_the_email(tmp_path):
    """The campaigns table links each campaign's CSV, a file beside the report: in the e-mail
    (HTML and plain text) that column was a row of "CSV" words that open nothing, and a note
    sent the reader to files the message does not carry."""
    from reportlib.look import present

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "campaigns.html").write_text(
        '<!DOCTYPE html><html><body><h1>Campanhas</h1><table class="data"><thead><tr>'
        '<th class="words">Campanha</th><th class="words">Mensagens</th></tr></thead><tbody>'
        '<tr><td class="words">Clube &lt;VIP&gt;</td><td class="words"><a href="campaigns/'
        'c1.csv">CSV</a></td></tr><tr><td class="words">Pedido #42</td><td class="words">'
        '<a href="campaigns/c2.csv">CSV</a></td></tr></tbody></table><p>Veja <a href='
        '"https://example.com/x">a ajuda</a>.</p>'
        + present.Footnotes("Notas", ["Contagens de mensagens."],
                            ["As mensagens estão num arquivo CSV ao lado deste relatório."]
                            )._repr_html_() + "</body></html>", encoding="utf-8")
    (folder / "campaigns.pdf").write_bytes(b"%PDF-1.4 hand-made")
    message = deliver.build_message(ACME, "2026-10", "campaigns", folder,
                                    ["cfo@acme.example"], "reports@reportlib.example")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html_body = message.get_body(preferencelist=("html",)).get_content()
    assert "CSV" not in text and "Mensagens" not in text
    assert "Campanha\nClube <VIP>\nPedido #42" in text
    assert "1. Contagens de mensagens.\n" in text and "ao lado" not in text
    assert "CSV" not in html_body and "Mensagens" not in html_body and "ao lado" not in html_body
    assert "Clube &lt;VIP&gt;" in html_body and 'href="https://example.com/x"' in html_body
    # A column of links beside other words, or a link in prose, stays as it was.
    mixed = ('<table><tr><th>A</th></tr><tr><td><a href="x.csv">CSV</a></td></tr>'
             "<tr><td>texto</td></tr></table>")
    assert deliver.without_file_columns(mixed) == mixed


class StoppingInbox:
    """An SMTP server's handler that takes a message whole (as an MTA queues it once the
    final dot is in) and, before it answers 250, sends `signum` to the sending command: the
    command is stopped after the server has the message and before it hears so."""

    def __init__(self, signum: int, at: int = 1) -> None:
        self.messages: list = []
        self.signum = signum
        self.at = at  # the message during which the signal comes
        self.pid: int | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        import asyncio
        import os
        from email import message_from_bytes, policy

        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                                    policy=policy.default)))
        if self.pid is not None and len(self.messages) == self.at:
            os.kill(self.pid, self.signum)
            await asyncio.sleep(0.5)  # the command gets the signal while it awaits the answer
        return "250 OK"


def email_process(tmp_path, warehouse, params_dir, now="2026-11-20T10:00:00+00:00"):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    return subprocess.Popen(
        [sys.executable, "-m", "reportlib.cli", "email", "--tenant", "acme", "--period",
         "2026-10", "--report", "consumption", "--report", "campaigns", "--now", now,
         "--warehouse", str(warehouse), "--params", str(params_dir), "--outputs",
         str(tmp_path / "out")], env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def email_stopped_by(inbox, tmp_path, warehouse, params_dir) -> tuple[int, str, str]:
    """`reportlib email` as a process of its own, which `inbox` (a StoppingInbox) sends its
    signal while it takes a message: the exit status, its output and its errors."""
    process = email_process(tmp_path, warehouse, params_dir)
    inbox.pid = process.pid
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.mark.parametrize(("signum", "expected", "word"), [
    (signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_a_send_stopped_by_a_signal_is_recorded_and_never_sent_again(
        tmp_path, tiny_warehouse, params_dir, smtp_env, signum, expected, word):
    """`kill PID` (or Ctrl-C) while the server takes a message: the server had it, the
    command died before recording it, and the next `reportlib email` sent it again to every
    address of the list. The send now ends and is recorded before the command stops (exit
    143/130, one line); the rerun sends only what had not gone, each address once in all."""
    from dataclasses import replace

    from aiosmtpd.controller import Controller

    params_mod.dump_tenant(params_dir, replace(ACME, recipients={
        "consumption": ["cfo@acme.example", "ops@acme.example"],
        "campaigns": ["mkt@acme.example"]}))
    hand_made_reports(tmp_path / "out" / "acme" / "2026-10", ("consumption", "campaigns"))
    inbox = StoppingInbox(signum)
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_env)
    server.start()
    try:
        code, out, err = email_stopped_by(inbox, tmp_path, tiny_warehouse, params_dir)
        assert code == expected, (out, err)
        # The stop is said when it comes, and the lists sent before it are said (none here:
        # it came during the first).
        assert err.splitlines() == [
            "reportlib email: stopping once the message under way is recorded",
            f"reportlib email: {word}"], err
        assert email_process(tmp_path, tiny_warehouse, params_dir,
                             "2026-11-20T10:05:00+00:00").wait(timeout=120) == 0
    finally:
        server.stop()
    received = sorted(a for rcpt, _ in inbox.messages for a in rcpt)
    assert received == ["cfo@acme.example", "mkt@acme.example", "ops@acme.example"]
    events = history.events(tiny_warehouse)  # what `reportlib history` prints
    assert sorted((e.report, e.outcome, e.detail.split(", ", 1)[1]) for e in events) == [
        ("campaigns", "sent", "campaigns: mkt@acme.example"),
        ("consumption", "sent", "consumption: cfo@acme.example, ops@acme.example")]


def test_a_command_stopped_part_way_has_said_what_it_sent_before(
        tmp_path, tiny_warehouse, params_dir, smtp_env):
    """SIGTERM while the server takes the second list's message: the first list's line was
    never printed (the lines came after every send), so the operator saw 'terminated' alone.
    Each list's line now comes as soon as it is sent."""
    from dataclasses import replace

    from aiosmtpd.controller import Controller

    params_mod.dump_tenant(params_dir, replace(ACME, recipients={
        "consumption": ["cfo@acme.example"], "campaigns": ["mkt@acme.example"]}))
    hand_made_reports(tmp_path / "out" / "acme" / "2026-10", ("consumption", "campaigns"))
    inbox = StoppingInbox(signal.SIGTERM, at=2)
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_env)
    server.start()
    try:
        code, out, err = email_stopped_by(inbox, tmp_path, tiny_warehouse, params_dir)
    finally:
        server.stop()
    assert code == 143, (out, err)
    assert out.splitlines() == ["acme 2026-10 consumption [consumption]: sent: 1 recipient(s)"]
    assert err.splitlines()[-1] == "reportlib email: terminated"


class CuttingInbox(StoppingInbox):
    """Takes the first message whole, then either kills the sending command outright
    (SIGKILL: no handler runs) or drops the connection without answering."""

    def __init__(self, cut: str) -> None:
        super().__init__(signal.SIGKILL)
        self.cut = cut

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.cut == "kill" or self.messages:
            return await super().handle_DATA(server, session, envelope)
        from email import message_from_bytes, policy

        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                                    policy=policy.default)))
        server.transport.close()  # the message is queued; its answer never comes
        return "250 OK"


@pytest.mark.parametrize("cut", ["kill", "connection"])
def test_a_send_cut_off_after_the_server_took_it_is_unconfirmed_and_not_sent_twice(
        tmp_path, tiny_warehouse, params_dir, smtp_env, cut, capsys):
    """The command killed outright (SIGKILL) while the server took a message, or the
    connection lost once the whole message had gone: whether it was delivered is unknown.
    The rerun sent it again to the whole list (recorded nowhere, or recorded failed). Now it
    is recorded `unconfirmed`, said once (exit 1) naming what to run, never sent again by
    itself; `--resend-unconfirmed` sends it to those recipients, once."""
    from dataclasses import replace

    from aiosmtpd.controller import Controller

    params_mod.dump_tenant(params_dir, replace(ACME, recipients={
        "consumption": ["cfo@acme.example", "ops@acme.example"],
        "campaigns": ["mkt@acme.example"]}))
    hand_made_reports(tmp_path / "out" / "acme" / "2026-10", ("consumption", "campaigns"))
    inbox = CuttingInbox(cut)
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_env)
    server.start()
    argv = ["email", "--tenant", "acme", "--period", "2026-10", "--report", "consumption",
            "--warehouse", str(tiny_warehouse), "--params", str(params_dir), "--outputs",
            str(tmp_path / "out")]
    try:
        code, out, err = email_stopped_by(inbox, tmp_path, tiny_warehouse, params_dir)
        if cut == "kill":
            assert code == -signal.SIGKILL, (out, err)
        else:
            assert code == 1, (out, err)
            assert out.splitlines()[0].startswith(
                "acme 2026-10 consumption [consumption]: unconfirmed: not known whether 2 "
                "recipient(s) have it: the connection to SMTP server "
                f"127.0.0.1:{smtp_env} was lost after the whole message had gone")
        capsys.readouterr()
        first = cli.main([*argv, "--report", "campaigns", "--now", "2026-11-20T10:05:00+00:00"])
        lines = capsys.readouterr().out.splitlines()
        assert len(inbox.messages) == 2  # campaigns' list; consumption's not again
        assert sorted(a for rcpt, _ in inbox.messages for a in rcpt) == [
            "cfo@acme.example", "mkt@acme.example", "ops@acme.example"]
        if cut == "kill":  # found by this run: said once, as such
            assert first == 1
            assert lines[0] == (
                "acme 2026-10 consumption [consumption]: unconfirmed: not known whether 2 "
                "recipient(s) have it: the send was cut off after the server may have taken "
                "the message (the command stopped before the server's answer was recorded); "
                "it is not sent to them again unless `reportlib email --resend-unconfirmed` "
                "is run for this report")
        else:
            assert first == 0
            assert lines[0] == ("acme 2026-10 consumption [consumption]: skipped: already "
                                "sent for this output (2 recipient(s) unconfirmed)")
        assert cli.main([*argv, "--now", "2026-11-20T10:10:00+00:00"]) == 0
        assert "(2 recipient(s) unconfirmed)" in capsys.readouterr().out
        assert [e.outcome for e in history.events(tiny_warehouse)
                if e.report == "consumption"] == ["unconfirmed"]
        # The operator asked one of them: they do not have it.
        assert cli.main([*argv, "--resend-unconfirmed", "--now",
                         "2026-11-20T10:15:00+00:00"]) == 0
        assert capsys.readouterr().out.splitlines() == [
            "acme 2026-10 consumption [consumption]: sent: 2 recipient(s)"]
        assert cli.main([*argv, "--resend-unconfirmed", "--now",
                         "2026-11-20T10:20:00+00:00"]) == 0
        assert capsys.readouterr().out.splitlines() == [
            "acme 2026-10 consumption [consumption]: skipped: already sent for this output"]
    finally:
        server.stop()
    assert [sorted(rcpt) for rcpt, _ in inbox.messages] == [
        ["cfo@acme.example", "ops@acme.example"], ["mkt@acme.example"],
        ["cfo@acme.example", "ops@acme.example"]]


class RefusingCuttingInbox(CuttingInbox):
    """CuttingInbox (the command killed while the server takes the first message) whose
    server answers 550 to an address starting with `zz` while `refusing`."""

    refusing = True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refusing and address.startswith("zz"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_cut_off_send_is_said_when_the_rerun_sends_to_others_of_the_list(
        tmp_path, tiny_warehouse, params_dir, smtp_env, capsys):
    """The list is cfo and zz: zz refused (550), the message to cfo killed while the server
    took it. The rerun sends to zz (its mailbox back) and said only 'sent: 1 recipient(s)',
    exit 0: that cfo may not have the report was never said. Now the line says both (exit 1,
    so a scheduled slot is notified once), and the run after says nothing more of it."""
    from dataclasses import replace

    from aiosmtpd.controller import Controller

    params_mod.dump_tenant(params_dir, replace(ACME, recipients={
        "consumption": ["cfo@acme.example", "zz@acme.example"]}))
    hand_made_reports(tmp_path / "out" / "acme" / "2026-10", ("consumption",))
    inbox = RefusingCuttingInbox("kill")
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_env)
    server.start()
    try:
        code, out, err = email_stopped_by(inbox, tmp_path, tiny_warehouse, params_dir)
        assert code == -signal.SIGKILL
        capsys.readouterr()
        inbox.refusing = False  # zz's mailbox exists again
        assert email(tmp_path, tiny_warehouse, params_dir, "2026-11-20T10:05:00+00:00") == 1
        (line,) = capsys.readouterr().out.splitlines()
        assert line.startswith("acme 2026-10 consumption [consumption]: unconfirmed: sent to 1 "
                               "recipient(s); not known whether 1 recipient(s) have it: the "
                               "send was cut off"), line
        assert email(tmp_path, tiny_warehouse, params_dir, "2026-11-20T10:10:00+00:00") == 0
        assert capsys.readouterr().out.splitlines() == [
            "acme 2026-10 consumption [consumption]: skipped: already sent for this output "
            "(1 recipient(s) unconfirmed)"]
    finally:
        server.stop()
    assert [rcpt for rcpt, _ in inbox.messages] == [["cfo@acme.example"], ["zz@acme.example"]]


def test_an_address_added_to_the_list_gets_the_report_already_sent_to_the_others(
        tmp_path, tiny_warehouse, params_dir, smtp_env, capsys):
    """The report went to cfo; ops is then added to the list. The next `reportlib email` sent
    nothing ('already sent for this output'): a retry went only to addresses refused before,
    so ops never had this report. Now ops gets it, alone, and cfo not again."""
    from dataclasses import replace

    params_mod.dump_tenant(params_dir, replace(ACME, recipients={
        "consumption": ["cfo@acme.example"]}))
    hand_made_reports(tmp_path / "out" / "acme" / "2026-10", ("consumption",))
    server = SmtpServer(smtp_env).start()
    try:
        assert email(tmp_path, tiny_warehouse, params_dir) == 0
        params_mod.dump_tenant(params_dir, replace(ACME, recipients={
            "consumption": ["cfo@acme.example", "ops@acme.example"]}))
        capsys.readouterr()
        assert email(tmp_path, tiny_warehouse, params_dir, "2026-11-20T10:05:00+00:00") == 0
        assert capsys.readouterr().out.splitlines() == [
            "acme 2026-10 consumption [consumption]: sent: 1 recipient(s)"]
    finally:
        server.stop()
    assert [rcpt for rcpt, _ in server.inbox.messages] == [
        ["cfo@acme.example"], ["ops@acme.example"]]


def test_a_cut_off_send_of_an_output_rendered_again_is_not_left_sending(
        tmp_path, tiny_warehouse, params_dir, smtp_env, capsys):
    """Killed while the server took the report, which is then rendered again (another
    output): its `sending` row met no send of a later run and stayed 'sending' for ever,
    shown by history without a reason. It is now `unconfirmed`, with the reason, once a run
    e-mails that report; the new output goes to the whole list."""
    from dataclasses import replace

    import duckdb
    from aiosmtpd.controller import Controller

    params_mod.dump_tenant(params_dir, replace(ACME, recipients={
        "consumption": ["cfo@acme.example", "ops@acme.example"]}))
    folder = hand_made_reports(tmp_path / "out" / "acme" / "2026-10", ("consumption",))
    inbox = CuttingInbox("kill")
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_env)
    server.start()
    try:
        code, out, err = email_stopped_by(inbox, tmp_path, tiny_warehouse, params_dir)
        assert code == -signal.SIGKILL
        (folder / "consumption.pdf").write_bytes(b"%PDF-1.4 rendered again")
        assert email(tmp_path, tiny_warehouse, params_dir, "2026-11-20T10:05:00+00:00") == 0
    finally:
        server.stop()
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    rows = con.execute("SELECT status, error FROM deliveries ORDER BY attempted_at").fetchall()
    con.close()
    assert [status for status, _ in rows] == ["unconfirmed", "sent"]
    assert rows[0][1].startswith("the send was cut off after the server may have taken")
    assert len(inbox.messages) == 2


def test_an_smtp_server_that_refuses_says_which_setting_to_change(
        rendered, tiny_warehouse, params_dir, monkeypatch, capsys):
    """Six real servers on loopback that each refuse the send for a setting of ours: the line
    said the exception as Python prints it ("SMTPSenderRefused: (530, b'5.7.0 Authentication
    required', 'reports@…')", "SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] …",
    "SMTPNotSupportedError: STARTTLS extension not supported by server.") with no word of the
    setting to change. Now the server's answer as text, and the setting."""
    monkeypatch.setenv("REPORTLIB_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REPORTLIB_SMTP_FROM", "reports@reportlib.example")
    for name in ("USER", "PASSWORD"):
        monkeypatch.delenv(f"REPORTLIB_SMTP_{name}", raising=False)
    no_tls_login = {"authenticator": refuse_every_login, "auth_require_tls": False}
    cases = [  # (the server, our settings, what the line says after the server's address)
        ({}, {"SECURITY": "starttls"},
         "it offers no STARTTLS (REPORTLIB_SMTP_SECURITY is starttls): set it to none for a "
         "server without TLS (with no login), or to ssl for TLS from the first byte"),
        ({}, {"SECURITY": "ssl"},
         "it does not speak TLS from the first byte on port {port} (REPORTLIB_SMTP_SECURITY is "
         "ssl): set it to starttls for a server that upgrades a plain connection (port 587)"),
        ({"tls_context": tls_context(), "require_starttls": True}, {"SECURITY": "starttls"},
         "its TLS certificate is not trusted: "),
        ({**no_tls_login, "auth_required": True}, {"SECURITY": "none"},
         "sender reports@reportlib.example refused: 530 5.7.0 Authentication required (it asks "
         "to log in: set REPORTLIB_SMTP_USER and REPORTLIB_SMTP_PASSWORD)"),
        (no_tls_login, {"SECURITY": "none", "USER": "reports", "PASSWORD": "wrong"},
         "login as reports refused: 535 5.7.8 Authentication credentials invalid (check "
         "REPORTLIB_SMTP_USER and REPORTLIB_SMTP_PASSWORD)"),
        ({}, {"SECURITY": "none", "USER": "reports", "PASSWORD": "s3cret"},
         "it offers no login (AUTH) and REPORTLIB_SMTP_USER is set: leave REPORTLIB_SMTP_USER "
         "and REPORTLIB_SMTP_PASSWORD unset for a server that takes mail without logging in"),
    ]
    for options, settings, says in cases:
        server = SmtpServer(**options).start()
        for name, value in {"PORT": str(server.port), **settings}.items():
            monkeypatch.setenv(f"REPORTLIB_SMTP_{name}", value)
        try:
            assert email(rendered, tiny_warehouse, params_dir) == 1
        finally:
            server.stop()
            for name in settings:
                monkeypatch.delenv(f"REPORTLIB_SMTP_{name}")
        lines = capsys.readouterr().out.splitlines()
        prefix = (f"acme 2026-10 consumption [consumption]: failed: SMTP server "
                  f"127.0.0.1:{server.port}: ")
        assert lines[0].startswith(prefix + says.format(port=server.port)), lines[0]
        if "certificate" in says:
            assert lines[0].endswith("(a private CA's: add it to this machine's CA "
                                     "certificates, or point SSL_CERT_FILE at it)")
        assert server.inbox.messages == []


@pytest.mark.parametrize(("settings", "says"), [
    # An EnvironmentFile without its password line: it logged in with an empty password.
    ({"USER": "reports"}, "REPORTLIB_SMTP_USER is 'reports' but REPORTLIB_SMTP_PASSWORD is "
                          "not set: set it in the environment"),
    # The README's plain-server lines, the user left set: the password crossed the network.
    ({"SECURITY": "none", "USER": "reports", "PASSWORD": "s3cret"},
     "REPORTLIB_SMTP_SECURITY: none with REPORTLIB_SMTP_USER set would send the password to "
     "smtp.example in clear: use starttls or ssl"),
])
def test_a_login_without_its_password_or_in_clear_is_a_usage_error(
        rendered, tiny_warehouse, params_dir, monkeypatch, capsys, settings, says):
    for name in ("PORT", "SECURITY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"REPORTLIB_SMTP_{name}", raising=False)
    monkeypatch.setenv("REPORTLIB_SMTP_HOST", "smtp.example")
    monkeypatch.setenv("REPORTLIB_SMTP_FROM", "reports@reportlib.example")
    for name, value in settings.items():
        monkeypatch.setenv(f"REPORTLIB_SMTP_{name}", value)
    before = history.events(tiny_warehouse, "acme", "2026-10")
    assert email(rendered, tiny_warehouse, params_dir) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"reportlib email: error: {says}") and err.count("\n") == 1
    assert history.events(tiny_warehouse, "acme", "2026-10") == before  # nothing recorded
    # On this machine's own relay a login without TLS crosses no network: taken.
    monkeypatch.setenv("REPORTLIB_SMTP_HOST", "localhost")
    monkeypatch.setenv("REPORTLIB_SMTP_PASSWORD", "s3cret")
    assert deliver.smtp_settings(params_dir, command_settings().smtp).user == "reports"


def test_a_server_that_cannot_be_reached_is_tried_once_per_command(
        tmp_path, tiny_warehouse, params_dir, smtp_env, capsys):
    """A server that takes the connection and hangs up before its greeting (as one that does
    not answer at all, each wait 30 s): every list of the command connected again and failed
    alike, one wait each. The first failure now fails the other lists at once with the same
    line, each recorded failed for the next run."""
    import socket
    import threading
    from dataclasses import replace

    params_mod.dump_tenant(params_dir, replace(ACME, recipients={
        "consumption": ["cfo@acme.example"], "campaigns": ["mkt@acme.example"],
        "all": ["ceo@acme.example"]}))
    hand_made_reports(tmp_path / "out" / "acme" / "2026-10", ("consumption", "campaigns"))
    listener = socket.create_server(("127.0.0.1", smtp_env))
    accepted = []

    def hang_up() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)
            connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        assert email_process(tmp_path, tiny_warehouse, params_dir).wait(timeout=120) == 1
    finally:
        listener.close()
    assert len(accepted) == 1
    events = history.events(tiny_warehouse)
    assert sorted((e.report, e.detail.split(", ")[1].split(":")[0], e.outcome)
                  for e in events) == [("campaigns", "all", "failed"),
                                       ("campaigns", "campaigns", "failed"),
                                       ("consumption", "all", "failed"),
                                       ("consumption", "consumption", "failed")]
    assert len({e.detail.rsplit(", ", 1)[-1] for e in events}) == 1  # one reason for all
