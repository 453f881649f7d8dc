"""Shared helpers: hand-made tenants, source files and warehouses under tmp_path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reportlib import params as params_mod
from reportlib import warehouse
from reportlib.params import PhoneNumber, TenantParams

REPO = Path(__file__).resolve().parent.parent

ACME = TenantParams(
    tenant_id="acme", display_name="Acme <Lojas>", timezone="America/Sao_Paulo",
    locale="pt-BR",
    phone_numbers=(PhoneNumber("1001", "+55 11 4000-0001", "w-acme", "Vendas"),),
    bots=("acme-bot",),
)
BETA = TenantParams(
    tenant_id="beta", display_name="Beta", timezone="UTC", locale="en",
    phone_numbers=(PhoneNumber("2001", "+55 21 3000-0002", "w-beta", "Main"),),
    bots=("beta-bot",),
)


def unix(text: str) -> int:
    """Unix seconds of an ISO instant with offset, e.g. '2026-10-01T03:00:00+00:00'."""
    return int(datetime.fromisoformat(text).timestamp())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def params_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "params"
    for tenant in (ACME, BETA):
        params_mod.dump_tenant(folder, tenant)
    return folder


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def webhook(phone_id: str, statuses=None, messages=None, waba: str = "w-acme") -> str:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "551140000001", "phone_number_id": phone_id}}
    if statuses is not None:
        value["statuses"] = statuses
    if messages is not None:
        value["messages"] = messages
    return json.dumps({"object": "whatsapp_business_account", "entry": [
        {"id": waba, "changes": [{"value": value, "field": "messages"}]}]})


@pytest.fixture
def empty_warehouse(tmp_path: Path):
    """A fresh warehouse with the two hand-made tenants registered."""
    path = tmp_path / "warehouse.duckdb"
    con = warehouse.create(path)
    for t in (ACME, BETA):
        con.execute("INSERT INTO tenants VALUES (?, ?, ?, ?, ?)",
                    [t.tenant_id, t.display_name, t.timezone, t.locale, t.currency])
        for p in t.phone_numbers:
            con.execute("INSERT INTO phone_numbers VALUES (?, ?, ?, ?, ?)",
                        [t.tenant_id, p.phone_number_id, p.display_phone_number, p.waba_id,
                         p.label])
    yield path, con
    con.close()


@pytest.fixture
def tiny_warehouse(empty_warehouse):
    path, con = empty_warehouse
    for day, n in ((5, 120), (6, 80)):
        con.execute(
            "INSERT INTO pricing_daily VALUES ('acme', 'w-acme', ?, ?, '551140000001', 'BR', "
            "'REGULAR', 'MARKETING', NULL, ?, ?, 'hand-made', 'DAILY', "
            "'phone_number,country,pricing_type,pricing_category')",
            [utc(f"2026-10-{day:02d}T03:00:00+00:00"), utc(f"2026-10-{day + 1:02d}T03:00:00+00:00"),
             n, n * 0.0625])
    con.execute(
        "INSERT INTO pricing_daily VALUES ('acme', 'w-acme', ?, ?, '551140000001', 'BR', "
        "'FREE_CUSTOMER_SERVICE', 'SERVICE', NULL, 300, 0, 'hand-made', 'DAILY', "
        "'phone_number,country,pricing_type,pricing_category')",
        [utc("2026-10-05T03:00:00+00:00"), utc("2026-10-06T03:00:00+00:00")])
    con.close()
    return path


@pytest.fixture(autouse=True, scope="session")
def _bundle_cache(tmp_path_factory):
    """Bundles of notebooks run with an empty `bundle` are cached here, never in the user's
    own cache folder (kernels inherit the variable)."""
    import os

    os.environ["REPORTLIB_CACHE"] = str(tmp_path_factory.mktemp("bundle-cache"))


def acme_bundle(tmp_path: Path, params_dir: Path, files: dict[str, str], period: str,
                as_of, reports: tuple[str, ...], tenant: TenantParams = ACME):
    """The bundle of hand-made source files (`files`: path under sources/acme -> text), with
    ACME's params (or `tenant`'s: ACME with other options): written, ingested and built as a
    run would, and opened."""
    from reportlib import ingest
    from reportlib import params as params_mod
    from reportlib.domain import calendar
    from reportlib.marts import bundle

    params_mod.dump_tenant(params_dir, tenant)
    for name, text in files.items():
        write(tmp_path / "sources" / "acme" / name, text)
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    out = tmp_path / "bundle.duckdb"
    bundle.build(tmp_path / "wh.duckdb", params_mod.load_tenant(params_dir, "acme"),
                 calendar.parse_period(period), as_of, out, reports)
    return bundle.Bundle.open(out)


def scope_connection(warehouse_path: Path, tenant, period: str = "2026-10",
                     as_of=None):
    """An in-memory connection with one scope of the warehouse attached, as a bundle build
    has it (`bundle.attach_scope`): a mart's SQL runs on it as it is (as-of 20 Nov 2026 by
    default)."""
    from datetime import date

    from reportlib import warehouse
    from reportlib.domain import calendar, pricing
    from reportlib.marts import bundle

    con = warehouse.connect(":memory:")
    bundle.attach_scope(con, warehouse_path, tenant, calendar.parse_period(period),
                        as_of or date(2026, 11, 20), pricing.load_rate_card())
    return con
