"""The one exception type for errors a user can cause (bad input, bad parameters), and the
escaping that keeps a message to its one line."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
from collections.abc import Iterator


def printable(text: str) -> str:
    """`text` with every control or non-printable character escaped (\\n, \\x1b, \\u2028…), so
    that a file name or a cell copied into a message can neither split nor forge a line."""
    out = []
    for ch in str(text):
        if ch.isprintable():
            out.append(ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif 0xDC80 <= ord(ch) <= 0xDCFF:  # a byte of a name that is not UTF-8
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


def looked_in(path: os.PathLike | str) -> str:
    """For a message about a relative path that is not there: the folder it was looked for
    in. A cron line or a systemd unit runs in the home folder unless it says otherwise, and
    'no warehouse at warehouse.duckdb' did not say where that was."""
    if os.path.isabs(path):
        return ""
    return (f"; {printable(os.fspath(path))} is looked for in {printable(os.getcwd())}, the "
            "folder the command runs in (a cron line runs in the home folder unless it does "
            "`cd /path/to/site && …`; a systemd unit, unless it sets WorkingDirectory=)")


class ReportError(Exception):
    """A user-facing error whose message is one line naming what is wrong and where."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class WarehouseBusy(ReportError):
    """Another command held the warehouse longer than this one would wait: the command stops
    (exit 2) rather than recording anything as failed."""


class OutputsBusy(ReportError):
    """Another run rendered into the same outputs folder longer than this one would wait: the
    command stops (exit 2), having written nothing."""


# What a full disk looks like from DuckDB ("Could not write file "<path>": No space left on
# device", inside a failed CHECKPOINT or commit; its COPY ... TO puts that in JSON, the quotes
# escaped: 'Could not write file \"<path>\": No space left on device') and from the OS
# (ENOSPC).
_NO_SPACE = re.compile(r'(?:file \\?"(?P<path>[^"\\]+)\\?": )?No space left on device')
# A file written under a temporary name beside its place (`.<name>.<8 hex>.tmp`), renamed
# into place once whole: the operator knows it by its name.
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{8}\.tmp$")


def disk_full(error: BaseException) -> str | None:
    """One line for an error that a full disk caused (itself or any error it came from):
    that the disk is full and which file could not be written; None for any other error."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            where = error.filename
        elif found := _NO_SPACE.search(str(error)):
            where = found.group("path")
        else:
            error = error.__cause__ or error.__context__
            continue
        if where and (temporary := _TEMPORARY.match(os.path.basename(where))):
            where = os.path.join(os.path.dirname(where), temporary.group("name"))
        place = f"could not write {where}" if where else "could not write a file"
        return f"the disk is full: {place}; free some space on that disk and run again"
    return None


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill PID`, a service stopped, a scheduler's time limit): the command stops as
    on Ctrl-C, ending its workers and their kernels and clearing what it staged. Left to the
    default action, the command died at once and its pool's workers lived on, orphaned, each
    with its kernel."""


_stop_signals: list[int] = []  # the stop signals (SIGINT, SIGTERM) this command received


def stop_requested(signum: int) -> None:
    """Called by the command's handler of SIGINT or SIGTERM, which then raises its exception
    unless the command is inside `stop_held`."""
    _stop_signals.append(signum)


_held: list[int] = []  # one per `stop_held` block the command is in


def clear_stop() -> None:
    _stop_signals.clear()
    _held.clear()


def stop_is_held() -> bool:
    """Whether a stop signal must wait (the command is inside `stop_held`)."""
    return bool(_held)


@contextlib.contextmanager
def stop_held() -> Iterator[None]:
    """A block that a stop signal does not cut short: the signal is noted, the block ends,
    and the stop comes right after it. For what must not be left half done: a message the
    SMTP server may already have taken is recorded before the command stops (cut off there,
    it was sent again by the next run). The stop comes after a block that ends in an error
    too (the server refusing the message): caught as that error, the stop was lost."""
    _held.append(1)
    try:
        yield
    finally:
        _held.pop()
        if not _held and _stop_signals:
            raise (Terminated() if _stop_signals[-1] == signal.SIGTERM else KeyboardInterrupt())


def stop_signal() -> int | None:
    """The stop signal the command received, if any."""
    return _stop_signals[-1] if _stop_signals else None


def raise_if_stopping(error: BaseException) -> None:
    """Raise the command's stop again (KeyboardInterrupt, Terminated) when one came. DuckDB
    turns a signal that comes while it runs a query into RuntimeError('Query interrupted'),
    dropping the exception the signal's handler raised: caught as one file's or one report's
    error, Ctrl-C or SIGTERM recorded that good file or report as failed and the command went
    on with the others."""
    if _stop_signals:
        raise (Terminated() if _stop_signals[-1] == signal.SIGTERM
               else KeyboardInterrupt()) from error
