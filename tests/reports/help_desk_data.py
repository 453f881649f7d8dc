"""A hand-made help desk, its bots and custom events (one tenant, October 2026), shared by the
attendance, chatbots and custom-events tests: answers are worked by hand in each test."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from reportlib import ingest
from reportlib import params as params_mod
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from tests.conftest import ACME, write

FUNNEL = {"funnels": [{"name": "Compra", "steps": [["menu", "open"], ["menu", "choose"],
                                                   ["pedido", "done"]]}]}


TICKETS = """TicketId,SequentialId,BotId,Team,AgentIdentity,CustomerIdentity,Status,StorageDate,OpenDate,FirstResponseDate,CloseDate,Tags,CampaignId,ParentSequentialId
T1,1,acme-bot,Vendas,ana,+5511999990001,ClosedAttendant,2026-10-05 10:00:00,2026-10-05 10:02:00,2026-10-05 10:05:00,2026-10-05 10:20:00,boleto|duvida,,
T2,2,acme-bot,Vendas,,+5511999990002,ClosedClient,2026-10-05 11:00:00,,,2026-10-05 11:20:00,,,
T3,3,acme-bot,Vendas,ana,+5511999990003,ClosedClient,2026-10-05 12:00:00,2026-10-05 12:05:00,,2026-10-05 12:30:00,,,
T4,4,acme-bot,Suporte,bia,+5511999990004,Transferred,2026-10-06 13:00:00,2026-10-06 13:01:00,2026-10-06 13:21:00,2026-10-06 13:30:00,boleto,,
T5,5,acme-bot,Financeiro,caio,+5511999990004,Open,2026-10-06 13:30:00,2026-10-06 13:31:00,2026-10-06 13:33:00,,,,4
T6,6,acme-bot,DIRECT_TRANSFER,,+5511999990006,Waiting,2026-10-31 23:50:00,,,,,,
T7,7,acme-bot,Vendas,ana,+5511999990007,ClosedAttendant,2026-10-07 14:00:00,2026-10-07 14:01:00,2026-10-07 14:04:00,2026-10-07 14:14:00,,c1,
T8,8,acme-bot,Vendas,ana,+5511999990008,ClosedAttendant,2026-11-02 10:00:00,2026-11-02 10:01:00,2026-11-02 10:02:00,2026-11-02 10:03:00,,,
"""


MESSAGES = """TicketId,MessageId,Direction,SentAt
T1,a,customer,2026-10-05 10:00:00
T1,b,agent,2026-10-05 10:05:00
T1,c,customer,2026-10-05 10:06:00
T1,d,agent,2026-10-05 10:08:00
T1,e,customer,2026-10-05 10:10:00
T1,f,agent,2026-10-05 10:11:00
T4,g,customer,2026-10-06 13:00:00
T4,h,agent,2026-10-06 13:21:00
T4,i,customer,2026-10-06 13:22:00
T4,j,agent,2026-10-06 13:28:00
T7,k,customer,2026-10-07 14:00:00
T7,l,agent,2026-10-07 14:04:00
T7,m,customer,2026-10-07 14:05:00
T7,n,agent,2026-10-07 14:15:00
T7,o,customer,2026-10-07 14:16:00
"""


STATUS = """AgentIdentity,Status,StartedAt,EndedAt
ana,Online,2026-09-30 20:00:00,2026-10-01 02:00:00
ana,Pause,2026-10-31 23:00:00,
bia,Offline,2026-10-15 10:00:00,2026-10-15 11:30:00
bia,Online,2026-10-15 11:00:00,2026-10-15 13:00:00
"""


# Agents' active messages (UTC; São Paulo is UTC-3): a1 to T4's customer an hour before T4
# (T5, the transfer's second ticket, comes from T4, not again from a1); a2 to T1's customer
# two days before T1; a3 to T7's customer, whose ticket came from campaign c1.
AGENT_SENDS = """MessageId,CampaignId,Sender,AgentIdentity,BotId,PhoneNumberId,Recipient,TemplateName,Category,AcceptedAt
a1,,agent,ana,acme-bot,1001,+5511999990004,t,utility,2026-10-06T15:00:00Z
a2,,agent,bia,acme-bot,1001,+5511999990001,t,utility,2026-10-03T13:00:00Z
a3,,agent,bia,acme-bot,1001,+5511999990007,t,utility,2026-10-07T16:00:00Z
"""


BOT = """MessageId,BotId,RouterId,UserIdentity,Direction,Channel,StorageDate
m1,bot-a,router,+5511999990001,received,whatsapp,2026-09-30 23:30:00
m2,bot-a,router,+5511999990001,sent,whatsapp,2026-10-01 00:10:00
m3,bot-b,router,+5511999990001,received,instagram,2026-10-05 09:00:00
m4,bot-b,router,+5511999990002,received,whatsapp,2026-10-10 09:00:00
m5,bot-b,router,+5511999990002,sent,whatsapp,2026-10-10 09:00:05
"""


EVENTS = """BotId,ContactIdentity,Category,Action,StorageDate
acme-bot,u1,menu,open,2026-10-05 10:00:00
acme-bot,u1,menu,open,2026-10-05 10:00:30
acme-bot,u1,menu,choose,2026-10-05 10:01:00
acme-bot,u1,pedido,done,2026-10-05 10:02:00
acme-bot,u2,menu,open,2026-10-05 11:00:00
acme-bot,u2,pedido,done,2026-10-05 11:05:00
acme-bot,u3,menu,open,2026-10-06 10:00:00
acme-bot,u3,menu,choose,2026-10-06 10:01:00
acme-bot,u4,menu,choose,2026-10-06 12:00:00
acme-bot,u4,menu,open,2026-10-06 12:05:00
acme-bot,u5,menu,open,2026-10-07 09:00:00
acme-bot,u5,menu,choose,2026-10-07 09:01:00
"""


# The names the tenant may give its bots and events (params `bots:`, `event_names:`): one
# bot, the router, a category, two actions and a label; bot-b, `pedido` and `open` stay
# unnamed.
NAMES = {"bot_names": {"BOT-A": "Atendimento", "router": "Triagem"},
         "event_names": {"categories": {"menu": "Menu principal"},
                         "actions": {"choose": "Opção escolhida", "done": "Concluído"},
                         "labels": {"opcao_1": "Ofertas"}}}


@pytest.fixture
def desk_bundle(tmp_path, params_dir):
    return build_desk_bundle(tmp_path, params_dir, replace(
        ACME, bots=("acme-bot", "bot-a", "bot-b"), options=FUNNEL))


@pytest.fixture
def named_desk_bundle(tmp_path, params_dir):
    """The desk bundle of a tenant that names some of its bots and events (`NAMES`)."""
    return build_desk_bundle(tmp_path, params_dir, replace(
        ACME, bots=("acme-bot", "BOT-A", "bot-b", "router"), options=FUNNEL, **NAMES))


def build_desk_bundle(tmp_path, params_dir, tenant) -> Bundle:
    params_mod.dump_tenant(params_dir, tenant)
    base = tmp_path / "sources" / "acme"
    for kind, text in (("tickets", TICKETS), ("ticket_messages", MESSAGES),
                       ("agent_status", STATUS), ("bot_messages", BOT), ("event_tracks", EVENTS),
                       ("notifications", AGENT_SENDS)):
        write(base / kind / f"{kind}.csv", text)
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert not [r for r in results if r.failed or r.rows_rejected], [r.line() for r in results]
    out = tmp_path / "bundle.duckdb"
    bundle.build(tmp_path / "wh.duckdb", params_mod.load_tenant(params_dir, "acme"),
                 calendar.parse_period("2026-10"), date(2026, 11, 20), out,
                 ("attendance", "chatbots", "custom_events", "desk_followup"))
    return Bundle.open(out)



def table_cells(table: str) -> list[list[str]]:
    """The text of an HTML table's body cells (`present.table`), row by row."""
    return [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", table) if "<td" in row]
