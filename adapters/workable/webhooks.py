"""Workable's webhooks: the documented check (lowercase hex HMAC-SHA256 of the raw body, keyed with the
access token that made the subscription, in `X-Workable-Signature`) and each delivery as a trigger.

The signature covers the whole body, so a `candidate_deleted` delivery's id is taken as deleted; every
other candidate event is a re-read of the record it names (`data` is the candidate as it was when the
request was sent, but hirebot re-reads rather than trusting a copy). Employee events have nothing for us.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from adapters.errors import MalformedResponse
from adapters.webhooks import WebhookTrigger
from adapters.workable.fields import as_mapping, as_text, parse_time

SIGNATURE_HEADER = "x-workable-signature"
CANDIDATE_EVENTS = ("candidate_created", "candidate_moved", "candidate_deleted")


def sign(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def verify_webhook_signature(body: bytes, signature: str | None, keys: str | Sequence[str]) -> bool:
    """Whether `signature` is the HMAC of `body` under any of `keys`, compared in constant time."""
    given = (signature or "").strip().lower().encode()
    candidates = [keys] if isinstance(keys, str) else list(keys)
    candidates = [key for key in candidates if key]
    if not given or not candidates:
        return False
    matches = [hmac.compare_digest(sign(key, body).encode(), given) for key in candidates]
    return any(matches)  # every key is tried, so timing does not tell which one matched


def parse_webhook(body: bytes | str) -> WebhookTrigger:
    """What a (verified) delivery asks us to do; raises MalformedResponse if it cannot be read."""
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        payload = None
    event = as_text(payload.get("event_type")) if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or event is None:
        raise MalformedResponse("Workable sent a webhook we could not read (no event_type).", provider="workable")
    resource = (as_text(payload.get("resource_type")) or "candidate").lower()
    candidate_id = as_text(as_mapping(payload.get("data")).get("id")) if resource == "candidate" else None
    common: dict[str, Any] = {"provider": "workable", "event": event, "delivery_id": as_text(payload.get("id")),
                              "occurred_at": parse_time(payload.get("fired_at"))}
    if candidate_id is None or not event.startswith("candidate_"):
        return WebhookTrigger(**common)
    if event == "candidate_deleted":
        return WebhookTrigger(deleted_candidate_ids=(candidate_id,), **common)
    return WebhookTrigger(candidate_ids=(candidate_id,), **common)
