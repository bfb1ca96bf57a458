"""Connecting ATS accounts: validation before saving, listing and removal.

The CLI and the Slack App Home both call this service, so the rules (who may add an org-wide
connection, what is validated, what is stored encrypted) live in one place. What each provider asks for,
its default API address and whether it may be connected for the whole workspace come from its spec
(adapters/<provider>/spec.py).
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
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError, HirebotError
from adapters.registry import adapter_for, label_for, spec_for
from bot.messages import Person
from store.crypto import SecretBox
from store.db import transaction
from store.leases import release_lease, renew_lease, take_lease
from store.models import AtsConnection, utcnow
from store.queries import candidate_count, visible_connections

if TYPE_CHECKING:  # httpx, the adapter classes and the sync engine load only when a command talks to an ATS
    import httpx

    from adapters.base import AtsAdapter
    from adapters.spec import ProviderSpec
    from store.sync import SyncProgress, SyncSummary

SYNC_LEASE_SECONDS = 900.0


def provider_spec(name: str) -> ProviderSpec:
    """The spec of a provider hirebot connects to; a ConfigError lists the known ones."""
    return spec_for(name)


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
    notes: tuple[str, ...] = ()  # what the check found out, e.g. the region a key works in


def _split_values(spec: ProviderSpec, values: dict[str, str]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Turn form values into (base_url, sealed credentials, plain settings)."""
    from adapters.spec import check_alternatives, check_url

    clean = {k: v.strip() for k, v in values.items() if v is not None and str(v).strip()}
    missing = [f.label for f in spec.fields if f.required and f.name not in clean]
    if missing:
        raise ConfigError(f"{spec.label} needs: {', '.join(missing)}.")
    check_alternatives(spec.label, spec.fields, spec.alternatives, clean)
    sealed = {f.name for f in spec.fields if f.sealed}
    credentials = {k: v for k, v in clean.items() if k in sealed}
    settings = {k: v for k, v in clean.items() if k not in sealed and k != "base_url"}
    for field in spec.fields:
        if field.url and field.name in clean:
            check_url(field, clean[field.name])
    base_url = (clean.get("base_url") or spec.default_base_url(clean)).rstrip("/")
    spec.check_values(base_url, clean)  # what sync will need, before any request is made
    return base_url, credentials, settings


class ConnectionService:
    """Adds, lists, removes and syncs ATS connections for people in a workspace."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox,
                 client_factory: Callable[[], httpx.AsyncClient] | None = None) -> None:
        self.sessions = sessions
        self.box = box
        self._client_factory = client_factory

    def client_factory(self) -> httpx.AsyncClient:
        """A client for one ATS conversation; httpx loads only when a command talks to an ATS."""
        if self._client_factory is None:
            from adapters.http import default_http_client

            self._client_factory = default_http_client
        return self._client_factory()

    async def connect(self, person: Person, provider: str, values: dict[str, str], *,
                      scope: str = "user", name: str | None = None) -> ConnectionInfo:
        """Validate the credentials against the ATS, then store them encrypted."""
        spec = provider_spec(provider)
        if scope not in ("org", "user"):
            raise ConfigError("Scope must be 'org' (whole workspace) or 'user' (just you).")
        if scope == "org" and not spec.org_scope_allowed:
            raise ConfigError(f"{spec.label} can only be connected for yourself, not for the whole workspace.")
        if scope == "org" and not person.is_admin:
            raise ConfigError("Only a workspace admin can connect an ATS for the whole workspace.")
        base_url, credentials, settings = _split_values(spec, values)
        self._refuse_twice(person, spec, base_url, {**credentials, **settings})
        from adapters.base import ConnectionConfig

        config = ConnectionConfig(base_url=base_url, credentials=credentials, settings=settings)
        async with self.client_factory() as client:
            adapter = spec.adapter_class(config, client)
            await adapter.validate()
            # What the adapter keeps after validating: a sign-in's token in place of the password, or where the
            # account turned out to live (a key that works in another region, an account id).
            kept = adapter.stored_config()
            base_url, credentials, settings = kept.base_url.rstrip("/"), kept.credentials, dict(kept.settings)
            # Optional permissions a key lacks do not block the connection; the admin is told what is lost.
            warnings = tuple(getattr(adapter, "permission_warnings", ()) or ())
            notes = tuple(getattr(adapter, "connect_notes", ()) or ())
        with transaction(self.sessions) as session:
            row = AtsConnection(
                workspace_id=person.workspace_id,
                provider=spec.name,
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
            return replace(self._info(session, row), warnings=warnings, notes=notes)

    def repoint(self, connection_id: int, values: dict[str, str]) -> None:
        """Give a stored connection new connect values without asking the ATS: the demo's sandboxes come
        back on another port after a restart, serving the same data."""
        with transaction(self.sessions) as session:
            row = session.get(AtsConnection, connection_id)
            if row is None:
                raise ConfigError(f"There is no connection {connection_id}.")
            base_url, credentials, settings = _split_values(provider_spec(row.provider), values)
            row.base_url = base_url
            row.settings = {**row.settings, **settings}
            row.credentials = self.box.seal(credentials)

    def _refuse_twice(self, person: Person, spec: ProviderSpec, base_url: str, values: dict[str, Any]) -> None:
        """The same ATS account connected twice in a workspace would list every candidate twice."""
        if not spec.identity:
            return
        wanted = tuple(str(values.get(name) or "") for name in spec.identity)
        with self.sessions() as session:
            rows = session.scalars(select(AtsConnection).where(
                AtsConnection.workspace_id == person.workspace_id, AtsConnection.provider == spec.name,
                AtsConnection.base_url == base_url)).all()
        for row in rows:
            known = {**self.box.open(row.credentials), **dict(row.settings)}
            if tuple(str(known.get(name) or "") for name in spec.identity) == wanted:
                raise ConfigError(f"This {spec.label} account is already connected as connection {row.id} "
                                  f"({row.name}). To connect it again, with new credentials or another scope, "
                                  f"disconnect connection {row.id} first.")

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
        from adapters.base import ConnectionConfig

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

        from store.sync import sync_connection

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
        from store.sync import refresh_candidates

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
            label=label_for(row.provider),
            scope=row.scope,
            name=row.name,
            last_sync_at=row.last_sync_at,
            candidate_count=candidate_count(session, row.id),
            last_error=row.last_error,
        )

