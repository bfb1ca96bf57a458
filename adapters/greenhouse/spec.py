"""Greenhouse's provider spec: how it is connected, how its webhooks are checked, and its write policy.

Greenhouse signs each delivery's exact raw body with a secret key that hirebot generates at connect time
and the admin pastes into Greenhouse, so what a delivery says (deletions and merges included) is applied
as sent; `Greenhouse-Event-ID` names the delivery for deduplication.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from adapters.errors import MalformedResponse
from adapters.greenhouse import (
    APPLICATION_EVENTS,
    DEFAULT_BASE_URL,
    GreenhouseAdapter,
    parse_webhook,
    verify_webhook_signature,
)
from adapters.greenhouse.policy import GreenhouseWritePolicy
from adapters.spec import ConnectField, ProviderSpec, WebhookScheme, WebhookSpec
from adapters.webhooks import BadSignature, MalformedDelivery, WebhookSecrets, WebhookTrigger

# The actions that change what hirebot shows: candidates and applications (re-read), deletions and merges
# (removed), jobs (re-synced). Offers, scorecards and the like are not stored, so they are not asked for.
GREENHOUSE_EVENTS: tuple[str, ...] = (
    *sorted(APPLICATION_EVENTS),
    "update_candidate", "delete_candidate", "merge_candidate", "candidate_anonymized",
    "job_created", "job_updated", "job_deleted", "job_interview_stage_deleted",
)

SETUP_HELP = (
    "In Greenhouse, open Configure > Dev Center > API Credential Management and create a "
    "Harvest V3 (OAuth) credential. Give it the candidate, application, job, user, attachment, "
    "note and interview scopes. The user it acts as must be a Site Admin."
)


def verify_delivery(raw_body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets,
                    now: datetime) -> WebhookTrigger:
    """`Signature: sha256 <hex>` over the raw body with the connection's secret, then the trigger, named
    by its `Greenhouse-Event-ID`. Greenhouse's retries carry the same id, so no age limit is needed."""
    if not verify_webhook_signature(raw_body, headers.get("signature"), secrets.secret or ""):
        raise BadSignature("The Greenhouse signature does not match.")
    try:
        trigger = parse_webhook(raw_body)
    except (ValueError, MalformedResponse) as exc:
        raise MalformedDelivery(str(exc)) from exc
    return replace(trigger, delivery_id=headers.get("greenhouse-event-id"))


def _default_base_url(values: Mapping[str, str]) -> str:
    return DEFAULT_BASE_URL


GREENHOUSE = ProviderSpec(
    name="greenhouse",
    label="Greenhouse",
    adapter_class=GreenhouseAdapter,
    org_scope_allowed=True,
    help_text=SETUP_HELP,
    connect_summary="Connect Greenhouse (Harvest v3): validates the credentials, then stores them encrypted.",
    fields=(
        ConnectField("client_id", "Client ID", "Harvest v3 OAuth client id.", credential=True),
        ConnectField("client_secret", "Client secret", "Harvest v3 OAuth client secret.", secret=True),
        ConnectField("user_id", "Greenhouse user ID to act as", "Greenhouse user id the token acts as (sub).",
                     required=False, help="Optional. Leave empty to act as the integration's service user."),
        ConnectField("base_url", "API base URL", "Harvest API base URL.", required=False,
                     placeholder="https://harvest.greenhouse.io", url=True),
        ConnectField("auth_url", "Token URL", "OAuth token URL.", required=False,
                     placeholder="https://auth.greenhouse.io/token", url=True),
    ),
    default_base_url=_default_base_url,
    identity=("client_id",),
    webhooks=WebhookSpec(scheme=WebhookScheme.GENERATED_SECRET, verify=verify_delivery, events=GREENHOUSE_EVENTS),
    write_policy=GreenhouseWritePolicy(),
)
