"""Recruitee's webhooks: the secret's HMAC-SHA256 over the raw body in `X-Recruitee-Signature`, the
unsigned `{"test": true}` deliveries its setup dialog and "Test payload" buttons send (answered 200, no
sync), and each delivery turned into a provider-neutral `WebhookTrigger`.

The whole body is signed, so what a delivery says is applied as sent: a deletion removes the candidate.
Recruitee's deliveries carry no documented id and are retried with the same content, so the delivery id
is made of what the reference says identifies one: event type, candidate, placement, stage and time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.errors import MalformedResponse
from adapters.recruitee.fields import as_mapping, as_text, parse_time
from adapters.webhooks import WebhookTrigger

SIGNATURE_HEADER = "X-Recruitee-Signature"
CANDIDATE_EVENTS = frozenset({"new_candidate", "candidate_created", "candidate_assigned", "candidate_moved",
                              "candidate_updated"})
DELETE_EVENTS = frozenset({"candidate_deleted"})
JOB_EVENTS = frozenset({"offer_changed", "offer_created", "offer_published", "offer_unpublished",
                        "offer_updated", "offer_deleted", "status_changed", "tags_changed"})


def sign(secret: str, raw_body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of the exact body bytes under the webhook's secret, no prefix."""
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def verify_webhook_signature(raw_body: bytes, signature: str | None, secrets: str | Sequence[str]) -> bool:
    """Whether `signature` is the body's HMAC under any of the secrets (every one is tried, in constant time)."""
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    keys = [key for key in keys if key]
    if not signature or not keys:
        return False
    given = signature.strip().lower().encode()
    matches = [hmac.compare_digest(sign(key, raw_body).encode(), given) for key in keys]
    return any(matches)


def is_test_delivery(raw_body: bytes) -> bool:
    """Recruitee's handshake and "Test payload" deliveries: a JSON object with `"test": true`."""
    payload = _payload(raw_body)
    return payload is not None and payload.get("test") is True


def parse_webhook(raw_body: bytes | str | Mapping[str, Any]) -> WebhookTrigger:
    """What a (verified) delivery asks hirebot to do; MalformedResponse when it cannot be read."""
    payload = dict(raw_body) if isinstance(raw_body, Mapping) else _payload(raw_body)
    if payload is not None and payload.get("test") is True:
        return WebhookTrigger(provider="recruitee", event="test")
    event = as_text(payload.get("event_type")) if payload else None
    if payload is None or event is None:
        raise MalformedResponse("Recruitee sent a webhook we could not read (no event_type).", provider="recruitee")
    body = as_mapping(payload.get("payload"))
    candidate = as_text(as_mapping(body.get("candidate")).get("id")) or as_text(body.get("candidate_id"))
    ids = (candidate,) if candidate else ()
    return WebhookTrigger(
        provider="recruitee", event=event,
        candidate_ids=ids if event not in DELETE_EVENTS and event not in JOB_EVENTS else (),
        deleted_candidate_ids=ids if event in DELETE_EVENTS else (),
        refresh_jobs=event in JOB_EVENTS or (event == "candidate_assigned" and not ids),
        delivery_id=delivery_key(payload, event, candidate), occurred_at=_when(payload, body),
    )


def delivery_key(payload: Mapping[str, Any], event: str, candidate: str | None) -> str:
    """(event type and subtype, candidate, placement, stage, created_at), hashed: Recruitee's retries of one
    delivery share it; a later move of the same candidate differs in its stage or its time."""
    body = as_mapping(payload.get("payload"))
    details = as_mapping(body.get("details"))
    placement = as_mapping(body.get("placement"))
    parts = [event, as_text(payload.get("event_subtype")) or "", candidate or "",
             as_text(placement.get("id")) or "", as_text(as_mapping(details.get("to_stage")).get("id")) or "",
             as_text(payload.get("created_at")) or as_text(body.get("created_at")) or "",
             as_text(payload.get("id")) or as_text(payload.get("event_id")) or ""]
    if not parts[5] and not parts[6]:
        # Nothing dates the event: the content itself tells one delivery from another.
        parts.append(hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest())
    return "recruitee:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _when(payload: Mapping[str, Any], body: Mapping[str, Any]) -> Any:
    return parse_time(payload.get("created_at")) or parse_time(body.get("created_at"))


def _payload(raw_body: bytes | str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None
