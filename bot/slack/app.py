"""The Slack front end: a slack-bolt AsyncApp whose listeners turn Slack gestures into core calls.

Nothing here decides anything about candidates. A DM, mention, slash command or button becomes an
`IncomingMessage` (with the files attached to it, downloaded from Slack) or an `Assistant.choose` call,
the core's `Reply` is drawn by bot/slack/blocks.py,
and this module only picks where the answer goes: the DM itself, a thread, or an ephemeral message
that only the asker sees (candidate details never land where others can read them unless the
workspace allows it).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError, HirebotError
from bot.connections import PROVIDERS, ConnectionInfo, ConnectionService, ProviderSpec, provider_spec
from bot.directory import Directory
from bot.intake import MAX_RESUME_BYTES, IntakeDesk
from bot.intents import IntentName, parse
from bot.messages import ChatFile, IncomingMessage, Person, RoomKind
from bot.replies import Reply
from bot.scheduling_chat import SEND
from bot.slack.blocks import (
    DO_PREFIX,
    EDIT_ACTION,
    LINK_PREFIX,
    PICK_PREFIX,
    SlackMessage,
    render_reply,
    text_message,
)
from bot.slack.home import (
    ADD_ACTION,
    CONNECT_CALLBACK,
    REMOVE_ACTION,
    blank_required_fields,
    checking_modal,
    connect_modal,
    connected_modal,
    home_view,
    read_connect_form,
)
from bot.slack.installation import DatabaseInstallationStore, DatabaseOAuthStateStore
from bot.slack.markup import slack_text
from bot.slack.scheduling import (
    SCHEDULE_CALLBACK,
    BotTokens,
    IntakeChoices,
    ModalContext,
    OrganizerZones,
    ScheduleDraft,
    ScheduleForm,
    SlackNotifier,
    edited_draft,
    form_errors,
    form_from_draft,
    notice_modal,
    read_intake_choices,
    read_schedule_form,
    schedule_modal,
    sending_modal,
    slack_people_emails,
)
from store.crypto import SecretBox
from store.models import utcnow
from store.settings import Settings

if TYPE_CHECKING:
    from bot.core import Assistant

log = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
SLASH_COMMAND = "/hirebot"
SHARE_SETTING = "share_cards_in_channels"

# What the app listens to: the manifest must subscribe to exactly these bot events (tests check it).
SUBSCRIBED_EVENTS: tuple[str, ...] = ("app_home_opened", "app_mention", "app_uninstalled", "message.im",
                                      "tokens_revoked")
# Scopes each subscribed event needs.
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "app_home_opened": (),
    "app_mention": ("app_mentions:read",),
    "app_uninstalled": (),
    "message.im": ("im:history",),
    "tokens_revoked": (),
}
# Scopes each Web API method this package calls needs (tests scan the code for client calls).
WEB_API_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "users.info": ("users:read", "users:read.email"),  # the email maps a Slack user to a hirebot user
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "views.open": (),
    "views.update": (),
    "views.publish": (),
    "oauth.v2.access": (),
}
COMMAND_SCOPES: tuple[str, ...] = ("commands",)
# Downloading a file attached to a message (its url_private_download, with the bot token) needs files:read.
FILE_SCOPES: tuple[str, ...] = ("files:read",)
REQUIRED_BOT_SCOPES: tuple[str, ...] = tuple(sorted(
    set(COMMAND_SCOPES)
    | set(FILE_SCOPES)
    | {scope for scopes in EVENT_SCOPES.values() for scope in scopes}
    | {scope for scopes in WEB_API_SCOPES.values() for scope in scopes}
))

IDENTITY_TTL_SECONDS = 300.0
CORE_NICENESS = 10
QUESTION_WORKERS = 8  # questions in progress at once: enough to keep the core busy while others wait on Slack
QUESTION_BACKLOG = 256  # questions waiting beyond that get an immediate "busy, ask again" answer
TURNED_AWAY_LOG_EVERY = 100
BUSY_TEXT = "I'm answering a lot of questions right now. Please ask again in a minute."
SEEN_EVENTS_KEPT = 10_000
MAX_RATE_LIMIT_WAIT_SECONDS = 30.0
WEB_API_TIMEOUT_SECONDS = 30
MAX_ATTACHED_FILES = 3  # read from one message; a CV is one of the first few
MAX_FILE_BYTES = MAX_RESUME_BYTES  # the core refuses larger CVs anyway, so don't fetch them
SLACK_FILE_HOSTS = (".slack.com", ".slack-gov.com")  # where Slack serves url_private(_download)
FILE_CHUNK_BYTES = 64 * 1024

Sleep = Callable[[float], Awaitable[None]]


class IdentityError(HirebotError):
    """The Slack user could not be mapped to a hirebot user; the message says why, for that user."""


# ------------------------------------------------------------------------------------------ settings


@dataclass(frozen=True)
class SlackMode:
    """How hirebot talks to Slack, decided once from the settings."""

    socket_mode: bool
    multi_workspace: bool
    serve_http_events: bool
    api_url: str

    def describe(self, public_url: str) -> list[str]:
        """Lines for `hirebot run`'s start-up message: what is running and how to reach it."""
        workspaces = ("multi-workspace (OAuth install, tokens in the database)" if self.multi_workspace
                      else "single workspace (SLACK_BOT_TOKEN)")
        if self.socket_mode:
            lines = [f"Slack: Socket Mode, {workspaces}; no public URL needed."]
        else:
            lines = [f"Slack: HTTP mode, {workspaces}; Slack must reach {public_url}{EVENTS_PATH}"]
        if self.multi_workspace:
            lines.append(f"  Install it in a workspace from {public_url}{INSTALL_PATH}")
        if self.api_url != SLACK_API_URL:
            lines.append(f"  Slack Web API calls go to {self.api_url}")
        return lines


def web_api_url(settings: Settings) -> str:
    """HIREBOT_SLACK_API_URL, accepted with or without the `/api/` suffix; Slack's own URL otherwise."""
    url = (settings.slack_api_url or SLACK_API_URL).strip()
    if urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + "/api/"
    return url if url.endswith("/") else url + "/"


def slack_mode(settings: Settings) -> SlackMode | None:
    """The Slack mode the settings ask for; None when Slack is not configured at all.

    Raises ConfigError, naming the variable to set, when the settings are half done.
    """
    configured = (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token,
                  settings.slack_client_id, settings.slack_client_secret)
    if not any(configured):
        return None
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        raise ConfigError("Set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic Information > App Credentials) "
                          "for multi-workspace installs, or neither for a single workspace.")
    multi = bool(settings.slack_client_id)
    socket = bool(settings.slack_app_token)
    if socket and not str(settings.slack_app_token).startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information > "
                          "App-Level Tokens, with the connections:write scope).")
    if not multi:
        token = settings.slack_bot_token or ""
        if not token:
            raise ConfigError("Set SLACK_BOT_TOKEN to the Bot User OAuth Token (OAuth & Permissions, starts "
                              "with xoxb-), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for multi-workspace installs.")
        if not token.startswith(("xoxb-", "xoxe.xoxb-")):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb- (OAuth & Permissions > "
                              "Bot User OAuth Token), not a user or app-level token.")
    if not socket and not settings.slack_signing_secret:
        raise ConfigError("Set SLACK_SIGNING_SECRET (Basic Information > App Credentials) so hirebot can check "
                          "that requests come from Slack, or set SLACK_APP_TOKEN to use Socket Mode.")
    return SlackMode(socket_mode=socket, multi_workspace=multi,
                     serve_http_events=bool(settings.slack_signing_secret), api_url=web_api_url(settings))


class RateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Retries a 429 after Slack's Retry-After, with an injectable sleep; gives up if asked to wait too long."""

    def __init__(self, max_retry_count: int = 2, *, sleep: Sleep = asyncio.sleep,
                 max_wait: float = MAX_RATE_LIMIT_WAIT_SECONDS) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep
        self._max_wait = max_wait

    @staticmethod
    def retry_after(response: HttpResponse) -> float:
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                try:
                    return max(0.0, float(values[0]))
                except ValueError:
                    break
        return 1.0

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        return (response is not None and response.status_code == 429
                and self.retry_after(response) <= self._max_wait)

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None,
                                             error: Exception | None = None) -> None:
        if response is None:
            raise error or RuntimeError("rate-limit retry without a response")
        state.next_attempt_requested = True
        await self._sleep(self.retry_after(response))
        state.increment_current_attempt()


def retry_handlers(sleep: Sleep = asyncio.sleep) -> list[AsyncRetryHandler]:
    return [AsyncConnectionErrorRetryHandler(), RateLimitRetry(sleep=sleep)]


def make_web_client(settings: Settings, *, token: str | None = None, sleep: Sleep = asyncio.sleep) -> AsyncWebClient:
    """A Web API client for HIREBOT_SLACK_API_URL (or Slack) that retries 429s and dropped connections."""
    return AsyncWebClient(token=token, base_url=web_api_url(settings), retry_handlers=retry_handlers(sleep))


# ------------------------------------------------------------------------------------------ the core


class ThreadedCore:
    """Runs the (synchronous, CPU-bound) core on a worker thread of this process.

    More threads add no speed (one GIL) but take turns with the event loop, and every turn they hold
    delays the acks Slack needs within 3 s; so the core gets one thread by default.
    """

    def __init__(self, assistant: Assistant, threads: int = 1) -> None:
        self.assistant = assistant
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hirebot-core")

    async def handle(self, message: IncomingMessage) -> Reply:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.assistant.handle, message)

    async def choose(self, sender: Person, command: str, value: str) -> Reply:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.assistant.choose, sender,
                                                                command, value)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class ProcessCore:
    """Runs the core in separate processes, so lookups never hold this process's GIL and acks stay fast.

    Each process opens its own Runtime (database, name index) from the same settings; they run at a
    lower CPU priority, so under load the operating system serves the process that acknowledges Slack.
    """

    def __init__(self, settings: Settings, processes: int = 1, *, niceness: int = CORE_NICENESS) -> None:
        self._pool = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start_core_process, initargs=(settings, niceness))
        # Told when a reply changed a meeting: the jobs it planned (a request email) live in the database,
        # and this process's job runner should look now rather than at its next safety tick.
        self.on_meeting_change: Callable[[], None] | None = None

    async def handle(self, message: IncomingMessage) -> Reply:
        return self._noticed(await asyncio.get_running_loop().run_in_executor(self._pool, _core_handle, message))

    async def choose(self, sender: Person, command: str, value: str) -> Reply:
        return self._noticed(await asyncio.get_running_loop().run_in_executor(self._pool, _core_choose, sender,
                                                                              command, value))

    def _noticed(self, reply: Reply) -> Reply:
        if reply.extra.get("meeting_id") is not None and self.on_meeting_change is not None:
            self.on_meeting_change()
        return reply

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


CoreRunner = ThreadedCore | ProcessCore
_process_assistant: Assistant | None = None


def _start_core_process(settings: Settings, niceness: int) -> None:
    from bot.runtime import Runtime

    global _process_assistant
    if niceness:
        os.nice(niceness)
    _process_assistant = Runtime.open(settings).assistant


def _core_handle(message: IncomingMessage) -> Reply:
    assert _process_assistant is not None, "core process not initialised"
    return _process_assistant.handle(message)


def _core_choose(sender: Person, command: str, value: str) -> Reply:
    assert _process_assistant is not None, "core process not initialised"
    return _process_assistant.choose(sender, command, value)


# ------------------------------------------------------------------------------------------ identity


class SlackIdentities:
    """Maps a Slack user to a hirebot Person by the email Slack has for them (users.info), cached briefly."""

    def __init__(self, directory: Directory, *, multi_workspace: bool, ttl: float = IDENTITY_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.directory = directory
        self.multi_workspace = multi_workspace
        self.ttl = ttl
        self.clock = clock
        self._people: dict[tuple[str, str], tuple[float, Person]] = {}
        self._workspaces: dict[str, int] = {}

    async def person(self, client: AsyncWebClient, team_id: str | None, user_id: str) -> Person:
        key = (team_id or "", user_id)
        cached = self._people.get(key)
        if cached and self.clock() - cached[0] < self.ttl:
            return cached[1]
        profile = await self._slack_user(client, user_id)
        user_team = profile.get("team_id")
        if team_id and user_team and user_team != team_id and not profile.get("enterprise_user"):
            raise IdentityError("I only answer people from the workspace I'm installed in.")
        email = (profile.get("profile") or {}).get("email")
        if not email:
            raise IdentityError(
                "Slack didn't share your email address with me, and I need it to know which candidates you may "
                "see. Ask a Slack admin to check that hirebot has the users:read.email permission.")
        workspace_id = await self._workspace_id(team_id)
        person = await asyncio.to_thread(
            self.directory.person_for, workspace_id, email=str(email), chat_user_id=user_id,
            display_name=(profile.get("profile") or {}).get("real_name") or profile.get("real_name"),
            is_admin=bool(profile.get("is_admin") or profile.get("is_owner")), timezone=profile.get("tz"))
        self._people[key] = (self.clock(), person)
        return person

    async def _slack_user(self, client: AsyncWebClient, user_id: str) -> dict[str, Any]:
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, _slack_error(exc))
            raise IdentityError("I couldn't read your Slack profile just now. Please try again in a moment.") from exc
        user = response.get("user") or {}
        if user.get("is_bot"):
            raise IdentityError("I only answer people, not other apps.")
        return dict(user)

    async def _workspace_id(self, team_id: str | None) -> int:
        key = team_id if self.multi_workspace and team_id else ""
        if key not in self._workspaces:
            if key:
                workspace = await asyncio.to_thread(self.directory.workspace_for, "slack", key, f"Slack {key}")
            else:
                # Single-workspace mode: the Slack workspace is hirebot's default workspace, so org-level
                # connections made with `hirebot connect --scope org` serve its people at once.
                workspace = await asyncio.to_thread(self.directory.default_workspace)
            self._workspaces[key] = workspace.id
        return self._workspaces[key]


# ------------------------------------------------------------------------------------------ attached files


@dataclass(frozen=True)
class SlackFile:
    """A file attached to a Slack message, as the event describes it; nothing is downloaded yet."""

    name: str
    mimetype: str | None
    size: int | None
    url: str | None


def attached_files(event: Mapping[str, Any]) -> tuple[SlackFile, ...]:
    """The files of a `file_share` DM or a mention. A Slack Connect file (`file_access: check_file_info`) or
    a deleted one (`mode: tombstone`) comes without a download URL."""
    found: list[SlackFile] = []
    for item in event.get("files") or ():
        if not isinstance(item, dict):
            continue
        size = item.get("size")
        url = item.get("url_private_download") or item.get("url_private")
        found.append(SlackFile(name=str(item.get("name") or item.get("title") or "the attachment"),
                               mimetype=str(item["mimetype"]) if item.get("mimetype") else None,
                               size=size if isinstance(size, int) else None,
                               url=str(url) if url and item.get("mode") != "tombstone" else None))
    return tuple(found)


class FileDownloadError(HirebotError):
    """An attached file could not be fetched; the message says why, for the person who attached it."""


class FileFetcher:
    """Downloads files attached to messages with the bot token (which needs `files:read`).

    The token is only ever sent to Slack's own file hosts over HTTPS, or to the host of
    HIREBOT_SLACK_API_URL (the fake Slack in tests and demos serves files there too).
    """

    def __init__(self, api_url: str = SLACK_API_URL, *, max_files: int = MAX_ATTACHED_FILES,
                 max_bytes: int = MAX_FILE_BYTES, timeout: float = WEB_API_TIMEOUT_SECONDS) -> None:
        override = urlsplit(api_url)
        self._override = (override.scheme, override.netloc) if api_url != SLACK_API_URL else None
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.timeout = timeout

    def trusted(self, url: str) -> bool:
        parts = urlsplit(url)
        if self._override is not None and (parts.scheme, parts.netloc) == self._override:
            return True
        return parts.scheme == "https" and (parts.hostname or "").endswith(SLACK_FILE_HOSTS)

    async def fetch_all(self, files: Sequence[SlackFile], token: str | None,
                        session: aiohttp.ClientSession | None) -> tuple[tuple[ChatFile, ...], tuple[str, ...]]:
        """The files that could be read, and one "<name>: <why not>" for each that couldn't."""
        if not files:
            return (), ()
        read: list[ChatFile] = []
        problems = [f"{item.name}: I read at most {self.max_files} files from one message"
                    for item in files[self.max_files:]]
        own_session = session is None
        session = session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            for item in files[:self.max_files]:
                try:
                    read.append(await self.fetch(item, token, session))
                except FileDownloadError as exc:
                    log.warning("could not download an attached file (%s, %s): %s", item.name, item.mimetype, exc)
                    problems.append(f"{item.name}: {exc}")
        finally:
            if own_session:
                await session.close()
        return tuple(read), tuple(problems)

    async def fetch(self, item: SlackFile, token: str | None, session: aiohttp.ClientSession) -> ChatFile:
        limit_mb = self.max_bytes // (1024 * 1024)
        if item.size is not None and item.size > self.max_bytes:
            raise FileDownloadError(f"it is larger than {limit_mb} MB")
        if not item.url:
            raise FileDownloadError("Slack didn't give me a link to download it")
        if not self.trusted(item.url):
            raise FileDownloadError("it isn't stored in Slack")
        if not token:
            raise FileDownloadError("I have no Slack token to download it with")
        try:
            # No redirects: Slack answers a token it won't accept with a redirect to its sign-in page.
            async with session.get(item.url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False,
                                   timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                if response.status != 200:
                    raise FileDownloadError(_download_refusal(response.status))
                if response.content_type == "text/html" and item.mimetype != "text/html":
                    raise FileDownloadError("Slack sent its sign-in page instead of the file; hirebot may be "
                                            "missing the files:read permission")
                data = bytearray()
                async for chunk in response.content.iter_chunked(FILE_CHUNK_BYTES):
                    data += chunk
                    if len(data) > self.max_bytes:
                        raise FileDownloadError(f"it is larger than {limit_mb} MB")
        except TimeoutError:
            raise FileDownloadError("Slack didn't send it in time") from None
        except aiohttp.ClientError as exc:
            raise FileDownloadError(f"I couldn't reach Slack to download it ({type(exc).__name__})") from None
        return ChatFile(name=item.name, content_type=item.mimetype or response.content_type, data=bytes(data))


def _download_refusal(status: int) -> str:
    if status in (401, 403) or 300 <= status < 400:  # Slack redirects a token it won't take to its sign-in page
        return f"Slack refused to hand it over (HTTP {status}); hirebot may be missing the files:read permission"
    if status in (404, 410):
        return "Slack no longer has it"
    return f"Slack couldn't hand it over just now (HTTP {status})"


def unreadable_files_note(problems: Sequence[str], *, any_read: bool) -> str:
    """What the organizer is told when attached files couldn't be read."""
    what = "the file you attached" if len(problems) == 1 else "some of the files you attached"
    text = f"I couldn't read {what} ({'; '.join(problems)})"
    return text + ("." if any_read else "; the request will go without a CV.")


# ------------------------------------------------------------------------------------------ delivery


@dataclass(frozen=True)
class Place:
    """Where a question was asked, and so where its answer may go."""

    team_id: str | None
    user: str
    channel: str | None
    is_direct: bool
    thread_ts: str | None = None  # the thread the question is in, if any
    reply_ts: str | None = None  # what a public answer threads under
    response_url: str | None = None

    @property
    def room(self) -> RoomKind:
        return RoomKind.DIRECT if self.is_direct else RoomKind.CHANNEL


def slash_command_text(text: str) -> str:
    """`/hirebot who Jane` reads as "who is Jane"; an empty command asks for help; the rest goes as typed."""
    text = " ".join(text.split())
    if not text:
        return "help"
    head, _, rest = text.partition(" ")
    if head.lower() == "who" and rest and not rest.lower().startswith(("is ", "was ", "'s ")):
        return f"who is {rest}"
    return text


@dataclass(frozen=True)
class Question:
    """A message (`text`) or a button (`command` about `value`) waiting for the core, and where to answer."""

    client: AsyncWebClient
    place: Place
    text: str | None = None
    command: str | None = None
    value: str | None = None
    replace: bool = False
    files: tuple[SlackFile, ...] = ()


def _button_question(client: AsyncWebClient, body: dict[str, Any], action: dict[str, Any], prefix: str, *,
                     replace: bool) -> Question:
    command = str(action.get("action_id", ""))[len(prefix):].split(".", 1)[0]
    value = action.get("value") or (action.get("selected_option") or {}).get("value") or ""
    return Question(client, _interaction_place(body), command=command, value=str(value), replace=replace)


def _is_direct(channel: str | None) -> bool:
    return bool(channel) and str(channel).startswith("D")


class SlackConversation:
    """The listeners: each one asks the core, renders the Reply, and delivers it to the right place."""

    def __init__(self, core: CoreRunner, directory: Directory, connections: ConnectionService,
                 identities: SlackIdentities, *, providers: Sequence[ProviderSpec] = PROVIDERS,
                 workers: int = QUESTION_WORKERS, backlog: int = QUESTION_BACKLOG,
                 zones: OrganizerZones | None = None, now: Callable[[], datetime] = utcnow,
                 files: FileFetcher | None = None, intakes: IntakeDesk | None = None) -> None:
        self.core = core
        self.directory = directory
        self.connections = connections
        self.identities = identities
        self.zones = zones or OrganizerZones(directory.sessions, None)
        self.now = now  # "today" for the scheduling modal's date checks
        self.files = files or FileFetcher()
        # The core's intake desk, read for the scheduling modal's "Add to" menu (None without scheduling).
        self.intakes = intakes
        self.providers = tuple(providers)
        self.http_session: aiohttp.ClientSession | None = None  # shared by response_url posts once started
        self.worker_count = workers
        self.backlog = backlog
        self.turned_away = 0
        self._questions: asyncio.Queue[Question] | None = None
        self._workers: list[asyncio.Future[None]] = []
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    # ---------------------------------------------------------------- conversation
    # Listeners only turn the request into a small Question and queue it: Bolt's request objects are freed
    # at once, the ack never waits for the core, and a flood of questions queues up to a bound.

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        """A DM to hirebot (bot event message.im), with files attached or not; other message events (edits,
        deletions, bots) are acknowledged and ignored."""
        if event.get("channel_type") != "im" or event.get("subtype") not in (None, "file_share") \
                or event.get("bot_id"):
            return
        if self._duplicate(body) or not event.get("user"):
            return
        place = Place(team_id=body.get("team_id"), user=event["user"], channel=event.get("channel"),
                      is_direct=True, thread_ts=event.get("thread_ts"), reply_ts=event.get("thread_ts"))
        await self.ask(Question(client, place, text=event.get("text") or "", files=attached_files(event)))

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        """@hirebot in a channel: answers go in the thread, candidate details only to the asker."""
        if self._duplicate(body) or not event.get("user"):
            return
        channel = event.get("channel")
        place = Place(team_id=body.get("team_id"), user=event["user"], channel=channel,
                      is_direct=_is_direct(channel), thread_ts=event.get("thread_ts"),
                      reply_ts=event.get("thread_ts") or event.get("ts"))
        await self.ask(Question(client, place, text=event.get("text") or "", files=attached_files(event)))

    async def on_command(self, ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                         client: AsyncWebClient) -> None:
        """/hirebot who X | schedule X | help: acknowledged at once, answered only to the asker."""
        await ack()
        # Never "direct": the command may be typed in a DM between two people, where posting would show the
        # card to the other one. The response_url answer is ephemeral wherever the command was typed.
        place = Place(team_id=command.get("team_id"), user=command["user_id"], channel=command.get("channel_id"),
                      is_direct=False, response_url=command.get("response_url"))
        await self.ask(Question(client, place, text=slash_command_text(command.get("text") or "")))

    async def on_pick(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], action: dict[str, Any],
                      client: AsyncWebClient) -> None:
        """A choice between candidates: the chosen card replaces the question."""
        await ack()
        await self.ask(_button_question(client, body, action, PICK_PREFIX, replace=True))

    async def on_do(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], action: dict[str, Any],
                    client: AsyncWebClient) -> None:
        """A command button on a card (e.g. Schedule): the answer comes as a new message."""
        await ack()
        await self.ask(_button_question(client, body, action, DO_PREFIX, replace=False))

    async def on_link(self, ack: Callable[..., Awaitable[Any]]) -> None:
        """URL buttons open in the browser; Slack still reports the click, which needs an ack only."""
        await ack()

    async def ask(self, question: Question) -> None:
        """Queue a question for the answering workers; when the queue is full, say so at once."""
        queue = self._question_queue()
        try:
            queue.put_nowait(question)
        except asyncio.QueueFull:
            self.turned_away += 1
            if self.turned_away % TURNED_AWAY_LOG_EVERY == 1:  # a flood must not become a flood of log lines
                log.warning("question backlog full (%d waiting); %d questions turned away so far",
                            queue.maxsize, self.turned_away)
            await self._say(question.client, question.place, BUSY_TEXT)

    def _question_queue(self) -> asyncio.Queue[Question]:
        if self._questions is None:
            self._questions = asyncio.Queue(maxsize=self.backlog)
            self._workers = [asyncio.ensure_future(self._answer_questions(self._questions))
                             for _ in range(self.worker_count)]
        return self._questions

    async def _answer_questions(self, queue: asyncio.Queue[Question]) -> None:
        while True:
            question = await queue.get()
            try:
                await self._answer(question)
            except Exception:
                log.exception("answering %s in %s failed", question.place.user, question.place.channel)
                await self._say(question.client, question.place, "Sorry, something went wrong on my side while "
                                                                 "answering that. Please try again.")
            finally:
                queue.task_done()

    async def _answer(self, question: Question) -> None:
        """Ask the core with the message as plain text (Slack's mentions, links and entities rendered)."""
        client, place = question.client, question.place
        try:
            person = await self.identities.person(client, place.team_id, place.user)
        except IdentityError as exc:
            await self._say(client, place, str(exc))
            return
        if question.command is not None:
            reply = await self.core.choose(person, question.command, question.value or "")
        else:
            text = slack_text(question.text or "")
            # Only a scheduling request uses attached files (a CV): don't download them for anything else.
            wanted = question.files if question.files and parse(text).name == IntentName.SCHEDULE else ()
            files, problems = await self.files.fetch_all(wanted, client.token, self.http_session)
            message = IncomingMessage(text=text, sender=person, room=place.room, platform="slack", files=files)
            reply = await self.core.handle(message)
            if problems and reply.intent == IntentName.SCHEDULE:
                await self._say(client, place, unreadable_files_note(problems, any_read=bool(files)))
        await self.deliver(client, place, reply, person, replace=question.replace)

    def _duplicate(self, body: dict[str, Any]) -> bool:
        """Slack redelivers an event it thinks failed; answer each event id once."""
        event_id = body.get("event_id")
        if not event_id:
            return False
        if event_id in self._seen_events:
            return True
        self._seen_events[event_id] = None
        if len(self._seen_events) > SEEN_EVENTS_KEPT:
            self._seen_events.popitem(last=False)
        return False

    # ---------------------------------------------------------------- delivery

    async def deliver(self, client: AsyncWebClient, place: Place, reply: Reply, person: Person | None = None,
                      *, replace: bool = False) -> None:
        """Send a reply where it belongs; if Slack refuses it, log why and apologise instead of going quiet."""
        message = render_reply(reply)
        private = reply.private and not place.is_direct and not await self._sharing_allowed(person)
        try:
            await self._send(client, place, message, private=private, replace=replace)
        except (SlackApiError, HirebotError) as exc:
            error = _slack_error(exc)
            log.error("Slack refused a reply (intent=%s, channel=%s, user=%s): %s", reply.intent, place.channel,
                      place.user, error)
            await self._say(client, place, "Sorry, Slack wouldn't let me post that answer here "
                                           f"({error or 'unknown error'}). Please try again in a moment.")

    async def _sharing_allowed(self, person: Person | None) -> bool:
        if person is None:
            return False
        return bool(await asyncio.to_thread(self.directory.workspace_setting, person.workspace_id,
                                            SHARE_SETTING, False))

    async def _send(self, client: AsyncWebClient, place: Place, message: SlackMessage, *, private: bool,
                    replace: bool) -> None:
        if place.response_url and (replace or not place.is_direct):
            await _respond(place.response_url, message, replace=replace, session=self.http_session)
        elif place.is_direct or not private:
            await client.chat_postMessage(channel=place.channel or place.user, thread_ts=place.reply_ts,
                                          **message.as_kwargs())
        else:
            # Ephemeral: only the asker sees it. Inside a thread it stays in that thread.
            await client.chat_postEphemeral(channel=place.channel or place.user, user=place.user,
                                            thread_ts=place.thread_ts, **message.as_kwargs())

    async def _say(self, client: AsyncWebClient, place: Place, text: str) -> None:
        """A short note of our own to the asker only; failures are logged, there is nowhere else to turn."""
        message = text_message(text)
        try:
            await self._send(client, place, message, private=True, replace=False)
        except (SlackApiError, HirebotError) as exc:
            log.error("could not tell %s in %s: %r (%s)", place.user, place.channel, text, exc)

    # ---------------------------------------------------------------- App Home

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        await self.publish_home(client, body.get("team_id"), event["user"])

    async def publish_home(self, client: AsyncWebClient, team_id: str | None, user_id: str) -> None:
        try:
            person = await self.identities.person(client, team_id, user_id)
            infos = await asyncio.to_thread(self.connections.list_for, person)
            await client.views_publish(user_id=user_id, view=home_view(self.providers, infos, person))
        except IdentityError as exc:
            await self._publish_notice(client, user_id, str(exc))
        except SlackApiError as exc:
            log.error("could not publish the Home tab for %s: %s", user_id, _slack_error(exc))

    async def _publish_notice(self, client: AsyncWebClient, user_id: str, text: str) -> None:
        try:
            await client.views_publish(user_id=user_id, view={"type": "home", "blocks": text_message(text).blocks})
        except SlackApiError as exc:
            log.error("could not publish the Home tab notice for %s: %s", user_id, _slack_error(exc))

    async def on_home_add(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                          action: dict[str, Any], client: AsyncWebClient) -> None:
        """Add: open the provider's modal at once (the trigger id expires after 3 s)."""
        await ack()
        team_id, user_id = _team(body), body["user"]["id"]
        try:
            spec = provider_spec(str(action.get("value")))
            person = await self.identities.person(client, team_id, user_id)
            view = connect_modal(spec, allow_org=person.is_admin)
        except HirebotError as exc:
            view = _notice_modal(str(exc))
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:
            log.error("could not open the Add modal for %s: %s", user_id, _slack_error(exc))
            await self._dm(client, user_id, "Sorry, I couldn't open that form. Please click Add again.")

    async def on_home_remove(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                             action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        team_id, user_id = _team(body), body["user"]["id"]
        try:
            person = await self.identities.person(client, team_id, user_id)
            await asyncio.to_thread(self.connections.remove, person, int(str(action.get("value"))))
        except (HirebotError, ValueError) as exc:
            await self._dm(client, user_id, f"I couldn't remove that connection: {exc}")
        await self.publish_home(client, team_id, user_id)

    async def on_connect_submit(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                                view: dict[str, Any], client: AsyncWebClient) -> None:
        """Check the credentials with the ATS (slow, so after the ack), save, then sync in the background."""
        form = read_connect_form(view)
        try:
            spec = provider_spec(form.provider)
        except HirebotError as exc:
            await ack(response_action="update", view=_notice_modal(str(exc)))
            return
        blanks = blank_required_fields(spec, form)
        if blanks:
            await ack(response_action="errors", errors=blanks)
            return
        await ack(response_action="update", view=checking_modal(spec))
        team_id, user_id = _team(body), body["user"]["id"]
        try:
            person = await self.identities.person(client, team_id, user_id)
            scope = form.scope if (spec.org_scope_allowed and person.is_admin) else "user"
            info = await self.connections.connect(person, spec.name, form.values, scope=scope)
        except HirebotError as exc:
            retry = connect_modal(spec, allow_org=form.scope_offered, error=str(exc), values=form.values,
                                  scope=form.scope)
            await self._update_view(client, view, retry)
            return
        except Exception:
            log.exception("connecting %s for %s failed", spec.name, user_id)
            retry = connect_modal(spec, allow_org=form.scope_offered, values=form.values, scope=form.scope,
                                  error="Something went wrong on my side while checking those credentials. "
                                        "Please try again.")
            await self._update_view(client, view, retry)
            return
        await self._update_view(client, view, connected_modal(spec, info))
        self.spawn(self._first_sync(client, team_id, user_id, info))
        await self.publish_home(client, team_id, user_id)

    async def _first_sync(self, client: AsyncWebClient, team_id: str | None, user_id: str,
                          info: ConnectionInfo) -> None:
        try:
            summary = await self.connections.sync(info.id, full=True)
        except HirebotError as exc:
            await self._dm(client, user_id, f"The first {info.label} sync didn't finish: {exc}")
        except Exception:
            log.exception("first sync of connection %s failed", info.id)
            await self._dm(client, user_id, f"The first {info.label} sync failed on my side. I'll keep trying "
                                            "with the regular syncs; the Home tab shows the latest error.")
        else:
            await self._dm(client, user_id, f"{info.label} is synced: {summary.created:,} candidates added, "
                                            f"{summary.updated:,} updated, {summary.deleted:,} removed. "
                                            "Ask me \"who is <name>?\" any time.")
        await self.publish_home(client, team_id, user_id)

    async def _update_view(self, client: AsyncWebClient, view: dict[str, Any], new_view: dict[str, Any]) -> bool:
        """Replace an open modal; False (logged) when Slack refuses, e.g. because the user closed it."""
        try:
            await client.views_update(view_id=view["id"], view=new_view)
        except SlackApiError as exc:
            log.error("could not update modal %s: %s", view.get("id"), _slack_error(exc))
            return False
        return True

    async def _dm(self, client: AsyncWebClient, user_id: str, text: str) -> None:
        """A message in the app's DM with the user (posting to a user id needs chat:write only)."""
        try:
            await client.chat_postMessage(channel=user_id, **text_message(text).as_kwargs())
        except SlackApiError as exc:
            log.error("could not DM %s: %r (%s)", user_id, text, _slack_error(exc))

    # ---------------------------------------------------------------- the scheduling modal

    async def on_schedule_edit(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                               action: dict[str, Any], client: AsyncWebClient) -> None:
        """Edit details on a proposal: open the modal pre-filled from its draft (the trigger id lasts 3 s)."""
        await ack()
        team_id, user_id = _team(body), body["user"]["id"]
        try:
            draft = ScheduleDraft.from_json(str(action.get("value") or ""))
            person = await self.identities.person(client, team_id, user_id)
            zone = await asyncio.to_thread(self.zones.zone_for, person)
            intake = await self._intake_choices(person, draft)
            view = schedule_modal(form_from_draft(draft, ZoneInfo(zone), intake), ModalContext(draft, zone),
                                  intake=intake)
        except HirebotError as exc:
            view = notice_modal(str(exc))
        except ValueError:
            view = notice_modal("This proposal is too long to edit here. Shorten the title, location or "
                                "attendee list and ask again.")
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:
            log.error("could not open the schedule modal for %s: %s", user_id, _slack_error(exc))
            await self._dm(client, user_id, "Sorry, I couldn't open that form. Please click Edit details again.")

    async def on_schedule_submit(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                                 view: dict[str, Any], client: AsyncWebClient) -> None:
        """Check the form at once (problems show next to their fields), then send the request after the ack."""
        try:
            form, context = read_schedule_form(view)
        except HirebotError as exc:
            await ack(response_action="update", view=notice_modal(str(exc)))
            return
        errors = form_errors(form, today=self.now().astimezone(context.tz).date())
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack(response_action="update", view=sending_modal())
        team_id, user_id = _team(body), body["user"]["id"]
        try:
            await self._send_edited(client, Place(team_id=team_id, user=user_id, channel=user_id, is_direct=True),
                                    view, form, context)
        except Exception:
            log.exception("sending an edited meeting request for %s failed", user_id)
            await self._form_problem(client, Place(team_id=team_id, user=user_id, channel=user_id, is_direct=True),
                                     view, form, context,
                                     "Something went wrong on my side while sending that. Please try again.")

    async def _send_edited(self, client: AsyncWebClient, place: Place, view: dict[str, Any], form: ScheduleForm,
                           context: ModalContext) -> None:
        try:
            person = await self.identities.person(client, place.team_id, place.user)
        except IdentityError as exc:
            await self._update_view(client, view, notice_modal(str(exc)))
            return
        emails, problems = await slack_people_emails(client, form.people)
        if problems:
            await self._form_problem(client, place, view, form, context, " ".join(problems), person)
            return
        reply = await self.core.choose(person, SEND, edited_draft(context, form, emails).to_json())
        if reply.extra.get("meeting_id") is None:  # the core said why it could not send
            await self._form_problem(client, place, view, form, context, reply.text, person)
            return
        await self._update_view(client, view, notice_modal("Sent. The meeting is in our direct messages, with "
                                                           "buttons to reschedule or cancel it."))
        await self.deliver(client, place, reply, person)

    async def _form_problem(self, client: AsyncWebClient, place: Place, view: dict[str, Any], form: ScheduleForm,
                            context: ModalContext, problem: str, person: Person | None = None) -> None:
        """Show the form again, as filled in, with the problem on top; by DM if the modal was closed."""
        context = context.keeping(form)
        intake = None
        if context.draft.intake_id is not None:
            try:
                person = person or await self.identities.person(client, place.team_id, place.user)
                intake = await self._intake_choices(person, context.draft)
            except HirebotError as exc:
                # Drawn without "Add to"; what was picked there stays in the form's draft.
                log.warning("could not read where to add the person for %s's form: %s", place.user, exc)
        if not await self._update_view(client, view, schedule_modal(form, context, intake=intake, error=problem)):
            await self._dm(client, place.user, problem)

    async def _intake_choices(self, person: Person, draft: ScheduleDraft) -> IntakeChoices | None:
        """Where someone in no ATS yet can be added, for the form; None for a candidate already in an ATS.

        Raises IntakeError when the proposal was already sent or has expired."""
        if draft.intake_id is None or self.intakes is None:
            return None
        return await asyncio.to_thread(read_intake_choices, self.intakes, person, draft.intake_id)

    # ---------------------------------------------------------------- background work

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every queued question is answered and background work (first syncs) is done."""
        while True:
            if self._questions is not None:
                await self._questions.join()
            if not self._tasks:
                return
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel_background(self) -> None:
        """At shutdown: stop answering and stop first syncs still running (scheduled syncs pick those up)."""
        pending = [*self._tasks, *self._workers]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._workers = []
        self._questions = None
        self.core.close()


def _slack_error(exc: Exception) -> str:
    """Slack's error code (e.g. `channel_not_found`) for logs and apologies."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error") or exc.response.status_code)
    return str(exc)


def _team(body: dict[str, Any]) -> str | None:
    return (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")


def _interaction_place(body: dict[str, Any]) -> Place:
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    thread_ts = container.get("thread_ts") or message.get("thread_ts")
    # A normal message of ours in a D channel is in hirebot's own DM; an ephemeral one may be in anyone's DM.
    direct = _is_direct(channel) and not container.get("is_ephemeral")
    return Place(team_id=_team(body), user=body["user"]["id"], channel=channel, is_direct=direct,
                 thread_ts=thread_ts, reply_ts=thread_ts, response_url=body.get("response_url"))


def _notice_modal(text: str) -> dict[str, Any]:
    return {"type": "modal", "callback_id": CONNECT_CALLBACK, "title": {"type": "plain_text", "text": "hirebot"},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": text_message(text).blocks}


async def _respond(response_url: str, message: SlackMessage, *, replace: bool,
                   session: aiohttp.ClientSession | None = None) -> None:
    """Answer through the interaction's response_url (ephemeral unless it replaces the original)."""
    response = await AsyncWebhookClient(url=response_url, session=session).send(
        text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=replace)
    if response.status_code != 200:
        raise HirebotError(f"response_url answered {response.status_code}: {response.body}")


# ------------------------------------------------------------------------------------------ wiring


def build_slack_app(settings: Settings, sessions: sessionmaker[Session], assistant: Assistant,
                    directory: Directory, connections: ConnectionService, *,
                    client: AsyncWebClient | None = None, secret_box: SecretBox | None = None,
                    engine: Engine | None = None, clock: Callable[[], float] = time.monotonic,
                    sleep: Sleep = asyncio.sleep, core_processes: int = 0,
                    now: Callable[[], datetime] = utcnow) -> AsyncApp:
    """The Bolt app with every listener registered; its `conversation` attribute holds the listener object
    and `bot_tokens` what the meeting notifier posts with.

    `core_processes` > 0 answers questions in that many separate processes (see ProcessCore); 0 uses
    `assistant` on a thread of this process. `now` is the wall clock (the scheduling modal's "today").
    """
    mode = slack_mode(settings)
    if mode is None:
        raise ConfigError("Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN).")
    if client is None:
        client = make_web_client(settings, token=None if mode.multi_workspace else settings.slack_bot_token,
                                 sleep=sleep)
    oauth_settings = authorize = None
    if mode.multi_workspace:
        oauth_settings = _oauth_settings(settings, sessions, secret_box, engine)
        authorize = _installation_authorize(oauth_settings, client)
    app = AsyncApp(
        name="hirebot",
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=mode.serve_http_events,
        oauth_settings=oauth_settings,
        authorize=authorize,  # type: ignore[arg-type]  # Bolt accepts an AsyncAuthorize instance here too
        installation_store_bot_only=True if mode.multi_workspace else None,
        logger=logging.getLogger("hirebot.slack.bolt"),
    )
    identities = SlackIdentities(directory, multi_workspace=mode.multi_workspace, clock=clock)
    core: CoreRunner = ProcessCore(settings, core_processes) if core_processes > 0 else ThreadedCore(assistant)
    conversation = SlackConversation(core, directory, connections, identities,
                                     zones=OrganizerZones(sessions, secret_box), now=now,
                                     files=FileFetcher(mode.api_url),
                                     intakes=assistant.scheduling.intakes if assistant.scheduling else None)
    register_listeners(app, conversation, multi_workspace=mode.multi_workspace)
    app.conversation = conversation  # type: ignore[attr-defined]
    app.bot_tokens = (BotTokens(client, authorize=authorize) if authorize is not None  # type: ignore[attr-defined]
                      else BotTokens(client, token=settings.slack_bot_token))
    return app


def _oauth_settings(settings: Settings, sessions: sessionmaker[Session], secret_box: SecretBox | None,
                    engine: Engine | None) -> AsyncOAuthSettings:
    if secret_box is None:
        raise ConfigError("Multi-workspace Slack needs hirebot's secret key to encrypt the workspace tokens.")
    bound = engine or sessions.kw.get("bind")
    if not isinstance(bound, Engine):
        raise ConfigError("Multi-workspace Slack needs the database engine to store installations.")
    assert settings.slack_client_id and settings.slack_client_secret
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(REQUIRED_BOT_SCOPES),
        redirect_uri=f"{settings.public_url}{REDIRECT_PATH}",
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=DatabaseInstallationStore(settings.slack_client_id, bound, secret_box),
        state_store=DatabaseOAuthStateStore(bound),
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=120,
    )


def _installation_authorize(oauth_settings: AsyncOAuthSettings, client: AsyncWebClient
                            ) -> AsyncInstallationStoreAuthorize:
    """Bolt's default authorize rotates tokens through slack.com whatever the client says; this one uses
    our client (HIREBOT_SLACK_API_URL, retries) and caches auth.test per token instead of calling it per event."""
    assert oauth_settings.installation_store is not None
    return AsyncInstallationStoreAuthorize(
        logger=logging.getLogger("hirebot.slack.bolt"),
        installation_store=oauth_settings.installation_store,
        client_id=oauth_settings.client_id,
        client_secret=oauth_settings.client_secret,
        token_rotation_expiration_minutes=oauth_settings.token_rotation_expiration_minutes,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )


def register_listeners(app: AsyncApp, conversation: SlackConversation, *, multi_workspace: bool) -> None:
    """Every Slack listener hirebot has; the events come from SUBSCRIBED_EVENTS so the manifest can be checked."""
    event_handlers: dict[str, Callable[..., Awaitable[None]]] = {
        "app_home_opened": conversation.on_home_opened,
        "app_mention": conversation.on_mention,
        "message.im": conversation.on_message,
    }
    if multi_workspace:
        app.enable_token_revocation_listeners()  # deletes the workspace's stored tokens
    else:
        event_handlers["app_uninstalled"] = _log_uninstall
        event_handlers["tokens_revoked"] = _log_uninstall
    for name in SUBSCRIBED_EVENTS:
        handler = event_handlers.get(name)
        if handler is not None:
            # Bolt knows "message.im" as "message"; on_message keeps only DMs.
            app.event(name.split(".", 1)[0])(handler)
    app.command(SLASH_COMMAND)(conversation.on_command)
    app.action(_prefixed(PICK_PREFIX))(conversation.on_pick)
    app.action(_prefixed(DO_PREFIX))(conversation.on_do)
    app.action(_prefixed(LINK_PREFIX))(conversation.on_link)
    app.action(ADD_ACTION)(conversation.on_home_add)
    app.action(REMOVE_ACTION)(conversation.on_home_remove)
    app.view(CONNECT_CALLBACK)(conversation.on_connect_submit)
    app.action(EDIT_ACTION)(conversation.on_schedule_edit)
    app.view(SCHEDULE_CALLBACK)(conversation.on_schedule_submit)
    app.error(_log_error)


def _prefixed(prefix: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(prefix))


async def _log_uninstall(event: dict[str, Any], body: dict[str, Any]) -> None:
    log.warning("Slack reports %s for team %s; with a fixed SLACK_BOT_TOKEN there is nothing stored to delete.",
                event.get("type"), body.get("team_id"))


async def _log_error(error: Exception, body: dict[str, Any]) -> None:
    log.error("unhandled error in a Slack listener (type=%s, team=%s): %r", body.get("type"),
              body.get("team_id") or (body.get("team") or {}).get("id"), error, exc_info=error)


def slack_routes(app: AsyncApp, *, serve_events: bool = True) -> list[web.RouteDef]:
    """aiohttp routes for one shared server: POST /slack/events, and the OAuth pages in multi-workspace mode."""

    async def events(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    routes = [web.post(EVENTS_PATH, events)] if serve_events else []
    flow = app.oauth_flow
    if flow is not None:
        async def install(request: web.Request) -> web.StreamResponse:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def callback(request: web.Request) -> web.StreamResponse:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        routes += [web.get(flow.install_path, install), web.get(flow.redirect_uri_path, callback)]
    return routes


class SlackFrontEnd:
    """What `hirebot run` mounts and starts: routes on its aiohttp server, plus Socket Mode when configured."""

    def __init__(self, app: AsyncApp, mode: SlackMode, settings: Settings) -> None:
        self.app = app
        self.mode = mode
        self.settings = settings
        self._socket: Any = None
        self._http: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # where Web API calls run; the notifier posts there

    @classmethod
    def from_settings(cls, settings: Settings, sessions: sessionmaker[Session], assistant: Assistant,
                      directory: Directory, connections: ConnectionService, *,
                      secret_box: SecretBox | None = None, engine: Engine | None = None,
                      core_processes: int = 1) -> SlackFrontEnd | None:
        """None when Slack is not configured; ConfigError (saying what to set) when it is half configured.

        By default questions are answered in one separate core process (ProcessCore), which keeps acks
        fast under load; `core_processes=0` answers with `assistant` on a thread of this process instead.
        """
        mode = slack_mode(settings)
        if mode is None:
            return None
        app = build_slack_app(settings, sessions, assistant, directory, connections, secret_box=secret_box,
                              engine=engine, core_processes=core_processes)
        return cls(app, mode, settings)

    @property
    def conversation(self) -> SlackConversation:
        return self.app.conversation  # type: ignore[attr-defined]

    def routes(self) -> list[web.RouteDef]:
        return slack_routes(self.app, serve_events=self.mode.serve_http_events)

    def describe(self) -> list[str]:
        return self.mode.describe(self.settings.public_url)

    def notifier(self) -> SlackNotifier:
        """The ChatNotifier for `Scheduling.set_notifier`: meeting notices as DMs to the organizer, with
        Reschedule and Cancel buttons. It can be made before `start`; notices wait for Slack until then
        (the job is retried)."""
        return SlackNotifier(self.conversation.directory.sessions, self.app.client,
                             self.app.bot_tokens,  # type: ignore[attr-defined]
                             lambda: self._loop, multi_workspace=self.mode.multi_workspace)

    async def start(self) -> None:
        """Share one HTTP connection pool for Web API calls; connect Socket Mode when SLACK_APP_TOKEN is set."""
        self._loop = asyncio.get_running_loop()
        # Without a shared session slack_sdk opens a new session and connection for every call.
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEB_API_TIMEOUT_SECONDS))
        self.app.client.session = self._http
        self.conversation.http_session = self._http
        if not self.mode.socket_mode:
            return
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        self._socket = AsyncSocketModeHandler(self.app, app_token=self.settings.slack_app_token,
                                              web_client=self.app.client)
        await self._socket.connect_async()

    async def close(self) -> None:
        self._loop = None  # notices from now on wait for the next start (their jobs are retried)
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        await self.conversation.cancel_background()
        if self._http is not None:
            self.app.client.session = None
            self.conversation.http_session = None
            await self._http.close()
            self._http = None
