"""A tenant's fingerprint: every row of it a bundle may read, and nothing of another tenant's;
a run skips a report, before building its bundle, only when it is equal."""

from __future__ import annotations

import re

from reportlib import warehouse


def fill(con) -> None:
    con.execute("INSERT INTO bot_messages (tenant_id, message_id, direction) VALUES "
                "('acme', 'b1', 'sent'), ('acme', 'b2', 'received'), ('beta', 'x1', 'sent')")
    con.execute("INSERT INTO rejected_rows (tenant_id, file, line, reason) VALUES "
                "('acme', 'bad.csv', 3, 'no date')")


def test_a_changed_row_changes_its_tenant_only(tmp_path):
    con = warehouse.create(tmp_path / "w.duckdb")
    fill(con)
    before = warehouse.tenant_fingerprints(con, ["acme", "beta", "gamma"])
    assert len(set(before.values())) == 3  # gamma has no rows: a fingerprint all the same
    assert warehouse.tenant_fingerprints(con, ["acme", "beta", "gamma"]) == before

    con.execute("UPDATE bot_messages SET direction = 'sent' WHERE message_id = 'b2'")
    after = warehouse.tenant_fingerprints(con, ["acme", "beta", "gamma"])
    assert after["acme"] != before["acme"]
    assert (after["beta"], after["gamma"]) == (before["beta"], before["gamma"])

    con.execute("DELETE FROM rejected_rows")  # a report's coverage shows rejected rows
    assert warehouse.tenant_fingerprints(con, ["acme"])["acme"] != after["acme"]
    # The order rows were written in does not count: the same rows, the same fingerprint.
    con.execute("DELETE FROM bot_messages")
    con.execute("INSERT INTO bot_messages (tenant_id, message_id, direction) VALUES "
                "('beta', 'x1', 'sent'), ('acme', 'b2', 'received'), ('acme', 'b1', 'sent')")
    fill_again = warehouse.tenant_fingerprints(con, ["acme", "beta"])
    assert fill_again["beta"] == before["beta"]
    con.close()


def test_bookkeeping_is_left_out_and_every_other_table_is_in():
    tables = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", warehouse.DDL))
    assert set(warehouse.TENANT_TABLES) == tables - set(warehouse.BOOKKEEPING_TABLES)
    assert {"notifications", "message_status_events", "bot_messages", "pricing_daily",
            "rejected_rows", "tenants"} <= set(warehouse.TENANT_TABLES)


def test_a_new_run_history_row_changes_nothing(tmp_path):
    con = warehouse.create(tmp_path / "w.duckdb")
    fill(con)
    before = warehouse.tenant_fingerprints(con, ["acme"])
    con.execute("INSERT INTO run_history (tenant_id, report, status) VALUES "
                "('acme', 'chatbots', 'ok')")
    assert warehouse.tenant_fingerprints(con, ["acme"]) == before
    con.close()


def test_a_tenants_rows_are_counted_over_every_table_a_bundle_reads(tmp_path):
    # acme: 2 bot messages + 1 rejected row; beta: 1 bot message; gamma: none.
    con = warehouse.create(tmp_path / "w.duckdb")
    fill(con)
    assert warehouse.tenant_rows(con, ["acme", "beta", "gamma"]) == {
        "acme": 3, "beta": 1, "gamma": 0}
    con.close()
