"""The check that an inbound request really comes from the Bot Framework, before anything in it is read.

Every POST to /api/messages carries `Authorization: Bearer <JWT>`: RS256, signed by a key published under the
OpenID metadata's `jwks_uri` (chosen by `kid`), issuer https://api.botframework.com, audience our app id,
unexpired, and a `serviceurl` claim equal to the activity's serviceUrl (so a token cannot send our replies, and
our bearer token, somewhere else). We check it with PyJWT ourselves rather than through an SDK (docs/teams.md
says why). The keys are fetched over HTTP and cached for hours; an unknown `kid` (Microsoft rotates keys)
refreshes them once, at most every few seconds, so a stream of forged tokens cannot hammer the key server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import jwt
from jwt.algorithms import RSAAlgorithm

from adapters.errors import HirebotError
from bot.teams.config import BOT_FRAMEWORK_ISSUER, TeamsConfig

log = logging.getLogger(__name__)

KEY_CACHE_SECONDS = 12 * 3600
UNKNOWN_KID_REFRESH_SECONDS = 5.0  # at most one unknown-kid refresh this often
UNKNOWN_KID_MEMORY_SECONDS = 300.0  # a kid still unknown after a refresh doesn't trigger another for this long
FAILED_FETCH_RETRY_SECONDS = 300.0  # with old keys in hand, a failed refresh is retried this much later
CLOCK_LEEWAY_SECONDS = 60
FETCH_TIMEOUT_SECONDS = 10.0


class Unauthorized(HirebotError):
    """The request is not from the Bot Framework (or can't be shown to be); `reason` is for the log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailable(Unauthorized):
    """The signing keys could not be fetched, so no token can be checked right now."""


class _SigningKeys:
    """The JWKS behind the OpenID metadata URL, cached, refreshed when old or when a new `kid` shows up."""

    def __init__(self, openid_url: str, client: httpx.AsyncClient, clock: Callable[[], float]) -> None:
        self._openid_url = openid_url
        self._client = client
        self._clock = clock
        self._keys: dict[str, tuple[Any, list[str] | None]] = {}
        self._fetched_at: float | None = None
        self._forced_at: float | None = None
        self._missing: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> tuple[Any, list[str] | None]:
        """The public key for `kid` and its endorsements (channel ids), or Unauthorized."""
        await self._fresh()
        if kid not in self._keys:
            async with self._lock:  # a refresh under way for the same new kid may bring it
                now = self._clock()
                if kid not in self._keys and self._may_force(kid, now):
                    self._forced_at = now
                    await self._refresh()
                    if kid not in self._keys:
                        self._missing[kid] = now
        found = self._keys.get(kid)
        if found is None:
            raise Unauthorized(f"token signed by unknown key {kid[:64]!r}")
        return found

    async def all(self) -> list[tuple[Any, list[str] | None]]:
        """Every published key (for a token that names none)."""
        await self._fresh()
        return list(self._keys.values())

    async def _fresh(self) -> None:
        """Fetch the keys if there are none yet or they are hours old."""
        seen = self._fetched_at
        if seen is None or self._clock() - seen > KEY_CACHE_SECONDS:
            async with self._lock:
                if self._fetched_at == seen:  # nobody refreshed while this request waited
                    await self._refresh()

    def _may_force(self, kid: str, now: float) -> bool:
        if self._forced_at is not None and now - self._forced_at < UNKNOWN_KID_REFRESH_SECONDS:
            return False
        missing_since = self._missing.get(kid)
        return missing_since is None or now - missing_since > UNKNOWN_KID_MEMORY_SECONDS

    async def _refresh(self) -> None:
        """Fetch the keys (the caller holds the lock); keep the old ones if the fetch fails."""
        try:
            self._keys = await self._fetch()
            self._missing.clear()
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("Teams: could not fetch the Bot Framework signing keys from %s: %s",
                        self._openid_url, exc)
            if not self._keys:
                raise KeysUnavailable("the Bot Framework signing keys could not be fetched") from exc
            # Keep the keys we have and try again in a few minutes, not on every request.
            self._fetched_at = self._clock() - KEY_CACHE_SECONDS + FAILED_FETCH_RETRY_SECONDS
            return
        self._fetched_at = self._clock()

    async def _fetch(self) -> dict[str, tuple[Any, list[str] | None]]:
        metadata = await self._get_json(self._openid_url)
        jwks_uri = metadata["jwks_uri"]
        if not isinstance(jwks_uri, str):
            raise ValueError("the OpenID metadata has no jwks_uri")
        jwks = await self._get_json(jwks_uri)
        keys: dict[str, tuple[Any, list[str] | None]] = {}
        for jwk in jwks["keys"]:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not isinstance(jwk.get("kid"), str):
                continue
            try:
                public_key = RSAAlgorithm.from_jwk(jwk)
            except (jwt.InvalidKeyError, ValueError, KeyError, TypeError):
                continue
            endorsements = jwk.get("endorsements")
            keys[jwk["kid"]] = (public_key, [str(e) for e in endorsements] if isinstance(endorsements, list)
                                else None)
        if not keys:
            raise ValueError("the key set holds no RSA keys")
        return keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        response = await self._client.get(url, timeout=FETCH_TIMEOUT_SECONDS)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return body


class InboundVerifier:
    """Checks the Bot Framework JWT on an inbound activity; `verify` returns its claims or raises Unauthorized."""

    def __init__(self, config: TeamsConfig, *, client: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._app_id = config.app_id
        self._clock = clock
        self._client = client or httpx.AsyncClient()
        self._owns_client = client is None
        self._keys = _SigningKeys(config.openid_url, self._client, clock)

    async def verify(self, authorization: str | None, activity: Mapping[str, Any]) -> dict[str, Any]:
        """The token's claims when `authorization` proves `activity` comes from the Bot Framework."""
        token = _bearer_token(authorization)
        if not isinstance(activity, Mapping):
            raise Unauthorized("the body is not an activity")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise Unauthorized("garbled token") from exc
        if header.get("alg") != "RS256":
            raise Unauthorized(f"token algorithm {str(header.get('alg'))[:16]!r} is not RS256")
        kid = header.get("kid")
        if isinstance(kid, str) and kid:
            candidates = [await self._keys.key(kid)]
        else:
            # No kid: only a published key can still verify it, so trying each of them is as safe.
            candidates = await self._keys.all()
        channel_id = activity.get("channelId")
        candidates = [(key, endorsements) for key, endorsements in candidates
                      if endorsements is None or not isinstance(channel_id, str) or not channel_id
                      or channel_id in endorsements]
        if not candidates:
            raise Unauthorized(f"signing key is not endorsed for channel {str(channel_id)[:32]!r}")
        claims = self._decode_with_any(token, [key for key, _ in candidates])
        service_url = activity.get("serviceUrl")
        claimed = claims.get("serviceurl")
        if not isinstance(service_url, str) or not isinstance(claimed, str) or not service_url:
            raise Unauthorized("token or activity carries no service URL")
        if claimed.rstrip("/") != service_url.rstrip("/"):
            raise Unauthorized("token's serviceurl differs from the activity's serviceUrl")
        return claims

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _decode_with_any(self, token: str, keys: list[Any]) -> dict[str, Any]:
        for public_key in keys[:-1]:
            try:
                return self._decode(token, public_key)
            except Unauthorized as exc:
                if not isinstance(exc.__cause__, jwt.InvalidSignatureError):
                    raise
        return self._decode(token, keys[-1])

    def _decode(self, token: str, public_key: Any) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, public_key, algorithms=["RS256"], audience=self._app_id, issuer=BOT_FRAMEWORK_ISSUER,
                leeway=CLOCK_LEEWAY_SECONDS, options={"require": ["exp", "iss", "aud"], "verify_iat": False},
                # PyJWT reads the time itself; our clock only matters to the key cache.
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized("token not valid yet") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("token is for another app") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("token issuer is not the Bot Framework") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthorized("bad token signature") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"invalid token: {type(exc).__name__}") from exc
        return claims


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("no Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized("Authorization is not a bearer token")
    return token
