"""A bundle build reads its tenant's slice of the warehouse (reportlib/marts/tenant_slice.py):
the views computed once over the tenant's rows. Every mart is the same with the slice as
without it, and the slice holds no other tenant's row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reportlib import demo, ingest, params, registry, warehouse
from reportlib.domain import calendar, pricing
from reportlib.marts import (
    build_staging,
    bundle,
    mart_names,
    mart_query,
    queries,
    tenant_slice,
)

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("slice")
    demo.generate(root / "sources", root / "params", AS_OF, tenants=2, months=2, scale=0.05)
    ingest.ingest(root / "sources", root / "warehouse.duckdb", root / "params")
    return root


def scoped(site: Path, tenant_id: str, period: str, sliced: bool):
    """A connection as bundle.build makes it, with or without the tenant's slice."""
    con = warehouse.connect(":memory:")
    bundle.attach_scope(con, site / "warehouse.duckdb",
                        params.load_tenant(site / "params", tenant_id),
                        calendar.parse_period(period), AS_OF,
                        pricing.load_rate_card(pricing.rate_card_path(site / "params")))
    made = tenant_slice.take(con, queries(registry.names())) if sliced else []
    build_staging(con, registry.names())
    return con, made


def rows_of(con, query: str) -> list[str]:
    """The rows, sorted, floats to 12 significant digits: a parallel sum may differ in its
    last bits from one run to the next (as bundle.table_hashes counts them)."""
    def value(v):
        return f"{v:.12g}" if isinstance(v, float) else repr(v)
    return sorted("|".join(value(v) for v in row) for row in con.execute(query).fetchall())


def test_the_names_a_query_reads_come_from_its_parse_tree():
    query = """WITH a AS (SELECT * FROM foo JOIN wh.main.bar USING (x))
               SELECT * FROM a WHERE EXISTS (SELECT 1 FROM qux WHERE y IN (SELECT z FROM zed))"""
    # Nothing is bound: none of these exists. The CTE's own name is among them.
    assert tenant_slice.table_names(query) == {"a", "foo", "bar", "qux", "zed"}


@pytest.mark.parametrize("period", ["2026-10", "2026-11"])
def test_every_mart_is_the_same_with_the_slice_as_without(site, period):
    tenants = sorted(p.stem for p in (site / "params" / "tenants").glob("*.yaml"))
    assert len(tenants) == 2
    for tenant_id in tenants:
        plain, _ = scoped(site, tenant_id, period, sliced=False)
        sliced, made = scoped(site, tenant_id, period, sliced=True)
        assert "message_timeline" in made and "message_status_events" in made
        rows = 0
        for name in mart_names(registry.names()):
            query = f"SELECT * FROM ({mart_query(name, registry.names())})"
            expected = rows_of(plain, query)
            assert rows_of(sliced, query) == expected, (tenant_id, name)
            rows += len(expected)
        assert rows > 100  # the marts are not empty: the comparison compares something


def test_the_slice_holds_the_tenant_s_rows_and_no_other_s(site):
    con, made = scoped(site, "varejo_sul", "2026-10", sliced=True)
    # Unsliced: a warehouse view read here sees every tenant (in `con` it reads the slice).
    plain, _ = scoped(site, "varejo_sul", "2026-10", sliced=False)
    for table in made:
        own, others = con.execute(f"SELECT count(*) FILTER (WHERE tenant_id = 'varejo_sul'), "
                                  f"count(*) FILTER (WHERE tenant_id <> 'varejo_sul') "
                                  f"FROM temp.main.{table}").fetchone()
        tenants, expected = plain.execute(
            f"SELECT count(DISTINCT tenant_id), count(*) FILTER (WHERE tenant_id = "
            f"'varejo_sul') FROM wh.main.{table}").fetchone()
        assert others == 0 and own == expected, table
        if table in ("message_status_events", "message_timeline"):
            assert own > 0 and tenants == 2  # the other tenant has rows the slice left out
