"""Benchmark: the ATS outbox delivering 10,000 meeting notes to the Greenhouse fake under its rate limit.

Greenhouse allows a fixed number of API requests per 30-second window, so no outbox can deliver faster than
that ceiling; this measures how much of it hirebot's `OutboxWorker` uses with 1, 2 and 4 worker processes on
PostgreSQL (target: 90 %), and checks that every note arrived exactly once. The store is filled the way
production fills it: the roster is synced from the fake by the real adapter, and each meeting event is
recorded by `scheduler.meetings.record_event`, which plans its note through `scheduler.ats_log`. Events are
spread over many candidates, several per candidate and interleaved in time, so the one-row-at-a-time rule per
candidate is in play. That store is made once and copied for each run (`CREATE DATABASE ... TEMPLATE`).

The fake runs in its own process (it must not share a GIL with the workers) on loopback, with a fresh state
per run; each answer is delayed by `--latency` seconds, a real round trip to Greenhouse, and every request is
counted on the fake's side. Runs start on a window boundary. A fixed window lets a run finish inside its
last window, so a plain requests-per-second ratio can exceed 1; as in benchmarks/sync_throughput.py the
fraction of the ceiling is the whole-window floor over the wall time: N requests need ceil(N / limit)
windows and the last of them opens (windows - 1) × 30 s after the start. The fill of every window the run
spanned, the last aside, is shown too.

The baseline is the loop most code starts with: one row per transaction, one request at a time, sleeping
the Retry-After on a 429. It runs on the same fake and limit for `--baseline-cap` seconds (whole windows).

    .venv/bin/python -m benchmarks.outbox                          # 10k notes; 1, 2, 4 workers; ~11 min on 2 cores
    .venv/bin/python -m benchmarks.outbox --workers 1 --events 2000 --rate-limit 600 --baseline-cap 30
    .venv/bin/python -m benchmarks.outbox --sqlite --latency 0     # also one worker on SQLite; no delay
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import random
import re
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = os.environ.get("HIREBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WINDOW_SECONDS = 30.0  # the fake's fixed rate-limit window, like Greenhouse's
TARGET = 0.90
SEED = 7
# The fake's roster is generated as of this day, so every candidate is older than the meetings seeded now
# (Greenhouse logging requires that).
ROSTER_DAY = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
MARKER = re.compile(r"\[hirebot:evt-\d+\]")
START_TIMEOUT = 120.0
RUN_TIMEOUT = 1800.0


# =====================================================================================================
# The Greenhouse fake, in its own process
# =====================================================================================================

@dataclass(frozen=True)
class FakeSettings:
    candidates: int
    rate_limit: int
    latency: float


def fake_main(settings: FakeSettings, urls: Any) -> None:
    """Serve a fresh Greenhouse sandbox and a small stats app next to it; sends (api_url, stats_url) back."""
    asyncio.run(_serve_fake(settings, urls))


async def _serve_fake(settings: FakeSettings, urls: Any) -> None:
    from aiohttp import web

    from adapters.sandbox.greenhouse import GreenhouseSandbox
    from adapters.sandbox.greenhouse_dataset import generate
    from adapters.sandbox.server import start_site

    sandbox = GreenhouseSandbox(generate(seed=SEED, candidates=settings.candidates, now=ROSTER_DAY),
                                rate_limit=settings.rate_limit, window_seconds=WINDOW_SECONDS)
    # (arrival time, "write" | "read" | "token", status) of every request, as the rate limiter saw it.
    seen: list[tuple[float, str, int]] = []
    half_trip = settings.latency / 2

    @web.middleware
    async def over_the_wire(request: web.Request, handler: Any) -> web.StreamResponse:
        await asyncio.sleep(half_trip)
        arrived = time.time()
        response = await handler(request)
        kind = "token" if request.path == "/token" else "read" if request.method == "GET" else "write"
        seen.append((arrived, kind, response.status))
        await asyncio.sleep(half_trip)
        return response

    sandbox.app.middlewares.insert(0, over_the_wire)  # outside the sandbox's own pipeline (and its limiter)

    async def requests_since(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        return web.json_response({"next": len(seen), "requests": seen[since:]})

    async def markers(request: web.Request) -> web.Response:
        found = Counter(m for note in sandbox.state.notes.values() for m in MARKER.findall(note["body"] or ""))
        return web.json_response(found)

    stats = web.Application()
    stats.router.add_get("/requests", requests_since)
    stats.router.add_get("/markers", markers)
    api_runner, api_url = await start_site(sandbox.app)
    stats_runner, stats_url = await start_site(stats)
    urls.send((api_url, stats_url))
    try:
        await asyncio.Event().wait()
    finally:
        await api_runner.cleanup()
        await stats_runner.cleanup()


@contextmanager
def running_fake(settings: FakeSettings) -> Iterator[tuple[str, str]]:
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=fake_main, args=(settings, sending), daemon=True)
    process.start()
    try:
        if not receiving.poll(START_TIMEOUT):
            raise RuntimeError("the Greenhouse fake did not start")
        yield receiving.recv()
    finally:
        process.terminate()
        process.join(10)


def fake_requests(stats_url: str, since: int = 0) -> tuple[int, list[tuple[float, str, int]]]:
    answer = httpx.get(f"{stats_url}/requests", params={"since": since}, timeout=30).json()
    return int(answer["next"]), [(float(t), str(k), int(s)) for t, k, s in answer["requests"]]


def fake_markers(stats_url: str) -> Counter[str]:
    return Counter({str(k): int(v) for k, v in httpx.get(f"{stats_url}/markers", timeout=30).json().items()})


# =====================================================================================================
# The store: synced roster, meetings and their events (made once, copied per run)
# =====================================================================================================

# Events that only log a note, in an order a meeting may go through them; the last one is a decline.
LIFECYCLE = ("request_sent", "followup_sent", "rescheduled", "request_sent", "followup_sent")


def lifecycle(length: int) -> list[str]:
    if length <= 1:
        return ["request_sent"][:length]
    steps = [LIFECYCLE[i] if i < len(LIFECYCLE) else "followup_sent" for i in range(length - 1)]
    return [*steps, "declined"]


@dataclass(frozen=True)
class Seeded:
    connection_id: int
    candidates: int
    events: int


def add_connection(sessions: sessionmaker[Session], box: Any, api_url: str) -> int:
    from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
    from store.db import transaction
    from store.models import AtsConnection, Workspace

    with transaction(sessions) as session:
        workspace = Workspace(name="Benchmark", platform="local", external_id=uuid.uuid4().hex)
        session.add(workspace)
        session.flush()
        connection = AtsConnection(
            workspace_id=workspace.id, provider="greenhouse", name="Greenhouse", base_url=api_url,
            settings=connection_settings(api_url),
            credentials=box.seal({"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}))
        session.add(connection)
        session.flush()
        return connection.id


def connection_settings(api_url: str) -> dict[str, str]:
    from adapters.sandbox.greenhouse_dataset import generate

    users = generate(seed=SEED, candidates=0, now=ROSTER_DAY).users
    admin = next(uid for uid, u in users.items() if u["site_admin"] and u["primary_email"] and not u["deactivated"])
    return {"user_id": str(admin), "auth_url": f"{api_url}/token"}


def ready_candidates(session: Session, connection_id: int, wanted: int) -> list[tuple[Any, Any, Any]]:
    """(candidate, application, hiring manager) for `wanted` candidates spread over the roster, each with a job
    whose hiring manager is an active Greenhouse user with an email (Greenhouse's logging requirements)."""
    from store.models import Application, AtsUser, Candidate, Job

    managers = {u.remote_id: u for u in session.scalars(select(AtsUser).where(
        AtsUser.connection_id == connection_id, AtsUser.deactivated.is_(False), AtsUser.email.is_not(None)))}
    rows = session.execute(select(Candidate, Application, Job)
                           .join(Application, Application.candidate_id == Candidate.id)
                           .join(Job, Job.id == Application.job_id)
                           .where(Candidate.connection_id == connection_id, Candidate.primary_email.is_not(None))
                           .order_by(Candidate.id, Application.id)).all()
    found: dict[int, tuple[Any, Any, Any]] = {}
    for candidate, application, job in rows:
        manager = next((managers[str(r)] for r in job.hiring_manager_remote_ids or [] if str(r) in managers), None)
        if manager is not None and candidate.id not in found:
            found[candidate.id] = (candidate, application, manager)
    ready = list(found.values())
    if len(ready) < wanted:
        raise SystemExit(f"The roster has only {len(ready)} candidates notes can be logged for; {wanted} are "
                         "needed. Raise --roster or --per-candidate.")
    step = len(ready) / wanted
    return [ready[int(i * step)] for i in range(wanted)]


def new_meeting(session: Session, workspace_id: int, connection_id: int, candidate: Any, application: Any,
                manager: Any, organizers: dict[str, Any], now: datetime) -> Any:
    """A requested meeting organized by the job's hiring manager (a hirebot user), as the chat would make it."""
    from store.meeting_models import Meeting, MeetingAttendee
    from store.models import User

    email = manager.email.lower()
    user = organizers.get(email)
    if user is None:
        user = User(workspace_id=workspace_id, email=email, display_name=manager.name, settings={})
        session.add(user)
        session.flush()
        organizers[email] = user
    return Meeting(
        workspace_id=workspace_id, organizer_user_id=user.id, organizer_email=email, organizer_name=manager.name,
        state="requested", title="Phone screen", duration_minutes=45, location="Zoom https://zoom.example/j/1",
        timezone="Europe/Berlin", candidate_id=candidate.id, candidate_name=candidate.full_name,
        candidate_email=candidate.primary_email, connection_id=connection_id,
        candidate_remote_id=candidate.remote_id, application_remote_id=application.remote_id,
        job_name="Engineer", window_start=now, window_end=now + timedelta(days=7), slots=[], round=0,
        round_started_at=now, calendar_uid=f"{uuid.uuid4().hex}@hirebot", event_seq=0, created_at=now,
        updated_at=now,
        attendees=[MeetingAttendee(email=email, name=manager.name, role="organizer", user_id=user.id)])


async def seed_store(database_url: str, api_url: str, box: Any, *, events: int, per_candidate: int) -> Seeded:
    """Sync the roster from the fake, then record `events` note-only meeting events over many candidates."""
    from adapters.http import default_http_client
    from bot.connections import ConnectionService
    from scheduler.meetings import MeetingEventKind, record_event
    from store.db import make_engine, session_factory, transaction, upgrade
    from store.models import AtsConnection
    from store.outbox_models import OutboxItem
    from store.sync import sync_connection

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        sessions = session_factory(engine)
        connection_id = add_connection(sessions, box, api_url)
        async with default_http_client() as client:
            with sessions() as session:
                connection = session.get(AtsConnection, connection_id)
                assert connection is not None
                adapter = ConnectionService(sessions, box).adapter(connection, client)
            await sync_connection(sessions, connection_id, adapter, full=True)
        wanted = math.ceil(events / per_candidate)
        rng = random.Random(SEED)
        with transaction(sessions) as session:
            connection = session.get(AtsConnection, connection_id)
            assert connection is not None
            now = datetime.now(UTC)
            organizers: dict[str, Any] = {}
            meetings = [new_meeting(session, connection.workspace_id, connection_id, *ready, organizers, now)
                        for ready in ready_candidates(session, connection_id, wanted)]
            session.add_all(meetings)
            session.flush()
            # Each meeting's events in lifecycle order, the meetings interleaved as they would be in time.
            counts = [per_candidate] * wanted
            counts[-1] -= wanted * per_candidate - events
            plans = [lifecycle(count) for count in counts]
            turns = [index for index, count in enumerate(counts) for _ in range(count)]
            rng.shuffle(turns)
            done = [0] * wanted
            for index in turns:
                meeting, kind = meetings[index], plans[index][done[index]]
                done[index] += 1
                extra = {"to": meeting.candidate_email} if kind == "request_sent" else \
                    {"followup": done[index]} if kind == "followup_sent" else None
                record_event(session, meeting, MeetingEventKind(kind), actor="system", now=now,
                             reason="Accepted another offer" if kind == "declined" else None, extra=extra)
        with sessions() as session:
            owed = session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.state == "pending"))
        if owed != events:
            raise RuntimeError(f"seeding planned {owed} notes instead of {events}")
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        return Seeded(connection_id, wanted, events)
    finally:
        engine.dispose()


def point_at(database_url: str, connection_id: int, api_url: str) -> None:
    """Aim the copied store's connection at this run's fake."""
    from store.db import make_engine, session_factory, transaction
    from store.models import AtsConnection

    engine = make_engine(database_url)
    try:
        with transaction(session_factory(engine)) as session:
            connection = session.get(AtsConnection, connection_id)
            assert connection is not None
            connection.base_url = api_url
            connection.settings = connection_settings(api_url)
    finally:
        engine.dispose()


class Databases:
    """Scratch PostgreSQL databases (dropped at the end) and SQLite files, for the template and each run."""

    def __init__(self, postgres_url: str, folder: Path) -> None:
        from store.db import normalize_url

        self.base = normalize_url(postgres_url)
        self.folder = folder
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def postgres(self, template: str | None = None) -> tuple[str, str]:
        name = f"hirebot_bench_{uuid.uuid4().hex[:10]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        self.names.append(name)
        return name, f"{self.base.rsplit('/', 1)[0]}/{name}"

    def sqlite(self, template: Path | None = None) -> tuple[Path, str]:
        path = self.folder / f"{uuid.uuid4().hex[:10]}.sqlite3"
        if template is not None:
            shutil.copyfile(template, path)
        return path, f"sqlite:///{path}"

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        for name in self.names:
            self.drop(name)
        self.admin.dispose()


# =====================================================================================================
# The workers, one process each
# =====================================================================================================

def hirebot_worker(database_url: str, fernet_key: bytes, owner: str, batch: int, idle: float, go: Any,
                   ready: Any, results: Any) -> None:
    """hirebot's outbox worker as `hirebot run` starts it, until the table has nothing left to deliver."""
    import logging

    from adapters.http import default_http_client
    from bot.connections import ConnectionService
    from scheduler.outbox import OutboxSettings, OutboxWorker
    from store.crypto import SecretBox
    from store.db import make_engine, session_factory

    logging.basicConfig(level=logging.ERROR)  # 429 retries are counted on the fake's side
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    connections = ConnectionService(sessions, SecretBox(fernet_key))

    async def work() -> None:
        async with default_http_client() as client:
            worker = OutboxWorker(sessions, lambda connection: connections.adapter(connection, client),
                                  settings=OutboxSettings(batch=batch), owner=owner)
            stop = asyncio.Event()
            watch = asyncio.create_task(stop_when_drained(engine, stop))
            try:
                await worker.run_forever(stop, idle=idle)
            finally:
                watch.cancel()

    ready.put(owner)
    go.wait()
    try:
        asyncio.run(work())
        results.put((owner, None))
    except Exception as exc:  # reported by the orchestrator
        results.put((owner, f"{type(exc).__name__}: {exc}"))
    finally:
        engine.dispose()


async def stop_when_drained(engine: Engine, stop: asyncio.Event) -> None:
    while await asyncio.to_thread(unfinished, engine):
        await asyncio.sleep(0.25)
    stop.set()


def unfinished(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM outbox_items WHERE state IN ('pending', 'running') LIMIT 1")
                            ).first() is not None


def baseline_worker(database_url: str, api_url: str, cap: float, go: Any, ready: Any, results: Any) -> None:
    """One row per transaction, one request at a time, sleeping the Retry-After on a 429; stops after `cap` s."""
    from store.db import make_engine

    engine = make_engine(database_url)
    postgres = engine.dialect.name == "postgresql"
    client = httpx.Client(timeout=30)
    tokens: dict[str, str] = {}
    ready.put("baseline")
    go.wait()
    deadline = time.time() + cap
    try:
        while time.time() < deadline:
            claimed = claim_one(engine, postgres)
            if claimed is None:
                break
            row_id, payload = claimed
            note_id = post_note(client, api_url, tokens, payload, deadline)
            if note_id is None:
                break
            with engine.begin() as conn:
                now = datetime.now(UTC).replace(tzinfo=None)
                conn.execute(text("UPDATE outbox_items SET state = 'sent', remote_id = :note, sent_at = :now, "
                                  "finished_at = :now, lease_owner = NULL, lease_until = NULL WHERE id = :id"),
                             {"note": note_id, "now": now, "id": row_id})
        results.put(("baseline", None))
    except Exception as exc:  # reported by the orchestrator
        results.put(("baseline", f"{type(exc).__name__}: {exc}"))
    finally:
        client.close()
        engine.dispose()


def claim_one(engine: Engine, postgres: bool) -> tuple[int, dict[str, Any]] | None:
    from store.outbox_models import OutboxItem

    pick = select(OutboxItem.id, OutboxItem.payload).where(OutboxItem.state == "pending") \
        .order_by(OutboxItem.id).limit(1)
    if postgres:
        pick = pick.with_for_update(skip_locked=True)
    with engine.begin() as conn:
        row = conn.execute(pick).first()
        if row is None:
            return None
        conn.execute(update(OutboxItem).where(OutboxItem.id == row.id)
                     .values(state="running", lease_owner="baseline", attempts=OutboxItem.attempts + 1))
    return int(row.id), dict(row.payload)


def post_note(client: httpx.Client, api_url: str, tokens: dict[str, str], payload: dict[str, Any],
              deadline: float) -> str | None:
    """POST the note as its acting user; None when the cap ran out while waiting on a 429."""
    from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

    user = str(payload["acting_user_id"])
    body = {"candidate_id": int(payload["candidate_remote_id"]), "application_id":
            int(payload["application_remote_id"]), "user_id": int(user), "body": payload["body"],
            "visibility": "public"}
    while True:
        if user not in tokens:
            answer = client.post(f"{api_url}/token", data={"grant_type": "client_credentials", "sub": user},
                                 auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
            if answer.status_code == 429:
                if not sleep_until_retry(answer, deadline):
                    return None
                continue
            answer.raise_for_status()
            tokens[user] = answer.json()["access_token"]
        answer = client.post(f"{api_url}/v3/notes", json=body, headers={"Authorization": f"Bearer {tokens[user]}"})
        if answer.status_code != 429:
            answer.raise_for_status()
            return str(answer.json()["id"])
        if not sleep_until_retry(answer, deadline):
            return None


def sleep_until_retry(answer: httpx.Response, deadline: float) -> bool:
    wait = float(answer.headers.get("Retry-After", "1"))
    if time.time() + wait >= deadline:
        return False
    time.sleep(wait)
    return True


# =====================================================================================================
# One measured run
# =====================================================================================================

@dataclass(frozen=True)
class Run:
    implementation: str  # "hirebot" | "baseline"
    workers: int
    database: str  # "postgresql" | "sqlite"


@dataclass
class Measured:
    run: Run
    events: int
    rate_limit: int
    wall: float = 0.0
    capped: bool = False
    sent: int = 0
    parked: int = 0
    retried: int = 0  # rows that needed more than one attempt
    writes: int = 0
    reads: int = 0
    tokens: int = 0
    limited: int = 0  # 429 answers from the API
    tokens_limited: int = 0  # 429 answers from the token endpoint
    window_fill: float | None = None
    check: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def ceiling(self) -> float:
        return self.rate_limit / WINDOW_SECONDS

    @property
    def api_requests(self) -> int:
        """The requests the API's window counted: writes and reads that were not turned away."""
        return self.writes + self.reads

    @property
    def whole_window_fraction(self) -> float | None:
        if self.capped or not self.wall:
            return None
        windows = math.ceil(self.api_requests / self.rate_limit)
        return (windows - 1) * WINDOW_SECONDS / self.wall

    @property
    def plain_fraction(self) -> float:
        return self.api_requests / self.wall / self.ceiling if self.wall else 0.0


def next_window_start() -> float:
    """The next window boundary, at least a second away (workers are already waiting)."""
    now = time.time()
    start = math.ceil(now / WINDOW_SECONDS) * WINDOW_SECONDS
    return start if start - now >= 1.0 else start + WINDOW_SECONDS


def measure(run: Run, database_url: str, api_url: str, stats_url: str, fernet_key: bytes, events: int,
            rate_limit: int, *, batch: int, idle: float, cap: float) -> Measured:
    context = multiprocessing.get_context("spawn")
    go, ready, results = context.Event(), context.Queue(), context.Queue()
    processes = []
    for n in range(run.workers):
        if run.implementation == "hirebot":
            owner = f"bench-{n}-{uuid.uuid4().hex[:6]}"
            args: tuple[Any, ...] = (database_url, fernet_key, owner, batch, idle, go, ready, results)
            processes.append(context.Process(target=hirebot_worker, args=args))
        else:
            processes.append(context.Process(target=baseline_worker,
                                             args=(database_url, api_url, cap, go, ready, results)))
    for process in processes:
        process.start()
    try:
        for _ in processes:
            ready.get(timeout=START_TIMEOUT)
        mark, _ = fake_requests(stats_url)
        start = next_window_start()
        time.sleep(max(start - time.time(), 0.0))
        go.set()
        errors = [error for _, error in (results.get(timeout=RUN_TIMEOUT) for _ in processes) if error]
    finally:
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
    measured = Measured(run=run, events=events, rate_limit=rate_limit, errors=errors)
    measured.capped = run.implementation == "baseline"
    read_outcome(measured, database_url, start, cap)
    _, seen = fake_requests(stats_url, mark)
    count_requests(measured, seen, start)
    measured.check = check_markers(measured, fake_markers(stats_url))
    return measured


def read_outcome(measured: Measured, database_url: str, start: float, cap: float) -> None:
    from store.db import make_engine
    from store.outbox_models import OutboxItem

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            states = dict(conn.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state)).all())
            last = conn.execute(select(func.max(OutboxItem.sent_at))).scalar()
            retried = conn.execute(select(func.count()).select_from(OutboxItem)
                                   .where(OutboxItem.attempts > 1)).scalar()
    finally:
        engine.dispose()
    measured.sent, measured.parked = int(states.get("sent", 0)), int(states.get("parked", 0))
    measured.retried = int(retried or 0)
    if measured.capped:
        measured.wall = cap
    elif last is not None:
        measured.wall = last.replace(tzinfo=UTC).timestamp() - start


def count_requests(measured: Measured, seen: Sequence[tuple[float, str, int]], start: float) -> None:
    """Requests by kind from the fake's log, and how full each window the run spanned was (the last aside)."""
    end = start + measured.wall
    per_window: Counter[int] = Counter()
    for arrived, kind, status in seen:
        if arrived > end + 1.0:  # after the run (the baseline's last, unanswered wait)
            continue
        if status == 429:
            if kind == "token":
                measured.tokens_limited += 1
            else:
                measured.limited += 1
            continue
        if kind == "token":
            measured.tokens += 1
            continue
        if kind == "write":
            measured.writes += 1
        else:
            measured.reads += 1
        per_window[int((arrived - start) // WINDOW_SECONDS)] += 1
    full = int(measured.wall // WINDOW_SECONDS) if measured.capped else math.ceil(measured.wall / WINDOW_SECONDS) - 1
    if full > 0:
        measured.window_fill = sum(per_window[k] for k in range(full)) / (full * measured.rate_limit)


def check_markers(measured: Measured, markers: Counter[str]) -> str:
    """Every note the store says was sent is in the fake exactly once; nothing else arrived."""
    doubled = sum(1 for count in markers.values() if count > 1)
    arrived = len(markers)
    problems = []
    if arrived != measured.sent:
        problems.append(f"{arrived:,} notes in the fake for {measured.sent:,} sent")
    if doubled:
        problems.append(f"{doubled:,} doubled")
    if not measured.capped and measured.sent != measured.events:
        problems.append(f"{measured.events - measured.sent:,} not sent")
    return "; ".join(problems) if problems else f"ok: {arrived:,} notes, each once"


# =====================================================================================================
# The report
# =====================================================================================================

def report(results: Sequence[Measured], *, latency: float, rate_limit: int, events: int,
           candidates: int) -> str:
    ceiling = rate_limit / WINDOW_SECONDS
    rows = [("implementation", "workers", "database", "wall", "notes/s", "API req/s (writes+reads)",
             "tokens (429s)", "API 429s", "ceiling", "fraction of ceiling", "window fill", "check")]
    for m in results:
        name = "hirebot OutboxWorker" if m.run.implementation == "hirebot" else "baseline: naive loop"
        if m.run.implementation not in ("hirebot", "baseline"):
            name = m.run.implementation
        fraction = m.whole_window_fraction
        rows.append((
            name, str(m.run.workers), m.run.database,
            f"{m.wall:,.1f} s" + (" (cap)" if m.capped else ""),
            f"{m.sent / m.wall:,.1f}" if m.wall else "–",
            f"{m.api_requests / m.wall:,.1f} ({m.writes:,}+{m.reads:,})" if m.wall else "–",
            f"{m.tokens} ({m.tokens_limited})", f"{m.limited:,}", f"{ceiling:,.1f}/s",
            f"{fraction:.2f}" if fraction is not None else f"{m.plain_fraction:.2f} (whole windows)",
            f"{m.window_fill:.2f}" if m.window_fill is not None else "–",
            m.check + (f"; {m.parked} parked" if m.parked else "") + (f"; errors: {m.errors}" if m.errors else "")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"Outbox benchmark: {events:,} notes over {candidates:,} candidates to the Greenhouse fake, "
             f"{rate_limit:,} requests per {WINDOW_SECONDS:.0f} s window (ceiling {ceiling:,.1f}/s), answers "
             f"delayed {latency * 1000:.0f} ms, {os.cpu_count()} CPUs. Target: fraction of ceiling >= {TARGET:.2f}."]
    for index, row in enumerate(rows):
        lines.append("| " + " | ".join(value.ljust(widths[i]) for i, value in enumerate(row)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines.append("fraction of ceiling: the whole-window floor over the wall time ((ceil(requests / limit) - 1) "
                 "windows of 30 s, from a start on a window boundary); for the capped baseline, requests over "
                 "what its whole windows allowed. window fill: requests in each full window the run spanned, "
                 "over the limit. tokens and the 429s of the token endpoint are metered apart (30 per 60 s).")
    return "\n".join(lines)


# =====================================================================================================
# Command line
# =====================================================================================================

def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.outbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL, help="a PostgreSQL server (scratch databases are created)")
    parser.add_argument("--events", type=int, default=10_000, help="notes to deliver (default 10,000)")
    parser.add_argument("--per-candidate", type=int, default=5, help="events per candidate (default 5)")
    parser.add_argument("--roster", type=int, default=2_500, help="candidates in the fake (default 2,500)")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts on PostgreSQL (default 1,2,4)")
    parser.add_argument("--rate-limit", type=int, default=1_800,
                        help="API requests per 30 s window (default 1,800: 60/s, ~3 minutes for 10k notes)")
    parser.add_argument("--latency", type=float, default=0.1,
                        help="seconds each answer is delayed, a round trip to Greenhouse (default 0.1)")
    parser.add_argument("--batch", type=int, default=20, help="the worker's claim batch (default 20, hirebot's)")
    parser.add_argument("--idle", type=float, default=5.0,
                        help="seconds a worker waits when nothing is claimable (default 5, hirebot's)")
    parser.add_argument("--baseline-cap", type=float, default=60.0,
                        help="seconds the baseline runs, rounded up to whole windows (default 60; 0: skip it)")
    parser.add_argument("--sqlite", action="store_true", help="also one worker on SQLite")
    arguments = parser.parse_args(argv)
    if min(arguments.events, arguments.per_candidate, arguments.roster, arguments.rate_limit, arguments.batch) < 1:
        parser.error("--events, --per-candidate, --roster, --rate-limit and --batch must be positive")
    return arguments


def main(argv: Sequence[str] | None = None) -> None:
    from cryptography.fernet import Fernet

    from store.crypto import SecretBox

    arguments = parse_arguments(argv)
    workers = sorted({int(n) for n in arguments.workers.split(",") if n.strip()})
    cap = math.ceil(arguments.baseline_cap / WINDOW_SECONDS) * WINDOW_SECONDS
    fake = FakeSettings(arguments.roster, arguments.rate_limit, arguments.latency)
    fernet_key = Fernet.generate_key()
    box = SecretBox(fernet_key)
    options = {"batch": arguments.batch, "idle": arguments.idle, "cap": cap}
    plan = [Run("hirebot", n, "postgresql") for n in workers]
    if arguments.sqlite:
        plan.append(Run("hirebot", 1, "sqlite"))
    if cap > 0:
        plan.append(Run("baseline", 1, "postgresql"))
    results: list[Measured] = []
    seeded: dict[str, tuple[str | Path, Seeded]] = {}
    with tempfile.TemporaryDirectory(prefix="hirebot-outbox-") as folder:
        databases = Databases(arguments.url, Path(folder))
        try:
            for run in plan:
                if run.database not in seeded:
                    print(f"Seeding {arguments.events:,} events into {run.database} …", flush=True)
                    started = time.perf_counter()
                    with running_fake(fake) as (api_url, _):
                        template, url = databases.postgres() if run.database == "postgresql" else \
                            databases.sqlite()
                        made = asyncio.run(seed_store(url, api_url, box, events=arguments.events,
                                                      per_candidate=arguments.per_candidate))
                    seeded[run.database] = (template, made)
                    print(f"  {made.events:,} notes owed for {made.candidates:,} candidates "
                          f"({time.perf_counter() - started:.0f} s)", flush=True)
                template, made = seeded[run.database]
                print(f"{run.implementation}, {run.workers} worker(s), {run.database} …", flush=True)
                with running_fake(fake) as (api_url, stats_url):
                    if isinstance(template, Path):
                        _, url = databases.sqlite(template)
                        name = None
                    else:
                        name, url = databases.postgres(template)
                    point_at(url, made.connection_id, api_url)
                    measured = measure(run, url, api_url, stats_url, fernet_key, arguments.events,
                                       arguments.rate_limit, **options)
                    if name is not None:
                        databases.drop(name)
                results.append(measured)
                fraction = measured.whole_window_fraction
                print(f"  sent {measured.sent:,} in {measured.wall:.1f} s; API {measured.api_requests:,}, "
                      f"tokens {measured.tokens} ({measured.tokens_limited} refused), API 429s {measured.limited}; "
                      f"fraction "
                      f"{fraction if fraction is not None else measured.plain_fraction:.2f}, fill "
                      f"{measured.window_fill}; {measured.check}", flush=True)
        finally:
            databases.close()
    print()
    print(report(results, latency=arguments.latency, rate_limit=arguments.rate_limit, events=arguments.events,
                 candidates=next(iter(seeded.values()))[1].candidates if seeded else 0))


if __name__ == "__main__":
    main()
