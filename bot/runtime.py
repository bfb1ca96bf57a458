"""Builds the running parts (database, secrets, directory, connections, assistant) from settings, once."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.connections import ConnectionService
from bot.core import Assistant
from bot.directory import Directory
from bot.scheduling_chat import SchedulingDesk
from bot.settings_chat import SettingsDesk
from scheduler.sync_jobs import ConnectionSyncer
from scheduler.wiring import Scheduling, scheduling_from_settings
from store.crypto import SecretBox, load_or_create_key
from store.db import make_engine, session_factory, upgrade
from store.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    box: SecretBox
    directory: Directory
    connections: ConnectionService
    assistant: Assistant
    scheduling: Scheduling | None = None
    secret_key: bytes = field(default=b"", repr=False)  # read once; scheduling derives its token key from it

    @classmethod
    def open(cls, settings: Settings | None = None, *, database_url: str | None = None) -> Runtime:
        """Connect to the database and bring its schema up to date (hirebot upgrades itself on start)."""
        settings = settings or Settings.from_env()
        engine = make_engine(database_url or settings.database_url)
        upgrade(engine)
        sessions = session_factory(engine)
        secret_key = load_or_create_key(settings.data_dir, settings.secret_key)
        box = SecretBox(secret_key)

        connections = ConnectionService(sessions, box)
        runtime = cls(settings=settings, engine=engine, sessions=sessions, box=box, directory=Directory(sessions),
                      connections=connections, assistant=Assistant(sessions, refresher=connections.refresh_now),
                      secret_key=secret_key)
        runtime.scheduling = scheduling_from_settings(settings, sessions, box, secret_key=secret_key)
        runtime.assistant.scheduling = SchedulingDesk(runtime.scheduling.service, runtime.assistant.clock)
        runtime.assistant.settings_desk = SettingsDesk(sessions, box, runtime.assistant.clock)
        return runtime

    def connection_syncer(self, *, owner: str | None = None) -> ConnectionSyncer:
        """Syncs one connection under its lease, with this process's adapters and HTTP client."""
        return ConnectionSyncer(self.sessions, self.connections.adapter,
                                client_factory=self.connections.client_factory, owner=owner)

    def close(self) -> None:
        self.engine.dispose()
