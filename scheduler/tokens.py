"""Signed, expiring links for candidates: the booking page and the manage (reschedule/cancel) page.

A candidate has no account, so the link itself is the credential. A token carries the meeting id, what
it may be used for and when it expires, plus a random nonce so no two links are alike; an HMAC-SHA256
over all of it (with a key derived from the app's secret key) makes it unforgeable. Nothing is stored:
verifying needs only the key. Base64url, so it sits in a URL path as is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.errors import HirebotError

VERSION = 1
PURPOSES = ("book", "manage")
NONCE_BYTES = 12
MAC_BYTES = 32
# version, meeting id, expiry (unix seconds), purpose index, then the nonce.
_LAYOUT = struct.Struct(">BQqB")
_BODY_BYTES = _LAYOUT.size + NONCE_BYTES
_DOMAIN = b"hirebot booking token v1"
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


class TokenError(HirebotError):
    """A booking link that cannot be used; the message is safe to show the candidate."""


class TokenExpired(TokenError):
    def __init__(self, claims: TokenClaims) -> None:
        super().__init__("This link has expired. Ask the person who sent it for a new one.")
        self.claims = claims


class TokenInvalid(TokenError):
    def __init__(self) -> None:
        super().__init__("This link is not valid. Check that it was copied completely, or ask for a new one.")


@dataclass(frozen=True)
class TokenClaims:
    meeting_id: int
    purpose: str
    expires_at: datetime


def derive_token_key(secret: bytes) -> bytes:
    """The token key for an app secret (e.g. the Fernet key): a separate key, so tokens never reuse it."""
    return hmac.new(secret, b"hirebot/booking-tokens", hashlib.sha256).digest()


def booking_token(meeting_id: int, purpose: str, expires_at: datetime, *, key: bytes) -> str:
    """A URL-safe token for `purpose` ("book" or "manage") on one meeting, valid until `expires_at`."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}; expected one of {', '.join(PURPOSES)}")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    _check_key(key)
    body = _LAYOUT.pack(VERSION, meeting_id, int(expires_at.timestamp()), PURPOSES.index(purpose))
    body += secrets.token_bytes(NONCE_BYTES)
    return _b64(body + _mac(body, key))


def read_token(token: str, *, key: bytes, now: datetime) -> TokenClaims:
    """The claims of a genuine token; TokenInvalid for anything forged, damaged or unknown, TokenExpired after
    its time. Authenticity is checked (in constant time) before anything in the token is believed."""
    _check_key(key)
    raw = _unb64(token)
    if raw is None or len(raw) != _BODY_BYTES + MAC_BYTES:
        raise TokenInvalid()
    body, mac = raw[:_BODY_BYTES], raw[_BODY_BYTES:]
    if not hmac.compare_digest(mac, _mac(body, key)):
        raise TokenInvalid()
    version, meeting_id, expires, purpose_index = _LAYOUT.unpack(body[:_LAYOUT.size])
    if version != VERSION or purpose_index >= len(PURPOSES):
        raise TokenInvalid()
    claims = TokenClaims(meeting_id=meeting_id, purpose=PURPOSES[purpose_index],
                         expires_at=datetime.fromtimestamp(expires, UTC))
    if now >= claims.expires_at:
        raise TokenExpired(claims)
    return claims


def _check_key(key: bytes) -> None:
    if len(key) < 16:
        raise ValueError("the token key must be at least 16 bytes")


def _mac(body: bytes, key: bytes) -> bytes:
    return hmac.new(key, _DOMAIN + body, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(token: str) -> bytes | None:
    """Strict, canonical base64url: anything else (stray characters, other padding bits) is an unknown
    token."""
    if not token or len(token) > 200 or not _ALPHABET.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _b64(raw) == token else None
