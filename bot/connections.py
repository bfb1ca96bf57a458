"""Connecting ATS accounts: what each provider asks for, validation before saving, listing and removal.

The CLI and the Slack App Home both call this service, so the rules (who may add an org-wide
connection, what is validated, what is stored encrypted) live in one place.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import AtsAdapter, ConnectionConfig
from adapters.errors import ConfigError, HirebotError
from adapters.http import default_http_client
from adapters.registry import ADAPTERS, adapter_for
from bot.messages import Person
from store.crypto import SecretBox
from store.db import transaction
from store.leases import release_lease, renew_lease, take_lease
from store.models import AtsConnection, utcnow
from store.queries import candidate_count, visible_connections
from store.sync import SyncProgress, SyncSummary, refresh_candidates, sync_connection


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""
    placeholder: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProviderSpec:
    """What the integration directory shows for one ATS and what it asks for."""

    name: str
    label: str
    fields: tuple[FormField, ...]
    help_text: str
    org_scope_allowed: bool = False

    @property
    def available(self) -> bool:
        return self.name in ADAPTERS


LEVER_PERMISSIONS_HELP = (
    "Create the key in Lever under Settings > Integrations and API > API Credentials, with these "
    "permissions: read-opportunity, read-opportunity-panel, read-candidate, list-users, "
    "list-opportunities, list-opportunity-panels, list-candidates, create-opportunity-panel, "
    "update-opportunity-panel, delete-opportunity-panel, create-opportunity-note, delete-opportunity-note. "
    "For job titles, stage history, hired/rejected reasons and resumes on cards, also grant list-postings, "
    "list-stages, list-archive-reasons, list-opportunity-resumes and list-opportunity-files; to add "
    "candidates from chat, create-opportunity."
)

PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        name="greenhouse",
        label="Greenhouse",
        org_scope_allowed=True,
        help_text=(
            "In Greenhouse, open Configure > Dev Center > API Credential Management and create a "
            "Harvest V3 (OAuth) credential. Give it the candidate, application, job, user, attachment, "
            "note and interview scopes. The user it acts as must be a Site Admin."
        ),
        fields=(
            FormField("client_id", "Client ID"),
            FormField("client_secret", "Client secret", secret=True),
            FormField("user_id", "Greenhouse user ID to act as", required=False,
                      help="Optional. Leave empty to act as the integration's service user."),
            FormField("base_url", "API base URL", required=False, placeholder="https://harvest.greenhouse.io"),
            FormField("auth_url", "Token URL", required=False, placeholder="https://auth.greenhouse.io/token"),
        ),
    ),
    ProviderSpec(
        name="lever",
        label="Lever",
        help_text=LEVER_PERMISSIONS_HELP,
        fields=(
            FormField("api_key", "API key", secret=True),
            FormField("region", "Region", required=False, choices=("us", "eu", "sandbox")),
            FormField("base_url", "API base URL", required=False, help="Only for a proxy or a test server."),
        ),
    ),
)

DEFAULT_BASE_URLS = {"greenhouse": "https://harvest.greenhouse.io"}
SYNC_LEASE_SECONDS = 900.0


def provider_spec(name: str) -> ProviderSpec:
    for spec in PROVIDERS:
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in PROVIDERS if s.available)
    raise ConfigError(f"Unknown ATS provider {name!r}. hirebot connects to: {known}.")


@dataclass(frozen=True)
class ConnectionInfo:
    id: int
    provider: str
    label: str
    scope: str
    name: str
    last_sync_at: datetime | None
    candidate_count: int
    last_error: str | None
    warnings: tuple[str, ...] = ()


def _split_values(provider: str, values: dict[str, str]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Turn form values into (base_url, secret credentials, plain settings)."""
    clean = {k: v.strip() for k, v in values.items() if v is not None and str(v).strip()}
    spec = provider_spec(provider)
    missing = [f.label for f in spec.fields if f.required and f.name not in clean]
    if missing:
        raise ConfigError(f"{spec.label} needs: {', '.join(missing)}.")
    secret_names = {f.name for f in spec.fields if f.secret} | {"client_id"}
    credentials = {k: v for k, v in clean.items() if k in secret_names}
    settings = {k: v for k, v in clean.items() if k not in secret_names and k != "base_url"}
    base_url = clean.get("base_url") or DEFAULT_BASE_URLS.get(provider, "")
    if provider == "lever" and not clean.get("base_url"):
        from adapters.lever import LEVER_BASE_URLS

        base_url = LEVER_BASE_URLS[clean.get("region", "us")]
    return base_url.rstrip("/"), credentials, settings


class ConnectionService:
    """Adds, lists, removes and syncs ATS connections for people in a workspace."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox,
                 client_factory: Callable[[], httpx.AsyncClient] = default_http_client) -> None:
        self.sessions = sessions
        self.box = box
        self.client_factory = client_factory

    async def connect(self, person: Person, provider: str, values: dict[str, str], *,
                      scope: str = "user", name: str | None = None) -> ConnectionInfo:
        """Validate the credentials against the ATS, then store them encrypted."""
        spec = provider_spec(provider)
        if not spec.available:
            raise ConfigError(f"{spec.label} is not available in this version of hirebot.")
        if scope not in ("org", "user"):
            raise ConfigError("Scope must be 'org' (whole workspace) or 'user' (just you).")
        if scope == "org" and not spec.org_scope_allowed:
            raise ConfigError(f"{spec.label} can only be connected for yourself, not for the whole workspace.")
        if scope == "org" and not person.is_admin:
            raise ConfigError("Only a workspace admin can connect an ATS for the whole workspace.")
        base_url, credentials, settings = _split_values(provider, values)
        config = ConnectionConfig(base_url=base_url, credentials=credentials, settings=settings)
        async with self.client_factory() as client:
            adapter = adapter_for(provider, config, client)
            await adapter.validate()
            # Optional permissions a key lacks do not block the connection; the admin is told what is lost.
            warnings = tuple(getattr(adapter, "permission_warnings", ()) or ())
        with transaction(self.sessions) as session:
            row = AtsConnection(
                workspace_id=person.workspace_id,
                provider=provider,
                scope=scope,
                owner_user_id=person.user_id,
                name=name or spec.label,
                base_url=base_url,
                settings=settings,
                credentials=self.box.seal(credentials),
                webhook_secret=self.box.seal({"secret": secrets.token_urlsafe(32)}),
            )
            session.add(row)
            session.flush()
            return replace(self._info(session, row), warnings=warnings)

    def list_for(self, person: Person) -> list[ConnectionInfo]:
        with self.sessions() as session:
            rows = visible_connections(session, person.workspace_id, person.user_id)
            return [self._info(session, row) for row in rows]

    def remove(self, person: Person, connection_id: int) -> None:
        """Remove a connection and, through cascades, every record synced from it."""
        with transaction(self.sessions) as session:
            row = self._owned(session, person, connection_id)
            session.delete(row)

    def find(self, person: Person, *, provider: str | None = None, connection_id: int | None = None
             ) -> list[AtsConnection]:
        """Visible connections, optionally narrowed to one provider or one id."""
        with self.sessions() as session:
            rows = visible_connections(session, person.workspace_id, person.user_id)
        if connection_id is not None:
            rows = [r for r in rows if r.id == connection_id]
        if provider is not None:
            rows = [r for r in rows if r.provider == provider]
        return rows

    def adapter(self, connection: AtsConnection, client: httpx.AsyncClient) -> AtsAdapter:
        config = ConnectionConfig(
            base_url=connection.base_url,
            credentials=self.box.open(connection.credentials),
            settings=dict(connection.settings),
        )
        return adapter_for(connection.provider, config, client)

    async def sync(self, connection_id: int, *, full: bool = False,
                   progress: Callable[[SyncProgress], None] | None = None) -> SyncSummary:
        """Sync one connection now, under the same lease the background poller takes, so two never overlap."""
        with self.sessions() as session:
            connection = session.get(AtsConnection, connection_id)
            if connection is None:
                raise ConfigError(f"There is no connection {connection_id}.")
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        if not take_lease(self.sessions, connection_id, owner, now=utcnow(), seconds=SYNC_LEASE_SECONDS):
            raise HirebotError(f"{connection.name} is being synced by another hirebot process right now; "
                               "try again in a few minutes.")
        renewed = time.monotonic()

        def on_progress(event: SyncProgress) -> None:
            nonlocal renewed
            if time.monotonic() - renewed > SYNC_LEASE_SECONDS / 3:
                renew_lease(self.sessions, connection_id, owner, now=utcnow(), seconds=SYNC_LEASE_SECONDS)
                renewed = time.monotonic()
            if progress is not None:
                progress(event)

        try:
            async with self.client_factory() as client:
                adapter = self.adapter(connection, client)
                return await sync_connection(self.sessions, connection_id, adapter, full=full, progress=on_progress)
        finally:
            release_lease(self.sessions, connection_id, owner)

    async def refresh(self, connection_id: int, remote_ids: list[str]) -> SyncSummary:
        """Re-read a few candidates from their ATS now; ones it no longer has are removed locally."""
        with self.sessions() as session:
            connection = session.get(AtsConnection, connection_id)
            if connection is None:
                raise ConfigError(f"There is no connection {connection_id}.")
        async with self.client_factory() as client:
            adapter = self.adapter(connection, client)
            return await refresh_candidates(self.sessions, connection_id, adapter, remote_ids)

    def refresh_now(self, connection_id: int, remote_ids: list[str]) -> SyncSummary:
        """`refresh` for synchronous callers (the conversation core runs in a worker thread)."""
        return asyncio.run(self.refresh(connection_id, remote_ids))

    def _owned(self, session: Session, person: Person, connection_id: int) -> AtsConnection:
        row = session.get(AtsConnection, connection_id)
        if row is None or row.workspace_id != person.workspace_id:
            raise HirebotError(f"There is no connection {connection_id} in this workspace.")
        if row.scope == "org" and not person.is_admin:
            raise HirebotError("Only a workspace admin can remove a workspace-wide connection.")
        if row.scope == "user" and row.owner_user_id != person.user_id:
            raise HirebotError(f"There is no connection {connection_id} of yours.")
        return row

    def _info(self, session: Session, row: AtsConnection) -> ConnectionInfo:
        return ConnectionInfo(
            id=row.id,
            provider=row.provider,
            label=provider_spec(row.provider).label,
            scope=row.scope,
            name=row.name,
            last_sync_at=row.last_sync_at,
            candidate_count=candidate_count(session, row.id),
            last_error=row.last_error,
        )

