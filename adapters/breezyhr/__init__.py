"""BreezyHR through its API v3: the read path for sync, team-note and new-candidate writes, and webhook checks.

Every candidate route hangs off a company and a position, and a candidate record belongs to one position
(`mapping` explains the data model). Requests carry the raw token in `Authorization` and are paced under
the documented 100 a minute (`pacing`, `client`); the token is a personal access token or one got by
signing in once (`account`, which also picks the company). Writes (`writes`) go to the team discussion,
never to the candidate-facing conversation.

The modules: `adapter`, `account`, `client`, `pacing`, `mapping`, `fields`, `writes`, `webhooks`, `policy`,
`spec`.
"""

from adapters.breezyhr.adapter import DEFAULT_BASE_URL, BreezyAdapter
from adapters.breezyhr.client import PAGE_SIZE
from adapters.breezyhr.mapping import APP_URL, application_id, pipeline_url
from adapters.breezyhr.pacing import DEFAULT_PER_MINUTE, DOCUMENTED_PER_MINUTE, RequestPacer
from adapters.breezyhr.webhooks import SIGNATURE_HEADER, parse_webhook, verify_webhook_signature

__all__ = [
    "APP_URL",
    "DEFAULT_BASE_URL",
    "DEFAULT_PER_MINUTE",
    "DOCUMENTED_PER_MINUTE",
    "PAGE_SIZE",
    "SIGNATURE_HEADER",
    "BreezyAdapter",
    "RequestPacer",
    "application_id",
    "parse_webhook",
    "pipeline_url",
    "verify_webhook_signature",
]
