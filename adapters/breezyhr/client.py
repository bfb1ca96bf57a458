"""BreezyHR's API v3 over adapters.http: the raw token in `Authorization` (no `Bearer`), requests paced
under the documented 100 a minute, page-number paging over bare JSON arrays, the multipart CV upload, and
refusals classified by BreezyHR's own `error.type` (a bad token is a 401 in the docs and a 400 live)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import httpx

from adapters.breezyhr.fields import as_mapping, as_text, id_of
from adapters.breezyhr.pacing import RequestPacer
from adapters.errors import AtsError, AuthError, MalformedResponse, RateLimited
from adapters.http import NOT_SENT_ERRORS, AtsHttp, Clock, CredentialsRefused, JsonReply, Sleep, provider_message

log = logging.getLogger(__name__)

PAGE_SIZE = 50  # BreezyHR's largest page
TOKEN_ERRORS = frozenset({"invalidAccessToken", "missingAccessToken"})
TOKEN_ADVICE = ("check that it was copied whole and has not been revoked (a sign-in token lapses after about "
                "30 days unused: connect again with --email and --password, or use a personal access token)")


def error_type(response: httpx.Response) -> str | None:
    """BreezyHR's `{"error": {"type": ...}}` code, when the body has one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return as_text(as_mapping(as_mapping(body).get("error")).get("type"))


class BreezyHttp(AtsHttp):
    """adapters.http with BreezyHR's error codes: `invalidAccessToken` and `missingAccessToken` are refused
    credentials whatever the status (the docs say 401, the live API answers 400)."""

    def _error_for(self, response: httpx.Response, url: str, secrets: Iterable[str]) -> AtsError:
        kind = error_type(response)
        if kind in TOKEN_ERRORS:
            return CredentialsRefused(f"BreezyHR refused the token ({kind}): {TOKEN_ADVICE}.", status=401,
                                      provider=self.provider, detail=kind or "")
        return super()._error_for(response, url, secrets)


class BreezyClient:
    """One BreezyHR token's way to the API: every request paced, authorised and retried as adapters.http
    does; `token` may be set later (after a sign-in)."""

    def __init__(self, client: httpx.AsyncClient, http: AtsHttp, *, base_url: str, token: str | None,
                 pacer: RequestPacer, sleep: Sleep, clock: Clock) -> None:
        self.client = client
        self._clock = clock
        self.http = http
        self.base_url = base_url
        self.token = token
        self.pacer = pacer
        self._sleep = sleep

    def _headers(self) -> dict[str, str]:
        if not self.token:
            raise AuthError("BreezyHR needs a token: connect with --token, or with --email and --password.",
                            status=401, provider="breezyhr")
        return {"Authorization": self.token}

    async def send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                   json_body: Any = None, authorised: bool = True) -> JsonReply:
        """One paced request; a refused token becomes an AuthError that says what to check."""
        headers = self._headers() if authorised else None
        await self.pacer.wait()
        try:
            return await self.http.request_json(method, f"{self.base_url}{path}", params=params, json=json_body,
                                                headers=headers)
        except CredentialsRefused as exc:
            if exc.status == 401 or exc.detail in TOKEN_ERRORS:
                raise AuthError(f"BreezyHR refused the token: {TOKEN_ADVICE}.", status=401,
                                provider="breezyhr") from exc
            raise AuthError(f"BreezyHR denied access to {path.split('?')[0]} ({exc.status}): the company's plan may "
                            "not include API access (BreezyHR support can turn it on), or this user is not a "
                            "member of the company.", status=exc.status, provider="breezyhr") from exc

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return (await self.send("GET", path, params=params)).data

    async def pages(self, path: str, params: Mapping[str, Any] | None = None
                    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a list: `page_size=50&page=N` until a page holds fewer than 50 rows.

        A server that ignores the page size sends the whole list at once (more than 50 rows): that is the
        last page. A page that repeats the previous one would loop forever, so it is refused.
        """
        page, previous = 1, None
        while True:
            reply = await self.send("GET", path, params={**(params or {}), "page_size": PAGE_SIZE, "page": page})
            rows = rows_of(reply.data, path)
            first = id_of(rows[0]) if rows else None
            if page > 1 and first is not None and first == previous:
                raise MalformedResponse(f"BreezyHR sent the same page twice for {path}; paging is not working.",
                                        provider="breezyhr")
            yield rows
            if len(rows) != PAGE_SIZE:
                return
            page, previous = page + 1, first

    async def upload(self, path: str, field: str, document: tuple[str, bytes, str]) -> Any:
        """POST one file as multipart/form-data. Sent once, and again only after a 429 (which means BreezyHR
        did not take it); an unanswered upload is not repeated."""
        response: httpx.Response | None = None
        for attempt in range(2):
            await self.pacer.wait()
            self.http.requests_sent += 1
            try:
                response = await self.client.post(f"{self.base_url}{path}", headers=self._headers(),
                                                  files={field: document}, timeout=self.http.policy.timeout)
            except NOT_SENT_ERRORS as exc:
                raise AtsError(f"Could not reach BreezyHR to upload {document[0]!r}; nothing was sent.",
                               retryable=True, provider="breezyhr") from exc
            except httpx.TransportError as exc:
                raise self.http.unanswered_write(exc, "POST") from exc
            if response.status_code == 429 and attempt == 0:
                await self._sleep(_wait_from(response, self._clock()))
                continue
            break
        assert response is not None
        if response.status_code == 429:
            raise RateLimited("BreezyHR kept asking us to slow down while uploading a file.",
                              retry_after=_wait_from(response, self._clock()), provider="breezyhr")
        if not response.is_success:
            detail = provider_message(response)
            raise AtsError(f"BreezyHR refused the upload of {document[0]!r} ({response.status_code})"
                           f"{': ' + detail if detail else ''}.", status=response.status_code, provider="breezyhr")
        try:
            return response.json() if response.content else None
        except ValueError:
            return None


def rows_of(body: Any, path: str) -> list[dict[str, Any]]:
    """A list answer: a bare JSON array of objects (the webhook list alone wraps it in `data`)."""
    rows = body.get("data") if isinstance(body, dict) else body
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise MalformedResponse(f"BreezyHR sent a list we could not read for {path} (expected [...]).",
                                provider="breezyhr")
    return rows


def _wait_from(response: httpx.Response, now: float) -> float:
    """Seconds to wait after a 429: Retry-After, else until X-RateLimit-Reset (epoch seconds or ms, or
    seconds left), else a second."""
    for name in ("Retry-After", "X-RateLimit-Reset"):
        raw = response.headers.get(name)
        try:
            value = float(raw) if raw is not None else None
        except ValueError:
            value = None
        if value is None:
            continue
        if name == "X-RateLimit-Reset" and value > 1e8:
            value = (value / 1000.0 if value > 1e12 else value) - now
        return min(max(value, 0.0) + 0.5, 60.0)
    return 1.0
