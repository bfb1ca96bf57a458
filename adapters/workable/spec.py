"""Workable's provider spec: how it is connected, how its webhooks are checked, and its write policy.

Workable signs each webhook body with the access token that made the subscription, so the connection's own
token checks deliveries and there is nothing to paste. Subscriptions are made through the API only
(`POST /subscriptions`), one per event, and Workable takes each target URL once: each event gets the URL
with `?event=<name>` added.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from adapters.errors import ConfigError, MalformedResponse
from adapters.spec import ConnectField, ProviderSpec, WebhookScheme, WebhookSpec
from adapters.webhooks import BadSignature, MalformedDelivery, WebhookSecrets, WebhookTrigger
from adapters.workable.adapter import WorkableAdapter, default_base_url
from adapters.workable.policy import WorkableWritePolicy
from adapters.workable.webhooks import CANDIDATE_EVENTS, SIGNATURE_HEADER, parse_webhook, verify_webhook_signature

SUBDOMAIN_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")

HELP = (
    "Create an account access token in Workable (an admin): Settings > Integrations > Apps > API Access Tokens, "
    "with the scopes r_jobs, r_candidates, w_candidates and w_comments. The subdomain is the NAME in "
    "NAME.workable.com. Comments are posted in the name of the organizer's Workable member (same email)."
)

WEBHOOK_SETUP = (
    "Workable has no webhook settings page: subscribe through its API with this connection's token, once per "
    "event below, adding ?event=EVENT to the URL above (Workable takes each URL once): POST /subscriptions "
    "{{\"target\": \"URL?event=EVENT\", \"event\": \"EVENT\", \"args\": {{\"account_id\": \"SUBDOMAIN\", "
    "\"job_shortcode\": \"\", \"stage_slug\": \"\"}}}}. Workable signs deliveries with the token, so subscribe "
    "again after rotating it (connection {connection_id})."
)


def verify_delivery(raw_body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets,
                    now: datetime) -> WebhookTrigger:
    """The body's HMAC against the connection's token, then the trigger."""
    keys = [*secrets.tokens, *([secrets.secret] if secrets.secret else [])]
    if not verify_webhook_signature(raw_body, headers.get(SIGNATURE_HEADER), keys):
        raise BadSignature("The Workable signature does not match this connection's token.")
    try:
        return parse_webhook(raw_body)
    except MalformedResponse as exc:
        raise MalformedDelivery(str(exc)) from exc


def _default_base_url(values: Mapping[str, str]) -> str:
    return default_base_url(values.get("subdomain", ""))


def check_values(base_url: str, values: Mapping[str, str]) -> None:
    """A subdomain is one DNS label (`acme`, not `acme.workable.com` or a URL)."""
    subdomain = (values.get("subdomain") or "").strip().lower()
    if not subdomain or not set(subdomain) <= SUBDOMAIN_CHARACTERS or subdomain.startswith("-"):
        raise ConfigError(f"The Workable subdomain is the NAME in NAME.workable.com (letters, digits and dashes); "
                          f"{values.get('subdomain')!r} is not one.")


WORKABLE = ProviderSpec(
    name="workable",
    label="Workable",
    adapter_class=WorkableAdapter,
    help_text=HELP,
    connect_summary="Connect Workable: checks the subdomain, the token and its scopes, then stores it encrypted.",
    fields=(
        ConnectField("subdomain", "Subdomain", "Your Workable subdomain (the NAME in NAME.workable.com).",
                     help="The NAME in NAME.workable.com.", placeholder="acme"),
        ConnectField("token", "API access token", "Workable API access token with the scopes hirebot needs.",
                     secret=True),
        ConnectField("base_url", "API base URL", "Workable API root (default https://SUB.workable.com/spi/v3).",
                     required=False, help="Only for a proxy or a test server.",
                     placeholder="https://acme.workable.com/spi/v3", url=True),
    ),
    default_base_url=_default_base_url,
    check_values=check_values,
    identity=("subdomain",),
    webhooks=WebhookSpec(scheme=WebhookScheme.API_CREDENTIAL, verify=verify_delivery, events=CANDIDATE_EVENTS,
                         setup=WEBHOOK_SETUP, credential="token"),
    write_policy=WorkableWritePolicy(),
)
