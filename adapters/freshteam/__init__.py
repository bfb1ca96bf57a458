"""Freshteam (Freshworks), read-only: candidates, applicants with their stage and sub-stage per job, job
postings, resumes and employees, for teams still on Freshteam or moving off it.

Freshworks is closing Freshteam (no renewals after mid-2026, about 90 days of export access after a
subscription ends), so hirebot writes nothing to it and says so (policy.py), and a closed account's
refusal is reported as such instead of being retried (client.py).

The modules: `adapter` (the adapter class), `client` (the bearer key, paging, refusals), `pacing` (the
per-minute limit from `x-ratelimit-*`), `reads` (the sync's reads), `mapping` (records to models),
`fields` (tolerant value readers), `accounts` (domain, API root, web address), `policy`, `webhooks`
(polling only), `spec`.
"""

from adapters.freshteam.accounts import app_url, bare_domain, default_base_url
from adapters.freshteam.adapter import FreshteamAdapter
from adapters.freshteam.client import PAGE_SIZE, AccountUnavailable
from adapters.freshteam.mapping import StageRules

__all__ = ["PAGE_SIZE", "AccountUnavailable", "FreshteamAdapter", "StageRules", "app_url", "bare_domain",
           "default_base_url"]
