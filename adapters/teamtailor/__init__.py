"""Teamtailor through its JSON:API v1: candidates with their job applications for sync, notes and new
candidates written back, and `TT-Signature` webhook checks.

Every request carries `Authorization: Token token=KEY`, the pinned `X-Api-Version` and the JSON:API media
type (`client`); pages are 30 long and followed by `links.next`. Requests are paced to about 2/s per key and
slow down before `X-Rate-Limit-Remaining` runs out; a 429 waits `X-Rate-Limit-Reset` seconds (`pacing`,
`client`). Status lives on job applications (`mapping`). Signed file links expire in about 30 s, so files
link to the candidate's page instead. Keys belong to one region; `validate()` tries the other one when the
first refuses the key (`regions`). The modules: `adapter`, `client`, `pacing`, `regions`, `reads`,
`mapping`, `fields`, `writes`, `webhooks`, `policy`, `spec`.
"""

from adapters.teamtailor.adapter import TeamtailorAdapter
from adapters.teamtailor.client import PAGE_SIZE
from adapters.teamtailor.pacing import DEFAULT_RATE, RequestPacer
from adapters.teamtailor.regions import API_VERSION, APP_URL, REGION_URLS
from adapters.teamtailor.webhooks import (
    parse_webhook,
    signature_v1,
    signature_v2,
    verify_webhook_signature,
)

__all__ = [
    "API_VERSION",
    "APP_URL",
    "DEFAULT_RATE",
    "PAGE_SIZE",
    "REGION_URLS",
    "RequestPacer",
    "TeamtailorAdapter",
    "parse_webhook",
    "signature_v1",
    "signature_v2",
    "verify_webhook_signature",
]
