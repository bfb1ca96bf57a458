"""Workable through its SPI v3: list-page syncs, detail re-reads, comments and new candidates, webhooks.

Each Workable candidate record is one person on one job (`mapping`). The client (`client`) sends the
bearer token, follows `paging.next` as given and lets adapters.http pace requests from Workable's
rate-limit headers (10 requests per 10 s for account tokens). A full sync reads only the list pages (100
records a request); `fetch_candidates` (webhooks, "refresh Jane") reads each record's detail. Writes
(`writes`) are comments in a member's name and new sourced candidates with their CV; Workable has no API
to create interviews. `scopes` names what a token needs; `webhooks` checks `X-Workable-Signature`.

The modules: `adapter`, `client`, `fields`, `mapping`, `scopes`, `writes`, `webhooks`, `policy`, `spec`.
"""

from adapters.workable.adapter import WorkableAdapter, default_base_url
from adapters.workable.client import PAGE_SIZE
from adapters.workable.webhooks import CANDIDATE_EVENTS, parse_webhook, sign, verify_webhook_signature
from adapters.workable.writes import note_id

__all__ = [
    "CANDIDATE_EVENTS",
    "PAGE_SIZE",
    "WorkableAdapter",
    "default_base_url",
    "note_id",
    "parse_webhook",
    "sign",
    "verify_webhook_signature",
]
