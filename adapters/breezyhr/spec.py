"""BreezyHR's provider spec: how it is connected, how its webhooks are checked, and its write policy.

Connecting takes a personal access token, or an email and password that are used once to sign in and
never stored (`BreezyAdapter.stored_config` keeps the token instead); the company is the account's only
one or the one `--company` names. BreezyHR issues a `whsec_...` secret per webhook endpoint, which the
admin pastes into hirebot; it signs the body, so what a delivery says is applied as sent (a deletion
removes the candidate), and the envelope's `_id` names the delivery for deduplication.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from adapters.breezyhr import DEFAULT_BASE_URL, BreezyAdapter, parse_webhook, verify_webhook_signature
from adapters.breezyhr.policy import BreezyWritePolicy
from adapters.breezyhr.webhooks import CANDIDATE_EVENTS, DELETED_EVENT, POSITION_EVENTS, SIGNATURE_HEADER
from adapters.spec import ConnectField, ProviderSpec, WebhookScheme, WebhookSpec
from adapters.webhooks import BadSignature, MalformedDelivery, WebhookSecrets, WebhookTrigger

BREEZY_EVENTS: tuple[str, ...] = (*sorted(CANDIDATE_EVENTS), DELETED_EVENT, *sorted(POSITION_EVENTS))

SETUP_HELP = (
    "Use a personal access token: in BreezyHR open your avatar > My Settings > API Keys and create one (it "
    "acts as you, with your access to the company). Or give your BreezyHR email and password: hirebot signs "
    "in once, keeps only the session token BreezyHR returns (it lapses after about 30 days unused) and never "
    "stores the password. The company's plan must include API access. If your account belongs to several "
    "companies, give the company id."
)


def verify_delivery(raw_body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets,
                    now: datetime) -> WebhookTrigger:
    """`X-Hook-Signature` against each `whsec_...` secret pasted for this connection, then the trigger."""
    signature = headers.get(SIGNATURE_HEADER.lower())
    if not any(verify_webhook_signature(raw_body, signature, secret) for secret in secrets.tokens):
        raise BadSignature("No BreezyHR webhook secret of this connection matches the signature.")
    try:
        return parse_webhook(raw_body)
    except ValueError as exc:
        raise MalformedDelivery(str(exc)) from exc


def _default_base_url(values: Mapping[str, str]) -> str:
    return DEFAULT_BASE_URL


BREEZYHR = ProviderSpec(
    name="breezyhr",
    label="BreezyHR",
    adapter_class=BreezyAdapter,
    aliases=("breezy",),
    help_text=SETUP_HELP,
    connect_summary=("Connect BreezyHR with a personal access token, or an email and password used once to "
                     "sign in (never stored); checks the company's API access, then stores the token encrypted."),
    fields=(
        ConnectField("token", "Personal access token", "BreezyHR personal access token (or use --email and "
                     "--password).", secret=True, required=False,
                     help="From avatar > My Settings > API Keys. Leave empty to sign in with email and password."),
        ConnectField("email", "Email", "BreezyHR sign-in email, with --password, when no token is given.",
                     credential=True, required=False),
        ConnectField("password", "Password", "BreezyHR password: used once to sign in, never stored.",
                     secret=True, required=False),
        ConnectField("company", "Company ID", "BreezyHR company id (needed when the account has several).",
                     required=False, help="Only when your account belongs to several companies."),
        ConnectField("base_url", "API base URL", "BreezyHR API base URL.", required=False,
                     help="Only for a proxy or a test server.", placeholder=DEFAULT_BASE_URL, url=True),
    ),
    alternatives=(("token",), ("email", "password")),
    default_base_url=_default_base_url,
    identity=("token",),
    webhooks=WebhookSpec(
        scheme=WebhookScheme.ISSUED_TOKENS, verify=verify_delivery, events=BREEZY_EVENTS,
        setup=("In BreezyHR (Pro plans), create a webhook endpoint with this URL and the events below, under "
               "Company settings > Integrations > Webhooks or through the API "
               "(POST /v3/company/<company id>/webhook_endpoints). BreezyHR shows its whsec_... secret once: "
               "paste it into hirebot with hirebot webhooks add-token {connection_id} SECRET ({stored} stored "
               "so far)."),
        token_source="the webhook endpoint's secret (whsec_...), shown once when it is created",
    ),
    write_policy=BreezyWritePolicy(),
)
