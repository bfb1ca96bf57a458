"""Checks on a request to /slack/events before Bolt reads it, so bad input gets a 4xx instead of a 500.

Bolt parses the body before it checks the signature, and reads the timestamp header with int(): a garbled
timestamp or a signed body that isn't Slack's JSON (or form with a JSON `payload`) raised inside Bolt and
came back as a 500. Here the timestamp must be digits (else 401), the signature must match (else 401) and
only then is the body parsed (a signed but malformed one is a 400). Bolt verifies the signature again;
this is a gate in front of it, not a replacement.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
MAX_AGE_SECONDS = 5 * 60  # as Slack's own verifier
BODY_READ_TIMEOUT_SECONDS = 10.0  # Slack sends its small bodies at once; a trickling sender is cut off
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds; nothing else is a timestamp Slack sends


class Refused(Exception):
    """The request is answered with `status` and never reaches Bolt."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def checked_request(body: bytes, headers: Mapping[str, str], query: str, *,
                    signing_secret: str | None, clock: Callable[[], float] = time.time) -> AsyncBoltRequest:
    """The Bolt request for a checked `body`; Refused(401) for a bad timestamp or signature (when
    `signing_secret` is given, i.e. requests are verified), Refused(400) for a body Slack never sends."""
    if signing_secret is not None:
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise Refused(401, "the request timestamp is not a number")
        if abs(clock() - int(timestamp)) > MAX_AGE_SECONDS:
            raise Refused(401, "the request is stale")
        # Over the raw bytes: slack_sdk's verifier decodes the body first and fails on bytes that aren't UTF-8.
        expected = "v0=" + hmac.new(signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + body,
                                    hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get(SIGNATURE_HEADER, "")):
            raise Refused(401, "the signature does not match")
    try:
        text = body.decode("utf-8")
        parsed: Any = parse_body(text, headers.get("Content-Type"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(400, f"the body is not Slack's JSON or form ({type(exc).__name__})") from None
    if not isinstance(parsed, dict):
        raise Refused(400, "the body is not a JSON object")
    return AsyncBoltRequest(body=text, query=query, headers=dict(headers))
