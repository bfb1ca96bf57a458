"""Freshteam's API over adapters.http: the bearer key, requests paced to the per-minute limit, page-number
paging over bare JSON arrays, and refusals that tell a wrong key from an account that has closed.

Paging follows the reference's robust loop: the `link` header's `rel="next"` when the answer has a `link`
header, else the `total-pages` header, else a page shorter than `per_page` (or empty) is the last.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from adapters.errors import AtsError, AuthError, MalformedResponse
from adapters.freshteam.pacing import MinutePacer
from adapters.http import AtsHttp, CredentialsRefused, JsonReply

PAGE_SIZE = 50  # the documented default; the maximum is unconfirmed
KEY_WHERE = "Profile > API Settings > Your API Key in Freshteam"
KEY_CODE = "invalid_credentials"
PERMISSION_CODE = "forbidden"


class AccountUnavailable(AuthError):
    """The account answers as one that has closed: its subscription ended, or Freshteam is gone for it.

    It carries no HTTP status, so no caller mistakes it for one optional read refused (a sync goes on
    without users after a 403): the whole account is gone, and the sync stops at its first request.
    """


class FreshteamHttp(AtsHttp):
    """AtsHttp whose 401/402/403 answers are read with Freshteam's error codes (see `refusal`)."""

    def _error_for(self, response: httpx.Response, url: str, secrets: Iterable[str]) -> AtsError:
        error = super()._error_for(response, url, secrets)
        if response.status_code in (401, 402, 403):
            detail = error.detail if isinstance(error, CredentialsRefused) else ""
            return refusal(response.status_code, error_codes(response), detail, httpx.URL(url).path)
        return error


def refusal(status: int, codes: Iterable[str], detail: str, path: str) -> AuthError:
    """The error for a refused request, by what the reference documents.

    401 `invalid_credentials` is a bad or missing key; 403 `forbidden` is a good key whose user lacks a
    permission. Any other refusal (a 402, another code, or no Freshteam error body at all, as a closed
    account's page has) means the account is no longer there to read: said plainly, never retried.
    """
    codes = set(codes)
    said = f": {detail}" if detail else ""
    if status == 401 and KEY_CODE in codes:
        return AuthError(f"Freshteam refused the API key ({status} {KEY_CODE}{said}). Check that it was copied "
                         f"whole from {KEY_WHERE} and that its user is still active. (An account whose "
                         "subscription has ended refuses every key too.)", status=status, provider="freshteam")
    if status == 403 and PERMISSION_CODE in codes:
        return AuthError(f"Freshteam denied the API key access to {path} ({status} {PERMISSION_CODE}{said}). "
                         "A key has its user's role permissions: use the key of an account admin.",
                         status=status, provider="freshteam")
    return AccountUnavailable(
        f"This Freshteam account is no longer available (HTTP {status}{said}): its subscription has ended or "
        "it was closed, as Freshworks shuts Freshteam down. Candidates already synced stay; hirebot does not "
        "retry. If it should still be open, check the domain and key and connect again.", status=None,
        provider="freshteam")


def error_codes(response: httpx.Response) -> list[str]:
    """The `code`s of Freshteam's `{"errors": [{"code": ...}]}` body (also a top-level `code`)."""
    try:
        body = response.json()
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    items = body.get("errors")
    codes = [item.get("code") for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    codes.append(body.get("code"))
    return [code.strip().lower() for code in codes if isinstance(code, str) and code.strip()]


class FreshteamClient:
    """One key's way to one account's API: every request paced, every list paged."""

    def __init__(self, http: AtsHttp, *, base_url: str, api_key: str, pacer: MinutePacer) -> None:
        self.http = http
        self.base_url = base_url
        self.pacer = pacer
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> JsonReply:
        await self.pacer.wait()
        reply = await self.http.request_json("GET", f"{self.base_url}{path}", params=params, headers=self._headers)
        self.pacer.observe(reply.headers)
        return reply

    async def get_object(self, path: str, what: str) -> dict[str, Any] | None:
        """One record, or None when Freshteam says it does not exist (404)."""
        try:
            reply = await self.get(path)
        except AtsError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(reply.data, dict):
            raise MalformedResponse(f"Freshteam sent a {what} we could not read (expected an object).",
                                    provider="freshteam")
        return reply.data

    async def pages(self, path: str, params: Mapping[str, Any] | None = None
                    ) -> AsyncGenerator[list[dict[str, Any]]]:
        """Every page of a list, as the bare arrays Freshteam sends."""
        page = 1
        while True:
            reply = await self.get(path, {**(params or {}), "page": page, "per_page": PAGE_SIZE})
            rows = rows_of(reply, path)
            yield rows
            following = next_page(reply, page, len(rows))
            if following is None:
                return
            page = following


def rows_of(reply: JsonReply, path: str) -> list[dict[str, Any]]:
    body = reply.data
    if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
        raise MalformedResponse(f"Freshteam sent a page we could not read for {path} (expected a JSON array).",
                                provider="freshteam")
    return body


def next_page(reply: JsonReply, page: int, count: int) -> int | None:
    """The page after `page`, or None when it was the last."""
    if count == 0:
        return None
    if "link" in reply.headers:
        if reply.next_url is None:
            return None
        wanted = _page_number(reply.next_url)
        if wanted is None or wanted <= page:
            raise MalformedResponse("Freshteam's link to the next page does not name a later page.",
                                    provider="freshteam")
        return wanted
    total = _number(reply.headers.get("total-pages"))
    if total is not None:
        return page + 1 if page < total else None
    return page + 1 if count >= PAGE_SIZE else None


def _page_number(url: str) -> int | None:
    values = parse_qs(urlsplit(url).query).get("page")
    return _number(values[0]) if values else None


def _number(raw: str | None) -> int | None:
    try:
        return int(raw.strip()) if raw is not None else None
    except ValueError:
        return None
