"""Webhook receivers: a signed ATS delivery becomes a re-read of the records it names, within seconds.

Framework-free: bot/web.py hands in the raw body and the headers that matter, and sends back the
(status, body) these functions return.

Work happens inside the request, bounded by WORK_TIMEOUT_SECONDS, rather than in a background queue:
- the sender learns the truth: 200 only once the store holds the fresh data, a 5xx when the ATS could not
  be read, so Greenhouse (7 attempts over ~15 h) retries later, and polling covers what retries miss;
- a crash mid-way loses nothing, because the sender never got its 200;
- the work is small: a few candidates re-read by id (only a job event runs an incremental sync).
Each delivery is claimed in `webhook_deliveries` before the work ("processing") and marked with its result
after: a later copy of a done delivery answers "duplicate" and does nothing, a failed one may run again.
A signature may not cover the delivery id (Greenhouse signs only the body), so the same signed body re-sent
under a new id would cost a re-read each time: a body this connection processed within REPLAY_WINDOW also
answers "duplicate" without any work (`RecentBodies`, per process; polling covers anything it holds back).

One receiver serves every ATS: the path names the provider, its spec (adapters/<provider>/spec.py)
checks the delivery with the connection's secrets (store/webhook_secrets.py) and turns it into a
`WebhookTrigger`. Payloads are only triggers: the named candidates are re-read, and deletions are applied
as the trigger gives them (a provider whose signature does not cover the data gives none; its verifier
also refuses stale deliveries, and its delivery id makes a replay a duplicate).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import AtsAdapter
from adapters.errors import AtsError, HirebotError
from adapters.registry import find_spec
from adapters.spec import ProviderSpec, WebhookScheme
from adapters.webhooks import URL_QUERY_HEADER, BadSignature, MalformedDelivery, StaleDelivery, WebhookRefused
from scheduler.sync_jobs import AdapterFactory, ConnectionSyncer, SyncOutcome, SyncTrigger
from store.crypto import SecretBox
from store.db import transaction
from store.models import AtsConnection, Candidate, WebhookDelivery, utcnow
from store.sync import refresh_candidates
from store.webhook_secrets import webhook_secrets

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

WORK_TIMEOUT_SECONDS = 20.0
ABANDONED_AFTER = timedelta(minutes=5)  # a "processing" claim this old belongs to a process that died
MAX_DELIVERY_ID_CHARS = 200
CONNECTION_ID = re.compile(r"[1-9][0-9]{0,9}")  # ASCII digits only: int() also takes " 1", "1_0" and "１"
MAX_CONNECTION_ID = 2**31 - 1  # connection ids are INTEGER columns
MAX_EVENT_CHARS = 100
REPLAY_WINDOW = timedelta(minutes=10)
MAX_REMEMBERED_BODIES = 10_000
PROCESSING = "processing"
FAILED = "failed"


class WebhookAnswer(NamedTuple):
    """What to send back: an HTTP status and a small JSON body (never any detail of the failure)."""

    status: int
    body: dict[str, Any]


Work = Callable[[], Awaitable[tuple[str, dict[str, int]]]]  # → (outcome, counts for the answer)


class Claim(StrEnum):
    CLAIMED = "claimed"
    DUPLICATE = "duplicate"
    IN_PROGRESS = "in_progress"


class RecentBodies:
    """The bodies each connection processed lately (by digest), so a replay under a new delivery id does
    no work. Only successful work is remembered: a body whose work failed may come again and run."""

    def __init__(self, window: timedelta = REPLAY_WINDOW, limit: int = MAX_REMEMBERED_BODIES) -> None:
        self.window = window
        self.limit = limit
        self._seen: dict[tuple[int, str], datetime] = {}

    def seen(self, connection_id: int, digest: str, now: datetime) -> bool:
        at = self._seen.get((connection_id, digest))
        return at is not None and now - at < self.window

    def remember(self, connection_id: int, digest: str, now: datetime) -> None:
        self._seen[(connection_id, digest)] = now
        if len(self._seen) > self.limit:
            self._seen = {key: at for key, at in self._seen.items() if now - at < self.window}
            while len(self._seen) > self.limit:  # all recent: drop the oldest
                self._seen.pop(next(iter(self._seen)))


def body_digest(raw_body: bytes) -> str:
    return hashlib.sha256(raw_body).hexdigest()


class _RetryLater(Exception):
    """The work cannot be done now; the sender should try again (answer 503)."""


class WebhookReceiver:
    """What the receivers need: the store, the secrets, a way to reach each ATS, and delivery counts."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox, syncer: ConnectionSyncer, *,
                 adapter_factory: AdapterFactory, client: httpx.AsyncClient | None = None,
                 now: Callable[[], datetime] = utcnow, timeout: float = WORK_TIMEOUT_SECONDS) -> None:
        self.sessions = sessions
        self.box = box
        self.syncer = syncer
        self.adapter_factory = adapter_factory
        self.now = now
        self.timeout = timeout
        self.deliveries: Counter[tuple[str, str]] = Counter()  # (provider, outcome) → deliveries
        self.bodies = RecentBodies()
        self._client = client
        self._owns_client = client is None
        self._adapters: dict[int, tuple[tuple[Any, ...], AtsAdapter]] = {}

    @classmethod
    def for_runtime(cls, runtime: Runtime, *, syncer: ConnectionSyncer | None = None) -> WebhookReceiver:
        syncer = syncer or runtime.connection_syncer()
        return cls(runtime.sessions, runtime.box, syncer, adapter_factory=runtime.connections.adapter)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0), follow_redirects=False)
        return self._client

    async def close(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None
        self._adapters.clear()

    def adapter(self, connection: AtsConnection) -> AtsAdapter:
        """One adapter per connection, kept between deliveries (OAuth tokens, pacing), rebuilt on change."""
        fingerprint = (connection.base_url, connection.credentials,
                       json.dumps(connection.settings, sort_keys=True, default=str))
        cached = self._adapters.get(connection.id)
        if cached is None or cached[0] != fingerprint:
            cached = (fingerprint, self.adapter_factory(connection, self.client))
            self._adapters[connection.id] = cached
        return cached[1]

    def answer(self, provider: str, outcome: str, status: int, **body: Any) -> WebhookAnswer:
        self.deliveries[(provider, outcome)] += 1
        key = "status" if status < 300 else "error"
        return WebhookAnswer(status, {key: outcome.replace("_", " "), **body})

    async def connection(self, raw_id: str, provider: str) -> AtsConnection | None:
        """The active connection the path names; None (a 404) for anything that can't be a connection id,
        checked here because a number past the column's range makes the database itself fail."""
        if not CONNECTION_ID.fullmatch(raw_id) or int(raw_id) > MAX_CONNECTION_ID:
            return None
        connection_id = int(raw_id)
        return await asyncio.to_thread(_active_connection, self.sessions, connection_id, provider)

    async def process(self, connection: AtsConnection, delivery_id: str, event: str,
                      work: Work, *, body: str | None = None) -> WebhookAnswer:
        """Claim the delivery, run `work()` (→ outcome and counts) within the timeout, record the result.
        With `body` (its digest), a body this connection processed lately is a duplicate whatever its id."""
        provider = connection.provider
        if body is not None and self.bodies.seen(connection.id, body, self.now()):
            log.info("%s webhook %s for connection %s: the same body was processed within %s; not read again",
                     provider.capitalize(), _shown(event), connection.id, self.bodies.window)
            return self.answer(provider, "duplicate", 200)
        claim = await asyncio.to_thread(claim_delivery, self.sessions, connection, delivery_id, event,
                                        now=self.now())
        if claim is Claim.DUPLICATE:
            return self.answer(provider, "duplicate", 200)
        if claim is Claim.IN_PROGRESS:
            return self.answer(provider, "in_progress", 409)
        try:
            async with asyncio.timeout(self.timeout):
                outcome, counts = await work()
        except Exception as exc:
            self._adapters.pop(connection.id, None)  # the retry starts from a fresh adapter (and token)
            await asyncio.to_thread(finish_delivery, self.sessions, connection.id, delivery_id, FAILED)
            return self._failure(connection, event, exc)
        await asyncio.to_thread(finish_delivery, self.sessions, connection.id, delivery_id, outcome)
        if body is not None:
            self.bodies.remember(connection.id, body, self.now())
        log.info("%s webhook %s for connection %s: %s %s", connection.provider.capitalize(), _shown(event),
                 connection.id, outcome, counts)
        return self.answer(provider, outcome, 200, **counts)

    def _failure(self, connection: AtsConnection, event: str, exc: Exception) -> WebhookAnswer:
        provider = connection.provider
        if isinstance(exc, TimeoutError):
            log.warning("%s webhook %s for connection %s took longer than %.0f s; the sender will retry",
                        provider.capitalize(), _shown(event), connection.id, self.timeout)
            return self.answer(provider, "timeout", 503)
        if isinstance(exc, _RetryLater):
            return self.answer(provider, "busy", 503)
        if isinstance(exc, HirebotError):
            # Our own errors carry safe messages (no credentials), fit for the log.
            log.warning("%s webhook %s for connection %s failed: %s", provider.capitalize(), _shown(event),
                        connection.id, _shown(str(exc), 300))
        else:
            log.exception("%s webhook %s for connection %s failed", provider.capitalize(), _shown(event),
                          connection.id)
        return self.answer(provider, "failed", 500)

    async def refresh(self, connection: AtsConnection, remote_ids: Sequence[str]) -> dict[str, int]:
        if not remote_ids:
            return {}
        summary = await refresh_candidates(self.sessions, connection.id, self.adapter(connection), remote_ids,
                                           now=self.now)
        refreshed = summary.created + summary.updated + summary.unchanged
        return {"refreshed": refreshed, "deleted": summary.deleted}

    async def sync_jobs(self, connection: AtsConnection) -> None:
        outcome = await self.syncer.sync(connection.id, trigger=SyncTrigger.WEBHOOK)
        if outcome is SyncOutcome.BUSY:
            raise _RetryLater()
        if outcome is SyncOutcome.FAILED:
            raise AtsError("The job sync failed; the connection's last error says why.")


# -- the one receiver -----------------------------------------------------------------------------------------

# How each refusal is answered: the sender learns the kind, never the detail. Any other refusal is a 401.
REFUSALS: tuple[tuple[type[WebhookRefused], str, int], ...] = (
    (MalformedDelivery, "malformed", 400),
    (StaleDelivery, "stale", 401),
    (BadSignature, "unauthorized", 401),
    (WebhookRefused, "unauthorized", 401),
)


async def handle_webhook(receiver: WebhookReceiver, provider: str, connection_id: str, raw_body: bytes,
                         headers: Mapping[str, str], query_string: str = "") -> WebhookAnswer:
    """`POST /webhooks/{provider}/{connection_id}`: check the delivery with the provider's verifier and the
    connection's secrets, dedupe it, re-read the candidates it names, remove the ones it deleted, and
    refresh jobs when it asks. `headers` are the request's (any case); the URL's `query_string` reaches the
    verifier as the URL_QUERY_HEADER pseudo-header (for ATSs whose proof is a secret in the URL)."""
    spec = find_spec(provider)
    if spec is None:
        return receiver.answer(provider, "not_found", 404)
    lowered = {name.lower(): value for name, value in headers.items()}
    lowered[URL_QUERY_HEADER] = query_string
    return await _answered(receiver, spec, _handle(receiver, spec, connection_id, raw_body, lowered))


async def _handle(receiver: WebhookReceiver, spec: ProviderSpec, connection_id: str, raw_body: bytes,
                  headers: Mapping[str, str]) -> WebhookAnswer:
    connection = await receiver.connection(connection_id, spec.name)
    if connection is None:
        return receiver.answer(spec.name, "not_found", 404)
    scheme = spec.webhooks.scheme
    try:
        secrets = webhook_secrets(receiver.box, connection, scheme)
    except HirebotError as exc:
        log.error("%s webhook for connection %s cannot be checked: %s", spec.label, connection.id, exc)
        return receiver.answer(spec.name, "failed", 500)
    if scheme is WebhookScheme.ISSUED_TOKENS and not secrets.tokens:
        log.warning("%s webhook for connection %s refused: no signature token stored yet "
                    "(hirebot webhooks add-token %s TOKEN)", spec.label, connection.id, connection.id)
    try:
        trigger = spec.webhooks.verify(raw_body, headers, secrets, receiver.now())
    except WebhookRefused as exc:
        outcome, status = next((o, s) for kind, o, s in REFUSALS if isinstance(exc, kind))
        return receiver.answer(spec.name, outcome, status)

    async def work() -> tuple[str, dict[str, int]]:
        deleted = {str(rid) for rid in trigger.deleted_candidate_ids}
        counts = await receiver.refresh(connection, [str(rid) for rid in trigger.candidate_ids
                                                     if str(rid) not in deleted])
        if deleted:
            removed = await asyncio.to_thread(remove_candidates, receiver.sessions, connection.id,
                                              sorted(deleted))
            counts["deleted"] = counts.get("deleted", 0) + removed
        if trigger.refresh_jobs:
            await receiver.sync_jobs(connection)
        return ("processed" if trigger.has_work else "ignored"), counts

    delivery_id = _delivery_id(trigger.delivery_id, raw_body)
    return await receiver.process(connection, delivery_id, trigger.event, work, body=body_digest(raw_body))


async def _answered(receiver: WebhookReceiver, spec: ProviderSpec,
                    handling: Awaitable[WebhookAnswer]) -> WebhookAnswer:
    """The answer, or a plain 500 when the store itself failed (the sender retries; nothing leaks)."""
    try:
        return await handling
    except Exception:
        log.exception("%s webhook could not be handled", spec.label)
        return receiver.answer(spec.name, "failed", 500)


# -- the store side ------------------------------------------------------------------------------------------


def _active_connection(sessions: sessionmaker[Session], connection_id: int,
                       provider: str) -> AtsConnection | None:
    with sessions() as session:
        connection = session.get(AtsConnection, connection_id)
    if connection is None or connection.provider != provider or not connection.is_active:
        return None
    return connection


def claim_delivery(sessions: sessionmaker[Session], connection: AtsConnection, delivery_id: str,
                   event: str, *, now: datetime, abandoned_after: timedelta = ABANDONED_AFTER) -> Claim:
    """Take a delivery for processing, exactly once across processes (the unique key decides)."""
    event = _printable(event)[:MAX_EVENT_CHARS]
    try:
        with transaction(sessions) as session:
            session.add(WebhookDelivery(connection_id=connection.id, provider=connection.provider,
                                        delivery_id=delivery_id, event=event or None, received_at=now,
                                        outcome=PROCESSING))
        return Claim.CLAIMED
    except IntegrityError:
        pass  # seen before: done, failed, or being processed right now
    table = WebhookDelivery
    with transaction(sessions) as session:
        row = session.scalar(select(table).where(table.connection_id == connection.id,
                                                 table.delivery_id == delivery_id))
        if row is None:
            return Claim.IN_PROGRESS  # pruned or its connection removed in between: let the sender retry
        if row.outcome not in (PROCESSING, FAILED):
            return Claim.DUPLICATE
        if row.outcome == PROCESSING and row.received_at > now - abandoned_after:
            return Claim.IN_PROGRESS
        # Compare-and-set on the state we saw, so two retries racing here cannot both win.
        result = session.execute(update(table)
                                 .where(table.id == row.id, table.outcome == row.outcome,
                                        table.received_at == row.received_at)
                                 .values(outcome=PROCESSING, received_at=now)
                                 .execution_options(synchronize_session=False))
        return Claim.CLAIMED if (result.rowcount or 0) == 1 else Claim.IN_PROGRESS  # type: ignore[attr-defined]


def finish_delivery(sessions: sessionmaker[Session], connection_id: int, delivery_id: str,
                    outcome: str) -> None:
    with transaction(sessions) as session:
        session.execute(update(WebhookDelivery)
                        .where(WebhookDelivery.connection_id == connection_id,
                               WebhookDelivery.delivery_id == delivery_id)
                        .values(outcome=outcome[:20]))


def remove_candidates(sessions: sessionmaker[Session], connection_id: int, remote_ids: Sequence[str]) -> int:
    """Delete candidates the ATS deleted or merged away (children go by cascade); bump the roster version
    so the name index forgets them."""
    if not remote_ids:
        return 0
    with transaction(sessions) as session:
        result = session.execute(delete(Candidate).where(Candidate.connection_id == connection_id,
                                                         Candidate.remote_id.in_(list(remote_ids))))
        removed = result.rowcount or 0  # type: ignore[attr-defined]
        if removed:
            session.execute(update(AtsConnection).where(AtsConnection.id == connection_id)
                            .values(roster_version=AtsConnection.roster_version + 1))
        return removed


def _delivery_id(given: str | None, raw_body: bytes) -> str:
    """The sender's delivery id; a digest when it is missing or too long (retries send the same bytes)."""
    given = (given or "").strip()
    if given and len(given) <= MAX_DELIVERY_ID_CHARS and given == _printable(given):
        return given
    return "sha256:" + hashlib.sha256(given.encode() if given else raw_body).hexdigest()


def _printable(text: str) -> str:
    """Without control characters (PostgreSQL refuses NUL in text; logs and metrics want none)."""
    return "".join(char for char in text if char.isprintable())


def _shown(text: str, limit: int = 80) -> str:
    """ATS-supplied text for a log line: quoted and escaped (no forged lines), and short."""
    return repr(text[:limit])
