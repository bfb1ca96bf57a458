"""Harvest v3 requests over adapters.http: each with the acting user's bearer token (renewed once on a
401), list pages followed through the Link header without leaving the API host, and write refusals
reported with what hirebot was trying to do."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx

from adapters.errors import AtsError, AuthError, MalformedResponse
from adapters.greenhouse.auth import ActingTokens
from adapters.greenhouse.refusals import credentials_refused, refusal_reason, scope_refused
from adapters.http import AtsHttp, CredentialsRefused, JsonReply

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://harvest.greenhouse.io"
PAGE_SIZE = 500
IDS_PER_REQUEST = 50  # Harvest v3 caps `ids` and `*_ids` filters at 50 values


class HarvestClient:
    """One Greenhouse connection's way to Harvest: its API root, its HTTP layer and its tokens."""

    def __init__(self, http: AtsHttp, base_url: str, tokens: ActingTokens) -> None:
        self.http = http
        self.base_url = base_url
        self.tokens = tokens

    async def pages(self, path: str, filters: dict[str, Any]) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a list; follow-ups send only the cursor URL from the Link header, as given."""
        reply = await self.get(self.url(path), {**filters, "per_page": PAGE_SIZE})
        seen_links: set[str] = set()
        while True:
            yield page_rows(reply, path)
            link = reply.next_url
            if not link:
                return
            if link in seen_links:
                raise MalformedResponse(f"Greenhouse repeated a page link while listing {path}.",
                                        provider="greenhouse")
            seen_links.add(link)
            self._check_link(link, path)
            reply = await self.get(link, None)

    async def get(self, url: str, params: dict[str, Any] | None) -> JsonReply:
        return await self.call("GET", url, params=params)

    async def call(self, method: str, url: str, *, params: dict[str, Any] | None = None, body: Any = None,
                   acting_user_id: str | None = None) -> JsonReply:
        """One request with the acting user's bearer token; on a 401 get a new token once and try again
        (safe for writes too: a refused token means nothing was applied)."""
        tokens = self.tokens.for_user(acting_user_id)
        token = await tokens.current()
        try:
            return await self.http.request_json(method, url, params=params, json=body, headers=_bearer(token))
        except CredentialsRefused as exc:
            if exc.status != 401:
                raise scope_refused(exc, method, url) from exc
            log.info("Greenhouse refused the access token; requesting a new one")
        token = await tokens.renew(token)
        try:
            return await self.http.request_json(method, url, params=params, json=body, headers=_bearer(token))
        except CredentialsRefused as exc:
            refused = credentials_refused(exc) if exc.status == 401 else scope_refused(exc, method, url)
            raise refused from exc

    async def write(self, method: str, path: str, body: Any, acting_user_id: str | None, *,
                    doing: str) -> JsonReply:
        """A write; the provider's refusal (4xx) is reported with what hirebot was trying to do."""
        try:
            return await self.call(method, self.url(path), body=body, acting_user_id=acting_user_id)
        except AuthError:
            raise
        except AtsError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                raise AtsError(f"Greenhouse would not {doing} ({exc.status}): {refusal_reason(exc)}.",
                               status=exc.status, retryable=False, provider="greenhouse") from exc
            raise

    def actor(self, acting_user_id: str | None) -> str | None:
        return self.tokens.actor(acting_user_id)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _check_link(self, link: str, path: str) -> None:
        # The bearer token goes wherever the link points, so it must stay on the API's own host.
        target, home = httpx.URL(link), httpx.URL(self.base_url)
        if (target.scheme, target.host, target.port) != (home.scheme, home.host, home.port):
            raise MalformedResponse(f"Greenhouse sent a page link for {path} that leaves the API host.",
                                    provider="greenhouse")


def page_rows(reply: JsonReply, path: str) -> list[dict[str, Any]]:
    """A v3 list page is a bare array of objects; anything else means the page cannot be trusted."""
    data = reply.data
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise MalformedResponse(f"Greenhouse sent a page we could not read for {path} "
                                "(expected a list of records).", provider="greenhouse")
    return data


def chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def api_root(base_url: str) -> str:
    """Accept the base URL with or without a trailing /v3 (admins paste either)."""
    root = base_url.strip().rstrip("/")
    return root[: -len("/v3")] if root.endswith("/v3") else root


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}
