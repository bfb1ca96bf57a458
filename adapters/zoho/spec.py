"""Zoho Recruit's provider spec: how it is connected (a Self Client per data center), how its unsigned
webhooks are checked (a secret in the URL), and its write policy."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from adapters.spec import ConnectField, ProviderSpec, WebhookScheme, WebhookSpec
from adapters.webhooks import BadSignature, WebhookSecrets, WebhookTrigger
from adapters.zoho.adapter import ZohoAdapter
from adapters.zoho.policy import ZohoWritePolicy
from adapters.zoho.regions import DATA_CENTERS, api_base_url, data_center
from adapters.zoho.webhooks import parse_webhook, verify_webhook_secret

SCOPES = ("ZohoRecruit.modules.ALL", "ZohoRecruit.settings.ALL", "ZohoRecruit.users.READ", "ZohoRecruit.org.READ",
          "ZohoSearch.securesearch.READ")

SETUP_HELP = (
    "In the Zoho API console of your data center (api-console.zoho.com, .eu, .in...), add a Self Client, then "
    "under Generate Code enter the scopes " + ",".join(SCOPES) + " and make a grant code. Exchange it for a "
    "refresh token (POST /oauth/v2/token with grant_type=authorization_code) and connect with the client id, "
    "client secret and refresh token. The application-specific password of older guides belongs to the "
    "authtoken scheme Zoho retired in 2021 and does not work here."
)
WEBHOOK_SETUP = (
    "Zoho Recruit cannot sign webhooks, so the URL above carries this connection's secret: paste it whole and "
    "keep it private. In Zoho Recruit open Setup > Automation > Webhooks, add a POST webhook for the "
    "Candidates module with that URL, and under Append Entity Parameters add `id` = the candidate's record Id "
    "(and `modified` = Modified Time). Attach it to workflow rules on candidate create and edit (and on "
    "Candidate Status changes). Polling stays the main sync; webhooks only make changes show sooner."
)
ZOHO_EVENTS: tuple[str, ...] = ("Candidates: create", "Candidates: edit", "Candidates: Candidate Status modified")


def verify_delivery(raw_body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets,
                    now: datetime) -> WebhookTrigger:
    """The connection's secret in the URL (or a `key` parameter), compared in constant time, then the ids."""
    if not verify_webhook_secret(raw_body, headers, secrets.secret or ""):
        raise BadSignature("The Zoho Recruit webhook does not carry this connection's secret.")
    return parse_webhook(raw_body, headers)


def _default_base_url(values: Mapping[str, str]) -> str:
    return api_base_url(data_center(values.get("data_center")))


ZOHO = ProviderSpec(
    name="zoho",
    label="Zoho Recruit",
    adapter_class=ZohoAdapter,
    help_text=SETUP_HELP,
    connect_summary="Connect Zoho Recruit with a Self Client: checks the token, scopes and fields, then stores "
                    "them encrypted.",
    fields=(
        ConnectField("client_id", "Client ID", "Self Client's client id (Zoho API console).", credential=True),
        ConnectField("client_secret", "Client secret", "Self Client's client secret.", secret=True),
        ConnectField("refresh_token", "Refresh token", "Refresh token made from a Self Client grant code.",
                     secret=True),
        ConnectField("data_center", "Data center", "Where the Zoho account lives: " + ", ".join(DATA_CENTERS) + ".",
                     required=False, choices=tuple(DATA_CENTERS), default="us"),
        ConnectField("base_url", "API base URL", "Recruit API base URL (overrides --data-center).", required=False,
                     help="Only for a proxy or a test server.", placeholder=api_base_url("us"), url=True),
        ConnectField("accounts_url", "Accounts URL", "Zoho accounts server for tokens (overrides --data-center).",
                     required=False, help="Only for a proxy or a test server.",
                     placeholder="https://accounts.zoho.com", url=True),
    ),
    default_base_url=_default_base_url,
    identity=("client_id",),
    aliases=("zoho recruit", "zohorecruit"),
    webhooks=WebhookSpec(scheme=WebhookScheme.URL_SECRET, verify=verify_delivery, events=ZOHO_EVENTS,
                         setup=WEBHOOK_SETUP),
    write_policy=ZohoWritePolicy(),
)
