"""A real SMTP server on loopback (aiosmtpd) for the e-mail tests."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:  # aiosmtpd's port=0 is broken: pick one first
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """What the server accepted: (envelope recipients, message) per message. An address that
    starts with one of `refuse` is answered 550, as a server does for an unknown mailbox."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.messages = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith(self.refuse) and self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int | None = None, refuse: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.inbox = Inbox(refuse)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
