"""The Bot Connector REST API as hirebot uses it: replies, proactive sends, card updates, opening a 1:1 chat,
and member lookups, each under the serviceUrl the activity came from (its path kept, e.g. `/amer/`).

Calls carry a bearer token from the Entra client-credentials endpoint (HIREBOT_TEAMS_TOKEN_URL), cached until
shortly before it expires and fetched by one caller at a time. HTTP 429 and 5xx are retried a few times
(honouring Retry-After); what still fails becomes ConnectorError, whose `retryable` tells the caller whether
to try again later.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from bot.frontend.protocol import ChatDeliveryError
from bot.teams.config import TeamsConfig

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
MAX_RETRY_AFTER_SECONDS = 30.0  # a longer wait is the caller's to schedule
TOKEN_MARGIN_SECONDS = 300.0  # refresh this long before the token expires
REQUEST_TIMEOUT_SECONDS = 30.0
RETRYABLE_STATUSES = frozenset({412, 429, 500, 502, 503, 504})

JsonDict = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]


class ConnectorError(ChatDeliveryError):
    """A Bot Connector (or token) call failed; `retryable` says whether trying again later may work."""

    def __init__(self, message: str, retryable: bool = False, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, retryable=retryable)
        self.status = status
        self.retry_after = retry_after


class Connector:
    """Talks to the Bot Connector for one bot registration (see the module docstring)."""

    def __init__(self, config: TeamsConfig, *, client: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._config = config
        self._client = client or httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS)
        self._owns_client = client is None
        self._clock = clock
        self._sleep = sleep
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    @property
    def bot_id(self) -> str:
        """The bot's id in Teams conversations."""
        return f"28:{self._config.app_id}"

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    # ------------------------------------------------------------------ the operations

    async def reply(self, activity: Mapping[str, Any], payload: JsonDict) -> str:
        """Post `payload` as a reply to `activity` in its conversation (a channel reply lands in its thread)."""
        conversation = activity.get("conversation")
        conversation_id = conversation.get("id") if isinstance(conversation, Mapping) else None
        activity_id = activity.get("id")
        service_url = activity.get("serviceUrl")
        if not (isinstance(conversation_id, str) and isinstance(activity_id, str) and isinstance(service_url, str)):
            raise ConnectorError("the activity has no serviceUrl, conversation or id to reply to")
        body: JsonDict = {"type": "message", **payload}
        defaults = {"from": activity.get("recipient"), "recipient": activity.get("from"),
                    "conversation": conversation, "replyToId": activity_id, "channelId": activity.get("channelId")}
        for key, value in defaults.items():
            if value is not None:
                body.setdefault(key, value)
        url = _conversations_url(service_url, conversation_id, "activities", activity_id)
        return _resource_id(await self._call("POST", url, body, "reply"))

    async def send(self, service_url: str, conversation_id: str, payload: JsonDict) -> str:
        """Post `payload` into a conversation (proactively); returns the new activity's id."""
        body: JsonDict = {"type": "message", **payload}
        body.setdefault("conversation", {"id": conversation_id})
        url = _conversations_url(service_url, conversation_id, "activities")
        return _resource_id(await self._call("POST", url, body, "send a message"))

    async def update(self, service_url: str, conversation_id: str, activity_id: str, payload: JsonDict) -> None:
        """Replace an activity the bot posted (e.g. a card whose buttons have been used)."""
        body: JsonDict = {"type": "message", **payload, "id": activity_id}
        url = _conversations_url(service_url, conversation_id, "activities", activity_id)
        await self._call("PUT", url, body, "update a message")

    async def open_personal_chat(self, service_url: str, user_id: str, tenant_id: str) -> str:
        """The id of the bot's 1:1 chat with `user_id` (29: or AAD object id), created if needed."""
        body: JsonDict = {"isGroup": False, "bot": {"id": self.bot_id}, "members": [{"id": user_id}],
                          "tenantId": tenant_id, "channelData": {"tenant": {"id": tenant_id}}}
        answer = await self._call("POST", _conversations_url(service_url), body, "open a 1:1 chat")
        conversation_id = answer.get("id")
        if not isinstance(conversation_id, str) or not conversation_id:
            raise ConnectorError("Teams opened no 1:1 chat (its answer had no conversation id).", retryable=True)
        return conversation_id

    async def member(self, service_url: str, conversation_id: str, member_id: str) -> JsonDict:
        """A conversation member's account: id, name, aadObjectId, email, userPrincipalName (when Teams has them)."""
        url = _conversations_url(service_url, conversation_id, "members", member_id)
        return await self._call("GET", url, None, "look up a member")

    # ------------------------------------------------------------------ HTTP with retries

    async def _call(self, method: str, url: str, body: JsonDict | None, what: str) -> JsonDict:
        refreshed = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            token = await self._bearer()
            try:
                response = await self._client.request(method, url, json=body,
                                                      headers={"Authorization": f"Bearer {token}"})
            except httpx.TransportError as exc:
                if attempt == MAX_ATTEMPTS:
                    raise ConnectorError(f"Teams could not be reached to {what} ({type(exc).__name__}).",
                                         retryable=True) from exc
                await self._sleep(float(attempt))
                continue
            if response.status_code == 401 and not refreshed:
                # The token may have been revoked or expired early; one fresh token, then give up.
                refreshed = True
                self._token = None
                continue
            if 200 <= response.status_code < 300:
                return _json_object(response)
            retry_after = _retry_after(response)
            retryable = response.status_code in RETRYABLE_STATUSES
            wait = retry_after if retry_after is not None else float(attempt)
            if retryable and attempt < MAX_ATTEMPTS and wait <= MAX_RETRY_AFTER_SECONDS:
                await self._sleep(wait)
                continue
            raise ConnectorError(f"Teams refused to {what}: HTTP {response.status_code}{_error_code(response)}.",
                                 retryable=retryable, status=response.status_code, retry_after=retry_after)
        raise ConnectorError(f"Teams refused to {what}: the bot's credentials were not accepted.", retryable=False,
                             status=401)

    async def _bearer(self) -> str:
        if self._token is not None and self._clock() < self._token_expires:
            return self._token
        async with self._token_lock:
            # Whoever waited for the lock finds the token the first caller fetched.
            if self._token is not None and self._clock() < self._token_expires:
                return self._token
            token, lifetime = await self._fetch_token()
            margin = min(TOKEN_MARGIN_SECONDS, lifetime / 2)
            self._token, self._token_expires = token, self._clock() + lifetime - margin
            return token

    async def _fetch_token(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials", "client_id": self._config.app_id,
                "client_secret": self._config.app_password, "scope": self._config.scope}
        try:
            response = await self._client.post(self._config.token_url, data=form)
        except httpx.TransportError as exc:
            raise ConnectorError(f"The Teams token endpoint could not be reached ({type(exc).__name__}).",
                                 retryable=True) from exc
        if response.status_code != 200:
            retryable = response.status_code in RETRYABLE_STATUSES
            code = _json_object(response).get("error") if _is_json(response) else None
            hint = "" if retryable else " Check TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_APP_TENANT_ID."
            raise ConnectorError(f"Microsoft refused the bot's token request: HTTP {response.status_code}"
                                 f"{f' ({str(code)[:64]})' if code else ''}.{hint}", retryable=retryable,
                                 status=response.status_code, retry_after=_retry_after(response))
        answer = _json_object(response)
        token, lifetime = answer.get("access_token"), answer.get("expires_in")
        try:
            seconds = float(lifetime) if lifetime is not None else 3600.0
        except (TypeError, ValueError):
            seconds = 3600.0
        if not isinstance(token, str) or not token:
            raise ConnectorError("Microsoft's token answer held no access token.", retryable=True)
        return token, max(seconds, 0.0)


def _conversations_url(service_url: str, *parts: str) -> str:
    """{serviceUrl}/v3/conversations[/part...], each part quoted whole (ids hold ':', '@' and ';')."""
    scheme = urlsplit(service_url).scheme
    if scheme not in ("http", "https"):
        raise ConnectorError("the activity's serviceUrl is not an http(s) URL", retryable=False)
    return service_url.rstrip("/") + "/v3/conversations" + "".join("/" + quote(p, safe="") for p in parts)


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "")


def _json_object(response: httpx.Response) -> JsonDict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _resource_id(answer: JsonDict) -> str:
    value = answer.get("id")
    return value if isinstance(value, str) else ""


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _error_code(response: httpx.Response) -> str:
    """ ` (Code)` from the connector's `{"error": {"code": ...}}`, if it sent one."""
    error = _json_object(response).get("error") if _is_json(response) else None
    code = error.get("code") if isinstance(error, dict) else None
    return f" ({str(code)[:64]})" if code else ""
