"""The Teams front end's wiring: `TeamsFrontEnd`, which `hirebot run` mounts (bot/server.py's registry) when
TEAMS_APP_ID is set, serving POST /api/messages on the one port.

No Bot Framework SDK sits in the request path (docs/teams.md says why): the JWT is checked by
bot/teams/auth.py, replies go out through bot/teams/connector.py, conversations are bot/teams/conversation.py
on the shared bot/frontend seam.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
from aiohttp import web

from adapters.spec import ProviderSpec
from bot.connections import ConnectionService
from bot.directory import Directory
from bot.frontend.notifier import NotifierBridge
from bot.frontend.questions import QUESTION_BACKLOG, QUESTION_WORKERS
from bot.frontend.runner import CoreRunner, core_runner
from bot.frontend.zones import OrganizerZones
from bot.teams.auth import InboundVerifier
from bot.teams.config import MESSAGES_PATH, TeamsConfig
from bot.teams.connector import REQUEST_TIMEOUT_SECONDS, Connector
from bot.teams.conversation import TeamsConversation
from bot.teams.identity import TeamsIdentities
from bot.teams.inbound import VerifiedTokens, messages_handler
from bot.teams.notices import TeamsDirectMessages
from bot.teams.references import ReferenceBook
from store.event_receipts import EventReceipts
from store.models import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from bot.core import Assistant
    from bot.runtime import Runtime
    from store.crypto import SecretBox
    from store.settings import Settings


class TeamsFrontEnd:
    """What `hirebot run` mounts and starts (a bot.frontend.protocol.FrontEnd)."""

    name = "teams"

    def __init__(self, config: TeamsConfig, conversation: TeamsConversation, verifier: InboundVerifier,
                 http: httpx.AsyncClient, *, public_url: str) -> None:
        self.config = config
        self.conversation = conversation
        self.verifier = verifier
        self.http = http
        self.public_url = public_url
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def build(cls, config: TeamsConfig, settings: Settings, sessions: sessionmaker[Session], assistant: Assistant,
              directory: Directory, connections: ConnectionService, *, secret_box: SecretBox | None = None,
              core_processes: int = 1, providers: Sequence[ProviderSpec] | None = None,
              workers: int = QUESTION_WORKERS, backlog: int = QUESTION_BACKLOG,
              now: Callable[[], datetime] = utcnow) -> TeamsFrontEnd:
        """The front end for `config`. By default questions are answered in one separate core process (as for
        Slack, so acknowledgements stay fast under load); `core_processes=0` answers on a thread instead."""
        http = httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS)
        connector = Connector(config, client=http)
        references = ReferenceBook(sessions, config.tenant_id)
        identities = TeamsIdentities(directory, connector, tenant_id=config.tenant_id, admins=config.admins)
        conversation = TeamsConversation(
            core_runner(settings, assistant, core_processes), directory, connections, connector, identities,
            references, providers=providers, workers=workers, backlog=backlog,
            zones=OrganizerZones(sessions, secret_box), now=now,
            intakes=assistant.scheduling.intakes if assistant.scheduling else None, tenant_id=config.tenant_id,
            downloads=http, first_receipt=EventReceipts(sessions).first)
        return cls(config, conversation, InboundVerifier(config, client=http), http, public_url=settings.public_url)

    @classmethod
    def from_settings(cls, settings: Settings, sessions: sessionmaker[Session], assistant: Assistant,
                      directory: Directory, connections: ConnectionService, *, secret_box: SecretBox | None = None,
                      core_processes: int = 1, environ: Mapping[str, str] = os.environ) -> TeamsFrontEnd | None:
        """None when Teams is not configured (TEAMS_APP_ID unset); ConfigError when it is half configured."""
        config = TeamsConfig.from_env(environ)
        if config is None:
            return None
        return cls.build(config, settings, sessions, assistant, directory, connections, secret_box=secret_box,
                         core_processes=core_processes)

    @classmethod
    def for_runtime(cls, runtime: Runtime, environ: Mapping[str, str] = os.environ) -> TeamsFrontEnd | None:
        """The front end `hirebot run` mounts when TEAMS_APP_ID is set; ConfigError (saying what to set) when
        the registration is half configured."""
        return cls.from_settings(runtime.settings, runtime.sessions, runtime.assistant, runtime.directory,
                                 runtime.connections, secret_box=runtime.box, environ=environ,
                                 core_processes=runtime.settings.workers)

    @property
    def core(self) -> CoreRunner:
        return self.conversation.core

    @property
    def connector(self) -> Connector:
        return self.conversation.connector

    def describe(self) -> list[str]:
        return self.config.describe(self.public_url)

    def routes(self) -> list[web.RouteDef]:
        return [web.post(MESSAGES_PATH, messages_handler(self.conversation, VerifiedTokens(self.verifier)))]

    def direct_messages(self) -> TeamsDirectMessages:
        """Direct messages to hirebot users (meeting notices, briefings), for the notifier bridge."""
        return TeamsDirectMessages(self.conversation.connector, self.conversation.references)

    def notifier(self) -> NotifierBridge:
        """The ChatNotifier and BriefingSender for `Scheduling` with Teams alone: notices and briefings as
        messages in each person's 1:1 chat. They wait (the job is retried) until `start`."""
        conversation = self.conversation
        return NotifierBridge(conversation.directory.sessions, self.direct_messages(), lambda: self._loop,
                              box=conversation.scheduling.zones.box, now=conversation.scheduling.now)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def close(self) -> None:
        self._loop = None
        await self.conversation.cancel_background()
        await self.http.aclose()
