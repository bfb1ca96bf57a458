"""Freshteam's provider spec: connected with the account's domain and an admin's API key, read-only, polled.

The connection is personal (the key is a user's own and carries that user's role permissions). Freshteam
sends no webhooks, so `hirebot webhooks` says it is polled, and the write policy says why nothing is
written back.
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.freshteam.accounts import API_PATH, APP_HOST, bare_domain, default_base_url
from adapters.freshteam.adapter import FreshteamAdapter
from adapters.freshteam.policy import FreshteamWritePolicy
from adapters.freshteam.webhooks import POLLING_NOTE, refuse_delivery
from adapters.spec import ConnectField, ProviderSpec, WebhookScheme, WebhookSpec

SETUP_HELP = (
    "Freshworks is closing Freshteam, so hirebot only reads it (candidates, their stage per job, jobs, "
    "resumes), for teams still on it or moving off it; nothing is written back. Use an account admin's API "
    "key (a key has its user's role permissions): in Freshteam, open your profile > API Settings and copy "
    "Your API Key. The domain is the first part of your Freshteam address: acme for https://acme.freshteam.com."
)


def _default_base_url(values: Mapping[str, str]) -> str:
    """https://DOMAIN.freshteam.com/api (the domain is required, and checked, before this is used)."""
    domain = values.get("domain")
    return default_base_url(domain) if domain else f"https://DOMAIN.{APP_HOST}{API_PATH}"


def check_values(base_url: str, values: Mapping[str, str]) -> None:
    """The domain must be a Freshteam sub-domain (it also builds the links to candidates and resumes)."""
    bare_domain(values.get("domain", ""))


FRESHTEAM = ProviderSpec(
    name="freshteam",
    label="Freshteam",
    adapter_class=FreshteamAdapter,
    help_text=SETUP_HELP,
    connect_summary="Connect Freshteam (read-only): checks the key against the account, then stores it encrypted.",
    fields=(
        ConnectField("domain", "Freshteam domain", "The account's sub-domain: acme for acme.freshteam.com.",
                     help="The first part of your Freshteam address.", placeholder="acme"),
        ConnectField("api_key", "API key", "An account admin's Freshteam API key (Profile > API Settings).",
                     secret=True),
        ConnectField("base_url", "API base URL", "Freshteam API root (default https://DOMAIN.freshteam.com/api).",
                     required=False, help="Only for a proxy or a test server.",
                     placeholder="https://acme.freshteam.com/api", url=True),
    ),
    default_base_url=_default_base_url,
    check_values=check_values,
    identity=("domain",),
    webhooks=WebhookSpec(scheme=WebhookScheme.POLLING, verify=refuse_delivery, events=(), setup=POLLING_NOTE),
    write_policy=FreshteamWritePolicy(),
)
