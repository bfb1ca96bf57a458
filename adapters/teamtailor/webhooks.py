"""Teamtailor company webhooks: checking `TT-Signature` and reading what a delivery asks hirebot to re-read.

Signature v2 (recommended): the header is base64 of `t=<unix time>,v2=<hex>`, where the hex is HMAC-SHA256
over `"<t>." + raw body` keyed with the webhook's signature key. v1 (legacy) is base64 of the hex
HMAC-SHA256 of `str(payload.data.id)` only; it is accepted, but since it covers no more than the id, a v1
delivery is only ever a trigger to re-read that id. Payloads are never trusted as data either way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from adapters.errors import MalformedResponse
from adapters.teamtailor.fields import as_mapping, as_text, attribute, related_id
from adapters.webhooks import WebhookTrigger

SIGNATURE_HEADER = "TT-Signature"
MAX_SKEW_SECONDS = 300.0  # the docs give no tolerance; five minutes either way is hirebot's choice


def _hmac_hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def signature_v2(key: str, raw_body: bytes, timestamp: int) -> str:
    """The `TT-Signature` value Teamtailor sends (v2) for a body at `timestamp`."""
    digest = _hmac_hex(key, f"{timestamp}.".encode() + raw_body)
    return base64.b64encode(f"t={timestamp},v2={digest}".encode()).decode()


def signature_v1(key: str, resource_id: str) -> str:
    """The legacy (v1) value: base64 of the hex HMAC of the resource id."""
    return base64.b64encode(_hmac_hex(key, resource_id.encode()).encode()).decode()


def verify_webhook_signature(raw_body: bytes, header: str | None, keys: str | Iterable[str], *,
                             now: float | None = None, max_skew: float | None = MAX_SKEW_SECONDS) -> bool:
    """Whether `header` (TT-Signature) is a v2 signature of the raw body by any key, sent within `max_skew`
    of `now` (None: no time check), or a v1 signature of the payload's id. Constant-time comparisons."""
    wanted = [keys] if isinstance(keys, str) else list(keys)
    wanted = [key for key in wanted if key]
    if not header or not wanted:
        return False
    try:
        decoded = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    parts = _signature_parts(decoded)
    if parts is not None:
        timestamp, given = parts
        matches = [hmac.compare_digest(_hmac_hex(k, f"{timestamp}.".encode() + raw_body), given) for k in wanted]
        if not any(matches):
            return False
        moment = datetime.now(UTC).timestamp() if now is None else now
        return max_skew is None or abs(moment - timestamp) <= max_skew
    resource_id = _payload_id(raw_body)
    if resource_id is None:
        return False
    given_v1 = decoded.strip().lower().decode("ascii", "replace")
    matches = [hmac.compare_digest(_hmac_hex(k, resource_id.encode()), given_v1) for k in wanted]
    return any(matches)


def _signature_parts(decoded: bytes) -> tuple[int, str] | None:
    """(t, v2) from `t=...,v2=...`, or None when the header is not a v2 signature."""
    try:
        text = decoded.decode("ascii")
    except UnicodeDecodeError:
        return None
    fields = dict(item.split("=", 1) for item in text.split(",") if "=" in item)
    stamp, digest = fields.get("t", "").strip(), fields.get("v2", "").strip().lower()
    if not stamp.isdigit() or not digest:
        return None
    return int(stamp), digest


def signed_at(header: str | None) -> datetime | None:
    """When a v2 signature says the delivery was sent."""
    try:
        parts = _signature_parts(base64.b64decode((header or "").strip(), validate=True))
    except (binascii.Error, ValueError):
        return None
    return datetime.fromtimestamp(parts[0], UTC) if parts else None


def _payload(raw_body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _payload_id(raw_body: bytes) -> str | None:
    body = _payload(raw_body)
    return as_text(as_mapping(as_mapping(body.get("payload")).get("data")).get("id")) if body else None


def parse_webhook(raw_body: bytes, header: str | None = None) -> WebhookTrigger:
    """What a (verified) delivery asks for: re-read a candidate, or (an application or job changed) an
    incremental sync, which reads the changed applications' candidates. Raises MalformedResponse."""
    body = _payload(raw_body)
    payload = as_mapping(body.get("payload")) if body else {}
    event = as_text(payload.get("event_name")) or as_text(payload.get("event-name"))
    data = as_mapping(payload.get("data"))
    resource_id = as_text(data.get("id"))
    if event is None or resource_id is None:
        raise MalformedResponse("Teamtailor sent a webhook we could not read (no event or id).",
                                provider="teamtailor")
    resource, _, action = event.partition(".")
    changed = as_text(attribute(data, "updated-at")) or action
    delivery = f"{event}:{resource_id}:{changed}:{hashlib.sha256(raw_body).hexdigest()[:16]}"
    common: dict[str, Any] = {"provider": "teamtailor", "event": event, "delivery_id": delivery,
                              "occurred_at": signed_at(header)}
    if resource == "candidate":
        # A destroyed candidate is re-read too: the refresh removes it once the API no longer has it.
        return WebhookTrigger(candidate_ids=(resource_id,), **common)
    if resource in ("job_application", "job-application"):
        owner = related_id(data, "candidate") or as_text(attribute(data, "candidate-id"))
        if owner:
            return WebhookTrigger(candidate_ids=(owner,), **common)
        return WebhookTrigger(refresh_jobs=True, **common)
    if resource == "job":
        return WebhookTrigger(refresh_jobs=True, **common)
    return WebhookTrigger(**common)
