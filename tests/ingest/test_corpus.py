"""Ingest against a corpus of hostile and careless source files (docs/sources.md: the
input contract).

Each case is one entry of a tenant's kind folder (a file, a folder, a link, a pipe) or one tenant
folder, with the outcome the contract asks for: its status; rows loaded and rejected; the field
and a fragment of the reason of each rejected row; rows read = loaded + rejected, and for CSV
rows read = the non-blank records the file holds, counted here with Python's csv module. Every
run also holds a good control file of the other tenant, which must load whatever the case does;
every printed line stays one line without raw control characters; nothing raises.

Small files are committed under tests/corpus/<kind>/ (the byte-exact ones are written by
tests/make_corpus.py, which a test checks); large ones are generated into tmp_path at test time.
Tenants: conftest's acme (phone number id 1001, bot acme-bot) and beta (2001, beta-bot).
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from reportlib import cli, ingest
from tests import make_corpus
from tests.conftest import write

pytestmark = [pytest.mark.corpus]

CORPUS = make_corpus.CORPUS
COUNT = "count"  # rows read: the file's non-blank CSV records, counted by the test
KINDS = ("campaigns", "notifications", "bot_messages", "event_tracks", "tickets",
         "ticket_messages", "agent_status", "whatsapp_webhooks", "conversation_analytics",
         "pricing_analytics")
CSV_KINDS = KINDS[:7]
TABLES = {"campaigns": ("campaigns",), "notifications": ("notifications",),
          "bot_messages": ("bot_messages",), "event_tracks": ("event_tracks",),
          "tickets": ("tickets",), "ticket_messages": ("ticket_messages",),
          "agent_status": ("agent_status",),
          "whatsapp_webhooks": ("message_status_events", "inbound_messages"),
          "conversation_analytics": ("conversations",), "pricing_analytics": ("pricing_daily",)}

# The control file: another tenant, another kind; it loads in every run.
CONTROL = Path("beta/ticket_messages/control.csv")
CONTROL_TEXT = ("TicketId,MessageId,Direction,SentAt\n"
                "b1,bm1,customer,2026-10-03 10:00:00\nb1,bm2,agent,2026-10-03 10:01:00\n")


# ---------------------------------------------------------------------------------------------
# How a case's entry is made: (target path, a folder outside SOURCES) -> None


@dataclass(frozen=True)
class FromCorpus:
    relative: str

    def __call__(self, target: Path, outside: Path) -> None:
        write(target, (CORPUS / self.relative).read_bytes())


@dataclass(frozen=True)
class Literal:
    data: bytes

    def __call__(self, target: Path, outside: Path) -> None:
        write(target, self.data)


@dataclass(frozen=True)
class Generated:
    function: Callable[[], bytes]

    def __call__(self, target: Path, outside: Path) -> None:
        write(target, self.function())


def folder(target: Path, outside: Path) -> None:
    target.mkdir(parents=True)


@dataclass(frozen=True)
class LinkOutside:
    """A symlink in the kind folder to a good file outside SOURCES."""

    relative: str

    def __call__(self, target: Path, outside: Path) -> None:
        real = write(outside / "secret" / target.name, (CORPUS / self.relative).read_bytes())
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(real)


@dataclass(frozen=True)
class KindFolderLinkOutside:
    """The kind folder itself is a symlink to a folder outside SOURCES holding a good file."""

    relative: str

    def __call__(self, target: Path, outside: Path) -> None:
        real = write(outside / "kind" / target.name, (CORPUS / self.relative).read_bytes())
        target.parent.parent.mkdir(parents=True, exist_ok=True)
        target.parent.symlink_to(real.parent, target_is_directory=True)


@dataclass(frozen=True)
class TenantFolderLinkOutside:
    """The tenant folder itself is a symlink to a tenant-shaped folder outside SOURCES."""

    relative: str

    def __call__(self, target: Path, outside: Path) -> None:
        tenant = target.parent.parent
        real = outside / "tenant"
        write(real / target.parent.name / target.name, (CORPUS / self.relative).read_bytes())
        tenant.parent.mkdir(parents=True, exist_ok=True)
        tenant.symlink_to(real, target_is_directory=True)


def named_pipe(target: Path, outside: Path) -> None:
    """A FIFO named like a CSV file. Reading it would block forever: a helper opens its write
    end (then closes it) only if someone is reading, so a wrong ingest fails instead of hanging."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(target)

    def release() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.close(os.open(target, os.O_WRONLY | os.O_NONBLOCK))
                return
            except OSError as exc:  # ENXIO: no reader yet; ENOENT: the test is over
                if not isinstance(exc, FileNotFoundError):
                    time.sleep(0.05)
                    continue
                return

    threading.Thread(target=release, daemon=True).start()


# ---------------------------------------------------------------------------------------------
# The table of cases


@dataclass(frozen=True)
class Reject:
    """One expected rejected row: the field named (a name or a path step of it, case-insensitive;
    None: any), a fragment of the reason ("": any non-empty reason), its line (None: any)."""

    field: str | None
    reason: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    name: str  # entry name inside SOURCES/<tenant>/<kind>/
    status: str  # loaded | unreadable | refused | skipped
    loaded: int | None = None  # None: not pinned
    rejected: int | None = None
    read: int | str | None = None  # an int, COUNT, or None (only read = loaded + rejected)
    rejects: tuple[Reject, ...] = ()
    message: str = ""  # fragment of the printed line (case-insensitive)
    check: tuple[str, list] | None = None  # SQL on the warehouse and its expected rows
    tenant: str = "acme"
    make: Callable[[Path, Path], None] | None = None  # default: the corpus file <kind>/<name>
    grouped: bool = True  # False: the case reshapes folders; not in the one-folder-per-kind run

    @property
    def maker(self) -> Callable[[Path, Path], None]:
        return self.make or FromCorpus(f"{self.kind}/{self.name}")

    @property
    def rows_read(self) -> int | str | None:
        if self.read is None and self.kind in CSV_KINDS and self.status == "loaded":
            return COUNT
        return self.read


def rejects(field: str | None, reason: str, lines) -> tuple[Reject, ...]:
    return tuple(Reject(field, reason, n) for n in lines)


C, N, B, E = "campaigns", "notifications", "bot_messages", "event_tracks"
T, M, A, W = "tickets", "ticket_messages", "agent_status", "whatsapp_webhooks"
CA, PA = "conversation_analytics", "pricing_analytics"
GOOD_CAMPAIGNS = FromCorpus("campaigns/good.csv")
ACME_CAMPAIGNS = "SELECT campaign_id FROM campaigns WHERE tenant_id = 'acme' ORDER BY 1"

# File names that try to forge output lines or the terminal ("\u2215" looks like "/").
NEWLINE_NAME = "forged.csv\nacme\u2215campaigns\u2215x.csv: loaded, 999 loaded, 0 rejected\r.csv"
ANSI_NAME = "\x1b[31mred\x1b[0m\x9b2J\x7f.csv"
SEPARATOR_NAME = "line\u2028para\u2029\u202egnp.csv"
NOT_UTF8_NAME = os.fsdecode(b"caf\xe9-\xff.csv")

CAMPAIGN_CASES = [
    Case("campaigns_good", C, "good.csv", "loaded", 3, 0),
    Case("campaigns_upper_case_extension", C, "UPPER.CSV", "loaded", 2, 0),
    Case("campaigns_crlf", C, "crlf.csv", "loaded", 2, 1,
         rejects=(Reject("Status", "not one of", 3),)),
    Case("campaigns_cr_only_line_endings", C, "cr_only.csv", "loaded", 2, 0),
    Case("campaigns_bom_semicolon", C, "bom_semicolon.csv", "loaded", 2, 0,
         check=("SELECT campaign_name, invalid_contacts FROM campaigns ORDER BY 1",
                [("Promo outubro", None), ("Promo; parte 2", 1)])),
    Case("campaigns_gzip", C, "good.csv.gz", "loaded", 3, 0),
    Case("campaigns_gz_that_is_not_gzip", C, "plain.csv.gz", "unreadable"),
    Case("campaigns_gzip_truncated", C, "cut.csv.gz", "unreadable"),
    # UTF-16 with its byte order mark (a spreadsheet's "Unicode text"): read so, saying it.
    Case("campaigns_utf16", C, "utf16.csv", "loaded", 3, 0, read=3,
         message="read as UTF-16 text",
         check=("SELECT campaign_name FROM campaigns WHERE campaign_id = 'c3'",
                [("Código OTP",)])),
    # Windows-1252 (Latin-1): what Excel's "CSV" is on a Windows in Portuguese; read so, its
    # line saying it (it was unreadable, "not UTF-8").
    Case("campaigns_latin1", C, "latin1.csv", "loaded", 3, 0, read=3,
         message="read as Windows-1252 text",
         check=("SELECT campaign_name FROM campaigns WHERE campaign_id = 'c3'",
                [("Código OTP",)])),
    Case("campaigns_empty", C, "empty.csv", "unreadable", make=Literal(b"")),
    Case("campaigns_header_only", C, "header_only.csv", "loaded", 0, 0),
    Case("campaigns_binary", C, "binary.csv", "unreadable"),
    Case("campaigns_missing_required_column", C, "missing_column.csv", "unreadable",
         message="Status"),
    # A tab between the columns (a spreadsheet's "text"): detected like `;`.
    Case("campaigns_tab_delimited", C, "tab.csv", "loaded", 2, 0, read=2),
    Case("campaigns_duplicate_column", C, "duplicate_column.csv", "unreadable",
         message="CampaignId"),
    # An opening quote never closed: it may not swallow the rows after it in silence.
    Case("campaigns_unterminated_quote", C, "unterminated_quote.csv", "loaded", read=4,
         rejects=(Reject(None, "quote", 3),),
         check=("SELECT campaign_id FROM campaigns WHERE campaign_id = 'c1'", [("c1",)])),
    Case("campaigns_truncated_last_line", C, "truncated_last_line.csv", "loaded", 2, 1,
         rejects=(Reject(None, "", 4),)),
    # A quoted cell spanning two lines: the line of a later record is its record number (3),
    # as docs/sources.md ("Line numbers") says, not its physical line (4).
    Case("campaigns_multiline_quoted_cell", C, "multiline_cell.csv", "loaded", 1, 1,
         rejects=(Reject("Status", "not one of", 3),)),
    # beta-bot, BETA-BOT, " beta-bot ", beta-bot@msging.net: all another tenant's bot.
    Case("campaigns_other_tenant_bot", C, "other_bot.csv", "loaded", 1, 4,
         rejects=rejects("BotId", "another tenant", range(3, 7)),
         check=(ACME_CAMPAIGNS, [("c1",)])),
    # -3, 20 digits, 1e3, NaN.
    Case("campaigns_impossible_counts", C, "negative_counts.csv", "loaded", 1, 4,
         rejects=rejects("InvalidContacts", "", range(3, 7))),
    Case("campaigns_control_chars_in_header", C, "header_controls.csv", "loaded", 2, 0,
         message="unknown column"),
    # A 3 MB record is rejected whole (records are limited to 1 MiB: docs/sources.md).
    Case("campaigns_huge_cell", C, "huge_cell.csv", "loaded", 2, 1,
         rejects=(Reject(None, "longer than", 3),),
         make=Generated(make_corpus.huge_cell_csv)),
    Case("campaigns_name_with_newline", C, NEWLINE_NAME, "loaded", 3, 0, make=GOOD_CAMPAIGNS),
    Case("campaigns_name_with_ansi_escape", C, ANSI_NAME, "loaded", 3, 0, make=GOOD_CAMPAIGNS),
    Case("campaigns_name_with_unicode_separators", C, SEPARATOR_NAME, "loaded", 3, 0,
         make=GOOD_CAMPAIGNS),
    # A name DuckDB cannot take: the file is reported unreadable with the reason, not read.
    Case("campaigns_name_not_utf8", C, NOT_UTF8_NAME, "unreadable", make=GOOD_CAMPAIGNS),
    Case("campaigns_symlink_outside", C, "secret.csv", "refused",
         make=LinkOutside("campaigns/good.csv")),
    Case("campaigns_directory", C, "archive", "skipped", make=folder),
    Case("campaigns_directory_named_csv", C, "old.csv", "skipped", make=folder),
    Case("campaigns_unknown_extension", C, "notes.txt", "skipped"),
    Case("campaigns_spreadsheet", C, "export.xlsx", "skipped"),
    Case("campaigns_named_pipe", C, "pipe.csv", "skipped", make=named_pipe),
    Case("campaigns_kind_folder_symlink_outside", C, "good.csv", "refused",
         make=KindFolderLinkOutside("campaigns/good.csv"), grouped=False),
    Case("tenant_folder_trailing_newline", C, "good.csv", "refused", tenant="acme\n",
         grouped=False),
    Case("tenant_folder_symlink_outside", C, "good.csv", "refused",
         make=TenantFolderLinkOutside("campaigns/good.csv"), grouped=False),
]

CSV_CASES = [
    Case("notifications_good", N, "good.csv", "loaded", 2, 0),
    Case("notifications_gzip_upper_case", N, "N.CSV.GZ", "loaded", 2, 0),
    # 2001, " 2001 ", 9999 (nobody's), beta's display number.
    Case("notifications_other_tenant_phone", N, "other_phone.csv", "loaded", 1, 4,
         rejects=(Reject("PhoneNumberId", "another tenant", 3),
                  Reject("PhoneNumberId", "another tenant", 4),
                  Reject("PhoneNumberId", "not declared", 5), Reject("PhoneNumberId", "", 6))),
    Case("notifications_other_tenant_bot_case", N, "other_bot_case.csv", "loaded", 1, 2,
         rejects=rejects("BotId", "another tenant", (3, 4))),
    # NaN, Infinity, 1e400, negative, 20 digits.
    Case("notifications_impossible_error_codes", N, "impossible_numbers.csv", "loaded", 1, 5,
         rejects=rejects("ErrorCode", "", range(3, 8))),
    Case("notifications_bad_timestamps", N, "bad_timestamps.csv", "loaded", 1, 5,
         rejects=(*rejects("AcceptedAt", "not a timestamp", (3, 4, 5)),
                  Reject("AcceptedAt", "out of range", 6),
                  Reject("AcceptedAt", "not a timestamp", 7))),
    Case("notifications_jsonl_in_csv_folder", N, "statuses.jsonl", "skipped"),
    Case("bot_messages_good", B, "good.csv", "loaded", 3, 0),
    Case("bot_messages_careless_export", B, "careless.csv", "loaded", 2, 0,
         check=("SELECT direction FROM bot_messages ORDER BY message_id",
                [("received",), ("sent",)])),
    # BotId beta-bot; RouterId beta-bot, BETA-BOT, beta-bot@msging.net.
    Case("bot_messages_other_tenant_bot_and_router", B, "other_bot.csv", "loaded", 1, 4,
         rejects=(Reject("BotId", "another tenant", 3),
                  *rejects("RouterId", "another tenant", (4, 5, 6)))),
    Case("event_tracks_good", E, "good.csv", "loaded", 3, 0),
    # [1, 2], {bad json, "just text", an object whose value is not a string.
    Case("event_tracks_bad_extras", E, "bad_extras.csv", "loaded", 1, 4,
         rejects=(*rejects("Extras", "not a JSON object", (3, 4, 5)), Reject("Extras", "", 6))),
    Case("event_tracks_other_tenant_bot", E, "other_bot.csv", "loaded", 1, 2,
         rejects=rejects("BotId", "another tenant", (3, 4))),
    Case("tickets_good", T, "good.csv", "loaded", 2, 0),
    Case("tickets_semicolon_decimal_comma", T, "decimal_comma.csv", "loaded", 2, 0,
         check=("SELECT ticket_id, rating FROM tickets ORDER BY 1", [("t1", 4.5), ("t2", 3.0)])),
    # NaN, Infinity, -Infinity, 1e400, -1.
    Case("tickets_impossible_ratings", T, "impossible_rating.csv", "loaded", 1, 5,
         rejects=rejects("Rating", "", range(3, 8))),
    Case("tickets_other_tenant_bot", T, "other_bot.csv", "loaded", 1, 2,
         rejects=rejects("BotId", "another tenant", (3, 4))),
    Case("tickets_bad_values", T, "bad_values.csv", "loaded", 1, 3,
         rejects=(Reject("Status", "not one of", 3), Reject("SequentialId", "whole number", 4),
                  Reject("CustomerIdentity", "required", 5))),
    Case("ticket_messages_good", M, "good.csv", "loaded", 3, 0),
    Case("ticket_messages_blank_lines", M, "blank_lines.csv", "loaded", 2, 0),
    Case("ticket_messages_control_bytes", M, "control_bytes.csv", "unreadable"),
    Case("ticket_messages_utf16_without_bom", M, "utf16_no_bom.csv", "unreadable"),
    Case("ticket_messages_big_gzip", M, "big.csv.gz", "loaded", 50_000, 0,
         make=Generated(make_corpus.big_gzip_csv)),
    Case("agent_status_good", A, "good.csv", "loaded", 3, 0),
    Case("agent_status_timestamp_forms", A, "timestamp_forms.csv", "loaded", 3, 0,
         check=("SELECT status FROM agent_status ORDER BY started_at",
                [("Online",), ("Pause",), ("Invisible",)])),
    Case("agent_status_bad_rows", A, "bad_rows.csv", "loaded", 1, 3,
         rejects=(Reject("Status", "not one of", 3), Reject("StartedAt", "required", 4),
                  Reject("EndedAt", "not a timestamp", 5))),
    Case("agent_status_whitespace_only", A, "whitespace_only.csv", "unreadable"),
]

WEBHOOK_CASES = [
    Case("webhooks_good_statuses_out_of_order", W, "good.jsonl", "loaded", 4, 0,
         check=("SELECT status FROM message_status_events WHERE message_id = 'wamid.A' "
                "ORDER BY ts", [("sent",), ("delivered",), ("read",)])),
    Case("webhooks_other_tenant_phone", W, "other_tenant_phone.jsonl", "loaded", 1, 2,
         rejects=rejects("phone_number_id", "another tenant", (2, 3))),
    Case("webhooks_two_changes_two_tenants", W, "mixed_tenants.jsonl", "loaded", 1, 1,
         rejects=(Reject("phone_number_id", "another tenant", 1),)),
    Case("webhooks_changes_a_string", W, "changes_string.jsonl", "loaded", 1, 1,
         rejects=(Reject("changes", "", 2),)),
    Case("webhooks_metadata_a_list", W, "metadata_list.jsonl", "loaded", 1, 1,
         rejects=(Reject("metadata", "", 2),)),
    Case("webhooks_statuses_an_object", W, "statuses_object.jsonl", "loaded", 1, 1,
         rejects=(Reject("statuses", "", 2),)),
    # entry an object, value a string, a status id an object, messages a string.
    Case("webhooks_wrong_types", W, "wrong_types.jsonl", "loaded", 1, 4,
         rejects=(Reject("entry", "", 2), Reject("value", "", 3), Reject("id", "", 4),
                  Reject("messages", "", 5))),
    # [], a string, a number, null, {}.
    Case("webhooks_top_level_types", W, "top_level_types.jsonl", "loaded", 1, 5,
         rejects=rejects(None, "", range(2, 7))),
    # NaN, Infinity, -Infinity, 1e400, -1.
    Case("webhooks_impossible_timestamps", W, "impossible_timestamps.jsonl", "loaded", 1, 5,
         rejects=rejects("timestamp", "", range(2, 7))),
    # Infinity, NaN, 1e400, negative, 10**29.
    Case("webhooks_impossible_error_codes", W, "impossible_error_codes.jsonl", "loaded", 1, 5,
         rejects=rejects("code", "", range(2, 7))),
    # user_preferences (opt-outs and opt-ins) and account_update's volume tier updates are
    # read; other fields are counted.
    Case("webhooks_other_fields_are_not_rejected", W, "other_fields.jsonl", "loaded", None, 0,
         message="message_template_status_update (1); volume-based pricing tier updates kept: 1",
         check=("SELECT wa_id, value FROM user_preferences UNION ALL "
                "SELECT region, tier FROM volume_tier_updates ORDER BY 1",
                [("5511999990001", "stop"), ("BRAZIL", "25001:100000")])),
    Case("webhooks_truncated_last_line", W, "truncated.jsonl", "loaded", 2, 1,
         rejects=(Reject(None, "JSON", 3),)),
    Case("webhooks_crlf_and_blank_lines", W, "crlf_blank.jsonl", "loaded", 2, 0),
    Case("webhooks_utf16", W, "utf16.jsonl", "unreadable"),
    Case("webhooks_latin1", W, "latin1.jsonl", "unreadable"),
    Case("webhooks_empty", W, "empty.jsonl", "unreadable", make=Literal(b"")),
    Case("webhooks_gzip", W, "good.jsonl.gz", "loaded", 2, 0),
    Case("webhooks_gzip_upper_case", W, "UPPER.JSONL.GZ", "loaded", 2, 0),
    Case("webhooks_gzip_named_plain", W, "gzipped_as_plain.jsonl", "unreadable"),
    Case("webhooks_line_nested_100000_deep", W, "deep.jsonl", "loaded", 2, 1,
         rejects=(Reject(None, "", 2),), make=Generated(make_corpus.deep_jsonl)),
    Case("webhooks_five_megabyte_line", W, "huge_line.jsonl", "loaded", 2, 0,
         make=Generated(make_corpus.huge_line_jsonl)),
]

ANALYTICS_CASES = [
    Case("conversations_good_wrapped", CA, "good.json", "loaded", 2, 0),
    # NaN, Infinity, -1, 1e400, 10**29.
    Case("conversations_impossible_counts", CA, "impossible_counts.json", "loaded", 1, 5,
         rejects=rejects("conversation", "", [None] * 5)),
    # NaN, Infinity, -0.5, 1e400.
    Case("conversations_impossible_costs", CA, "impossible_costs.json", "loaded", 1, 4,
         rejects=rejects("cost", "", [None] * 4)),
    # data_points a string, data_points an object: one rejected row each.
    Case("conversations_data_points_not_a_list", CA, "data_points_not_list.json", "loaded", 1, 2,
         rejects=rejects("data_points", "", [None] * 2)),
    Case("conversations_other_tenant_phone", CA, "other_tenant_phone.json", "loaded", 1, 1,
         rejects=(Reject("phone_number", "another tenant"),)),
    Case("conversations_bom", CA, "bom.json", "loaded", 1, 0),
    Case("conversations_top_level_list", CA, "top_level_list.json", "unreadable"),
    Case("conversations_latin1", CA, "latin1.json", "unreadable"),
    Case("conversations_empty", CA, "empty.json", "unreadable", make=Literal(b"")),
    Case("conversations_nested_100000_deep", CA, "deep.json", "unreadable",
         make=Generated(make_corpus.deep_json)),
    Case("pricing_good_bare", PA, "good.json", "loaded", 2, 0),
    # volume NaN, -3, 1e400, 10**29; cost Infinity, -0.01, NaN.
    Case("pricing_impossible_numbers", PA, "impossible_numbers.json", "loaded", 1, 7,
         rejects=(*rejects("volume", "", [None] * 4), *rejects("cost", "", [None] * 3))),
    Case("pricing_gzip", PA, "good.json.gz", "loaded", 1, 0),
    Case("pricing_not_json", PA, "not_json.json", "unreadable"),
    Case("pricing_top_level_string", PA, "top_level_string.json", "unreadable"),
    # Two pages of one response appended to one file: read together.
    Case("pricing_two_bodies_in_one_file", PA, "concatenated.json", "loaded", 2, 0,
         message="2 pages of one response"),
    Case("pricing_data_an_object", PA, "data_object.json", "unreadable"),
    Case("pricing_empty", PA, "empty.json", "unreadable", make=Literal(b"")),
]

CASES = CAMPAIGN_CASES + CSV_CASES + WEBHOOK_CASES + ANALYTICS_CASES


# ---------------------------------------------------------------------------------------------
# Running and checking


def build(tmp_path: Path, cases) -> Path:
    sources, outside = tmp_path / "sources", tmp_path / "outside"
    for case in cases:
        case.maker(sources / case.tenant / case.kind / case.name, outside)
    write(sources / CONTROL, CONTROL_TEXT)
    return sources


# A run holding a large generated file ingests in a child process with a deadline: an ingest
# that is quadratic in a line's length must fail the test, not hang the suite.
DEADLINE_SECONDS = 20
CHILD = """
import dataclasses, json, sys
from pathlib import Path
from reportlib import ingest
results = ingest.ingest(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
print(json.dumps([dataclasses.asdict(r) for r in results]))
"""


def run(tmp_path: Path, params_dir: Path, cases) -> list:
    sources, path = build(tmp_path, cases), tmp_path / "wh.duckdb"
    if not any(isinstance(c.maker, Generated) for c in cases):
        return ingest.ingest(sources, path, params_dir)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    try:
        child = subprocess.run([sys.executable, "-c", CHILD, sources, path, params_dir],
                               capture_output=True, text=True, env=env,
                               timeout=DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ingest took more than {DEADLINE_SECONDS} s")
    assert child.returncode == 0, f"ingest raised:\n{child.stderr[-3000:]}"
    return [ingest.FileResult(**fields) for fields in json.loads(child.stdout.splitlines()[-1])]


def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)


def is_control(result) -> bool:
    return result.tenant == "beta" and Path(result.file).name == CONTROL.name


BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def assert_one_clean_line(text: str) -> None:
    """One printable line: no control character (C0, C1, DEL), no line or paragraph separator,
    no bidirectional override, no lone surrogate (it could not even be printed as UTF-8)."""
    bad = [ch for ch in text
           if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in BIDI]
    assert not bad, f"raw control characters {bad!r} in {text!r}"
    assert len(text.splitlines()) == 1, text
    text.encode("utf-8")


def csv_records(data: bytes, name: str) -> int:
    """Non-blank data records of a CSV file, by Python's csv module (delimiter as the contract
    detects it: ';' when the header holds more ';' than ',')."""
    if name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    text = data.decode("utf-8-sig")
    header = text.splitlines()[0] if text else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    limit = csv.field_size_limit(1 << 30)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        next(reader, None)
        return sum(1 for record in reader if any(cell.strip() for cell in record))
    finally:
        csv.field_size_limit(limit)


def field_matches(want: str | None, field: str | None) -> bool:
    if want is None:
        return True
    steps = [s.lower() for s in re.split(r"[.\[\]\s]+", field or "") if s]
    return want.lower() in steps


def assert_result(result, case: Case, data: bytes | None) -> None:
    where = f"{case.id}: {result.line()!r}"
    assert_one_clean_line(result.line())
    assert result.status == case.status, where
    assert result.rows_read == result.rows_loaded + result.rows_rejected, where
    if case.loaded is not None:
        assert result.rows_loaded == case.loaded, where
    if case.rejected is not None:
        assert result.rows_rejected == case.rejected, where
    expected_read = case.rows_read
    if expected_read == COUNT:
        expected_read = csv_records(data, case.name)
    if expected_read is not None:
        assert result.rows_read == expected_read, where
    if case.message:
        assert case.message.lower() in result.line().lower(), where
    if case.status != "loaded":
        message = result.message
        assert message.strip() and "\n" not in message and "Traceback" not in message, where


def assert_rejects(got: list, case: Case) -> None:
    """Each expected reject matches a distinct rejected row (line, field, reason), in order."""
    left = list(got)
    for want in case.rejects:
        found = next((row for row in left
                      if (want.line is None or row[0] == want.line)
                      and field_matches(want.field, row[1])
                      and (row[2] or "").strip()
                      and want.reason.lower() in (row[2] or "").lower()), None)
        assert found is not None, f"{case.id}: no rejected row like {want} in {got}"
        left.remove(found)


def assert_warehouse(tmp_path: Path, result, case: Case) -> None:
    con = warehouse(tmp_path)
    try:
        check_warehouse(con, result, case)
    finally:
        con.close()


def check_warehouse(con: duckdb.DuckDBPyConnection, result, case: Case) -> None:
    def query(sql: str, params=()) -> list:
        return con.execute(sql, list(params)).fetchall()

    kind = case.kind
    got = query("SELECT line, field, reason FROM rejected_rows WHERE tenant_id = ? "
                "AND source_kind = ? ORDER BY line, field", (case.tenant, kind))
    if case.status == "loaded":
        assert len(got) == result.rows_rejected, (case.id, got)
        assert_rejects(got, case)
        log = query("SELECT status, rows_read, rows_loaded, rows_rejected "
                    "FROM ingest_log WHERE tenant_id = ? AND source_kind = ?",
                    (case.tenant, kind))
        assert log == [("loaded", result.rows_read, result.rows_loaded,
                        result.rows_rejected)], case.id
    else:
        assert got == [], case.id
        for table in TABLES[kind]:
            assert query(f"SELECT count(*) FROM {table} WHERE tenant_id <> 'beta'"
                         ) == [(0,)], f"{case.id}: rows of a {case.status} entry in {table}"
    if case.status == "unreadable":
        log = query("SELECT status, message FROM ingest_log WHERE tenant_id = ? "
                    "AND source_kind = ?", (case.tenant, kind))
        assert [s for s, _ in log] == ["unreadable"] and log[0][1], (case.id, log)
    if case.check:
        sql, rows = case.check
        assert query(sql) == rows, case.id


# A carriage return inside an unquoted cell of an LF (or CRLF, or gzip) file: DuckDB's strict
# reader refused the whole file ("state machine reached an invalid state"); now that row is
# rejected naming its line, and the rows around it load.
LONE_CR = [
    Case(f"event_tracks_lone_carriage_return_{name}", E, f"lone_cr.csv{ext}", "loaded", 2, 1,
         read=3,  # Python's csv module ends a record at the lone CR: 4
         rejects=(Reject(None, "carriage return inside a cell that is not quoted", 3),),
         make=Generated(functools.partial(make_corpus.lone_cr_csv, newline, ext == ".gz")))
    for name, newline, ext in (("lf", "\n", ""), ("crlf", "\r\n", ""), ("gzip", "\n", ".gz"))
]


# A line of 1.5 million fields (3 MB): DuckDB's reader rejects such a line once per extra
# field, each reject holding the line (hours); it is set aside before the read and rejected
# once, naming its fields.
WIDE_LINE = [
    Case("event_tracks_three_megabyte_line", E, "huge_row.csv", "loaded", 1, 1, grouped=False,
         rejects=(Reject(None, "expected 8 fields, found 1500000", 3),),
         make=Generated(make_corpus.huge_row_csv)),
]

# Meta's analytics as Meta returns them: UNKNOWN values, absent dimensions, REFERRAL_CONVERSION,
# tier in a data point's identity (docs/sources.md shapes; Meta's own examples are in
# tests/ingest/test_analytics.py).
REAL_SHAPES = [
    Case("conversations_unknown_values", CA, "unknown_values.json", "loaded", 2, 0),
    Case("conversations_absent_dimensions", CA, "absent_dimensions.json", "loaded", 2, 0),
    Case("pricing_categories_and_tiers", PA, "categories_tier.json", "loaded", 4, 0,
         check=("SELECT count(*) FROM pricing_daily", [(4,)])),
]


@pytest.mark.parametrize("case", [
    *CASES, *REAL_SHAPES, *LONE_CR, *WIDE_LINE], ids=lambda c: c.id)
def test_corpus_entry(tmp_path, params_dir, case):
    results = run(tmp_path, params_dir, [case])
    control = [r for r in results if is_control(r)]
    assert [(r.status, r.rows_loaded) for r in control] == [("loaded", 2)], \
        "the other files of the run are still read"
    mine = [r for r in results if not is_control(r)]
    assert len(mine) == 1, [r.line() for r in mine]
    target = tmp_path / "sources" / case.tenant / case.kind / case.name
    data = target.read_bytes() if case.rows_read == COUNT else None
    assert_result(mine[0], case, data)
    assert_warehouse(tmp_path, mine[0], case)


def grouped_problems(result, case: Case) -> list[str]:
    """What is wrong with one entry's result in the everything-at-once run."""
    problems = []
    try:
        assert_one_clean_line(result.line())
    except AssertionError as exc:
        problems.append(f"{case.id}: {exc}")
    # The same bytes twice in one folder: the second file is 'unchanged', with the same counts.
    allowed = {"loaded", "unchanged"} if case.status == "loaded" else {case.status}
    if result.status not in allowed:
        problems.append(f"{case.id}: status {result.status}, expected {case.status}")
    if result.rows_read != result.rows_loaded + result.rows_rejected:
        problems.append(f"{case.id}: rows read != loaded + rejected")
    for name, want, got in (("loaded", case.loaded, result.rows_loaded),
                            ("rejected", case.rejected, result.rows_rejected)):
        if want is not None and got != want:
            problems.append(f"{case.id}: {got} {name}, expected {want}")
    return problems


def test_every_file_of_each_kind_in_one_folder(tmp_path, params_dir):
    """Every entry of every kind at once, each kind's entries side by side in one folder:
    nothing raises and every entry gets its own result, as when it is alone."""
    cases = [c for c in CASES if c.grouped and c.tenant == "acme"]
    results = run(tmp_path, params_dir, cases)
    mine = {(r.kind, Path(r.file).name): r for r in results if not is_control(r)}
    assert len(results) == len(cases) + 1, [r.line() for r in results]
    problems = []
    for case in cases:
        result = mine.get((case.kind, case.name))
        if result is None:
            problems.append(f"{case.id}: no result for {case.name!r}")
        else:
            problems += grouped_problems(result, case)
    assert not problems, "\n".join(problems)


FORGING = ("campaigns_name_with_newline", "campaigns_name_with_ansi_escape",
           "campaigns_name_with_unicode_separators", "campaigns_name_not_utf8",
           "campaigns_symlink_outside", "campaigns_directory", "campaigns_unknown_extension",
           "campaigns_control_chars_in_header", "campaigns_crlf",
           "tenant_folder_trailing_newline")


def test_command_prints_one_clean_line_per_entry(tmp_path, params_dir, capsys):
    cases = [c for c in CASES if c.id in FORGING]
    sources = build(tmp_path, cases)
    code = cli.main(["ingest", str(sources), "--warehouse", str(tmp_path / "wh.duckdb"),
                     "--params", str(params_dir)])
    out = capsys.readouterr().out
    lines = out.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(cases) + 1, out  # + the control file
    for text in lines[:-1]:
        assert_one_clean_line(text)
    assert code == 1  # a refused tenant folder


def test_corpus_table_is_complete_and_small():
    assert len(CASES) >= 60
    assert {c.kind for c in CASES} == set(KINDS)
    assert len({c.id for c in CASES}) == len(CASES)
    for kind in KINDS:
        names = [c.name for c in CASES if c.kind == kind and c.grouped]
        assert len(names) == len(set(names)), kind
    used = {c.maker.relative for c in CASES + REAL_SHAPES if isinstance(c.maker, FromCorpus)}
    used |= {c.make.relative for c in CASES + REAL_SHAPES if hasattr(c.make, "relative")}
    committed = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*")
                 if p.is_file() and p.name != ".gitattributes"}
    assert committed == used
    assert all((CORPUS / name).stat().st_size <= 100_000 for name in committed)


def test_committed_corpus_is_what_make_corpus_writes():
    for relative, data in make_corpus.small_files().items():
        assert (CORPUS / relative).read_bytes() == data, relative
