"""Lever through its Data API v1: the read path for sync, the panel and note write path, and webhook checks.

The opportunity id is hirebot's candidate key (`mapping` explains the data model). Requests are paced on
our side (`pacing`: Lever documents 10 requests/s per key and sends no rate-limit headers) and go through
adapters.http for retries (`client`); writes use `perform_as` as a query parameter (`writes`, `panels`).
Keys can be limited to selected endpoints: `permissions` lists what hirebot needs and what a sync loses
without each optional one, `probes` checks a key at connect time without changing anything. After
`validate()`, `optional_missing` and `permission_warnings` are there for the connect flow.

Unsure writes. When a write's answer is lost (a timeout), the outbox looks it up before trying again:
`find_note` by the marker at the end of the note, `find_interview_by_external_id` by the meeting's calendar
UID, which panels carry as a `[hirebot:<uid>]` last line of their note (a URL goes to `externalUrl`),
and `find_candidate_by_email` by email. Each returns remote ids in the form the create call returns
(`remote_ids`: "opportunityId:itemId" for notes and panels).

The modules: `adapter` (the adapter class, its reads and connect-time checks), `client`, `pacing`,
`regions`, `permissions`, `probes`, `reads`, `mapping`, `fields`, `remote_ids`, `writes`, `panels`,
`webhooks`.
"""

from adapters.lever.adapter import LeverAdapter
from adapters.lever.client import PAGE_SIZE
from adapters.lever.pacing import DEFAULT_BURST, DEFAULT_RATE, RequestPacer
from adapters.lever.panels import panel_marker
from adapters.lever.permissions import (
    CREATE_CANDIDATE_PERMISSION,
    DOCUMENTED_PERMISSIONS,
    KEY_ADVICE,
    NOTE_LOOKUP_PERMISSION,
    OPTIONAL_PERMISSIONS,
    REQUIRED_PERMISSIONS,
    SYNC_PERMISSIONS,
    PermissionReport,
    permission_warnings,
)
from adapters.lever.probes import PERMISSION_PROBES, PROBE_ID
from adapters.lever.reads import ATTACHMENT_CONCURRENCY
from adapters.lever.regions import LEVER_APP_URLS, LEVER_BASE_URLS
from adapters.lever.remote_ids import join_remote_id, split_remote_id
from adapters.lever.webhooks import parse_webhook, verify_webhook_signature
from adapters.webhooks import WebhookTrigger

__all__ = [
    "ATTACHMENT_CONCURRENCY",
    "CREATE_CANDIDATE_PERMISSION",
    "DEFAULT_BURST",
    "DEFAULT_RATE",
    "DOCUMENTED_PERMISSIONS",
    "KEY_ADVICE",
    "LEVER_APP_URLS",
    "LEVER_BASE_URLS",
    "NOTE_LOOKUP_PERMISSION",
    "OPTIONAL_PERMISSIONS",
    "PAGE_SIZE",
    "PERMISSION_PROBES",
    "PROBE_ID",
    "REQUIRED_PERMISSIONS",
    "SYNC_PERMISSIONS",
    "LeverAdapter",
    "PermissionReport",
    "RequestPacer",
    "WebhookTrigger",
    "join_remote_id",
    "panel_marker",
    "parse_webhook",
    "permission_warnings",
    "split_remote_id",
    "verify_webhook_signature",
]
