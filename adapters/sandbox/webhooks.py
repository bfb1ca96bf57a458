"""Signed webhook deliveries from a fake ATS to hirebot: the signature, the POST, the retries.

Providers sign differently: Greenhouse puts `sha256 <hex HMAC of the body>` in a `Signature` header,
Lever signs two fields of the payload (`token + triggeredAt`) and puts the digest in the body. A
`SignatureScheme` says which header (if any) carries the signature and in what format; `sign_fields`
covers the schemes that sign chosen fields. `WebhookSender` POSTs and retries on the provider's schedule,
reporting every attempt so the fake can record it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    """The lowercase hex HMAC-SHA256 of `message` under `secret`."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_fields(secret: str, *fields: object) -> str:
    """HMAC-SHA256 over chosen fields written one after another (Lever: token then triggeredAt)."""
    return hmac_sha256_hex(secret, "".join(str(value) for value in fields).encode())


@dataclass(frozen=True)
class SignatureScheme:
    """How a provider signs a body: the header to put the signature in and its format (`{digest}` is the
    hex HMAC-SHA256 of the exact body bytes), e.g. `Signature: sha256 {digest}` or
    `X-Hub-Signature-256: sha256={digest}`."""

    header: str
    template: str = "{digest}"

    def sign(self, secret: str, body: bytes) -> str:
        return self.template.format(digest=hmac_sha256_hex(secret, body))

    def headers(self, secret: str, body: bytes) -> dict[str, str]:
        return {self.header: self.sign(secret, body)}


Attempt = Callable[[int, int | None, str | None], None]
"""Told of each attempt: its number (from 1), the status (None when nothing answered) and, then, why."""


class WebhookSender:
    """POSTs deliveries; one without a 2xx answer is retried after each of `retry_delays` (seconds, slept
    through the injected `sleep`, so tests make retries instant)."""

    def __init__(self, *, timeout: float = 30.0, retry_delays: Sequence[float] = (),
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.timeout = timeout
        self.retry_delays = tuple(retry_delays)
        self.sleep = sleep

    def session(self) -> aiohttp.ClientSession:
        """One client session for a batch of deliveries (pass it to `send`)."""
        return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))

    async def send(self, url: str, body: bytes, headers: Mapping[str, str], *,
                   session: aiohttp.ClientSession | None = None, on_attempt: Attempt | None = None) -> int | None:
        """Deliver until a 2xx or the retries run out; the last status (None if it never answered)."""
        if session is None:
            async with self.session() as own:
                return await self.send(url, body, headers, session=own, on_attempt=on_attempt)
        status: int | None = None
        for attempt, delay in enumerate((0.0, *self.retry_delays), start=1):
            if attempt > 1:
                await self.sleep(delay)
            status, error = await post_once(session, url, body, headers)
            if on_attempt is not None:
                on_attempt(attempt, status, error)
            if status is not None and 200 <= status < 300:
                break
        return status


async def post_once(session: aiohttp.ClientSession, url: str, body: bytes,
                    headers: Mapping[str, str]) -> tuple[int | None, str | None]:
    """One delivery attempt: (status, None), or (None, the error's name) when the endpoint could not be
    reached or did not answer in time."""
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            return response.status, None
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.info("sandbox webhook to %s failed: %s", url, type(exc).__name__)
        return None, type(exc).__name__
