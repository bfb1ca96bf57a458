"""Builds the running parts (database, secrets, directory, connections, assistant) from settings, once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.connections import ConnectionService
from bot.core import Assistant
from bot.directory import Directory
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

    @classmethod
    def open(cls, settings: Settings | None = None, *, database_url: str | None = None) -> Runtime:
        """Connect to the database and bring its schema up to date (hirebot upgrades itself on start)."""
        settings = settings or Settings.from_env()
        engine = make_engine(database_url or settings.database_url)
        upgrade(engine)
        sessions = session_factory(engine)
        box = SecretBox(load_or_create_key(settings.data_dir, settings.secret_key))
        connections = ConnectionService(sessions, box)
        return cls(settings=settings, engine=engine, sessions=sessions, box=box, directory=Directory(sessions),
                   connections=connections, assistant=Assistant(sessions, refresher=connections.refresh_now))

    def close(self) -> None:
        self.engine.dispose()
