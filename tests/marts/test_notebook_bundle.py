"""A notebook opened by hand (`bundle` empty) builds its bundle once and reuses it while it is
current: "Run All" again builds nothing and leaves no temporary folder; a changed warehouse
or another as-of date gets a new one, and the old one of the same scope is removed."""

from __future__ import annotations

import os
import tempfile

import pytest

from reportlib.marts import bundle
from tests.conftest import utc


def add_pricing_row(con, volume: int) -> None:
    con.execute(
        "INSERT INTO pricing_daily VALUES ('acme', 'w', ?, ?, '551140000001', 'BR', 'REGULAR', "
        "'UTILITY', NULL, ?, NULL, 'hand-made', 'DAILY', "
        "'phone_number,country,pricing_type,pricing_category')",
        [utc("2026-10-05T03:00:00+00:00"), utc("2026-10-06T03:00:00+00:00"), volume])


@pytest.fixture
def hand_site(tmp_path, empty_warehouse, params_dir, monkeypatch):
    path, con = empty_warehouse
    add_pricing_row(con, 40)
    con.close()
    monkeypatch.setenv("REPORTLIB_WAREHOUSE", str(path))
    monkeypatch.setenv("REPORTLIB_PARAMS", str(params_dir))
    monkeypatch.setenv("REPORTLIB_CACHE", str(tmp_path / "cache"))
    # Every temporary file or folder made by the library lands here, where we can count them.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR (the stdlib caches it)
    return tmp_path, path


def cached(tmp_path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "cache").iterdir())


def test_run_all_again_reuses_the_bundle_and_leaves_nothing(hand_site):
    tmp_path, warehouse_path = hand_site
    first = bundle.for_notebook("acme", "2026-10", "", "2026-11-20", ("consumption",))
    inode = os.stat(first.path).st_ino
    assert first.info["tenant"] == "acme" and first.info["as_of"] == "2026-11-20"
    # The one pricing row of acme, volume 40 (hand-made above): in the bundle.
    assert first.table("consumption_daily")["quantity"].sum() == 40
    assert len(cached(tmp_path)) == 1

    again = bundle.for_notebook("acme", "2026-10", "", "2026-11-20", ("consumption",))
    assert again.path == first.path
    assert os.stat(again.path).st_ino == inode  # the same file, not built again
    assert cached(tmp_path) == [first.path.name]
    assert os.listdir(tmp_path / "tmp") == []  # no folder per "Run All"

    # Another as-of date is another bundle, kept beside the first.
    other = bundle.for_notebook("acme", "2026-10", "", "2026-11-25", ("consumption",))
    assert other.path != first.path and len(cached(tmp_path)) == 2

    # The warehouse changes (7 more messages): the next "Run All" builds a current bundle,
    # which replaces the stale one of the same scope; the other as-of date's stays.
    import duckdb

    con = duckdb.connect(str(warehouse_path))
    add_pricing_row(con, 7)
    con.close()
    fresh = bundle.for_notebook("acme", "2026-10", "", "2026-11-20", ("consumption",))
    assert fresh.path != first.path
    assert fresh.table("consumption_daily")["quantity"].sum() == 47  # 40 + 7
    assert cached(tmp_path) == sorted([fresh.path.name, other.path.name])
    assert os.listdir(tmp_path / "tmp") == []


def test_a_given_bundle_is_opened_as_it_is(hand_site, tmp_path):
    built = tmp_path / "given" / "bundle.duckdb"
    site, warehouse_path = hand_site
    from reportlib import params
    from reportlib.domain import calendar, pricing

    bundle.build(warehouse_path, params.load_tenant(site / "params", "acme"),
                 calendar.parse_period("2026-10"), calendar.parse_date("2026-11-20", "as_of"),
                 built, ("consumption",), pricing.load_rate_card())
    opened = bundle.for_notebook("acme", "2026-10", str(built), "2026-11-20", ("consumption",))
    assert opened.path == built
    assert not (tmp_path / "cache").exists()  # nothing cached for a given bundle
