"""Talking to Teamtailor's JSON:API: the headers every request needs (`Authorization: Token token=KEY`, the
pinned `X-Api-Version`, the JSON:API media type), pacing, paging by `links.next`, documents read into
resources and `included`, and Teamtailor's errors (`errors[0].detail`) turned into one-line reasons.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from adapters.errors import AtsError, AuthError, MalformedResponse
from adapters.http import AtsHttp, CredentialsRefused, JsonReply, parse_retry_after
from adapters.teamtailor.fields import as_mapping, as_text
from adapters.teamtailor.pacing import RequestPacer
from adapters.teamtailor.regions import API_VERSION, MEDIA_TYPE

PAGE_SIZE = 30  # Teamtailor's maximum page size
MAX_DETAIL_CHARS = 300
KEY_ADVICE = ("A Teamtailor admin creates keys under Settings > Integrations > API keys; hirebot needs one "
              "with the Admin permission level and the read/write scope.")


@dataclass(frozen=True)
class Document:
    """One JSON:API answer: its primary resources (one for a single-resource answer), the `included`
    resources by (type, id), and the next page's absolute URL."""

    data: list[dict[str, Any]]
    included: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    next_url: str | None = None
    record_count: int | None = None
    has_included: bool = True  # whether the answer had an `included` member (the server honoured `include`)

    def find(self, kind: str, resource_id: str | None) -> dict[str, Any] | None:
        return self.included.get((kind, resource_id)) if resource_id else None

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [resource for (rtype, _), resource in self.included.items() if rtype == kind]


class TeamtailorHttp(AtsHttp):
    """The shared request layer, reading Teamtailor's own headers and error bodies.

    A 429 is waited out for `X-Rate-Limit-Reset` (seconds left in the window) when no Retry-After comes, and
    errors say what Teamtailor said (`errors[0].detail`, as its Ruby client reads it) in one line.
    """

    def _retry_after(self, response: httpx.Response) -> float | None:
        given = super()._retry_after(response)
        if given is not None or response.status_code != 429:
            return given
        return parse_retry_after(response.headers.get("X-Rate-Limit-Reset"), now=self._clock())

    def _error_for(self, response: httpx.Response, url: str, secrets: Iterable[str]) -> AtsError:
        status = response.status_code
        detail = error_detail(response)
        for secret in secrets:
            detail = detail.replace(secret, "[redacted]")
        said = f": {detail}" if detail else ""
        path = httpx.URL(url).path or "/"
        if status == 401:
            return CredentialsRefused(f"Teamtailor refused the API key (401){said}.", status=401,
                                      provider=self.provider, detail=detail)
        if status == 403:
            return CredentialsRefused(f"Teamtailor denied the API key access to {path} (403){said}. {KEY_ADVICE}",
                                      status=403, provider=self.provider, detail=detail)
        if status == 406:
            return AtsError(f"Teamtailor refused API version {API_VERSION} (406){said}.", status=406,
                            provider=self.provider)
        if status == 404:
            return AtsError(f"Teamtailor has no such record ({path}, 404){said}.", status=404, provider=self.provider)
        if status == 422:
            return AtsError(f"Teamtailor did not accept the data (422){said}.", status=422, provider=self.provider)
        return super()._error_for(response, url, secrets)


def error_detail(response: httpx.Response) -> str:
    """The first JSON:API error's `detail` (else its `title`), in one short line."""
    try:
        body = response.json()
    except ValueError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    first = as_mapping(errors[0]) if isinstance(errors, list) and errors else {}
    text = as_text(first.get("detail")) or as_text(first.get("title")) or ""
    if not text and isinstance(body, dict):
        text = as_text(body.get("message")) or as_text(body.get("error")) or ""
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"


class TeamtailorClient:
    """Requests to one Teamtailor account: paced, authenticated, versioned, paged."""

    def __init__(self, http: AtsHttp, *, base_url: str, api_key: str, pacer: RequestPacer) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.pacer = pacer

    def headers(self, *, body: bool = False) -> dict[str, str]:
        headers = {"Authorization": f"Token token={self._api_key}", "X-Api-Version": API_VERSION,
                   "Accept": MEDIA_TYPE}
        if body:
            headers["Content-Type"] = MEDIA_TYPE
        return headers

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Document:
        return await self._get_url(self.url(path), params, path)

    async def pages(self, path: str, params: Mapping[str, Any] | None = None) -> AsyncIterator[Document]:
        """Every page of a list, `PAGE_SIZE` at a time, following `links.next` until it is absent."""
        query = {"page[size]": PAGE_SIZE, **(params or {})}
        document = await self._get_url(self.url(path), query, path)
        seen: set[str] = set()
        while True:
            yield document
            next_url = document.next_url
            if next_url is None:
                return
            if next_url in seen:
                raise MalformedResponse(f"Teamtailor sent the same next page twice for {path}.",
                                        provider="teamtailor")
            seen.add(next_url)
            document = await self._get_url(self._on_our_host(next_url), None, path)

    async def send(self, method: str, path: str, body: Mapping[str, Any]) -> Document:
        """A write (POST/PATCH) with a JSON:API body. adapters.http sends it again only after a 429 or when it
        certainly never left this machine."""
        await self.pacer.wait()
        reply = await self.http.request_json(method, self.url(path), json=dict(body),
                                             headers=self.headers(body=True))
        return read_document(reply, path)

    async def _get_url(self, url: str, params: Mapping[str, Any] | None, path: str) -> Document:
        await self.pacer.wait()
        reply = await self.http.request_json("GET", url, params=params, headers=self.headers())
        return read_document(reply, path)

    def _on_our_host(self, link: str) -> str:
        """A next link as given, moved onto our base URL's scheme and host if it names another (a proxy or
        a test server whose links were built for the public host): the key only ever goes to our host."""
        ours, theirs = httpx.URL(self.base_url), httpx.URL(link)
        if (theirs.scheme, theirs.host, theirs.port) == (ours.scheme, ours.host, ours.port):
            return link
        return str(theirs.copy_with(scheme=ours.scheme, host=ours.host, port=ours.port))


def read_document(reply: JsonReply, path: str) -> Document:
    """A JSON:API document's resources, `included` and next link; anything else is MalformedResponse."""
    body = reply.data
    if not isinstance(body, dict) or "data" not in body:
        raise MalformedResponse(f"Teamtailor sent an answer we could not read for {path} (no JSON:API data).",
                                provider="teamtailor")
    raw = body["data"]
    items = raw if isinstance(raw, list) else ([raw] if raw is not None else [])
    if not all(isinstance(item, dict) for item in items):
        raise MalformedResponse(f"Teamtailor sent a page we could not read for {path}.", provider="teamtailor")
    included: dict[tuple[str, str], dict[str, Any]] = {}
    for item in body.get("included") or []:
        if isinstance(item, dict) and as_text(item.get("type")) and as_text(item.get("id")):
            included[(str(item["type"]), str(as_text(item["id"])))] = item
    links = as_mapping(body.get("links"))
    next_link = links.get("next")
    next_url = as_text(next_link.get("href")) if isinstance(next_link, dict) else as_text(next_link)
    count = as_mapping(body.get("meta")).get("record-count")
    return Document(data=list(items), included=included, next_url=next_url,
                    record_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
                    has_included="included" in body)


def refused_key(exc: CredentialsRefused, where: str) -> AuthError:
    """The one sentence for a refused key (401): bad key, or a key of the other region."""
    detail = f" ({exc.detail})" if exc.detail else ""
    return AuthError(f"Teamtailor refused the API key{detail}: check that it was copied whole and not deleted, "
                     f"and that the account is in {where}.", status=401, provider="teamtailor")
