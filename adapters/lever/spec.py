"""Lever's provider spec: how it is connected, how its webhooks are checked, and its write policy.

Lever issues a signature token per webhook (one per event), which the admin pastes into hirebot, and
signs only `token + triggeredAt`, not the data. So every id a delivery names is re-read (and deleted only
when the API no longer has it), a delivery older than MAX_AGE (Lever documents no retry schedule, and the
poller catches anything later) or dated more than MAX_SKEW ahead is refused, and the token names the
delivery: a token seen before is a replay, answered as a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from adapters.errors import ConfigError, MalformedResponse
from adapters.lever import LEVER_BASE_URLS, LeverAdapter, parse_webhook, verify_webhook_signature
from adapters.lever.policy import LeverWritePolicy
from adapters.spec import ConnectField, ProviderSpec, WebhookScheme, WebhookSpec
from adapters.webhooks import BadSignature, MalformedDelivery, StaleDelivery, WebhookSecrets, WebhookTrigger

MAX_AGE = timedelta(hours=1)
MAX_SKEW = timedelta(minutes=5)

LEVER_EVENTS: tuple[str, ...] = (
    "applicationCreated", "candidateStageChange", "candidateArchiveChange", "candidateHired",
    "candidateDeleted",
)

PERMISSIONS_HELP = (
    "Create the key in Lever under Settings > Integrations and API > API Credentials, with these "
    "permissions: read-opportunity, read-opportunity-panel, read-candidate, list-users, "
    "list-opportunities, list-opportunity-panels, list-candidates, create-opportunity-panel, "
    "update-opportunity-panel, delete-opportunity-panel, create-opportunity-note, delete-opportunity-note. "
    "For job titles, stage history, hired/rejected reasons and resumes on cards, also grant list-postings, "
    "list-stages, list-archive-reasons, list-opportunity-resumes and list-opportunity-files; to add "
    "candidates from chat, create-opportunity."
)


def verify_delivery(raw_body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets,
                    now: datetime) -> WebhookTrigger:
    """The body's signature against any of the connection's tokens, then the trigger, if it is timely."""
    if not secrets.tokens or not verify_webhook_signature(raw_body, list(secrets.tokens)):
        raise BadSignature("No Lever signature token of this connection matches.")
    try:
        trigger = parse_webhook(raw_body)
    except MalformedResponse as exc:
        raise MalformedDelivery(str(exc)) from exc
    if trigger.occurred_at is None or not now - MAX_AGE <= trigger.occurred_at <= now + MAX_SKEW:
        raise StaleDelivery("The Lever delivery is too old, or dated in the future.")
    return trigger


def _default_base_url(values: Mapping[str, str]) -> str:
    return LEVER_BASE_URLS[values.get("region", "us")]


def check_values(base_url: str, values: Mapping[str, str]) -> None:
    """Every Lever API path hirebot uses hangs off /v1, so a base URL without it would pass the key check's
    first probes and fail at the first sync."""
    if not base_url.rstrip("/").endswith("/v1"):
        raise ConfigError(f"A Lever API base URL ends in /v1, like {LEVER_BASE_URLS['us']}: did you mean "
                          f"{base_url.rstrip('/')}/v1?")


LEVER = ProviderSpec(
    name="lever",
    label="Lever",
    adapter_class=LeverAdapter,
    help_text=PERMISSIONS_HELP,
    connect_summary="Connect Lever: checks the key and each permission hirebot needs, then stores it encrypted.",
    fields=(
        ConnectField("api_key", "API key", "Lever API key with the required permissions.", secret=True),
        ConnectField("region", "Region", "us, eu or sandbox.", required=False, choices=("us", "eu", "sandbox"),
                     default="us"),
        ConnectField("base_url", "API base URL", "Lever API base URL (overrides --region).", required=False,
                     help="Only for a proxy or a test server.", placeholder=LEVER_BASE_URLS["us"], url=True),
    ),
    default_base_url=_default_base_url,
    check_values=check_values,
    identity=("api_key",),
    webhooks=WebhookSpec(
        scheme=WebhookScheme.ISSUED_TOKENS, verify=verify_delivery, events=LEVER_EVENTS,
        setup=("In Lever, open Settings > Integrations and API > Webhooks and turn on each event below with this "
               "URL. Then copy each webhook's signature token into hirebot: "
               "hirebot webhooks add-token {connection_id} TOKEN ({stored} stored so far)."),
        token_source="Settings > Integrations and API > Webhooks",
    ),
    write_policy=LeverWritePolicy(),
)
