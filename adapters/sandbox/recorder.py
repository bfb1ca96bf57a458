"""What an adapter sent to a fake ATS, kept so tests can assert on the exact requests.

Every fake records each request it receives (method, path, query, headers, body) before answering, and
fills in the status once the answer is known. Each fake may subclass `RecordedRequest` to add the views
its own tests read (Greenhouse's `query` as a dict, Lever's parsed `body`...).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


@dataclass
class RecordedRequest:
    """One request as the fake saw it (`status` is None while it is being answered).

    `raw` is the body as sent, except for multipart bodies, which are left unread so the handler can
    stream them (`multipart` is then true and `raw` empty).
    """

    method: str
    path: str
    pairs: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]  # case-insensitive
    raw: bytes
    content_type: str
    at: float
    status: int | None = None

    @property
    def multipart(self) -> bool:
        return self.content_type == MULTIPART

    def param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        return next((value for key, value in self.pairs if key == name), None)

    def params(self, name: str) -> list[str]:
        """Every value of a (repeatable) query parameter, in order."""
        return [value for key, value in self.pairs if key == name]

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when empty, a form, multipart, or not JSON)."""
        if not self.raw or self.content_type == FORM:
            return None
        try:
            return json.loads(self.raw)
        except ValueError:
            return None

    @property
    def form(self) -> dict[str, str] | None:
        """A url-encoded form body as a dict, else None."""
        if not self.raw or self.content_type != FORM:
            return None
        return dict(parse_qsl(self.raw.decode("utf-8", "replace"), keep_blank_values=True))


R = TypeVar("R", bound=RecordedRequest)
T = TypeVar("T")


async def record(request: web.Request, kind: type[R], at: float) -> R:
    """Read what `request` carries (not a multipart body: its handler streams that) into a `kind`."""
    raw = b"" if request.content_type == MULTIPART else await request.read()
    return kind(method=request.method, path=request.path, pairs=tuple(request.query.items()),
                headers=CIMultiDictProxy(CIMultiDict(request.headers)), raw=raw,
                content_type=request.content_type, at=at)


class RequestLog(Generic[T]):
    """The requests a fake received, oldest first; with `maxlen`, only the newest ones are kept (a fake run
    by hand for hours must not grow without bound). Indexes and slices like a list."""

    def __init__(self, maxlen: int | None = None) -> None:
        self._items: deque[T] = deque(maxlen=maxlen)

    def append(self, item: T) -> None:
        self._items.append(item)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return list(self._items)[index]
        return self._items[index]

    def __eq__(self, other: object) -> bool:
        """Equal to another log, a list or a deque holding the same requests in the same order."""
        if isinstance(other, RequestLog):
            return list(self._items) == list(other._items)
        if isinstance(other, list | deque):
            return list(self._items) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like list

    def __repr__(self) -> str:
        return f"RequestLog({list(self._items)!r})"
