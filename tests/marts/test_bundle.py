"""A bundle's content hash: equal content, equal hash, whatever the file's bytes; any changed
row, column or table changes it."""

from __future__ import annotations

import duckdb

from reportlib.marts.bundle import content_hash


def make(path, rows, extra_column: bool = False, table: str = "t"):
    con = duckdb.connect(str(path))
    column = ", c VARCHAR" if extra_column else ""
    con.execute(f"CREATE TABLE {table} (a INTEGER, b VARCHAR{column})")
    for a, b in rows:
        con.execute(f"INSERT INTO {table} VALUES (?, ?{', NULL' if extra_column else ''})", [a, b])
    con.close()
    return path


def test_the_hash_follows_the_content_not_the_file(tmp_path):
    rows = [(1, "x"), (2, "y"), (2, "y")]
    first = content_hash(make(tmp_path / "a.duckdb", rows))
    # The same rows inserted in another order: the same content.
    assert content_hash(make(tmp_path / "b.duckdb", rows[::-1])) == first
    # One row changed, a duplicate dropped, a column or a table renamed: another hash.
    assert content_hash(make(tmp_path / "c.duckdb", [(1, "x"), (2, "y"), (2, "z")])) != first
    assert content_hash(make(tmp_path / "d.duckdb", rows[:2])) != first
    assert content_hash(make(tmp_path / "e.duckdb", rows, extra_column=True)) != first
    assert content_hash(make(tmp_path / "f.duckdb", rows, table="u")) != first
    # Values swapped between rows of a column are another content too.
    assert content_hash(make(tmp_path / "g.duckdb", [(1, "y"), (2, "x"), (2, "y")])) != first


def test_a_sum_that_differs_in_its_last_bits_is_the_same_content(tmp_path):
    """A parallel sum may come out as 0.30000000000000004 or 0.3: the same figure."""
    hashes = []
    for name, value in (("a", 0.1 + 0.2), ("b", 0.3)):
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        con.execute("CREATE TABLE t (x DOUBLE)")
        con.execute("INSERT INTO t VALUES (?)", [value])
        con.close()
        hashes.append(content_hash(tmp_path / f"{name}.duckdb"))
    assert 0.1 + 0.2 != 0.3 and hashes[0] == hashes[1]


def test_a_bundle_holds_the_coverage_of_the_sources_its_reports_read(tmp_path, tiny_warehouse):
    """The chatbots report reads bot messages only: its bundle does not scan the other
    sources for their coverage. Consumption reads pricing analytics, and conversation
    analytics stands in for it (a row each, 3 pricing points on 2 days in the hand-made
    warehouse)."""
    from datetime import date

    from reportlib.domain import calendar
    from reportlib.marts import bundle
    from tests.conftest import ACME

    def coverage(reports):
        out = tmp_path / f"{'-'.join(reports)}.duckdb"
        bundle.build(tiny_warehouse, ACME, calendar.parse_period("2026-10"), date(2026, 11, 20),
                     out, reports)
        table = bundle.Bundle.open(out).table("source_coverage")
        return {r.kind: (r.rows, r.days_with_data) for r in table.itertuples()}

    assert coverage(("chatbots",)) == {"bot_messages": (0, 0)}
    assert coverage(("consumption",)) == {"pricing_analytics": (3, 2),
                                          "conversation_analytics": (0, 0)}
    assert set(coverage(("consumption", "chatbots"))) == {
        "bot_messages", "pricing_analytics", "conversation_analytics"}


def test_a_build_returns_the_hashes_of_the_file_it_wrote(tmp_path, tiny_warehouse):
    """The build hashes its tables on its own connection, before the file is closed: the
    same hashes as the file read again, every table, and bundle_info as it was written."""
    import json
    from datetime import date

    from reportlib import registry
    from reportlib.domain import calendar, pricing
    from reportlib.marts import bundle
    from tests.conftest import ACME

    out = tmp_path / "bundle.duckdb"
    returned = bundle.build(tiny_warehouse, ACME, calendar.parse_period("2026-10"),
                            date(2026, 11, 20), out, tuple(registry.names()))
    on_file = bundle.table_hashes(out)
    assert returned == on_file
    opened = bundle.Bundle.open(out)
    assert set(on_file) == opened.tables() and {"bundle_info", "rate_card"} <= set(on_file)
    written = bundle.bundle_info(ACME, calendar.parse_period("2026-10"), date(2026, 11, 20),
                                 pricing.load_rate_card(), tuple(registry.names()))
    assert opened.info == json.loads(json.dumps(written)) and opened.info["tenant"] == "acme"


def test_a_quote_in_the_warehouse_or_bundle_path_builds(tmp_path, tiny_warehouse):
    """`reportlib run --warehouse "O'Brien/warehouse.duckdb"` (or an --outputs folder with a
    quote) failed every bundle with "ParserException: unterminated string literal": the
    paths were spliced into ATTACH; they are bound now."""
    from datetime import date

    from reportlib import registry
    from reportlib.domain import calendar
    from reportlib.marts import bundle
    from tests.conftest import ACME

    folder = tmp_path / "O'Brien"
    folder.mkdir()
    moved = folder / "warehouse.duckdb"
    moved.write_bytes(tiny_warehouse.read_bytes())
    out = folder / "it's" / "bundle.duckdb"
    out.parent.mkdir()
    hashes = bundle.build(moved, ACME, calendar.parse_period("2026-10"), date(2026, 11, 20),
                          out, tuple(registry.names()))
    assert out.is_file() and "bundle_info" in hashes
