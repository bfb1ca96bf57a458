"""Builds the running parts (database, secrets, directory, connections, assistant) from settings, once.

Scheduling (meetings, jobs, mail, calendars) is built on first use, not at start: most commands (`hirebot ask`,
`hirebot connections`) never touch it, and importing it costs more than answering them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.connections import ConnectionService
from bot.core import Assistant
from bot.directory import Directory
from store.crypto import SecretBox, load_or_create_key
from store.db import make_engine, session_factory, upgrade
from store.settings import Settings

if TYPE_CHECKING:
    from bot.scheduling_chat import SchedulingDesk
    from bot.settings_chat import SettingsDesk
    from scheduler.sync_jobs import ConnectionSyncer
    from scheduler.wiring import Scheduling


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    box: SecretBox
    directory: Directory
    connections: ConnectionService
    assistant: Assistant
    secret_key: bytes = field(default=b"", repr=False)  # read once; scheduling derives its token key from it
    _scheduling: Scheduling | None = field(default=None, init=False, repr=False)
    _scheduling_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

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
        assistant = Assistant(sessions, refresher=connections.refresh_now)
        runtime = cls(settings=settings, engine=engine, sessions=sessions, box=box, directory=Directory(sessions),
                      connections=connections, assistant=assistant, secret_key=secret_key)
        assistant.offer_scheduling(runtime._scheduling_desk, runtime._settings_desk)
        return runtime

    @property
    def scheduling(self) -> Scheduling:
        """Meetings, their jobs and the runner, built the first time anything asks for them."""
        with self._scheduling_lock:
            if self._scheduling is None:
                from scheduler.wiring import scheduling_from_settings

                self._scheduling = scheduling_from_settings(self.settings, self.sessions, self.box,
                                                            secret_key=self.secret_key)
            return self._scheduling

    def _scheduling_desk(self) -> SchedulingDesk:
        from bot.scheduling_chat import SchedulingDesk

        return SchedulingDesk(self.scheduling.service, self.assistant.clock)

    def _settings_desk(self) -> SettingsDesk:
        from bot.settings_chat import SettingsDesk

        return SettingsDesk(self.sessions, self.box, self.assistant.clock)

    def connection_syncer(self, *, owner: str | None = None) -> ConnectionSyncer:
        """Syncs one connection under its lease, with this process's adapters and HTTP client."""
        from scheduler.sync_jobs import ConnectionSyncer

        return ConnectionSyncer(self.sessions, self.connections.adapter,
                                client_factory=self.connections.client_factory, owner=owner)

    def close(self) -> None:
        self.engine.dispose()
