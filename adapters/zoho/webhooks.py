"""Zoho Recruit's webhooks: no signature exists, so the proof is a long random secret hirebot generated, which
the admin puts in the webhook URL (`?key=...`) or adds as a custom parameter named `key`; it is compared in
constant time. What Zoho sends is whatever parameters the admin configured (form fields, a query string or
JSON), so the delivery is read only for the candidate's record id, and the candidate is re-read: a webhook
is a hint, and polling stays the primary sync.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from urllib.parse import parse_qsl

from adapters.webhooks import URL_QUERY_HEADER, URL_SECRET_PARAM, WebhookTrigger

ID_PARAMS = ("id", "ids", "candidate_id", "candidateid", "record_id", "recordid")
EVENT_PARAM = "event"
DEFAULT_EVENT = "candidate_changed"
MAX_IDS = 100


def delivery_params(raw_body: bytes, query_string: str) -> list[tuple[str, str]]:
    """Every (name, value) a delivery carries: the URL's query, then a form or JSON object body."""
    pairs = parse_qsl(query_string or "", keep_blank_values=True)
    try:
        text = raw_body.decode("utf-8").strip()
    except UnicodeDecodeError:
        return pairs
    if text.startswith("{"):
        try:
            body = json.loads(text)
        except ValueError:
            return pairs
        if isinstance(body, dict):
            pairs += [(str(key), str(value)) for key, value in body.items()
                      if isinstance(value, str | int) and not isinstance(value, bool)]
        return pairs
    return pairs + parse_qsl(text, keep_blank_values=True)


def presented_keys(raw_body: bytes, headers: Mapping[str, str]) -> list[str]:
    return [value for name, value in delivery_params(raw_body, headers.get(URL_QUERY_HEADER, ""))
            if name.lower() == URL_SECRET_PARAM]


def verify_webhook_secret(raw_body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """The delivery carries the connection's secret (in the URL or a `key` parameter), and no other key.

    Compared in constant time; a missing or empty secret never matches.
    """
    keys = presented_keys(raw_body, headers)
    if not secret or not keys:
        return False
    expected = secret.encode("utf-8")
    # Every presented key is compared (no early exit), and all must match.
    results = [hmac.compare_digest(expected, key.encode("utf-8")) for key in keys]
    return all(results)


def parse_webhook(raw_body: bytes, headers: Mapping[str, str]) -> WebhookTrigger:
    """The candidate record ids a delivery names (numeric, as Zoho's are), as a trigger to re-read them."""
    params = delivery_params(raw_body, headers.get(URL_QUERY_HEADER, ""))
    ids: list[str] = []
    event = DEFAULT_EVENT
    for name, value in params:
        lowered = name.lower()
        if lowered in ID_PARAMS:
            ids.extend(part.strip() for part in value.split(",") if part.strip().isdigit())
        elif lowered == EVENT_PARAM and value.strip():
            event = value.strip()[:64]
    return WebhookTrigger(provider="zoho", event=event, candidate_ids=tuple(dict.fromkeys(ids))[:MAX_IDS])
