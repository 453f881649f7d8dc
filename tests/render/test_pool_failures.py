"""A worker that dies while building a tenant-period's bundle: that tenant-period's reports
are failed with the reason, every tenant-period gets exactly one answer, and the run ends."""

from __future__ import annotations

import dataclasses
import io
import os

from rich.console import Console

from reportlib.domain import calendar
from reportlib.render import runner
from tests.conftest import ACME


def build_or_die(scope: runner.Scope) -> list:
    """In a worker of the pool: the tenant "ghost" kills its worker (as the kernel's OOM
    killer would); the others build nothing to render."""
    if scope.tenant.tenant_id == "ghost":
        os._exit(3)
    return []


def test_a_worker_that_dies_fails_its_tenant_period_and_the_run_ends(tmp_path):
    period = calendar.parse_period("2026-10")
    tenants = [ACME, dataclasses.replace(ACME, tenant_id="ghost")]
    scopes = [runner.Scope(t, period, ("consumption", "chatbots"), str(tmp_path / "b"),
                           str(tmp_path / t.tenant_id)) for t in tenants]
    answers: list[tuple[str, str | None]] = []

    def on_built(scope, jobs, error):
        answers.append((scope.tenant.tenant_id, None if error is None else str(error)))
        return []

    all_built = []
    runner.execute(scopes, build_or_die, 2, on_built, lambda output: None,
                   console=Console(file=io.StringIO()), on_all_built=lambda: all_built.append(1))
    by_tenant = dict(answers)
    assert sorted(t for t, _ in answers) == ["acme", "ghost"]  # one answer each
    assert by_tenant["ghost"].startswith("worker failed: BrokenProcessPool")
    assert all_built == [1]
