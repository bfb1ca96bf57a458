"""Lever's Data API over adapters.http: requests paced on our side with the API key, offset paging,
optional reads that a limited key may not make, the multipart create, and refusals that name the
permission a key lacks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from adapters.errors import AtsError, AuthError, MalformedResponse, RateLimited
from adapters.http import NOT_SENT_ERRORS, AtsHttp, CredentialsRefused, JsonReply, Sleep, provider_message
from adapters.lever.fields import as_text
from adapters.lever.pacing import RequestPacer
from adapters.lever.permissions import KEY_ADVICE, OPTIONAL_PERMISSIONS, PERMISSION_PURPOSE

log = logging.getLogger(__name__)
_T = TypeVar("_T")

PAGE_SIZE = 100


class LeverClient:
    """One Lever key's way to the API, and the optional permissions it is known to lack."""

    def __init__(self, client: httpx.AsyncClient, http: AtsHttp, *, base_url: str, api_key: str,
                 pacer: RequestPacer, sleep: Sleep) -> None:
        self.client = client
        self.http = http
        self.base_url = base_url
        self.pacer = pacer
        self._auth = (api_key, "")
        self._sleep = sleep
        self.missing: set[str] = set()  # optional permissions known to be missing: not asked for again

    async def send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                   json_body: Any = None, permission: str | None) -> JsonReply:
        """One paced request. With `permission`, a 403 becomes an AuthError naming it; without, the raw
        CredentialsRefused goes up for the caller to judge."""
        await self.pacer.wait()
        try:
            return await self.http.request_json(method, f"{self.base_url}{path}", params=params, json=json_body,
                                                auth=self._auth)
        except CredentialsRefused as exc:
            if permission is None:
                raise
            if exc.status == 401:
                raise self.key_refused(exc) from exc
            raise AuthError(f"Your Lever key lacks the {permission} permission, so hirebot cannot "
                            f"{PERMISSION_PURPOSE.get(permission, 'do that')}. {KEY_ADVICE}",
                            status=403, provider="lever") from exc

    async def pages(self, path: str, params: dict[str, Any], permission: str | None
                    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a list: pass `next` back as `offset` until `hasNext` is false."""
        offset: str | None = None
        seen: set[str] = set()
        while True:
            query = {**params, "limit": PAGE_SIZE, **({"offset": offset} if offset else {})}
            reply = await self.send("GET", path, params=query, permission=permission)
            rows, has_next, token = page(reply, path)
            yield rows
            if not has_next:
                return
            if not token or token in seen:
                raise MalformedResponse(f"Lever said more of {path} follows but sent no new offset.",
                                        provider="lever")
            seen.add(token)
            offset = token

    async def optional_rows(self, path: str, params: dict[str, Any], permission: str, *,
                            gone_ok: bool = False) -> list[dict[str, Any]] | None:
        """Every row of a list the key may not be allowed to read: None (and not asked again) on a 403.

        With `gone_ok`, a 404 (the opportunity went away between the list and this read) is an empty list.
        """
        if permission in self.missing:
            return None
        found: list[dict[str, Any]] = []
        try:
            async for rows in self.pages(path, params, None):
                found.extend(rows)
        except CredentialsRefused as exc:
            if exc.status == 401:
                raise self.key_refused(exc) from exc
            if permission not in self.missing:
                self.missing.add(permission)
                log.warning("Lever key lacks %s; syncing without it: %s", permission, OPTIONAL_PERMISSIONS[permission])
            return None
        except AtsError as exc:
            if gone_ok and exc.status == 404:
                return []
            raise
        return found

    async def post_multipart(self, path: str, params: Mapping[str, Any], fields: dict[str, Any],
                             resume: Sequence[Any]) -> JsonReply:
        """POST multipart/form-data (Lever's way to send a resume with a new candidate). Sent once, and
        again only after a 429, which means Lever did not process it."""
        form = _form_fields(fields)
        filename, content = str(resume[0]), bytes(resume[1])
        kind = str(resume[2]) if len(resume) > 2 and resume[2] else _mime(filename)
        for attempt in range(2):
            await self.pacer.wait()
            self.http.requests_sent += 1
            try:
                response = await self.client.post(f"{self.base_url}{path}", params=dict(params), data=form,
                                                  files={"resumeFile": (filename, content, kind)},
                                                  auth=self._auth, timeout=self.http.policy.timeout)
            except NOT_SENT_ERRORS as exc:
                raise AtsError(f"Could not reach Lever to add the candidate ({exc.__class__.__name__}); "
                               "nothing was sent.", retryable=True, provider="lever") from exc
            except httpx.TransportError as exc:
                raise self.http.unanswered_write(exc, "POST") from exc
            if response.status_code == 429 and attempt == 0:
                await self._sleep(_retry_after(response) or 1.0)
                continue
            return _multipart_reply(response)
        raise RateLimited("Lever kept asking us to slow down while adding the candidate.",
                          retry_after=_retry_after(response) or 1.0, provider="lever")

    def key_refused(self, exc: CredentialsRefused) -> AuthError:
        detail = f" ({exc.detail})" if exc.detail else ""
        return AuthError(f"Lever refused the API key{detail}: check that it was copied whole, has not been "
                         "revoked, and belongs to this region (us, eu or sandbox).", status=401,
                         provider="lever")


def page(reply: JsonReply, path: str) -> tuple[list[dict[str, Any]], bool, str | None]:
    """(rows, whether more follow, the offset for the next page) of one list answer."""
    body = reply.data
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise MalformedResponse(f"Lever sent a page we could not read for {path} (expected data: [...]).",
                                provider="lever")
    return rows, body.get("hasNext") is True, as_text(body.get("next"))


def data_object(reply: JsonReply, what: str) -> dict[str, Any]:
    """The one record a single-object answer carries in `data`."""
    body = reply.data
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise MalformedResponse(f"Lever sent a {what} answer we could not read.", provider="lever")
    return data


def confidentiality(include_confidential: bool) -> dict[str, str]:
    """The query parameter that lists confidential records too, when the connection wants them."""
    return {"confidentiality": "all"} if include_confidential else {}


async def first_failure(coroutines: Iterable[Awaitable[_T]]) -> list[_T]:
    """Run concurrently; on the first failure cancel the rest and raise that failure as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_awaited(c)) for c in coroutines]
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


async def _awaited(awaitable: Awaitable[_T]) -> _T:
    return await awaitable


def _multipart_reply(response: httpx.Response) -> JsonReply:
    detail = provider_message(response)
    said = f": {detail}" if detail else ""
    if response.status_code in (401, 403):
        raise CredentialsRefused(f"Lever refused the request ({response.status_code}){said}.",
                                 status=response.status_code, provider="lever", detail=detail)
    if not response.is_success:
        raise AtsError(f"Lever rejected the new candidate ({response.status_code}){said}.",
                       status=response.status_code, retryable=response.status_code >= 500,
                       provider="lever")
    try:
        data = response.json()
    except ValueError as exc:
        raise MalformedResponse("Lever answered the new candidate with a body we could not read.",
                                provider="lever") from exc
    return JsonReply(data=data, status=response.status_code, headers=response.headers, next_url=None)


def _form_fields(fields: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """JSON creation fields as Lever's multipart names: repeated keys, `phones[N][type|value]`."""
    form: dict[str, str | list[str]] = {}
    for key, value in fields.items():
        if key == "phones":
            for index, phone in enumerate(value):
                form[f"phones[{index}][type]"] = phone["type"]
                form[f"phones[{index}][value]"] = phone["value"]
        elif isinstance(value, list):
            form[key] = [str(item) for item in value]
        else:
            form[key] = str(value)
    return form


def _mime(filename: str) -> str:
    lowered = filename.lower()
    if lowered.endswith(".pdf"):
        return "application/pdf"
    if lowered.endswith(".docx"):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return "application/octet-stream"


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return max(float(raw), 0.0) if raw is not None else None
    except ValueError:
        return None

