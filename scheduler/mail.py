"""Outgoing mail, so scheduling can reach candidates who are not in any chat workspace.

With `HIREBOT_SMTP_URL` set, messages go to that server through stdlib smtplib (blocking, so async callers
use `send_async`, which runs it in a worker thread). Without it, each message becomes
`<Message-ID>.eml` in `$HIREBOT_DATA_DIR/outbox-mail/` (a directory only hirebot's user can read), written once
per Message-ID; the log names the file and the booking link by a hash of its token (the link is a
credential). Errors are `MailError`s whose text never holds a password.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import smtplib
import socket
import ssl
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from adapters.errors import ConfigError, HirebotError
from scheduler.log_redaction import redact_booking_links
from store.files import make_private_dir
from store.settings import Settings

log = logging.getLogger(__name__)

OUTBOX_DIR_NAME = "outbox-mail"
DEFAULT_TIMEOUT_SECONDS = 20.0
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FILE_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")
_BOOKING_LINK = re.compile(r"https?://\S+/book/[A-Za-z0-9_.~=-]+(?:/manage)?")


class MailError(HirebotError):
    """A message could not be handed over. `retryable` says whether trying again later may work."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class MailAuthError(MailError):
    """The mail server refused hirebot's login: a settings problem, not worth retrying."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to submit mail, parsed from `HIREBOT_SMTP_URL`."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    implicit_tls: bool = False
    starttls: bool = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://user:pass@host:port` (plain, `?starttls=1` to upgrade) or `smtps://…` (TLS from the start)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigError("HIREBOT_SMTP_URL is not a valid URL; write it like "
                          "smtp://user:password@mail.example.com:587?starttls=1.") from exc
    if parts.scheme not in ("smtp", "smtps"):
        raise ConfigError("HIREBOT_SMTP_URL must start with smtp:// or smtps:// "
                          "(for example smtps://user:password@mail.example.com:465).")
    if not parts.hostname:
        raise ConfigError("HIREBOT_SMTP_URL needs a host name, e.g. smtp://mail.example.com:25.")
    implicit_tls = parts.scheme == "smtps"
    query = {key.lower(): values[-1].strip().lower() for key, values in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "") in _TRUE_WORDS
    if implicit_tls and starttls:
        raise ConfigError("HIREBOT_SMTP_URL: smtps:// is already encrypted; drop ?starttls=1 or use smtp://.")
    return SmtpServer(host=parts.hostname, port=port or (465 if implicit_tls else 25),
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password is not None else None,
                      implicit_tls=implicit_tls, starttls=starttls)


class Mailer:
    """Sends through SMTP when a server is configured, else files each message in the outbox directory."""

    def __init__(self, *, smtp: SmtpServer | None = None, outbox: Path | None = None,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS, tls_context: ssl.SSLContext | None = None,
                 local_hostname: str | None = None) -> None:
        if (smtp is None) == (outbox is None):
            raise ConfigError("Mail needs exactly one destination: an SMTP server or an outbox directory.")
        self.smtp = smtp
        self.outbox = outbox
        self._timeout = timeout
        self._tls_context = tls_context
        self._local_hostname = local_hostname

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        if settings.smtp_url:
            return cls(smtp=parse_smtp_url(settings.smtp_url))
        return cls(outbox=settings.data_dir / OUTBOX_DIR_NAME)

    def __repr__(self) -> str:
        target = f"smtp={self.smtp.address}" if self.smtp else f"outbox={self.outbox}"
        return f"Mailer({target})"

    def send(self, message: EmailMessage) -> str:
        """Hand the message over and return its Message-ID (one is added when missing)."""
        if message["Message-ID"] is None:
            message["Message-ID"] = make_msgid(domain="hirebot.local")
        message_id = str(message["Message-ID"])
        if self.smtp is not None:
            self._submit(self.smtp, message)
        else:
            assert self.outbox is not None
            self._file(self.outbox, message, message_id)
        return message_id

    async def send_async(self, message: EmailMessage) -> str:
        """`send` off the event loop: smtplib blocks for whole network round trips."""
        return await asyncio.to_thread(self.send, message)

    # -- SMTP ------------------------------------------------------------------------------------------------

    def _submit(self, server: SmtpServer, message: EmailMessage) -> None:
        try:
            with self._connect(server) as client:
                if server.starttls:
                    client.starttls(context=self._tls())
                    client.ehlo()
                if server.username:
                    client.login(server.username, server.password or "")
                client.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailAuthError(f"The mail server at {server.address} refused the login for "
                                f"{server.username!r} (code {exc.smtp_code}). Check the user name and "
                                "password in HIREBOT_SMTP_URL.") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(f"The mail server at {server.address} does not offer what HIREBOT_SMTP_URL asks "
                            "for (login or STARTTLS). Try ?starttls=1, or smtps:// on port 465.",
                            retryable=False) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(sorted(exc.recipients))
            raise MailError(f"The mail server refused these recipients: {refused}.",
                            retryable=False) from None
        except smtplib.SMTPResponseException as exc:
            # 4xx is the server saying "not now"; 5xx is a permanent refusal.
            retryable = 400 <= exc.smtp_code < 500
            raise MailError(f"The mail server at {server.address} answered {exc.smtp_code} "
                            f"{_server_text(exc.smtp_error)}", retryable=retryable) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"Could not reach the mail server at {server.address} "
                            f"({_network_reason(exc)}); will try again later.", retryable=True) from None

    def _connect(self, server: SmtpServer) -> smtplib.SMTP:
        if server.implicit_tls:
            return smtplib.SMTP_SSL(server.host, server.port, timeout=self._timeout,
                                    context=self._tls(), local_hostname=self._local_hostname)
        return smtplib.SMTP(server.host, server.port, timeout=self._timeout,
                            local_hostname=self._local_hostname)

    def _tls(self) -> ssl.SSLContext:
        return self._tls_context or ssl.create_default_context()

    # -- .eml outbox -----------------------------------------------------------------------------------------

    def _file(self, outbox: Path, message: EmailMessage, message_id: str) -> None:
        make_private_dir(outbox)  # the mails hold booking links, which are credentials
        path = outbox / eml_file_name(message_id)
        if path.exists():
            log.debug("Mail %s was already written to %s; not writing it again", message_id, path)
            return
        data = bytes(message)
        # Write aside, then link into place: link refuses to overwrite, so concurrent retries write it once
        # and nobody ever reads half a file.
        fd, temp_name = tempfile.mkstemp(dir=outbox, prefix=".incoming-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            try:
                os.link(temp_name, path)
            except FileExistsError:
                return
        finally:
            os.unlink(temp_name)
        _announce(message, path)


def eml_file_name(message_id: str) -> str:
    """`<abc@host>` → `abc@host.eml`, with anything unsafe in a file name replaced."""
    bare = message_id.strip().strip("<>")
    return _FILE_NAME_UNSAFE.sub("_", bare)[:200] + ".eml"


def booking_links(message: EmailMessage) -> list[str]:
    """The booking and manage links in a message's plain-text part, in order of appearance."""
    body = message.get_body(preferencelist=("plain",))
    if not isinstance(body, EmailMessage):
        return []
    return list(dict.fromkeys(_BOOKING_LINK.findall(str(body.get_content()))))


def _announce(message: EmailMessage, path: Path) -> None:
    # The link is a credential: the log names it by a hash of its token; the file holds the link itself.
    links = booking_links(message)
    suffix = f"; link: {redact_booking_links(links[0])}" if links else ""
    log.info("Mail to %s (%s) written to %s%s", message["To"], message["Subject"], path, suffix)


def _server_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:200]


def _network_reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, ssl.SSLError):
        return "TLS handshake failed"
    return type(exc).__name__
