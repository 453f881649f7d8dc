"""A warehouse's schema is looked at once per process while its files stay as they were; any
write makes the next build look again, and a stale one is still brought up to date."""

from __future__ import annotations

from reportlib import warehouse


def counting_connects(monkeypatch) -> list:
    opened = []
    real = warehouse.connect

    def connect(path, read_only=False):
        opened.append((str(path), read_only))
        return real(path, read_only)

    monkeypatch.setattr(warehouse, "connect", connect)
    return opened


def test_a_current_warehouse_is_opened_once_until_it_changes(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    warehouse.create(path).close()
    opened = counting_connects(monkeypatch)
    warehouse.ensure_current(path)
    warehouse.ensure_current(path)
    assert opened == [(str(path), True)]
    con = warehouse.connect(path)  # a write
    con.execute("INSERT INTO tenants VALUES ('acme', 'Acme', 'UTC', 'en', 'USD')")
    con.close()
    warehouse.ensure_current(path)
    assert opened == [(str(path), True), (str(path), False), (str(path), True)]


def test_a_stale_warehouse_is_brought_up_to_date_after_it_was_found_current(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    warehouse.create(path).close()
    warehouse.ensure_current(path)  # found current, remembered
    con = warehouse.connect(path)
    con.execute("DELETE FROM warehouse_schema")  # as if made by another version
    con.execute("DROP VIEW message_free_windows")
    con.close()
    warehouse.ensure_current(path)
    con = warehouse.connect(path, read_only=True)
    try:
        assert con.execute("SELECT ddl_sha256 FROM warehouse_schema").fetchall() == [
            (warehouse.DDL_SHA256,)]
        assert con.execute("SELECT count(*) FROM duckdb_views() "
                           "WHERE view_name = 'message_free_windows'").fetchone()[0] == 1
    finally:
        con.close()
