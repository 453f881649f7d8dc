"""The consumption report: its sections and headline figures, built from one bundle.

The notebook calls one method per section; each returns a `present.Section` (title, two
sentences that say what the reader sees, and one chart or table). `figures()` gives the flat
headline numbers that go to `manifest.json`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from reportlib.domain import pricing
from reportlib.look import charts, present
from reportlib.look.i18n import LABELS, cents, mask_phone, split_cents
from reportlib.marts.bundle import Bundle
from reportlib.reports import trust
from reportlib.reports.base import BaseReport, say
from reportlib.reports.consumption import reconciliation

REPORT = "consumption"
CATEGORY_ORDER = ["marketing", "utility", "authentication", "authentication_international",
                  "marketing_lite", "marketing_lite_dynamic", "service", "group_marketing",
                  "group_marketing_lite", "group_utility", "group_service"]

PROSE = {
    "summary": {
        "pt-BR": "No período foram {total} {unit}: {business} iniciadas pela empresa e {user} "
                 "pelo usuário. {paid} foram pagas.",
        "en": "The period had {total} {unit}: {business} business-initiated and {user} "
              "user-initiated. {paid} were paid.",
    },
    # The headline cost (docs/metrics.md): Meta's where it reports one, our estimate elsewhere.
    "summary.cost.meta": {
        "pt-BR": "Custo informado pela Meta: {headline} (nossa estimativa: {cost}).",
        "en": "Cost reported by Meta: {headline} (our estimate: {cost}).",
    },
    "summary.cost.mixed": {
        "pt-BR": "Custo: {headline}, dos quais {meta} informados pela Meta e {estimated} "
                 "estimados por nós para o que a Meta ainda não informou.",
        "en": "Cost: {headline}, of which {meta} reported by Meta and {estimated} estimated "
              "by us for what Meta has not reported yet.",
    },
    # Our template messages Meta's analytics do not cover yet (mart consumption_unreported),
    # delivered on the days named ("from X to Y" / "on X"), and our estimate of their cost.
    "summary.unreported": {
        "pt-BR": "As análises da Meta ainda não cobrem {delivered} mensagens de modelo nossas, "
                 "entregues {when} ({paid} pagas): estimamos seu custo em {cost}.",
        "en": "Meta's analytics do not cover {delivered} template messages of ours yet, "
              "delivered {when} ({paid} paid): we estimate their cost at {cost}.",
    },
    "summary.unreported.one": {
        "pt-BR": "As análises da Meta ainda não cobrem 1 mensagem de modelo nossa, entregue "
                 "{when} ({paid} paga): estimamos seu custo em {cost}.",
        "en": "Meta's analytics do not cover 1 template message of ours yet, delivered {when} "
              "({paid} paid): we estimate its cost at {cost}.",
    },
    "summary.unreported.no_estimate": {
        "pt-BR": "As análises da Meta ainda não cobrem {delivered} mensagens de modelo nossas, "
                 "entregues {when}: sem estimativa de custo, pois a cobrança por conversa não "
                 "é por mensagem.",
        "en": "Meta's analytics do not cover {delivered} template messages of ours yet, "
              "delivered {when}: no cost is estimated, as conversation-based pricing does not "
              "bill messages.",
    },
    "summary.unreported.no_rate": {
        "pt-BR": "As análises da Meta ainda não cobrem {delivered} mensagens de modelo nossas, "
                 "entregues {when} ({paid} pagas): custo não disponível, pois nenhuma das pagas "
                 "tem tarifa (mercado ou categoria sem tarifa).",
        "en": "Meta's analytics do not cover {delivered} template messages of ours yet, "
              "delivered {when} ({paid} paid): their cost is not available, as none of the "
              "paid ones has a rate (a market or category without one).",
    },
    "summary.unreported.without_rate": {
        "pt-BR": " Ficam fora da estimativa {count} mensagens pagas sem tarifa.",
        "en": " Paid messages without a rate, left out of the estimate: {count}.",
    },
    "summary.cost.estimate": {
        "pt-BR": "Custo estimado por nós: {cost} (a Meta não informou custo).",
        "en": "Cost estimated by us: {cost} (Meta reported no cost).",
    },
    "summary.paid_unknown": {
        "pt-BR": "Para {count} delas os dados da Meta não dizem o tipo de cobrança: não estão "
                 "entre as pagas nem entre as gratuitas.",
        "en": "For {count} of them Meta's data does not give the pricing type: they are "
              "neither among the paid nor among the free.",
    },
    "summary.without_estimate": {
        "pt-BR": "{count} pagas não têm custo estimado (a tabela de preços não tem tarifa para "
                 "o mercado, ou os dados da Meta não trazem o país): não estão no custo "
                 "estimado, que fica incompleto.",
        "en": "{count} paid units have no estimated cost (the rate card has no rate for the "
              "market, or Meta's data does not give the country): they are not in the "
              "estimated cost, which is incomplete.",
    },
    # The rate card has no rate in the tenant's currency (pricing: never converted).
    "summary.without_estimate.currency": {
        "pt-BR": "{count} pagas não têm custo estimado (a tabela de preços não tem tarifas em "
                 "{currency}, a moeda em que a Meta cobra esta conta): não estão no custo "
                 "estimado, que fica incompleto.",
        "en": "{count} paid units have no estimated cost (the rate card has no rates in "
              "{currency}, the currency Meta bills this account in): they are not in the "
              "estimated cost, which is incomplete.",
    },
    "summary.top": {
        "pt-BR": "A categoria que mais custa é {category}: {share} do custo estimado.",
        "en": "The costliest category is {category}: {share} of the estimated cost.",
    },
    "by_phone": {
        "pt-BR": "Números ativos: {count}; {top} ({label}) concentra {share} do volume.",
        "en": "Active numbers: {count}; {top} ({label}) carries {share} of the volume.",
    },
    "by_phone.one": {
        "pt-BR": "Um número ativo: {top}{label}.",
        "en": "One active number: {top}{label}.",
    },
    "by_phone.not_broken_down": {
        "pt-BR": "Os dados da Meta não separam {quantity} {unit} deste período por número de "
                 "telefone: as análises foram obtidas sem essa dimensão, e a divisão por "
                 "número não está disponível para eles.",
        "en": "Meta's data does not split {quantity} {unit} of this period by phone number: "
              "the analytics were fetched without that dimension, so the split by number is "
              "not available for them.",
    },
    "by_phone.detail": {
        "pt-BR": "A tabela separa pagas e gratuitas por categoria em cada número.",
        "en": "The table splits paid and free units by category on each number.",
    },
    "chart.daily": {"pt-BR": "Pico em {day}: {peak} {unit}", "en": "Peak on {day}: {peak} {unit}"},
    "chart.cost": {"pt-BR": "{category}: {share} do custo estimado",
                   "en": "{category}: {share} of the estimated cost"},
    "chart.projection": {"pt-BR": "No ritmo atual, o mês fecha em {projected}",
                         "en": "At this pace, the month closes at {projected}"},
    "daily": {
        "pt-BR": "O dia de maior volume foi {day}, com {peak} {unit}; a média diária foi {mean}.",
        "en": "The busiest day was {day}, with {peak} {unit}; the daily mean was {mean}.",
    },
    # The days Meta's analytics have not reported yet while our records have deliveries on
    # them (mart consumption_unreported): not zeros.
    "daily.unreported": {
        "pt-BR": "As análises da Meta ainda não têm números {runs}, quando nossos registros têm "
                 "mensagens de modelo entregues: esses dias ficam fora da média diária, não "
                 "contam como zero.",
        "en": "Meta's analytics have no figures yet {runs}, when our records hold template "
              "messages delivered: those days are left out of the daily mean, not counted as "
              "zero.",
    },
    "daily.no_complete_day": {
        "pt-BR": "Nenhum dia do período está completo ainda; {day} tem {peak} {unit} até agora.",
        "en": "No day of the period is complete yet; {day} has {peak} {unit} so far.",
    },
    "daily.detail": {
        "pt-BR": "As barras azuis são iniciadas pela empresa; as verdes, pelo usuário "
                 "(dias no fuso de {tz}).",
        "en": "Blue bars are business-initiated; green bars user-initiated (days in the {tz} "
              "time zone).",
    },
    "cost": {
        "pt-BR": "Nossa estimativa: {cost}; custo informado pela Meta: {meta} (diferença de "
                 "{diff}).",
        "en": "Our estimate: {cost}; cost reported by Meta: {meta} (difference {diff}).",
    },
    # Some paid units have no estimate: the comparison covers the rows both price.
    "cost.both": {
        "pt-BR": "Onde há as duas: nossa estimativa {cost}; custo informado pela Meta {meta} "
                 "(diferença de {diff}).",
        "en": "Where both exist: our estimate {cost}; cost reported by Meta {meta} "
              "(difference {diff}).",
    },
    "cost.unpriced": {
        "pt-BR": "Fora da comparação: {count} pagas sem custo estimado, pelas quais a Meta "
                 "informou {meta}.",
        "en": "Left out of the comparison: {count} paid units with no estimated cost, for "
              "which Meta reported {meta}.",
    },
    "cost.unpriced.no_meta": {
        "pt-BR": "Fora da comparação: {count} pagas sem custo estimado.",
        "en": "Left out of the comparison: {count} paid units with no estimated cost.",
    },
    "cost.detail": {
        "pt-BR": "Nas faixas de volume (utilidade e autenticação) a estimativa usa a tarifa que "
                 "a Meta aplicou à faixa no mês; fora delas, a tabela de preços. Diferenças "
                 "vêm de tarifas da Meta diferentes da tabela.",
        "en": "In volume tiers (utility and authentication) the estimate uses the rate Meta "
              "applied to the tier this month; elsewhere, the rate card. Differences come "
              "from Meta's rates differing from the card.",
    },
    "cost.no_meta": {
        "pt-BR": "A Meta não informou custo para parte dos dados (cobrança via provedor); "
                 "vale a estimativa.",
        "en": "Meta gave no cost for part of the data (billed through a provider); the "
              "estimate stands.",
    },
    # Volume tier updates (webhook account_update): said only in a month that has some.
    "tiers": {
        "pt-BR": "Neste período a Meta informou {count} mudanças de faixa de volume: quanto mais "
                 "mensagens entregues no mês num mercado e categoria, menor a tarifa das "
                 "seguintes.",
        "en": "In this period Meta reported {count} volume tier changes: the more messages "
              "delivered in a month in a market and category, the lower the rate of the next "
              "ones.",
    },
    "tiers.one": {
        "pt-BR": "Neste período a Meta informou uma mudança de faixa de volume: quanto mais "
                 "mensagens entregues no mês num mercado e categoria, menor a tarifa das "
                 "seguintes.",
        "en": "In this period Meta reported one volume tier change: the more messages "
              "delivered in a month in a market and category, the lower the rate of the next "
              "ones.",
    },
    "tiers.detail": {
        "pt-BR": "Cada linha dá a faixa alcançada, em mensagens entregues no mês, e o dia em que "
                 "foi alcançada (fuso de {tz}).",
        "en": "Each row gives the tier reached, in messages delivered in the month, and the day "
              "it was reached ({tz} time zone).",
    },
    "tier.range": {"pt-BR": "{lower} a {upper}", "en": "{lower} to {upper}"},
    "tier.open": {"pt-BR": "{lower} ou mais", "en": "{lower} or more"},
    "column.tier": {"pt-BR": "Faixa (mensagens entregues no mês)",
                    "en": "Tier (messages delivered in the month)"},
    "column.reached": {"pt-BR": "Alcançada em", "en": "Reached on"},
    "projection": {
        "pt-BR": "Mantido o ritmo de cada dia da semana, o mês deve fechar em {projected} "
                 "(faixa {low} – {high}).",
        "en": "At the pace of each weekday so far, the month should close at {projected} "
              "(range {low} – {high}).",
    },
    "projection.detail": {
        "pt-BR": "Até agora: {to_date} em {days} dias completos; faltam {remaining} dias.",
        "en": "So far: {to_date} over {days} complete days; {remaining} days to go.",
    },
    "projection.detail.estimated": {
        "pt-BR": "Até agora: {to_date} em {days} dias completos, com nossa estimativa onde a Meta "
                 "ainda não informou ({estimated} deles); faltam {remaining} dias.",
        "en": "So far: {to_date} over {days} complete days, with our estimate where Meta has "
              "not reported yet ({estimated} of them); {remaining} days to go.",
    },
    "consolidated.awaiting": {
        "pt-BR": "Consolidado em {date}, mas as análises da Meta ainda não cobrem suas últimas "
                 "mensagens: parte do custo é nossa estimativa.",
        "en": "Consolidated on {date}, but Meta's analytics do not cover its last messages "
              "yet: part of the cost is our estimate.",
    },
    "projection.closed.estimated": {
        "pt-BR": "O período está encerrado: não há projeção. Parte do custo acima é nossa "
                 "estimativa até que a Meta informe os últimos dias.",
        "en": "The period is closed: there is no projection. Part of the cost above is our "
              "estimate until Meta reports its last days.",
    },
    "projection.closed": {
        "pt-BR": "O período está encerrado: não há projeção, os valores acima são os finais "
                 "do período.",
        "en": "The period is closed: there is no projection; the figures above are the "
              "period's final figures.",
    },
    # The period is open but none of its days is complete yet (as-of on its first day): no run
    # rate to project, and the period is not closed either.
    "projection.no_day": {
        "pt-BR": "Nenhum dia do período está completo ainda: a projeção aparece quando houver "
                 "o primeiro dia completo.",
        "en": "No day of the period is complete yet: the projection appears once its first "
              "day is.",
    },
    "projection.closed.detail": {
        "pt-BR": "A projeção aparece enquanto o mês está em aberto.",
        "en": "A projection appears while the month is open.",
    },
    "reconciliation": {
        "pt-BR": "Nos dias que as análises da Meta cobrem, nossos registros contam {ours} "
                 "mensagens de modelo entregues e a Meta, {meta} (diferença de {diff}).",
        "en": "On the days Meta's analytics cover, our records count {ours} template messages "
              "delivered and Meta counts {meta} (difference {diff}).",
    },
    # The tolerance (reconciliation.py): a difference counts when it passes both floors.
    "reconciliation.tolerance": {
        "pt-BR": "Em cada dia e categoria, a diferença só conta quando passa de {messages} "
                 "mensagens e de {share} da contagem da Meta; no custo, quando passa do custo "
                 "de {messages} mensagens e de {share} do custo da Meta.",
        "en": "On each day and category, a difference counts only when it is more than "
              "{messages} messages and more than {share} of Meta's count; for cost, more "
              "than the cost of {messages} messages and more than {share} of Meta's cost.",
    },
    "reconciliation.no_records": {
        "pt-BR": "Não há registros nossos de mensagens de modelo entregues neste período "
                 "(notificações de status do WhatsApp ou da plataforma): a conciliação com a "
                 "Meta não está disponível.",
        "en": "We have no records of delivered template messages in this period (WhatsApp's "
              "or the platform's status notifications): the reconciliation with Meta is not "
              "available.",
    },
    "reconciliation.none": {
        "pt-BR": "Em mensagens, nenhum dia e categoria passa da tolerância.",
        "en": "In messages, no day and category goes beyond the tolerance.",
    },
    "reconciliation.outcome": {
        "pt-BR": "{count} combinações de dia e categoria passam da tolerância: {explained} "
                 "explicadas por uma causa conhecida, {unexplained} sem explicação.",
        "en": "{count} day-and-category pairs go beyond the tolerance: {explained} explained "
              "by a known cause, {unexplained} unexplained.",
    },
    "reconciliation.not_available": {
        "pt-BR": "Em {days} dias as análises da Meta ainda não têm números ({count} mensagens "
                 "nossas): comparação não disponível para esses dias.",
        "en": "On {days} days Meta's analytics have no figures yet ({count} of our messages): "
              "comparison not available for those days.",
    },
    "reconciliation.not_available.one": {
        "pt-BR": "Em 1 dia as análises da Meta ainda não têm números ({count} mensagens "
                 "nossas): comparação não disponível para esse dia.",
        "en": "On 1 day Meta's analytics have no figures yet ({count} of our messages): "
              "comparison not available for that day.",
    },
    "reconciliation.outcome.one": {
        "pt-BR": "1 combinação de dia e categoria passa da tolerância: {explained}.",
        "en": "1 day-and-category pair goes beyond the tolerance: {explained}.",
    },
    "reconciliation.explained": {"pt-BR": "explicada por uma causa conhecida",
                                 "en": "explained by a known cause"},
    "reconciliation.unexplained": {"pt-BR": "sem explicação", "en": "unexplained"},
    "reconciliation.cost": {
        "pt-BR": "Custo das mensagens que registramos, pela tabela de preços: {ours}; custo "
                 "informado pela Meta nos mesmos dias: {meta} (diferença de {diff}).",
        "en": "Cost of the messages we recorded, at the rate card: {ours}; cost Meta reports "
              "for the same days: {meta} (difference {diff}).",
    },
    "reconciliation.cost.without_rate": {
        "pt-BR": "{count} das nossas mensagens pagas não têm tarifa na tabela de preços: os "
                 "dias e categorias delas ficam fora da conciliação de custo.",
        "en": "{count} of our paid messages have no rate on the card: their days and "
              "categories are left out of the cost reconciliation.",
    },
    "reconciliation.cost.not_available": {
        "pt-BR": "O custo da Meta não está disponível (cobrança via provedor): o custo não é "
                 "conciliado.",
        "en": "Meta's cost is not available (billed through a provider): cost is not "
              "reconciled.",
    },
    "reconciliation.differences": {
        "pt-BR": "Diferenças acima da tolerância, com a causa de cada uma:",
        "en": "Differences beyond the tolerance, each with its cause:",
    },
    "reconciliation.cost_differences": {
        "pt-BR": "Diferenças de custo acima da tolerância:",
        "en": "Cost differences beyond the tolerance:",
    },
    # Causes (docs/metrics.md, "Reconciliation"); {n}: messages, {amount}: money.
    "cause.not_final": {
        "pt-BR": "dia ainda não final (análises da Meta e status ainda chegando)",
        "en": "day not final yet (Meta's analytics and statuses still arriving)",
    },
    "cause.day_boundary": {
        "pt-BR": "{n} mensagens entregues perto da meia-noite: a Meta conta os dias em UTC",
        "en": "{n} messages delivered near midnight: Meta counts days in UTC",
    },
    "cause.outside_coverage": {
        "pt-BR": "{n} mensagens num número ou dia que nossos registros não cobrem",
        "en": "{n} messages on a number or day our records do not cover",
    },
    "cause.category_mismatch": {
        "pt-BR": "{n} mensagens cobradas pela Meta em outra categoria que a do modelo",
        "en": "{n} messages billed by Meta in another category than the template's",
    },
    "cause.category_unknown": {
        "pt-BR": "{n} mensagens nossas sem categoria conhecida (a fonte não a informa)",
        "en": "{n} messages of ours whose category no source names",
    },
    "cause.free_classification": {
        "pt-BR": "{n} mensagens gratuitas de um lado e pagas do outro (janelas gratuitas)",
        "en": "{n} messages free on one side and paid on the other (free windows)",
    },
    "cause.meta_rates": {
        "pt-BR": "tarifas da Meta diferentes da tabela de preços (faixas de volume): {amount}",
        "en": "Meta's rates differ from the rate card (volume tiers): {amount}",
    },
    "tolerance.part": {
        "pt-BR": "{amount} (dentro da tolerância)",
        "en": "{amount} (within the tolerance)",
    },
    "cause.part": {
        "pt-BR": "{cause} ({amount})",
        "en": "{cause} ({amount})",
    },
    "column.ours": {"pt-BR": "Nossos registros", "en": "Our records"},
    "column.meta": {"pt-BR": "Meta", "en": "Meta"},
    "column.cause": {"pt-BR": "Causa", "en": "Cause"},
    "column.unexplained": {"pt-BR": "Sem explicação", "en": "Unexplained"},
    "column.cost_unexplained": {"pt-BR": "Custo sem explicação", "en": "Cost unexplained"},
    "column.our_cost": {"pt-BR": "Nosso custo", "en": "Our cost"},
    "column.meta_cost": {"pt-BR": "Custo da Meta", "en": "Meta's cost"},
    "column.day": {"pt-BR": "Dia", "en": "Day"},
    "not_available": {"pt-BR": "não disponível", "en": "not available"},
}

NOTES = {
    "source": {
        "pt-BR": "Contagens e custo da Meta vêm das análises da Meta (de conversas até "
                 "{cbp_end}, de preços por mensagem a partir de {pmp_start}); o custo "
                 "estimado aplica a essas contagens a tarifa que a Meta aplicou a cada faixa de "
                 "volume no mês e, fora das faixas, a tabela de preços da Meta.",
        "en": "Counts and Meta's cost come from Meta's analytics (of conversations until "
              "{cbp_end}, of per-message pricing from {pmp_start}); the estimated cost "
              "applies to those counts the rate Meta applied to each volume tier this month "
              "and, outside tiers, Meta's rate card.",
    },
    # {date}: the card's latest price change (pricing.rate_card_date); each rate of the cost
    # table says since when it applies.
    "rate_card": {
        "pt-BR": "Fonte das tarifas: {source}, com as mudanças de preço até a mais recente, em "
                 "vigor desde {date}; as tarifas não incluem a margem do provedor.",
        "en": "Rate source: {source}, with its price changes up to the latest, in force since "
              "{date}; rates exclude the provider's mark-up.",
    },
    # The card has no row in the currency Meta bills the tenant in (pricing: never converted).
    "rate_card.none": {
        "pt-BR": "Fonte das tarifas: a tabela de preços não tem tarifas em {currency}, a moeda "
                 "em que a Meta cobra esta conta, e nenhum valor é convertido de outra moeda: "
                 "o custo estimado só existe onde a Meta informou o custo da faixa de volume no "
                 "mês; fora disso, não está disponível.",
        "en": "Rate source: the rate card has no rates in {currency}, the currency Meta bills "
              "this account in, and no amount is converted from another currency: the "
              "estimated cost exists only where Meta reported the cost of the volume tier this "
              "month; elsewhere it is not available.",
    },
    # Said only when the cost table has a rate so marked (rate card `confidence` low).
    "rate_card.secondary": {
        "pt-BR": "As tarifas marcadas “{mark}” na tabela de custo vêm de fontes secundárias, "
                 "não da tabela publicada pela Meta, e são menos seguras.",
        "en": "Rates marked “{mark}” in the cost table come from secondary sources, not from "
              "Meta's published card, and are less certain.",
    },
    "fallback": {
        "pt-BR": "Premissa: mercados sem tarifa própria na data usam a do mercado mais amplo "
                 "(México → Resto da América Latina → Outros); autenticação internacional e "
                 "marketing lite usam as tarifas de autenticação e marketing.",
        "en": "Assumption: markets without a rate of their own on a date use the broader "
              "market's (Mexico → Rest of Latin America → Other); authentication "
              "international and marketing lite use the authentication and marketing rates.",
    },
    "initiator": {
        "pt-BR": "Por mensagem, contam como iniciadas pelo usuário as mensagens de serviço e "
                 "as gratuitas na janela de atendimento ou de ponto de entrada.",
        "en": "Per message, service messages and those free in a customer-service or "
              "free-entry-point window count as user-initiated.",
    },
    "partial": {
        "pt-BR": "Os números são provisórios até sua consolidação, no 5º dia útil do mês "
                 "seguinte ({date}; contado sem feriados nacionais).",
        "en": "The figures are provisional until they are consolidated on the 5th business "
              "day of the following month ({date}; national holidays excluded).",
    },
    "days": {
        "pt-BR": "Dias no fuso horário de {tz}; dados até {as_of} (exclusive).",
        "en": "Days in the {tz} time zone; data up to {as_of} (exclusive).",
    },
    "privacy": {
        "pt-BR": "Números de telefone mascarados (código do país e 4 últimos dígitos).",
        "en": "Phone numbers are masked (country code and last 4 digits).",
    },
}


def _missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def _secondary(source: str) -> bool:
    """A rate card source that is not Meta's own card (its earlier, lower-confidence rows)."""
    return source.lower().startswith("secondary sources")


def _true(value) -> bool:
    """A flag of a bundle row: NULL (pandas' NA) is not true, and never asked for its truth."""
    return not _missing(value) and bool(value)


def _era_kind(era: str) -> str:
    """The source kind of Meta's analytics of a pricing era."""
    return "conversation_analytics" if era == "CBP" else "pricing_analytics"


def _estimate(rows: pd.DataFrame) -> float | None:
    """Our estimated cost of summary or cost rows: None (not available) when there are paid
    units and none of them has an estimate (no rate, or no country to name the market);
    paid units without one are counted apart (`paid_without_estimate`), never priced at zero."""
    known = rows["our_cost_usd"].dropna()
    if known.empty or (rows["paid"].fillna(0).sum() > 0
                       and not (rows["our_cost_usd"].notna() & (rows["paid"] > 0)).any()):
        return None
    return round(float(known.sum()), 4)


class ConsumptionReport(BaseReport):
    """Sections and figures of the consumption report for one bundle."""

    report_name = "consumption"
    prose = PROSE

    def __init__(self, bundle: Bundle, locale: str | None = None) -> None:
        super().__init__(bundle, locale)
        self.summary_df = bundle.table("consumption_summary")
        self.by_phone_df = bundle.table("consumption_by_phone")
        self.daily_df = bundle.table("consumption_daily")
        self.cost_df = bundle.table("consumption_cost")
        self.tier_updates_df = bundle.table("consumption_tier_updates")
        self.projection_df = bundle.table("consumption_projection")
        self.reconciliation_df = bundle.table("consumption_reconciliation")
        # a bundle built before these marts: nothing Meta has not reported is known
        self.unreported_df = bundle.table("consumption_unreported") \
            if "consumption_unreported" in bundle.tables() else pd.DataFrame(
                columns=["day", "era", "delivered", "paid", "cost_usd", "paid_without_rate",
                         "reported"])
        if "reported" not in self.daily_df:
            self.daily_df["reported"] = True

    # -- helpers -------------------------------------------------------------------------

    def _unreported_runs(self, kind: str | None = None) -> list[tuple[date, date]]:
        """The runs of days Meta's analytics have not reported yet while our records hold
        messages delivered on them (mart consumption_unreported), of one source kind (the
        pricing era of the day) or all."""
        df = self.unreported_df
        days = sorted(pd.Timestamp(r.day).date() for r in df.itertuples()
                      if not _true(r.reported) and (kind is None or _era_kind(r.era) == kind))
        runs: list[tuple[date, date]] = []
        for day in days:
            if runs and runs[-1][1] + timedelta(days=1) == day:
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        return runs

    def coverage(self) -> list[dict]:
        """The sources' coverage, with the days Meta's analytics have not reported yet named
        as days without a record (`missing_days`): named under the title, shaded on the daily
        chart, and in the manifest."""
        coverage = super().coverage()
        if not self._unreported_runs():
            return coverage
        for c in coverage:
            if c["kind"] in ("pricing_analytics", "conversation_analytics") and c["rows"]:
                c["missing_days"] = [[a.isoformat(), b.isoformat()]
                                     for a, b in self._unreported_runs(c["kind"])]
        return coverage

    def awaiting_meta(self) -> bool:
        """Part of the headline cost is our estimate of messages Meta does not cover yet."""
        return self._unreported_figures().get("unreported.cost_usd") is not None

    def consolidated_line(self, consolidation: date) -> str:
        """A consolidated month whose last messages Meta does not cover yet is not final: part
        of its cost is our estimate (said, and the badge stays "partial")."""
        if self.awaiting_meta():
            return self._say("consolidated.awaiting", date=self.fmt.date(consolidation))
        return super().consolidated_line(consolidation)

    def _unit_label(self) -> str:
        units = sorted(set(self.summary_df["unit"])) if len(self.summary_df) else ["message"]
        return " + ".join(self._t(u) for u in units)

    def _category(self, name: str) -> str:
        """A category in the reader's words; one the labels do not know, in Meta's words
        ("some_new_category" -> "Some new category"), never as the code."""
        return self._t(name) if name in LABELS else str(name).replace("_", " ").capitalize()

    def _money(self, value) -> str:
        """An amount, or "not available" where it cannot be computed (never a zero)."""
        return self._say("not_available") if _missing(value) else self.fmt.money(value)

    # -- figures -------------------------------------------------------------------------
    def figures(self) -> dict:
        """The headline numbers, flat: what the report shows, for manifest.json."""
        s = self.summary_df
        figures: dict = {
            "business_initiated": int(s.loc[s.initiator == "business", "quantity"].sum()),
            "user_initiated": int(s.loc[s.initiator == "user", "quantity"].sum()),
            "total": int(s["quantity"].sum()),
            "paid": int(s["paid"].sum()),
            "free": int(s["free"].sum()),
            "cost_usd.total": _estimate(s),
            "meta_cost_usd.total": (round(float(s["meta_cost_usd"].sum()), 4)
                                    if s["meta_cost_usd"].notna().any() else None),
            "paid_without_estimate": int(s["paid_without_estimate"].sum())
            if "paid_without_estimate" in s else 0,
            "paid_unknown": int(s["paid_unknown"].sum()) if "paid_unknown" in s else 0,
            **self._headline(s),
            **self._unreported_figures(),
            "partial": bool(self.info["partial"]),
            "units": sorted(set(s["unit"])),
        }
        for category in CATEGORY_ORDER:
            rows = s[s.category == category]
            if len(rows):
                figures[f"cost_usd.{category}"] = _estimate(rows)
                figures[f"paid.{category}"] = int(rows["paid"].sum())
        for unit in sorted(set(s["unit"])):
            rows = s[s.unit == unit]
            figures[f"{unit}.business_initiated"] = int(
                rows.loc[rows.initiator == "business", "quantity"].sum())
            figures[f"{unit}.user_initiated"] = int(
                rows.loc[rows.initiator == "user", "quantity"].sum())
        p = self.projection_df.set_index("metric") if len(self.projection_df) else None
        if p is not None and "cost_usd" in p.index:
            # the headline cost projected (Meta's where reported, else ours), as summed so far
            figures["projection.cost_usd"] = round(float(p.loc["cost_usd", "projected"]), 2)
            figures["projection.cost_usd_low"] = round(float(
                p.loc["cost_usd", "projected_low"]), 2)
            figures["projection.cost_usd_high"] = round(float(
                p.loc["cost_usd", "projected_high"]), 2)
            figures["projection.paid"] = round(float(p.loc["paid", "projected"]))
        figures.update(self._reconciliation_figures())
        return self._with_unreported(figures)

    def _reconciliation_figures(self) -> dict:
        """Days x categories beyond the tolerance (messages, cost) and how many are unexplained;
        None when we have no message records to reconcile (not available)."""
        df = self.reconciliation_df
        if df.empty or not df["delivered"].sum():
            return {"reconciliation.differences": None, "reconciliation.unexplained": None,
                    "reconciliation.cost_differences": None,
                    "reconciliation.cost_unexplained": None}
        as_of = self.bundle.as_of
        volume = reconciliation.volume_differences(df, as_of)
        cost = reconciliation.cost_differences(df, as_of)
        return {"reconciliation.differences": len(volume),
                "reconciliation.unexplained": sum(1 for d in volume if not d.explained),
                "reconciliation.cost_differences": len(cost),
                "reconciliation.cost_unexplained": sum(1 for d in cost if not d.explained)}

    @staticmethod
    def _headline(s) -> dict:
        """The headline cost: Meta's where Meta reports it, our estimate for the rest."""
        estimated = float(s["estimated_part_usd"].fillna(0).sum()) if len(s) else 0.0
        if not s["meta_cost_usd"].notna().any():
            source = "estimate"
        elif (s["points_without_meta_cost"] > 0).any() and estimated > 0:
            source = "mixed"
        else:
            source = "meta"
        headline = s["headline_cost_usd"]
        return {"cost_usd.headline": round(float(headline.sum()), 4)
                if headline.notna().any() else None,
                "cost_usd.headline_estimated": round(estimated, 4),
                "cost_usd.headline_source": source}

    def _unreported_figures(self) -> dict:
        """Our template messages Meta's analytics do not cover yet and our estimate of their
        cost (mart consumption_unreported); empty when there are none."""
        df = self.unreported_df
        if df.empty:
            return {}
        days = [pd.Timestamp(d).date() for d in df["day"]]
        costs = df["cost_usd"].dropna()
        return {"unreported.first": min(days).isoformat(), "unreported.last": max(days).isoformat(),
                "unreported.days": [[a.isoformat(), b.isoformat()]
                                    for a, b in self._unreported_runs()],
                "unreported.delivered": int(df["delivered"].sum()),
                "unreported.paid": int(df["paid"].sum()),
                "unreported.cost_usd": None if costs.empty else round(float(costs.sum()), 4),
                "unreported.paid_without_rate": int(df["paid_without_rate"].sum())}

    def _with_unreported(self, figures: dict) -> dict:
        """The headline cost with our estimate for the days Meta has not reported yet: Meta's
        cost where Meta reports it, ours (labelled an estimate) for what it has not."""
        cost = figures.get("unreported.cost_usd")
        if not cost:
            return figures
        figures["cost_usd.headline"] = round((figures["cost_usd.headline"] or 0) + cost, 4)
        figures["cost_usd.headline_estimated"] = round(
            figures["cost_usd.headline_estimated"] + cost, 4)
        if figures["cost_usd.headline_source"] == "meta":
            figures["cost_usd.headline_source"] = "mixed"
        return figures

    def _unreported_summary(self, f: dict) -> list[str]:
        """The sentence on our messages Meta does not cover yet, if any."""
        if "unreported.first" not in f:
            return []
        first, last = (date.fromisoformat(f[k]) for k in ("unreported.first", "unreported.last"))
        if f["unreported.cost_usd"] is None:  # no rate at all, or conversations billed
            key = "summary.unreported." + ("no_rate" if f["unreported.paid_without_rate"]
                                           else "no_estimate")
        else:
            key = "summary.unreported" + (".one" if f["unreported.delivered"] == 1 else "")
        text = self._say(key, when=self._missing_run(first, last),
                         delivered=self.fmt.number(f["unreported.delivered"]),
                         paid=self.fmt.number(f["unreported.paid"]),
                         cost=self._money(f["unreported.cost_usd"]))
        if f["unreported.paid_without_rate"] and f["unreported.cost_usd"] is not None:
            text += self._say("summary.unreported.without_rate",
                              count=self.fmt.number(f["unreported.paid_without_rate"]))
        return [text]

    # -- sections ------------------------------------------------------------------------
    def summary(self) -> present.Section:
        if self.no_data:  # no analytics at all: said, never a month of zeros
            return present.Section(self._t("section.summary"), [self._t("no_data")])
        f, s = self.figures(), self.summary_df
        source = f["cost_usd.headline_source"]
        prose = [self._say("summary", total=self.fmt.number(f["total"]),
                           unit=self._unit_label(), business=self.fmt.number(
                               f["business_initiated"]), user=self.fmt.number(
                               f["user_initiated"]), paid=self.fmt.number(f["paid"])),
                 self._say(f"summary.cost.{source}",
                           headline=self._money(f["cost_usd.headline"]),
                           # ours alone: with the days Meta has not reported, the headline
                           cost=self._money(f["cost_usd.headline"] if source == "estimate"
                                            and f.get("unreported.cost_usd")
                                            else f["cost_usd.total"]),
                           meta=self.fmt.money(f["meta_cost_usd.total"]),
                           estimated=self.fmt.money(f["cost_usd.headline_estimated"])),
                 *self._unreported_summary(f)]
        if f["paid_unknown"]:
            prose.append(self._say("summary.paid_unknown",
                                   count=self.fmt.number(f["paid_unknown"])))
        if f["paid_without_estimate"]:
            prose.append(self._say("summary.without_estimate" if self.info.get(
                "rate_card_date") else "summary.without_estimate.currency",
                count=self.fmt.number(f["paid_without_estimate"]),
                currency=self.fmt.currency_name()))
        costs = {c: f.get(f"cost_usd.{c}") or 0 for c in CATEGORY_ORDER}
        top = max(costs, key=costs.get)
        if (f["cost_usd.total"] or 0) > 0:
            prose.append(self._say("summary.top", category=self._category(top),
                                   share=self.fmt.percent(costs[top] / f["cost_usd.total"])))
        kpis = present.cards([
            (self._t("business"), self.fmt.number(f["business_initiated"])),
            (self._t("user"), self.fmt.number(f["user_initiated"])),
            (self._t("total"), self.fmt.number(f["total"])),
            (self._t("paid"), self.fmt.number(f["paid"])),
            (self._t("free"), self.fmt.number(f["free"])),
            (self._t(f"headline_cost.{source}"), self._money(f["cost_usd.headline"])),
        ])
        eras = s["era"].nunique() > 1
        rows = [([self._t(r.era)] if eras else []) +
                [self._t(r.initiator), self._category(r.category),
                 self._t(r.pricing_type), self.fmt.number(r.quantity), self.fmt.number(r.paid),
                 self.fmt.number(r.free), self.fmt.money(r.our_cost_usd),
                 self.fmt.money(r.meta_cost_usd) if pd.notna(r.meta_cost_usd)
                 else self._t("not_given")]
                for r in s.itertuples()]
        columns = [self._t(k) for k in (["era"] if eras else []) + [
            "initiator", "category", "pricing_type", "quantity", "paid", "free", "our_cost",
            "meta_cost"]]
        footer = [self._t("total")] + [""] * (2 + eras) + [
            self.fmt.number(f["total"]), self.fmt.number(f["paid"]),
            self.fmt.number(f["free"]), self._money(f["cost_usd.total"]),
            self.fmt.money(f["meta_cost_usd.total"]) if f["meta_cost_usd.total"]
            is not None else self._t("not_given")]
        numeric = [False] * (3 + eras) + [True] * 5
        window = self.provisional()
        if window.provisional and rows:  # Meta may still revise every figure of the month
            rows = present.mark_provisional(rows, [True] * len(rows), numeric)
            footer = present.mark_provisional([footer], [True], numeric)[0]
        body = kpis + (present.table(columns, rows, numeric, footer)
                       if rows else f"<p>{self._t('no_data')}</p>")
        if window.provisional and rows:
            body += present.note(trust.table_note(window, self.fmt))
        return present.Section(self._t("section.summary"), prose, body)

    def by_phone(self) -> present.Section:
        df = self.by_phone_df
        if df.empty:
            return present.Section(self._t("section.by_phone"), [self._t("no_data")])
        # Points of a response without the phone dimension have no number: said, not dropped.
        unsplit = df[df["phone_number"].isna()]
        df = df[df["phone_number"].notna()]
        missing = ([self._say("by_phone.not_broken_down",
                              quantity=self.fmt.number(unsplit["quantity"].sum()),
                              unit=self._unit_label())] if len(unsplit) else [])
        if df.empty:
            return present.Section(self._t("section.by_phone"), missing)
        volume = df.groupby(["phone_number", "label"])["quantity"].sum().sort_values(
            ascending=False)
        (top_number, top_label), top_value = volume.index[0], volume.iloc[0]
        # One number carries the whole volume: named, not "1 number … carries 100.0 %".
        first = self._say("by_phone.one", top=mask_phone(top_number),
                          label=f" ({top_label})" if top_label else "") if len(volume) == 1 \
            else self._say("by_phone", count=self.fmt.number(len(volume)),
                           top=mask_phone(top_number), label=top_label or "–",
                           share=self.fmt.percent(top_value / max(1, volume.sum())))
        prose = [first, self._say("by_phone.detail"), *missing]
        rows = [[mask_phone(r.phone_number), r.label or "–", self._category(r.category),
                 self._t(r.unit), self.fmt.number(r.quantity), self.fmt.number(r.paid),
                 self.fmt.number(r.free), self.fmt.money(r.our_cost_usd)]
                for r in df.itertuples()]
        columns = [self._t(k) for k in ("phone_number", "label", "category", "unit",
                                        "quantity", "paid", "free", "our_cost")]
        return present.Section(self._t("section.by_phone"), prose,
                               present.table(columns, rows, [False] * 4 + [True] * 4))

    def daily(self) -> present.Section:
        df = self.daily_df
        if df.empty or df["quantity"].sum() == 0:
            return present.Section(self._t("section.daily"), [self._t("no_data")])
        per_day = df.groupby(["day", "initiator"])["quantity"].sum().unstack(fill_value=0)
        # Units whose initiator Meta's data does not tell are a grey series of their own.
        keys = ["business", "user"] + (["not_reported"] if "not_reported" in per_day else [])
        per_day = per_day.reindex(columns=keys, fill_value=0)
        days = [d.date() if hasattr(d, "date") else d for d in per_day.index]
        totals = per_day.sum(axis=1)
        # complete days Meta has reported: a day it has not reported yet is no zero
        counted = df.groupby("day")["complete"].all() & df.groupby("day")["reported"].all()
        observed = totals[counted.values]
        peak_index = observed.idxmax() if len(observed) else totals.idxmax()
        # the peak day's own count: a larger one on an incomplete day (the as-of day's
        # analytics) is no complete day's, and was said beside the complete peak's date
        peak = totals[peak_index]
        peak_day = peak_index.date() if hasattr(peak_index, "date") else peak_index
        unit = self._unit_label()
        # With no complete day yet there is no busiest day nor daily mean (not a mean of 0).
        first = self._say("daily", day=self.fmt.date(peak_day), peak=self.fmt.number(peak),
                          unit=unit, mean=self.fmt.number(observed.mean())) if len(observed) \
            else self._say("daily.no_complete_day", day=self.fmt.date(peak_day),
                           peak=self.fmt.number(peak), unit=unit)
        runs = self._unreported_runs()
        prose = [first, *([self._say("daily.unreported", runs=self.fmt.names(
                     [self._missing_run(a, b) for a, b in runs]))] if runs else []),
                 self._say("daily.detail", tz=self.fmt.zone(self.info["timezone"]))]
        fig = charts.daily_stacked(
            days, {k: per_day[k].tolist() for k in keys},
            charts.INITIATOR_COLORS, {k: self._t(k) for k in keys},
            self._say("chart.daily", day=self.fmt.day_month(peak_day),
                      peak=self.fmt.number(peak), unit=unit), unit, self.fmt,
            provisional_from=self.provisional_chart_from(), missing=runs)
        return present.Section(self._t("section.daily"), prose,
                               present.figure_to_img(fig, self._t("section.daily")))

    def _rate_origin(self, row) -> str:
        """Where a rate comes from: the rate card (since when; marked when the row comes from
        secondary sources, `confidence` low) or Meta's own rate for a volume tier."""
        tier = getattr(row, "tier", None)
        if _true(getattr(row, "tier_rate", None)) and isinstance(tier, str):
            return self._t("rate_from.tier", tier=self._tier(tier))
        if pd.isna(row.rate_effective_from):
            return "–"
        text = self._t("rate_from.card",
                       date=self.fmt.date(row.rate_effective_from, "short"))
        low = getattr(row, "low_confidence", None)
        return text + (f" ({self._t('low_confidence')})" if _true(low) else "")

    def _market(self, market) -> str:
        key = f"market.{market}"
        return self._t(key) if isinstance(market, str) and key in LABELS else (
            market if isinstance(market, str) else "–")

    def _source(self, source: str) -> str:
        """The rate card's source, in the reader's language where it is one of the card's own
        two (Meta's published card, secondary sources)."""
        if source.startswith("Meta rate card"):
            return self._t("source.meta_card")
        if _secondary(source):
            return self._t("source.secondary")
        return source

    def _rate_card_note(self) -> str:
        """The card's sources and the date of its latest price change; the secondary sources
        are named only where the cost table marks a rate of theirs (never a mark nobody
        finds)."""
        if not self.info.get("rate_card_date"):
            return say(NOTES, "rate_card.none", self.locale,
                       currency=self.fmt.currency_name())
        sources = self.info["rate_card_sources"]
        low = self.cost_df["low_confidence"]
        marked = bool(low.fillna(False).astype(bool).any()) if len(low) else False
        named = [s for s in sources if not _secondary(s)] or sources
        note = say(NOTES, "rate_card", self.locale,
                   date=self.fmt.date(date.fromisoformat(self.info["rate_card_date"])),
                   source=", ".join(self._source(s) for s in named))
        if marked:
            note += " " + say(NOTES, "rate_card.secondary", self.locale,
                              mark=self._t("low_confidence"))
        return note

    def _tier(self, tier: str) -> str:
        """Meta's tier `lower:upper` in the words of the tiers section ('250.001 a 2.000.000',
        '2.000 ou mais'): one tier reads one way wherever it is shown."""
        lower, _, upper = tier.partition(":")
        try:
            low = int(lower)
        except ValueError:
            return tier
        try:
            return self._tier_range(low, int(upper))
        except ValueError:
            return self._tier_range(low, None)

    def cost(self) -> present.Section:
        df = self.cost_df
        if df.empty:
            return present.Section(self._t("section.cost"), [self._t("no_data")])
        estimate = _estimate(df)
        ours = estimate or 0.0
        meta_known = df["meta_cost_usd"].notna().any()
        meta = float(df["meta_cost_usd"].fillna(0).sum())
        prose = []
        # Like for like: with paid units our estimate leaves out (no rate), the estimate is
        # set against Meta's cost of the rows both price, and the rest is said apart.
        unpriced = df[df["our_cost_usd"].isna() & (df["paid"] > 0)]
        if meta_known and unpriced.empty:
            prose.append(self._say("cost", cost=self._money(estimate), meta=self.fmt.money(meta),
                                   diff=self._money(None) if estimate is None
                                   else self.fmt.money_difference(meta, estimate)))
        elif meta_known:
            both = df[df["our_cost_usd"].notna() & df["meta_cost_usd"].notna()]
            ours_both, meta_both = (float(both["our_cost_usd"].sum()),
                                    float(both["meta_cost_usd"].sum()))
            if len(both):
                prose.append(self._say("cost.both", cost=self.fmt.money(ours_both),
                                       meta=self.fmt.money(meta_both),
                                       diff=self.fmt.money_difference(meta_both, ours_both)))
            rest = unpriced["meta_cost_usd"]
            prose.append(self._say("cost.unpriced" if rest.notna().any()
                                   else "cost.unpriced.no_meta",
                                   count=self.fmt.number(unpriced["paid"].sum()),
                                   meta=self.fmt.money(float(rest.sum()))))
        if (df["points_without_meta_cost"] > 0).any():
            prose.append(self._say("cost.no_meta"))
        elif meta_known:
            prose.append(self._say("cost.detail"))
        # Categories with no estimate at all have no bar (not available, never a zero bar).
        by_category = df.groupby("category")["our_cost_usd"].sum(min_count=1).dropna()
        order = [c for c in CATEGORY_ORDER if c in by_category.index]
        top = by_category[order].idxmax() if order else None
        title = self._say("chart.cost", category=self._category(top), share=self.fmt.percent(
            float(by_category[top]) / ours)) if top and ours else self._t("our_cost")
        fig = charts.category_bars(order, [float(by_category[c]) for c in order],
                                   {c: self._category(c) for c in order}, title, self.fmt,
                                   money=True)
        rows = [[self._category(r.category), self._market(r.market), self._t(r.era),
                 self.fmt.rate(r.rate_usd), self._rate_origin(r),
                 self.fmt.number(r.paid), self._money(r.our_cost_usd),
                 self.fmt.money(r.meta_cost_usd) if pd.notna(r.meta_cost_usd)
                 else self._t("not_given"),
                 self.fmt.money_difference(r.meta_cost_usd, r.our_cost_usd)]
                for r in df.itertuples()]
        columns = [self._t(k, currency=self.fmt.currency_label()) for k in (
            "category", "market", "era", "rate", "rate_from", "paid", "our_cost", "meta_cost",
            "difference")]
        body = (present.figure_to_img(fig, self._t("section.cost")) if order else "") + (
            present.table(columns, rows, [False] * 3 + [True] * 6, words=[True] * 9))
        return present.Section(self._t("section.cost"), prose, body)

    def _tier_range(self, lower, upper) -> str:
        """A volume tier as the messages delivered in the month it spans ("25.000.001 a
        50.000.000"; an open upper bound "50.000.001 ou mais")."""
        if _missing(upper):
            return self._say("tier.open", lower=self.fmt.number(lower))
        return self._say("tier.range", lower=self.fmt.number(lower),
                         upper=self.fmt.number(upper))

    def volume_tiers(self) -> present.Section | None:
        """The volume tiers the business reached in the period's months, as Meta's webhooks
        said (market, category, tier, the day it was reached); None (nothing shown) when
        they said none: most months of most businesses reach no new tier."""
        df = self.tier_updates_df
        if df.empty:
            return None
        prose = [self._say("tiers.one" if len(df) == 1 else "tiers",
                           count=self.fmt.number(len(df))),
                 self._say("tiers.detail", tz=self.fmt.zone(self.info["timezone"]))]
        rows = [[self._market(pricing.market_of_region(r.region)), self._category(r.category),
                 self._tier_range(r.tier_lower, r.tier_upper),
                 self.fmt.date(pd.Timestamp(r.reached_day).date(), "short")]
                for r in df.itertuples()]
        columns = [self._t("market"), self._t("category"), self._say("column.tier"),
                   self._say("column.reached")]
        return present.Section(self._t("section.tiers"), prose,
                               present.table(columns, rows, [False, False, True, True],
                                             words=[True] * 4))

    def projection(self) -> present.Section:
        p = self.projection_df
        if p.empty and self.info["open"]:
            return present.Section(self._t("section.projection"), [self._say("projection.no_day")])
        if p.empty or not self.info["open"]:
            return present.Section(self._t("section.projection"),
                                   [self._say("projection.closed.estimated")]
                                   if self._unreported_figures().get("unreported.cost_usd") else
                                   [self._say("projection.closed"),
                                    self._say("projection.closed.detail")])
        row = p.set_index("metric").loc["cost_usd"]
        estimated = int(row.get("days_estimated", 0))
        prose = [self._say("projection", projected=self.fmt.money(row.projected),
                           low=self.fmt.money(row.projected_low),
                           high=self.fmt.money(row.projected_high)),
                 self._say("projection.detail" + (".estimated" if estimated else ""),
                           to_date=self.fmt.money(row.to_date),
                           days=self.fmt.number(row.days_observed),
                           remaining=self.fmt.number(row.days_remaining),
                           estimated=self.fmt.number(estimated))]
        daily = self._cost_so_far()
        days = [d.date() if hasattr(d, "date") else d for d in daily.index]
        fig = charts.projection(days, daily.cumsum().tolist(), self.bundle.period.end,
                                float(row.projected), float(row.projected_low),
                                float(row.projected_high),
                                self._say("chart.projection",
                                          projected=self.fmt.money(row.projected)),
                                self.fmt.currency_label(),
                                self.fmt, (self._t("to_date"), self._t("projected")))
        table_rows = [[self._projection_label(r.metric),
                       self.fmt.money(r.to_date) if r.metric == "cost_usd"
                       else self.fmt.number(r.to_date),
                       self.fmt.money(r.projected) if r.metric == "cost_usd"
                       else self.fmt.number(r.projected),
                       (f"{self.fmt.money(r.projected_low)} – {self.fmt.money(r.projected_high)}"
                        if r.metric == "cost_usd" else
                        f"{self.fmt.number(r.projected_low)} – "
                        f"{self.fmt.number(r.projected_high)}")]
                      for r in p.itertuples()]
        body = present.figure_to_img(fig, self._t("section.projection")) + present.table(
            [self._t(k) for k in ("metric", "to_date", "projected", "band")], table_rows,
            [False, True, True, True])
        return present.Section(self._t("section.projection"), prose, body)

    def _cost_so_far(self) -> pd.Series:
        """The headline cost of each complete day, as the projection sums it: Meta's (or our
        estimate of its points) and our estimate of the messages Meta does not cover yet."""
        df = self.daily_df
        cost = df[df["complete"]].groupby("day")["cost_usd"].sum()
        extra = self.unreported_df.dropna(subset=["cost_usd"])
        if len(extra):
            by_day = pd.Series(extra["cost_usd"].astype(float).values,
                               index=pd.to_datetime(extra["day"]))
            cost = cost.add(by_day.reindex(pd.to_datetime(cost.index)).fillna(0).values)
        return cost

    def _projection_label(self, metric: str) -> str:
        """A projection row's name: in the period's one unit ("Mensagens pagas"), as every
        other table of the report counts it, or in units where the period has two."""
        units = set(self.summary_df["unit"]) if len(self.summary_df) else {"message"}
        key = f"{metric}.metric.{next(iter(units))}" if len(units) == 1 else ""
        return self._t(key if key in LABELS else f"{metric}.metric")

    def reconciliation(self) -> present.Section:
        """Our delivered templates and cost against Meta's, per category for the period, then
        each day and category beyond the tolerance with its causes (its module
        reconciliation.py)."""
        df = self.reconciliation_df
        title = self._t("section.reconciliation")
        if df.empty:
            return present.Section(title, [self._t("no_data")])
        if not df["delivered"].sum():  # our side is missing: not available, not all Meta's
            return present.Section(title, [self._say("reconciliation.no_records")])
        as_of = self.bundle.as_of
        totals = reconciliation.by_category(df, as_of)
        volume = reconciliation.volume_differences(df, as_of)
        cost = reconciliation.cost_differences(df, as_of)
        reported = df[df["meta_volume"].notna()]
        ours, meta = int(reported["delivered"].sum()), int(reported["meta_volume"].sum())
        prose = [self._say("reconciliation", ours=self.fmt.number(ours),
                           meta=self.fmt.number(meta), diff=self.fmt.number(meta - ours)) + " "
                 + self._say("reconciliation.tolerance",
                             messages=self.fmt.number(reconciliation.TOLERANCE_MESSAGES),
                             share=self.fmt.percent(reconciliation.TOLERANCE_SHARE, 0))]
        if volume:
            unexplained = sum(1 for d in volume if not d.explained)
            if len(volume) == 1:
                prose.append(self._say("reconciliation.outcome.one", explained=self._say(
                    "reconciliation.unexplained" if unexplained else
                    "reconciliation.explained")))
            else:
                prose.append(self._say(
                    "reconciliation.outcome", count=self.fmt.number(len(volume)),
                    explained=self.fmt.number(len(volume) - unexplained),
                    unexplained=self.fmt.number(unexplained)))
        else:
            prose.append(self._say("reconciliation.none"))
        missing = reconciliation.not_available(df)
        if len(missing):
            days = missing["day"].nunique()
            prose.append(self._say("reconciliation.not_available" + (".one" if days == 1
                                                                      else ""),
                                   days=self.fmt.number(days),
                                   count=self.fmt.number(missing["delivered"].sum())))
        # Like for like: the days x categories where both costs are known; ours is not where
        # a paid message of ours has no rate (said apart, never priced at zero).
        # our messages of unknown category have no rate by their nature: compared in their
        # day's total (cause category_unknown), not said to lack a rate
        meta_costed = reported[reported["meta_cost_usd"].notna()
                               & (reported["category"] != reconciliation.UNKNOWN)]
        costed = meta_costed[meta_costed["our_cost_usd"].notna()]
        if len(costed):
            our_cost, meta_cost = (float(costed["our_cost_usd"].sum()),
                                   float(costed["meta_cost_usd"].sum()))
            prose.append(self._say("reconciliation.cost", ours=self.fmt.money(our_cost),
                                   meta=self.fmt.money(meta_cost),
                                   diff=self.fmt.money_difference(meta_cost, our_cost)))
        if len(meta_costed) > len(costed):
            prose.append(self._say("reconciliation.cost.without_rate", count=self.fmt.number(
                meta_costed["our_paid_without_rate"].sum())))
        elif len(reported) and not len(meta_costed):
            prose.append(self._say("reconciliation.cost.not_available"))
        body = self._reconciliation_totals(totals)
        if volume:
            body += f"<p>{present.esc(self._say('reconciliation.differences'))}</p>"
            body += self._differences_table(volume, money=False)
        if cost:
            body += f"<p>{present.esc(self._say('reconciliation.cost_differences'))}</p>"
            body += self._differences_table(cost, money=True)
        return present.Section(title, prose, body)

    def _reconciliation_totals(self, totals: pd.DataFrame) -> str:
        order = [c for c in CATEGORY_ORDER if c in set(totals["category"])] + sorted(
            set(totals["category"]) - set(CATEGORY_ORDER))
        rows = []
        for r in totals.set_index("category").loc[order].itertuples():
            meta = r.meta_volume if pd.notna(r.meta_volume) else None
            meta_cost = r.meta_cost_usd if pd.notna(r.meta_cost_usd) else None
            our_cost = r.our_cost_usd if pd.notna(r.our_cost_usd) else None
            rows.append([
                self._category(r.Index), self.fmt.number(r.delivered),
                self.fmt.number(meta) if meta is not None else self._say("not_available"),
                self.fmt.number(meta - r.delivered) if meta is not None else "–",
                self.fmt.number(r.unexplained_volume) if r.unexplained_volume else "–",
                self.fmt.money(our_cost) if our_cost is not None
                else self._say("not_available"),
                self.fmt.money(meta_cost) if meta_cost is not None
                else self._say("not_available"),
                self.fmt.money(r.unexplained_cost_usd) if r.unexplained_cost_usd else "–"])
        columns = [self._t("category"), self._say("column.ours"), self._say("column.meta"),
                   self._t("difference"), self._say("column.unexplained"),
                   self._say("column.our_cost"), self._say("column.meta_cost"),
                   self._say("column.cost_unexplained")]
        return present.table(columns, rows, [False] + [True] * 7, words=[True] * 8)

    def _cause_text(self, cause: str, part: float, money: bool) -> str:
        if cause == "meta_rates":
            return self._say("cause.meta_rates", amount=self.fmt.money(part))
        if cause == "not_final":
            return self._say("cause.not_final")
        if money:  # a count cause on the cost side: its money, beside the cause
            return self._say("cause.part", cause=self._say(f"cause.{cause}", n="").strip(),
                             amount=self.fmt.money(part))
        return self._say(f"cause.{cause}", n=self.fmt.number(abs(part)))

    def _shown_parts(self, d: reconciliation.Difference, money: bool) -> tuple[str, dict, float]:
        """A difference as its row shows it: the difference, the causes' parts, the unexplained
        rest. Money is shown in cents, so that a reader can check the row: the difference is
        that of the two amounts shown, and the parts (with what the tolerance let pass unnamed)
        are cents adding up to it. Whether the row is listed, and whether it is explained, was
        decided on the precise values (reconciliation.py)."""
        if not money:
            return self.fmt.number(d.difference), d.causes, d.unexplained
        total = cents(d.meta) - cents(d.ours)
        rest = d.difference - sum(d.causes.values())  # unexplained, or within the tolerance
        *parts, rest = split_cents(total, [*d.causes.values(), rest])
        return self.fmt.money(total), dict(zip(d.causes, parts, strict=True)), rest

    def _differences_table(self, found: list, money: bool) -> str:
        show = self.fmt.money if money else self.fmt.number
        # Unexplained first, then by day.
        found = sorted(found, key=lambda d: (d.explained, d.day, d.category))
        rows = []
        for d in found:
            difference, causes, unexplained = self._shown_parts(d, money)
            rows.append([self.fmt.date(d.day, "short"), self._category(d.category),
                         show(d.ours), show(d.meta), difference,
                         "; ".join(self._cause_text(c, part, money)
                                   for c, part in causes.items()) or "–",
                         show(unexplained) if not d.explained
                         # what the tolerance let pass unnamed, when its cents show: the
                         # row's parts then still add up to its difference
                         else self._say("tolerance.part", amount=show(unexplained))
                         if money and cents(unexplained) else "–"])
        ours, meta = (("column.our_cost", "column.meta_cost") if money
                      else ("column.ours", "column.meta"))
        columns = [self._say("column.day"), self._t("category"), self._say(ours),
                   self._say(meta), self._t("difference"), self._say("column.cause"),
                   self._say("column.unexplained")]
        return present.table(columns, rows, [False, False, True, True, True, False, True],
                             words=[True] * 7)

    def footnotes(self) -> present.Footnotes:
        info = self.info
        as_of = self.bundle.as_of
        notes = [
            say(NOTES, "source", self.locale,
                cbp_end=self.fmt.date(pricing.PMP_START - timedelta(days=1)),
                pmp_start=self.fmt.date(pricing.PMP_START)),
            self._rate_card_note(),
            say(NOTES, "fallback", self.locale),
            say(NOTES, "initiator", self.locale),
            say(NOTES, "days", self.locale, tz=self.fmt.zone(info["timezone"]),
                 as_of=self.fmt.date(as_of)),
            say(NOTES, "privacy", self.locale),
        ]
        if info["partial"]:
            notes.insert(0, say(NOTES, "partial", self.locale, date=self.fmt.date(
                date.fromisoformat(info["consolidation_date"]))))
        return present.Footnotes(self._t("section.notes"), notes)

