"""Greenhouse through Harvest v3: OAuth client credentials, cursor pagination, children read in batches,
the writes the meeting automation needs, and the checks for Greenhouse's webhooks.

Harvest v1/v2 were switched off on 2026-08-31, so this adapter speaks only v3. v3 no longer embeds
applications or attachments in candidates, so each page of candidates is completed with one request
per 50 candidate ids per child resource rather than one request per candidate (`candidates`).

Writes act as a Greenhouse user: v3 has no On-Behalf-Of header, the acting user is the token's `sub`, so
a write for another user than the connection's own `sub` gets a token of its own (a few are cached, `auth`).
A POST is never sent twice blindly (adapters/http.py); when its outcome is unknown, `find_note` and
`find_interview_by_external_id` tell whether it landed. The reference leaves several v3 write shapes
unconfirmed; each is built in one function in `bodies` next to its route, so a correction touches one
place (see docs/providers.md).

Webhooks: `verify_webhook_signature` checks `Signature: sha256 <hex>` over the raw body, and
`parse_webhook` turns a delivery into a provider-neutral `WebhookTrigger` to re-read through Harvest.

The modules: `adapter` (the adapter class and its reads), `client` (requests, paging, refusals of
writes), `auth` (tokens per acting user), `refusals` (the sentences for refusals), `mapping` (records to
models), `fields` (tolerant value readers), `candidates`, `writes`, `interviews`, `bodies`, `webhooks`.
"""

from adapters.greenhouse.adapter import DEFAULT_APP_URL, GreenhouseAdapter
from adapters.greenhouse.auth import DEFAULT_AUTH_URL, BearerToken, GreenhouseTokens
from adapters.greenhouse.bodies import DEFAULT_NOTE_VISIBILITY, NOTE_VISIBILITIES, SOURCE_TAG
from adapters.greenhouse.client import DEFAULT_BASE_URL, IDS_PER_REQUEST, PAGE_SIZE
from adapters.greenhouse.refusals import CREDENTIALS_ADVICE, credentials_refused
from adapters.greenhouse.webhooks import (
    APPLICATION_EVENTS,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    parse_webhook,
    verify_webhook_signature,
)
from adapters.webhooks import WebhookTrigger

__all__ = [
    "APPLICATION_EVENTS",
    "CREDENTIALS_ADVICE",
    "DEFAULT_APP_URL",
    "DEFAULT_AUTH_URL",
    "DEFAULT_BASE_URL",
    "DEFAULT_NOTE_VISIBILITY",
    "EVENT_ID_HEADER",
    "IDS_PER_REQUEST",
    "NOTE_VISIBILITIES",
    "PAGE_SIZE",
    "SIGNATURE_HEADER",
    "SOURCE_TAG",
    "BearerToken",
    "GreenhouseAdapter",
    "GreenhouseTokens",
    "WebhookTrigger",
    "credentials_refused",
    "parse_webhook",
    "verify_webhook_signature",
]
