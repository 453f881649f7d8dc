"""The demo's tenant profiles and the parameters of its model (ballparks from docs/metrics.md,
"Plausible shapes"). Tenants beyond the three profiles cycle them with ids, phone numbers and
bots of their own, so that ingest's ownership checks see distinct tenants."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from reportlib.demo.desk import FUNNEL
from reportlib.params import PhoneNumber, TenantParams

CAMPAIGN_HOURS = (9, 18)
THROUGHPUT_PER_S = 25
DELIVERY_MEDIAN_S = 4.0
DELIVERY_LATE_SHARE = 0.04
LATE_DELIVERY_MEDIAN_S = 3600 * 5
READ_MEDIAN_MIN = 25.0
READ_WITHOUT_DELIVERED = 0.04
DUPLICATE_EVENT_SHARE = 0.03
WEBHOOK_LAG_S = 30  # mean lag of a webhook behind its event; duplicates come ~600 s later
EXPORT_LAG_EVERY = 9  # every 9th notification lacks its read and reply in the platform export
TIER_VOLUME = 2000
TIER_DISCOUNT = 0.10
VARIANT_READ_LIFT = 0.10
TICKET_SHARE = {"campaign": 0.5, "agent": 1.0, "api": 0.0}
FREE_SERVICE_SHARE = 0.3  # agent templates sent inside an open customer-service window
FREE_TIER_CONVERSATIONS = 1000
SCHEDULED_AHEAD = 2  # campaigns scheduled after as-of, not sent yet

SENDERS = ("campaign", "agent", "api")
CATEGORIES = ("marketing", "utility", "authentication")
# Users' hour-of-day rhythm (0..23), for authentication codes and service traffic.
USER_HOUR_WEIGHTS = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.2, 3, 5, 6, 6.5, 6.5, 6, 6, 6, 6, 6, 6, 5.5, 5.5, 5, 4, 3, 2]
)
WEEKDAY_WEIGHTS = np.array([1.15, 1.05, 1.0, 1.0, 1.0, 0.75, 0.55])  # Monday..Sunday
SUNDAY_READ_FACTOR = 0.85

# category: (failure share, read share of delivered, reply share of delivered)
OUTCOMES = {
    "marketing": (0.09, 0.52, 0.07),
    "utility": (0.04, 0.80, 0.12),
    "authentication": (0.03, 0.86, 0.01),
}
ERROR_CODES = {
    "marketing": {131026: 0.48, 131049: 0.22, 131050: 0.10, 130472: 0.08, 131047: 0.04,
                  130429: 0.03, 132001: 0.02, 131000: 0.02, 135000: 0.01},
    "utility": {131026: 0.66, 131047: 0.10, 130429: 0.08, 131000: 0.06,
                132000: 0.05, 133010: 0.05},
    "authentication": {131026: 0.66, 131047: 0.08, 130429: 0.10, 131000: 0.08, 131056: 0.08},
}
FAILS_BEFORE_SENT = (132000, 132001, 132005, 132007, 132012, 132015, 132016, 131008, 131009,
                     131051, 133010)
ERROR_TITLES = {131026: "Message undeliverable", 131049: "This message was not delivered to "
                "maintain healthy ecosystem engagement.", 131050: "User has stopped "
                "receiving marketing messages", 130472: "User's number is part of an "
                "experiment", 131047: "Re-engagement message", 130429: "Rate limit hit",
                132001: "Template does not exist", 131000: "Something went wrong",
                132000: "Number of parameters does not match", 133010: "Phone number not "
                "registered", 131056: "Pair rate limit hit", 135000: "Generic user error"}


@dataclass(frozen=True)
class CampaignPlan:
    name: str
    template: str
    category: str
    audience: int


@dataclass(frozen=True)
class Profile:
    tenant: TenantParams
    code: str  # short prefix of the tenant's campaign, ticket and message ids
    campaigns_per_week: float
    campaigns: tuple[CampaignPlan, ...]
    auth_per_day: float
    agent_per_day: float
    service_per_day: float  # user-initiated conversations
    fep_share: float
    contacts: int
    foreign_share: float
    csv_style: str  # iso-offset | dmy-semicolon | iso-local
    provider_billed: bool = False
    variants: bool = False
    broken_rows: bool = False  # two malformed notification rows, as real exports have
    limit_incident: bool = False  # one day of marketing sends over Meta's per-user limit


# One incident, so that the demo shows an anomaly flag: on the second Tuesday before as-of,
# this share of the marketing messages that would have been delivered fail with 131049 (Meta's
# per-user marketing limit: users who already got many marketing messages that week).
LIMIT_INCIDENT_SHARE = 0.30
LIMIT_INCIDENT_CODE = 131049


def limit_incident_day(as_of: date) -> date:
    """The second Tuesday before as-of (as-of 2026-11-20: Tuesday 2026-11-10)."""
    last = as_of - timedelta(days=(as_of.weekday() - 1) % 7 or 7)
    return last - timedelta(weeks=1)


def variant_days(day: date) -> tuple[int, ...]:
    """Days of a month with an A/B pair: the first weekday from the 6th and from the 20th."""
    first = next(d for d in range(6, 9) if day.replace(day=d).weekday() < 5)
    second = next(d for d in range(20, 23) if day.replace(day=d).weekday() < 5)
    return (first, second)


def variant_pairs(day: date) -> list[tuple[CampaignPlan, float, float, str]]:
    """A/B tests on comparable audiences, as (plan, send hour, read lift, campaign name): two
    templates with a real difference in read rate (B +`VARIANT_READ_LIFT`) on the 6th-8th,
    two send hours without one on the 20th-22nd."""
    month = day.strftime("%m/%Y")
    if day.day <= 10:
        return [(CampaignPlan("VIP", "vip_oferta_a", "marketing", 1000), 10.0, 0.0,
                 f"Clube VIP {month} – A"),
                (CampaignPlan("VIP", "vip_oferta_b", "marketing", 1000), 10.5,
                 VARIANT_READ_LIFT, f"Clube VIP {month} – B")]
    plan = CampaignPlan("Relâmpago", "oferta_relampago", "marketing", 900)
    return [(plan, 10.0, 0.0, f"Oferta relâmpago {month} – 10h"),
            (plan, 15.0, 0.0, f"Oferta relâmpago {month} – 15h")]


DEMO_OPTIONS = {"funnels": [{"name": "Pedido pelo menu",
                             "steps": [list(step) for step in FUNNEL]}]}
DEMO_OPTIONS_EN = {"funnels": [{"name": "Order from the menu",
                                "steps": [list(step) for step in FUNNEL]}]}
# The names the tenants give their events (params `event_names:`): the reports show these, in
# the tenant's language, not the platform's values (`menu`, `option_selected`, `opcao_1`).
EVENT_NAMES_PT = {
    "categories": {"menu": "Menu principal", "pedido": "Pedido"},
    "actions": {"open": "Abertura", "option_selected": "Opção escolhida", "started": "Início",
                "confirmed": "Confirmação"},
    "labels": {"opcao_1": "Ofertas", "opcao_2": "Meus pedidos", "opcao_3": "Trocas",
               "opcao_4": "Falar com atendente"},
}
EVENT_NAMES_EN = {
    "categories": {"menu": "Main menu", "pedido": "Order"},
    "actions": {"open": "Opened", "option_selected": "Option chosen", "started": "Started",
                "confirmed": "Confirmed"},
    "labels": {"opcao_1": "Offers", "opcao_2": "My orders", "opcao_3": "Returns",
               "opcao_4": "Talk to an agent"},
}

PROFILES = (
    Profile(
        tenant=TenantParams(
            tenant_id="varejo_sul", display_name="Varejo Sul", timezone="America/Sao_Paulo",
            locale="pt-BR", phone_numbers=(
                PhoneNumber("110000000000001", "+55 11 4000-1001", "200000000000001", "Ofertas"),
                PhoneNumber("110000000000002", "+55 11 4000-1002", "200000000000001", "SAC"),
            ), bots=("varejo-router", "varejo-ofertas", "varejo-sac"),
            bot_names={"varejo-router": "Triagem", "varejo-ofertas": "Ofertas",
                       "varejo-sac": "SAC"},
            event_names=EVENT_NAMES_PT,
            recipients={"consumption": ["financeiro@varejosul.example"]},
            options=DEMO_OPTIONS,
        ),
        code="var", campaigns_per_week=3, contacts=9000, foreign_share=0.02,
        csv_style="iso-offset",
        campaigns=(
            CampaignPlan("Black Friday – aquecimento", "bf_aquecimento_v2", "marketing", 900),
            CampaignPlan("Carrinho abandonado", "carrinho_abandonado", "marketing", 500),
            CampaignPlan("Ofertas da semana", "ofertas_semana", "marketing", 700),
            CampaignPlan("Pedido enviado", "pedido_enviado", "utility", 450),
        ),
        auth_per_day=25, agent_per_day=18, service_per_day=90, fep_share=0.18,
        variants=True, broken_rows=True, limit_incident=True,
    ),
    Profile(
        tenant=TenantParams(
            tenant_id="banco_aurora", display_name="Banco Aurora", timezone="America/Sao_Paulo",
            locale="en", phone_numbers=(
                PhoneNumber("120000000000001", "+55 21 3000-2001", "210000000000001", "Tokens"),
                PhoneNumber("120000000000002", "+55 21 3000-2002", "210000000000001", "Statements"),
            ), bots=("aurora-router", "aurora-atendimento"),
            bot_names={"aurora-router": "Triage", "aurora-atendimento": "Customer service"},
            event_names=EVENT_NAMES_EN,
            recipients={"consumption": ["cfo@aurora.example", "ops@aurora.example"]},
            options=DEMO_OPTIONS_EN,
        ),
        code="ban", campaigns_per_week=1.5, contacts=12000, foreign_share=0.0,
        csv_style="dmy-semicolon",
        campaigns=(
            CampaignPlan("Statement ready", "statement_ready", "utility", 1000),
            CampaignPlan("Pre-approved credit limit", "preapproved_limit", "marketing", 900),
        ),
        auth_per_day=80, agent_per_day=10, service_per_day=70, fep_share=0.03,
    ),
    Profile(
        tenant=TenantParams(
            tenant_id="conecta_servicos", display_name="Conecta Serviços",
            timezone="America/Manaus", locale="pt-BR", phone_numbers=(
                PhoneNumber("130000000000001", "+55 92 3500-3001", "220000000000001",
                            "Atendimento"),
            ), bots=("conecta-atendimento",),
            bot_names={"conecta-atendimento": "Atendimento"},
            event_names=EVENT_NAMES_PT,
            recipients={"consumption": ["gestao@conecta.example"]},
            options=DEMO_OPTIONS,
        ),
        code="con", campaigns_per_week=0.7, contacts=5000, foreign_share=0.0,
        csv_style="iso-local",
        campaigns=(
            CampaignPlan("Visita técnica agendada", "visita_agendada", "utility", 300),
            CampaignPlan("Pesquisa de satisfação", "pesquisa_nps", "marketing", 400),
        ),
        auth_per_day=8, agent_per_day=30, service_per_day=260, fep_share=0.08,
        provider_billed=True,
    ),
)
MAX_TENANTS = 300  # copies stay below 1000 per profile, so the numbers below never collide


def _shifted_display(display: str, copy: int) -> str:
    """'+55 11 4000-1001' -> '+55 11 4003-1001' for copy 3: the same area, another line."""
    head, line = display.rsplit(" ", 1)
    exchange, rest = line.split("-")
    return f"{head} {int(exchange) + copy}-{rest}"


def tenant_profile(number: int) -> Profile:
    """Demo tenant `number` (0-based): the three profiles in turn. The first three keep their
    own names; later ones (`varejo_sul_4`, `banco_aurora_5`, ...) get their own id, display
    name, phone-number ids, display numbers, WABA and bots, because ingest rejects a number
    or bot that belongs to another tenant."""
    if not 0 <= number < MAX_TENANTS:
        raise ValueError(f"--tenants must be 1..{MAX_TENANTS}")
    base = PROFILES[number % len(PROFILES)]
    copy = number // len(PROFILES)
    if copy == 0:
        return base
    suffix = number + 1
    tenant = replace(
        base.tenant, tenant_id=f"{base.tenant.tenant_id}_{suffix}",
        display_name=f"{base.tenant.display_name} {suffix}",
        phone_numbers=tuple(
            PhoneNumber(str(int(p.phone_number_id) + copy * 1000),
                        _shifted_display(p.display_phone_number, copy),
                        str(int(p.waba_id) + copy * 1000), p.label)
            for p in base.tenant.phone_numbers),
        bots=tuple(f"{bot}-{suffix}" for bot in base.tenant.bots),
        bot_names={f"{bot}-{suffix}": name for bot, name in base.tenant.bot_names.items()})
    return replace(base, tenant=tenant, code=f"{base.code}{suffix}")
