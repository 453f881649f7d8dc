"""Property tests of the status timeline: one message's webhook statuses, delivered in any
order, any number of times, split across any files (and repeated in the notifications export),
give the same `message_timeline` row as the canonical ordered set.

Everything goes through the real path: JSONL files written under a fresh temporary folder per
example, the real `ingest.ingest`, `message_timeline` read from the DuckDB warehouse. Hypothesis
runs every example inside one call of the test function, so function-scoped fixtures such as
`tmp_path` would be shared by all examples; each example makes its own folder with
`tempfile.TemporaryDirectory` instead, and only the read-only tenant parameters are shared.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportlib import ingest
from reportlib import params as params_mod
from tests.conftest import ACME, BETA, webhook, write

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow

T0 = 1790856000  # 2026-10-01T12:00:00Z; every time below is an offset in seconds from it
PHONE = "1001"  # acme's phone number
MID = "wamid.PROPERTY"
CANON_MID = "wamid.CANONICAL"  # the canonical ordered set, in the same warehouse
STATUSES = ("sent", "delivered", "read", "played", "failed")
CANONICAL = {"played": "read"}  # a played voice message counts as read
RANK = {"sent": 0, "delivered": 1, "read": 2, "played": 2, "failed": 3, "deleted": 4,
        "warning": 5}
HEADER = ("MessageId,CampaignId,Sender,AgentIdentity,BotId,PhoneNumberId,Recipient,"
          "TemplateName,Category,AcceptedAt,SentAt,DeliveredAt,ReadAt,FailedAt,ErrorCode,"
          "RepliedAt\n")

PROPERTY = settings(max_examples=25, deadline=None, database=None)


def error_code(offset: int) -> int:
    """The error code of a failure at `offset`: one code per instant, so duplicates agree."""
    return 131000 + offset


def status_body(name: str, offset: int, code: int | None = None, mid: str = MID) -> dict:
    body = {"id": mid, "status": name, "timestamp": str(T0 + offset),
            "recipient_id": "5511999990001"}
    if name == "failed":
        body["errors"] = [{"code": error_code(offset) if code is None else code,
                           "title": "Message failed to send."}]
    return body


def expected(events) -> list[tuple]:
    """The timeline row worked out from the events: earliest time of each status, and
    read > delivered > failed > sent > pending. Times are offsets from T0."""
    first: dict[str, tuple[int, int | None]] = {}
    for event in events:
        name, offset = event[0], event[1]
        code = event[2] if len(event) > 2 else None
        if name not in STATUSES:
            continue  # deleted / warning carry no delivery status
        key = CANONICAL.get(name, name)
        if key not in first or offset < first[key][0]:
            first[key] = (offset, error_code(offset) if code is None else code)
    if not first:
        return []
    times = {k: first[k][0] if k in first else None
             for k in ("sent", "delivered", "read", "failed")}
    final = next((k for k in ("read", "delivered", "failed", "sent") if times[k] is not None),
                 "pending")
    code = first["failed"][1] if "failed" in first else None
    return [(final, times["sent"], times["delivered"], times["read"], times["failed"], code)]


def iso(offset: int | None) -> str:
    if offset is None:
        return ""
    return datetime.fromtimestamp(T0 + offset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def notification_row(row: tuple, mid: str = MID) -> str:
    """The export's CSV line for `mid` carrying the given timeline times (offsets or None)."""
    _final, sent, delivered, read, failed, code = row
    return (f"{mid},c1,campaign,,acme-bot,{PHONE},+5511999990001,promo,MARKETING,"
            f"{iso(-60)},{iso(sent)},{iso(delivered)},{iso(read)},{iso(failed)},"
            f"{'' if code is None else code},\n")


def lines(batches) -> str:
    """One webhook body a batch; each batch is a list of status bodies."""
    return "".join(webhook(PHONE, batch) + "\n" for batch in batches)


def canonical_files(events) -> dict[str, str]:
    """The canonical ordered set, for CANON_MID: one file, one body a status, by time then
    status, no repeats."""
    ordered = sorted(set(events), key=lambda e: (e[1], RANK[e[0]], e[0]))
    return {"canonical.jsonl": lines([[status_body(*e, mid=CANON_MID)] for e in ordered])}


@pytest.fixture(scope="module")
def shared_params(tmp_path_factory) -> Path:
    """Tenant parameters, only ever read: safe to share between hypothesis examples."""
    folder = tmp_path_factory.mktemp("params")
    for tenant in (ACME, BETA):
        params_mod.dump_tenant(folder, tenant)
    return folder


def timelines(wh: Path, strict: bool) -> dict[str, list[tuple]]:
    """Every message's timeline row (times as offsets from T0), after checking the log:
    every file loaded, and with `strict` nothing rejected."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        log = con.execute("SELECT file, status, rows_rejected, message FROM ingest_log"
                          ).fetchall()
        rows = con.execute(
            "SELECT message_id, final_status, epoch(sent_at)::BIGINT - $t0, "
            "epoch(delivered_at)::BIGINT - $t0, epoch(read_at)::BIGINT - $t0, "
            "epoch(failed_at)::BIGINT - $t0, error_code FROM message_timeline "
            "WHERE tenant_id = 'acme' ORDER BY ALL", {"t0": T0}).fetchall()
    finally:
        con.close()
    assert all(status in ("loaded", "unchanged") for _, status, _, _ in log), log
    if strict:
        assert all(rejected == 0 for _, _, rejected, _ in log), log
    found: dict[str, list[tuple]] = {}
    for mid, *row in rows:
        found.setdefault(mid, []).append(tuple(row))
    return found


def run_all(params: Path, webhooks: dict[str, str], csv: str | None = None, *,
            times: int = 1, strict: bool = True) -> list[dict[str, list[tuple]]]:
    """Write the files into a fresh folder and ingest them `times` times into one warehouse;
    the timelines of every message after each pass."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in webhooks.items():
            write(root / "sources/acme/whatsapp_webhooks" / name, text)
        if csv is not None:
            write(root / "sources/acme/notifications/n.csv", HEADER + csv)
        wh = root / "wh.duckdb"
        passes = []
        for _ in range(times):
            ingest.ingest(root / "sources", wh, params)
            passes.append(timelines(wh, strict))
        return passes


def run(params: Path, webhooks: dict[str, str], csv: str | None = None, *,
        strict: bool = True, mid: str = MID) -> list[tuple]:
    """One ingest of the files; `mid`'s timeline rows."""
    [found] = run_all(params, webhooks, csv, strict=strict)
    return found.get(mid, [])


# ---------------------------------------------------------------------------------------------
# Strategies

offsets = st.integers(min_value=0, max_value=30)  # a small range: equal times happen often
events_strategy = st.lists(st.tuples(st.sampled_from(STATUSES), offsets), min_size=1,
                           max_size=8, unique=True)


@st.composite
def deliveries(draw, events, noise=(), mids=(MID,)):
    """The events (plus `noise`) of each message of `mids`, each repeated 1..3 times,
    shuffled, split across 1..4 files whose names (hence ingest order) are shuffled too,
    batched 1..3 statuses a body."""
    pool = [(*e, None, mid) for mid in mids for e in list(events) + list(noise)]
    copies = [e for e in pool for _ in range(draw(st.integers(1, 3)))]
    order = draw(st.permutations(copies))
    n_files = draw(st.integers(1, 4))
    names = draw(st.permutations([f"{c}.jsonl" for c in "abcd"[:n_files]]))
    owner = draw(st.lists(st.integers(0, n_files - 1), min_size=len(order),
                          max_size=len(order)))
    per_file: dict[str, list] = {}
    for event, i in zip(order, owner, strict=True):
        per_file.setdefault(names[i], []).append(status_body(*event))
    files = {}
    for name, bodies in per_file.items():
        batches, i = [], 0
        while i < len(bodies):
            size = draw(st.integers(1, 3))
            batches.append(bodies[i:i + size])
            i += size
        files[name] = lines(batches)
    return files


# ---------------------------------------------------------------------------------------------
# Properties


@PROPERTY
@given(data=st.data(), events=events_strategy)
def test_any_order_duplication_and_split_gives_the_canonical_timeline(shared_params, data,
                                                                       events):
    files = data.draw(deliveries(events), label="files")
    [found] = run_all(shared_params, {**canonical_files(events), **files})
    assert found[CANON_MID] == expected(events)
    assert found[MID] == found[CANON_MID]


@PROPERTY
@given(data=st.data(), events=events_strategy)
def test_duplicating_a_whole_file_or_reingesting_changes_nothing(shared_params, data, events):
    want = expected(events)
    files = data.draw(deliveries(events), label="files")
    copied = data.draw(st.sampled_from(sorted(files)), label="copied")
    twice = dict(files, **{"zz-copy-of-" + copied: files[copied]})
    # A whole file twice under two names, and then the same folder ingested again.
    first, second = run_all(shared_params, twice, times=2)
    assert first == second == {MID: want}


@PROPERTY
@given(data=st.data(), events=events_strategy)
def test_events_also_in_the_notifications_export_change_nothing(shared_params, data, events):
    [row] = want = expected(events)
    # The export repeats some (or all) of the statuses the webhooks carry, at the same times.
    reported = data.draw(st.sets(st.sampled_from(["sent", "delivered", "read", "failed"])),
                         label="statuses also in the export")
    _, sent, delivered, read, failed, code = row
    export = (row[0],
              sent if "sent" in reported else None,
              delivered if "delivered" in reported else None,
              read if "read" in reported else None,
              failed if "failed" in reported else None,
              code if "failed" in reported else None)
    # MID: some statuses in the export; CANON_MID: everything the webhooks say, also there.
    files = data.draw(deliveries(events, mids=(MID, CANON_MID)), label="files")
    csv = notification_row(export) + notification_row(row, mid=CANON_MID)
    [found] = run_all(shared_params, files, csv)
    assert found == {MID: want, CANON_MID: want}


@PROPERTY
@given(data=st.data(), events=events_strategy,
       noise=st.lists(st.tuples(st.sampled_from(["deleted", "warning"]), offsets), min_size=1,
                      max_size=4, unique=True))
def test_deleted_and_warning_statuses_never_change_the_final_status(shared_params, data,
                                                                      events, noise):
    """`deleted` (the user deleted the message) and `warning` (a catalog item problem) are
    webhook statuses that say nothing about delivery: mixed in anywhere, at any time, they must
    leave the final status and every time as they were. Today's ingest rejects them as
    "unknown status" (one rejected row each, the file still loads): this test does not insist
    on either rejecting or keeping them, only on the timeline being unchanged."""
    files = data.draw(deliveries(events, noise), label="files")
    assert run(shared_params, files, strict=False) == expected(events)


# ---------------------------------------------------------------------------------------------
# Hand-worked cases (offsets from T0 in seconds)


def test_hand_out_of_order_with_repeats_and_played(shared_params):
    # Arrival order: read@40, delivered@12, sent@2, delivered@10, played@30, sent@2 again.
    files = {
        "a.jsonl": lines([[status_body("read", 40)], [status_body("delivered", 12)]]),
        "b.jsonl": lines([[status_body("sent", 2), status_body("delivered", 10)],
                          [status_body("played", 30)], [status_body("sent", 2)]]),
    }
    # sent 2; delivered: earliest of 12 and 10 = 10; read: played (30) before read (40) = 30.
    assert run(shared_params, files) == [("read", 2, 10, 30, None, None)]


def test_hand_receipt_outranks_an_earlier_failure(shared_params):
    # The file read first (a.jsonl) holds the latest event.
    files = {"a.jsonl": lines([[status_body("delivered", 9)]]),
             "b.jsonl": lines([[status_body("failed", 5, code=131047)],
                               [status_body("sent", 1)]])}
    # A delivery receipt outranks a stray failure; the failure's time and code stay visible.
    assert run(shared_params, files) == [("delivered", 1, 9, None, 5, 131047)]


def test_hand_earliest_failure_and_a_later_export_time(shared_params):
    files = {"a.jsonl": lines([[status_body("failed", 7, code=131049)],
                               [status_body("sent", 1), status_body("failed", 3, code=131026)]])}
    # The export saw the message sent at 4 (later than the webhook's 1) and failed at 7.
    export = notification_row(("failed", 4, None, None, 7, 131049))
    # Earliest sent 1; earliest failure 3, with its own code 131026 (webhook code first).
    assert run(shared_params, files, export) == [("failed", 1, None, None, 3, 131026)]


def test_hand_deleted_after_read_keeps_read(shared_params):
    files = {"a.jsonl": lines([[status_body("deleted", 50)], [status_body("read", 20)],
                               [status_body("warning", 0)]]),
             "b.jsonl": lines([[status_body("sent", 0), status_body("delivered", 8)]])}
    assert run(shared_params, files, strict=False) == [("read", 0, 8, 20, None, None)]


def test_model_matches_the_hand_cases():
    """The expectation helper itself, checked against the hand-worked answers above."""
    assert expected([("read", 40), ("delivered", 12), ("sent", 2), ("delivered", 10),
                     ("played", 30), ("sent", 2)]) == [("read", 2, 10, 30, None, None)]
    assert expected([("delivered", 9), ("failed", 5, 131047), ("sent", 1)]) == [
        ("delivered", 1, 9, None, 5, 131047)]
    assert expected([("deleted", 1)]) == []
