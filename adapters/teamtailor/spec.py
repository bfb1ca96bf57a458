"""Teamtailor's provider spec: how it is connected, how its webhooks are checked, and its write policy.

Teamtailor generates a signature key per webhook, which the admin pastes into hirebot (`hirebot webhooks
add-token`). A v2 signature covers the raw body and its time, so a delivery signed more than five minutes
away from now is refused; every id a delivery names is re-read (deleted only once the API no longer has it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from adapters.errors import MalformedResponse
from adapters.spec import ConnectField, ProviderSpec, WebhookScheme, WebhookSpec
from adapters.teamtailor.adapter import TeamtailorAdapter
from adapters.teamtailor.policy import TeamtailorWritePolicy
from adapters.teamtailor.regions import REGION_URLS
from adapters.teamtailor.webhooks import parse_webhook, verify_webhook_signature
from adapters.webhooks import BadSignature, MalformedDelivery, WebhookSecrets, WebhookTrigger

TEAMTAILOR_EVENTS: tuple[str, ...] = (
    "candidate.create", "candidate.update", "candidate.destroy", "job_application.create",
    "job_application.update", "job_application.destroy", "job.create", "job.update", "job.destroy",
)

HELP = (
    "A Teamtailor admin creates the key under Settings > Integrations > API keys, with the Admin permission "
    "level (Public and Internal keys cannot read candidates) and the read/write scope (to add notes and "
    "candidates). Keys work in their account's region only: EU (api.teamtailor.com) or NA "
    "(api.na.teamtailor.com); hirebot tries the other region when the first refuses the key."
)


def verify_delivery(raw_body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets,
                    now: datetime) -> WebhookTrigger:
    """TT-Signature against any of the connection's signature keys, then the trigger."""
    header = headers.get("tt-signature") or headers.get("TT-Signature")
    if not secrets.tokens or not verify_webhook_signature(raw_body, header, list(secrets.tokens),
                                                          now=now.timestamp()):
        raise BadSignature("No Teamtailor signature key of this connection matches (or it was signed too long "
                           "ago).")
    try:
        return parse_webhook(raw_body, header)
    except MalformedResponse as exc:
        raise MalformedDelivery(str(exc)) from exc


def _default_base_url(values: Mapping[str, str]) -> str:
    return REGION_URLS.get(values.get("region", "eu"), REGION_URLS["eu"])


TEAMTAILOR = ProviderSpec(
    name="teamtailor",
    label="Teamtailor",
    adapter_class=TeamtailorAdapter,
    help_text=HELP,
    connect_summary=("Connect Teamtailor: checks the key (trying the other region if refused) and its "
                     "permission level, then stores it encrypted."),
    fields=(
        ConnectField("api_key", "API key", "Teamtailor API key (Admin permission level, read/write scope).",
                     secret=True),
        ConnectField("region", "Region", "eu or na (the other is tried if the key is refused).", required=False,
                     choices=("eu", "na"), default="eu"),
        ConnectField("base_url", "API base URL", "Teamtailor API root the API paths are appended to "
                     "(overrides --region; no region fallback).", required=False,
                     help="Only for a proxy or a test server.", placeholder=REGION_URLS["eu"], url=True),
    ),
    default_base_url=_default_base_url,
    identity=("api_key",),
    webhooks=WebhookSpec(
        scheme=WebhookScheme.ISSUED_TOKENS, verify=verify_delivery, events=TEAMTAILOR_EVENTS,
        setup=("Teamtailor's company webhooks must first be switched on for your account by Teamtailor support "
               "(they cannot be created through the API). Then, as an admin, open Settings > Integrations > "
               "Webhooks > Add webhook, give this URL, choose the events below and signature v2, and copy the "
               "signature key Teamtailor generates into hirebot: "
               "hirebot webhooks add-token {connection_id} KEY ({stored} stored so far)."),
        token_source="Settings > Integrations > Webhooks",
    ),
    write_policy=TeamtailorWritePolicy(),
)
