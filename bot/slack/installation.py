"""Slack installations and OAuth states in hirebot's own database, with every token encrypted at rest.

slack-sdk's SQLAlchemy stores supply the queries (and Bolt's token rotation and uninstall handling
build on them); their tables are created by migration 0002 with the rest of the schema. This module
adds what they lack: tokens sealed with hirebot's secret key before they reach a row, and async
methods for `AsyncApp` that run the (synchronous, psycopg/SQLite) queries off the event loop.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from typing import Any, TypeVar

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from store.crypto import SecretBox

log = logging.getLogger(__name__)

BOTS_TABLE = "slack_bots"
INSTALLATIONS_TABLE = "slack_installations"
OAUTH_STATES_TABLE = "slack_oauth_states"

# Every attribute of an Installation or Bot that grants access to a workspace.
SECRET_ATTRIBUTES = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token", "incoming_webhook_url")
SEALED_PREFIX = "hirebot-sealed:"

Stored = TypeVar("Stored", Installation, Bot)


class TokenSealer:
    """Seals and opens token strings; a value that is already sealed (or not sealed) passes through once."""

    def __init__(self, box: SecretBox) -> None:
        self._box = box

    def seal(self, value: str | None) -> str | None:
        if value is None or value.startswith(SEALED_PREFIX):
            return value
        return SEALED_PREFIX + self._box.seal({"v": value}).decode()

    def open(self, value: str | None) -> str | None:
        if value is None or not value.startswith(SEALED_PREFIX):
            return value
        return str(self._box.open(value[len(SEALED_PREFIX):].encode())["v"])

    def sealed_copy(self, item: Stored) -> Stored:
        sealed = copy.copy(item)
        for name in SECRET_ATTRIBUTES:
            if hasattr(sealed, name):
                setattr(sealed, name, self.seal(getattr(sealed, name)))
        return sealed

    def opened(self, item: Stored | None) -> Stored | None:
        if item is not None:
            for name in SECRET_ATTRIBUTES:
                if hasattr(item, name):
                    setattr(item, name, self.open(getattr(item, name)))
        return item


class DatabaseInstallationStore(SQLAlchemyInstallationStore, AsyncInstallationStore):
    """Installations per workspace (bot token, refresh token, expiry), sealed; sync and async methods."""

    def __init__(self, client_id: str, engine: Engine, box: SecretBox) -> None:
        super().__init__(client_id=client_id, engine=engine, bots_table_name=BOTS_TABLE,
                         installations_table_name=INSTALLATIONS_TABLE, logger=log)
        self._sealer = TokenSealer(box)

    # Synchronous API (slack-sdk's), sealing on the way in and opening on the way out.

    def save(self, installation: Installation) -> None:
        super().save(self._sealer.sealed_copy(installation))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self._sealer.sealed_copy(bot))

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        found = super().find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                 is_enterprise_install=is_enterprise_install)
        return self._sealer.opened(found)

    def find_installation(self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None,
                          is_enterprise_install: bool | None = False) -> Installation | None:
        found = super().find_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                                          is_enterprise_install=is_enterprise_install)
        return self._sealer.opened(found)

    # Asynchronous API (what AsyncApp calls): the same queries on a worker thread.

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.save_bot, bot)

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        return await asyncio.to_thread(self.find_bot, enterprise_id=enterprise_id, team_id=team_id,
                                       is_enterprise_install=is_enterprise_install)

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False) -> Installation | None:
        return await asyncio.to_thread(self.find_installation, enterprise_id=enterprise_id, team_id=team_id,
                                       user_id=user_id, is_enterprise_install=is_enterprise_install)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                        user_id: str | None = None) -> None:
        await asyncio.to_thread(self.delete_installation, enterprise_id=enterprise_id, team_id=team_id,
                                user_id=user_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class DatabaseOAuthStateStore(SQLAlchemyOAuthStateStore, AsyncOAuthStateStore):
    """One-time OAuth `state` values, so an install callback can only finish an install we started."""

    def __init__(self, engine: Engine, expiration_seconds: int = 600) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log,
                         table_name=OAUTH_STATES_TABLE)

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.consume, state)
