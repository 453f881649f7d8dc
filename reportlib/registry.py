"""What a report is: one entry per report, the one place that declares it.

Plain data, importing nothing from reportlib: every other module (params, marts, notebook,
i18n, render, runner, schedule, cli) reads its report names, notebooks, classes, titles,
marts, sources, headline figures and extra outputs from here. Adding a report is one entry
here plus its own files (module, notebook, SQL, labels); `tests/test_registry.py` fails if
one of them is missing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    """One report and everything the pipeline needs to know about it."""

    name: str  # the report's id: `--report`, tenants' `reports`, output file names
    module: str  # reportlib.<module> holds the report's class
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
    notebook: str = ""  # file name in reportlib/notebooks; empty: <name>.ipynb
    # How long its figures may still change (docs/metrics.md, "Provisional figures"):
    # `statuses` (30 days after each send), `consolidation` (the 5th business day of the next
    # month), `tickets` (until the period's tickets close), `final` (once the day is over).
    provisional: str = "final"
    # The anomaly series (mart daily_anomalies: failure_rate, read_rate, cost) it flags.
    anomalies: tuple[str, ...] = ()

    @property
    def notebook_file(self) -> str:
        return self.notebook or f"{self.name}.ipynb"

    def alternatives_of(self, kind: str) -> tuple[str, ...]:
        """The kinds that stand in for `kind` in this report."""
        return tuple(b if a == kind else a for a, b in self.alternatives if kind in (a, b))


REPORTS: tuple[Report, ...] = (
    Report(
        name="consumption", module="consumption", class_name="ConsumptionReport",
        title_key="consumption.title",
        marts=("consumption_summary", "consumption_by_phone", "consumption_daily",
               "consumption_cost", "consumption_projection", "consumption_reconciliation",
               "daily_anomalies"),
        staging=("consumption_facts",),
        sources=("pricing_analytics", "conversation_analytics"),
        # Meta's conversation analytics until 2025-06-30 (CBP), its pricing analytics after.
        alternatives=(("pricing_analytics", "conversation_analytics"),),
        headlines=(("total", "Total", "number"), ("paid", "Paid", "number"),
                   ("cost_usd.headline", "Cost", "money")),
        provisional="consolidation", anomalies=("cost",),
    ),
    Report(
        name="campaigns", module="campaigns", class_name="CampaignsReport",
        title_key="campaigns.title",
        marts=("campaign_messages", "campaign_summary", "campaign_failures",
               "engagement_heatmap", "daily_anomalies"),
        staging=("campaign_messages",),
        sources=("campaigns", "notifications", "whatsapp_webhooks"),
        headlines=(("campaigns", "Campaigns", "number"), ("audience", "Audience", "number"),
                   ("read", "Read", "number")),
        extras=("campaign_csvs",),
        provisional="statuses", anomalies=("failure_rate", "read_rate"),
    ),
    Report(
        name="desk_followup", module="desk", class_name="DeskFollowupReport",
        title_key="desk.title",
        marts=("desk_messages",),
        staging=("attendance_agent_tickets",),
        sources=("notifications", "whatsapp_webhooks", "tickets"),
        headlines=(("total", "Messages", "number"), ("tickets", "Tickets", "number")),
        provisional="statuses",
    ),
    Report(
        name="attendance", module="attendance", class_name="AttendanceReport",
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
        name="chatbots", module="chatbots", class_name="ChatbotsReport",
        title_key="chatbots.title",
        marts=("chatbot_monthly", "chatbot_daily"),
        sources=("bot_messages",),
        headlines=(("mau", "MAU", "number"), ("meu", "MEU", "number"),
                   ("msgs", "Messages", "number")),
    ),
    Report(
        name="custom_events", module="custom_events", class_name="CustomEventsReport",
        title_key="events.title",
        marts=("event_totals", "event_counts", "event_daily", "event_labels",
               "event_funnel_steps"),
        sources=("event_tracks",),
        headlines=(("events", "Events", "number"), ("users", "Users", "number")),
    ),
)

_BY_NAME = {r.name: r for r in REPORTS}


def names() -> tuple[str, ...]:
    """Every report's name, in the order reports are listed (index, defaults, help)."""
    return tuple(_BY_NAME)


def get(name: str) -> Report:
    """The report called `name`; KeyError when there is none."""
    return _BY_NAME[name]


def find(name: str) -> Report | None:
    return _BY_NAME.get(name)
