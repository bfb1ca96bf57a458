"""The secrets that prove a webhook came from the ATS, kept encrypted in the connection's `webhook_secret`.

Greenhouse signs with one secret key that hirebot generates at connect time and the admin pastes into
Greenhouse. Lever works the other way round: it issues a signature token per webhook (one per event),
so the admin pastes each token back into hirebot. Both live in the same sealed dict:
`{"secret": "...", "lever_signature_tokens": ["...", ...]}`.
"""

from __future__ import annotations

import string
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError
from store.crypto import SecretBox
from store.db import transaction
from store.models import AtsConnection

LEVER_TOKENS_KEY = "lever_signature_tokens"
MAX_TOKEN_CHARS = 200
MAX_LEVER_TOKENS = 50  # Lever has ten-odd webhook events; more than this is a mistake, not a setup
TOKEN_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_.~+/=")


def greenhouse_secret(box: SecretBox, connection: AtsConnection) -> str:
    """The secret key Greenhouse signs this connection's webhooks with."""
    secret = _sealed(box, connection).get("secret")
    if not isinstance(secret, str) or not secret:
        raise ConfigError(f"Connection {connection.id} has no webhook secret; reconnect it to create one.")
    return secret


def lever_tokens(box: SecretBox, connection: AtsConnection) -> list[str]:
    """The signature tokens of every Lever webhook the admin registered for this connection."""
    tokens = _sealed(box, connection).get(LEVER_TOKENS_KEY) or []
    return [token for token in tokens if isinstance(token, str) and token]


def add_lever_token(sessions: sessionmaker[Session], box: SecretBox, connection_id: int, token: str) -> int:
    """Store one more Lever signature token (pasted from Lever's webhook settings); returns how many the
    connection now has. Adding a token twice keeps one copy."""
    token = _clean_token(token)
    with transaction(sessions) as session:
        # Row lock: two admins pasting tokens at once must not overwrite each other's.
        connection = session.scalar(select(AtsConnection).where(AtsConnection.id == connection_id)
                                    .with_for_update())
        if connection is None or connection.provider != "lever":
            raise ConfigError(f"There is no Lever connection {connection_id}. "
                              "`hirebot connections` lists them.")
        sealed = _sealed(box, connection)
        tokens = [t for t in sealed.get(LEVER_TOKENS_KEY) or [] if isinstance(t, str) and t]
        if token not in tokens:
            if len(tokens) >= MAX_LEVER_TOKENS:
                raise ConfigError(f"Connection {connection_id} already has {MAX_LEVER_TOKENS} Lever "
                                  "signature tokens; remove the webhook and reconnect to start again.")
            tokens.append(token)
        connection.webhook_secret = box.seal({**sealed, LEVER_TOKENS_KEY: tokens})
        return len(tokens)


def _sealed(box: SecretBox, connection: AtsConnection) -> dict[str, Any]:
    return {} if connection.webhook_secret is None else box.open(connection.webhook_secret)


def _clean_token(token: str) -> str:
    cleaned = (token or "").strip()
    if not cleaned:
        raise ConfigError("Paste the webhook's signature token from Lever (Settings > Integrations and API > "
                          "Webhooks).")
    if len(cleaned) > MAX_TOKEN_CHARS or not set(cleaned) <= TOKEN_CHARACTERS:
        raise ConfigError("That does not look like a Lever signature token: it should be one word of letters "
                          "and digits, as Lever shows it.")
    return cleaned
