"""The one place that reads environment variables: the command's defaults and a notebook's.

Every other module takes paths and settings as arguments. `command_settings` is what `reportlib`
starts from (its options override it); `notebook_settings` is what a notebook opened in
JupyterLab starts from (no options: the warehouse is found from the working folder upwards).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PREFIX = "REPORTLIB_"
DEFAULT_WAREHOUSE = "warehouse.duckdb"
DEFAULT_PARAMS = "params"
DEFAULT_OUTPUTS = "outputs"
# The SMTP settings the environment may give (over params/smtp.yaml); the password only here.
SMTP_NAMES = ("host", "port", "security", "user", "from", "password")


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    params: Path
    outputs: Path
    rate_card: Path | None = None  # a rate card of the user's own, over params/rate_card.csv
    # REPORTLIB_SMTP_<NAME> values that are set, by lower-case name (host, port, …).
    smtp: Mapping[str, str] = field(default_factory=dict)
    # Where bundles of notebooks opened by hand are kept ($REPORTLIB_CACHE, else the user's
    # cache folder: $XDG_CACHE_HOME or ~/.cache, under reportlib/bundles).
    cache: Path = Path("~/.cache/reportlib/bundles")
    bundle_memory: str = "1GB"  # a bundle build's DuckDB memory limit ($REPORTLIB_BUNDLE_MEMORY)
    warm_kernels: bool = True  # a worker's kernel kept for a tenant-period's reports
    fork_kernels: bool = True  # that kernel forked from a template ($REPORTLIB_FORK_KERNELS)


def smtp_variable(name: str) -> str:
    """The environment variable of one SMTP setting, as errors and the README name it."""
    return f"{PREFIX}SMTP_{name.upper()}"


def _path(env: Mapping[str, str], name: str) -> Path | None:
    """The path a REPORTLIB_ variable gives; None when it is unset or empty. An empty one
    (`REPORTLIB_OUTPUTS=` in an EnvironmentFile or a crontab) was the path "", the working
    folder: reports were written, and a warehouse looked for, wherever the command ran."""
    value = env.get(f"{PREFIX}{name}", "").strip()
    return Path(value) if value else None


def command_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The command's defaults: ./warehouse.duckdb, ./params and ./outputs unless
    REPORTLIB_WAREHOUSE, REPORTLIB_PARAMS or REPORTLIB_OUTPUTS say otherwise (set and not
    empty)."""
    env = os.environ if environ is None else environ
    rate_card = _path(env, "RATE_CARD")
    cache_home = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Settings(
        warehouse=_path(env, "WAREHOUSE") or Path(DEFAULT_WAREHOUSE),
        params=_path(env, "PARAMS") or Path(DEFAULT_PARAMS),
        outputs=_path(env, "OUTPUTS") or Path(DEFAULT_OUTPUTS),
        rate_card=rate_card,
        smtp={name: env[smtp_variable(name)] for name in SMTP_NAMES
              if smtp_variable(name) in env},
        cache=Path(env.get(f"{PREFIX}CACHE") or cache_home / "reportlib" / "bundles"),
        bundle_memory=env.get(f"{PREFIX}BUNDLE_MEMORY") or "1GB",
        warm_kernels=env.get(f"{PREFIX}WARM_KERNELS", "1") != "0",
        fork_kernels=env.get(f"{PREFIX}FORK_KERNELS", "1") != "0",
    )


def notebook_settings(start: Path | None = None,
                      environ: Mapping[str, str] | None = None) -> Settings | None:
    """A notebook's defaults: $REPORTLIB_WAREHOUSE, else the nearest `warehouse.duckdb` in the
    working folder or a parent (the repository's notebooks/ sits below it), with the params
    folder beside it unless $REPORTLIB_PARAMS says otherwise; None when there is none."""
    env = os.environ if environ is None else environ
    settings = command_settings(env)
    warehouse = _path(env, "WAREHOUSE")
    if warehouse is None:
        here = (start or Path.cwd()).resolve()
        found = [f / DEFAULT_WAREHOUSE for f in (here, *here.parents)
                 if (f / DEFAULT_WAREHOUSE).is_file()]
        if not found:
            return None
        warehouse = found[0]
    params = _path(env, "PARAMS") or warehouse.parent / DEFAULT_PARAMS
    return replace(settings, warehouse=warehouse, params=params,
                   outputs=warehouse.parent / DEFAULT_OUTPUTS)


def notebooks_folder(environ: Mapping[str, str] | None = None) -> Path | None:
    """$REPORTLIB_NOTEBOOKS: another folder of the built-in reports' notebooks, by file name
    (the benchmark's empty notebooks through the same command and pool); None when unset."""
    value = (os.environ if environ is None else environ).get(f"{PREFIX}NOTEBOOKS", "")
    return Path(value) if value else None


# What in an environment is read once, as the interpreter or the libraries a kernel imports
# start (Python itself, the dynamic loader, the BLAS threads, matplotlib, the locale).
STARTUP_PREFIXES = ("PYTHON", "LD_", "OMP_", "OPENBLAS_", "MKL_", "MPL", "MATPLOTLIB", "LC_",
                    "LANG")


def startup_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The part of an environment (this process's by default) read only at a process's start:
    a kernel forked from a template started with another would not see its own."""
    env = os.environ if environ is None else environ
    return {k: v for k, v in env.items() if k.startswith(STARTUP_PREFIXES)}
