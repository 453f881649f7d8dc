"""What runs when: `params/schedule.yaml` and `reportlib schedule run-due`.

Each entry names reports, tenants, a period rule and a cadence. `run-due` works out, for every
entry and tenant, the latest slot at or before `--now` in the tenant's time zone; a slot not yet
done is run (and e-mailed when the entry says so) and recorded in `schedule_runs`, so a cron
line every 15 minutes never runs or sends anything twice.

Cadences: `first_day` (the 1st of the month), `consolidation_day` (the 5th business day: the
consolidated figures), `daily`, `weekly` (Mondays); each at `at` (HH:MM, default 06:00).
Periods: `previous_month`, `month_to_date` (the current month, partial, with its projection).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import yaml

from reportlib import calendar, warehouse
from reportlib import params as params_mod
from reportlib.errors import ReportError

CADENCES = ("first_day", "consolidation_day", "daily", "weekly")
PERIODS = ("previous_month", "month_to_date")


@dataclass(frozen=True)
class Entry:
    name: str
    reports: tuple[str, ...]
    tenants: tuple[str, ...] | None  # None = every tenant
    period: str
    cadence: str
    at: time
    email: bool


def load(params_dir: Path) -> list[Entry]:
    path = Path(params_dir) / "schedule.yaml"
    if not path.is_file():
        raise ReportError(f"no schedule: {path} does not exist")
    raw = yaml.safe_load(path.read_text("utf-8")) or {}
    entries = []
    for i, item in enumerate(raw.get("schedules") or []):
        where = f"{path}: schedules[{i}]"
        if not isinstance(item, dict) or not item.get("name"):
            raise ReportError(f"{where}: needs a name")
        if item.get("cadence") not in CADENCES:
            raise ReportError(f"{where}: field cadence: not one of {', '.join(CADENCES)}")
        if item.get("period") not in PERIODS:
            raise ReportError(f"{where}: field period: not one of {', '.join(PERIODS)}")
        reports = tuple(item.get("reports") or params_mod.REPORTS)
        unknown = [r for r in reports if r not in params_mod.REPORTS]
        if unknown:
            raise ReportError(f"{where}: field reports: unknown report {unknown[0]!r}")
        tenants = item.get("tenants", "all")
        try:
            at = time.fromisoformat(str(item.get("at", "06:00")))
        except ValueError:
            raise ReportError(f"{where}: field at: not HH:MM") from None
        entries.append(Entry(
            str(item["name"]), reports,
            None if tenants == "all" else tuple(params_mod.check_tenant_id(t) for t in tenants),
            item["period"], item["cadence"], at, bool(item.get("email", False))))
    return entries


def latest_slot(entry: Entry, now_local: datetime) -> datetime | None:
    """The latest instant at or before `now_local` at which the entry is due (tenant zone)."""
    today = now_local.date()
    if entry.cadence == "daily":
        day = today
    elif entry.cadence == "weekly":
        day = today - timedelta(days=today.weekday())
    elif entry.cadence == "first_day":
        day = today.replace(day=1)
    else:
        day = calendar.nth_business_day(today.year, today.month,
                                        calendar.CONSOLIDATION_BUSINESS_DAY)
    slot = datetime.combine(day, entry.at, tzinfo=now_local.tzinfo)
    if slot > now_local:
        if entry.cadence == "daily":
            slot -= timedelta(days=1)
        elif entry.cadence == "weekly":
            slot -= timedelta(days=7)
        else:
            return None  # this month's slot is still to come
    return slot


def period_for(entry: Entry, slot_day: date) -> str | None:
    if entry.period == "previous_month":
        return (slot_day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    if slot_day.day == 1:
        return None  # month to date on the 1st: nothing complete yet
    return slot_day.strftime("%Y-%m")


@dataclass
class SlotRun:
    entry: str
    tenant: str
    slot: datetime
    period: str | None
    status: str  # done | failed | not due | already done
    detail: str = ""

    def line(self) -> str:
        what = f"{self.entry} {self.tenant} {self.slot.isoformat()}"
        return f"{what} {self.period or ''}: {self.status}" + (
            f": {self.detail}" if self.detail else "")


def run_due(now: datetime, warehouse_path: Path, params_dir: Path, outputs: Path,
            workers: int | None = None) -> list[SlotRun]:
    """Run every due slot not yet done; record each in `schedule_runs`."""
    from reportlib import deliver, runner

    entries = load(params_dir)
    all_tenants = params_mod.list_tenants(params_dir)
    runs: list[SlotRun] = []
    for entry in entries:
        for tenant_id in entry.tenants or all_tenants:
            tenant = params_mod.load_tenant(params_dir, tenant_id)
            now_local = now.astimezone(calendar.zone(tenant.timezone))
            slot = latest_slot(entry, now_local)
            if slot is None:
                continue
            period = period_for(entry, slot.date())
            con = warehouse.create(warehouse_path)
            try:
                done = con.execute(
                    "SELECT status FROM schedule_runs WHERE job = ? AND tenant_id = ? AND "
                    "slot = ? AND status = 'done'", [entry.name, tenant_id, slot]).fetchall()
            finally:
                con.close()
            if done or period is None:
                continue
            reports = [r for r in entry.reports if r in tenant.reports]
            results = runner.run([tenant_id], [period], reports, slot.date(), warehouse_path,
                                 params_dir, outputs, workers)
            failed = [r.line() for r in results if r.status == "failed"]
            if entry.email and not failed:
                settings = deliver.smtp_settings(params_dir)
                sent = deliver.send_reports(tenant, period, reports, outputs, warehouse_path,
                                            settings, now, respect_backoff=True)
                failed += [d.line() for d in sent if d.status == "failed"]
            # A slot whose reports had no data yet (analytics often arrive late) stays open: the
            # next run-due renders and sends it once the data is there.
            waiting = [r.line() for r in results if r.status == "no_data"]
            status = "failed" if failed else "waiting" if waiting else "done"
            runs.append(SlotRun(entry.name, tenant_id, slot, period, status,
                                "; ".join(failed)[:500]))
            con = warehouse.create(warehouse_path)
            try:
                con.execute("INSERT OR REPLACE INTO schedule_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [entry.name, tenant_id, slot, period, status,
                             "; ".join(failed)[:500], now])
            finally:
                con.close()
    return runs

