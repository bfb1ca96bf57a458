"""Slack's Web API client as hirebot uses it: HIREBOT_SLACK_API_URL honoured, 429s retried after
Retry-After (with an injectable sleep), dropped connections retried, and the bot token for a workspace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
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

from bot.frontend.protocol import ChatDeliveryError
from bot.slack.config import web_api_url
from store.settings import Settings

MAX_RATE_LIMIT_WAIT_SECONDS = 30.0
WEB_API_TIMEOUT_SECONDS = 30

Sleep = Callable[[float], Awaitable[None]]


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



def slack_error(exc: Exception) -> str:
    """Slack's error code (e.g. `channel_not_found`) for logs and apologies; the exception type otherwise."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error") or exc.response.status_code)
    return str(exc)


class BotTokens:
    """The bot token that may post in a hirebot user's Slack workspace."""

    def __init__(self, client: AsyncWebClient, *, token: str | None = None,
                 authorize: AsyncInstallationStoreAuthorize | None = None) -> None:
        if (token is None) == (authorize is None):
            raise ValueError("a fixed bot token (one workspace) or an installation store (OAuth), not both")
        self.client = client
        self.token = token
        self.authorize = authorize

    async def for_team(self, team_id: str | None) -> str:
        """The configured token in single-workspace mode; the team's installation (rotated when due) in OAuth."""
        if self.token is not None:
            return self.token
        assert self.authorize is not None
        context = AsyncBoltContext({"client": self.client, "is_enterprise_install": False})
        result = await self.authorize(context=context, enterprise_id=None, team_id=team_id, user_id=None)
        if result is None or not result.bot_token:
            raise ChatDeliveryError("hirebot is no longer installed in that Slack workspace.", retryable=False)
        return str(result.bot_token)
