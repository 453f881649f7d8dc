"""A seeded generator of realistic multi-tenant source files in the platform's and Meta's formats.

The model (every number is a parameter in `profiles.py`; ballparks from docs/metrics.md, "Plausible
shapes"):

* Three tenant profiles: a retailer heavy on marketing campaigns, a bank heavy on authentication
  codes and utility (invoice) campaigns, a service company with many user-initiated
  conversations (in another time zone, America/Manaus). `--tenants N` takes them in turn:
  beyond the first three, tenants `varejo_sul_4`, `banco_aurora_5`, `conecta_servicos_6`, ...
  copy a profile with their own ids, phone numbers, WABAs and bots (`tenant_profile`).
* Sends: campaigns on weekdays between 9 h and 18 h local (`CAMPAIGN_HOURS`), leaving at
  `THROUGHPUT_PER_S`; authentication codes through the day with the users' own rhythm
  (`USER_HOUR_WEIGHTS`, fewer on Sundays); agent-sent templates in office hours. The retailer
  runs A/B pairs each month: two templates with a real read-rate difference, and two send
  hours without one (`variant_pairs`); two campaigns are scheduled after as-of.
* Outcomes per category (`OUTCOMES`): failure share, read share of delivered, reply share;
  error codes drawn from `ERROR_CODES` (131026 the largest share; 131049 and 131050, the
  marketing opt-out, for marketing only).
  Template errors (132xxx, 131008) fail before `sent`; the others after it.
* One incident, so that an anomaly flag shows: on the second Tuesday before as-of, 30 % of
  the retailer's marketing messages hit Meta's per-user marketing limit (131049).
* Delays: sent after ~2 s; delivered after a log-normal of median `DELIVERY_MEDIAN_S` with a 4 %
  tail of phones off for hours; read after a log-normal of median `READ_MEDIAN_MIN` minutes
  (long tail to days), moved out of the night (reads cluster 8–22 h local).
* Webhook quirks: 4 % of read messages never get `delivered`; 3 % of status events are sent
  twice; each event arrives after a random lag and files are in arrival order, so they are out
  of event order. The notifications export lags: every 9th row lacks its read and reply. The
  retailer's first month (of the demo's own months) has two malformed rows (rejected at ingest).
* User-initiated traffic (service conversations/messages) per day with a weekday rhythm, a
  share arriving from free entry points (click-to-WhatsApp ads); utility templates sent inside
  an open customer-service window are `free_customer_service` under per-message pricing.
  Replies to campaigns and agents open help-desk tickets; the help desk, agent shifts, bot
  sessions and the menu funnel are drawn by `reportlib.demo.desk`.
* Meta's analytics (`reportlib.demo.analytics`) are counted from the same simulated messages,
  daily, at the tenant's local midnight: conversation analytics before 2025-07-01 (with the
  free tier until 2024-10-31), pricing analytics from 2025-07-01 (with volume-tier discounts;
  from 2025-10-01 the day a month reaches the next tier, Meta's tier update webhook in
  `whatsapp_webhooks/account_updates_<month>.jsonl`). The service company is billed through a
  provider: its conversation analytics carry no cost.
* The year before (`reportlib.demo.spans`; `reportlib demo` draws it unless `--no-year-before`,
  `generate` when asked with `year_before=True`): the same calendar months a year before the
  demo's months (with the default three, Sep–Nov 2025, whole months), every file of a month as
  for the demo's own, at `YEAR_BEFORE_VOLUME` (0.85) × the volume: the business grew about 18 %
  in a year. So the chatbots report's change against the same days a year before has numbers.
  Those months are drawn after the demo's own, which are therefore the same files with or
  without them; ids run on (unique per tenant). Each span is cut off at its end, and the
  months between the two have no file: a gap in the data received, shown as not available.

Everything derives from `--seed` and `--as-of` (default `DEFAULT_AS_OF`): same inputs, same files.

Size: active messages (notifications) ≈ scale × days × the profile's daily mean, which at
`--scale 1` is about 420 for the retailer, 270–320 for the bank and 60–70 for the service
company (weekends included; campaigns are drawn, so tenants of a profile differ by ±15 %). A
mix of the three averages ≈ 250 per tenant and day. Each message brings ≈ 2.7 webhook lines;
help desk and bots add ≈ 3 rows per message. Measured with `--months 3 --as-of 2026-11-20
--no-year-before` (80 days): `--tenants 3 --scale 1` ≈ 64 thousand messages (105 MB of files);
`--tenants 12 --scale 4` ≈ 1.0 million (1.6 GB); `--tenants 12 --scale 41` ≈ 10.5 million
(17 GB). The year before adds its 91 days at 0.85 × the volume, about as much again: the
default demo (`reportlib demo`, 3 tenants, Sep–Nov 2026 and Sep–Nov 2025) writes ≈ 125
thousand messages (205 MB); generating them takes about 8 s of CPU and ingesting them about
24 s (5 s and 13 s without the year before).

Files are written day by day (`reportlib.demo.tenant`): memory depends on a batch of sends
(`SLICE`), the webhooks in flight and the number of days, not on the number of messages. The
10.5-million run took about 4 minutes with a peak RSS of 230 MB on 2 cores.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reportlib import params as params_mod
from reportlib.demo.analytics import MetaPrices
from reportlib.demo.profiles import MAX_TENANTS, PROFILES, tenant_profile
from reportlib.demo.spans import YEAR_BEFORE_VOLUME, Span, demo_spans, first_day
from reportlib.demo.tenant import TenantRun

DEFAULT_AS_OF = date(2026, 11, 20)
DEFAULT_MONTHS = 3
DEFAULT_SEED = 7
SHAPES = ("wide", "platform")  # the platform files as wide files, or as its own exports
MAX_MONTHS = 60
MAX_SCALE = 1000

__all__ = ["DEFAULT_AS_OF", "DEFAULT_MONTHS", "DEFAULT_SEED", "MAX_MONTHS", "MAX_SCALE",
           "MAX_TENANTS", "PROFILES", "SHAPES", "YEAR_BEFORE_VOLUME", "Span", "demo_spans",
           "first_day", "generate", "tenant_profile"]


def generate(sources_dir: Path, params_dir: Path | None, as_of: date = DEFAULT_AS_OF,
             seed: int = DEFAULT_SEED, tenants: int = 3, scale: float = 1.0,
             months: int = DEFAULT_MONTHS, shape: str = "wide",
             year_before: bool = False) -> dict[str, int]:
    """Write demo source files (and missing tenant params) for `months` months up to as-of
    and, with `year_before`, the same months a year before (`demo_spans`); returns messages
    per tenant."""
    if not 1 <= tenants <= MAX_TENANTS:
        raise ValueError(f"--tenants must be 1..{MAX_TENANTS}")
    if not 1 <= months <= MAX_MONTHS or not 0 < scale <= MAX_SCALE:
        raise ValueError(f"--months must be 1..{MAX_MONTHS} and --scale in (0, {MAX_SCALE}]")
    if shape not in SHAPES:
        raise ValueError(f"--shape must be one of {', '.join(SHAPES)}")
    spans = demo_spans(as_of, months, year_before)
    prices = MetaPrices()
    counts = {}
    for number in range(tenants):
        profile = tenant_profile(number)
        tenant_id = profile.tenant.tenant_id
        run = TenantRun(profile, spans, as_of, seed, scale, Path(sources_dir) / tenant_id,
                        prices, shape)
        counts[tenant_id] = run.run()
        if params_dir is not None and not params_mod.tenant_file(params_dir, tenant_id).exists():
            params_mod.dump_tenant(Path(params_dir), profile.tenant)
    return counts
