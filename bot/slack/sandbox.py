"""A fake Slack, both ways, for tests, benchmarks and trying hirebot without a Slack workspace.

`FakeSlackApi` is an aiohttp server that answers the Web API methods hirebot uses the way Slack does
(`{"ok": true, ...}`, `{"ok": false, "error": ...}`, HTTP 429 with `Retry-After`) and records every
call, including posts to `response_url`s and file downloads. It also hosts files attached to messages
(`upload_file`), served from their `url_private(_download)` only to a valid bearer token, as Slack does.
`SlackRequests` builds what Slack sends to hirebot: signed Events API, slash command and interactivity
requests.

Run it alone with `python -m bot.slack.sandbox --port 3100`, then start hirebot with
`HIREBOT_SLACK_API_URL=http://127.0.0.1:3100/api/`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Handler = Callable[[JsonDict], JsonDict]

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
RESPONSE_URL_METHOD = "response_url"
SOCKET_ACK_METHOD = "socket_ack"  # what the app sent back over a Socket Mode connection
FILE_DOWNLOAD_METHOD = "file_download"  # a GET of a hosted file's url_private(_download)


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake received: Web API method (or `response_url`), its arguments, and the token."""

    method: str
    args: JsonDict
    token: str | None = None
    received_at: float = field(default_factory=time.monotonic)  # comparable across processes on one machine

    @property
    def blocks(self) -> list[JsonDict]:
        return list(self.args.get("blocks") or [])


@dataclass
class _Planned:
    error: str | None
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class FakeUser:
    id: str
    email: str | None
    name: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    tz: str = "Europe/Berlin"
    team_id: str | None = None  # another workspace's user (e.g. through Slack Connect)

    def to_json(self, team_id: str) -> JsonDict:
        profile: JsonDict = {"real_name": self.name, "display_name": self.name}
        if self.email:
            profile["email"] = self.email
        return {"id": self.id, "team_id": self.team_id or team_id, "name": self.name.lower().replace(" ", "."),
                "real_name": self.name, "tz": self.tz, "is_admin": self.is_admin, "is_owner": self.is_owner,
                "is_bot": self.is_bot, "deleted": False, "profile": profile}


@dataclass(frozen=True)
class FakeFile:
    """A file someone attached to a message, hosted by the fake."""

    id: str
    name: str
    mimetype: str
    data: bytes = field(repr=False)
    user: str = "U0UPLOADER"
    created: int = 1_700_000_000


@dataclass
class FakeSlackApi:
    """The Slack Web API as far as hirebot uses it, on loopback, recording every call."""

    team_id: str = "T0HIREBOT"
    team_name: str = "Hirebot Sandbox"
    bot_user_id: str = "U0HIREBOT"
    bot_id: str = "B0HIREBOT"
    app_id: str = "A0HIREBOT"
    token_rotation: bool = True
    calls: list[RecordedCall] = field(default_factory=list)
    users: dict[str, FakeUser] = field(default_factory=dict)
    revoked_tokens: set[str] = field(default_factory=set)
    base_url: str | None = None
    files: dict[str, FakeFile] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._planned: dict[str, list[_Planned]] = {}
        self._changed = asyncio.Condition()
        self._serial = itertools.count(1)
        self._used_triggers: set[str] = set()
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "conversations.open": self._conversations_open,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_open,
            "views.publish": self._views_publish,
            "oauth.v2.access": self._oauth_v2_access,
            "apps.connections.open": self._apps_connections_open,
        }
        self._sockets: list[web.WebSocketResponse] = []

    # ------------------------------------------------------------------ set-up and inspection

    def add_user(self, user_id: str, *, email: str | None, name: str, is_admin: bool = False,
                 is_owner: bool = False, is_bot: bool = False, tz: str = "Europe/Berlin",
                 team_id: str | None = None) -> FakeUser:
        user = FakeUser(user_id, email, name, is_admin=is_admin, is_owner=is_owner, is_bot=is_bot, tz=tz,
                        team_id=team_id)
        self.users[user_id] = user
        return user

    def fail(self, method: str, error: str, *, status: int = 200, times: int = 1) -> None:
        """The next `times` calls to `method` answer `{"ok": false, "error": error}` with HTTP `status`."""
        self._planned.setdefault(method, []).append(_Planned(error, status, None, times))

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls to `method` get HTTP 429 with `Retry-After: retry_after`, as Slack sends."""
        self._planned.setdefault(method, []).append(_Planned("ratelimited", 429, retry_after, times))

    def upload_file(self, name: str, data: bytes, *, mimetype: str = "application/pdf",
                    user: str = "U0UPLOADER") -> JsonDict:
        """Host a file as if `user` had attached it; returns the file object Slack puts in the message event."""
        if self.base_url is None:
            raise RuntimeError("start the fake (or serve web_app()) before uploading files")
        hosted = FakeFile(f"F{next(self._serial):08d}", name, mimetype, data, user)
        self.files[hosted.id] = hosted
        return self.file_object(hosted)

    def file_object(self, hosted: FakeFile) -> JsonDict:
        """Slack's file object (the fields a message event carries for a hosted file)."""
        base = f"{self.base_url}/files-pri/{self.team_id}-{hosted.id}"
        quoted = quote(hosted.name, safe="")
        filetype = PurePosixPath(hosted.name).suffix.lstrip(".").lower() or "binary"
        return {"id": hosted.id, "created": hosted.created, "timestamp": hosted.created, "name": hosted.name,
                "title": hosted.name, "mimetype": hosted.mimetype, "filetype": filetype,
                "pretty_type": filetype.upper(), "user": hosted.user, "user_team": self.team_id, "editable": False,
                "size": len(hosted.data), "mode": "hosted", "is_external": False, "external_type": "",
                "is_public": False, "public_url_shared": False, "display_as_bot": False, "username": "",
                "url_private": f"{base}/{quoted}",
                "url_private_download": f"{base}/download/{quoted}",
                "permalink": f"https://hirebot-sandbox.slack.com/files/{hosted.user}/{hosted.id}/{quoted}",
                "has_rich_preview": False}

    def fail_download(self, *, status: int = 403, times: int = 1) -> None:
        """The next `times` file downloads answer HTTP `status` (a 200 is Slack's HTML sign-in page)."""
        self._planned.setdefault(FILE_DOWNLOAD_METHOD, []).append(_Planned(None, status, None, times))

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method]

    def methods_called(self) -> set[str]:
        return {c.method for c in self.calls
                if c.method not in (RESPONSE_URL_METHOD, SOCKET_ACK_METHOD, FILE_DOWNLOAD_METHOD)}

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until `method` has been called `count` times (hirebot does slow work after the ack)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.calls_to(method)) >= count), timeout)
        return self.calls_to(method)

    def response_url(self, key: str = "1") -> str:
        if self.base_url is None:
            raise RuntimeError("start the fake (or serve web_app()) before asking for a response_url")
        return f"{self.base_url}/responses/{key}"

    @property
    def api_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the fake is not serving yet")
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ serving

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/responses/{key}", self._response_url)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/files-pri/{key}/download/{name}", self._file)
        app.router.add_get("/files-pri/{key}/{name}", self._file)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on loopback; returns the base URL (the Web API is under `/api/`)."""
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.base_url = f"http://{bound[0]}:{bound[1]}"
        return self.base_url

    async def close(self) -> None:
        await self.close_sockets()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _record(self, call: RecordedCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        if log.isEnabledFor(logging.INFO):  # formatting every call's arguments costs more than serving it
            log.info("fake slack <- %s %s", call.method, _short(call.args))

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(RecordedCall(RESPONSE_URL_METHOD, {"key": request.match_info["key"], **body}))
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _read_args(request)
        token = _bearer(request)
        await self._record(RecordedCall(method, args, token))
        planned = self._take_planned(method)
        if planned is not None:
            headers = {"Retry-After": str(planned.retry_after)} if planned.retry_after is not None else {}
            return web.json_response({"ok": False, "error": planned.error}, status=planned.status, headers=headers)
        handler = self._handlers.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        auth_error = self._auth_error(method, token, request)
        if auth_error:
            return web.json_response({"ok": False, "error": auth_error})
        return web.json_response(handler(args))

    async def _file(self, request: web.Request) -> web.Response:
        """A hosted file, for a valid bearer token only (a missing, unknown or revoked token gets 403)."""
        token = _bearer(request)
        team, _, file_id = request.match_info["key"].partition("-")
        await self._record(RecordedCall(FILE_DOWNLOAD_METHOD, {"file": file_id, "path": request.path}, token))
        hosted = self.files.get(file_id)
        if hosted is None or team != self.team_id or request.match_info["name"] != hosted.name:
            return web.Response(status=404, text="File not found")
        planned = self._take_planned(FILE_DOWNLOAD_METHOD)
        if planned is not None and planned.status == 200:
            return web.Response(text=SIGN_IN_PAGE, content_type="text/html")
        if planned is not None:
            return web.Response(status=planned.status, text="Forbidden")
        if not token or self._auth_error(FILE_DOWNLOAD_METHOD, token, request):
            return web.Response(status=403, text="Forbidden")
        disposition = "attachment" if "/download/" in request.path else "inline"
        filename = quote(hosted.name, safe="")
        return web.Response(body=hosted.data, content_type=hosted.mimetype,
                            headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{filename}"})

    def _take_planned(self, method: str) -> _Planned | None:
        queue = self._planned.get(method) or []
        if not queue:
            return None
        planned = queue[0]
        planned.remaining -= 1
        if planned.remaining <= 0:
            queue.pop(0)
        return planned

    def _auth_error(self, method: str, token: str | None, request: web.Request) -> str | None:
        if method == "oauth.v2.access":
            has_client = request.headers.get("Authorization", "").startswith("Basic ")
            return None if has_client else "invalid_client_id"
        if not token:
            return "not_authed"
        if method == "apps.connections.open":
            return None if token.startswith("xapp-") else "not_allowed_token_type"
        if token in self.revoked_tokens:
            return "token_revoked"
        if not token.startswith(("xoxb-", "xoxp-", "xoxe.xoxb-", "xoxe.xoxp-")):
            return "invalid_auth"
        return None

    # ------------------------------------------------------------------ methods

    def _next_ts(self) -> str:
        n = next(self._serial)
        return f"{1_700_000_000 + n}.{n:06d}"

    def _auth_test(self, _args: JsonDict) -> JsonDict:
        return {"ok": True, "url": "https://hirebot-sandbox.slack.com/", "team": self.team_name,
                "user": "hirebot", "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "is_enterprise_install": False}

    def _users_info(self, args: JsonDict) -> JsonDict:
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user.to_json(self.team_id)}

    def _users_lookup_by_email(self, args: JsonDict) -> JsonDict:
        """As Slack documents it: `email` is required, matched without regard to case, among this team's
        members (users.lookupByEmail needs users:read.email); anyone else is `users_not_found`."""
        email = str(args.get("email") or "").strip().lower()
        if not email:
            return {"ok": False, "error": "invalid_arguments"}
        for user in self.users.values():
            if user.email and user.email.lower() == email and user.team_id in (None, self.team_id):
                return {"ok": True, "user": user.to_json(self.team_id)}
        return {"ok": False, "error": "users_not_found"}

    def _message_error(self, args: JsonDict) -> str | None:
        if not args.get("channel"):
            return "channel_not_found"
        blocks = args.get("blocks")
        if not args.get("text") and not blocks:
            return "no_text"
        if blocks is not None and (not isinstance(blocks, list) or len(blocks) > MESSAGE_BLOCK_LIMIT
                                   or any(not isinstance(b, dict) or "type" not in b for b in blocks)):
            return "invalid_blocks"
        return None

    def _chat_post_message(self, args: JsonDict) -> JsonDict:
        error = self._message_error(args)
        if error:
            return {"ok": False, "error": error}
        ts = self._next_ts()
        channel = str(args["channel"])
        if channel.startswith("U"):  # Slack posts to the app's DM with that user
            channel = "D" + channel[1:]
        message = {"type": "message", "text": args.get("text", ""), "user": self.bot_user_id, "ts": ts,
                   "bot_id": self.bot_id}
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, args: JsonDict) -> JsonDict:
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        error = self._message_error(args)
        if error:
            return {"ok": False, "error": error}
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, args: JsonDict) -> JsonDict:
        if not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        error = self._message_error(args)
        return {"ok": False, "error": error} if error else {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _conversations_open(self, args: JsonDict) -> JsonDict:
        users = str(args.get("users", ""))
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}

    def _view_error(self, view: Any) -> str | None:
        if not isinstance(view, dict) or "type" not in view:
            return "invalid_arguments"
        if len(view.get("blocks") or []) > VIEW_BLOCK_LIMIT:
            return "invalid_arguments"
        return None

    def _view_result(self, view: JsonDict, view_id: str | None = None) -> JsonDict:
        view_id = view_id or f"V{next(self._serial):08d}"
        return {"ok": True, "view": {**view, "id": view_id, "hash": f"{time.time_ns()}.{view_id}",
                                     "team_id": self.team_id, "app_id": self.app_id}}

    def _views_open(self, args: JsonDict) -> JsonDict:
        trigger = str(args.get("trigger_id", ""))
        if not trigger:
            return {"ok": False, "error": "invalid_trigger_id"}
        if trigger in self._used_triggers:
            return {"ok": False, "error": "exchanged_trigger_id"}
        error = self._view_error(args.get("view"))
        if error:
            return {"ok": False, "error": error}
        self._used_triggers.add(trigger)
        return self._view_result(args["view"])

    def _views_update(self, args: JsonDict) -> JsonDict:
        if not args.get("view_id") and not args.get("external_id"):
            return {"ok": False, "error": "not_found"}
        error = self._view_error(args.get("view"))
        return {"ok": False, "error": error} if error else self._view_result(args["view"], args.get("view_id"))

    def _views_publish(self, args: JsonDict) -> JsonDict:
        if not args.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        view = args.get("view")
        error = self._view_error(view)
        if error or view.get("type") != "home":  # type: ignore[union-attr]
            return {"ok": False, "error": error or "invalid_arguments"}
        return self._view_result(view)  # type: ignore[arg-type]

    def _apps_connections_open(self, _args: JsonDict) -> JsonDict:
        if self.base_url is None:
            return {"ok": False, "error": "internal_error"}
        return {"ok": True, "url": "ws" + self.base_url[len("http"):] + f"/socket?ticket={next(self._serial)}"}

    # ------------------------------------------------------------------ Socket Mode

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """A Socket Mode connection: `hello`, then envelopes pushed by `send_envelope`; acks are recorded."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "connection_info": {"app_id": self.app_id},
                            "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600}})
        async with self._changed:
            self._sockets.append(ws)
            self._changed.notify_all()
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._record(RecordedCall(SOCKET_ACK_METHOD, json.loads(message.data)))
        finally:
            self._sockets.remove(ws)
        return ws

    async def wait_for_socket(self, timeout: float = 5.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._sockets)), timeout)

    async def send_envelope(self, envelope_type: str, payload: JsonDict, *,
                            accepts_response_payload: bool = False) -> str:
        """Push an envelope (events_api, slash_commands, interactive) to the connected app; returns its id."""
        if not self._sockets:
            raise RuntimeError("no Socket Mode connection; start the app and wait_for_socket() first")
        envelope_id = f"envelope-{next(self._serial)}"
        await self._sockets[-1].send_json({"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                                           "accepts_response_payload": accepts_response_payload,
                                           "retry_attempt": 0, "retry_reason": ""})
        return envelope_id

    async def close_sockets(self) -> None:
        for ws in list(self._sockets):
            await ws.close()

    def _oauth_v2_access(self, args: JsonDict) -> JsonDict:
        n = next(self._serial)
        if args.get("grant_type") == "refresh_token":
            if not str(args.get("refresh_token", "")).startswith("xoxe-1-"):
                return {"ok": False, "error": "invalid_refresh_token"}
            self.revoked_tokens.add(str(args["refresh_token"]))
            return {"ok": True, "token_type": "bot", "access_token": f"xoxe.xoxb-1-rotated-{n}",
                    "refresh_token": f"xoxe-1-refresh-{n}", "expires_in": 43200,
                    "team": {"id": self.team_id, "name": self.team_name}, "enterprise": None,
                    "is_enterprise_install": False}
        if not args.get("code"):
            return {"ok": False, "error": "invalid_code"}
        answer: JsonDict = {
            "ok": True, "app_id": self.app_id, "authed_user": {"id": "U0INSTALLER"},
            "scope": str(args.get("scope", "")), "token_type": "bot",
            "access_token": f"xoxb-installed-{n}", "bot_user_id": self.bot_user_id,
            "team": {"id": self.team_id, "name": self.team_name}, "enterprise": None,
            "is_enterprise_install": False,
        }
        if self.token_rotation:
            answer["access_token"] = f"xoxe.xoxb-1-installed-{n}"
            answer["refresh_token"] = f"xoxe-1-refresh-{n}"
            answer["expires_in"] = 43200
        return answer


async def _read_args(request: web.Request) -> JsonDict:
    args: JsonDict = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                args.update(body)
        else:
            args.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    for key in ("blocks", "view", "attachments"):
        if isinstance(args.get(key), str):  # form-encoded calls carry JSON as a string, as Slack accepts
            with contextlib.suppress(ValueError):
                args[key] = json.loads(args[key])
    return args


SIGN_IN_PAGE = "<!DOCTYPE html><html><head><title>Sign in | Slack</title></head><body>Sign in</body></html>"


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip() or None
    if "token" in request.query:
        return request.query["token"]
    return None


def _short(args: JsonDict) -> str:
    text = json.dumps(args, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:299] + "…"


# ------------------------------------------------------------------------------------ Slack -> hirebot


@dataclass
class SlackRequests:
    """Builds signed requests as Slack sends them to `/slack/events`."""

    signing_secret: str
    team_id: str = "T0HIREBOT"
    api_app_id: str = "A0HIREBOT"
    clock: Callable[[], float] = time.time
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def headers(self, body: bytes, content_type: str, *, timestamp: int | None = None,
                signature: str | None = None) -> dict[str, str]:
        ts = int(self.clock()) if timestamp is None else timestamp
        signed = SignatureVerifier(self.signing_secret).generate_signature(timestamp=str(ts), body=body) or ""
        return {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": signature if signature is not None else signed}

    def event(self, event: JsonDict, *, event_id: str | None = None) -> tuple[bytes, str]:
        n = next(self._serial)
        body = {"token": "unused", "team_id": self.team_id, "api_app_id": self.api_app_id, "event": event,
                "type": "event_callback", "event_id": event_id or f"Ev{n:010d}",
                "event_time": int(self.clock()), "authorizations": [
                    {"team_id": self.team_id, "user_id": "U0HIREBOT", "is_bot": True, "enterprise_id": None,
                     "is_enterprise_install": False}]}
        return json.dumps(body).encode(), "application/json"

    def url_verification(self, challenge: str) -> tuple[bytes, str]:
        body = {"token": "unused", "challenge": challenge, "type": "url_verification"}
        return json.dumps(body).encode(), "application/json"

    def direct_message(self, user: str, text: str, *, channel: str = "D0DIRECT",
                       files: list[JsonDict] | None = None) -> tuple[bytes, str]:
        """A DM; with `files` (file objects, e.g. from FakeSlackApi.upload_file) it is a `file_share` message."""
        n = next(self._serial)
        event: JsonDict = {"type": "message", "channel_type": "im", "channel": channel, "user": user,
                           "text": text, "ts": f"{1_700_000_000 + n}.000100", "team": self.team_id}
        if files:
            event.update(subtype="file_share", files=files, upload=True, display_as_bot=False, bot_id=None)
        return self.event(event)

    def mention(self, user: str, text: str, *, channel: str = "C0GENERAL",
                thread_ts: str | None = None, files: list[JsonDict] | None = None) -> tuple[bytes, str]:
        n = next(self._serial)
        event: JsonDict = {"type": "app_mention", "channel": channel, "user": user,
                           "text": f"<@U0HIREBOT> {text}", "ts": f"{1_700_000_000 + n}.000200",
                           "team": self.team_id}
        if thread_ts:
            event["thread_ts"] = thread_ts
        if files:
            event.update(files=files, upload=True)
        return self.event(event)

    def slash_command(self, user: str, text: str, *, response_url: str, channel: str = "C0GENERAL",
                      command: str = "/hirebot") -> tuple[bytes, str]:
        form = {"token": "unused", "team_id": self.team_id, "team_domain": "sandbox", "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "general",
                "user_id": user, "user_name": user.lower(), "command": command, "text": text,
                "api_app_id": self.api_app_id, "response_url": response_url,
                "trigger_id": f"trigger.{next(self._serial)}"}
        return urlencode(form).encode(), "application/x-www-form-urlencoded"

    def interaction(self, payload: JsonDict) -> tuple[bytes, str]:
        payload = {"team": {"id": self.team_id, "domain": "sandbox"}, "api_app_id": self.api_app_id,
                   "token": "unused", **payload}
        return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"

    def block_action(self, user: str, action: JsonDict, *, channel: str | None = None,
                     response_url: str | None = None, container: JsonDict | None = None,
                     view: JsonDict | None = None) -> tuple[bytes, str]:
        payload: JsonDict = {"type": "block_actions", "user": {"id": user, "team_id": self.team_id},
                             "actions": [{"action_ts": str(self.clock()), **action}],
                             "trigger_id": f"trigger.{next(self._serial)}",
                             "container": container or {}}
        if channel:
            payload["channel"] = {"id": channel}
        if response_url:
            payload["response_url"] = response_url
        if view is not None:
            payload["view"] = view
        return self.interaction(payload)

    def view_submission(self, user: str, view: JsonDict) -> tuple[bytes, str]:
        payload = {"type": "view_submission", "user": {"id": user, "team_id": self.team_id},
                   "trigger_id": f"trigger.{next(self._serial)}", "view": view}
        return self.interaction(payload)


async def _serve(host: str, port: int) -> None:
    fake = FakeSlackApi()
    fake.add_user("U0SANDBOX", email="recruiter@example.com", name="Sandbox Recruiter", is_admin=True)
    url = await fake.start(host, port)
    print(f"Fake Slack Web API at {url}/api/ (user U0SANDBOX = recruiter@example.com). Ctrl-C stops it.")
    print(f"Start hirebot with HIREBOT_SLACK_API_URL={url}/api/ and any SLACK_BOT_TOKEN starting with xoxb-.")
    try:
        await asyncio.Event().wait()
    finally:
        await fake.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a fake Slack Web API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3100)
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(options.host, options.port))


if __name__ == "__main__":
    main()
