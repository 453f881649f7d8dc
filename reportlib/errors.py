"""The one exception type for errors a user can cause (bad input, bad parameters)."""

from __future__ import annotations


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
