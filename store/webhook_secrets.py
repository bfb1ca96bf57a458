"""The secrets that prove a webhook came from the ATS, kept encrypted in the connection's `webhook_secret`.

Two schemes exist (adapters/spec.py `WebhookScheme`): a secret hirebot generates at connect time, which
the admin pastes into the ATS, and signature tokens the ATS issues (one per webhook), which the admin
pastes into hirebot. Both live in the same sealed dict: `{"secret": "...", "signature_tokens": [...]}`.
Tokens stored before that key was provider-neutral are under `lever_signature_tokens`; they are read
too, and moved to the new key the next time a token is added.
"""

from __future__ import annotations

import string
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError
from adapters.registry import all_specs, find_spec
from adapters.spec import ProviderSpec, WebhookScheme
from adapters.webhooks import WebhookSecrets
from store.crypto import SecretBox
from store.db import transaction
from store.models import AtsConnection

TOKENS_KEY = "signature_tokens"
LEGACY_TOKENS_KEY = "lever_signature_tokens"
MAX_TOKEN_CHARS = 200
MAX_TOKENS = 50  # an ATS has ten-odd webhook events; more than this is a mistake, not a setup
TOKEN_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_.~+/=")


def generated_secret(box: SecretBox, connection: AtsConnection) -> str:
    """The secret key hirebot generated for this connection, which the ATS signs its webhooks with."""
    secret = _sealed(box, connection).get("secret")
    if not isinstance(secret, str) or not secret:
        raise ConfigError(f"Connection {connection.id} has no webhook secret; reconnect it to create one.")
    return secret


def issued_tokens(box: SecretBox, connection: AtsConnection) -> list[str]:
    """The signature tokens of every webhook the admin registered for this connection."""
    return _tokens(_sealed(box, connection))


def webhook_secrets(box: SecretBox, connection: AtsConnection, scheme: WebhookScheme) -> WebhookSecrets:
    """What the connection's deliveries are checked with; a ConfigError when its generated secret is missing."""
    if scheme is WebhookScheme.GENERATED_SECRET:
        return WebhookSecrets(secret=generated_secret(box, connection))
    return WebhookSecrets(tokens=tuple(issued_tokens(box, connection)))


def add_issued_token(sessions: sessionmaker[Session], box: SecretBox, connection_id: int, token: str) -> int:
    """Store one more signature token (pasted from the ATS's webhook settings); returns how many the
    connection now has. Adding a token twice keeps one copy."""
    with transaction(sessions) as session:
        # Row lock: two admins pasting tokens at once must not overwrite each other's.
        connection = session.scalar(select(AtsConnection).where(AtsConnection.id == connection_id)
                                    .with_for_update())
        spec = find_spec(connection.provider) if connection is not None else None
        if connection is None or spec is None or spec.webhooks.scheme is not WebhookScheme.ISSUED_TOKENS:
            raise ConfigError(f"There is no {_token_labels()} connection {connection_id}. "
                              "`hirebot connections` lists them.")
        token = _clean_token(spec, token)
        sealed = _sealed(box, connection)
        tokens = _tokens(sealed)
        if token not in tokens:
            if len(tokens) >= MAX_TOKENS:
                raise ConfigError(f"Connection {connection_id} already has {MAX_TOKENS} {spec.label} "
                                  "signature tokens; remove the webhook and reconnect to start again.")
            tokens.append(token)
        sealed.pop(LEGACY_TOKENS_KEY, None)
        connection.webhook_secret = box.seal({**sealed, TOKENS_KEY: tokens})
        return len(tokens)


def _sealed(box: SecretBox, connection: AtsConnection) -> dict[str, Any]:
    return {} if connection.webhook_secret is None else box.open(connection.webhook_secret)


def _tokens(sealed: dict[str, Any]) -> list[str]:
    stored = [*(sealed.get(TOKENS_KEY) or []), *(sealed.get(LEGACY_TOKENS_KEY) or [])]
    return list(dict.fromkeys(token for token in stored if isinstance(token, str) and token))


def _token_labels() -> str:
    """The ATSs that issue tokens, for an error about a connection that takes none ("Lever")."""
    return " or ".join(spec.label for spec in all_specs() if spec.webhooks.scheme is WebhookScheme.ISSUED_TOKENS)


def _clean_token(spec: ProviderSpec, token: str) -> str:
    cleaned = (token or "").strip()
    if not cleaned:
        raise ConfigError(f"Paste the webhook's signature token from {spec.label} "
                          f"({spec.webhooks.token_source}).")
    if len(cleaned) > MAX_TOKEN_CHARS or not set(cleaned) <= TOKEN_CHARACTERS:
        raise ConfigError(f"That does not look like a {spec.label} signature token: it should be one word of "
                          f"letters and digits, as {spec.label} shows it.")
    return cleaned
