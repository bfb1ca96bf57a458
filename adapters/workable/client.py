"""Workable's SPI v3 over adapters.http: the bearer token, `paging.next` followed as given, and refusals
turned into sentences that name the scope a token lacks.

Rate limits: account tokens get 10 requests per 10 s, and every answer carries X-Rate-Limit-Limit,
-Remaining and -Reset (the time the next window starts). adapters.http reads those headers and waits for
the reset once the window is spent, so a well-behaved sync never sees a 429; a 429 that comes anyway is
waited out until its reset time. All requests share one window (`BUCKET`), whatever host a `paging.next`
names, because Workable counts per client, not per host.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from adapters.errors import AtsError, AuthError, MalformedResponse
from adapters.http import AtsHttp, CredentialsRefused, JsonReply
from adapters.workable.fields import as_mapping, as_text
from adapters.workable.scopes import SCOPE_PURPOSE, TOKEN_ADVICE, scope_for

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # Workable's maximum `limit`
BUCKET = "workable"


class WorkableClient:
    """One access token's way to one Workable account's API."""

    def __init__(self, http: AtsHttp, *, base_url: str, token: str, subdomain: str | None) -> None:
        self.http = http
        self.base_url = base_url
        self.subdomain = subdomain
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> JsonReply:
        return await self._json("GET", self.url(path), path, params=params)

    async def post(self, path: str, body: Any, *, params: Mapping[str, Any] | None = None) -> JsonReply:
        """A write whose answer is JSON (creating a candidate)."""
        return await self._json("POST", self.url(path), path, params=params, json=body)

    async def post_action(self, path: str, body: Any) -> httpx.Response:
        """A write whose answer may be empty or plain text (a comment): the body is never parsed."""
        try:
            return await self.http.request("POST", self.url(path), json=body, headers=self._headers,
                                           bucket=BUCKET)
        except CredentialsRefused as exc:
            raise self.refused(exc, "POST", path) from exc

    async def pages(self, path: str, params: Mapping[str, Any], key: str) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a list: `{key: [...], "paging": {"next": URL}}`, following `next` as given until a
        page has none. A page without the list, or a `next` seen before, is unreadable."""
        url: str | None = self.url(path)
        query: Mapping[str, Any] | None = {**params, "limit": PAGE_SIZE}
        seen: set[str] = set()
        while url is not None:
            reply = await self._json("GET", url, path, params=query)
            found, following = page(reply, key, path)
            yield found
            if following is not None and following in seen:
                raise MalformedResponse(f"Workable sent the same next page twice for {path}.", provider="workable")
            if following is not None:
                seen.add(following)
            url, query = following, None

    async def _json(self, method: str, url: str, path: str, **kwargs: Any) -> JsonReply:
        try:
            return await self.http.request_json(method, url, headers=self._headers, bucket=BUCKET, **kwargs)
        except CredentialsRefused as exc:
            raise self.refused(exc, method, path) from exc

    def refused(self, exc: CredentialsRefused, method: str, path: str) -> AuthError:
        """A 401 (the token) or a 403 (the scope the request needs) as one sentence with what to do."""
        detail = f" ({exc.detail})" if exc.detail else ""
        if exc.status == 401:
            return AuthError(f"Workable refused the access token{detail}: check that it was copied whole and has "
                             "not expired or been revoked, and that the subdomain is the account's.",
                             status=401, provider="workable")
        scope = scope_for(method, path)
        return AuthError(f"Your Workable token lacks the {scope} scope, so hirebot cannot "
                         f"{SCOPE_PURPOSE.get(scope, 'do that')}{detail}. {TOKEN_ADVICE}", status=403,
                         provider="workable")


def page(reply: JsonReply, key: str, path: str) -> tuple[list[dict[str, Any]], str | None]:
    """(rows, the next page's URL or None) of one list answer."""
    body = reply.data
    found = body.get(key) if isinstance(body, dict) else None
    if not isinstance(found, list) or not all(isinstance(row, dict) for row in found):
        raise MalformedResponse(f"Workable sent a page we could not read for {path} (expected {key}: [...]).",
                                provider="workable")
    return found, as_text(as_mapping(body.get("paging")).get("next"))


def one(reply: JsonReply, key: str, what: str) -> dict[str, Any]:
    """The record a single-object answer carries under `key` (`{"candidate": {...}}`)."""
    body = reply.data
    record = body.get(key) if isinstance(body, dict) else None
    if not isinstance(record, dict):
        raise MalformedResponse(f"Workable sent a {what} answer we could not read.", provider="workable")
    return record


def not_found(exc: AtsError) -> bool:
    return exc.status == 404 and not isinstance(exc, AuthError)
