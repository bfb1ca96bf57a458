"""Zoho OAuth for a Self Client: access tokens minted from the refresh token, cached for their hour.

Zoho allows 30 live access tokens per refresh token and a handful of token requests a minute, so a token
is never minted per request: one cache per process holds each connection's token (keyed by accounts
server, client and refresh token, so a wrong secret never meets a good token) until shortly before it
expires, shared by every adapter instance of that connection, and concurrent callers wait for one
refresh instead of each making their own. A token the API refuses is dropped and replaced once.

The refresh is `POST {accounts}/oauth/v2/token` with grant_type=refresh_token. Zoho answers refusals with
HTTP 200 (or 400) and `{"error": "invalid_client"}` (wrong client id or secret, or a client of another
data center) or `{"error": "invalid_code"}` (a wrong, expired or revoked refresh token); both are turned
into one-line reasons here.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.errors import AtsError, AuthError, MalformedResponse, RateLimited
from adapters.http import NOT_SENT_ERRORS, AtsHttp, Clock, parse_retry_after
from adapters.zoho.regions import center_of_api_domain

TOKEN_PATH = "/oauth/v2/token"
EARLY_REFRESH = 300.0  # seconds before expiry a token is replaced, so a long sync never sends an expired one
DEFAULT_LIFETIME = 3600.0
SELF_CLIENT_HELP = ("In the Zoho API console (api-console.zoho.com, or your data center's), open the Self Client, "
                    "generate a grant code with the scopes hirebot needs and exchange it for a refresh token.")


@dataclass
class AccessToken:
    value: str
    expires_at: float
    api_domain: str | None


_TOKENS: dict[str, AccessToken] = {}
# One refresh lock per connection and event loop (a lock belongs to the loop it is first awaited in); keyed by
# the loop itself, weakly, so a new loop that happens to get an old one's id never meets its lock.
_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


def cache_key(accounts_url: str, client_id: str, client_secret: str, refresh_token: str) -> str:
    material = "\n".join((accounts_url.rstrip("/"), client_id, client_secret, refresh_token)).encode()
    return hashlib.sha256(material).hexdigest()


def forget_all_tokens() -> None:
    """Empty the process-wide token cache (tests that restart a fake on the same address)."""
    _TOKENS.clear()


class ZohoTokens:
    """One connection's access token: cached, refreshed once when due, dropped when refused."""

    def __init__(self, http: AtsHttp, *, accounts_url: str, client_id: str, client_secret: str,
                 refresh_token: str, data_center: str, clock: Clock) -> None:
        self.http = http
        self.accounts_url = accounts_url.rstrip("/")
        self._form = {"refresh_token": refresh_token, "client_id": client_id, "client_secret": client_secret,
                      "grant_type": "refresh_token"}
        self._secrets = [s for s in (client_secret, refresh_token) if len(s) >= 6]
        self.data_center = data_center
        self._clock = clock
        self.key = cache_key(self.accounts_url, client_id, client_secret, refresh_token)
        self.minted = 0  # token requests this instance made

    def _lock(self) -> asyncio.Lock:
        locks = _LOCKS.setdefault(asyncio.get_running_loop(), {})
        return locks.setdefault(self.key, asyncio.Lock())

    def cached(self) -> AccessToken | None:
        token = _TOKENS.get(self.key)
        return token if token is not None and token.expires_at > self._clock() else None

    async def token(self) -> AccessToken:
        current = self.cached()
        if current is not None:
            return current
        async with self._lock():
            current = self.cached()  # another caller may have refreshed while this one waited
            if current is None:
                current = await self._refresh()
                _TOKENS[self.key] = current
            return current

    def drop(self, value: str) -> None:
        """Forget a token the API refused (unless another caller already replaced it)."""
        current = _TOKENS.get(self.key)
        if current is not None and current.value == value:
            del _TOKENS[self.key]

    async def _refresh(self) -> AccessToken:
        url = self.accounts_url + "/oauth/v2/token"
        self.minted += 1
        self.http.requests_sent += 1
        try:
            # The reference documents the values as query parameters; they go in the form body too, which
            # Zoho equally accepts, so a token server reading either finds them.
            response = await self.http.client.post(url, params=self._form, data=self._form,
                                                   timeout=self.http.policy.timeout)
        except NOT_SENT_ERRORS as exc:
            raise AtsError(f"Could not reach the Zoho accounts server {self.accounts_url} ({type(exc).__name__}).",
                           retryable=True, provider="zoho") from exc
        except httpx.TransportError as exc:
            raise AtsError(f"The Zoho accounts server {self.accounts_url} did not answer ({type(exc).__name__}).",
                           retryable=True, provider="zoho") from exc
        return self._read(response)

    def _read(self, response: httpx.Response) -> AccessToken:
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"), now=self._clock()) or 60.0
            raise RateLimited("Zoho is refusing new access tokens for a while (too many requests).",
                              retry_after=wait, provider="zoho")
        if response.status_code >= 500:
            raise AtsError(f"The Zoho accounts server failed ({response.status_code}).", status=response.status_code,
                           retryable=True, provider="zoho")
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.status_code in (401, 403):
                raise AuthError(f"Zoho refused the client id, secret or refresh token ({response.status_code}). "
                                f"{SELF_CLIENT_HELP}", status=response.status_code, provider="zoho")
            raise MalformedResponse("The Zoho accounts server sent a token answer we could not read.",
                                    provider="zoho")
        error = body.get("error")
        if error or not response.is_success:
            raise self._refused(str(error or response.status_code), response.status_code)
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise MalformedResponse("The Zoho accounts server answered without an access token.", provider="zoho")
        lifetime = body.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else DEFAULT_LIFETIME
        api_domain = body.get("api_domain") if isinstance(body.get("api_domain"), str) else None
        return AccessToken(value, self._clock() + max(seconds - EARLY_REFRESH, seconds / 2), api_domain)

    def _refused(self, error: str, status: int) -> AtsError:
        code = error.strip().lower()
        for secret in self._secrets:
            code = code.replace(secret.lower(), "[redacted]")
        if code == "invalid_client":
            return AuthError(
                f"Zoho refused the client id or client secret (invalid_client). Check both in the API console, "
                f"and that the Self Client was made in the {self.data_center.upper()} data center "
                f"({self.accounts_url}); if not, reconnect with the right --data-center.", status=401,
                provider="zoho")
        if code in ("invalid_code", "invalid_grant", "invalid_token"):
            return AuthError(f"Zoho refused the refresh token ({code}): it is wrong, expired or revoked. "
                             f"{SELF_CLIENT_HELP}", status=401, provider="zoho")
        if "access denied" in code or "too many" in code:
            return RateLimited("Zoho is refusing new access tokens for a while (too many token requests).",
                               retry_after=60.0, provider="zoho")
        return AuthError(f"Zoho refused the token refresh ({code[:80]}). {SELF_CLIENT_HELP}", status=status or 401,
                         provider="zoho")


def wrong_center(api_domain: str | None, connection_center: str | None) -> str | None:
    """The data center a token belongs to, when it is not the one the connection talks to (else None)."""
    token_center = center_of_api_domain(api_domain)
    if token_center is None or connection_center is None or token_center == connection_center:
        return None
    return token_center
