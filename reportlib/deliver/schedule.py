"""What runs when: `params/schedule.yaml` and `reportlib schedule run-due` / `status`.

Each entry names reports, tenants, a period rule and a cadence. `run-due` works out, for every
entry and tenant, the latest slot at or before `--now` in the tenant's time zone; a slot not yet
done is run (and e-mailed when the entry says so) and recorded in `schedule_runs`, so a cron
line every 15 minutes never runs or sends anything twice.

Catch-up: after downtime (or on the first call) only the latest slot of each entry runs, never
the ones missed before it. When the consolidated slot of a period (`consolidation_day`) is due
in the same call as the preliminary one (`first_day`), the preliminary one is recorded
`superseded` and never run: the reader gets the consolidated figures once, not two messages
with the same subject. Within one call a report of a tenant-period is rendered and sent once,
by the first entry that claims it (consolidated entries claim first).

A slot that fails is retried by every later call; the addresses under `notify:` get one e-mail
per failed slot (recorded in `schedule_notices`), not one per retry, in the language of
`notify_locale:` (pt-BR or en, default en). A tenant whose settings do
not load (a YAML broken by an edit) fails its own slots, taken in UTC as its time zone is
unknown, and the other tenants' run: one tenant's file does not stop everyone's reports.

Cadences: `first_day` (the 1st of the month), `consolidation_day` (the 5th business day: the
consolidated figures), `daily`, `weekly` (Mondays); each at `at` (HH:MM, default 06:00).
Periods: `previous_month`, `month_to_date` (the current month, partial, with its projection).
"""

from __future__ import annotations

import json
import smtplib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from reportlib import deliver, registry, warehouse
from reportlib import params as params_mod
from reportlib.domain import calendar
from reportlib.errors import ReportError, printable
from reportlib.params import TenantParams

CADENCES = ("first_day", "consolidation_day", "daily", "weekly")
PERIODS = ("previous_month", "month_to_date")
SETTLED = ("done", "superseded")  # a slot recorded so is never run again
DETAIL_CHARS = 500

# One row per failed slot whose operator notice was sent: a retry does not notify again.
NOTICES_DDL = """CREATE TABLE IF NOT EXISTS schedule_notices (
    job VARCHAR, tenant_id VARCHAR, slot TIMESTAMPTZ, recipients VARCHAR, message_id VARCHAR,
    sent_at TIMESTAMPTZ, PRIMARY KEY (job, tenant_id, slot))"""


@dataclass(frozen=True)
class Entry:
    name: str
    reports: tuple[str, ...]
    tenants: tuple[str, ...] | None  # None = every tenant
    period: str
    cadence: str
    at: time
    email: bool


TOP_FIELDS = ("notify", "notify_locale", "schedules")
ENTRY_FIELDS = ("name", "reports", "tenants", "period", "cadence", "at", "email")


def _read(params_dir: Path) -> tuple[Path, dict]:
    """The file as a mapping. A key of another name (`schedule:`, `emial:`) is refused with
    the closest valid one: ignored, it left the whole schedule, or its e-mail, silently off."""
    path = Path(params_dir) / "schedule.yaml"
    if not path.is_file():
        raise ReportError(f"no schedule: {path} does not exist")
    raw = params_mod.read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise ReportError(f"{path}: expected a mapping with schedules: (and notify:)")
    for key in raw:
        if key not in TOP_FIELDS:
            raise ReportError(f"{path}: field {key}: not a setting"
                              f"{params_mod.hint(key, TOP_FIELDS)}")
    if not isinstance(raw.get("schedules") or [], list):
        raise ReportError(f"{path}: field schedules: expected a list of entries "
                          "(- name: ..., cadence: ..., period: ...)")
    return path, raw


def _notify(path: Path, raw: dict) -> tuple[str, ...]:
    """The operator's addresses under `notify:` (one, or a list), checked like recipients so
    that a typo is found when the file is loaded, not when a failure needs it."""
    value = raw.get("notify")
    if value is None:
        return ()
    addresses = [value] if isinstance(value, str) else value
    if not isinstance(addresses, list) or not addresses:
        raise ReportError(f"{path}: field notify: expected an e-mail address or a list of them")
    bad = [a for a in addresses if not isinstance(a, str) or not deliver.ADDRESS.match(a)]
    if bad:
        raise ReportError(f"{path}: field notify: {bad[0]!r} is not an e-mail address")
    return tuple(addresses)


def _notify_locale(path: Path, raw: dict) -> str:
    """The language of the operator's notices, `notify_locale:` (default en; left empty too,
    as an empty `notify:` is nobody)."""
    value = raw.get("notify_locale")
    if value is None:
        return "en"
    if value not in params_mod.LOCALES:
        raise ReportError(f"{path}: field notify_locale: {value!r} is not one of "
                          f"{', '.join(params_mod.LOCALES)}")
    return value


def notify_addresses(params_dir: Path) -> tuple[str, ...]:
    """Who is told when a scheduled run fails (empty: nobody)."""
    return _notify(*_read(params_dir))


def notify_language(params_dir: Path) -> str:
    """The language the operator's notices are written in (`notify_locale:`, default en)."""
    return _notify_locale(*_read(params_dir))


def load(params_dir: Path, ran_before: Collection[str] = ()) -> list[Entry]:
    """The entries of params/schedule.yaml; a mistake is one line naming the field. A tenant
    listed without a settings file is a mistake (a typo), unless it has run slots before
    (`ran_before`): renamed or removed since, it fails its own slots (`plan`), where it
    stopped every tenant's run-due with a usage error on each call of the cron line."""
    path, raw = _read(params_dir)
    _notify(path, raw)
    _notify_locale(path, raw)
    entries = []
    known_tenants = set(params_mod.list_tenants(params_dir))
    names: set[str] = set()
    for i, item in enumerate(raw.get("schedules") or []):
        where = f"{path}: schedules[{i}]"
        if not isinstance(item, dict) or not item.get("name"):
            raise ReportError(f"{where}: needs a name")
        for key in item:
            if key not in ENTRY_FIELDS:
                raise ReportError(f"{where}: field {key}: not an entry field"
                                  f"{params_mod.hint(key, ENTRY_FIELDS)}")
        if str(item["name"]) in names:  # its slots would be taken for the other's
            raise ReportError(f"{where}: field name: {item['name']!r} names another entry too")
        names.add(str(item["name"]))
        if item.get("cadence") not in CADENCES:
            raise ReportError(f"{where}: field cadence: not one of {', '.join(CADENCES)}")
        if item.get("period") not in PERIODS:
            raise ReportError(f"{where}: field period: not one of {', '.join(PERIODS)}")
        listed = item.get("reports") or registry.names()
        if not isinstance(listed, list | tuple):
            raise ReportError(f"{where}: field reports: expected a list of reports")
        reports = tuple(listed)
        unknown = [r for r in reports if registry.find(r) is None]
        if unknown:
            raise ReportError(f"{where}: field reports: unknown report {unknown[0]!r}")
        _listed_once(where, "reports", reports)
        tenants = item.get("tenants", "all")
        if tenants != "all":
            # A single id is not a list: iterated, its letters were taken for tenant ids.
            if not isinstance(tenants, list) or not tenants:
                raise ReportError(f"{where}: field tenants: expected all or a list of tenant "
                                  f"ids, got {tenants!r}")
            for tenant in tenants:
                try:
                    params_mod.check_tenant_id(tenant)
                except ReportError as exc:
                    raise ReportError(f"{where}: field tenants: {exc}") from None
                if tenant not in known_tenants and tenant not in ran_before:
                    raise ReportError(f"{where}: field tenants: unknown tenant {tenant!r} (no "
                                      f"{params_mod.tenant_file(params_dir, tenant)})")
            _listed_once(where, "tenants", tenants)
        at_value = item.get("at", "06:00")
        if isinstance(at_value, int):  # YAML 1.1 reads an unquoted 7:00 as 420 (base 60)
            raise ReportError(f"{where}: field at: write the time in quotes (at: \"07:00\")")
        try:
            at = time.fromisoformat(str(at_value))
        except ValueError:
            raise ReportError(f"{where}: field at: not HH:MM") from None
        if at.tzinfo is not None:  # it was dropped: 07:00Z ran at 07:00 in the tenant's zone
            raise ReportError(f"{where}: field at: {at_value!r} names a time zone; the time is "
                              "the tenant's own (timezone: in its settings): write HH:MM")
        email = item.get("email", False)
        if not isinstance(email, bool):  # "false" in quotes would have been true
            raise ReportError(f"{where}: field email: expected true or false, got {email!r}")
        entries.append(Entry(
            str(item["name"]), reports,
            None if tenants == "all" else tuple(tenants),
            item["period"], item["cadence"], at, email))
    return entries


def _listed_once(where: str, field_name: str, items: list | tuple) -> None:
    """A tenant (or report) listed twice in one entry is a mistake: its two slots shared one
    record, and the second ('not run twice') replaced the first's, so a failed slot was
    recorded done and never retried."""
    seen = set()
    for item in items:
        if item in seen:
            raise ReportError(f"{where}: field {field_name}: {item!r} is listed twice")
        seen.add(item)


def slot_at(day: date, at: time, zone: tzinfo) -> datetime:
    """The instant `at` on `day` in the tenant's zone, as the clock reaches it. A time the
    clock skips (02:30 when summer time starts at 02:00) is the instant it stands for after
    the jump (03:30); one the clock passes twice is the first pass. Compared as wall times,
    02:30 was 'past' at 03:10, and the slot ran 20 minutes before its instant."""
    wall = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
    return wall.astimezone(UTC).astimezone(zone)


def _not_after(slot: datetime, now: datetime) -> bool:
    """`slot` has come by `now`, judged on instants: datetimes of one zone compare as wall
    times, so a slot in the hour the clock repeats was taken for one still to come."""
    return slot.timestamp() <= now.timestamp()


def latest_slot(entry: Entry, now_local: datetime) -> datetime | None:
    """The latest instant at or before `now_local` at which the entry is due (tenant zone)."""
    today = now_local.date()
    if entry.cadence == "daily":
        days = [today, today - timedelta(days=1)]
    elif entry.cadence == "weekly":
        monday = today - timedelta(days=today.weekday())
        days = [monday, monday - timedelta(days=7)]
    elif entry.cadence == "first_day":
        days = [today.replace(day=1)]  # this month's slot still to come: none
    else:
        days = [calendar.nth_business_day(today.year, today.month,
                                          calendar.CONSOLIDATION_BUSINESS_DAY)]
    for day in days:
        slot = slot_at(day, entry.at, now_local.tzinfo)
        if _not_after(slot, now_local):
            return slot
    return None


def _cycle_days(entry: Entry, today: date) -> tuple[date, date]:
    """The entry's day in the cycle (day, week, month) holding `today`, and in the next one."""
    if entry.cadence == "daily":
        return today, today + timedelta(days=1)
    if entry.cadence == "weekly":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=7)
    following = calendar.next_month_start(today)
    if entry.cadence == "first_day":
        return today.replace(day=1), following
    n = calendar.CONSOLIDATION_BUSINESS_DAY
    return (calendar.nth_business_day(today.year, today.month, n),
            calendar.nth_business_day(following.year, following.month, n))


def next_slot(entry: Entry, now_local: datetime) -> datetime:
    """The first instant strictly after `now_local` at which the entry is due (tenant zone)."""
    for day in _cycle_days(entry, now_local.date()):
        slot = slot_at(day, entry.at, now_local.tzinfo)
        if not _not_after(slot, now_local):
            return slot
    raise AssertionError("the next cycle's day is always after today")


def next_due(entry: Entry, now_local: datetime) -> tuple[datetime, str]:
    """The next slot that will run something, and its period (month to date skips the 1st)."""
    slot = next_slot(entry, now_local)
    while (period := period_for(entry, slot.date())) is None:
        slot = next_slot(entry, slot)
    return slot, period


def period_for(entry: Entry, slot_day: date) -> str | None:
    if entry.period == "previous_month":
        return (slot_day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    if slot_day.day == 1:
        return None  # month to date on the 1st: nothing complete yet
    return slot_day.strftime("%Y-%m")


# ---------------------------------------------------------------------------------------------
# What is recorded, and what is due


@dataclass(frozen=True)
class Recorded:
    period: str | None
    status: str
    detail: str
    finished_at: datetime | None


def _recorded(con) -> dict[tuple[str, str, datetime], Recorded]:
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    if "schedule_runs" not in tables:
        return {}
    rows = con.execute("SELECT job, tenant_id, slot, period, status, detail, finished_at "
                       "FROM schedule_runs").fetchall()
    # Keyed by the instant in UTC: a slot in the hour the clock repeats never equals itself in
    # another zone (PEP 495), so it was not found and ran again at every call of that day.
    return {(job, tenant, slot.astimezone(UTC)): Recorded(period, status, detail or "", finished)
            for job, tenant, slot, period, status, detail, finished in rows}


def _recorded_read_only(warehouse_path: Path) -> dict[tuple[str, str, datetime], Recorded]:
    """The recorded slots without writing a byte: read-only, and not at all when there is no
    warehouse yet (opening would create one)."""
    if not Path(warehouse_path).is_file():
        return {}
    con = warehouse.connect(warehouse_path, read_only=True)
    try:
        return _recorded(con)
    finally:
        con.close()


@dataclass(frozen=True)
class Due:
    """A slot that run-due acts on now."""

    entry: Entry
    tenant: TenantParams | None  # None when its settings do not load (`unloaded`)
    slot: datetime
    period: str
    reports: tuple[str, ...] = ()  # to render (and send): not claimed by another entry
    duplicates: tuple[str, ...] = ()  # "report (entry)": claimed by another entry of this call
    superseded_by: str | None = None
    unloaded: tuple[str, str] | None = None  # (tenant id, why its settings do not load)
    # Why its e-mail cannot go (a recipient that is no address): it fails before rendering.
    unsendable: str | None = None

    @property
    def tenant_id(self) -> str:
        return self.unloaded[0] if self.unloaded else self.tenant.tenant_id


def plan(now: datetime, params_dir: Path,
         recorded: dict[tuple[str, str, datetime], Recorded]) -> list[Due]:
    """Every entry-tenant's latest slot at or before `now` not yet done or superseded, in the
    file's order. A `first_day` slot is superseded by a `consolidation_day` slot of the same
    tenant and period due in the same call; a report of a tenant-period is claimed by one entry
    only (consolidated entries first, then in the file's order). A tenant whose settings do
    not load has its slots (in UTC) due with the reason (`Due.unloaded`), and one whose
    recipients of an e-mailed slot are no addresses has that slot due with the reason
    (`Due.unsendable`): they fail alone."""
    entries = load(params_dir, {tenant for _, tenant, _ in recorded})
    all_tenants = params_mod.list_tenants(params_dir)
    tenants: dict[str, TenantParams | str] = {}  # its settings, or why they do not load
    candidates: list[tuple[Entry, str, TenantParams | str, datetime, str]] = []
    for entry in entries:
        for tenant_id in entry.tenants or all_tenants:
            if tenant_id not in tenants:
                try:
                    tenants[tenant_id] = params_mod.load_tenant(params_dir, tenant_id)
                except ReportError as exc:
                    tenants[tenant_id] = str(exc)
            tenant = tenants[tenant_id]
            zone = UTC if isinstance(tenant, str) else calendar.zone(tenant.timezone)
            slot = latest_slot(entry, now.astimezone(zone))
            period = period_for(entry, slot.date()) if slot else None
            if period is None:
                continue
            known = recorded.get((entry.name, tenant_id, slot.astimezone(UTC)))
            if known is None or known.status not in SETTLED:
                candidates.append((entry, tenant_id, tenant, slot, period))
    consolidating: dict[tuple[str, str], str] = {}
    for entry, tenant_id, tenant, _, period in candidates:
        if entry.cadence == "consolidation_day" and not isinstance(tenant, str):
            consolidating.setdefault((tenant_id, period), entry.name)
    claimed: dict[tuple[str, str, str], str] = {}
    dues: dict[int, Due] = {}
    order = sorted(range(len(candidates)),
                   key=lambda i: candidates[i][0].cadence != "consolidation_day")
    for i in order:
        entry, tenant_id, tenant, slot, period = candidates[i]
        if isinstance(tenant, str):
            dues[i] = Due(entry, None, slot, period, unloaded=(tenant_id, tenant))
            continue
        by = consolidating.get((tenant.tenant_id, period))
        if entry.cadence == "first_day" and by:
            dues[i] = Due(entry, tenant, slot, period, superseded_by=by)
            continue
        mine = [r for r in entry.reports if r in tenant.reports]
        reports = tuple(r for r in mine if (tenant.tenant_id, period, r) not in claimed)
        duplicates = tuple(f"{r} ({claimed[tenant.tenant_id, period, r]})" for r in mine
                           if r not in reports)
        claimed.update({(tenant.tenant_id, period, r): entry.name for r in reports})
        dues[i] = Due(entry, tenant, slot, period, reports, duplicates,
                      unsendable=_unsendable(tenant, reports) if entry.email else None)
    return [dues[i] for i in range(len(candidates))]


def _unsendable(tenant: TenantParams, reports: tuple[str, ...]) -> str | None:
    """Why the tenant's lists for these reports cannot be sent to (a recipient that is no
    address), or None. Its slots fail alone, before rendering: a mistake in one tenant's
    file stopped every tenant's run-due."""
    try:
        for report in reports:
            deliver.recipient_lists(tenant, report)
    except ReportError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------------------------------
# Running


@dataclass
class SlotRun:
    entry: str
    tenant: str
    slot: datetime
    period: str | None
    status: str  # done | failed | waiting | superseded | would run | would be superseded
    detail: str = ""
    reports: tuple[str, ...] = ()
    email: bool = False
    failures: tuple[str, ...] = field(default=(), repr=False)  # whole lines, for the notice

    def line(self) -> str:
        what = f"{self.entry} {self.tenant} {self.slot.isoformat()}"
        return f"{what} {self.period or ''}: {self.status}" + (
            f": {printable(self.detail)}" if self.detail else "")


def _clip(parts: list[str], limit: int = DETAIL_CHARS) -> str:
    text = "; ".join(p for p in parts if p)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _duplicates_note(due: Due) -> str:
    return (f"not run twice: {', '.join(due.duplicates)} already in this run-due"
            if due.duplicates else "")


def _superseded_note(due: Due) -> str:
    return f"by {due.superseded_by}: the consolidated figures of {due.period} are due too"


def _would(due: Due) -> SlotRun:
    """A dry run's line: what run-due would do with this slot."""
    base = (due.entry.name, due.tenant_id, due.slot, due.period)
    if due.unloaded or due.unsendable:
        return SlotRun(*base, "would fail", due.unsendable or due.unloaded[1],
                       email=due.entry.email)
    if due.superseded_by:
        return SlotRun(*base, "would be superseded", _superseded_note(due),
                       email=due.entry.email)
    what = ", ".join(due.reports) if due.reports else "no report"
    mail = "e-mailed" if due.entry.email and due.reports else "not e-mailed"
    return SlotRun(*base, "would run", _clip([f"{what}, {mail}", _duplicates_note(due)]),
                   due.reports, due.entry.email)


def _published_status(out_dir: Path, report: str) -> str | None:
    """The report's status in out_dir/manifest.json (None when unknown): an `unchanged` result
    does not say whether what stands published is a report or a period without data."""
    try:
        entry = json.loads((out_dir / "manifest.json").read_text("utf-8"))["reports"][report]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return entry.get("status") if isinstance(entry, dict) else None


def _run(due: Due, now: datetime, warehouse_path: Path, params_dir: Path, outputs: Path,
         workers: int | None, smtp: Mapping[str, str], rate_card: Path | None) -> SlotRun:
    """Render (and send) one due slot; its status says whether it is settled."""
    from reportlib.render import runner

    base = (due.entry.name, due.tenant_id, due.slot, due.period)
    if due.unloaded or due.unsendable:
        why = due.unsendable or due.unloaded[1]
        return SlotRun(*base, "failed", why, email=due.entry.email,
                       failures=(f"{due.tenant_id}: {why}",))
    if due.superseded_by:
        return SlotRun(*base, "superseded", _superseded_note(due))
    if not due.reports:  # runner.run would take "no report" as "every report"
        why = _duplicates_note(due) or "none of its reports is among the tenant's reports"
        return SlotRun(*base, "done", why, email=due.entry.email)
    reports = list(due.reports)
    results = runner.run([due.tenant.tenant_id], [due.period], reports, due.slot.date(),
                         warehouse_path, params_dir, outputs, workers, rate_card=rate_card)
    failed = [r.line() for r in results if r.status == "failed"]
    notes = [_duplicates_note(due)]
    if due.entry.email and not failed:
        settings = deliver.smtp_settings(params_dir, smtp)
        sent = deliver.send_reports(due.tenant, due.period, reports, outputs, warehouse_path,
                                    settings, now, respect_backoff=True)
        # A send held by its backoff is still a failure to retry, not a slot done.
        # A send cut off after the server may have taken it fails the slot once, so the
        # operator hears of it; the retry does not send it again, and is done.
        failed += [d.line() for d in sent
                   if d.status in ("failed", "unconfirmed") or d.retry_at]
        notes += [d.line() for d in sent if d.status == "no_recipients" or (
            d.status == "skipped" and d.unconfirmed)]
    # A slot whose reports had no data yet (analytics often arrive late) stays open: the
    # next run-due renders and sends it once the data is there. A report found `unchanged`
    # is as it was published, so one published as no_data is still waiting.
    out_dir = Path(outputs) / due.tenant.tenant_id / due.period
    waiting = [r.line() for r in results if r.status == "no_data" or (
        r.status == "unchanged" and _published_status(out_dir, r.report) == "no_data")]
    status = "failed" if failed else "waiting" if waiting else "done"
    return SlotRun(*base, status, _clip(failed or notes), due.reports, due.entry.email,
                   tuple(failed))


def _record(warehouse_path: Path, run: SlotRun, now: datetime) -> None:
    con = warehouse.create(warehouse_path)
    try:
        con.execute("INSERT OR REPLACE INTO schedule_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [run.entry, run.tenant, run.slot.astimezone(UTC), run.period, run.status,
                     run.detail, now])
    finally:
        con.close()


# The operator's notice of a failed slot, in the language of `notify_locale:`. The lines
# under it are the command's own, as `run-due` printed them.
NOTICE = {
    "en": ("reportlib: scheduled run failed: {entry} {tenant} {period}",
           "The scheduled run {entry} of tenant {tenant}, period {period} (slot {slot}), failed "
           "at {now}:\n\n{lines}\n\nEvery `reportlib schedule run-due` retries it until it is "
           "done; this slot is not notified again. `reportlib schedule status` shows where each "
           "entry stands.\n"),
    "pt-BR": ("reportlib: execução agendada falhou: {entry} {tenant} {period}",
              "A execução agendada {entry} do cliente {tenant}, período {period} (horário "
              "{slot}), falhou em {now}:\n\n{lines}\n\nCada `reportlib schedule run-due` tenta "
              "de novo até que ela dê certo; este horário não é avisado outra vez. `reportlib "
              "schedule status` mostra a situação de cada entrada.\n"),
}


def _notice(run: SlotRun, now: datetime, locale: str = "en") -> tuple[str, str]:
    subject, body = NOTICE.get(locale, NOTICE["en"])
    words = {"entry": run.entry, "tenant": run.tenant, "period": run.period,
             "slot": run.slot.isoformat(), "now": now.isoformat(timespec="seconds"),
             "lines": "\n".join(f"- {line}" for line in run.failures or (run.detail,))}
    return subject.format(**words), body.format(**words)


def notify_failure(run: SlotRun, addresses: tuple[str, ...], now: datetime,
                   warehouse_path: Path, params_dir: Path, smtp: Mapping[str, str],
                   locale: str = "en") -> str:
    """E-mail the operator about a failed slot, once per slot: a notice sent is recorded in
    `schedule_notices`, so the retries of later calls stay quiet. A notice that cannot be sent
    never stops run-due (it is tried again with the next retry). Returns a note for the detail."""
    key = [run.entry, run.tenant, run.slot.astimezone(UTC)]
    con = warehouse.create(warehouse_path)
    try:
        con.execute(NOTICES_DDL)
        known = con.execute("SELECT sent_at FROM schedule_notices WHERE job = ? AND "
                            "tenant_id = ? AND slot = ?", key).fetchall()
    finally:
        con.close()
    if known:
        return f"operator notified at {known[0][0].isoformat(timespec='seconds')}"
    try:
        settings = deliver.smtp_settings(params_dir, smtp)
    except ReportError as exc:
        return "operator not notified: " + str(exc)[:200]

    def sent(message_id: str) -> None:
        con = warehouse.create(warehouse_path)
        try:
            con.execute("INSERT OR REPLACE INTO schedule_notices VALUES (?, ?, ?, ?, ?, ?)",
                        [*key, ", ".join(addresses), message_id, now])
        finally:
            con.close()

    try:
        deliver.send_text(settings, list(addresses), *_notice(run, now, locale), on_sent=sent)
    except (OSError, smtplib.SMTPException) as exc:
        return "operator not notified: " + deliver.smtp_failure(settings, exc)[:200]
    return f"operator notified ({', '.join(addresses)})"


def run_due(now: datetime, warehouse_path: Path, params_dir: Path, outputs: Path,
            workers: int | None = None, dry_run: bool = False,
            smtp: Mapping[str, str] | None = None, rate_card: Path | None = None,
            on_run: Callable[[SlotRun], None] | None = None) -> list[SlotRun]:
    """Run every due slot not yet done and record each in `schedule_runs`. With `dry_run`, say
    what would run and write nothing: no warehouse (read-only), no outputs, no e-mail. `smtp`
    and `rate_card` are the command's settings (deliver.smtp_settings, pricing.rate_card_path).
    `on_run` is told each slot as soon as it is recorded: a call stopped part way (a service
    stopped, Ctrl-C) has said the slots it rendered and e-mailed before the stop."""
    smtp = smtp or {}
    if dry_run:
        runs = [_would(due) for due in plan(now, params_dir, _recorded_read_only(warehouse_path))]
        for run in runs if on_run is not None else ():
            on_run(run)
        return runs
    notify, notify_locale = notify_addresses(params_dir), notify_language(params_dir)
    # Read-only until every usage mistake has been looked for: one found stops the command
    # with the warehouse as it was (the first write, `_record`, brings its schema up to date).
    dues = plan(now, params_dir, _recorded_read_only(warehouse_path))
    if any(due.entry.email and due.reports and not (due.unloaded or due.unsendable)
           for due in dues):
        # An SMTP setting missing stops here, before any rendering (a tenant's recipient
        # that is no address fails that tenant's slot alone: `Due.unsendable`).
        deliver.smtp_settings(params_dir, smtp)
    runs = []
    for due in dues:
        run = _run(due, now, warehouse_path, params_dir, outputs, workers, smtp, rate_card)
        if run.status == "failed" and notify:
            note = notify_failure(run, notify, now, warehouse_path, params_dir, smtp,
                                  notify_locale)
            run.detail = _clip([_clip([run.detail], DETAIL_CHARS - len(note) - 2), note])
        _record(warehouse_path, run, now)
        runs.append(run)
        if on_run is not None:
            on_run(run)
    return runs


# ---------------------------------------------------------------------------------------------
# Where each entry stands


@dataclass(frozen=True)
class EntryStatus:
    entry: str
    tenant: str
    last_slot: datetime | None  # the latest recorded slot (tenant zone)
    last_period: str | None
    last_status: str | None
    last_detail: str
    last_finished_at: datetime | None
    due_slot: datetime | None  # the slot run-due would act on now, if any
    due_period: str | None
    due_action: str | None  # would run | would be superseded
    next_slot: datetime  # the first slot strictly after now that runs something
    next_period: str
    # Slots recorded for a time after now (slot, period, status): run by a clock that was
    # ahead, or this one is behind. Taken for the last, the ahead one read as last for
    # months, and the slots really run since were not said.
    ahead: tuple[tuple[datetime, str | None, str], ...] = ()

    failed = False

    def line(self) -> str:
        if self.last_slot is None:
            last = "never run"
        else:
            finished = (f" at {self.last_finished_at.isoformat(timespec='seconds')}"
                        if self.last_finished_at else "")
            last = (f"last {self.last_slot.isoformat()} {self.last_period or ''}: "
                    f"{self.last_status}{finished}" +
                    (f" ({printable(self.last_detail[:200])})" if self.last_detail else ""))
        due = (f"; due now {self.due_slot.isoformat()} {self.due_period}: {self.due_action}"
               if self.due_slot else "")
        ahead = ("; recorded for a time after now: " + ", ".join(
            f"{slot.isoformat()} {period or ''}: {status}" for slot, period, status in
            self.ahead) + " (the clock was ahead when it ran, or is behind now)"
            if self.ahead else "")
        return (f"{self.entry} {self.tenant}: {last}{due}; "
                f"next {self.next_slot.isoformat()} {self.next_period}{ahead}")


@dataclass(frozen=True)
class UnloadedStatus:
    """An entry's tenant whose settings do not load: nothing can be said of its slots."""

    entry: str
    tenant: str
    error: str
    failed = True

    def line(self) -> str:
        return f"{self.entry} {self.tenant}: its settings do not load: {printable(self.error)}"


def status(now: datetime, warehouse_path: Path, params_dir: Path
           ) -> list[EntryStatus | UnloadedStatus]:
    """Per entry and tenant: the last recorded slot, what run-due would do now, and the next
    slot. Reads only (the warehouse read-only, or not at all if there is none)."""
    recorded = _recorded_read_only(warehouse_path)
    dues = {(d.entry.name, d.tenant_id): d for d in plan(now, params_dir, recorded)}
    all_tenants = params_mod.list_tenants(params_dir)
    rows: list[EntryStatus | UnloadedStatus] = []
    for entry in load(params_dir, {tenant for _, tenant, _ in recorded}):
        for tenant_id in entry.tenants or all_tenants:
            try:
                tenant = params_mod.load_tenant(params_dir, tenant_id)
            except ReportError as exc:
                rows.append(UnloadedStatus(entry.name, tenant_id, str(exc)))
                continue
            zone = calendar.zone(tenant.timezone)
            mine = sorted(((slot, rec) for (job, t, slot), rec in recorded.items()
                           if job == entry.name and t == tenant_id), key=lambda item: item[0])
            past = [(slot, rec) for slot, rec in mine if slot <= now]
            last_slot, last = past[-1] if past else (None, None)
            ahead = tuple((slot.astimezone(zone), rec.period, rec.status)
                          for slot, rec in mine if slot > now)
            due = dues.get((entry.name, tenant_id))
            next_at, next_period = next_due(entry, now.astimezone(zone))
            rows.append(EntryStatus(
                entry.name, tenant_id, last_slot.astimezone(zone) if last_slot else None,
                last.period if last else None, last.status if last else None,
                last.detail if last else "", last.finished_at if last else None,
                due.slot if due else None, due.period if due else None,
                _would(due).status if due else None, next_at, next_period, ahead))
    return rows
