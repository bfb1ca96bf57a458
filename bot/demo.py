"""`hirebot demo`: a sandbox Greenhouse on loopback, connected and synced through the real adapter, then a chat.

Everything runs on embedded defaults (SQLite in the data dir), so a fresh clone needs nothing else.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import socket
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from rich.console import Console
from rich.markup import escape
from sqlalchemy import select

from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
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

DEMO_CONNECTION_NAME = "Greenhouse sandbox"
DEMO_LOG = "demo.log"  # in the data dir: what was logged while the chat had the terminal


def demo_database_url(settings: Settings) -> str:
    """The demo keeps its own SQLite file so sandbox people never mix with a real ATS's."""
    if os.environ.get("HIREBOT_DATABASE_URL"):
        return settings.database_url
    return f"sqlite:///{(settings.data_dir / 'demo.sqlite3').resolve()}"


@dataclass(frozen=True)
class SandboxSeat:
    """What makes a re-run serve the same sandbox data as the last one: the dataset's clock and the port its
    links name. The demo connection remembers both, so a second `hirebot demo` finds its candidates
    unchanged, as a real ATS where nobody changed anything would."""

    now: datetime
    port: int

    @classmethod
    def remembered(cls, runtime: Runtime) -> SandboxSeat:
        """Last run's clock and port (the port only if it is free now), or a fresh clock on a first run."""
        row = _demo_connection(runtime)
        stored = dict(row.settings or {}) if row is not None else {}
        try:
            now = datetime.fromisoformat(str(stored["sandbox_now"]))
        except (KeyError, ValueError):
            now = utcnow().replace(second=0, microsecond=0)
        port = stored.get("sandbox_port")
        return cls(now=now, port=port if isinstance(port, int) and _port_is_free(port) else 0)


def _demo_connection(runtime: Runtime) -> AtsConnection | None:
    admin = runtime.directory.local_admin()
    with runtime.sessions() as session:
        return session.scalar(select(AtsConnection).where(
            AtsConnection.workspace_id == admin.workspace_id, AtsConnection.name == DEMO_CONNECTION_NAME))


def _connect_sandbox(runtime: Runtime, url: str, seat: SandboxSeat) -> int:
    """Point the demo connection at this run's sandbox, creating it on first run."""
    admin = runtime.directory.local_admin()
    remembered = {"app_url": url, "sandbox_now": seat.now.isoformat(), "sandbox_port": urlsplit(url).port}
    existing = _demo_connection(runtime)
    if existing is None:
        existing_id = asyncio.run(runtime.connections.connect(
            admin, "greenhouse",
            {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET, "base_url": url,
             "auth_url": f"{url}/token"},
            scope="org", name=DEMO_CONNECTION_NAME)).id
    else:
        existing_id = existing.id
    with transaction(runtime.sessions) as session:
        row = session.get(AtsConnection, existing_id)
        assert row is not None
        row.base_url = url
        row.settings = {**row.settings, "auth_url": f"{url}/token", **remembered}
    return existing_id


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _examples(runtime: Runtime, connection_id: int, count: int = 3) -> list[str]:
    with runtime.sessions() as session:
        names = list(session.scalars(select(Candidate.first_name + " " + Candidate.last_name).where(
            Candidate.connection_id == connection_id).order_by(Candidate.id).limit(200)))
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


def run_demo(console: Console, *, candidates: int = 400, seed: int = 7) -> None:
    settings = Settings.from_env()
    # The chat owns the terminal: warnings from the sync, the mailer or the outbox go to a file, not between
    # a question and its answer.
    with logs_to_file(settings.data_dir / DEMO_LOG) as log_file:
        _run_demo(console, settings, candidates=candidates, seed=seed)
    if log_file.records:
        console.print(f"hirebot logged {log_file.records} warning{'s' if log_file.records != 1 else ''} "
                      f"during the demo; see {log_file.path}.", markup=False, highlight=False)


def _run_demo(console: Console, settings: Settings, *, candidates: int, seed: int) -> None:
    port = int(os.environ.get("HIREBOT_PORT") or 0) or _free_port()
    settings = dataclasses.replace(settings, port=port,
                                   public_url=os.environ.get("HIREBOT_PUBLIC_URL") or f"http://127.0.0.1:{port}")
    runtime = Runtime.open(settings, database_url=demo_database_url(settings))
    assert runtime.scheduling is not None
    runtime.scheduling.set_notifier(ConsoleNotifier(console))
    try:
        seat = SandboxSeat.remembered(runtime)
        sandbox = GreenhouseSandbox(generate(seed=seed, candidates=candidates, now=seat.now))
        with sandbox.in_thread(port=seat.port) as server, _hirebot_server(runtime, port):
            console.print(f"Sandbox Greenhouse (Harvest v3) listening on {server.url}")
            connection_id = _connect_sandbox(runtime, server.url, seat)
            with sync_progress(console, DEMO_CONNECTION_NAME) as progress:
                result = asyncio.run(runtime.connections.sync(connection_id, full=True, progress=progress))
            console.print(sync_line(result))
            examples = _examples(runtime, connection_id)
            if examples:
                console.print("Try: " + ", ".join(f"[bold]who is {escape(name)}?[/bold]" for name in examples)
                              + f" (typos and nicknames welcome), or [bold]schedule with {escape(examples[0])}[/bold]")
            console.print(f"Candidates' booking pages are served at {settings.public_url}/book/…; emails are "
                          f"written to {settings.data_dir / 'outbox-mail'} (set HIREBOT_SMTP_URL to send them).")
            ConsoleChat(runtime.assistant, runtime.directory.local_admin(), console).run()
            asyncio.run(runtime.scheduling.send_due())  # what the chat just asked for goes out before we stop
    finally:
        runtime.close()


def sync_line(result: SyncSummary) -> str:
    """'Synced 400 candidates (0 new, 0 updated, 400 unchanged), 12 jobs, 30 users.'"""
    total = result.created + result.updated + result.unchanged
    return (f"Synced {total} candidates ({result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged), {result.jobs} jobs, {result.users} users.")
