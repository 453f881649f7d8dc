"""Tenant settings from `params/tenants/<tenant>.yaml`, validated on load with clear errors."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from reportlib import registry
from reportlib import sources as sources_mod
from reportlib.calendar import zone
from reportlib.errors import ReportError
from reportlib.sources import TENANT_ID

DEFAULT_PARAMS = "params"
LOCALES = ("pt-BR", "en")
REPORTS = registry.names()  # a tenant's reports when its params do not list them


@dataclass(frozen=True)
class PhoneNumber:
    phone_number_id: str
    display_phone_number: str
    waba_id: str
    label: str = ""


@dataclass(frozen=True)
class TenantParams:
    tenant_id: str
    display_name: str
    timezone: str = "America/Sao_Paulo"
    locale: str = "pt-BR"
    currency: str = "USD"
    sla_target_minutes: int = 15
    phone_numbers: tuple[PhoneNumber, ...] = ()
    bots: tuple[str, ...] = ()
    reports: tuple[str, ...] = REPORTS
    recipients: dict[str, list[str]] = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    # Per source kind, the file's column name -> the canonical column it holds (an export whose
    # columns are named otherwise needs this configuration, not code).
    column_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    # Template name -> category: the last resort for the category of a notification whose
    # export does not say it (docs/sources.md, the platform's export tables).
    templates: dict[str, str] = field(default_factory=dict)

    def phone_number_ids(self) -> set[str]:
        return {p.phone_number_id for p in self.phone_numbers}


def default_dir() -> Path:
    return Path(os.environ.get("REPORTLIB_PARAMS", DEFAULT_PARAMS))


def check_tenant_id(tenant: str) -> str:
    if not isinstance(tenant, str) or not TENANT_ID.match(tenant):
        raise ReportError(
            f"tenant {tenant!r} is not a valid tenant id (^[a-z0-9][a-z0-9_-]{{0,62}}$)"
        )
    return tenant


def tenant_file(params_dir: Path, tenant: str) -> Path:
    return Path(params_dir) / "tenants" / f"{check_tenant_id(tenant)}.yaml"


def list_tenants(params_dir: Path) -> list[str]:
    folder = Path(params_dir) / "tenants"
    return sorted(p.stem for p in folder.glob("*.yaml") if TENANT_ID.match(p.stem))


def load_tenant(params_dir: Path, tenant: str) -> TenantParams:
    """Load and validate one tenant's params; an unknown tenant is a ReportError."""
    path = tenant_file(params_dir, tenant)
    if not path.is_file():
        raise ReportError(f"unknown tenant {tenant!r}: no {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise ReportError(f"{path}: {where}: not valid YAML") from None
    if not isinstance(raw, dict):
        raise ReportError(f"{path}: expected a mapping of settings")

    def get(name, kind, default):
        value = raw.get(name, default)
        if not isinstance(value, kind):
            raise ReportError(f"{path}: field {name}: expected {kind.__name__}, got {value!r}")
        return value

    timezone = get("timezone", str, "America/Sao_Paulo")
    zone(timezone)
    locale = get("locale", str, "pt-BR")
    if locale not in LOCALES:
        raise ReportError(f"{path}: field locale: {locale!r} is not one of {', '.join(LOCALES)}")
    phones = []
    for i, item in enumerate(get("phone_numbers", list, [])):
        if not isinstance(item, dict) or "id" not in item:
            raise ReportError(f"{path}: field phone_numbers[{i}]: needs an id")
        phones.append(
            PhoneNumber(
                phone_number_id=str(item["id"]),
                display_phone_number=str(item.get("display", "")),
                waba_id=str(item.get("waba_id", "")),
                label=str(item.get("label", "")),
            )
        )
    reports = tuple(get("reports", list, list(REPORTS)))
    sla = get("sla_target_minutes", int, 15)
    if sla <= 0:
        raise ReportError(f"{path}: field sla_target_minutes: must be positive")
    column_maps = _column_maps(path, get("sources", dict, {}))
    templates = {}
    for name, category in get("templates", dict, {}).items():
        value = str(category).strip().lower().replace("-", "_").replace(" ", "_")
        if value not in sources_mod.CATEGORY_VALUES:
            raise ReportError(f"{path}: field templates.{name}: {category!r} is not a category "
                              f"({', '.join(sources_mod.CATEGORY_VALUES)})")
        templates[str(name)] = value
    return TenantParams(
        tenant_id=tenant,
        display_name=get("display_name", str, tenant),
        timezone=timezone,
        locale=locale,
        currency=get("currency", str, "USD"),
        sla_target_minutes=sla,
        phone_numbers=tuple(phones),
        bots=tuple(str(b) for b in get("bots", list, [])),
        reports=reports,
        recipients=get("recipients", dict, {}),
        options=get("options", dict, {}),
        column_maps=column_maps,
        templates=templates,
    )


def _column_maps(path: Path, raw: dict) -> dict[str, dict[str, str]]:
    """`sources: {<kind>: {columns: {<file column>: <canonical column>}}}`, checked: the kind
    must be a CSV source and every canonical name one of its columns."""
    maps: dict[str, dict[str, str]] = {}
    for kind, spec in raw.items():
        where = f"{path}: field sources.{kind}"
        src = sources_mod.CSV_SOURCES.get(kind)
        if src is None:
            raise ReportError(f"{where}: not a source kind with columns (one of "
                              f"{', '.join(sorted(sources_mod.CSV_SOURCES))})")
        columns = spec.get("columns") if isinstance(spec, dict) else None
        if not isinstance(columns, dict) or set(spec) - {"columns"}:
            raise ReportError(f"{where}: expected {{columns: {{<file column>: <column>}}}}")
        mapping = {}
        shapes = sources_mod.csv_shapes(kind)
        for theirs, ours in columns.items():
            found = [f for shape in shapes if (f := shape.field_named(str(ours))) is not None]
            if not found:
                names = dict.fromkeys(x.name for shape in shapes for x in shape.fields)
                raise ReportError(f"{where}.columns.{theirs}: unknown column {ours!r} (one of "
                                  f"{', '.join(names)})")
            mapping[str(theirs).strip().lower()] = found[0].name
        maps[kind] = mapping
    return maps


def dump_tenant(params_dir: Path, tenant: TenantParams) -> Path:
    """Write a tenant's params file (the demo uses this for its tenants)."""
    path = tenant_file(params_dir, tenant.tenant_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "display_name": tenant.display_name,
        "timezone": tenant.timezone,
        "locale": tenant.locale,
        "currency": tenant.currency,
        "sla_target_minutes": tenant.sla_target_minutes,
        "phone_numbers": [
            {"id": p.phone_number_id, "display": p.display_phone_number, "waba_id": p.waba_id,
             "label": p.label}
            for p in tenant.phone_numbers
        ],
        "bots": list(tenant.bots),
        "reports": list(tenant.reports),
        "recipients": tenant.recipients,
    }
    if tenant.options:
        data["options"] = tenant.options
    if tenant.templates:
        data["templates"] = dict(tenant.templates)
    if tenant.column_maps:
        data["sources"] = {k: {"columns": dict(v)} for k, v in tenant.column_maps.items()}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
