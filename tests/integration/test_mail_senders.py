"""The two mail senders for real: an SMTP relay (aiosmtpd on a loopback port) that insists on STARTTLS and
a login, and the outbox directory of the embedded default."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tandem.core.mail import OutboundEmail, OutboxDirMailSender, SmtpMailSender, text_to_html

pytestmark = pytest.mark.integration
FROM = "Loom & Lantern support <support@loom.example>"
USER, PASSWORD = "tandem", "s3cret-relay"


@dataclass
class Relay:
    """What the SMTP server received: (envelope sender, recipients, raw message, was it over TLS)."""

    port: int
    ca: trustme.CA
    received: list[tuple[str, list[str], bytes, bool]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, session.ssl is not None)
        )
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append(data.login.decode())
            if data.login.decode() == USER and data.password.decode() == PASSWORD:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def relay() -> Iterator[Relay]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    found = Relay(port=_free_port(), ca=ca)
    controller = Controller(
        found,
        hostname="127.0.0.1",
        port=found.port,
        server_hostname="127.0.0.1",
        tls_context=server_context,
        require_starttls=True,
        auth_required=True,
        authenticator=found.authenticate,
        ready_timeout=10,
    )
    controller.start()
    yield found
    controller.stop()


def _email(message_id: str = "<m1@loom.example>") -> OutboundEmail:
    text = "Hello Maya,\n\nYour parcel <ORD-10002> arrives tomorrow.\n"
    return OutboundEmail(
        to="maya@example.com", subject="Re: Your conversation (#7)", text=text, html=text_to_html(text),
        message_id=message_id, in_reply_to="<root@loom.example>", references=("<root@loom.example>",),
        language="en",
    )  # fmt: skip


def _trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def _sender(relay: Relay, **overrides: Any) -> SmtpMailSender:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": relay.port,
        "from_address": FROM,
        "security": "starttls",
        "username": USER,
        "password": PASSWORD,
        "tls_context": _trusting(relay.ca),
        "timeout_seconds": 10,
    }
    values.update(overrides)
    return SmtpMailSender(**values)


async def test_smtp_sends_over_starttls_with_a_login(relay: Relay) -> None:
    await _sender(relay).send(_email())
    assert len(relay.received) == 1
    mail_from, recipients, raw, over_tls = relay.received[0]
    assert over_tls and relay.logins == [USER]
    assert mail_from == "support@loom.example" and recipients == ["maya@example.com"]
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Message-ID"] == "<m1@loom.example>" and parsed["In-Reply-To"] == "<root@loom.example>"
    assert parsed["Subject"] == "Re: Your conversation (#7)"
    html = parsed.get_body(("html",))
    assert html is not None and "&lt;ORD-10002&gt;" in html.get_content()


async def test_smtp_failures_raise_so_the_job_is_retried(relay: Relay) -> None:
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await _sender(relay, password="wrong").send(_email())
    with pytest.raises(aiosmtplib.SMTPException):  # never in plain text to a relay that wants TLS
        await _sender(relay, security="none").send(_email())
    with pytest.raises(ssl.SSLCertVerificationError):  # a certificate nobody vouches for is refused
        await _sender(relay, tls_context=None).send(_email())
    assert relay.received == []


async def test_the_outbox_directory_gets_one_whole_file_per_message(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    sender = OutboxDirMailSender(outbox, from_address=FROM)
    await sender.send(_email("<m1@loom.example>"))
    await sender.send(_email("<m1@loom.example>"))  # a retried job: the same file again
    await sender.send(_email("<m2@loom.example>"))
    files = sorted(outbox.iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]  # no temporary file left behind
    assert sender.path_for("<m1@loom.example>") in files
    parsed = message_from_bytes(sender.path_for("<m2@loom.example>").read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == "<m2@loom.example>" and parsed["From"] == FROM
    assert parsed["To"] == "maya@example.com"
