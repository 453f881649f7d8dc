"""One person, one spelling: the identity columns that name a person (bot messages' user,
tickets' customer, event tracks' contact) keep a WhatsApp user as their +E.164 number,
whichever shape of file named them and however (docs/sources.md, "Phone numbers")."""

from __future__ import annotations

import duckdb

from reportlib import ingest
from tests.conftest import write


def test_the_same_whatsapp_user_written_three_ways_is_one_user(tmp_path, params_dir):
    """The wide bot messages name the user `+5511987654321`, `5511987654321` (a spreadsheet
    dropped the `+`) and `5511987654321@wa.gw.msging.net` (as the platform's identities have
    it: docs/sources.md); the platform's messages export names them by that identity too. One
    user, with one message from each file: MAU 1, not 3. An identity of another channel and
    an e-mail stay as written."""
    acme = tmp_path / "sources/acme"
    write(acme / "bot_messages/wide.csv",
          "MessageId,BotId,UserIdentity,Direction,Channel,StorageDate\n"
          "b1,acme-bot,+5511987654321,received,whatsapp,2026-10-05T12:00:00Z\n"
          "b2,acme-bot,5511987654321,sent,whatsapp,2026-10-05T12:01:00Z\n"
          "b3,acme-bot,5511987654321@wa.gw.msging.net,received,whatsapp,2026-10-06T12:00:00Z\n"
          "b4,acme-bot,1a2b3c@messenger.gw.msging.net,received,messenger,2026-10-06T12:00:00Z\n")
    write(acme / "bot_messages/platform.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,StorageDate\n"
          "p1,acme-bot@msging.net,5511987654321@wa.gw.msging.net,acme-bot@msging.net,"
          "2026-10-07T12:00:00Z\n")
    write(acme / "tickets/t.csv", "TicketId,BotId,CustomerIdentity,Status,StorageDate\n"
          "t1,acme-bot,5511987654321@wa.gw.msging.net,Open,2026-10-05T12:10:00Z\n"
          "t2,acme-bot,Ana@Example.com,Open,2026-10-05T12:20:00Z\n")
    write(acme / "event_tracks/e.csv", "BotId,ContactIdentity,Category,Action,StorageDate\n"
          "acme-bot,5511987654321,menu,open,2026-10-05T12:12:00Z\n")
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert all(r.rows_rejected == 0 and r.rows_loaded for r in results), \
        [(r.file, r.message) for r in results]
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    users = con.execute("SELECT message_id, user_identity FROM bot_messages "
                        "ORDER BY message_id").fetchall()
    assert users == [("b1", "+5511987654321"), ("b2", "+5511987654321"),
                     ("b3", "+5511987654321"), ("b4", "1a2b3c@messenger.gw.msging.net"),
                     ("p1", "+5511987654321")]
    assert con.execute("SELECT count(DISTINCT user_identity) FROM bot_messages "
                       "WHERE message_id <> 'b4'").fetchone() == (1,)
    assert con.execute("SELECT ticket_id, customer_identity FROM tickets ORDER BY 1").fetchall() \
        == [("t1", "+5511987654321"), ("t2", "Ana@Example.com")]
    assert con.execute("SELECT contact_identity FROM event_tracks").fetchall() == [
        ("+5511987654321",)]
    con.close()


def test_a_file_loaded_by_an_older_version_is_read_again_by_this_ones_rules(tmp_path,
                                                                            params_dir):
    """A warehouse an older version filled: its log has no rules digest (the column came
    later), the contact kept as `5511987654321` (as it was spelled then) and the row a
    spreadsheet made of a number loaded. The same file, unchanged, is read again once: the
    event is stored once, spelled as now, the bad row rejected once; then it is unchanged."""
    acme = tmp_path / "sources/acme"
    write(acme / "event_tracks/e.csv", "BotId,ContactIdentity,Category,Action,StorageDate\n"
          "acme-bot,5511987654321,menu,open,2026-10-05T12:12:00Z\n"
          "acme-bot,5.51199E+12,menu,open,2026-10-05T12:13:00Z\n")
    wh = tmp_path / "wh.duckdb"
    ingest.ingest(tmp_path / "sources", wh, params_dir)
    con = duckdb.connect(str(wh))
    con.execute("UPDATE ingest_log SET rules = NULL")
    con.execute("UPDATE event_tracks SET contact_identity = '5511987654321'")
    con.execute("INSERT INTO event_tracks (tenant_id, bot_id, contact_identity, category, "
                "action, storage_date, source_file, source_line) SELECT tenant_id, bot_id, "
                "'5.51199E+12', category, action, storage_date + INTERVAL 1 MINUTE, "
                "source_file, 3 FROM event_tracks")
    con.close()
    (again,) = ingest.ingest(tmp_path / "sources", wh, params_dir)
    assert (again.status, again.rows_loaded, again.rows_rejected) == ("loaded", 1, 1)
    assert "read again: its last load was by another version's rules" in again.line()
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("SELECT contact_identity FROM event_tracks").fetchall() == [
        ("+5511987654321",)]
    assert con.execute("SELECT count(*) FROM rejected_rows").fetchone() == (1,)
    con.close()
    (third,) = ingest.ingest(tmp_path / "sources", wh, params_dir)
    assert (third.status, third.rows_loaded, third.rows_rejected) == ("unchanged", 1, 1)
