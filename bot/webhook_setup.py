"""What an admin pastes into each ATS so its webhooks reach hirebot, for `hirebot webhooks`.

Each provider's spec says how (adapters/spec.py `WebhookSpec`): an ATS that signs with a secret hirebot
generated takes a URL and that secret; an ATS that issues its own signature tokens takes a URL per event
and hands back a token for each webhook, which the admin pastes into hirebot with
`hirebot webhooks add-token CONNECTION_ID TOKEN`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from adapters.registry import PROVIDER_NAMES, all_specs, spec_for
from adapters.spec import WebhookScheme
from bot.runtime import Runtime
from store.models import AtsConnection
from store.settings import Settings
from store.webhook_secrets import add_issued_token, generated_secret, issued_tokens

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


@dataclass(frozen=True)
class WebhookInstruction:
    """One connection's webhook setup: where the ATS should POST, and the secret or the next step."""

    connection_id: int
    provider: str
    name: str
    url: str
    secret_or_note: str
    events: tuple[str, ...]

    @property
    def is_secret(self) -> bool:
        """`secret_or_note` is the secret key to paste into the ATS (not a next step to follow)."""
        return spec_for(self.provider).webhooks.scheme is WebhookScheme.GENERATED_SECRET


def webhook_url(settings: Settings, provider: str, connection_id: int) -> str:
    return f"{settings.public_url.rstrip('/')}/webhooks/{provider}/{connection_id}"


def webhook_instructions(runtime: Runtime) -> list[WebhookInstruction]:
    """Setup for every active connection whose ATS can send webhooks, oldest connection first."""
    with runtime.sessions() as session:
        query = (select(AtsConnection)
                 .where(AtsConnection.is_active.is_(True),
                        AtsConnection.provider.in_(PROVIDER_NAMES))
                 .order_by(AtsConnection.id))
        rows = list(session.scalars(query))
    return [_instruction(runtime, row) for row in rows]


def _instruction(runtime: Runtime, row: AtsConnection) -> WebhookInstruction:
    url = webhook_url(runtime.settings, row.provider, row.id)
    webhooks = spec_for(row.provider).webhooks
    if webhooks.scheme is WebhookScheme.GENERATED_SECRET:
        return WebhookInstruction(row.id, row.provider, row.name, url, generated_secret(runtime.box, row),
                                  webhooks.events)
    stored = len(issued_tokens(runtime.box, row))
    note = webhooks.setup.format(connection_id=row.id, stored=stored)
    return WebhookInstruction(row.id, row.provider, row.name, url, note, webhooks.events)


def public_url_problem(settings: Settings) -> str | None:
    """Why an ATS could not reach these URLs, or None. Every ATS delivers only to public HTTPS addresses."""
    parts = urlsplit(settings.public_url)
    if parts.scheme != "https" or (parts.hostname or "") in LOCAL_HOSTS:
        return (f"{_labels([spec.label for spec in all_specs()])} only deliver to a public HTTPS address, and "
                f"hirebot's is {settings.public_url}. Set HIREBOT_PUBLIC_URL to the address the internet "
                "reaches hirebot at.")
    return None


def add_token(runtime: Runtime, connection_id: int, token: str) -> int:
    """`hirebot webhooks add-token`: store a webhook's signature token; returns how many are stored."""
    return add_issued_token(runtime.sessions, runtime.box, connection_id, token)


def _labels(labels: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return " and ".join(filter(None, [", ".join(labels[:-1]), labels[-1]])) if labels else ""
