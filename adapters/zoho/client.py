"""Zoho Recruit's REST v2 over adapters.http: the `Zoho-oauthtoken` header from the token cache, one credit
counted per call, a refused token replaced once, `page`/`per_page` paging that follows `info.more_records`,
204 (nothing found) and 304 (nothing changed) read as empty lists, per-record write results checked one by
one, and the multipart attachment upload."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx

from adapters.errors import AtsError, MalformedResponse, RateLimited
from adapters.http import NOT_SENT_ERRORS, JsonReply, parse_retry_after
from adapters.zoho.auth import ZohoTokens, wrong_center
from adapters.zoho.credits import CreditMeter
from adapters.zoho.errors import LABEL, PROVIDER, NotModified, ZohoHttp, ZohoRefused, ZohoRejected, explain
from adapters.zoho.regions import center_of_host
from adapters.zoho.values import as_mapping, as_rows, as_text

PAGE_SIZE = 200  # Zoho's default and maximum per_page
MAX_PAGES = 10_000  # a listing that never says it ended is a broken server, not a big org
# Per-record codes that mean "already so": an association that exists, an interview already cancelled.
ALREADY_DONE = frozenset({"ALREADY_ASSOCIATED", "ALREADY_CANCELLED", "ID_ALREADY_DELETED", "ALREADY_DELETED"})


class ZohoClient:
    """One connection's way to the API: its base URL, its token and its share of the org's credits."""

    def __init__(self, http: ZohoHttp, tokens: ZohoTokens, meter: CreditMeter, *, base_url: str,
                 data_center: str) -> None:
        self.http = http
        self.tokens = tokens
        self.meter = meter
        self.base_url = base_url.rstrip("/")
        self.data_center = data_center
        self._checked_center = False

    async def _headers(self, extra: Mapping[str, str] | None) -> tuple[dict[str, str], str]:
        token = await self.tokens.token()
        if not self._checked_center:
            self._check_center(token.api_domain)
        return {**(extra or {}), "Authorization": f"Zoho-oauthtoken {token.value}"}, token.value

    def _check_center(self, api_domain: str | None) -> None:
        """A token from one data center is refused by every other one with a bare INVALID_TOKEN; the token
        answer's `api_domain` says where the account lives, so say that instead (only for Zoho's own hosts:
        --base-url pointing elsewhere wins)."""
        self._checked_center = True
        token_center = wrong_center(api_domain, center_of_host(self.base_url))
        if token_center is not None:
            raise ZohoRefused(f"This Zoho account is in the {token_center.upper()} data center, but the connection "
                              f"talks to {self.base_url}: reconnect with --data-center {token_center}.",
                              status=401, code="WRONG_DATA_CENTER")

    async def send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                   json_body: Any = None, headers: Mapping[str, str] | None = None) -> JsonReply:
        """One call, its credit counted first; a refused (expired, revoked) token is replaced once."""
        for attempt in range(2):
            self.meter.spend()
            sent, value = await self._headers(headers)
            before = self.http.requests_sent
            try:
                return await self.http.request_json(method, self.base_url + path, params=params, json=json_body,
                                                    headers=sent)
            except ZohoRefused as exc:
                if exc.status != 401 or exc.code == "OAUTH_SCOPE_MISMATCH" or attempt:
                    raise
                self.tokens.drop(value)
            finally:
                # Retries (after a 429 or a 5xx) are calls Zoho counts too.
                self.meter.record(self.http.requests_sent - before - 1)
        raise AssertionError("unreachable")

    async def rows(self, path: str, *, params: Mapping[str, Any] | None = None, key: str = "data",
                   headers: Mapping[str, str] | None = None, gone_ok: bool = False) -> list[dict[str, Any]]:
        """Every row of a list (all its pages)."""
        found: list[dict[str, Any]] = []
        async for page in self.pages(path, params=params, key=key, headers=headers, gone_ok=gone_ok):
            found.extend(page)
        return found

    async def pages(self, path: str, *, params: Mapping[str, Any] | None = None, key: str = "data",
                    headers: Mapping[str, str] | None = None, gone_ok: bool = False
                    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page of a list: `page` from 1 with `per_page` 200 while `info.more_records` is true.

        204 (no records) and 304 (nothing changed since If-Modified-Since) end the list; with `gone_ok` so
        does a 404 (a record deleted between two reads).
        """
        for number in range(1, MAX_PAGES + 1):
            query = {**(params or {}), "page": number, "per_page": PAGE_SIZE}
            try:
                reply = await self.send("GET", path, params=query, headers=headers)
            except NotModified:
                return
            except ZohoRejected as exc:
                if gone_ok and exc.status == 404:
                    return
                raise
            if reply.status == 204 or reply.data is None:
                return
            rows, more = read_page(reply.data, key, path)
            yield rows
            if not more:
                return
            if not rows:
                raise MalformedResponse(f"{LABEL} said more of {path} follows but sent an empty page.",
                                        provider=PROVIDER)
        raise MalformedResponse(f"{LABEL} kept saying more of {path} follows after {MAX_PAGES} pages.",
                                provider=PROVIDER)

    async def write(self, method: str, path: str, body: Any, *, params: Mapping[str, Any] | None = None
                    ) -> list[dict[str, Any]]:
        """A write, its per-record results checked: the first failure raises with Zoho's own code."""
        reply = await self.send(method, path, params=params, json_body=body)
        return check_results(reply.data, path)

    async def upload(self, path: str, params: Mapping[str, Any], file: tuple[str, bytes, str]) -> dict[str, Any]:
        """POST one file as multipart/form-data field `file`. Sent once, and again only after a 429 (which
        means Zoho did not take it); an answer lost on the way is an AtsError not to be repeated blindly."""
        for attempt in range(2):
            self.meter.spend()
            sent, value = await self._headers(None)
            self.http.requests_sent += 1
            try:
                response = await self.http.client.post(self.base_url + path, params=dict(params), headers=sent,
                                                       files={"file": file}, timeout=self.http.policy.timeout)
            except NOT_SENT_ERRORS as exc:
                raise AtsError(f"Could not reach {LABEL} to upload {file[0]} ({type(exc).__name__}); nothing was "
                               "sent.", retryable=True, provider=PROVIDER) from exc
            except httpx.TransportError as exc:
                raise self.http.unanswered_write(exc, "POST") from exc
            if response.status_code == 429 and attempt == 0:
                wait = parse_retry_after(response.headers.get("Retry-After"), now=self.http._clock()) or 1.0
                await self.http._sleep(wait)
                continue
            if response.status_code == 401 and attempt == 0:
                self.tokens.drop(value)
                continue
            if not response.is_success:
                raise self.http._error_for(response, self.base_url + path, [value])
            try:
                body = response.json()
            except ValueError as exc:
                raise MalformedResponse(f"{LABEL} answered the upload of {file[0]} with a body we could not read.",
                                        provider=PROVIDER) from exc
            results = check_results(body, path)
            return results[0] if results else {}
        raise RateLimited(f"{LABEL} kept asking us to slow down while uploading {file[0]}.", retry_after=60.0,
                          provider=PROVIDER)


def read_page(data: Any, key: str, path: str) -> tuple[list[dict[str, Any]], bool]:
    """(rows, more follow) from a list answer; a body without the list is malformed."""
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise MalformedResponse(f"{LABEL} sent a page of {path} without its {key!r} list.", provider=PROVIDER)
    info = as_mapping(data.get("info"))
    return as_rows(data[key]), info.get("more_records") is True


def check_results(data: Any, path: str) -> list[dict[str, Any]]:
    """Zoho answers writes with one result per record in `data` (nested one level deeper for status
    changes); any result whose status is not success raises, naming Zoho's code and message."""
    rows = data.get("data") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise MalformedResponse(f"{LABEL} answered a write to {path} without its per-record results.",
                                provider=PROVIDER)
    flat = [item for row in rows for item in (row if isinstance(row, list) else [row]) if isinstance(item, dict)]
    for item in flat:
        code = (as_text(item.get("code")) or "").upper()
        if (as_text(item.get("status")) or "").lower() == "success" or code in ("SUCCESS", *ALREADY_DONE):
            continue
        if code == "DUPLICATE_DATA":
            continue  # the caller reads details.id: the record already exists
        message = as_text(item.get("message")) or "no reason given"
        field = as_text(as_mapping(item.get("details")).get("api_name"))
        where = f" (field {field})" if field else ""
        raise ZohoRejected(f"{LABEL} refused the write to {path}: {code or 'ERROR'}, {message}{where}.", status=400,
                           code=code)
    return flat


async def first_failure(calls: Sequence[Any]) -> list[Any]:
    """Run the calls together; the first failure cancels the rest and is raised."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


__all__ = ["PAGE_SIZE", "ZohoClient", "check_results", "explain", "first_failure", "read_page"]
