"""Recruitee's API over adapters.http: the Bearer token, paced requests, offset paging through the
`{"<plural>": [...], "references": [...]}` envelopes, and refusals turned into sentences that say
whether the token or the company id is wrong."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from adapters.errors import AtsError, AuthError, MalformedResponse
from adapters.http import AtsHttp, CredentialsRefused, JsonReply
from adapters.recruitee.fields import as_rows
from adapters.recruitee.pacing import RequestPacer

PAGE_SIZE = 100
PROVIDER = "recruitee"
TOKEN_ADVICE = ("Create a personal API token in Recruitee under Settings > Apps and plugins > Personal API "
                "tokens, as a user with an admin-level role.")


class RecruiteeClient:
    """One company's API root (`.../c/{company_id}`) reached with one user's personal token."""

    def __init__(self, http: AtsHttp, *, base_url: str, token: str, company_id: str,
                 pacer: RequestPacer) -> None:
        self.http = http
        self.base_url = base_url
        self.company_id = company_id
        self.pacer = pacer
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    @property
    def client(self) -> httpx.AsyncClient:
        return self.http.client

    @property
    def auth_headers(self) -> dict[str, str]:
        return dict(self._headers)

    async def send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                   json_body: Any = None) -> JsonReply:
        """One paced request under the API root; a refusal says what is wrong with the connection."""
        await self.pacer.wait()
        headers = {**self._headers, **({"Content-Type": "application/json"} if json_body is not None else {})}
        try:
            return await self.http.request_json(method, f"{self.base_url}{path}", params=params, json=json_body,
                                                headers=headers)
        except CredentialsRefused as exc:
            raise self.refusal(exc, path) from exc

    async def pages(self, path: str, key: str, params: Mapping[str, Any] | None = None
                    ) -> AsyncIterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        """(rows, references) of each page: `limit` and `offset` as documented, the next offset being this
        one plus the rows returned, until a page comes back shorter than `limit`.

        The next page is requested before this one is handed over, so its paced wait overlaps the caller's
        storing of this one; a failure of that request surfaces only after this page was yielded.
        """
        async def read(offset: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            reply = await self.send("GET", path, params={**(params or {}), "limit": PAGE_SIZE, "offset": offset})
            return envelope(reply, key, path)

        offset = 0
        ahead: asyncio.Task[tuple[list[dict[str, Any]], list[dict[str, Any]]]] | None = None
        try:
            page = await read(offset)
            while True:
                rows = page[0]
                more = len(rows) >= PAGE_SIZE
                if more:
                    offset += len(rows)
                    ahead = asyncio.ensure_future(read(offset))
                yield page
                if ahead is None:
                    return
                page, ahead = await ahead, None
        finally:
            if ahead is not None:
                ahead.cancel()
                with contextlib.suppress(BaseException):
                    await ahead

    def refusal(self, exc: CredentialsRefused, path: str) -> AuthError:
        detail = f" ({exc.detail})" if exc.detail else ""
        if exc.status == 401:
            return AuthError(f"Recruitee refused the API token{detail}: check that it was copied whole and has "
                             f"not been revoked. {TOKEN_ADVICE}", status=401, provider=PROVIDER)
        return AuthError(f"Recruitee denied access to {path} for company {self.company_id}{detail}: either the "
                         "token belongs to another company (tokens are per company) or its user's role lacks "
                         "the permission. Use a user with an admin-level role.", status=exc.status,
                         provider=PROVIDER)


def bad_company(exc: AtsError) -> bool:
    """Whether an error is Recruitee's answer to a company id it does not know (422, or 404 on the root)."""
    return exc.status in (404, 422) and (exc.status == 404 or "company" in str(exc).lower())


def envelope(reply: JsonReply, key: str, path: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows under `key` and the `references` sidecar of a list answer; MalformedResponse when the
    envelope is not there (a page we cannot trust is never stored)."""
    body = reply.data
    rows = body.get(key) if isinstance(body, dict) else None
    if isinstance(rows, dict) and isinstance(rows.get("hits"), list):  # the search answers nest hits
        rows = rows["hits"]
    if isinstance(body, dict) and rows is None and isinstance(body.get("hits"), list):
        rows = body["hits"]
    if not isinstance(rows, list):
        raise MalformedResponse(f"Recruitee sent a page we could not read for {path} (expected {key}: [...]).",
                                provider=PROVIDER)
    return as_rows(rows), as_rows(body.get("references"))


def single(reply: JsonReply, key: str, path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The one record of a single-object answer (`{"candidate": {...}, "references": [...]}`)."""
    body = reply.data
    record = body.get(key) if isinstance(body, dict) else None
    if not isinstance(record, dict):
        raise MalformedResponse(f"Recruitee sent an answer we could not read for {path} (expected {key}).",
                                provider=PROVIDER)
    return record, as_rows(body.get("references"))
