"""Meta's market names (a volume tier update's `region`) in the reader's words."""

from __future__ import annotations

import pytest

from reportlib.domain.pricing import market_of_region
from reportlib.look.i18n import t

# Meta's pricing markets as its rate card names them (developers.facebook.com, WhatsApp
# pricing: "Rate cards"), upper-case with underscores as a webhook's `region` carries them.
META_MARKETS = {
    "BRAZIL": "Brasil", "MEXICO": "México", "NORTH_AMERICA": "América do Norte",
    "REST_OF_LATIN_AMERICA": "Resto da América Latina", "OTHER": "Outros",
    "ARGENTINA": "Argentina", "CHILE": "Chile", "COLOMBIA": "Colômbia", "EGYPT": "Egito",
    "FRANCE": "França", "GERMANY": "Alemanha", "INDIA": "Índia", "INDONESIA": "Indonésia",
    "ISRAEL": "Israel", "ITALY": "Itália", "MALAYSIA": "Malásia",
    "NETHERLANDS": "Países Baixos", "NIGERIA": "Nigéria", "PAKISTAN": "Paquistão",
    "PERU": "Peru", "RUSSIA": "Rússia", "SAUDI_ARABIA": "Arábia Saudita",
    "SOUTH_AFRICA": "África do Sul", "SPAIN": "Espanha", "TURKEY": "Turquia",
    "UNITED_ARAB_EMIRATES": "Emirados Árabes Unidos", "UNITED_KINGDOM": "Reino Unido",
    "REST_OF_AFRICA": "Resto da África", "REST_OF_ASIA_PACIFIC": "Resto da Ásia-Pacífico",
    "REST_OF_CENTRAL_AND_EASTERN_EUROPE": "Resto da Europa Central e Oriental",
    "REST_OF_MIDDLE_EAST": "Resto do Oriente Médio",
    "REST_OF_WESTERN_EUROPE": "Resto da Europa Ocidental",
}


@pytest.mark.parametrize("region", sorted(META_MARKETS))
def test_every_meta_market_has_a_portuguese_name(region):
    assert t(f"market.{market_of_region(region)}", "pt-BR") == META_MARKETS[region]


def test_a_region_in_other_spellings_is_the_same_market():
    assert market_of_region("Rest of Central & Eastern Europe") == market_of_region(
        "REST_OF_CENTRAL_AND_EASTERN_EUROPE") == "Rest of Central & Eastern Europe"
    assert market_of_region("rest-of-western-europe") == "Rest of Western Europe"
    assert market_of_region("SOMEWHERE_NEW") == "Somewhere New"  # a new market, in words


CARD = """market,category,effective_from,rate_usd,enabled,source,confidence{extra}
Brazil,marketing,2025-07-01,0.0625,true,Meta rate card,high{usd}
Brazil,marketing,2025-07-01,0.3125,true,Meta rate card,high{brl}
"""


def test_a_rate_card_row_is_in_its_currency_and_a_tenant_priced_in_its_own(tmp_path):
    """A card may hold rates in several currencies (Meta publishes its card in more than
    one); a tenant billed in BRL is priced with the BRL rows only, one billed in USD with the
    USD rows, and a market without a row of the tenant's currency has no rate (never a
    dollar rate taken for reais)."""
    import duckdb

    from reportlib.domain import pricing

    path = tmp_path / "rate_card.csv"
    path.write_text(CARD.format(extra=",currency", usd=",", brl=",brl"))
    rows = pricing.load_rate_card(path)
    assert [r.currency for r in rows] == ["USD", "BRL"]  # empty cell: USD
    con = duckdb.connect()
    ask = "SELECT rate_in_force('{}', 'marketing', DATE '2026-10-05')::DOUBLE"
    pricing.install(con, rows, "BRL")
    assert con.execute(ask.format("Brazil")).fetchone()[0] == 0.3125
    assert con.execute(ask.format("Other")).fetchone()[0] is None
    pricing.install(con, rows, "USD")
    assert con.execute(ask.format("Brazil")).fetchone()[0] == 0.0625
    assert pricing.rate_card_date(rows, "EUR") is None
    # Without the column every row is in US dollars, as the shipped card is.
    path.write_text(CARD.format(extra="", usd="", brl=""))
    assert {r.currency for r in pricing.load_rate_card(path)} == {"USD"}


def test_a_rate_card_row_in_no_currency_is_refused_naming_line_and_field(tmp_path):
    from reportlib.domain import pricing
    from reportlib.errors import ReportError

    path = tmp_path / "rate_card.csv"
    path.write_text(CARD.format(extra=",currency", usd=",USD", brl=",reais"))
    with pytest.raises(ReportError, match=r"rate_card.csv: line 3: field currency: 'REAIS' "
                                          r"is not an ISO 4217 currency code"):
        pricing.load_rate_card(path)


@pytest.mark.parametrize(("row", "says"), [
    # Each said "bad rate card row (...)" naming no field, or was taken.
    ("Brazil,marketing,2025-07-01,0,06,true,x,high",
     "line 2: more cells than the header has columns (a rate written with a decimal comma? "
     "write 0.0625)"),
    ("Brazil,marketing,01/07/2025,0.0625,true,x,high",
     "line 2: field effective_from: '01/07/2025' is not a date (YYYY-MM-DD)"),
    ("Brazil,marketing,2025-07-01,US$ 0.0625,true,x,high",
     "line 2: field rate_usd: 'US$ 0.0625' is not a rate (a number, 0 or more)"),
    ("Brazil,marketing,2025-07-01,nan,true,x,high",  # taken: every estimate NaN
     "line 2: field rate_usd: 'nan' is not a rate (a number, 0 or more)"),
    ("Brazil,marketing,2025-07-01,-0.0625,true,x,high",
     "line 2: field rate_usd: '-0.0625' is not a rate (a number, 0 or more)"),
    ("Brazil,marketting,2025-07-01,0.0625,true,x,high",
     "line 2: field category: 'marketting' is not one of marketing, utility, "
     "authentication, service"),
    ("Brazil,marketing,2025-07-01,0.0625,ture,x,high",  # taken as false: no estimate
     "line 2: field enabled: 'ture' is not true or false"),
    ("Brazil,marketing,2025-07-01,0.0625,true,x,medium",
     "line 2: field confidence: 'medium' is not high or low"),
    (",marketing,2025-07-01,0.0625,true,x,high",
     "line 2: field market: '' is empty: a market of the card (e.g. Brazil)"),
])
def test_a_rate_card_mistake_is_one_line_naming_line_field_and_value(tmp_path, row, says):
    from reportlib.domain import pricing
    from reportlib.errors import ReportError

    path = tmp_path / "rate_card.csv"
    path.write_text("market,category,effective_from,rate_usd,enabled,source,confidence\n"
                    f"{row}\n")
    with pytest.raises(ReportError) as caught:
        pricing.load_rate_card(path)
    assert str(caught.value) == f"{path}: {says}"


def test_a_rate_card_without_a_column_says_which(tmp_path):
    """A copy saved without its rate column said "line 2: bad rate card row ('rate_usd')"."""
    from reportlib.domain import pricing
    from reportlib.errors import ReportError

    path = tmp_path / "rate_card.csv"
    path.write_text("market,category,effective_from,rate,enabled\n"
                    "Brazil,marketing,2025-07-01,0.0625,true\n")
    with pytest.raises(ReportError) as caught:
        pricing.load_rate_card(path)
    assert str(caught.value) == (
        f"{path}: line 1: missing column rate_usd (the columns: market, category, "
        "effective_from, rate_usd, enabled, and source, confidence, currency)")
