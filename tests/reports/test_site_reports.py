"""A site's own report (params/reports.yaml, README "Your own reports"): one notebook and one
params entry, rendered, published, indexed and e-mailed like the built-in reports, over a
bundle that holds only its tenant's rows. The worked example is examples/message_digest.ipynb.
"""

from __future__ import annotations

import html
import json

import duckdb
import pytest
import yaml

from reportlib import cli, deliver, params, registry
from reportlib.errors import ReportError
from reportlib.render import runner
from tests.conftest import ACME, REPO
from tests.deliver.test_extract import warehouse  # noqa: F401  (the fixture: acme and beta rows)

EXAMPLE = REPO / "examples" / "reports.yaml"


@pytest.fixture
def site(params_dir):
    """The README's example entry, as an operator copies it into params/reports.yaml."""
    entry = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    entry["reports"]["message_digest"]["notebook"] = str(REPO / "examples" /
                                                         "message_digest.ipynb")
    (params_dir / "reports.yaml").write_text(yaml.safe_dump(entry), "utf-8")
    yield params_dir
    registry.use_site(())  # the registry is the process's: leave it as other tests expect


def run(tmp_path, wh, params_dir, *extra):
    return cli.main(["run", "--tenant", "acme", "--period", "2026-10", "--as-of", "2026-11-20",
                     "--warehouse", str(wh), "--params", str(params_dir),
                     "--outputs", str(tmp_path / "out"), "--jobs", "1", *extra])


@pytest.mark.slow
def test_the_example_report_renders_like_a_built_in_one(tmp_path, warehouse, site,  # noqa: F811
                                                        capsys):
    assert run(tmp_path, warehouse, site, "--report", "message_digest") == 0
    assert "acme 2026-10 message_digest: ok" in capsys.readouterr().out
    out = tmp_path / "out" / "acme" / "2026-10"
    entry = json.loads((out / "manifest.json").read_text())["reports"]["message_digest"]
    # Worked by hand from the fixture: acme's October has m1 (read) and m2 (failed), both of
    # template promo, so 2 sent and 1 read; m3 is December's and x1 is beta's.
    assert entry["status"] == "ok"
    assert entry["figures"]["sent"] == 2 and entry["figures"]["read"] == 1
    page = (out / "message_digest.html").read_text("utf-8")
    title = "Resumo das mensagens" if ACME.locale == "pt-BR" else "Message digest"
    assert f"{title} · {html.escape(ACME.display_name)}" in page
    assert "promo" in page and "message_digest" not in page.split("<body", 1)[1]
    assert (out / "message_digest.pdf").read_bytes().startswith(b"%PDF")
    index = (tmp_path / "out" / "index.html").read_text("utf-8")
    assert "Message digest" in index


def test_its_bundle_holds_only_its_tenant_and_period(tmp_path, warehouse, site):  # noqa: F811
    from datetime import date

    from reportlib.domain import calendar, pricing
    from reportlib.marts import bundle

    params.use_site_reports(site)
    out = tmp_path / "b.duckdb"
    bundle.build(warehouse, params.load_tenant(site, "acme"), calendar.parse_period("2026-10"),
                 date(2026, 11, 20), out, ("message_digest",), pricing.load_rate_card())
    con = duckdb.connect(str(out), read_only=True)
    ids = sorted(r[0] for r in con.execute("SELECT message_id FROM notifications").fetchall())
    masked = con.execute("SELECT recipient_masked FROM notifications").fetchall()
    templates = con.execute("SELECT template_name, sent, read FROM notifications_by_template"
                            ).fetchall()
    con.close()
    assert ids == ["m1", "m2"]  # not December's m3, not beta's x1
    assert all("•••" in r[0] for r in masked)  # identities masked, as extracts give them
    assert templates == [("promo", 2, 1)]


def test_it_is_for_the_tenants_its_entry_names(site):
    entry = yaml.safe_load((site / "reports.yaml").read_text("utf-8"))
    entry["reports"]["message_digest"]["tenants"] = ["beta"]
    entry["reports"]["message_digest"]["recipients"] = {"beta": ["ops@beta.example"]}
    (site / "reports.yaml").write_text(yaml.safe_dump(entry), "utf-8")
    params.use_site_reports(site)
    acme, beta = params.load_tenant(site, "acme"), params.load_tenant(site, "beta")
    assert "message_digest" not in runner.reports_of(acme, None)
    assert runner.reports_of(beta, None)[-1] == "message_digest"
    assert runner.reports_of(acme, ["message_digest"]) == []
    assert deliver.recipient_lists(beta, "message_digest")["reports.yaml"] == [
        "ops@beta.example"]


@pytest.mark.parametrize(("change", "message"), [
    ({"tables": ["messages"]}, "field tables: 'messages' is not one of"),
    ({"notebook": "nowhere.ipynb"}, "field notebook: no file"),
    ({"tenants": ["gamma"]}, "field tenants: 'gamma' is not one of"),
    ({"colour": "red"}, "expected a mapping of"),
    ({"recipients": {"acme": ["ok@x.example", "evil@x.example\r\nBcc: spy@x.example"]}},
     "field recipients.acme: 'evil@x.example\\r\\nBcc: spy@x.example' is not an e-mail "
     "address"),
])
def test_a_bad_entry_is_one_line_before_anything_is_written(tmp_path, warehouse, site,  # noqa: F811
                                                            capsys, change, message):
    entry = yaml.safe_load((site / "reports.yaml").read_text("utf-8"))
    entry["reports"]["message_digest"].update(change)
    (site / "reports.yaml").write_text(yaml.safe_dump(entry), "utf-8")
    assert run(tmp_path, warehouse, site) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "reports.message_digest" in err and message in err
    assert not (tmp_path / "out").exists()


def test_a_built_in_name_is_refused(site):
    (site / "reports.yaml").write_text(yaml.safe_dump({"reports": {"consumption": {
        "notebook": str(REPO / "examples" / "message_digest.ipynb"), "title": "x",
        "tables": ["notifications"]}}}), "utf-8")
    with pytest.raises(ReportError, match="'consumption' is a built-in report"):
        params.load_site_reports(site)
