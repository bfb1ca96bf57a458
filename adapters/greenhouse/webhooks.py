"""Greenhouse's webhooks: the `Signature: sha256 <hex>` check over the raw body, and each delivery turned
into a provider-neutral `WebhookTrigger` whose candidates are re-read through Harvest."""

from __future__ import annotations

import hashlib
import hmac
import json
import string
from collections.abc import Mapping
from typing import Any

from adapters.greenhouse.fields import as_id, as_mapping
from adapters.webhooks import WebhookTrigger

SIGNATURE_HEADER = "Signature"
EVENT_ID_HEADER = "Greenhouse-Event-ID"
APPLICATION_EVENTS = frozenset({
    "new_candidate_application", "new_prospect_application", "application_updated", "candidate_stage_change",
    "hire_candidate", "unhire_candidate", "reject_candidate", "unreject_candidate", "delete_application",
})


def verify_webhook_signature(raw_body: bytes, signature_header: str | None, secret: str) -> bool:
    """Greenhouse's check: `Signature: sha256 <hex>` is the HMAC-SHA256 of the exact raw body (the whole
    body, as sent, with Greenhouse's `\\u003c` escapes) keyed with the webhook's secret key.

    Compared in constant time; anything missing or malformed is simply not valid.
    """
    if not secret or not signature_header or not isinstance(raw_body, bytes | bytearray):
        return False
    algorithm, _, digest = signature_header.strip().partition(" ")
    digest = digest.strip().lower()
    if algorithm.lower() != "sha256" or len(digest) != 64 or not all(c in string.hexdigits for c in digest):
        return False
    expected = hmac.new(secret.encode("utf-8"), bytes(raw_body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest)


def parse_webhook(raw_body: bytes) -> WebhookTrigger:
    """What a (verified) Greenhouse delivery asks hirebot to re-read. Raises ValueError for a body that is
    not a JSON object; an action hirebot has no use for gives a trigger with nothing to do."""
    try:
        message = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("The Greenhouse webhook body is not valid JSON.") from exc
    if not isinstance(message, dict):
        raise ValueError("The Greenhouse webhook body is not a JSON object.")
    action = message["action"] if isinstance(message.get("action"), str) else ""
    refresh, deleted = _webhook_candidates(action, as_mapping(message.get("payload")))
    return WebhookTrigger(provider="greenhouse", event=action, candidate_ids=refresh,
                          deleted_candidate_ids=deleted, refresh_jobs=action.startswith("job_"))


def _webhook_candidates(action: str, payload: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(ids to re-read, ids deleted) for one action, per the payload shapes in Greenhouse's webhook docs.

    merge_candidate: `person.id` is the merged-away record and `person.new_candidate_id` the survivor
    (documented); a top-level `new_candidate_id` is accepted too.
    """
    if action in APPLICATION_EVENTS:
        application = as_mapping(payload.get("application"))
        return _ids(as_mapping(application.get("candidate")).get("id"), application.get("candidate_id")), ()
    if action == "update_candidate":
        return _ids(as_mapping(payload.get("candidate")).get("id"), payload.get("candidate_id")), ()
    if action == "candidate_anonymized":
        return _ids(payload.get("candidate_id"), as_mapping(payload.get("candidate")).get("id")), ()
    person = as_mapping(payload.get("person"))
    if action == "delete_candidate":
        return (), _ids(person.get("id"), as_mapping(payload.get("candidate")).get("id"))
    if action == "merge_candidate":
        return _ids(person.get("new_candidate_id"), payload.get("new_candidate_id")), _ids(person.get("id"))
    return (), ()


def _ids(*values: Any) -> tuple[str, ...]:
    """The first usable (numeric) id among the places a payload may carry it."""
    for value in values:
        text = as_id(value)
        if text and text.isdigit():
            return (text,)
    return ()
