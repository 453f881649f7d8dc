"""The tenant's slice of the warehouse, taken once per bundle build.

The warehouse's views (`message_timeline`, `free_windows`, ...) join and aggregate whole
tables, every tenant's rows, each time a mart reads them: at 10 M notifications a bundle spent
most of its time recomputing other tenants' timelines that its tenant filter then dropped. A
build first puts a temp view, named like each warehouse table those views read, over the rows
of its tenant, then computes each view once over them into a temp table of the view's name.
DuckDB looks up a name in `temp` before the search path, for a mart's own SQL as for a view's
SQL bound when it is read, so every mart reads the slice unchanged. A bundle's content is the
same with or without the slice (tests/marts/test_tenant_slice.py).

The tables' slices are views, not copies: a read of one skips the row groups of other tenants
(the warehouse loads a tenant's files together), so reading it a few times costs less than
writing it once (a median 10 M bundle 4.6 -> 4.1 s, the largest 8.2 -> 6.1 s).

Tables the views do not read stay in the warehouse: a mart reads them with its tenant filter,
which DuckDB pushes into the scan, and copying them would only add a read.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable

import duckdb

WAREHOUSE = "wh"  # the catalog the bundle build attaches the warehouse as
# What DuckDB keeps before a view's SELECT (duckdb_views().sql): "CREATE VIEW name AS ".
VIEW_HEAD = re.compile(r'(?is)^\s*CREATE\s+(OR\s+REPLACE\s+)?VIEW\s+("[^"]+"|[\w.]+)\s+AS\s+')


@functools.cache
def _parser() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")


@functools.lru_cache(maxsize=256)
def table_names(query: str) -> frozenset[str]:
    """The names a query reads from (tables, views and its own CTEs), from DuckDB's parse
    tree: nothing is bound, so the names need not exist. Parsed once per process: a worker
    builds bundle after bundle from the same SQL."""
    parsed = _parser().cursor().execute("SELECT json_serialize_sql(?)", [query]).fetchone()[0]
    tree = json.loads(parsed)
    if tree.get("error"):
        raise ValueError(f"not SQL DuckDB can parse: {tree.get('error_message')}")
    found: set[str] = set()
    stack: list = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE":
                found.add(node["table_name"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(found)


def _warehouse_objects(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], set[str]]:
    """The warehouse's views (name -> SQL) and its tables that have a tenant_id."""
    views = {name: re.sub(VIEW_HEAD, "", sql).rstrip().rstrip(";") for name, sql in con.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE database_name = ? AND NOT internal",
        [WAREHOUSE]).fetchall()}
    tenant_tables = {name for (name,) in con.execute(
        "SELECT DISTINCT c.table_name FROM duckdb_columns() c JOIN duckdb_tables() t"
        "  ON t.database_name = c.database_name AND t.table_name = c.table_name"
        " WHERE c.database_name = ? AND c.column_name = 'tenant_id'", [WAREHOUSE]).fetchall()}
    return views, tenant_tables


def take(con: duckdb.DuckDBPyConnection, queries: Iterable[str]) -> list[str]:
    """Slice the warehouse for the connection's `tenant` variable, as far as `queries` (the
    build's staging and mart SQL) read its views; returns the temp tables made, in order."""
    views, tenant_tables = _warehouse_objects(con)
    reads = {name: table_names(sql) & (views.keys() | tenant_tables)
             for name, sql in views.items()}
    wanted: list[str] = []  # views in dependency order, each after those it reads

    def visit(view: str) -> None:
        if view in wanted:
            return
        for inner in sorted(reads[view] & views.keys()):
            visit(inner)
        wanted.append(view)

    for query in queries:
        for name in sorted(table_names(query) & views.keys()):
            visit(name)
    tables = sorted({t for v in wanted for t in reads[v]} - views.keys())
    for table in tables:  # a view: DuckDB skips the other tenants' row groups at each read
        con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM "
                    f"{WAREHOUSE}.main.{table} WHERE tenant_id = getvariable('tenant')")
    for view in wanted:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM "
                    f"{WAREHOUSE}.main.{view} WHERE tenant_id = getvariable('tenant')")
    return [*tables, *wanted]
