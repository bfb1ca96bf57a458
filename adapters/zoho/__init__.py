"""Zoho Recruit through its REST v2 API: OAuth with a Self Client per data center, the sync reads, notes,
interviews and new candidates written back, and the secret-in-the-URL webhook check.

The modules: `adapter` (the adapter class, its reads and connect-time checks), `auth` (tokens cached for
their hour, process-wide), `credits` (the org's daily API credits, counted on our side), `client` (paging,
204/304, per-record results, uploads), `errors` (Zoho's codes as one-line reasons), `layout` (module and
field names from the settings endpoints), `mapping`, `values`, `regions`, `writes`, `webhooks`, `policy`,
`spec`.
"""

from adapters.zoho.adapter import ZohoAdapter, forget_org_caches
from adapters.zoho.auth import forget_all_tokens
from adapters.zoho.client import PAGE_SIZE
from adapters.zoho.regions import DATA_CENTERS
from adapters.zoho.webhooks import parse_webhook, verify_webhook_secret
from adapters.zoho.writes import interview_marker

__all__ = ["DATA_CENTERS", "PAGE_SIZE", "ZohoAdapter", "forget_all_tokens", "forget_org_caches", "interview_marker",
           "parse_webhook", "verify_webhook_secret"]
