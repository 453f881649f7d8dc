"""Meta's pricing rules (docs/metrics.md, "Pricing") and the rate card, as DuckDB tables and macros.

The rules live in SQL so that the marts apply them while scanning rows; tests call the same
macros on hand-made rows. The rate card is a CSV shipped in the package (editable: a user may
keep their own copy at `params/rate_card.csv`, or give the command one).

Money is in one currency per tenant: the one Meta bills its WhatsApp Business Account in (the
tenant's `currency`), which Meta's analytics report their cost in. A rate-card row has a
currency (its `currency` column; USD, the shipped card's, when the column is absent or empty),
and a tenant's estimates use only the rows of its currency: with none, the estimate is not
available. There is no exchange rate offline, and a cost is never converted.

Eras: conversation-based pricing (CBP) until 2025-06-30, per-message pricing (PMP) from
2025-07-01, chosen by the tenant-local date of the conversation or message.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import duckdb
from babel.numbers import is_currency

from reportlib.errors import ReportError

CBP_START = date(2023, 6, 1)
PMP_START = date(2025, 7, 1)
SERVICE_FREE_FROM = date(2024, 11, 1)
FREE_TIER_SERVICE_CONVERSATIONS = 1000  # per WABA per month, CBP, until 2024-10-31

CATEGORIES = ("marketing", "utility", "authentication", "service")
# Categories without a rate-card column of their own, priced as their parent *(assumed)*.
RATE_CATEGORY = {
    "authentication_international": "authentication",
    "marketing_lite": "marketing",
    "marketing_lite_dynamic": "marketing",
}
# A market without a row in force falls back to the next one *(assumed)*.
MARKET_FALLBACK = {
    "Mexico": "Rest of Latin America",
    "Rest of Latin America": "Other",
    "North America": "Other",
}
LATIN_AMERICA = (
    "AR BO CL CO CR CU DO EC GT HN HT NI PA PE PR PY SV UY VE BZ GY SR GF"
).split()
NORTH_AMERICA = ("US", "CA")
# Meta's names of markets (the `region` of a volume tier update) that are markets of the rate
# card; Meta has more markets (India, Indonesia, Rest of Western Europe...) than the card.
REGION_MARKETS = {
    "BRAZIL": "Brazil",
    "MEXICO": "Mexico",
    "NORTH_AMERICA": "North America",
    "REST_OF_LATIN_AMERICA": "Rest of Latin America",
    "OTHER": "Other",
}
# Calling codes of the markets we distinguish (longest prefix wins).
CALLING_CODES = {
    "55": "BR", "52": "MX", "1": "US", "54": "AR", "591": "BO", "56": "CL", "57": "CO",
    "506": "CR", "53": "CU", "593": "EC", "502": "GT", "504": "HN", "509": "HT", "505": "NI",
    "507": "PA", "51": "PE", "595": "PY", "503": "SV", "598": "UY", "58": "VE", "501": "BZ",
    "592": "GY", "597": "SR", "351": "PT", "34": "ES", "44": "GB", "49": "DE", "33": "FR",
    "39": "IT",
}
# Countries that share +1 with the United States and Canada (the North American Numbering
# Plan) are told apart by their area code: the Dominican Republic and Puerto Rico are in
# Latin America (LATIN_AMERICA), the Caribbean's other countries in no market of the card
# ("Other"). US territories other than Puerto Rico stay with +1. Read only for a number's
# country, never in its mask (a mask shows the calling code, +1).
NANP_AREA_CODES = {
    "1809": "DO", "1829": "DO", "1849": "DO", "1787": "PR", "1939": "PR",
    "1242": "BS", "1246": "BB", "1264": "AI", "1268": "AG", "1284": "VG", "1345": "KY",
    "1441": "BM", "1473": "GD", "1649": "TC", "1658": "JM", "1876": "JM", "1664": "MS",
    "1721": "SX", "1758": "LC", "1767": "DM", "1784": "VC", "1868": "TT", "1869": "KN",
}


@dataclass(frozen=True)
class RateRow:
    market: str
    category: str
    effective_from: date
    rate_usd: float
    enabled: bool
    source: str
    confidence: str = "high"  # "low": from secondary sources, not Meta's own card
    currency: str = "USD"  # ISO 4217; the rate is in it (the column is named rate_usd)


def rate_card_path(params_dir: Path | None = None, configured: Path | None = None) -> Path:
    """The user's rate card if one is configured (`configured`: the command's
    REPORTLIB_RATE_CARD; else params/rate_card.csv), else the one shipped in the package."""
    if configured is not None:
        return Path(configured)
    if params_dir is not None and (params_dir / "rate_card.csv").is_file():
        return params_dir / "rate_card.csv"
    return Path(str(resources.files("reportlib") / "domain" / "data" / "rate_card.csv"))


RATE_CARD_COLUMNS = ("market", "category", "effective_from", "rate_usd", "enabled")
YES, NO = ("true", "1", "yes"), ("false", "0", "no", "")


def load_rate_card(path: Path | None = None) -> list[RateRow]:
    """Read and validate the rate card; a bad row is a ReportError naming file, line and field
    (and what the field holds): an edited copy's mistake said 'bad rate card row (could not
    convert string to float: ...)', naming no field, or was taken (`enabled: ture` as false,
    a rate of `nan`)."""
    path = path or rate_card_path()
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return _rate_rows(path, csv.DictReader(handle))
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not UTF-8 text (save the rate card as CSV, UTF-8)") from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _rate_rows(path: Path, reader: csv.DictReader) -> list[RateRow]:
    missing = [c for c in RATE_CARD_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ReportError(f"{path}: line 1: missing column {missing[0]} (the columns: "
                          f"{', '.join(RATE_CARD_COLUMNS)}, and source, confidence, currency)")
    return [_rate_row(path, line, record) for line, record in enumerate(reader, start=2)]


def _rate_row(path: Path, line: int, record: dict) -> RateRow:
    def value(name: str) -> str:
        return (record.get(name) or "").strip()

    def wrong(name: str, what: str) -> ReportError:
        return ReportError(f"{path}: line {line}: field {name}: {value(name)!r} is {what}")

    if record.get(None):  # DictReader's key for cells past the header's
        raise ReportError(f"{path}: line {line}: more cells than the header has columns "
                          "(a rate written with a decimal comma? write 0.0625)")
    if not value("market"):
        raise wrong("market", "empty: a market of the card (e.g. Brazil)")
    category = value("category").lower()
    if category not in CATEGORIES:
        raise wrong("category", f"not one of {', '.join(CATEGORIES)}")
    try:
        effective_from = date.fromisoformat(value("effective_from"))
    except ValueError:
        raise wrong("effective_from", "not a date (YYYY-MM-DD)") from None
    try:
        rate = float(value("rate_usd"))
    except ValueError:
        rate = math.nan
    if not math.isfinite(rate) or rate < 0:
        raise wrong("rate_usd", "not a rate (a number, 0 or more)")
    enabled = value("enabled").lower()
    if enabled not in YES + NO:
        raise wrong("enabled", "not true or false")
    confidence = value("confidence").lower() or "high"
    if confidence not in ("high", "low"):
        raise wrong("confidence", "not high or low")
    currency = value("currency").upper() or "USD"
    if not is_currency(currency):
        raise ReportError(f"{path}: line {line}: field currency: {currency!r} is not an ISO "
                          "4217 currency code")
    return RateRow(market=value("market"), category=category, effective_from=effective_from,
                   rate_usd=rate, enabled=enabled in YES, source=value("source"),
                   confidence=confidence, currency=currency)


def rate_card_date(rows: list[RateRow], currency: str = "USD") -> date | None:
    """The newest effective date among the enabled rows of `currency`: the date a report's
    footnote quotes; None when the card has no rate in that currency."""
    return max((r.effective_from for r in rows if r.enabled and r.currency == currency),
               default=None)


def in_currency(rows: list[RateRow], currency: str) -> list[RateRow]:
    """The rows a tenant billed in `currency` is priced with."""
    return [r for r in rows if r.currency == currency]


def country_of_phone(e164: str) -> str | None:
    """The country of an E.164 number: its NANP area code for +1 (NANP_AREA_CODES), else its
    longest calling code we distinguish."""
    digits = "".join(ch for ch in str(e164) if ch.isdigit())
    if (country := NANP_AREA_CODES.get(digits[:4])) is not None:
        return country
    for length in (3, 2, 1):
        if (code := CALLING_CODES.get(digits[:length])) is not None:
            return code
    return None


def market_of_country(country: str | None) -> str:
    country = (country or "").upper()
    if country == "BR":
        return "Brazil"
    if country == "MX":
        return "Mexico"
    if country in NORTH_AMERICA:
        return "North America"
    if country in LATIN_AMERICA:
        return "Rest of Latin America"
    return "Other"


def market_of_region(region: str) -> str:
    """The market a Meta `region` names: the rate card's name where it is one of the card's
    markets ("REST_OF_LATIN_AMERICA" -> "Rest of Latin America"), else Meta's name in words
    ("REST_OF_WESTERN_EUROPE" -> "Rest of Western Europe", "INDIA" -> "India"; "and" as Meta's
    rate card writes it, "Rest of Central & Eastern Europe")."""
    key = "_".join(str(region).upper().replace("-", " ").split()).replace("_AND_", "_&_")
    if key in REGION_MARKETS:
        return REGION_MARKETS[key]
    return " ".join(w.lower() if i and w in ("OF", "AND", "THE") else w.capitalize()
                    for i, w in enumerate(key.split("_")) if w)


def _sql_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def install(con: duckdb.DuckDBPyConnection, rows: list[RateRow] | None = None,
            currency: str = "USD") -> None:
    """Create table `rate_card` (the enabled rows of `currency`) and the pricing macros on a
    connection."""
    rows = in_currency(load_rate_card() if rows is None else rows, currency)
    con.execute(
        "CREATE OR REPLACE TABLE rate_card (market VARCHAR, category VARCHAR, "
        "effective_from DATE, rate_usd DECIMAL(10,4), source VARCHAR, confidence VARCHAR)"
    )
    enabled = [
        (r.market, r.category, r.effective_from, r.rate_usd, r.source, r.confidence)
        for r in rows if r.enabled
    ]
    if enabled:  # one statement: DuckDB's executemany runs one per row, a millisecond each
        con.execute("INSERT INTO rate_card VALUES " +
                    ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(enabled)),
                    [value for row in enabled for value in row])
    rate_category = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in RATE_CATEGORY.items())
    fallback = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in MARKET_FALLBACK.items())
    calling = " ".join(
        f"WHEN regexp_replace(x, '[^0-9]', '', 'g') LIKE '{code}%' THEN '{country}'"
        for code, country in sorted({**CALLING_CODES, **NANP_AREA_CODES}.items(),
                                    key=lambda kv: -len(kv[0])))
    con.execute(f"""
        CREATE OR REPLACE MACRO normalize_category(c) AS
            NULLIF(replace(replace(lower(trim(c)), '-', '_'), ' ', '_'), '');
        CREATE OR REPLACE MACRO rate_category(c) AS
            CASE normalize_category(c) {rate_category} ELSE normalize_category(c) END;
        -- No country (a response without that dimension): no market, so no rate.
        CREATE OR REPLACE MACRO market_of_country(c) AS CASE
            WHEN c IS NULL THEN NULL
            WHEN upper(c) = 'BR' THEN 'Brazil'
            WHEN upper(c) = 'MX' THEN 'Mexico'
            WHEN upper(c) IN ({_sql_list(NORTH_AMERICA)}) THEN 'North America'
            WHEN upper(c) IN ({_sql_list(LATIN_AMERICA)}) THEN 'Rest of Latin America'
            ELSE 'Other' END;
        CREATE OR REPLACE MACRO fallback_market(m) AS CASE m {fallback} ELSE NULL END;
        -- The country of an E.164 number (longest calling code first), like country_of_phone().
        CREATE OR REPLACE MACRO country_of_phone(x) AS CASE {calling}
            ELSE NULL END;
        CREATE OR REPLACE MACRO pricing_era(d) AS
            CASE WHEN d >= DATE '{PMP_START}' THEN 'PMP' ELSE 'CBP' END;
        -- The rate-card row in force for a market, category and date (its rate and confidence),
        -- walking the fallback chain.
        CREATE OR REPLACE MACRO rate_row_in_force(m, c, d) AS COALESCE(
            (SELECT arg_max({{'rate_usd': rate_usd, 'confidence': confidence}}, effective_from)
               FROM rate_card
              WHERE market = m AND category = rate_category(c) AND effective_from <= d),
            (SELECT arg_max({{'rate_usd': rate_usd, 'confidence': confidence}}, effective_from)
               FROM rate_card
              WHERE market = fallback_market(m) AND category = rate_category(c)
                AND effective_from <= d),
            (SELECT arg_max({{'rate_usd': rate_usd, 'confidence': confidence}}, effective_from)
               FROM rate_card
              WHERE market = fallback_market(fallback_market(m))
                AND category = rate_category(c) AND effective_from <= d));
        CREATE OR REPLACE MACRO rate_in_force(m, c, d) AS (rate_row_in_force(m, c, d)).rate_usd;
        CREATE OR REPLACE MACRO rate_confidence(m, c, d) AS
            (rate_row_in_force(m, c, d)).confidence;
        -- CBP: FEP and free-tier conversations are free; service is free from 2024-11-01.
        CREATE OR REPLACE MACRO is_paid_conversation(conversation_type, category, d) AS
            upper(conversation_type) NOT IN ('FREE_ENTRY_POINT', 'FREE_TIER')
            AND NOT (normalize_category(category) = 'service' AND d >= DATE '{SERVICE_FREE_FROM}');
        -- PMP: only REGULAR template messages are billed; service messages are free.
        CREATE OR REPLACE MACRO is_paid_message(pricing_type, category) AS
            upper(pricing_type) = 'REGULAR'
            AND coalesce(normalize_category(category), '') <> 'service';
    """)
