"""A real SMTP server on loopback (aiosmtpd) for the e-mail tests."""

from __future__ import annotations

import socket
import ssl
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


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


# A self-signed certificate for localhost and 127.0.0.1 (valid to 2126) with its key: a server
# that speaks TLS with a certificate this machine does not trust.
CERTIFICATE = Path(__file__).with_name("smtp_localhost.pem")


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERTIFICATE)
    return context


def refuse_every_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """An aiosmtpd authenticator for which every user and password is wrong (535)."""
    return AuthResult(success=False, handled=False)


class SmtpServer:
    """`options` go to aiosmtpd's Controller as they are: `tls_context=tls_context()` and
    `require_starttls=True` for STARTTLS, `authenticator=` and `auth_required=True` for a
    server that asks to log in."""

    def __init__(self, port: int | None = None, refuse: tuple[str, ...] = (),
                 **options) -> None:
        self.port = port or free_port()
        self.inbox = Inbox(refuse)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     **options)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
