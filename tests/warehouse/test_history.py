"""`reportlib history` over a warehouse an older version wrote."""

from __future__ import annotations

from datetime import UTC, datetime

from reportlib import cli, warehouse


def test_history_reads_a_warehouse_from_before_the_columns_added_since(tmp_path, capsys):
    """A warehouse whose deliveries were recorded before `sent_by` and `figures_sha256`
    existed (a site that upgraded and has not run a writing command since): `reportlib
    history` stopped with 'unexpected error (BinderException: Referenced column "sent_by" not
    found …)', exit 1. It lists the send, its sender unknown, and writes nothing."""
    path = tmp_path / "warehouse.duckdb"
    con = warehouse.create(path)
    con.execute("ALTER TABLE deliveries DROP COLUMN sent_by")
    con.execute("ALTER TABLE deliveries DROP COLUMN figures_sha256")
    con.execute("INSERT INTO deliveries VALUES ('acme', '2026-10', 'consumption', 'h', 'all', "
                "'cfo@acme.example', '<m@x>', 'sent', NULL, 1, ?, NULL)",
                [datetime(2026, 11, 2, 10, 0, tzinfo=UTC)])
    con.close()
    before = warehouse.file_state(path)
    (tmp_path / "params" / "tenants").mkdir(parents=True)
    assert cli.main(["history", "--warehouse", str(path), "--params",
                     str(tmp_path / "params")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert out[0].endswith("sent     acme 2026-10 consumption: sent (all: cfo@acme.example)")
    assert warehouse.file_state(path) == before
