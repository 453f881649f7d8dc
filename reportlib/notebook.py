"""What a report notebook calls first and last: open its report, publish its figures."""

from __future__ import annotations

import json

from reportlib import registry
from reportlib.domain import calendar
from reportlib.marts import bundle as bundle_mod
from reportlib.params import LOCALES, check_tenant_id

# The MIME type of the figures a report publishes (render reads them from the executed
# notebook). Defined here, not in render: a kernel must not import nbconvert to emit them.
FIGURES_MIME = "application/vnd.reportlib.figures+json"

def open_report(report: str, tenant: str, period: str, bundle: str = "", locale: str = "",
                as_of: str = "", **options):
    """Validate the notebook's parameters and return the report object over its bundle
    (built now from the warehouse when `bundle` is empty, as in JupyterLab)."""
    import importlib

    check_tenant_id(tenant)
    calendar.parse_period(period)
    calendar.parse_date(as_of, "as_of")
    if locale and locale not in LOCALES:
        raise ValueError(f"locale {locale!r} is not one of {', '.join(LOCALES)}")
    opened = bundle_mod.for_notebook(tenant, period, bundle, as_of, (report,))
    if not bundle:  # opened by hand in JupyterLab: its sections styled as the report's
        from IPython.display import display

        from reportlib.look.lab import style_block

        display(style_block(), raw=True)
    if opened.info["tenant"] != tenant or opened.info["period"] != period:
        raise ValueError(f"bundle {bundle} holds {opened.info['tenant']} "
                         f"{opened.info['period']}, not {tenant} {period}")
    spec = registry.find(report)
    if spec is None or spec.site:
        from reportlib.reports.base import SiteReport

        site = opened.info.get("site_reports", {}).get(report)
        if site is None:
            raise ValueError(f"report {report!r} is not one of {', '.join(registry.names())} "
                             "nor a report of this site (params/reports.yaml)")
        return SiteReport(report, site, opened, locale or None)
    module = importlib.import_module(f"reportlib.{spec.module}")
    return getattr(module, spec.class_name)(opened, locale or None, **options)


def publish_figures(report) -> None:
    """Emit the headline figures as a machine-readable output the renderer reads back."""
    from IPython.display import display

    figures = report.published_figures()
    display({FIGURES_MIME: figures, "text/plain": json.dumps(figures, indent=1)}, raw=True)
