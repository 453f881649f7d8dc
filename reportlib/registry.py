"""What a report is: one entry per report, the one place that declares it.

Plain data, importing nothing from reportlib: every other module (params, marts, notebook,
i18n, render, runner, schedule, cli) reads its report names, notebooks, classes, titles,
marts, sources, headline figures and extra outputs from here. Adding a report is one entry
here plus its folder `reportlib/reports/<name>/` (its class in `__init__.py`, its notebook,
its SQL) and its title's label; `tests/test_registry.py` fails if a piece is missing.

A site adds its own reports in `params/reports.yaml` (read by `params.load_site_reports`,
installed here by `use_site`): an analyst's notebook, the tables it needs, its title.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    """One report and everything the pipeline needs to know about it."""

    name: str  # the report's id: `--report`, tenants' `reports`, output file names
    class_name: str
    title_key: str  # i18n LABELS key of its title (subjects, footers, the index, its header)
    marts: tuple[str, ...]  # bundle tables (sql/<name>.sql, or a copy of a staging table)
    staging: tuple[str, ...] = ()  # temp tables built first, read by its marts (sql/<name>.sql)
    # The source kinds it reads: its coverage block names them, and a period in which none of
    # them has a row is "no data", never a quiet month of zeros.
    sources: tuple[str, ...] = ()
    # Pairs of source kinds that stand in for each other (either one's rows are enough).
    alternatives: tuple[tuple[str, str], ...] = ()
    # The index's headline figures: (figure key, label in English, number | money | percent);
    # none: the index shows its first few numeric figures.
    headlines: tuple[tuple[str, str, str], ...] = ()
    # Files it publishes beside its HTML, by name of the writer (render.EXTRA_WRITERS).
    extras: tuple[str, ...] = ()
    notebook: str = ""  # file name in reportlib/reports/<name>/; empty: <name>.ipynb
    # A site's own report (params/reports.yaml): its notebook's absolute path, its title per
    # locale, the canonical tables copied into its bundle (as `reportlib extract` names them,
    # identities masked), the tenants it is for (empty: all) and recipients per tenant.
    notebook_path: str = ""
    titles: tuple[tuple[str, str], ...] = ()
    tables: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()
    recipients: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def site(self) -> bool:
        """Whether the site declared it (params/reports.yaml), not the package."""
        return bool(self.notebook_path)

    def for_tenant(self, tenant: str) -> bool:
        return not self.tenants or tenant in self.tenants

    # How long its figures may still change (docs/metrics.md, "Provisional figures"):
    # `statuses` (30 days after each send), `consolidation` (the 5th business day of the next
    # month), `tickets` (until the period's tickets close), `final` (once the day is over).
    provisional: str = "final"
    # The anomaly series (mart daily_anomalies: failure_rate, read_rate, cost) it flags.
    anomalies: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        """The report's package, beside its SQL and notebook: reportlib.reports.<name>."""
        return f"reports.{self.name}"

    @property
    def notebook_file(self) -> str:
        return self.notebook or f"{self.name}.ipynb"

    def alternatives_of(self, kind: str) -> tuple[str, ...]:
        """The kinds that stand in for `kind` in this report."""
        return tuple(b if a == kind else a for a, b in self.alternatives if kind in (a, b))


REPORTS: tuple[Report, ...] = (
    Report(
        name="consumption", class_name="ConsumptionReport",
        title_key="consumption.title",
        marts=("consumption_summary", "consumption_by_phone", "consumption_daily",
               "consumption_cost", "consumption_tier_updates", "consumption_projection",
               "consumption_reconciliation", "consumption_unreported", "daily_anomalies"),
        staging=("analytics_points", "meta_rates", "consumption_facts", "message_billing",
                 "consumption_messages", "consumption_unreported"),
        sources=("pricing_analytics", "conversation_analytics"),
        # Meta's conversation analytics until 2025-06-30 (CBP), its pricing analytics after.
        alternatives=(("pricing_analytics", "conversation_analytics"),),
        headlines=(("total", "Total", "number"), ("paid", "Paid", "number"),
                   ("cost_usd.headline", "Cost", "money")),
        provisional="consolidation", anomalies=("cost",),
    ),
    Report(
        name="campaigns", class_name="CampaignsReport",
        title_key="campaigns.title",
        marts=("campaign_messages", "campaign_summary", "campaign_failures",
               "engagement_heatmap", "daily_anomalies"),
        staging=("message_billing", "analytics_points", "meta_rates", "campaign_messages"),
        sources=("campaigns", "notifications", "whatsapp_webhooks"),
        headlines=(("campaigns", "Campaigns", "number"), ("audience", "Audience", "number"),
                   ("read", "Read", "number")),
        extras=("campaign_csvs",),
        provisional="statuses", anomalies=("failure_rate", "read_rate"),
    ),
    Report(
        name="desk_followup", class_name="DeskFollowupReport",
        title_key="desk.title",
        marts=("desk_messages",),
        staging=("attendance_agent_tickets",),
        sources=("notifications", "whatsapp_webhooks", "tickets"),
        headlines=(("total", "Messages", "number"), ("tickets", "Tickets", "number")),
        provisional="statuses",
    ),
    Report(
        name="attendance", class_name="AttendanceReport",
        title_key="attendance.title",
        marts=("attendance_tickets", "attendance_counts", "attendance_times",
               "attendance_daily", "agent_status_time"),
        staging=("attendance_agent_tickets", "attendance_tickets", "attendance_grouped"),
        sources=("tickets", "ticket_messages", "agent_status"),
        headlines=(("opened", "Tickets", "number"), ("handled", "Handled", "number"),
                   ("sla_attainment", "Within SLA", "percent")),
        provisional="tickets",
    ),
    Report(
        name="chatbots", class_name="ChatbotsReport",
        title_key="chatbots.title",
        marts=("chatbot_monthly", "chatbot_daily"),
        sources=("bot_messages",),
        headlines=(("mau", "MAU", "number"), ("meu", "MEU", "number"),
                   ("msgs", "Messages", "number")),
    ),
    Report(
        name="custom_events", class_name="CustomEventsReport",
        title_key="events.title",
        marts=("event_totals", "event_counts", "event_daily", "event_labels",
               "event_funnel_steps"),
        sources=("event_tracks",),
        headlines=(("events", "Events", "number"), ("users", "Users", "number")),
    ),
)

_BUILT_IN = {r.name: r for r in REPORTS}
_BY_NAME = dict(_BUILT_IN)


def use_site(reports: tuple[Report, ...]) -> None:
    """Install the site's own reports (params/reports.yaml) after the built-in ones."""
    _BY_NAME.clear()
    _BY_NAME.update(_BUILT_IN)
    _BY_NAME.update({r.name: r for r in reports})


def names() -> tuple[str, ...]:
    """Every report's name, in the order reports are listed (index, defaults, help): the
    built-in ones, then the site's own."""
    return tuple(_BY_NAME)


def built_in_names() -> tuple[str, ...]:
    return tuple(_BUILT_IN)


def get(name: str) -> Report:
    """The report called `name`; KeyError when there is none."""
    return _BY_NAME[name]


def find(name: str) -> Report | None:
    return _BY_NAME.get(name)


def mart_staging(mart: str) -> tuple[str, ...]:
    """The staging tables a built-in mart reads (those of the report that declares it)."""
    return next((r.staging for r in REPORTS if mart in r.marts), ())
