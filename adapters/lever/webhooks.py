"""Lever's webhooks: the documented signature check (HMAC of token + triggeredAt, one signature token per
webhook), and each delivery turned into a provider-neutral `WebhookTrigger` naming one opportunity."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.errors import MalformedResponse
from adapters.lever.fields import as_mapping, as_text, from_ms
from adapters.webhooks import WebhookTrigger


def verify_webhook_signature(body: bytes | str | Mapping[str, Any], signature_token: str | Sequence[str], *,
                             now: float | None = None, max_age_seconds: float | None = None) -> bool:
    """Lever's documented check: hex HMAC-SHA256 of `token + str(triggeredAt)` keyed with the webhook's
    signature token, compared in constant time. The signature covers only those two fields, never `data`.

    Lever issues one signature token per webhook (per event), so a connection may hold several: pass
    them all and any one may match. With `max_age_seconds`, older deliveries are refused too.
    """
    payload = _webhook_payload(body)
    keys = [signature_token] if isinstance(signature_token, str) else list(signature_token)
    keys = [key for key in keys if key]
    if payload is None or not keys:
        return False
    token, triggered, signature = payload.get("token"), payload.get("triggeredAt"), payload.get("signature")
    if not isinstance(token, str) or not isinstance(signature, str):
        return False
    if isinstance(triggered, bool) or not (isinstance(triggered, int)
                                           or (isinstance(triggered, str) and triggered.isdigit())):
        return False
    given = signature.strip().lower().encode()
    plain = f"{token}{triggered}".encode()
    matches = [hmac.compare_digest(hmac.new(key.encode(), plain, hashlib.sha256).hexdigest().encode(), given)
               for key in keys]  # every key is tried, so timing does not tell which one matched
    if not any(matches):
        return False
    if max_age_seconds is not None:
        age = (time.time() if now is None else now) - int(triggered) / 1000.0
        return age <= max_age_seconds
    return True


def parse_webhook(body: bytes | str | Mapping[str, Any]) -> WebhookTrigger:
    """What a (verified) delivery asks us to re-read; raises MalformedResponse if unreadable.

    Every event is about one opportunity (`opportunityId`, or the legacy `candidateId`, which equals it).
    """
    payload = _webhook_payload(body)
    event = as_text(payload.get("event")) if payload else None
    if payload is None or event is None:
        raise MalformedResponse("Lever sent a webhook we could not read (no event).", provider="lever")
    data = as_mapping(payload.get("data"))
    opportunity = as_text(data.get("opportunityId")) or as_text(data.get("candidateId"))
    # Lever's signature covers only token + triggeredAt, so a deletion is not taken from `data`: the id is
    # re-read, and `refresh_candidates` removes it once the API no longer has it.
    return WebhookTrigger(provider="lever", event=event, candidate_ids=(opportunity,) if opportunity else (),
                          delivery_id=as_text(payload.get("token")), occurred_at=from_ms(payload.get("triggeredAt")))


def _webhook_payload(body: bytes | str | Mapping[str, Any]) -> dict[str, Any] | None:
    if isinstance(body, Mapping):
        return dict(body)
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None
