"""`hirebot demo`: sandbox ATSs on loopback, connected and synced through the real adapters, then a chat.

Everything runs on embedded defaults (SQLite in the data dir), so a fresh clone needs nothing else. With
several ATSs (`--ats greenhouse,lever`) some people are in all of them, so "who is" shows one person with a
record in each.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import socket
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from rich.console import Console
from rich.markup import escape
from sqlalchemy import select

from adapters.errors import ConfigError
from adapters.registry import PROVIDER_NAMES, label_for, spec_for
from adapters.sandbox.fake import FakeAts, FakeOptions
from adapters.sandbox.people import PeopleGenerator, Person
from adapters.sandbox.registry import FAKES, fake_class
from adapters.sandbox.server import BackgroundServer
from bot.background import background_hooks
from bot.booking import booking_routes
from bot.console.chat import ConsoleChat
from bot.console.logs import logs_to_file
from bot.progress import sync_progress
from bot.runtime import Runtime
from bot.web import create_web_app
from store.db import transaction
from store.models import AtsConnection, Candidate, utcnow
from store.settings import Settings
from store.sync import SyncSummary

DEFAULT_ATS = "greenhouse"
DEMO_LOG = "demo.log"  # in the data dir: what was logged while the chat had the terminal
SHARED_PEOPLE = 40  # with several ATSs: people who are in every one of them


def demo_connection_name(provider: str) -> str:
    """"Greenhouse sandbox": how the demo names the connection to one sandbox ATS."""
    return f"{label_for(provider)} sandbox"


def demo_providers(text: str) -> tuple[str, ...]:
    """The ATSs named in `--ats` ("greenhouse,lever"), in order, each once; ConfigError names the choices."""
    names = tuple(dict.fromkeys(word.strip().lower() for word in text.split(",") if word.strip()))
    choices = [name for name in PROVIDER_NAMES if name in FAKES]
    unknown = [name for name in names if name not in choices]
    if unknown or not names:
        said = ", ".join(unknown) if unknown else "nothing"
        raise ConfigError(f"--ats names {said}; the demo has sandboxes for: {', '.join(choices)}.")
    return names


def demo_database_url(settings: Settings) -> str:
    """The demo keeps its own SQLite file so sandbox people never mix with a real ATS's."""
    if os.environ.get("HIREBOT_DATABASE_URL"):
        return settings.database_url
    return f"sqlite:///{(settings.data_dir / 'demo.sqlite3').resolve()}"


@dataclass(frozen=True)
class SandboxSeat:
    """What makes a re-run serve the same sandbox data as the last one: the dataset's clock and the port its
    links name. Each demo connection remembers both, so a second `hirebot demo` finds its candidates
    unchanged, as a real ATS where nobody changed anything would."""

    now: datetime
    port: int

    @classmethod
    def remembered(cls, runtime: Runtime, provider: str) -> SandboxSeat:
        """Last run's clock and port (the port only if it is free now), or a fresh clock on a first run."""
        row = _demo_connection(runtime, provider)
        stored = dict(row.settings or {}) if row is not None else {}
        try:
            now = datetime.fromisoformat(str(stored["sandbox_now"]))
        except (KeyError, ValueError):
            now = utcnow().replace(second=0, microsecond=0)
        port = stored.get("sandbox_port")
        return cls(now=now, port=port if isinstance(port, int) and _port_is_free(port) else 0)


def _demo_connection(runtime: Runtime, provider: str) -> AtsConnection | None:
    admin = runtime.directory.local_admin()
    with runtime.sessions() as session:
        return session.scalar(select(AtsConnection).where(
            AtsConnection.workspace_id == admin.workspace_id, AtsConnection.provider == provider,
            AtsConnection.name == demo_connection_name(provider)))


def _connect_sandbox(runtime: Runtime, provider: str, fake: FakeAts, url: str, seat: SandboxSeat) -> int:
    """Point the demo's connection to this sandbox at this run's server, connecting it on the first run."""
    values = fake.connect_values(url)
    existing = _demo_connection(runtime, provider)
    if existing is None:
        scope = "org" if spec_for(provider).org_scope_allowed else "user"
        connection_id = asyncio.run(runtime.connections.connect(
            runtime.directory.local_admin(), provider, values, scope=scope,
            name=demo_connection_name(provider))).id
    else:
        connection_id = existing.id
        runtime.connections.repoint(connection_id, values)
    with transaction(runtime.sessions) as session:
        row = session.get(AtsConnection, connection_id)
        assert row is not None
        row.settings = {**row.settings, "app_url": url, "sandbox_now": seat.now.isoformat(),
                        "sandbox_port": urlsplit(url).port}
    return connection_id


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _examples(runtime: Runtime, connection_ids: Sequence[int], shared: Sequence[Person], count: int = 3
              ) -> list[str]:
    """Names to try: people in every sandbox when there are several, else anyone synced."""
    if shared:
        return list(dict.fromkeys(person.name for person in shared))[:count]
    with runtime.sessions() as session:
        names = list(session.scalars(select(Candidate.first_name + " " + Candidate.last_name).where(
            Candidate.connection_id.in_(connection_ids)).order_by(Candidate.id).limit(200)))
    return random.Random(7).sample(names, min(count, len(names)))


class ConsoleNotifier:
    """Organizer notices (booked, declined, no answer…) printed in the demo's terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def notify(self, user_id: int, text: str, *, meeting_id: int) -> None:
        self.console.print(f"[bold magenta]hirebot ›[/bold magenta] {escape(text)} [dim](meeting {meeting_id})[/dim]")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hirebot_server(runtime: Runtime, port: int) -> BackgroundServer:
    """hirebot's own web server: booking pages for the candidate, plus the job runner that sends mail."""
    scheduling = runtime.scheduling
    assert scheduling is not None
    start, stop = background_hooks(runtime)
    app = create_web_app(runtime, extra_routes=booking_routes(scheduling.service, token_key=scheduling.token_key),
                         on_startup=[start], on_cleanup=[stop])
    return BackgroundServer(app, port=port)


def run_demo(console: Console, *, candidates: int = 400, seed: int = 7, ats: str = DEFAULT_ATS) -> None:
    providers = demo_providers(ats)
    settings = Settings.from_env()
    # The chat owns the terminal: warnings from the sync, the mailer or the outbox go to a file, not between
    # a question and its answer.
    with logs_to_file(settings.data_dir / DEMO_LOG) as log_file:
        _run_demo(console, settings, providers, candidates=candidates, seed=seed)
    if log_file.records:
        console.print(f"hirebot logged {log_file.records} warning{'s' if log_file.records != 1 else ''} "
                      f"during the demo; see {log_file.path}.", markup=False, highlight=False)


def shared_people(providers: Sequence[str], candidates: int, seed: int) -> tuple[Person, ...]:
    """With several ATSs, the people every sandbox has (each with an email, which is what merges them)."""
    if len(providers) < 2:
        return ()
    generator = PeopleGenerator(seed + 1, without_email=0.0)
    # Ordinary people only: the planted namesakes and near-duplicates belong to each ATS's own roster.
    return tuple(generator.person() for _ in range(min(SHARED_PEOPLE, candidates // 4)))


def _run_demo(console: Console, settings: Settings, providers: Sequence[str], *, candidates: int,
              seed: int) -> None:
    port = int(os.environ.get("HIREBOT_PORT") or 0) or _free_port()
    settings = dataclasses.replace(settings, port=port,
                                   public_url=os.environ.get("HIREBOT_PUBLIC_URL") or f"http://127.0.0.1:{port}")
    runtime = Runtime.open(settings, database_url=demo_database_url(settings))
    assert runtime.scheduling is not None
    runtime.scheduling.set_notifier(ConsoleNotifier(console))
    shared = shared_people(providers, candidates, seed)
    try:
        with ExitStack() as servers:
            connection_ids = []
            for provider in providers:
                seat = SandboxSeat.remembered(runtime, provider)
                fake = fake_class(provider).build(FakeOptions(candidates=candidates, seed=seed, now=seat.now,
                                                              shared_people=shared))
                server = servers.enter_context(fake.in_thread(port=seat.port))
                console.print(f"Sandbox {fake.title} listening on {server.url}")
                connection_id = _connect_sandbox(runtime, provider, fake, server.url, seat)
                with sync_progress(console, demo_connection_name(provider)) as progress:
                    result = asyncio.run(runtime.connections.sync(connection_id, full=True, progress=progress))
                console.print(sync_line(result))
                connection_ids.append(connection_id)
            servers.enter_context(_hirebot_server(runtime, port))
            examples = _examples(runtime, connection_ids, shared)
            if examples:
                where = f"each is in {_listed([label_for(p) for p in providers])}; " if shared else ""
                console.print("Try: " + ", ".join(f"[bold]who is {escape(name)}?[/bold]" for name in examples)
                              + f" ({where}typos and nicknames welcome), or "
                              f"[bold]schedule with {escape(examples[0])}[/bold]")
            console.print(f"Candidates' booking pages are served at {settings.public_url}/book/…; emails are "
                          f"written to {settings.data_dir / 'outbox-mail'} (set HIREBOT_SMTP_URL to send them).")
            ConsoleChat(runtime.assistant, runtime.directory.local_admin(), console).run()
            asyncio.run(runtime.scheduling.send_due())  # what the chat just asked for goes out before we stop
    finally:
        runtime.close()


def _listed(labels: Sequence[str]) -> str:
    """"Greenhouse, Lever and Workable"."""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def sync_line(result: SyncSummary) -> str:
    """'Synced 400 candidates (0 new, 0 updated, 400 unchanged), 12 jobs, 30 users.'"""
    total = result.created + result.updated + result.unchanged
    return (f"Synced {total} candidates ({result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged), {result.jobs} jobs, {result.users} users.")
