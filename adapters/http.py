"""The resilient request layer every ATS adapter sends through.

ATS APIs are slow, rate-limited and occasionally down. This layer retries what is transient (with
bounded, jittered backoff and the server's own `Retry-After`), slows down before a rate window runs
dry so a well-behaved sync never sees a 429, never repeats a write that may already have been applied,
and turns every failure into one of the shared errors with a message that is safe to show a user.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from adapters.errors import AtsError, AuthError, MalformedResponse, RateLimited

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
# Failures where the request certainly never left this machine, so even a write may be sent again.
NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
)
TRANSIENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError,
)
MAX_DETAIL_CHARS = 300


def default_http_client() -> httpx.AsyncClient:
    """The HTTP client hirebot talks to ATS APIs and calendar feeds with, unless a test hands in its own:
    bounded timeouts, and no redirects (a redirect could carry credentials to another host)."""
    return httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0), follow_redirects=False)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Times are in seconds."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    timeout: float = 30.0
    # A longer Retry-After is handed back to the caller (RateLimited) instead of blocking a worker.
    max_retry_after: float = 120.0
    # Slow down when this many requests (or fewer) are left in the current rate window.
    rate_limit_reserve: int = 0
    # Never wait longer than this for a rate window, whatever a (possibly skewed) reset time says.
    max_rate_wait: float = 60.0
    # Reset times come rounded to whole seconds; arriving a little late beats arriving early.
    rate_reset_margin: float = 0.5
    # How long to wait after a 429 that says neither Retry-After nor a reset time (None: the backoff).
    rate_limit_wait: float | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


@dataclass(frozen=True)
class JsonReply:
    """A successful response with its body parsed and the pagination link picked out."""

    data: Any
    status: int
    headers: httpx.Headers
    next_url: str | None


class CredentialsRefused(AuthError):
    """An AuthError that keeps the provider's own explanation apart, so adapters can phrase advice."""

    def __init__(self, message: str, *, status: int, provider: str | None, detail: str) -> None:
        super().__init__(message, status=status, provider=provider)
        self.detail = detail


@dataclass
class _RateWindow:
    remaining: int | None = None
    limit: int | None = None
    reset_at: float | None = None


@dataclass
class _Attempt:
    """What the last failed attempt looked like, for the final error message."""

    status: int | None = None
    reason: str = ""
    retry_after: float | None = None
    history: list[str] = field(default_factory=list)


class AtsHttp:
    """Sends requests for one provider through an injected httpx.AsyncClient, retrying what is transient.

    Rate windows are tracked per `bucket` (by default the URL's host), because token endpoints are
    often metered apart from the API itself.
    """

    def __init__(self, client: httpx.AsyncClient, *, provider: str, display_name: str,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, clock: Clock = time.time,
                 rng: random.Random | None = None) -> None:
        self.client = client
        self.provider = provider
        self.display_name = display_name
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._windows: dict[str, _RateWindow] = {}
        self.requests_sent = 0

    async def request_json(self, method: str, url: str, **kwargs: Any) -> JsonReply:
        """`request`, then parse the body; a body that stays unreadable raises MalformedResponse.

        An idempotent request whose answer cannot be parsed (a truncated body) is tried again.
        """
        response, data = await self._send(method, url, parse=True, **kwargs)
        next_link = response.links.get("next", {}).get("url")
        return JsonReply(data=data, status=response.status_code, headers=response.headers, next_url=next_link)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one logical request, retrying transient failures; return the 2xx response or raise.

        Keyword arguments: params, headers, data, json, auth, idempotent, bucket. `idempotent` defaults
        from the method; a non-idempotent request is sent again only when the failure certainly happened
        before it was sent (connect errors) or the server said 429.
        """
        response, _ = await self._send(method, url, parse=False, **kwargs)
        return response

    async def _send(self, method: str, url: str, *, parse: bool, params: Mapping[str, Any] | None = None,
                    headers: Mapping[str, str] | None = None, data: Mapping[str, Any] | None = None,
                    json: Any = None, auth: tuple[str, str] | None = None, idempotent: bool | None = None,
                    bucket: str | None = None) -> tuple[httpx.Response, Any]:
        method = method.upper()
        repeatable = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        window_key = bucket or httpx.URL(url).host
        secrets = _secrets_in(headers, auth)
        last = _Attempt()
        for attempt in range(1, self.policy.max_attempts + 1):
            await self._respect_window(window_key)
            self.requests_sent += 1
            try:
                response = await self.client.request(
                    method, url, params=params, headers=headers, data=data, json=json,
                    auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth, timeout=self.policy.timeout)
            except httpx.TransportError as exc:
                wait = self._after_transport_error(exc, method, url, repeatable, attempt, last)
                await self._pause(wait, method, url, last.reason, attempt)
                continue
            self._observe_window(window_key, response.headers)
            if response.is_success:
                if not parse:
                    return response, None
                try:
                    return response, _json_body(response)
                except ValueError as exc:
                    if not repeatable or attempt >= self.policy.max_attempts:
                        raise MalformedResponse(
                            f"{self.display_name} sent a response we could not read (not valid JSON) "
                            f"for {_path(url)}.", provider=self.provider) from exc
                    last.status, last.reason = None, "unreadable body"
                    await self._pause(self._backoff(attempt), method, url, last.reason, attempt)
                    continue
            wait = self._after_error_status(response, method, url, repeatable, attempt, last, secrets)
            await self._pause(wait, method, url, last.reason, attempt)
        raise self._exhausted(last)  # unreachable: the last attempt raises from its handler

    def _after_transport_error(self, exc: httpx.TransportError, method: str, url: str, repeatable: bool,
                               attempt: int, last: _Attempt) -> float:
        """Decide whether a network failure is worth another try; return the wait or raise."""
        reason = _describe_transport_error(exc)
        if not isinstance(exc, TRANSIENT_ERRORS):
            raise AtsError(f"Could not talk to {self.display_name}: {reason}.", retryable=False,
                           provider=self.provider) from exc
        if not repeatable and not isinstance(exc, NOT_SENT_ERRORS):
            raise self.unanswered_write(exc, method) from exc
        last.status, last.reason, last.retry_after = None, reason, None
        last.history.append(reason)
        if attempt >= self.policy.max_attempts:
            raise self._exhausted(last) from exc
        return self._backoff(attempt)

    def unanswered_write(self, exc: httpx.TransportError, method: str) -> AtsError:
        """A write that got no answer: it may have been applied, so it is not to be repeated blindly."""
        return AtsError(
            f"{self.display_name} did not answer a {method} request ({_describe_transport_error(exc)}). It was "
            f"not sent again because it may already have been applied; check {self.display_name} before "
            "retrying.", retryable=False, provider=self.provider)

    def _after_error_status(self, response: httpx.Response, method: str, url: str, repeatable: bool,
                            attempt: int, last: _Attempt, secrets: Iterable[str]) -> float:
        """Decide what an error status means: a wait before the next attempt, or an exception."""
        status = response.status_code
        if status != 429 and status not in RETRYABLE_STATUSES:
            raise self._error_for(response, url, secrets)
        if status in RETRYABLE_STATUSES and not repeatable:
            raise AtsError(
                f"{self.display_name} answered {status} to a {method} request. It was not sent again "
                f"because it may already have been applied; check {self.display_name} before retrying.",
                status=status, retryable=False, provider=self.provider)
        retry_after = self._retry_after(response) if status in (429, 503) else None
        if status == 429 and retry_after is None:
            retry_after = self._reset_wait(response.headers)
        if status == 429 and retry_after is None:
            retry_after = self.policy.rate_limit_wait
        last.status, last.reason, last.retry_after = status, f"HTTP {status}", retry_after
        last.history.append(str(status))
        wait = retry_after if retry_after is not None else self._backoff(attempt)
        if wait > self.policy.max_retry_after:
            raise self._too_long(status, wait)
        if attempt >= self.policy.max_attempts:
            raise self._exhausted(last)
        return wait

    async def _pause(self, wait: float, method: str, url: str, reason: str, attempt: int) -> None:
        log.warning("%s %s %s failed (%s); attempt %d of %d, next in %.1fs", self.display_name, method,
                    _path(url), reason, attempt, self.policy.max_attempts, wait)
        await self._sleep(wait)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to an exponentially growing, capped ceiling."""
        ceiling = min(self.policy.max_delay, self.policy.base_delay * (2 ** (attempt - 1)))
        return self._rng.uniform(0, ceiling)

    def _too_long(self, status: int, wait: float) -> AtsError:
        if status == 429:
            return RateLimited(
                f"{self.display_name} asked us to wait {wait:.0f} seconds before the next request.",
                retry_after=wait, provider=self.provider)
        return AtsError(f"{self.display_name} is unavailable ({status}) and asked us to come back in "
                        f"{wait:.0f} seconds.", status=status, retryable=True, provider=self.provider)

    def _exhausted(self, last: _Attempt) -> AtsError:
        attempts = self.policy.max_attempts
        if last.status == 429:
            return RateLimited(
                f"{self.display_name} kept asking us to slow down (429) after {attempts} attempts.",
                retry_after=last.retry_after if last.retry_after is not None else self.policy.max_delay,
                provider=self.provider)
        if last.status is not None:
            return AtsError(f"{self.display_name} kept answering {last.status} after {attempts} attempts.",
                            status=last.status, retryable=True, provider=self.provider)
        return AtsError(f"Could not reach {self.display_name} after {attempts} attempts ({last.reason}).",
                        retryable=True, provider=self.provider)

    def _error_for(self, response: httpx.Response, url: str, secrets: Iterable[str]) -> AtsError:
        """Map a non-retryable error status to the shared exception with the provider's explanation."""
        status = response.status_code
        detail = _redact(provider_message(response), secrets)
        said = f": {detail}" if detail else ""
        name = self.display_name
        if status in (401, 403):
            what = "refused the credentials" if status == 401 else "denied access to"
            target = "" if status == 401 else f" {_path(url)}"
            return CredentialsRefused(f"{name} {what}{target} ({status}){said}.", status=status,
                                      provider=self.provider, detail=detail)
        if status == 404:
            return AtsError(f"{name} has no such record ({_path(url)}, 404){said}.", status=404,
                            provider=self.provider)
        if 300 <= status < 400:
            return AtsError(f"{name} answered with an unexpected redirect ({status}).", status=status,
                            provider=self.provider)
        if status >= 500:
            return AtsError(f"{name} failed with an unexpected server error ({status}){said}.", status=status,
                            retryable=False, provider=self.provider)
        return AtsError(f"{name} rejected the request ({status}){said}.", status=status, provider=self.provider)

    def _retry_after(self, response: httpx.Response) -> float | None:
        return parse_retry_after(response.headers.get("Retry-After"), now=self._clock())

    def _reset_wait(self, headers: httpx.Headers) -> float | None:
        reset_at = self._reset_at(headers)
        if reset_at is None:
            return None
        return min(max(reset_at - self._clock(), 0.0) + self.policy.rate_reset_margin,
                   self.policy.max_rate_wait)

    def _reset_at(self, headers: httpx.Headers) -> float | None:
        raw = _first_header(headers, "X-RateLimit-Reset", "X-Rate-Limit-Reset")
        value = _number(raw)
        if value is None:
            return None
        # Providers disagree: epoch milliseconds, epoch seconds, or seconds left in the window.
        if value > 1e12:
            return value / 1000.0
        if value > 1e8:
            return value
        return self._clock() + value

    def _observe_window(self, key: str, headers: httpx.Headers) -> None:
        remaining = _number(_first_header(headers, "X-RateLimit-Remaining", "X-Rate-Limit-Remaining"))
        if remaining is None:
            return
        window = self._windows.setdefault(key, _RateWindow())
        window.remaining = int(remaining)
        limit = _number(_first_header(headers, "X-RateLimit-Limit", "X-Rate-Limit-Limit"))
        window.limit = int(limit) if limit is not None else window.limit
        window.reset_at = self._reset_at(headers)

    async def _respect_window(self, key: str) -> None:
        """Wait for the rate window to reset when it is (nearly) spent, then count this request against it."""
        window = self._windows.get(key)
        if window is None or window.remaining is None:
            return
        reserve = self.policy.rate_limit_reserve
        if window.limit is not None:
            reserve = min(reserve, max(window.limit - 1, 0))
        if window.remaining <= reserve and window.reset_at is not None:
            wait = window.reset_at - self._clock()
            if wait > 0:
                wait = min(wait + self.policy.rate_reset_margin, self.policy.max_rate_wait)
                log.info("%s rate window spent; waiting %.1fs for it to reset", self.display_name, wait)
                await self._sleep(wait)
            # The window has turned over; the next response tells us where we stand.
            window.remaining = None
            return
        # Count this request now, so requests sent before any answer arrives respect the window too.
        window.remaining -= 1


def _json_body(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta seconds or an HTTP-date (RFC 9110)."""
    if value is None or not value.strip():
        return None
    seconds = _number(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - now, 0.0)


def provider_message(response: httpx.Response) -> str:
    """The provider's own explanation from a JSON error body (`message`, `errors`, OAuth `error`)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    parts: list[str] = []
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            parts.extend(_error_texts(body.get(key)))
        parts.extend(_error_texts(body.get("errors")))
    elif isinstance(body, list):
        parts.extend(_error_texts(body))
    unique = list(dict.fromkeys(part for part in parts if part))
    if not unique:
        return ""
    text = unique[0] if len(unique) == 1 else f"{unique[0]}: {'; '.join(unique[1:])}"
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"


def _error_texts(value: Any) -> list[str]:
    """Flatten the shapes providers use for errors: strings, {message, field}, {field: message}, lists."""
    if isinstance(value, str):
        return [value.strip()]
    if isinstance(value, list):
        return [text for item in value for text in _error_texts(item)]
    if isinstance(value, dict):
        if "message" in value:
            message = " ".join(_error_texts(value.get("message")))
            field_name = value.get("field")
            return [f"{field_name}: {message}" if isinstance(field_name, str) and message else message]
        return [f"{key}: {' '.join(_error_texts(item))}" for key, item in value.items()]
    return []


def _secrets_in(headers: Mapping[str, str] | None, auth: tuple[str, str] | None) -> list[str]:
    """Strings that must never appear in a message, should a provider echo them back."""
    found: list[str] = []
    for name, value in (headers or {}).items():
        if name.lower() in ("authorization", "x-api-key", "api-key", "x-auth-token"):
            found.append(value)
            found.extend(part for part in value.split(" ")[1:] if part)
    if auth:
        found.extend(part for part in auth if part)
    return [secret for secret in found if len(secret) >= 6]


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


def _describe_transport_error(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection failed"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection dropped"
    return type(exc).__name__


def _first_header(headers: httpx.Headers, *names: str) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            return value
    return None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None


def _path(url: str) -> str:
    """The path alone: queries may hold filters with personal data, and never belong in logs."""
    return httpx.URL(url).path or "/"
