"""BreezyHR's webhooks: the `X-Hook-Signature` check (hex HMAC-SHA256 keyed with the endpoint's
`whsec_...` secret) and each delivery turned into a provider-neutral `WebhookTrigger`.

BreezyHR's samples hash the compact re-serialisation of the parsed body rather than promising the raw
bytes, so the raw body is checked first, then its compact form (without and with ASCII escapes), keeping
key order. The envelope's `_id` names the delivery for deduplication.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import string
from typing import Any

from adapters.breezyhr.fields import as_mapping, as_text, as_time, id_of
from adapters.webhooks import WebhookTrigger

SIGNATURE_HEADER = "X-Hook-Signature"
CANDIDATE_EVENTS = frozenset({"candidateAdded", "candidateStatusUpdated"})
DELETED_EVENT = "candidateDeleted"
POSITION_EVENTS = frozenset({"companyPositionAdded", "companyPositionUpdated", "companyPositionDeleted",
                             "companyPositionStateUpdated"})


def _digest(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signed_forms(raw_body: bytes) -> list[bytes]:
    """The bodies a signature may have been made over: the raw bytes, then the compact JSON forms."""
    forms = [bytes(raw_body)]
    try:
        parsed = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return forms
    for ascii_only in (False, True):
        compact = json.dumps(parsed, separators=(",", ":"), ensure_ascii=ascii_only).encode("utf-8")
        if compact not in forms:
            forms.append(compact)
    return forms


def verify_webhook_signature(raw_body: bytes, signature: str | None, secret: str) -> bool:
    """Whether `signature` (hex) is the HMAC-SHA256 of the body under `secret`, compared in constant time.
    Anything missing or malformed is simply not valid."""
    if not secret or not signature or not isinstance(raw_body, bytes | bytearray):
        return False
    digest = signature.strip().lower()
    if len(digest) != 64 or not all(c in string.hexdigits for c in digest):
        return False
    matches = [hmac.compare_digest(_digest(secret, form), digest) for form in signed_forms(bytes(raw_body))]
    return any(matches)


def parse_webhook(raw_body: bytes) -> WebhookTrigger:
    """What a (verified) delivery asks hirebot to do. Raises ValueError for a body that is not a JSON
    object; an event hirebot has no use for (team notes, unknown ones) gives a trigger with nothing to do."""
    try:
        message: Any = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("The BreezyHR webhook body is not valid JSON.") from exc
    if not isinstance(message, dict):
        raise ValueError("The BreezyHR webhook body is not a JSON object.")
    event = as_text(message.get("type")) or ""
    inner = as_mapping(message.get("object"))
    candidate_id = id_of(inner.get("candidate"))
    ids = (candidate_id,) if candidate_id else ()
    return WebhookTrigger(
        provider="breezyhr", event=event,
        candidate_ids=ids if event in CANDIDATE_EVENTS else (),
        deleted_candidate_ids=ids if event == DELETED_EVENT else (),
        refresh_jobs=event in POSITION_EVENTS, delivery_id=as_text(message.get("_id")),
        occurred_at=as_time(message.get("creation_date")))
