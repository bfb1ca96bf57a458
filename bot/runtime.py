"""Builds the running parts (database, secrets, directory, connections, assistant) from settings, once.

The assistant and scheduling (meetings, jobs, mail, calendars) are built on first use, not at start: most
commands never touch scheduling (`hirebot ask "who is X"`) or the assistant (`hirebot connections`), and
importing them costs more than answering those commands.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.connections import ConnectionService
from bot.directory import Directory
from store.crypto import SecretBox, load_or_create_key
from store.db import make_engine, session_factory, upgrade
from store.settings import Settings

if TYPE_CHECKING:
    from bot.core import Assistant
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
    secret_key: bytes = field(default=b"", repr=False)  # read once; scheduling derives its token key from it
    _assistant: Assistant | None = field(default=None, init=False, repr=False)
    _scheduling: Scheduling | None = field(default=None, init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)

    @classmethod
    def open(cls, settings: Settings | None = None, *, database_url: str | None = None) -> Runtime:
        """Connect to the database and bring its schema up to date (hirebot upgrades itself on start)."""
        settings = settings or Settings.from_env()
        engine = make_engine(database_url or settings.database_url)
        upgrade(engine)
        sessions = session_factory(engine)
        secret_key = load_or_create_key(settings.data_dir, settings.secret_key)
        box = SecretBox(secret_key)

        return cls(settings=settings, engine=engine, sessions=sessions, box=box, directory=Directory(sessions),
                   connections=ConnectionService(sessions, box), secret_key=secret_key)

    @property
    def assistant(self) -> Assistant:
        """The conversation core, built the first time anything asks; it builds its scheduling and settings
        desks only when a message needs them."""
        with self._lock:
            if self._assistant is None:
                from bot.core import Assistant

                self._assistant = Assistant(self.sessions, refresher=self.connections.refresh_now)
                self._assistant.offer_scheduling(self._scheduling_desk, self._settings_desk)
            return self._assistant

    @property
    def scheduling(self) -> Scheduling:
        """Meetings, their jobs and the runner, built the first time anything asks for them."""
        with self._lock:
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
