"""Outbound e-mail: what to send (``OutboundEmail``), the ``MailSender`` protocol, and its two senders.

- ``SmtpMailSender`` hands the message to an SMTP relay (aiosmtplib): STARTTLS on the submission port by
  default, implicit TLS or none on request, optional authentication.
- ``OutboxDirMailSender``, the embedded default, writes each message as an ``.eml`` file into a directory
  (``$TANDEM_DATA_DIR/outbox``): what would have gone out, readable by a person, a test or a script that
  forwards it.

A sender only sends; deciding what to send, and when, belongs to the domain that composes the message and
to the job that runs after the commit which recorded it. A message's ``Message-ID`` is chosen by that
domain from stable facts (the conversation, the message), so a job that runs twice sends the same message
twice, which mail clients show once, and the file sink overwrites the same file. The threading headers
(``In-Reply-To``, ``References``) let replies thread in the customer's mail client.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import os
import re
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Literal, Protocol

import structlog

log = structlog.get_logger(__name__)

SmtpSecurity = Literal["starttls", "tls", "none"]
MAX_REFERENCES = 10  # RFC 5322 suggests trimming long chains; keep the first and the latest ones
_ID_KEY = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, kw_only=True)
class OutboundEmail:
    """One message to one recipient. ``text`` is required; ``html``, when given, must already be safe
    HTML (build it with ``text_to_html``)."""

    to: str
    subject: str
    text: str
    message_id: str
    html: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    language: str | None = None
    auto_generated: bool = False  # RFC 3834: a notification, not a person's reply (no out-of-office loops)
    headers: Mapping[str, str] = field(default_factory=dict)  # extra headers, e.g. X-Tandem-Conversation


class MailSender(Protocol):
    """Where outbound e-mail goes. ``send`` raises on failure, so the job that called it is retried."""

    from_address: str

    async def send(self, message: OutboundEmail) -> None: ...


def make_message_id(key: str, *, from_address: str) -> str:
    """``<key@domain>``, the domain taken from the From address, so ids are unique to this deployment."""
    address = parseaddr(from_address)[1]
    domain = address.rpartition("@")[2] if "@" in address else "localhost"
    return f"<{_ID_KEY.sub('-', key)}@{domain}>"


def text_to_html(text: str) -> str:
    """Plain text as HTML: every character escaped, blank lines as paragraphs, line breaks kept."""
    paragraphs = [part for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    return "".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in part.splitlines()) + "</p>\n"
        for part in paragraphs
    )


def build_mime(message: OutboundEmail, *, from_address: str) -> EmailMessage:
    """The RFC 5322 message: headers, a plain-text part and, when given, an HTML alternative."""
    mime = EmailMessage(policy=SMTP)
    mime["From"] = from_address
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(usegmt=True)
    mime["Message-ID"] = message.message_id
    if message.in_reply_to:
        mime["In-Reply-To"] = message.in_reply_to
    references = _trim(message.references)
    if references:
        mime["References"] = " ".join(references)
    if message.auto_generated:
        mime["Auto-Submitted"] = "auto-generated"
    for name, value in message.headers.items():
        mime[name] = value
    mime.set_content(message.text)
    if message.html is not None:
        language = html.escape(message.language or "en", quote=True)
        mime.add_alternative(
            f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"></head>'
            f"<body>{message.html}</body></html>\n",
            subtype="html",
        )
    if message.language:  # after the content: setting the content clears every Content-* header
        mime["Content-Language"] = message.language
    return mime


def _trim(references: tuple[str, ...]) -> tuple[str, ...]:
    if len(references) <= MAX_REFERENCES:
        return references
    return (references[0], *references[-(MAX_REFERENCES - 1) :])


class SmtpMailSender:
    """Submits each message to an SMTP relay with aiosmtplib (one connection per message: follow-ups are
    rare enough that a pool would only hold idle connections)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        from_address: str,
        security: SmtpSecurity = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout_seconds: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.from_address = from_address
        self.security = security
        self.username = username
        self.password = password
        self.timeout_seconds = timeout_seconds
        self.tls_context = tls_context

    async def send(self, message: OutboundEmail) -> None:
        import aiosmtplib  # imported on first use: the CLI and the embedded default never need it

        mime = build_mime(message, from_address=self.from_address)
        await aiosmtplib.send(
            mime,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            tls_context=self.tls_context,
            timeout=self.timeout_seconds,
        )
        log.info("mail_sent", transport="smtp", message_id=message.message_id)


class OutboxDirMailSender:
    """Writes ``<sha256 of the Message-ID>.eml`` into ``directory``, atomically (a temporary file in the
    same directory, then a rename): a reader never sees half a message, and a retry replaces the file."""

    def __init__(self, directory: Path, *, from_address: str) -> None:
        self.directory = directory
        self.from_address = from_address

    def path_for(self, message_id: str) -> Path:
        return self.directory / f"{hashlib.sha256(message_id.encode()).hexdigest()[:32]}.eml"

    async def send(self, message: OutboundEmail) -> None:
        data = build_mime(message, from_address=self.from_address).as_bytes()
        path = await asyncio.to_thread(self._write, self.path_for(message.message_id), data)
        log.info("mail_written", transport="outbox", message_id=message.message_id, file=path.name)

    def _write(self, path: Path, data: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path
