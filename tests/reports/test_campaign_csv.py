"""The per-campaign CSVs: headers in the tenant's language, times in the tenant's zone with the
offset, masked and formula-safe, and linked (relative) from the campaigns report's HTML and
PDF. Real warehouse, real bundle, real papermill run."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date

import pypdf
import pytest

from reportlib import params as params_mod
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from reportlib.reports.campaigns import campaign_csv_name, write_campaign_csvs
from tests.conftest import ACME, BETA, utc


def campaign_bundle(tmp_path, con, path, tenant) -> Bundle:
    """Campaign "=Black Friday" (id "c-1"): two messages sent on 2026-10-07 at 13:00 UTC, one
    read at 13:05:30, one failed (131026) with a recipient that looks like a formula."""
    con.execute("INSERT INTO campaigns (tenant_id, campaign_id, campaign_name, bot_id, "
                "template_name, category, status, sent_at) VALUES "
                "(?, 'c-1', '=Black Friday', 'bot', 'promo', 'marketing', 'Sent', ?)",
                [tenant.tenant_id, utc("2026-10-07T13:00:00+00:00")])
    sent = utc("2026-10-07T13:00:00+00:00")
    con.execute(
        "INSERT INTO notifications (tenant_id, message_id, campaign_id, sender, "
        "phone_number_id, recipient, template_name, category, accepted_at, sent_at, "
        "delivered_at, read_at) VALUES (?, 'm1', 'c-1', 'campaign', ?, '+5511999991234', "
        "'promo', 'marketing', ?, ?, ?, ?)",
        [tenant.tenant_id, tenant.phone_numbers[0].phone_number_id, sent, sent,
         utc("2026-10-07T13:00:04+00:00"), utc("2026-10-07T13:05:30+00:00")])
    con.execute(
        "INSERT INTO notifications (tenant_id, message_id, campaign_id, sender, "
        "phone_number_id, recipient, template_name, category, accepted_at, sent_at, "
        "failed_at, error_code) VALUES (?, 'm2', 'c-1', 'campaign', ?, '+5521988885678', "
        "'promo', 'marketing', ?, ?, ?, 131026)",
        [tenant.tenant_id, tenant.phone_numbers[0].phone_number_id, sent, sent,
         utc("2026-10-07T13:00:02+00:00")])
    con.close()
    out = tmp_path / f"{tenant.tenant_id}.duckdb"
    bundle.build(path, tenant, calendar.parse_period("2026-10"), date(2026, 11, 20), out,
                 ("campaigns",))
    return Bundle.open(out)


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("tenant, locale, header, read_at, status", [
    # São Paulo is UTC-3 all year (no summer time since 2019): 13:05:30 UTC -> 10:05:30-03:00.
    (ACME, "pt-BR", ["ID da mensagem", "Enviada em", "Destinatário", "Status final",
                     "Aceita em", "Entregue em", "Lida em", "Falhou em", "Respondida em",
                     "Código de erro", "Significado do erro"],
     "2026-10-07T10:05:30-03:00", ("lida", "falhou")),
    # Beta's zone is UTC: the same instant with a +00:00 offset.
    (BETA, "en", ["Message ID", "Sent at", "Recipient", "Final status", "Accepted at",
                  "Delivered at", "Read at", "Failed at", "Replied at", "Error code",
                  "Error meaning"],
     "2026-10-07T13:05:30+00:00", ("read", "failed")),
])
def test_headers_in_the_tenant_language_and_times_in_its_zone(tmp_path, empty_warehouse,
                                                                 tenant, locale, header,
                                                                 read_at, status):
    path, con = empty_warehouse
    b = campaign_bundle(tmp_path, con, path, tenant)
    written = write_campaign_csvs(b, tmp_path / "campaigns", locale)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [campaign_csv_name("c-1")]
    rows = read_csv(written[0])
    assert rows[0] == header
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["m1"][6] == read_at
    # sent 13:00:00 UTC: 10:00:00-03:00 in São Paulo, 13:00:00+00:00 in UTC
    assert by_id["m1"][1] == ("2026-10-07T10:00:00-03:00" if tenant is ACME
                              else "2026-10-07T13:00:00+00:00")
    assert (by_id["m1"][3], by_id["m2"][3]) == status
    # masked (country code and last 4 digits), and the leading + neutralised for spreadsheets
    assert by_id["m2"][2] == "'+55 ••• ••••-5678"
    assert by_id["m2"][9] == "131026" and by_id["m1"][9] == ""
    assert "+5521988885678" not in written[0].read_text(encoding="utf-8")


def test_a_csv_names_as_replied_the_messages_the_report_counts_replied(tmp_path,
                                                                        empty_warehouse):
    """Campaign c-1: m1 and m2 delivered at 13:00:04 UTC (sent 13:00). m1's recipient answered
    at 15:00 (2 h later: a reply, counted); m2's the next day at 14:00 (25 h: past the 24 h,
    no reply of the campaign). The report's replied: 1. The CSV listed a reply time for both,
    so a reader counting its "Replied at" column found 2 replies of a campaign that has 1."""
    from reportlib.reports.campaigns import CampaignsReport

    path, con = empty_warehouse
    tenant = replace(ACME, locale="en")
    con.execute("INSERT INTO campaigns (tenant_id, campaign_id, campaign_name, bot_id, "
                "template_name, category, status, sent_at) VALUES "
                "('acme', 'c-1', 'Promo', 'bot', 'promo', 'marketing', 'Sent', ?)",
                [utc("2026-10-07T13:00:00+00:00")])
    sent = utc("2026-10-07T13:00:00+00:00")
    for message, replied in (("m1", "2026-10-07T15:00:00+00:00"),
                             ("m2", "2026-10-08T14:00:00+00:00")):
        con.execute(
            "INSERT INTO notifications (tenant_id, message_id, campaign_id, sender, "
            "phone_number_id, recipient, template_name, category, accepted_at, sent_at, "
            "delivered_at, replied_at) VALUES ('acme', ?, 'c-1', 'campaign', '1001', "
            "'+5511999991234', 'promo', 'marketing', ?, ?, ?, ?)",
            [message, sent, sent, utc("2026-10-07T13:00:04+00:00"), utc(replied)])
    con.close()
    out = tmp_path / "acme.duckdb"
    bundle.build(path, tenant, calendar.parse_period("2026-10"), date(2026, 11, 20), out,
                 ("campaigns",))
    b = Bundle.open(out)
    assert CampaignsReport(b, "en").figures()["campaign.c-1.replied"] == 1
    rows = read_csv(write_campaign_csvs(b, tmp_path / "campaigns", "en")[0])
    replied = {r[0]: r[rows[0].index("Replied at")] for r in rows[1:]}
    assert replied == {"m1": "2026-10-07T12:00:00-03:00", "m2": ""}


def test_a_csv_names_as_failed_the_messages_the_report_counts_failed(tmp_path, empty_warehouse):
    """Campaign c-1: m1 delivered at 13:00:04 UTC, then a failure webhook (131049) at 13:00:30
    (the receipt outranks it: m1 is delivered, as the campaign's table counts it); m2 failed
    (131026) at 13:00:02. The report: failed 1, received 1. The CSV gave m1 a failure time,
    an error code and its meaning beside "delivered", so a reader counting its failures (or
    filtering by error code) found 2."""
    from reportlib.reports.campaigns import CampaignsReport

    path, con = empty_warehouse
    tenant = replace(ACME, locale="en")
    sent = utc("2026-10-07T13:00:00+00:00")
    con.execute("INSERT INTO campaigns (tenant_id, campaign_id, campaign_name, bot_id, "
                "template_name, category, status, sent_at) VALUES "
                "('acme', 'c-1', 'Promo', 'bot', 'promo', 'marketing', 'Sent', ?)", [sent])
    for message, delivered, failed, code in (
            ("m1", utc("2026-10-07T13:00:04+00:00"), utc("2026-10-07T13:00:30+00:00"), 131049),
            ("m2", None, utc("2026-10-07T13:00:02+00:00"), 131026)):
        con.execute(
            "INSERT INTO notifications (tenant_id, message_id, campaign_id, sender, "
            "phone_number_id, recipient, template_name, category, accepted_at, sent_at, "
            "delivered_at, failed_at, error_code) VALUES ('acme', ?, 'c-1', 'campaign', "
            "'1001', '+5511999991234', 'promo', 'marketing', ?, ?, ?, ?, ?)",
            [message, sent, sent, delivered, failed, code])
    con.close()
    out = tmp_path / "acme.duckdb"
    bundle.build(path, tenant, calendar.parse_period("2026-10"), date(2026, 11, 20), out,
                 ("campaigns",))
    b = Bundle.open(out)
    figures = CampaignsReport(b, "en").figures()
    assert (figures["campaign.c-1.failed"], figures["campaign.c-1.received"]) == (1, 1)
    rows = read_csv(write_campaign_csvs(b, tmp_path / "campaigns", "en")[0])
    header = rows[0]
    cells = {r[0]: {k: r[header.index(k)] for k in ("Final status", "Failed at", "Error code")}
             for r in rows[1:]}
    assert cells == {
        "m1": {"Final status": "delivered", "Failed at": "", "Error code": ""},
        "m2": {"Final status": "failed", "Failed at": "2026-10-07T10:00:02-03:00",
               "Error code": "131026"}}


def test_the_report_links_each_campaign_csv(tmp_path, empty_warehouse, params_dir):
    from reportlib.render import Job, notebook_path, publish, render

    path, con = empty_warehouse
    tenant = replace(ACME, locale="en")
    b = campaign_bundle(tmp_path, con, path, tenant)
    params_mod.dump_tenant(params_dir, tenant)
    out = tmp_path / "out"
    job = Job("acme", "2026-10", "campaigns", "2026-11-20", "en", str(b.path), "h",
              str(notebook_path("campaigns")), str(out), "Acme")
    output = render(job)
    assert output.result.status == "ok", output.result.error
    publish(out, output)
    name = campaign_csv_name("c-1")  # campaigns/c-1.csv: the id is already a safe slug
    assert name == "campaigns/c-1.csv"
    page = (out / "campaigns.html").read_text(encoding="utf-8")
    assert f'<a href="{name}">CSV</a>' in page
    assert (out / name).is_file()
    assert read_csv(out / name)[0][0] == "Message ID"
    # The PDF's link is relative too (not into the folder it was rendered in).
    links = [annotation.get_object()["/A"]["/URI"]
             for page in pypdf.PdfReader(out / "campaigns.pdf").pages
             for annotation in page.get("/Annots", [])
             if "/A" in annotation.get_object()]
    assert name in links
    assert not any(str(link).startswith("file:") for link in links)
    # In the e-mail (no folder beside it) the link's text stays and the link goes.
    from reportlib.deliver import slim_html
    mail, _ = slim_html((out / "campaigns.html").read_text(encoding="utf-8"), "Acme")
    assert 'href="campaigns/' not in mail and ">CSV<" in mail
