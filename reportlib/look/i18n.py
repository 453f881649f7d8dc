"""Labels, numbers, currency and dates for pt-BR (default) and en, through Babel.

Code is English; only user-facing words live here. `t(key, locale)` looks a label up;
`Formatter` formats numbers, money and dates in one locale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from reportlib import registry

DEFAULT_LOCALE = "pt-BR"

LABELS: dict[str, dict[str, str]] = {
    "consumption.title": {"pt-BR": "Consumo de WhatsApp", "en": "WhatsApp consumption"},
    # The badge beside the period (reports/base.py): partial while the period is open (and
    # consumption until its consolidation), provisional once it is over while its figures may
    # still change.
    "badge.partial.consumption": {"pt-BR": "Consumo parcial", "en": "Partial consumption"},
    "badge.partial": {"pt-BR": "Dados parciais", "en": "Partial data"},
    "badge.provisional": {"pt-BR": "Números provisórios", "en": "Provisional figures"},
    "campaign_status.Scheduled": {"pt-BR": "Agendada", "en": "Scheduled"},
    "campaign_status.Processing": {"pt-BR": "Enviando", "en": "Sending"},
    "campaign_status.Sent": {"pt-BR": "Enviada", "en": "Sent"},
    "campaign_status.Canceled": {"pt-BR": "Cancelada", "en": "Canceled"},
    "campaign_status.Failed": {"pt-BR": "Falhou", "en": "Failed"},
    "partial.note": {
        "pt-BR": "Os números deste período são parciais até a consolidação em {date}.",
        "en": "This period's figures are partial until they are consolidated on {date}.",
    },
    "consolidated": {"pt-BR": "Consolidado em {date}", "en": "Consolidated on {date}"},
    "section.summary": {"pt-BR": "Resumo", "en": "Summary"},
    "section.by_phone": {"pt-BR": "Por número de telefone", "en": "By phone number"},
    "section.daily": {"pt-BR": "Contagem diária", "en": "Daily count"},
    "section.cost": {"pt-BR": "Custo", "en": "Cost"},
    "section.projection": {"pt-BR": "Projeção", "en": "Projection"},
    "section.tiers": {"pt-BR": "Faixas de volume alcançadas", "en": "Volume tiers reached"},
    "section.reconciliation": {"pt-BR": "Conciliação", "en": "Reconciliation"},
    "section.notes": {"pt-BR": "Notas", "en": "Notes"},
    "business": {"pt-BR": "Iniciadas pela empresa", "en": "Business-initiated"},
    "user": {"pt-BR": "Iniciadas pelo usuário", "en": "User-initiated"},
    "not_reported": {"pt-BR": "Origem não informada pela Meta",
                     "en": "Origin not reported by Meta"},
    "total": {"pt-BR": "Total", "en": "Total"},
    "paid": {"pt-BR": "Pagas", "en": "Paid"},
    "free": {"pt-BR": "Gratuitas", "en": "Free"},
    "conversation": {"pt-BR": "conversas", "en": "conversations"},
    "message": {"pt-BR": "mensagens", "en": "messages"},
    "category": {"pt-BR": "Categoria", "en": "Category"},
    "pricing_type": {"pt-BR": "Tipo de cobrança", "en": "Pricing type"},
    "initiator": {"pt-BR": "Origem", "en": "Initiated by"},
    "unit": {"pt-BR": "Unidade", "en": "Unit"},
    "era": {"pt-BR": "Modelo de preço", "en": "Pricing model"},
    "quantity": {"pt-BR": "Quantidade", "en": "Quantity"},
    "phone_number": {"pt-BR": "Número", "en": "Number"},
    "label": {"pt-BR": "Nome", "en": "Name"},
    "market": {"pt-BR": "Mercado", "en": "Market"},
    "rate": {"pt-BR": "Tarifa ({currency})", "en": "Rate ({currency})"},
    "rate_from": {"pt-BR": "Origem da tarifa", "en": "Rate from"},
    "rate_from.card": {"pt-BR": "tabela, desde {date}", "en": "rate card, since {date}"},
    "rate_from.tier": {"pt-BR": "Meta, faixa {tier}", "en": "Meta, tier {tier}"},
    "market.Brazil": {"pt-BR": "Brasil", "en": "Brazil"},
    "market.Mexico": {"pt-BR": "México", "en": "Mexico"},
    "market.North America": {"pt-BR": "América do Norte", "en": "North America"},
    "market.Rest of Latin America": {"pt-BR": "Resto da América Latina",
                                     "en": "Rest of Latin America"},
    "market.Other": {"pt-BR": "Outros", "en": "Other"},
    # Meta's other pricing markets (a volume tier update's `region`), not markets of the card.
    "market.Argentina": {"pt-BR": "Argentina", "en": "Argentina"},
    "market.Chile": {"pt-BR": "Chile", "en": "Chile"},
    "market.Colombia": {"pt-BR": "Colômbia", "en": "Colombia"},
    "market.Egypt": {"pt-BR": "Egito", "en": "Egypt"},
    "market.France": {"pt-BR": "França", "en": "France"},
    "market.Germany": {"pt-BR": "Alemanha", "en": "Germany"},
    "market.India": {"pt-BR": "Índia", "en": "India"},
    "market.Indonesia": {"pt-BR": "Indonésia", "en": "Indonesia"},
    "market.Israel": {"pt-BR": "Israel", "en": "Israel"},
    "market.Italy": {"pt-BR": "Itália", "en": "Italy"},
    "market.Malaysia": {"pt-BR": "Malásia", "en": "Malaysia"},
    "market.Netherlands": {"pt-BR": "Países Baixos", "en": "Netherlands"},
    "market.Nigeria": {"pt-BR": "Nigéria", "en": "Nigeria"},
    "market.Pakistan": {"pt-BR": "Paquistão", "en": "Pakistan"},
    "market.Peru": {"pt-BR": "Peru", "en": "Peru"},
    "market.Russia": {"pt-BR": "Rússia", "en": "Russia"},
    "market.Saudi Arabia": {"pt-BR": "Arábia Saudita", "en": "Saudi Arabia"},
    "market.South Africa": {"pt-BR": "África do Sul", "en": "South Africa"},
    "market.Spain": {"pt-BR": "Espanha", "en": "Spain"},
    "market.Turkey": {"pt-BR": "Turquia", "en": "Turkey"},
    "market.United Arab Emirates": {"pt-BR": "Emirados Árabes Unidos",
                                    "en": "United Arab Emirates"},
    "market.United Kingdom": {"pt-BR": "Reino Unido", "en": "United Kingdom"},
    "market.Rest of Africa": {"pt-BR": "Resto da África", "en": "Rest of Africa"},
    "market.Rest of Asia Pacific": {"pt-BR": "Resto da Ásia-Pacífico",
                                    "en": "Rest of Asia Pacific"},
    "market.Rest of Central & Eastern Europe": {"pt-BR": "Resto da Europa Central e Oriental",
                                                "en": "Rest of Central & Eastern Europe"},
    "market.Rest of Middle East": {"pt-BR": "Resto do Oriente Médio",
                                   "en": "Rest of Middle East"},
    "market.Rest of Western Europe": {"pt-BR": "Resto da Europa Ocidental",
                                      "en": "Rest of Western Europe"},
    "our_cost": {"pt-BR": "Custo estimado", "en": "Estimated cost"},
    "meta_cost": {"pt-BR": "Custo da Meta", "en": "Meta's cost"},
    "headline_cost.meta": {"pt-BR": "Custo (Meta)", "en": "Cost (Meta)"},
    "headline_cost.mixed": {"pt-BR": "Custo (Meta + estimativa)", "en": "Cost (Meta + estimate)"},
    "headline_cost.estimate": {"pt-BR": "Custo estimado", "en": "Estimated cost"},
    "difference": {"pt-BR": "Diferença", "en": "Difference"},
    "day": {"pt-BR": "Dia", "en": "Day"},
    "to_date": {"pt-BR": "Até agora", "en": "To date"},
    "projected": {"pt-BR": "Projeção do mês", "en": "Month projection"},
    "band": {"pt-BR": "Faixa", "en": "Range"},
    "metric": {"pt-BR": "Medida", "en": "Measure"},
    "delivered_in_webhooks": {"pt-BR": "Entregues (webhooks)", "en": "Delivered (webhooks)"},
    "meta_volume": {"pt-BR": "Volume Meta", "en": "Meta's volume"},
    "coverage.no_data": {
        "pt-BR": "Sem dados neste período: nenhuma das fontes deste relatório tem registros "
                 "nestes dias, e nenhum número é mostrado como zero.",
        "en": "No data in this period: none of this report's sources has records on these "
              "days, and no figure is shown as zero."},
    "coverage.none": {"pt-BR": "{source}: nenhum registro no período.",
                      "en": "{source}: no records in the period."},
    "coverage.rows": {"pt-BR": "{source}: {rows} registros em {days} dias ({first} a {last}).",
                      "en": "{source}: {rows} records on {days} days ({first} to {last})."},
    "coverage.begins": {"pt-BR": " Os registros começam em {day}: os dias anteriores não estão "
                                 "disponíveis.",
                        "en": " The records begin on {day}: the days before are not available."},
    "coverage.missing": {"pt-BR": " Nenhum registro {runs}.", "en": " No records {runs}."},
    "coverage.run": {"pt-BR": "de {first} a {last}", "en": "from {first} to {last}"},
    "coverage.day": {"pt-BR": "em {day}", "en": "on {day}"},
    "coverage.rows.day": {"pt-BR": "{source}: {rows} registros em {day}.",
                          "en": "{source}: {rows} records on {day}."},
    "coverage.rows.one": {"pt-BR": "{source}: 1 registro, em {day}.",
                          "en": "{source}: 1 record, on {day}."},
    "coverage.rejected": {"pt-BR": " {rejected} linhas rejeitadas na importação.",
                          "en": " {rejected} rows rejected at import."},
    "coverage.rejected.one": {"pt-BR": " 1 linha rejeitada na importação.",
                              "en": " 1 row rejected at import."},
    "source.notifications": {"pt-BR": "Notificações da plataforma",
                             "en": "Platform notifications"},
    "source.whatsapp_webhooks": {"pt-BR": "Status do WhatsApp (webhooks)",
                                 "en": "WhatsApp statuses (webhooks)"},
    "source.campaigns": {"pt-BR": "Campanhas", "en": "Campaigns"},
    "source.pricing_analytics": {"pt-BR": "Análises de preço da Meta",
                                 "en": "Meta's pricing analytics"},
    "source.conversation_analytics": {"pt-BR": "Análises de conversas da Meta",
                                      "en": "Meta's conversation analytics"},
    "source.bot_messages": {"pt-BR": "Mensagens dos bots", "en": "Bot messages"},
    "source.event_tracks": {"pt-BR": "Eventos personalizados", "en": "Custom events"},
    "source.tickets": {"pt-BR": "Tickets de atendimento", "en": "Help-desk tickets"},
    "source.ticket_messages": {"pt-BR": "Mensagens dos tickets", "en": "Ticket messages"},
    "source.agent_status": {"pt-BR": "Status dos atendentes", "en": "Agent statuses"},
    "low_confidence": {"pt-BR": "fonte secundária", "en": "secondary source"},
    "free_window_in_webhooks": {"pt-BR": "Em janela gratuita (webhooks)",
                                "en": "In a free window (webhooks)"},
    "meta_free_volume": {"pt-BR": "Gratuitas (Meta)", "en": "Free (Meta)"},
    "source.meta_card": {"pt-BR": "tabela de preços publicada pela Meta",
                         "en": "Meta's published rate card"},
    "source.secondary": {"pt-BR": "fontes secundárias", "en": "secondary sources"},
    "meta_says": {"pt-BR": "Meta, em inglês", "en": "Meta"},
    "not_given": {"pt-BR": "não informado", "en": "not given"},
    "no_data": {"pt-BR": "Sem dados neste período.", "en": "No data in this period."},
    # A daily chart draws complete days only: an open period on its first day has none yet,
    # while its counts so far (the as-of day's) are not nothing.
    "no_complete_day": {"pt-BR": "Nenhum dia do período está completo ainda.",
                        "en": "No day of the period is complete yet."},
    "generated": {"pt-BR": "Dados até {date} (exclusive)", "en": "Data up to {date} (exclusive)"},
    "marketing": {"pt-BR": "Marketing", "en": "Marketing"},
    "utility": {"pt-BR": "Utilidade", "en": "Utility"},
    "authentication": {"pt-BR": "Autenticação", "en": "Authentication"},
    "authentication_international": {"pt-BR": "Autenticação internacional",
                                     "en": "Authentication (international)"},
    "marketing_lite": {"pt-BR": "Marketing lite", "en": "Marketing lite"},
    "service": {"pt-BR": "Serviço", "en": "Service"},
    "marketing_lite_dynamic": {"pt-BR": "Marketing lite dinâmico",
                               "en": "Marketing lite (dynamic)"},
    "group_marketing": {"pt-BR": "Marketing em grupos", "en": "Group marketing"},
    "group_marketing_lite": {"pt-BR": "Marketing lite em grupos", "en": "Group marketing lite"},
    "group_utility": {"pt-BR": "Utilidade em grupos", "en": "Group utility"},
    "group_service": {"pt-BR": "Serviço em grupos", "en": "Group service"},
    "referral_conversion": {"pt-BR": "Conversão de anúncio", "en": "Referral conversion"},
    "unknown": {"pt-BR": "Categoria não informada", "en": "Category not reported"},
    "UNKNOWN": {"pt-BR": "Tipo não informado", "en": "Type not reported"},
    "REGULAR": {"pt-BR": "Regular", "en": "Regular"},
    "FREE_TIER": {"pt-BR": "Franquia gratuita", "en": "Free tier"},
    "FREE_ENTRY_POINT": {"pt-BR": "Ponto de entrada gratuito", "en": "Free entry point"},
    "FREE_CUSTOMER_SERVICE": {"pt-BR": "Janela de atendimento", "en": "Customer service window"},
    "FREE_GROUP_CUSTOMER_SERVICE": {"pt-BR": "Janela de atendimento em grupo",
                                    "en": "Group customer service window"},
    "CBP": {"pt-BR": "Por conversa", "en": "Per conversation"},
    "PMP": {"pt-BR": "Por mensagem", "en": "Per message"},
    "campaigns.title": {"pt-BR": "Campanhas de mensagens ativas", "en": "Active-message campaigns"},
    "desk.title": {"pt-BR": "Acompanhamento de mensagens ativas do atendimento",
                   "en": "Help-desk active messages follow-up"},
    "section.campaigns": {"pt-BR": "Campanhas", "en": "Campaigns"},
    "section.rates": {"pt-BR": "Taxas e denominadores", "en": "Rates and denominators"},
    "section.scheduled": {"pt-BR": "Agendadas, ainda não enviadas",
                          "en": "Scheduled, not sent yet"},
    "section.funnel": {"pt-BR": "Funil de status", "en": "Status funnel"},
    "section.failures": {"pt-BR": "Causas de falha", "en": "Failure causes"},
    "section.time_to_read": {"pt-BR": "Tempo até a leitura", "en": "Time to read"},
    "section.peaks": {"pt-BR": "Picos de engajamento", "en": "Engagement peaks"},
    "section.variants": {"pt-BR": "Comparação de variantes", "en": "Variant comparison"},
    "section.desk_status": {"pt-BR": "Status no atendimento", "en": "Desk status"},
    "section.actions": {"pt-BR": "Ações pendentes", "en": "Needs action now"},
    "section.tickets": {"pt-BR": "Conversão em tickets", "en": "Conversion into tickets"},
    "section.agents": {"pt-BR": "Por agente", "en": "By agent"},
    "campaign": {"pt-BR": "Campanha", "en": "Campaign"},
    "template": {"pt-BR": "Modelo", "en": "Template"},
    "scheduled_at": {"pt-BR": "Agendada para", "en": "Scheduled at"},
    "sent_at": {"pt-BR": "Enviada em", "en": "Sent at"},
    "audience": {"pt-BR": "Público", "en": "Audience"},
    "invalid": {"pt-BR": "Inválidos", "en": "Invalid"},
    "sent": {"pt-BR": "Enviadas", "en": "Sent"},
    "failed": {"pt-BR": "Falhas", "en": "Failed"},
    "received": {"pt-BR": "Recebidas", "en": "Received"},
    "read": {"pt-BR": "Lidas", "en": "Read"},
    "replied": {"pt-BR": "Respondidas", "en": "Replied"},
    "ticket": {"pt-BR": "Tickets", "en": "Tickets"},
    "delivery_rate": {"pt-BR": "Taxa de entrega", "en": "Delivery rate"},
    "read_rate": {"pt-BR": "Taxa de leitura", "en": "Read rate"},
    "failure_rate": {"pt-BR": "Taxa de falha", "en": "Failure rate"},
    "reply_rate": {"pt-BR": "Taxa de resposta", "en": "Reply rate"},
    "ticket_rate": {"pt-BR": "Taxa de ticket", "en": "Ticket rate"},
    "error_code": {"pt-BR": "Código", "en": "Code"},
    "meaning": {"pt-BR": "Significado", "en": "Meaning"},
    "retry": {"pt-BR": "Reenviar?", "en": "Retry?"},
    "action": {"pt-BR": "O que fazer", "en": "What to do"},
    "messages": {"pt-BR": "Mensagens", "en": "Messages"},
    "median": {"pt-BR": "Mediana", "en": "Median"},
    "p90": {"pt-BR": "P90", "en": "P90"},
    "minutes": {"pt-BR": "minutos", "en": "minutes"},
    "variant_a": {"pt-BR": "Variante A", "en": "Variant A"},
    "variant_b": {"pt-BR": "Variante B", "en": "Variant B"},
    "measure": {"pt-BR": "Medida", "en": "Measure"},
    "result": {"pt-BR": "Resultado", "en": "Result"},
    "agent": {"pt-BR": "Agente", "en": "Agent"},
    "recipient": {"pt-BR": "Destinatário", "en": "Recipient"},
    "status": {"pt-BR": "Status", "en": "Status"},
    "desk.sending": {"pt-BR": "Enviando", "en": "Sending"},
    "desk.sent": {"pt-BR": "Enviada", "en": "Sent"},
    "desk.delivered": {"pt-BR": "Entregue", "en": "Delivered"},
    "desk.read": {"pt-BR": "Lida", "en": "Read"},
    "desk.failed": {"pt-BR": "Falha", "en": "Failed"},
    "desk.expired": {"pt-BR": "Expirada", "en": "Expired"},
    # The same statuses heading a count (a card, a bar, a column): "48 Lidas", not "48 Lida".
    "desk.count.sending": {"pt-BR": "Enviando", "en": "Sending"},
    "desk.count.sent": {"pt-BR": "Enviadas", "en": "Sent"},
    "desk.count.delivered": {"pt-BR": "Entregues", "en": "Delivered"},
    "desk.count.read": {"pt-BR": "Lidas", "en": "Read"},
    "desk.count.failed": {"pt-BR": "Falhas", "en": "Failed"},
    "desk.count.expired": {"pt-BR": "Expiradas", "en": "Expired"},
    "weekday.1": {"pt-BR": "seg", "en": "Mon"}, "weekday.2": {"pt-BR": "ter", "en": "Tue"},
    "weekday.3": {"pt-BR": "qua", "en": "Wed"}, "weekday.4": {"pt-BR": "qui", "en": "Thu"},
    "weekday.5": {"pt-BR": "sex", "en": "Fri"}, "weekday.6": {"pt-BR": "sáb", "en": "Sat"},
    "weekday.7": {"pt-BR": "dom", "en": "Sun"},
    "attendance.title": {"pt-BR": "Atendimento humano", "en": "Human attendance"},
    "chatbots.title": {"pt-BR": "Chatbots: usuários e mensagens",
                       "en": "Chatbots: users and messages"},
    "events.title": {"pt-BR": "Eventos personalizados", "en": "Custom events"},
    # Shorter titles for e-mail subjects, where a phone shows some 40 characters: one is
    # given only where the full title is long.
    "campaigns.short_title": {"pt-BR": "Campanhas", "en": "Campaigns"},
    "desk.short_title": {"pt-BR": "Mensagens ativas do atendimento",
                         "en": "Help-desk active messages"},
    "chatbots.short_title": {"pt-BR": "Chatbots", "en": "Chatbots"},
    "section.overview": {"pt-BR": "Visão geral", "en": "Overview"},
    "section.times": {"pt-BR": "Tempos", "en": "Times"},
    "section.by_team": {"pt-BR": "Por fila", "en": "By queue"},
    "section.by_agent": {"pt-BR": "Por agente", "en": "By agent"},
    "section.by_tag": {"pt-BR": "Por etiqueta", "en": "By tag"},
    "section.tickets_daily": {"pt-BR": "Tickets abertos e encerrados por dia",
                              "en": "Tickets opened and closed per day"},
    "section.agent_status": {"pt-BR": "Status dos agentes", "en": "Agent status"},
    "section.active_messages": {"pt-BR": "Tickets gerados por mensagens ativas",
                                "en": "Tickets created by active messages"},
    "section.monthly": {"pt-BR": "MAU, MEU e mensagens por mês",
                        "en": "MAU, MEU and messages per month"},
    "section.daily_users": {"pt-BR": "Usuários ativos por dia", "en": "Daily active users"},
    "section.events": {"pt-BR": "Eventos por categoria e ação",
                       "en": "Events by category and action"},
    "section.event_trend": {"pt-BR": "Eventos por dia", "en": "Events per day"},
    "section.labels": {"pt-BR": "Rótulos mais frequentes", "en": "Top labels"},
    "section.funnels": {"pt-BR": "Funis", "en": "Funnels"},
    "opened": {"pt-BR": "Abertos", "en": "Opened"},
    "missed": {"pt-BR": "Perdidos", "en": "Missed"},
    "abandoned": {"pt-BR": "Abandonados", "en": "Abandoned"},
    "handled": {"pt-BR": "Atendidos", "en": "Handled"},
    "closed": {"pt-BR": "Encerrados", "en": "Closed"},
    "still_open": {"pt-BR": "Em aberto", "en": "Still open"},
    "sla": {"pt-BR": "Dentro do SLA", "en": "Within SLA"},
    "queue_minutes": {"pt-BR": "Tempo em fila", "en": "Queue time"},
    "first_response_minutes": {"pt-BR": "Primeira resposta", "en": "First response"},
    "waiting_minutes": {"pt-BR": "Espera (TME)", "en": "Waiting"},
    "response_minutes": {"pt-BR": "Tempo de resposta", "en": "Response time"},
    "handling_minutes": {"pt-BR": "Atendimento (TMA)", "en": "Handling"},
    "handling_from_open_minutes": {"pt-BR": "Atendimento desde a atribuição",
                                   "en": "Handling from assignment"},
    "mean": {"pt-BR": "Média", "en": "Mean"},
    "count": {"pt-BR": "Qtd.", "en": "Count"},
    "team": {"pt-BR": "Fila", "en": "Queue"},
    "tag": {"pt-BR": "Etiqueta", "en": "Tag"},
    "source": {"pt-BR": "Origem", "en": "Source"},
    "source.campaign": {"pt-BR": "Campanha", "en": "Campaign"},
    "group.(none)": {"pt-BR": "(sem etiqueta)", "en": "(no tag)"},
    "group.none.agent": {"pt-BR": "(sem agente)", "en": "(no agent)"},
    "group.none.team": {"pt-BR": "(sem fila)", "en": "(no queue)"},
    # The same groups as a sentence names them (attendance's "... concentra o maior volume").
    "group.prose.(none)": {"pt-BR": "o grupo sem etiqueta", "en": "the group with no tag"},
    "group.prose.none.agent": {"pt-BR": "o grupo sem agente", "en": "the group with no agent"},
    "group.prose.none.team": {"pt-BR": "o grupo sem fila", "en": "the group with no queue"},
    "group.DIRECT_TRANSFER": {"pt-BR": "Transferência direta", "en": "Direct transfer"},
    "source.agent": {"pt-BR": "Mensagem ativa de agente", "en": "Agent active message"},
    "source.other": {"pt-BR": "Outros", "en": "Other"},
    "share": {"pt-BR": "Participação", "en": "Share"},
    "Online": {"pt-BR": "Online", "en": "Online"},
    "Pause": {"pt-BR": "Pausa", "en": "Pause"},
    "Invisible": {"pt-BR": "Invisível", "en": "Invisible"},
    "Offline": {"pt-BR": "Offline", "en": "Offline"},
    "hours": {"pt-BR": "horas", "en": "hours"},
    "bot": {"pt-BR": "Bot", "en": "Bot"},
    "router": {"pt-BR": "Roteador", "en": "Router"},
    "level": {"pt-BR": "Nível", "en": "Level"},
    "month": {"pt-BR": "Mês", "en": "Month"},
    "mau": {"pt-BR": "MAU", "en": "MAU"},
    "meu": {"pt-BR": "MEU", "en": "MEU"},
    "msgs": {"pt-BR": "MSGs", "en": "MSGs"},
    "change": {"pt-BR": "Variação", "en": "Change"},
    "active_users": {"pt-BR": "Usuários ativos", "en": "Active users"},
    "bot_sent": {"pt-BR": "Enviadas pelo bot", "en": "Sent by the bot"},
    "bot_received": {"pt-BR": "Recebidas pelo bot", "en": "Received by the bot"},
    "action_name": {"pt-BR": "Ação", "en": "Action"},
    "events": {"pt-BR": "Eventos", "en": "Events"},
    "users": {"pt-BR": "Usuários", "en": "Users"},
    "step": {"pt-BR": "Etapa", "en": "Step"},
    "conversion": {"pt-BR": "Conversão", "en": "Conversion"},
    "drop_off": {"pt-BR": "Perda", "en": "Drop-off"},
    # The projection's rows: in the period's unit where it has one, else "units" (a period
    # that straddles the change to per-message pricing counts both).
    "paid.metric": {"pt-BR": "Unidades pagas", "en": "Paid units"},
    "quantity.metric": {"pt-BR": "Unidades (todas)", "en": "All units"},
    "paid.metric.message": {"pt-BR": "Mensagens pagas", "en": "Paid messages"},
    "quantity.metric.message": {"pt-BR": "Mensagens (todas)", "en": "All messages"},
    "paid.metric.conversation": {"pt-BR": "Conversas pagas", "en": "Paid conversations"},
    "quantity.metric.conversation": {"pt-BR": "Conversas (todas)", "en": "All conversations"},
    # the headline cost: Meta's where it reports one, else our estimate (its amounts carry
    # the currency)
    "cost_usd.metric": {"pt-BR": "Custo", "en": "Cost"},
}


def report_title(report: str, locale: str = DEFAULT_LOCALE) -> str:
    """A report's title in `locale`: its label (built-in reports) or the title its site gave
    it (params/reports.yaml, falling back to en); never its internal name when it has one."""
    spec = registry.find(report)
    if spec is None:
        return report.replace("_", " ").capitalize()
    if spec.titles:
        titles = dict(spec.titles)
        return titles.get(locale) or titles.get("en") or next(iter(titles.values()))
    return t(spec.title_key, locale)


def report_short_title(report: str, locale: str = DEFAULT_LOCALE) -> str:
    """The title an e-mail subject gives a report: its short label where it has one
    ("Campanhas"), else its title."""
    spec = registry.find(report)
    key = f"{spec.title_key.rpartition('.')[0]}.short_title" if spec and not spec.titles else ""
    return t(key, locale) if key in LABELS else report_title(report, locale)


def t(key: str, locale: str = DEFAULT_LOCALE, **values) -> str:
    """The label of `key` in `locale` (falling back to en, then to the key itself)."""
    entry = LABELS.get(key)
    text = (entry.get(locale) or entry.get("en")) if entry else key
    return text.format(**values) if values else text


def _missing(value) -> bool:
    """None, NaN or pandas' NA (whose comparisons raise instead of answering)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:
        return True


def cents(value) -> float:
    """An amount of money as it is shown: rounded to cents."""
    return round(float(value), 2)


def split_cents(total: float, parts: list[float]) -> list[float]:
    """`parts` of an amount in cents, adding up to `total` as shown (in cents): each part
    rounded, then the cents still missing (or over) moved one at a time onto the parts that
    rounding moved most the other way (largest remainder)."""
    shown = [cents(p) for p in parts]
    missing = round((cents(total) - sum(shown)) * 100)
    if not parts or not missing:
        return shown
    sign = 1 if missing > 0 else -1
    order = sorted(range(len(parts)), key=lambda i: sign * (shown[i] - parts[i]))
    for k in range(abs(missing)):
        i = order[k % len(order)]
        shown[i] = round(shown[i] + sign * 0.01, 2)
    return shown


def babel_locale(locale: str) -> str:
    return locale.replace("-", "_")


MINUS = "\u2212"  # the minus sign print sets before a negative number, not the hyphen "-"


def minus(text: str) -> str:
    """A formatted number with a negative sign as a publication sets it ("−3,2%", "−US$ 0,06"):
    Babel writes the hyphen-minus. For readers only: files keep plain numbers."""
    return text.replace("-", MINUS)


@dataclass(frozen=True)
class Formatter:
    """Numbers, money and dates in one locale."""

    locale: str = DEFAULT_LOCALE
    currency: str = "USD"

    def names(self, names: Sequence[str]) -> str:
        """Names in a sentence: "A, B e C", "A, B, and C"."""
        from babel.lists import format_list

        return format_list(list(names), locale=babel_locale(self.locale))

    def number(self, value, digits: int = 0) -> str:
        if _missing(value):  # None, NaN or pandas' NA
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return minus(format_decimal(value, format=pattern, locale=babel_locale(self.locale)))

    def duration(self, minutes) -> str:
        """A span of time in prose, in the unit a reader counts it in: minutes up to 90
        ("26 min"), hours up to two days ("4,5 h", "4.5 h"), days beyond ("2,3 dias",
        "2.3 days"); under a minute is "1 min" (what is read within 0.4 min is read within 1).
        "–" where it is not known."""
        if _missing(minutes):
            return "–"
        minutes = max(1.0, float(minutes))
        if minutes < 90:
            return f"{self.number(minutes)}\u00a0min"
        if minutes < 48 * 60:
            return f"{self.number(minutes / 60, 1)}\u00a0h"
        days = "dias" if self.locale == "pt-BR" else "days"
        return f"{self.number(minutes / 1440, 1)} {days}"

    def currency_label(self) -> str:
        """The currency as a column heading names it: its symbol in Portuguese ("US$", "R$"),
        its code in English ("USD", "BRL": "$" alone would not say which dollar)."""
        from babel.numbers import get_currency_symbol

        if self.locale == "en":
            return self.currency
        return get_currency_symbol(self.currency, locale=babel_locale(self.locale))

    def currency_name(self) -> str:
        """The currency in a sentence: "real brasileiro (R$)", "Brazilian real (BRL)"."""
        from babel.numbers import get_currency_name

        name = get_currency_name(self.currency, locale=babel_locale(self.locale))
        if self.locale != "en":
            name = name[:1].lower() + name[1:]
        return f"{name} ({self.currency_label()})"

    def money(self, value) -> str:
        if _missing(value):
            return "–"
        # Rounded first: a difference of a fraction of a cent is zero, never "-US$ 0,00".
        return format_currency(cents(value) + 0.0, self.currency,
                               locale=babel_locale(self.locale)).replace("-", MINUS)

    def money_difference(self, minuend, subtrahend) -> str:
        """`minuend − subtrahend` as a reader checks it against the two amounts shown beside
        it: the difference of the amounts as `money` shows them (each in cents first), so
        US$ 1,23 − US$ 1,22 reads US$ 0,01 even when 1.226 − 1.224 rounds to 0,00. Whether a
        difference matters is decided on the precise values, not on this."""
        if _missing(minuend) or _missing(subtrahend):
            return "–"
        return self.money(cents(minuend) - cents(subtrahend))

    def rate(self, value) -> str:
        if _missing(value):
            return "–"
        return minus(format_decimal(value, format="0.0000", locale=babel_locale(self.locale)))

    def percent(self, value, digits: int = 1) -> str:
        if _missing(value):
            return "–"
        return minus(format_percent(value, format="#,##0." + "0" * digits + "%",
                                    locale=babel_locale(self.locale)))

    def date(self, value: date, style: str = "long") -> str:
        """A date in prose, its month written out ("20 de novembro de 2026", "November 20,
        2026"); tables ask for "short" ("20/11/2026", "11/20/2026": the year whole in both
        languages, where English's own short form would write "11/20/26")."""
        if style == "short" and self.locale != "pt-BR":
            style = "M/d/y"
        text = format_date(value, format=style, locale=babel_locale(self.locale))
        return self._first(value, text) if style == "long" else text

    def _first(self, value: date, text: str) -> str:
        """Brazilian usage writes the first of a month as an ordinal: "1º de outubro"."""
        if self.locale == "pt-BR" and value.day == 1 and text.startswith("1 "):
            return "1º" + text[1:]
        return text

    def date_range(self, start: date, end: date, style: str = "long") -> str:
        """Two days as one span, what they share written once: "1º a 15 de outubro de 2026",
        "October 1–15, 2026"; "20 de outubro a 19 de novembro de 2026", "October 20 –
        November 19, 2026"; across years both dates whole. "short": both days in figures,
        "20/12/2026 a 19/01/2027", "12/20/2026 – 1/19/2027"."""
        pt = self.locale == "pt-BR"
        if style == "short":
            first, last = self.date(start, "short"), self.date(end, "short")
            return first if start == end else f"{first} {'a' if pt else '–'} {last}"
        if start == end:
            return self.date(start)
        if start.year != end.year:
            return f"{self.date(start)} {'a' if pt else '–'} {self.date(end)}"
        if start.month != end.month:
            return f"{self.day_month(start)} {'a' if pt else '–'} {self.date(end)}"
        if pt:
            return f"{'1º' if start.day == 1 else start.day} a {self.date(end)}"
        month = format_date(start, format="MMMM", locale=babel_locale(self.locale))
        return f"{month} {start.day}–{end.day}, {end.year}"

    def day(self, value: date) -> str:
        return format_date(value, format="dd/MM" if self.locale == "pt-BR" else "MMM d",
                           locale=babel_locale(self.locale))

    def zone(self, name: str) -> str:
        """A time zone as a reader names it: its city ("São Paulo", "Sao Paulo", "UTC"),
        never the database id ("America/Sao_Paulo")."""
        from babel.dates import get_timezone, get_timezone_location

        try:
            return get_timezone_location(get_timezone(name), locale=babel_locale(self.locale),
                                         return_city=True)
        except LookupError:
            return name.rpartition("/")[2].replace("_", " ")

    def hour(self, hour: int) -> str:
        """An hour of the day on its own: "9h" (pt-BR), "9:00" (en)."""
        return f"{int(hour)}h" if self.locale == "pt-BR" else f"{int(hour)}:00"

    def day_month(self, value: date) -> str:
        """A day written out, without the year: "6 de novembro", "November 6"."""
        return self._first(value, format_date(
            value, format="d 'de' MMMM" if self.locale == "pt-BR" else "MMMM d",
            locale=babel_locale(self.locale)))

    def weekday(self, iso: int) -> str:
        """An ISO weekday (1 = Monday) written out: "terça-feira", "Tuesday"."""
        return format_date(date(2024, 1, iso), format="EEEE", locale=babel_locale(self.locale))

    def month(self, value: date) -> str:
        return format_date(value, format="MMMM 'de' y" if self.locale == "pt-BR" else "MMMM y",
                           locale=babel_locale(self.locale))


def mask_phone(number: str) -> str:
    """Country code and last 4 digits only: `+55 ••• ••••-1234` (docs/metrics.md, privacy).
    Its digits are 0-9 only, as in `mask_phone_macro`, its form in SQL."""
    from reportlib.domain.pricing import CALLING_CODES

    digits = re.sub(r"[^0-9]", "", str(number))
    if len(digits) < 6:
        return "•••"
    code = next((digits[:n] for n in (3, 2, 1) if digits[:n] in CALLING_CODES), digits[:2])
    return f"+{code} ••• ••••-{digits[-4:]}"


def mask_phone_macro() -> str:
    """`mask_phone` as a DuckDB temp macro of the same name (NULL for NULL), for files written
    by SQL: the longest calling code that starts the digits, else their first two."""
    from reportlib.domain.pricing import CALLING_CODES

    cases = " ".join(f"WHEN d[1:{len(code)}] = '{code}' THEN '{code}'"
                     for code in sorted(CALLING_CODES, key=len, reverse=True))
    return f"""
        CREATE OR REPLACE TEMP MACRO mask_phone(x) AS (
            WITH digits AS (SELECT regexp_replace(x, '[^0-9]', '', 'g') AS d)
            SELECT CASE WHEN x IS NULL THEN NULL WHEN length(d) < 6 THEN '•••'
                        ELSE '+' || (CASE {cases} ELSE d[1:2] END) || ' ••• ••••-' || d[-4:]
                   END FROM digits)"""
