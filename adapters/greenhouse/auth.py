"""OAuth client-credentials tokens for Harvest v3, one cache per acting user: v3 has no On-Behalf-Of
header, a write acts as its token's `sub`, so each acting user needs a token of their own."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from adapters.errors import AtsError, AuthError, MalformedResponse
from adapters.greenhouse.fields import as_id, as_time
from adapters.greenhouse.refusals import credentials_refused, refusal_reason
from adapters.http import AtsHttp, Clock

DEFAULT_AUTH_URL = "https://auth.greenhouse.io/token"
TOKEN_REFRESH_MARGIN = 60.0
DEFAULT_TOKEN_LIFETIME = 3600.0
ACTING_TOKEN_CACHE = 16


@dataclass(frozen=True)
class BearerToken:
    value: str = ""
    expires_at: float = 0.0


class GreenhouseTokens:
    """Client-credentials tokens, cached until a minute before expiry; concurrent callers share a refresh."""

    def __init__(self, http: AtsHttp, *, auth_url: str, client_id: str, client_secret: str,
                 user_id: str | None, clock: Clock) -> None:
        self._http = http
        self._auth_url = auth_url
        self._basic = (client_id, client_secret)
        self._user_id = user_id
        self._clock = clock
        self._token = BearerToken()
        self._lock = asyncio.Lock()
        self.issued = 0

    @property
    def user_id(self) -> str | None:
        """The Greenhouse user these tokens act as (None: Greenhouse's Integration Service User)."""
        return self._user_id

    async def current(self) -> str:
        if self._fresh(self._token):
            return self._token.value
        async with self._lock:
            if not self._fresh(self._token):
                self._token = await self._request_token()
            return self._token.value

    async def renew(self, rejected: str) -> str:
        """Replace a token the API refused, unless another caller already did."""
        async with self._lock:
            if self._token.value == rejected or not self._fresh(self._token):
                self._token = await self._request_token()
            return self._token.value

    def _fresh(self, token: BearerToken) -> bool:
        return bool(token.value) and self._clock() < token.expires_at - TOKEN_REFRESH_MARGIN

    async def _request_token(self) -> BearerToken:
        form = {"grant_type": "client_credentials"}
        if self._user_id:
            form["sub"] = self._user_id
        try:
            reply = await self._http.request_json("POST", self._auth_url, data=form, auth=self._basic,
                                                  idempotent=True, bucket="greenhouse-token")
        except AtsError as exc:
            if exc.status == 400 and self._user_id:
                raise AuthError(f"Greenhouse would not let hirebot act as user {self._user_id} "
                                f"({refusal_reason(exc)}): check that this Greenhouse user id exists and is "
                                "active.",
                                status=400,
                                provider="greenhouse") from exc
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                raise credentials_refused(exc) from exc
            raise
        self.issued += 1
        return self._parse(reply.data)

    def _parse(self, body: Any) -> BearerToken:
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse("Greenhouse answered the token request without an access token.",
                                    provider="greenhouse")
        now = self._clock()
        expires_at = as_time(body.get("expires_at"))
        if expires_at is not None:
            return BearerToken(token, expires_at.timestamp())
        lifetime = body.get("expires_in")
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0:
            return BearerToken(token, now + float(lifetime))
        return BearerToken(token, now + DEFAULT_TOKEN_LIFETIME)


class ActingTokens:
    """The connection's own tokens (for its `user_id`), and a few cached per other acting user."""

    def __init__(self, http: AtsHttp, *, auth_url: str, client_id: str, client_secret: str,
                 user_id: str | None, clock: Clock) -> None:
        self._http = http
        self._auth_url = auth_url
        self._client = (client_id, client_secret)
        self._clock = clock
        self.own = self._new_tokens(user_id)
        self._acting: OrderedDict[str, GreenhouseTokens] = OrderedDict()

    def for_user(self, acting_user_id: str | None) -> GreenhouseTokens:
        """Tokens are per `sub`: the connection's own, or a cached one per acting user."""
        sub = as_id(acting_user_id)
        if sub is None or sub == self.own.user_id:
            return self.own
        tokens = self._acting.pop(sub, None) or self._new_tokens(sub)
        self._acting[sub] = tokens
        while len(self._acting) > ACTING_TOKEN_CACHE:
            self._acting.popitem(last=False)
        return tokens

    def actor(self, acting_user_id: str | None) -> str | None:
        """The Greenhouse user a write is made as: the acting user, else the connection's own."""
        return as_id(acting_user_id) or self.own.user_id

    def _new_tokens(self, user_id: str | None) -> GreenhouseTokens:
        client_id, client_secret = self._client
        return GreenhouseTokens(self._http, auth_url=self._auth_url, client_id=client_id,
                                client_secret=client_secret, user_id=user_id, clock=self._clock)
