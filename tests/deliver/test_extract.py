"""Report Manager extracts: columns, rows, limits, tenant scoping, CSV/Parquet round trip."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from datetime import date

import duckdb
import pytest

from reportlib import cli, ingest
from reportlib import params as params_mod
from reportlib.deliver.extract import TABLES, check_range, extract
from reportlib.errors import ReportError
from tests.conftest import ACME, webhook, write
from tests.full_disk import needs_tmpfs, on_small_disk

TODAY = date(2026, 11, 25)


@pytest.fixture
def warehouse(tmp_path, params_dir):
    a, b = tmp_path / "sources" / "acme", tmp_path / "sources" / "beta"
    write(a / "campaigns" / "c.csv", "CampaignId,CampaignName,BotId,TemplateName,Category,"
          "Status\nc1,=HYPERLINK(\"x\"),acme-bot,promo,marketing,Sent\n")
    write(a / "notifications" / "n.csv",
          "MessageId,CampaignId,Sender,BotId,PhoneNumberId,Recipient,TemplateName,Category,"
          "AcceptedAt,SentAt,DeliveredAt,ReadAt,FailedAt,ErrorCode\n"
          "m1,c1,campaign,acme-bot,1001,+5511999990001,promo,marketing,2026-10-05 10:00:00,"
          "2026-10-05 10:00:01,2026-10-05 10:00:03,2026-10-05 10:20:00,,\n"
          "m2,c1,campaign,acme-bot,1001,+5511999990002,promo,marketing,2026-10-05 10:00:00,"
          "2026-10-05 10:00:01,,,2026-10-05 10:00:09,131026\n"
          "m3,,api,acme-bot,1001,+5511999990003,otp,authentication,2026-12-05 10:00:00,,,,,\n")
    write(a / "whatsapp_webhooks" / "w.jsonl", webhook("1001", messages=[{
        "from": "5511999990001", "id": "in1", "type": "text", "timestamp": "1791205200",
        "context": {"id": "m1"}}]) + "\n")
    write(a / "tickets" / "t.csv", "TicketId,BotId,CustomerIdentity,Status,StorageDate,"
          "CampaignId,Tags\nt1,acme-bot,+5511999990001,ClosedAttendant,2026-10-05 11:00:00,"
          "c1,vip|@urgent\n")
    write(a / "ticket_messages" / "tm.csv", "TicketId,MessageId,Direction,SentAt\n"
          "t1,tm1,customer,2026-10-05 11:00:00\nt1,tm2,agent,2026-10-05 11:02:00\n")
    write(a / "agent_status" / "s.csv", "AgentIdentity,Status,StartedAt,EndedAt\n"
          "ana,Online,2026-09-30 20:00:00,2026-10-01 02:00:00\n"
          "ana,Pause,2026-10-01 02:00:00,2026-10-01 02:15:00\n")
    write(a / "bot_messages" / "b.csv", "MessageId,BotId,RouterId,UserIdentity,Direction,"
          "Channel,StorageDate\n"
          "b1,acme-bot,router,+5511999990001,received,whatsapp,2026-10-02 09:00:00\n"
          "b2,acme-bot,router,+5511999990001,sent,whatsapp,2026-10-02 09:00:05\n"
          "b3,acme-bot,router,+5511999990002,sent,whatsapp,2026-10-03 09:00:00\n")
    write(a / "event_tracks" / "e.csv", "BotId,ContactIdentity,Category,Action,Label,Extras,"
          "StorageDate\nacme-bot,+5511999990001,menu,open,-1,\"{\"\"k\"\":\"\"v\"\"}\","
          "2026-10-02 09:00:01\n")
    write(b / "notifications" / "n.csv",
          "MessageId,Sender,BotId,PhoneNumberId,Recipient,TemplateName,Category,AcceptedAt\n"
          "x1,api,beta-bot,2001,+5521999990001,otp,authentication,2026-10-05 10:00:00\n")
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert not [r for r in results if r.failed or r.rows_rejected], [r.line() for r in results]
    return tmp_path / "wh.duckdb"


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


COLUMNS = {  # docs/extracts.md, in this order
    "notifications": ["message_id", "campaign_id", "campaign_name", "template_name", "category",
                      "sender", "agent_identity", "bot_id", "phone_number_id",
                      "recipient_masked", "accepted_at", "sent_at", "delivered_at", "read_at",
                      "failed_at", "replied_at", "final_status", "error_code", "error_meaning"],
    "notifications_by_template": ["template_name", "bot_id", "category", "sent", "failed",
                                  "received", "read", "replied"],
    "event_tracks": ["storage_date", "bot_id", "contact_identity_masked", "category", "action",
                     "label", "value", "extras"],
    "conversation_details": ["message_id", "bot_id", "router_id", "user_identity_masked",
                             "direction", "channel", "storage_date"],
    "conversation_summary": ["month", "router_id", "bot_id", "maus", "meus", "msgs"],
    "user_details": ["user_identity_masked", "first_message_at", "last_message_at", "messages",
                     "bots"],
    "tickets": ["ticket_id", "sequential_id", "bot_id", "team", "agent_identity",
                "customer_identity_masked", "status", "storage_date", "open_date",
                "first_response_date", "close_date", "closed_by", "tags", "rating",
                "campaign_id", "parent_sequential_id"],
    "attendance_history": ["ticket_id", "message_id", "direction", "sent_at"],
    "agent_status": ["agent_identity", "status", "started_at", "ended_at", "pause_reason"],
}


def test_every_table_has_its_documented_columns(tmp_path, warehouse):
    written = extract(warehouse, ACME, list(TABLES), date(2026, 10, 1), date(2026, 10, 31),
                      "csv", tmp_path / "all", TODAY)
    rows = {p.stem: n for p, n in written}
    assert rows == {"notifications": 2, "notifications_by_template": 1, "event_tracks": 1,
                    "conversation_details": 3, "conversation_summary": 1, "user_details": 2,
                    "tickets": 1, "attendance_history": 2, "agent_status": 2}
    header = {p.stem: next(csv.reader(open(p, encoding="utf-8"))) for p, _ in written}
    assert header == COLUMNS
    m2 = next(r for r in read_csv(tmp_path / "all" / "notifications.csv")
              if r["message_id"] == "m2")
    assert m2["final_status"] == "failed" and m2["error_code"] == "131026"
    assert m2["error_meaning"].startswith("Não entregável")
    assert m2["recipient_masked"] == "'+55 ••• ••••-0002"  # masked, and formula-safe
    assert m2["campaign_name"] == "'=HYPERLINK(\"x\")"
    assert m2["accepted_at"] == "2026-10-05 10:00:00-03"  # the tenant's local time
    by_template = read_csv(tmp_path / "all" / "notifications_by_template.csv")
    assert by_template == [{"template_name": "promo", "bot_id": "acme-bot",
                            "category": "marketing", "sent": "2", "failed": "1",
                            "received": "1", "read": "1", "replied": "1"}]
    summary = read_csv(tmp_path / "all" / "conversation_summary.csv")
    # 2 distinct users sent or received (MAU); 1 sent a message to the bot (MEU); 3 messages.
    assert summary == [{"month": "2026-10", "router_id": "router", "bot_id": "acme-bot",
                        "maus": "2", "meus": "1", "msgs": "3"}]
    ticket = read_csv(tmp_path / "all" / "tickets.csv")[0]
    assert ticket["tags"] == "vip|@urgent" and ticket["customer_identity_masked"].endswith(
        "0001")
    assert ticket == {
        "ticket_id": "t1", "sequential_id": "", "bot_id": "acme-bot", "team": "",
        "agent_identity": "", "customer_identity_masked": "'+55 ••• ••••-0001",
        "status": "ClosedAttendant", "storage_date": "2026-10-05 11:00:00-03",
        "open_date": "", "first_response_date": "", "close_date": "", "closed_by": "",
        "tags": "vip|@urgent", "rating": "", "campaign_id": "c1", "parent_sequential_id": ""}
    event = read_csv(tmp_path / "all" / "event_tracks.csv")[0]
    assert event == {"storage_date": "2026-10-02 09:00:01-03", "bot_id": "acme-bot",
                     "contact_identity_masked": "'+55 ••• ••••-0001", "category": "menu",
                     "action": "open", "label": "'-1", "value": "", "extras": '{"k":"v"}'}
    assert read_csv(tmp_path / "all" / "attendance_history.csv")[1] == {
        "ticket_id": "t1", "message_id": "tm2", "direction": "agent",
        "sent_at": "2026-10-05 11:02:00-03"}
    # Both intervals overlap October (the first started on 30 Sep at 20:00 local).
    status = read_csv(tmp_path / "all" / "agent_status.csv")
    assert [(r["status"], r["started_at"], r["ended_at"]) for r in status] == [
        ("Online", "2026-09-30 20:00:00-03", "2026-10-01 02:00:00-03"),
        ("Pause", "2026-10-01 02:00:00-03", "2026-10-01 02:15:00-03")]
    details = read_csv(tmp_path / "all" / "conversation_details.csv")
    assert details[0] == {"message_id": "b1", "bot_id": "acme-bot", "router_id": "router",
                          "user_identity_masked": "'+55 ••• ••••-0001",
                          "direction": "received", "channel": "whatsapp",
                          "storage_date": "2026-10-02 09:00:00-03"}
    users = read_csv(tmp_path / "all" / "user_details.csv")
    assert users[0] == {"user_identity_masked": "'+55 ••• ••••-0001",
                        "first_message_at": "2026-10-02 09:00:00-03",
                        "last_message_at": "2026-10-02 09:00:05-03", "messages": "2",
                        "bots": "acme-bot"}


def test_full_identities_when_the_tenant_chooses(tmp_path, warehouse):
    both = replace(ACME, options={"extract_identities": "both"})
    [(path, rows)] = extract(warehouse, both, ["notifications"], date(2026, 10, 1),
                             date(2026, 10, 31), "csv", tmp_path / "n.csv", TODAY)
    first = read_csv(path)[0]
    assert rows == 2 and first["recipient"] == "'+5511999990001"
    assert first["recipient_masked"] == "'+55 ••• ••••-0001"


def test_extracts_carry_ids_when_the_tenant_names_its_bots_and_events(tmp_path, warehouse,
                                                                      params_dir):
    # The names of params `bots:` and `event_names:` are for the reports' readers; an
    # extract is the tenant's own data, joined with its systems by id: ids, as before.
    params_mod.dump_tenant(params_dir, replace(
        ACME, bots=("acme-bot", "router"),
        bot_names={"acme-bot": "Atendimento", "router": "Triagem"},
        event_names={"categories": {"menu": "Menu principal"}, "actions": {"open": "Abertura"},
                     "labels": {"-1": "Nenhum"}}))
    named = params_mod.load_tenant(params_dir, "acme")
    assert named.bot_names == {"acme-bot": "Atendimento", "router": "Triagem"}
    extract(warehouse, named, ["conversation_details", "conversation_summary", "user_details",
                               "event_tracks"], date(2026, 10, 1), date(2026, 10, 31), "csv",
            tmp_path / "named", TODAY)
    details = read_csv(tmp_path / "named" / "conversation_details.csv")[0]
    assert (details["bot_id"], details["router_id"]) == ("acme-bot", "router")
    summary = read_csv(tmp_path / "named" / "conversation_summary.csv")[0]
    assert (summary["bot_id"], summary["router_id"]) == ("acme-bot", "router")
    assert read_csv(tmp_path / "named" / "user_details.csv")[0]["bots"] == "acme-bot"
    event = read_csv(tmp_path / "named" / "event_tracks.csv")[0]
    assert (event["category"], event["action"], event["label"]) == ("menu", "open", "'-1")


@pytest.mark.parametrize("start, end, ok", [
    ("2026-08-27", "2026-11-25", True),   # 90 days
    ("2026-08-26", "2026-11-25", False),  # 91 days
    ("2021-11-25", "2021-12-01", True),   # exactly 5 years back
    ("2021-11-24", "2021-12-01", False),  # 5 years and a day
    ("2026-10-10", "2026-10-01", False),  # reversed
])
def test_range_limits(start, end, ok):
    if ok:
        check_range(date.fromisoformat(start), date.fromisoformat(end), TODAY)
    else:
        with pytest.raises(ReportError) as err:
            check_range(date.fromisoformat(start), date.fromisoformat(end), TODAY)
        assert "\n" not in str(err.value)


def test_limit_errors_say_the_allowed_range(tmp_path, warehouse, params_dir, capsys):
    code = cli.main(["extract", "--tenant", "acme", "--table", "notifications", "--from",
                     "2026-08-26", "--to", "2026-11-25", "--today", "2026-11-25",
                     "--warehouse", str(warehouse), "--params", str(params_dir),
                     "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "at most 90" in err and not (tmp_path / "x.csv").exists()
    code = cli.main(["extract", "--tenant", "acme", "--table", "notifications", "--from",
                     "2021-11-24", "--to", "2021-12-01", "--today", "2026-11-25",
                     "--warehouse", str(warehouse), "--params", str(params_dir)])
    assert code == 2 and "earliest allowed start is 2021-11-25" in capsys.readouterr().err


def test_extract_holds_only_the_tenants_rows(tmp_path, warehouse):
    [(path, rows)] = extract(warehouse, ACME, ["notifications"], date(2026, 10, 1),
                             date(2026, 10, 31), "parquet", tmp_path / "n.parquet", TODAY)
    ids = [r[0] for r in duckdb.sql(f"SELECT message_id FROM '{path}' ORDER BY 1").fetchall()]
    assert ids == ["m1", "m2"] and rows == 2  # not beta's x1, not December's m3


def test_parquet_round_trip_equals_csv(tmp_path, warehouse):
    for fmt in ("csv", "parquet"):
        extract(warehouse, ACME, list(TABLES), date(2026, 10, 1), date(2026, 10, 31), fmt,
                tmp_path / fmt, TODAY)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/Sao_Paulo'")
    for table in TABLES:
        parquet = con.execute(f"SELECT * FROM '{tmp_path}/parquet/{table}.parquet'").fetchall()
        typed = con.execute(f"DESCRIBE SELECT * FROM '{tmp_path}/parquet/{table}.parquet'"
                            ).fetchall()
        columns = ", ".join(
            f"CAST(regexp_replace(\"{name}\", '^''([=+\\-@])', '\\1') AS {kind})"
            if kind == "VARCHAR" else f"CAST(\"{name}\" AS {kind})" for name, kind, *_ in typed)
        from_csv = con.execute(
            f"SELECT {columns} FROM read_csv('{tmp_path}/csv/{table}.csv', all_varchar=true)"
        ).fetchall()
        assert from_csv == parquet, table
    kinds = dict((r[0], r[1]) for r in con.execute(
        f"DESCRIBE SELECT * FROM '{tmp_path}/parquet/notifications.parquet'").fetchall())
    assert kinds["accepted_at"] == "TIMESTAMP WITH TIME ZONE" and kinds["error_code"] == "BIGINT"


def test_unknown_table_and_format(tmp_path, warehouse):
    with pytest.raises(ReportError, match="is not one of"):
        extract(warehouse, ACME, ["secrets"], date(2026, 10, 1), date(2026, 10, 2), "csv",
                tmp_path / "x.csv", TODAY)
    with pytest.raises(ReportError, match="--format"):
        extract(warehouse, ACME, ["tickets"], date(2026, 10, 1), date(2026, 10, 2), "xlsx",
                tmp_path / "x.xlsx", TODAY)


def test_a_quote_in_a_path_is_a_path_like_any_other(tmp_path, warehouse):
    """A warehouse or an output in a folder named d'Água stopped `reportlib extract` with
    "unexpected error (ParserException: unterminated string literal)": the paths were spliced
    into ATTACH and COPY; they are bound now."""
    folder = tmp_path / "d'Água"
    folder.mkdir()
    moved = folder / "warehouse.duckdb"
    moved.write_bytes(warehouse.read_bytes())
    [(path, rows)] = extract(moved, ACME, ["notifications"], date(2026, 10, 1),
                             date(2026, 10, 31), "csv", folder / "it's.csv", TODAY)
    assert path == folder / "it's.csv" and rows == 2
    assert [r["message_id"] for r in csv.DictReader(path.open(encoding="utf-8"))] == ["m1", "m2"]


@needs_tmpfs
def test_a_full_disk_leaves_the_last_extract_whole_and_names_the_file(tmp_path, warehouse,
                                                                      params_dir):
    """Every table again into a folder on a disk with room for a few of them: the first
    tables were written and the rest not (one extract of two runs), and the line said 'the
    disk is full: could not write a file' (DuckDB's words in JSON, its quotes escaped). Now
    the folder is as it was, nothing temporary is left, and the line names the table's file.
    The disk is a real tmpfs (tests/full_disk.py)."""
    import hashlib
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    folder = tmp_path / "extracts"
    argv = [sys.executable, "-m", "reportlib.cli", "extract", "--tenant", "acme",
            "--all-tables", "--from", "2026-10-01", "--to", "2026-10-31", "--today",
            "2026-11-20", "--warehouse", str(warehouse), "--params", str(params_dir), "--out",
            str(folder / "acme")]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    assert subprocess.run(argv, capture_output=True, text=True, env=env).returncode == 0
    # The tables, now in Parquet beside the CSVs: each takes pages this disk does not have.
    argv[argv.index("--out"):argv.index("--out")] = ["--format", "parquet"]

    def files() -> dict[str, str]:
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    before = files()
    used = sum(-(-p.stat().st_size // 4096) * 4 for p in folder.rglob("*") if p.is_file())
    done = on_small_disk(folder, f"{used + 20}k", argv, env=env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert re.fullmatch(
        rf"reportlib extract: error: the disk is full: could not write {folder}/acme/\w+"
        r"\.parquet; free some space on that disk and run again\n", done.stderr), done.stderr
    assert files() == before  # no table replaced, none added, no temporary file
