"""Tenant settings from `params/tenants/<tenant>.yaml`, validated on load with clear errors."""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from babel.numbers import is_currency

from reportlib import registry
from reportlib import sources as sources_mod
from reportlib.domain.calendar import zone
from reportlib.errors import ReportError, looked_in
from reportlib.sources import DIRECTION_CONTROLS, TENANT_ID

LOCALES = ("pt-BR", "en")
# An e-mail address as recipients and notify: accept it: no spaces, quotes or separators, so
# that nothing but the address can reach a header (a CR/LF would smuggle in a Bcc).
ADDRESS = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
REPORTS = registry.names()  # a tenant's reports when its params do not list them
# Every top-level setting of a tenant's file, in the order of the README (anything else is a
# typo, refused on load rather than silently ignored).
FIELDS = ("display_name", "timezone", "locale", "currency", "sla_target_minutes",
          "phone_numbers", "bots", "event_names", "reports", "recipients", "options", "sources",
          "templates")
# Every key of `options:`, as the README lists them; another is a typo, refused on load too.
OPTIONS = ("funnels", "campaign_variants", "extract_identities")
FUNNEL_FIELDS = ("name", "steps")
# What `event_names:` may name: the custom events report's categories, actions and labels.
EVENT_NAME_KINDS = {"categories": "category", "actions": "action", "labels": "label"}


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
    # Bot id -> the name the reports show for it (`bots:` as a mapping); a bot without one is
    # shown by its id.
    bot_names: dict[str, str] = field(default_factory=dict)
    # `event_names:`: per kind (EVENT_NAME_KINDS), the tenant's value -> the name shown.
    event_names: dict[str, dict[str, str]] = field(default_factory=dict)
    reports: tuple[str, ...] = REPORTS
    recipients: dict[str, list[str]] = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    # Per source kind, the file's column name -> the canonical column it holds (an export whose
    # columns are named otherwise needs this configuration, not code).
    column_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    # Template name -> category: the last resort for the category of a notification whose
    # export does not say it (docs/sources.md, the platform's export tables).
    templates: dict[str, str] = field(default_factory=dict)
    # The file it was loaded from, for errors that name it; left out of repr and equality so
    # that the input hashes (which read repr) do not change with the params folder's path.
    source_file: str = field(default="", compare=False, repr=False)

    def phone_number_ids(self) -> set[str]:
        return {p.phone_number_id for p in self.phone_numbers}


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping: PyYAML keeps the last
    in silence, so a `timezone:` appended below the first changed every date of the reports
    without a word."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise ReportError(f"line {key_node.start_mark.line + 1}: field {key}: given "
                                  "twice (keep one)")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> object:
    """A settings file's YAML (None when empty), every mistake one line naming the file: one
    that does not parse (with its line) or gives a key twice in one mapping."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise ReportError(f"{path}: {where}: not valid YAML") from None
    except ReportError as exc:
        raise ReportError(f"{path}: {exc}") from None


def check_tenant_id(tenant: str) -> str:
    if not isinstance(tenant, str) or not TENANT_ID.match(tenant):
        raise ReportError(
            f"tenant {tenant!r} is not a valid tenant id (^[a-z0-9][a-z0-9_-]{{0,62}}$)"
        )
    return tenant


def tenant_file(params_dir: Path, tenant: str) -> Path:
    """`tenants/<tenant>.yaml`, or `.yml` when only that one exists; both is a ReportError
    (which one holds the settings?)."""
    folder = Path(params_dir) / "tenants"
    yaml_path, yml_path = (folder / f"{check_tenant_id(tenant)}{suffix}"
                           for suffix in (".yaml", ".yml"))
    if yml_path.exists() and yaml_path.exists():
        raise ReportError(f"{yaml_path}: {yml_path.name} holds the settings of {tenant!r} too: "
                          "keep one of the two files")
    return yml_path if yml_path.exists() else yaml_path


def check_params_folder(params_dir: Path) -> Path:
    """The params folder, which must be one: a mistyped --params was 'unknown tenant' for
    every tenant, or no tenant at all."""
    folder = Path(params_dir)
    if not folder.is_dir():
        raise ReportError(f"no params folder at {folder}: give the right --params (or "
                          f"REPORTLIB_PARAMS){looked_in(folder)}" if not folder.exists() else
                          f"--params {folder} is a file: give the params folder")
    return folder


def list_tenants(params_dir: Path) -> list[str]:
    """Every tenant with a params file. A file whose name is not a tenant id (`Varejo
    Sul.yaml`) is refused, not skipped: skipped, `--all-tenants` left that tenant out without
    a word. `.yml` is read as `.yaml` is. Hidden files (an editor's `.#x.yaml`) are not
    settings. A params folder that is not there is a ReportError."""
    folder = check_params_folder(params_dir) / "tenants"
    found = []
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        if path.name.startswith(".") or path.stem in found:  # both: load_tenant says it
            continue
        if not TENANT_ID.match(path.stem):
            raise ReportError(f"{path}: {path.stem!r} is not a valid tenant id "
                              "(^[a-z0-9][a-z0-9_-]{0,62}$): rename the file")
        found.append(path.stem)
    return sorted(found)


def load_tenant(params_dir: Path, tenant: str) -> TenantParams:
    """Load and validate one tenant's params; an unknown tenant is a ReportError."""
    path = tenant_file(params_dir, tenant)
    if path.exists() and not path.is_file():
        raise ReportError(f"{path}: not a file (a tenant's settings are a YAML file)")
    if not path.is_file():
        check_params_folder(params_dir)
        raise ReportError(f"unknown tenant {tenant!r}: no {path}")
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise ReportError(f"{path}: expected a mapping of settings")
    for name in raw:
        if name not in FIELDS:
            raise ReportError(f"{path}: field {name}: not a setting{hint(name, FIELDS)}")
    known_reports = (*registry.built_in_names(), *_site_report_names(params_dir))

    def get(name, kind, default):
        value = raw.get(name, default)
        # YAML reads yes/no/true/on as booleans, and Python's True is the int 1.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ReportError(f"{path}: field {name}: expected {kind.__name__}, got {value!r}")
        return value

    timezone = get("timezone", str, "America/Sao_Paulo")
    try:
        zone(timezone)
    except ReportError:
        close = difflib.get_close_matches(timezone, sorted(zoneinfo.available_timezones()), 1)
        raise ReportError(f"{path}: field timezone: {timezone!r} is not an IANA time zone" + (
            f"; did you mean {close[0]}?" if close else " (e.g. America/Sao_Paulo, UTC)")
        ) from None
    locale = get("locale", str, "pt-BR")
    if locale not in LOCALES:
        raise ReportError(f"{path}: field locale: {locale!r} is not one of {', '.join(LOCALES)}")
    # The currency Meta bills the account in: Meta's cost is in it, every amount is shown in
    # it, and only the rate card's rows of it price the estimate (pricing: never converted).
    currency = get("currency", str, "USD").strip().upper()
    if not is_currency(currency):
        raise ReportError(f"{path}: field currency: {currency!r} is not an ISO 4217 currency "
                          "code (e.g. USD, BRL)")
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
    for name in reports:
        if name not in known_reports:
            raise ReportError(f"{path}: field reports: {name!r} is not a report"
                              f"{hint(name, known_reports)}")
    recipients = get("recipients", dict, {})
    for name in recipients:
        if name not in (*known_reports, "all"):
            raise ReportError(f"{path}: field recipients.{name}: not a report or all"
                              f"{hint(name, ('all', *known_reports))}")
    sla = get("sla_target_minutes", int, 15)
    if sla <= 0:
        raise ReportError(f"{path}: field sla_target_minutes: must be positive")
    column_maps = _column_maps(path, get("sources", dict, {}))
    bots, bot_names = _bots(path, raw.get("bots", []))
    templates = {}
    for name, category in get("templates", dict, {}).items():
        value = str(category).strip().lower().replace("-", "_").replace(" ", "_")
        if value not in sources_mod.CATEGORY_VALUES:
            raise ReportError(f"{path}: field templates.{name}: {category!r} is not a category "
                              f"({', '.join(sources_mod.CATEGORY_VALUES)})")
        templates[str(name)] = value
    display_name = get("display_name", str, tenant)
    if control := DIRECTION_CONTROLS.search(display_name):
        # it would turn the rest of a title, a footer or a subject round
        raise ReportError(f"{path}: field display_name: holds the direction control "
                          f"U+{ord(control.group()):04X}: remove it")
    return TenantParams(
        tenant_id=tenant,
        display_name=display_name,
        timezone=timezone,
        locale=locale,
        currency=currency,
        sla_target_minutes=sla,
        phone_numbers=tuple(phones),
        bots=tuple(bots),
        bot_names=bot_names,
        event_names=_event_names(path, get("event_names", dict, {})),
        reports=reports,
        recipients=recipients,
        options=_options(path, get("options", dict, {})),
        column_maps=column_maps,
        templates=templates,
        source_file=str(path),
    )


def _bots(path: Path, raw) -> tuple[list[str], dict[str, str]]:
    """`bots:`, the tenant's bot ids: a list of ids, or a mapping of each id to the name the
    reports show for it (empty or null: none, the id is shown)."""
    if isinstance(raw, list):
        for i, bot in enumerate(raw):
            if not _scalar(bot):
                raise ReportError(f"{path}: field bots[{i}]: expected a bot id, got {bot!r} (to "
                                  "name the bots, write `bots:` as a mapping <bot id>: <name>)")
        return [str(b) for b in raw], {}
    if not isinstance(raw, dict):
        raise ReportError(f"{path}: field bots: expected a list of bot ids or a mapping "
                          f"<bot id>: <name>, got {raw!r}")
    return [str(b) for b in raw], _names_of(f"{path}: field bots", raw, "bot id")


def _event_names(path: Path, raw: dict) -> dict[str, dict[str, str]]:
    """`event_names:`: {categories: {<category>: <name>}, actions: {<action>: <name>},
    labels: {<label>: <name>}}, each optional; an action's name holds in every category."""
    found = {}
    for kind, names in raw.items():
        where = f"{path}: field event_names.{kind}"
        if kind not in EVENT_NAME_KINDS:
            raise ReportError(f"{where}: not a kind of event name"
                              f"{hint(kind, tuple(EVENT_NAME_KINDS))}")
        if not isinstance(names, dict):
            raise ReportError(f"{where}: expected a mapping <{EVENT_NAME_KINDS[kind]}>: <name>, "
                              f"got {names!r}")
        found[kind] = _names_of(where, names, EVENT_NAME_KINDS[kind])
    return found


def _names_of(where: str, raw: dict, what: str) -> dict[str, str]:
    """Display names given as `<id>: <name>`: id and name text (or a number YAML read), a
    null or empty name none."""
    names = {}
    for key, name in raw.items():
        if not _scalar(key):
            raise ReportError(f"{where}: expected a {what}, got {key!r}")
        if name is not None and not _scalar(name):
            raise ReportError(f"{where}.{key}: expected a name (text), got {name!r}")
        if name is not None and str(name).strip():
            names[str(key)] = str(name).strip()
    return names


def _options(path: Path, raw: dict) -> dict:
    """`options:`, checked: every key one of OPTIONS, each value of the shape its reader
    takes (funnels: `funnels`; campaign_variants: pairs of campaign ids, kept as text like
    the ids they are matched against; extract_identities: one of the extract's modes)."""
    from reportlib.deliver.extract import IDENTITIES

    for key in raw:
        if key not in OPTIONS:
            raise ReportError(f"{path}: field options.{key}: not an option{hint(key, OPTIONS)}")
    options = dict(raw)
    funnels(str(path), raw.get("funnels"))
    if "campaign_variants" in raw:
        pairs = raw["campaign_variants"] or []
        if not isinstance(pairs, list):
            raise ReportError(f"{path}: field options.campaign_variants: expected a list of "
                              f"[campaign id, campaign id] pairs, got {pairs!r}")
        for i, pair in enumerate(pairs):
            if not (isinstance(pair, list | tuple) and len(pair) == 2
                    and all(_scalar(x) for x in pair)):
                raise ReportError(f"{path}: field options.campaign_variants[{i}]: expected a "
                                  f"[campaign id, campaign id] pair, got {pair!r}")
        options["campaign_variants"] = [[str(a), str(b)] for a, b in pairs]
    identities = raw.get("extract_identities", "masked")
    if identities not in IDENTITIES:
        raise ReportError(f"{path}: field options.extract_identities: {identities!r} is not "
                          f"one of {', '.join(IDENTITIES)}")
    return options


def funnels(where: str, value) -> tuple:
    """`options.funnels` (a list of `{name, steps: [[category, action], ...]}`) as
    ((name, ((category, action), ...)), ...); `where` is the params file errors name."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ReportError(f"{where}: field options.funnels: expected a list of funnels "
                          f"({{name, steps: [[category, action], ...]}}), got {value!r}")
    found = []
    for i, funnel in enumerate(value):
        at = f"{where}: field options.funnels[{i}]"
        for key in funnel if isinstance(funnel, dict) else ():
            if key not in FUNNEL_FIELDS:
                raise ReportError(f"{at}.{key}: not a funnel field{hint(key, FUNNEL_FIELDS)}")
        steps = funnel.get("steps") if isinstance(funnel, dict) else None
        if not (isinstance(steps, list | tuple) and steps and all(
                isinstance(s, list | tuple) and len(s) == 2 and all(_scalar(x) for x in s)
                for s in steps)):
            raise ReportError(f"{at}: needs steps as [category, action] pairs")
        found.append((str(funnel.get("name") or f"funnel {i + 1}"),
                      tuple((str(c), str(a)) for c, a in steps)))
    return tuple(found)


def _scalar(value: object) -> bool:
    """A name or id as YAML may give it (text or a number), not a list, mapping or null."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def hint(name: object, valid: tuple[str, ...]) -> str:
    """The end of an error about a mistyped name: the closest valid one, else all of them."""
    close = difflib.get_close_matches(str(name), valid, n=1)
    return f"; did you mean {close[0]}?" if close else f" (one of {', '.join(valid)})"


def _site_report_names(params_dir: Path) -> tuple[str, ...]:
    """The names of the site's own reports in params/reports.yaml, which a tenant may list and
    address: read from the file, not the registry, so that a command that has not registered
    them (ingest, a worker) loads the tenant alike. A file that does not parse names none: its
    own loading says what is wrong with it."""
    path = Path(params_dir) / SITE_REPORTS
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except yaml.YAMLError:
        return ()
    entries = raw.get("reports") if isinstance(raw, dict) else None
    return tuple(str(n) for n in entries) if isinstance(entries, dict) else ()


def params_file(tenant: TenantParams) -> str:
    """The tenant's params file as errors name it: the one it was loaded from, else where
    the default params folder keeps it."""
    return tenant.source_file or f"params/tenants/{tenant.tenant_id}.yaml"


def _column_maps(path: Path, raw: dict) -> dict[str, dict[str, str]]:
    """`sources: {<kind>: {columns: {<file column>: <canonical column>}}}`, checked: the kind
    must be a CSV source and every canonical name one of its columns. A pair written the other
    way round (`{MessageId: Message ID}`: only its key is a column of the kind) is read as
    meant; where both names are columns (`{MessageId: Id}`), the file's is the key."""
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
            if not found:  # written the other way round, {<column>: <file column>}: as meant
                found = [f for shape in shapes
                         if (f := shape.field_named(str(theirs))) is not None]
                theirs, ours = ours, theirs
            if not found:
                theirs, ours = ours, theirs
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
        "bots": ({b: tenant.bot_names.get(b) for b in tenant.bots} if tenant.bot_names
                 else list(tenant.bots)),
        **({"event_names": {k: dict(v) for k, v in tenant.event_names.items()}}
           if tenant.event_names else {}),
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


SITE_REPORTS = "reports.yaml"
SITE_REPORT_FIELDS = {"notebook", "title", "tables", "marts", "tenants", "recipients"}


def load_site_reports(params_dir: Path) -> tuple[registry.Report, ...]:
    """The site's own reports, `params/reports.yaml` (README, "Your own reports"), validated:
    a notebook that exists, a title per locale, tables `reportlib extract` knows, marts of the
    built-in reports, known tenants. None when the file is absent."""
    from reportlib.deliver import extract

    path = Path(params_dir) / SITE_REPORTS
    if not path.is_file():
        return ()
    raw = read_yaml(path) or {}
    entries = raw.get("reports") if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        raise ReportError(f"{path}: expected `reports:` mapping each report's name to its entry")
    known_marts = {m for r in registry.REPORTS for m in r.marts}
    tenants = set(list_tenants(params_dir))
    found = []
    for name, entry in entries.items():
        where = f"{path}: reports.{name}"
        if not isinstance(name, str) or not TENANT_ID.match(name):
            raise ReportError(f"{where}: a report's name is lower-case letters, digits, _ or -")
        if name in registry.built_in_names():
            raise ReportError(f"{where}: {name!r} is a built-in report; give yours another name")
        if not isinstance(entry, dict) or set(entry) - SITE_REPORT_FIELDS:
            raise ReportError(f"{where}: expected a mapping of "
                              f"{', '.join(sorted(SITE_REPORT_FIELDS))}")

        notebook = entry.get("notebook")
        if not isinstance(notebook, str) or not notebook:
            raise ReportError(f"{where}: field notebook: the path of its notebook is required")
        notebook_file = (path.parent / notebook).resolve()
        if not notebook_file.is_file():
            raise ReportError(f"{where}: field notebook: no file {notebook_file}")
        title = entry.get("title") or {}
        title = {"en": title} if isinstance(title, str) else title
        if not isinstance(title, dict) or not title or set(title) - set(LOCALES):
            raise ReportError(f"{where}: field title: a title per locale ({', '.join(LOCALES)})")
        tables = _names(where, entry, "tables", set(extract.TABLES))
        marts = _names(where, entry, "marts", known_marts)
        if not tables and not marts:
            raise ReportError(f"{where}: name the tables or marts it reads (tables: one of "
                              f"{', '.join(extract.TABLES)})")
        tenant_ids = () if entry.get("tenants") in (None, "all") else _names(
            where, entry, "tenants", tenants)
        recipients = entry.get("recipients") or {}
        if not isinstance(recipients, dict) or set(recipients) - tenants:
            raise ReportError(f"{where}: field recipients: a list of addresses per tenant id")
        for tenant_id, addresses in recipients.items():
            listed = [addresses] if isinstance(addresses, str) else addresses
            bad = ([a for a in listed if not isinstance(a, str) or not ADDRESS.match(a)]
                   if isinstance(listed, list) else [addresses])
            if bad:
                raise ReportError(f"{where}: field recipients.{tenant_id}: {bad[0]!r} is not "
                                  "an e-mail address")
        found.append(registry.Report(
            name=name, class_name="", title_key="", marts=marts,
            notebook_path=str(notebook_file),
            titles=tuple((k, str(v)) for k, v in title.items()), tables=tables,
            tenants=tenant_ids,
            recipients=tuple((t, tuple(str(a) for a in ([v] if isinstance(v, str) else v)))
                             for t, v in recipients.items())))
    return tuple(found)


def _names(where: str, entry: dict, field_name: str, allowed: set[str]) -> tuple[str, ...]:
    """A list field of a site report's entry, every value one of `allowed`."""
    value = entry.get(field_name) or []
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list):
        raise ReportError(f"{where}: field {field_name}: expected a list")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ReportError(f"{where}: field {field_name}: {unknown[0]!r} is not one of "
                          f"{', '.join(sorted(allowed))}")
    return tuple(str(v) for v in value)


def use_site_reports(params_dir: Path) -> tuple[registry.Report, ...]:
    """Read the site's own reports and make them known to every module (the registry)."""
    reports = load_site_reports(params_dir)
    registry.use_site(reports)
    return reports
