"""Recruitee's provider spec: how it is connected, how its webhooks are checked, and its write policy.

Recruitee shows each webhook's secret in its setup dialog, so the admin pastes it into hirebot
(`hirebot webhooks add-token`). Deliveries are signed over the whole body; the setup dialog's unsigned
`{"test": true}` handshake (sent before hirebot can know the secret) is answered 200 and does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from adapters.errors import ConfigError, MalformedResponse
from adapters.recruitee import (
    CANDIDATE_EVENTS,
    DELETE_EVENTS,
    SIGNATURE_HEADER,
    RecruiteeAdapter,
    base_url_for,
    is_test_delivery,
    parse_webhook,
    verify_webhook_signature,
)
from adapters.recruitee.policy import TOKEN_OWNER, RecruiteeWritePolicy
from adapters.spec import ConnectField, ProviderSpec, WebhookScheme, WebhookSpec
from adapters.webhooks import BadSignature, MalformedDelivery, WebhookSecrets, WebhookTrigger

RECRUITEE_EVENTS: tuple[str, ...] = (
    "Candidate created", "Candidate assigned to a job", "Candidate moved (stage changed, disqualified, "
    "requalified)", "Candidate deleted", "Job changed",
)

SETUP_HELP = (
    "In Recruitee, open Settings > Apps and plugins > Personal API tokens and create a token (Recruitee asks "
    "for your password again); the same page shows the company id. A token has exactly its user's "
    "permissions and writes in that user's name, so create it as a dedicated user with an admin-level role. "
    f"{TOKEN_OWNER}."
)


def verify_delivery(raw_body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets,
                    now: datetime) -> WebhookTrigger:
    """A test delivery is answered without a check (it asks for nothing); anything else must carry
    `X-Recruitee-Signature`, the body's HMAC under one of the connection's webhook secrets."""
    if is_test_delivery(raw_body):
        return parse_webhook(raw_body)
    if not verify_webhook_signature(raw_body, headers.get(SIGNATURE_HEADER.lower()), list(secrets.tokens)):
        raise BadSignature("No Recruitee webhook secret of this connection matches.")
    try:
        return parse_webhook(raw_body)
    except MalformedResponse as exc:
        raise MalformedDelivery(str(exc)) from exc


def _default_base_url(values: Mapping[str, str]) -> str:
    return base_url_for(values.get("company_id", ""))


def check_values(base_url: str, values: Mapping[str, str]) -> None:
    """A company id is Recruitee's number (or, some say, the company's subdomain): one word, no slashes."""
    company = values.get("company_id", "").strip()
    if not company or any(ch in company for ch in "/?#& ") or len(company) > 100:
        raise ConfigError(f"A Recruitee company id is the number shown next to your personal API tokens, like "
                          f"89564; {company!r} is not one.")


RECRUITEE = ProviderSpec(
    name="recruitee",
    label="Recruitee",
    adapter_class=RecruiteeAdapter,
    help_text=SETUP_HELP,
    connect_summary="Connect Recruitee: checks the token and the company id, then stores the token encrypted.",
    fields=(
        ConnectField("company_id", "Company ID", "Recruitee company id (Settings > Apps and plugins > Personal "
                     "API tokens).", placeholder="89564"),
        ConnectField("token", "Personal API token", "Recruitee personal API token.", secret=True),
        ConnectField("base_url", "API base URL", "Recruitee API root (default https://api.recruitee.com/c/ID).",
                     required=False, help="Only for a proxy or a test server.",
                     placeholder="https://api.recruitee.com/c/89564", url=True),
    ),
    default_base_url=_default_base_url,
    check_values=check_values,
    identity=("company_id", "token"),
    aliases=("tellent",),
    webhooks=WebhookSpec(
        scheme=WebhookScheme.ISSUED_TOKENS, verify=verify_delivery, events=RECRUITEE_EVENTS,
        setup=("In Recruitee, open Settings > Apps and plugins > Webhooks > + New webhook (your role needs the "
               "'Manage webhooks' ability), paste this URL, tick the events below and press Verify and create "
               "(hirebot answers Recruitee's test request). Then copy the webhook's secret from that dialog into "
               "hirebot: hirebot webhooks add-token {connection_id} SECRET ({stored} stored so far)."),
        token_source="Settings > Apps and plugins > Webhooks (the webhook's secret)",
    ),
    write_policy=RecruiteeWritePolicy(),
)

__all__ = ["CANDIDATE_EVENTS", "DELETE_EVENTS", "RECRUITEE", "verify_delivery"]
