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
