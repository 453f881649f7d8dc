"""A full disk is said as such, naming the file that could not be written, whichever layer
(DuckDB, the OS) raised it; any other error is not."""

from __future__ import annotations

import errno

import duckdb

from reportlib.errors import disk_full

# DuckDB's words when a bundle's checkpoint hit a full disk (a real run's, on a 2 MB tmpfs).
CHECKPOINT = ('IO Error: Detached database \'out\', but CHECKPOINT during DETACH failed. \n'
              'Checkpoint failed for database "out". The database has been invalidated. '
              'Original error: Could not write file "/srv/outputs/.staging/varejo_sul/2026-10/'
              '.bundle-207aebws.duckdb": No space left on device')


def test_duckdbs_full_disk_names_the_file():
    assert disk_full(duckdb.IOException(CHECKPOINT)) == (
        "the disk is full: could not write /srv/outputs/.staging/varejo_sul/2026-10/"
        ".bundle-207aebws.duckdb; free some space on that disk and run again")


def test_the_oss_full_disk_names_the_file_even_as_the_cause_of_another_error():
    full = OSError(errno.ENOSPC, "No space left on device", "/srv/outputs/index.html")
    try:
        try:
            raise full
        except OSError as exc:
            raise RuntimeError("publishing failed") from exc
    except RuntimeError as wrapped:
        assert disk_full(wrapped) == ("the disk is full: could not write "
                                      "/srv/outputs/index.html; free some space on that disk "
                                      "and run again")


def test_other_errors_are_not_a_full_disk():
    assert disk_full(OSError(errno.EACCES, "Permission denied", "/srv/x")) is None
    assert disk_full(duckdb.IOException('Could not read enough bytes from file "w"')) is None


def test_duckdbs_copy_to_a_full_disk_names_the_file_it_was_writing():
    """COPY ... TO (an extract) says it in JSON, its quotes escaped: the line said 'could not
    write a file'. A temporary name is said as the file it was to become."""
    copy = ('IO Error: Async write failed for range [offset=25, size=215977]: {"exception_type'
            '":"IO","exception_message":"Could not write file \\"/srv/extracts/varejo_sul/'
            '.tickets.csv.0a1b2c3d.tmp\\": No space left on device","errno":"28"}')
    assert disk_full(duckdb.IOException(copy)) == (
        "the disk is full: could not write /srv/extracts/varejo_sul/tickets.csv; free some "
        "space on that disk and run again")


def test_a_stop_held_through_a_block_that_ends_in_an_error_still_stops():
    """SIGTERM while the server took the operator's notice, and the server then refused it
    (451): the block ended in SMTPDataError, which the notice's caller catches as a failed
    send, and the stop was lost (run-due went on to its next slots). The stop now comes out of
    the block whatever it ends in, the error as its context; a nested block waits for the
    outer one."""
    import signal
    import smtplib

    import pytest

    from reportlib import errors

    errors.clear_stop()
    try:
        with pytest.raises(errors.Terminated) as stopped:
            with errors.stop_held():
                with errors.stop_held():
                    errors.stop_requested(signal.SIGTERM)
                assert errors.stop_is_held()  # the inner block ended: still held
                raise smtplib.SMTPDataError(451, b"try again later")
        assert isinstance(stopped.value.__context__, smtplib.SMTPDataError)
        assert not errors.stop_is_held()
    finally:
        errors.clear_stop()
