"""The sources folder: which entries are files to read, which are refused or reported, and how
a file is opened (gzip or not), hashed and its first line read, all without holding it whole."""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from reportlib import sources
from reportlib.errors import ReportError

# Accepted extensions per kind, compared case-insensitively; each may end in `.gz`.
EXTENSIONS = {"whatsapp_webhooks": (".jsonl", ".json"), "conversation_analytics": (".json",),
              "pricing_analytics": (".json",)}
CSV_EXTENSIONS = (".csv",)
# What to do with a file of another extension that is most often an export's own form, or
# another kind's file in the wrong folder.
HINTS = (
    ((".zip", ".7z", ".rar", ".tar", ".tgz", ".tar.gz", ".bz2", ".xz", ".zst"),
     " (an archive or another compression: extract its files into this folder; gzip "
     "(.gz) is read as it is)"),
    ((".xlsx", ".xls", ".xlsm", ".ods", ".numbers"),
     " (a spreadsheet: save it as CSV, UTF-8 or the spreadsheet's own CSV)"),
    ((".jsonl", ".jsonl.gz"), " (Meta's webhook bodies belong in whatsapp_webhooks/)"),
    ((".json", ".json.gz"), " (Meta's analytics belong in conversation_analytics/ or "
     "pricing_analytics/, its webhooks in whatsapp_webhooks/)"),
    ((".csv", ".csv.gz"), " (the platform's exports belong in the folder of their kind: "
     "notifications/, tickets/, ...)"),
)
GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    """One thing found in a kind folder: a file to read, or why it is not read."""

    path: Path
    status: str  # read | refused | skipped
    message: str = ""

    @property
    def compressed(self) -> bool:
        return self.path.name.lower().endswith(".gz")


def kept_beside(name: str) -> str | None:
    """What a file the system or an editor keeps beside the exports is, or None. A folder
    copied from a Mac holds a `._<name>` (AppleDouble metadata, binary) for each file, which
    ends in .csv like its twin; an open spreadsheet leaves a lock file."""
    lower = name.lower()
    if name.startswith("._"):
        return f"macOS's metadata of {name[2:]} (a copy from a Mac), not an export"
    if name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#")):
        return "a spreadsheet's lock file (the export is open in it)"
    if lower in (".ds_store", "thumbs.db", "desktop.ini"):
        return "a file the operating system keeps"
    if name.startswith("."):
        return "a hidden file"
    return None


def extensions(kind: str) -> tuple[str, ...]:
    return EXTENSIONS.get(kind, CSV_EXTENSIONS)


def inside(path: Path, root: Path) -> bool:
    """True when `path`, symlinks resolved, stays inside `root`."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def kind_entries(kind: str, folder: Path, root: Path) -> list[Entry]:
    """Every entry of a kind folder, sorted by name, with what ingest does with it."""
    wanted = extensions(kind)
    entries = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name.lower()
        if path.is_symlink() and not inside(path, root):
            entries.append(Entry(path, "refused", "symbolic link leading outside the sources "
                                 "folder: not read"))
        elif path.is_dir():
            entries.append(Entry(path, "skipped", "a folder inside a source folder: not read"))
        elif not path.is_file():
            entries.append(Entry(path, "skipped", "not a regular file: not read"))
        elif kept := kept_beside(path.name):
            entries.append(Entry(path, "skipped", f"{kept}, not read"))
        elif not name.endswith(tuple(wanted) + tuple(e + ".gz" for e in wanted)):
            allowed = ", ".join(f"{e}, {e}.gz" for e in wanted)
            hint = next((h for ends, h in HINTS if name.endswith(ends)), "")
            entries.append(Entry(path, "skipped", f"not a {allowed} file: not read{hint}"))
        else:
            entries.append(Entry(path, "read"))
    return entries


def tenant_folder_problem(folder: Path, root: Path, known: set[str],
                          params_dir: Path) -> str | None:
    """Why a tenant folder is refused, or None when it is read."""
    name = folder.name
    if not sources.TENANT_ID.match(name):
        return f"tenant folder {name!r} is not a valid tenant id: nothing of it was read"
    if folder.is_symlink() and not inside(folder, root):
        return "symbolic link leading outside the sources folder: nothing of it was read"
    if name not in known:
        return f"unknown tenant {name!r}: no {Path(params_dir) / 'tenants' / name}.yaml"
    return None


def sha256(path: Path) -> str:
    """SHA-256 of the file's bytes as stored (compressed or not), read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_gzip(entry: Entry) -> None:
    """A file is gzip-compressed exactly when its name ends in .gz."""
    with entry.path.open("rb") as handle:
        magic = handle.read(2) == GZIP_MAGIC
    if entry.compressed and not magic:
        raise ReportError("named .gz but not gzip-compressed")
    if magic and not entry.compressed:
        raise ReportError("gzip-compressed but not named .gz")


def gzip_problem(entry: Entry) -> str | None:
    """Why a .gz file cannot be read whole (cut short in a copy or a download, or its bytes
    damaged), naming the last whole line before the break; None when it decompresses to its
    end. Called only after a read of it failed, so a good file is decompressed once here."""
    lines, stream = 0, zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        with entry.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                while chunk:
                    # CHUNK bytes out at most: a megabyte of a gzip bomb is a gigabyte.
                    lines += stream.decompress(chunk, CHUNK).count(b"\n")
                    chunk = stream.unused_data if stream.eof else stream.unconsumed_tail
                    if stream.eof and chunk:  # another gzip member follows (files may be
                        stream = zlib.decompressobj(16 + zlib.MAX_WBITS)  # concatenated)
    except zlib.error as exc:
        return (f"gzip file damaged after line {lines} ({exc}): nothing of it was read; "
                "copy the file again")
    except OSError:
        return None
    if not stream.eof:
        return (f"gzip file cut short: its data ends after line {lines}, before gzip's "
                "end-of-stream marker (an interrupted copy or download): nothing of it was "
                "read; copy the file again")
    return None


def open_bytes(entry: Entry):
    """The file's bytes, decompressed when it is gzip."""
    return gzip.open(entry.path, "rb") if entry.compressed else open(entry.path, "rb")


def first_line(entry: Entry, limit: int = 1 << 20) -> str:
    """The first line of the file (decompressed), as text; a BOM is dropped."""
    try:
        with open_bytes(entry) as handle:
            raw = handle.readline(limit)
    except (OSError, EOFError) as exc:
        raise ReportError(f"cannot read file ({exc})") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReportError("not UTF-8 (UTF-16 byte order mark)")
    if raw.count(b"\x00") * 3 >= len(raw) > 0:  # UTF-16 without a byte order mark (every
        # other byte of its ASCII is NUL), or not text at all; a stray NUL is a bad value
        raise ReportError("not UTF-8 text (line 1 is mostly NUL bytes: UTF-16 without a byte "
                          "order mark?)")
    raw = raw.split(b"\r", 1)[0]  # old Mac files end lines with CR alone
    try:
        return raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ReportError(f"not UTF-8 (byte {exc.start})") from None


def is_empty(entry: Entry) -> bool:
    """True when the file holds nothing but white space (after decompression)."""
    try:
        with open_bytes(entry) as handle:
            while chunk := handle.read(CHUNK):
                if chunk.strip():
                    return False
    except (OSError, EOFError) as exc:
        raise ReportError(f"cannot read file ({exc})") from None
    return True


def header_record(entry: Entry, delimiter: str) -> list[str]:
    """The first CSV record, read by Python's csv module (a quoted name may span lines).
    Only the header's own lines are decoded: a byte that is not UTF-8 further down is that
    row's problem (a rejected row), not the file's."""

    def lines(handle):
        number = 0
        # A line ended by LF (one of an old Mac file holds its CRs), read 16 MiB at most.
        for chunk in iter(lambda: handle.readline(16 * CHUNK), b""):
            for raw in chunk.splitlines(keepends=True):
                number += 1
                try:
                    yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    raise ReportError(f"not UTF-8 (line {number}, byte {exc.start + 1} of "
                                      "the line)") from None

    try:
        with open_bytes(entry) as raw:
            return next(csv.reader(lines(raw), delimiter=delimiter, quotechar='"'))
    except csv.Error as exc:
        raise ReportError(f"line 1: header is not valid CSV ({exc})") from None
    except (OSError, EOFError) as exc:
        raise ReportError(f"cannot read file ({exc})") from None
    except StopIteration:
        raise ReportError("empty file: no header row") from None


# A character of UTF-8 written in more than one byte: a file holding one is UTF-8 (maybe with a
# damaged byte), never Windows-1252 text, where such pairs would read as "Ã£" for "ã".
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                           rb"|[\xf0-\xf4][\x80-\xbf]{3}")


def first_bytes(entry: Entry, size: int = 4) -> bytes:
    try:
        with open_bytes(entry) as handle:
            return handle.read(size)
    except (OSError, EOFError):
        return b""


def other_encoding(entry: Entry) -> str | None:
    """The encoding of a text file that is not UTF-8 and is read all the same: "UTF-16" when
    it starts with UTF-16's byte order mark (a spreadsheet's "Unicode text"), "Windows-1252"
    (see `windows_1252`), else None."""
    if first_bytes(entry, 2) in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16"
    return "Windows-1252" if windows_1252(entry) else None


def windows_1252(entry: Entry) -> bool:
    """True when a file that is not UTF-8 is Windows-1252 text (Latin-1 with Windows'
    punctuation), as Excel saves "CSV" on a Windows set to Portuguese: every byte is one of
    Windows-1252's, and it holds more bytes that are no UTF-8 than characters of UTF-8. A
    UTF-8 file with a damaged byte holds many of these and few of those (its damaged rows are
    rejected); Windows-1252 text may hold a pair of bytes that happens to be a UTF-8
    character (`É”` is C9 94), which alone made it UTF-8 and every accented row rejected.
    Called only for a file DuckDB or the header found not UTF-8."""
    if first_bytes(entry).startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    characters = not_utf8 = 0
    try:
        with open_bytes(entry) as handle:
            while chunk := handle.read(CHUNK):
                # NUL bytes: UTF-16 or no text at all, whatever Windows-1252 makes of them.
                if b"\x00" in chunk:
                    return False
                chunk.decode("cp1252")
                characters += len(UTF8_SEQUENCE.findall(chunk))
                not_utf8 += (chunk.decode("utf-8", errors="replace").count("\ufffd")
                             - chunk.count("\ufffd".encode()))
    except (UnicodeDecodeError, OSError, EOFError):
        return False
    return not_utf8 > characters


def utf8_copy(entry: Entry, encoding: str) -> Path:
    """A temporary UTF-8 copy (uncompressed) of a Windows-1252 or UTF-16 file (its byte order
    mark dropped): its lines and their numbers are the file's (line ends stay as they are)."""
    decoder = codecs.getincrementaldecoder(
        "utf-16" if encoding == "UTF-16" else "cp1252")(errors="strict")
    fd, name = tempfile.mkstemp(prefix=".utf8-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as out, open_bytes(entry) as source:
            while chunk := source.read(CHUNK):
                out.write(decoder.decode(chunk).encode("utf-8", "replace"))
            out.write(decoder.decode(b"", final=True).encode("utf-8", "replace"))
    except UnicodeDecodeError as exc:
        Path(name).unlink(missing_ok=True)
        raise ReportError(f"not UTF-8, nor {encoding} text ({exc.reason}): nothing of it "
                          "was read") from None
    except BaseException:  # a gzip cut short, a full disk, a stop: no copy left behind
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


SEPARATOR_LINE = re.compile(rb"(?i)(?:\xef\xbb\xbf)?sep=(.)\r?\n?")


def separator_line(entry: Entry) -> str | None:
    """The line `sep=;` (or `sep=,`) some exports write first so that Excel splits the
    columns: its text, or None when line 1 is something else (the header)."""
    try:
        with open_bytes(entry) as handle:
            raw = handle.readline(64)
    except (OSError, EOFError):
        return None
    return raw.rstrip(b"\r\n").decode("utf-8-sig", "replace") \
        if SEPARATOR_LINE.fullmatch(raw) else None


def without_first_line(entry: Entry) -> Path:
    """A temporary copy (uncompressed) of the file from its second line on."""
    fd, name = tempfile.mkstemp(prefix=".csv-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as out, open_bytes(entry) as source:
            source.readline()
            while chunk := source.read(CHUNK):
                out.write(chunk)
    except BaseException:  # a gzip cut short, a full disk, a stop: no copy left behind
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def duckdb_compression(entry: Entry) -> str:
    return "gzip" if entry.compressed else "none"
