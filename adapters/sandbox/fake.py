"""The skeleton every fake ATS builds on: an aiohttp application whose middleware records each request,
then lets the fake answer it through a few hooks, with `Chaos` faults applied the same way everywhere.

A fake subclasses `FakeAts`, adds its routes in `add_routes`, and overrides `respond` when its provider
checks things in a particular order (Greenhouse meters before faults, Lever after). See README.md.
"""

from __future__ import annotations

import asyncio
import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Self

from aiohttp import web
from multidict import CIMultiDict

from adapters.sandbox.chaos import DELAY, FAIL, LATE, Chaos, Fault
from adapters.sandbox.people import Person
from adapters.sandbox.recorder import RecordedRequest, RequestLog, record
from adapters.sandbox.server import BackgroundServer, start_site

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Answer = Callable[[], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class FakeOptions:
    """What `python -m adapters.sandbox <provider>` lets a user choose, for any fake."""

    candidates: int = 400
    seed: int = 7
    chaos: float = 0.0
    now: datetime | None = None  # the dataset's clock (records are stamped before it); None: this minute
    # People who must also be in this fake's roster, with these names and emails (first in the roster), so
    # a demo that connects several ATSs shows one person merged across them.
    shared_people: tuple[Person, ...] = ()


class FakeAts(ABC):
    """A fake ATS: `app` to serve, `requests` to assert on, `chaos` to inject faults.

    Subclasses set `provider` and `title`, call `super().__init__` and then `self.app = self.build_app()`,
    and implement `add_routes`, `build` (from `FakeOptions`, for the entry point) and `connection_help`.
    """

    provider: ClassVar[str]
    title: ClassVar[str]
    record_type: ClassVar[type[RecordedRequest]] = RecordedRequest
    client_max_size: ClassVar[int] = 8 * 1024 * 1024
    app: web.Application

    def __init__(self, *, clock: Callable[[], float], chaos: Chaos, max_recorded: int | None = None) -> None:
        self.clock = clock
        self.chaos = chaos
        self.requests: RequestLog[Any] = RequestLog(max_recorded)
        # Where the fake is served, learnt from its first request (links in webhooks need it).
        self.public_url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: set[asyncio.Task[Any]] = set()

    # ----- hooks -------------------------------------------------------------------------------------
    @abstractmethod
    def add_routes(self, app: web.Application) -> None:
        """Add the provider's routes to `app`."""

    @classmethod
    @abstractmethod
    def build(cls, options: FakeOptions) -> Self:
        """A fake with generated data, as the entry point serves it."""

    @abstractmethod
    def connection_help(self, url: str) -> str:
        """One line saying what a user needs to connect hirebot to this fake served at `url`."""

    @abstractmethod
    def connect_values(self, url: str) -> dict[str, str]:
        """What `hirebot connect <provider>` takes to reach this fake served at `url`: connect field name ->
        value (credentials and `base_url` included), as the provider spec's `ConnectField`s name them."""

    async def respond(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer one request; by default injected faults first, then the route."""
        return await self.with_faults(request.path, lambda: handler(request))

    def fault_response(self, fault: Fault) -> web.Response:
        """The answer to an injected `fail` fault (429s carry Retry-After, default 1 s)."""
        return web.json_response({"message": "Too Many Requests" if fault.status == 429 else "Internal Server Error"},
                                 status=fault.status, headers=retry_after(fault))

    async def malformed_response(self, answer: Answer) -> web.StreamResponse:
        """The answer to an injected `malformed` fault: by default the real answer, cut short."""
        return truncated(await answer())

    def internal_error(self) -> web.Response | None:
        """The answer when a handler crashes; None lets aiohttp answer its own 500."""
        return None

    # ----- the pipeline ------------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=self.client_max_size)
        self.add_routes(app)
        app.on_startup.append(self._remember_loop)
        return app

    async def _remember_loop(self, app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.public_url is None:
            self.public_url = str(request.url.origin())
        entry = await record(request, self.record_type, self.clock())
        self.requests.append(entry)
        try:
            response = await self.respond(request, handler)
        except Exception:
            crashed = self.internal_error()
            if crashed is None:
                raise
            log.exception("sandbox handler failed for %s %s", request.method, request.path)
            response = crashed
        entry.status = response.status
        return response

    async def with_faults(self, path: str, answer: Answer) -> web.StreamResponse:
        """Apply the next fault for `path`, if any: fail instead of answering, answer after a delay, answer
        then hold the answer (the write lands, the client times out), or answer a malformed body."""
        fault = self.chaos.take(path)
        if fault is None:
            return await answer()
        if fault.kind == DELAY:
            await self.chaos.sleep(fault.seconds)
            return await answer()
        if fault.kind == LATE:
            response = await answer()
            await self.chaos.sleep(fault.seconds)
            return response
        if fault.kind == FAIL:
            return self.fault_response(fault)
        return await self.malformed_response(answer)

    # ----- serving -----------------------------------------------------------------------------------
    def in_thread(self, *, host: str = "127.0.0.1", port: int = 0) -> BackgroundServer:
        """A server for synchronous callers: `with fake.in_thread() as server: ... server.url`."""
        return BackgroundServer(self.app, host=host, port=port)

    async def start(self, *, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
        """Serve in the running loop; returns the runner (clean it up to stop) and the base URL."""
        return await start_site(self.app, host, port)

    async def serve_until_stopped(self, host: str, port: int, banner: Callable[[str], str]) -> None:
        """What a fake's command line runs: serve, print `banner(url)` (what to connect with), and wait until
        cancelled (Ctrl+C); then stop serving."""
        runner, url = await self.start(host=host, port=port)
        print(banner(url), flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    # ----- background work (webhooks sent after a change) ---------------------------------------------
    def run_in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` on the server's loop without making the (synchronous) caller wait for it."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        loop = self._loop or running
        if loop is None or loop.is_closed():
            work.close()
            log.warning("sandbox background work dropped: the sandbox is not being served")
        elif loop is running:
            self._track(work)
        else:
            loop.call_soon_threadsafe(self._track, work)

    def _track(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain_background(self) -> None:
        """Wait until all background work started so far has finished (retries included)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


def retry_after(fault: Fault) -> dict[str, str]:
    """Retry-After for a fault that has one; a 429 without one says 1 s."""
    if fault.retry_after is None and fault.status != 429:
        return {}
    return {"Retry-After": str(math.ceil(fault.retry_after if fault.retry_after is not None else 1))}


def truncated(response: web.StreamResponse) -> web.Response:
    """A 200 whose JSON body is cut in half (or a bare opening when there was no body)."""
    body = response.body if isinstance(response, web.Response) and isinstance(response.body, bytes) else b""
    cut = body[: len(body) // 2] if len(body) > 2 else b'[{"id":'
    headers = CIMultiDict((k, v) for k, v in response.headers.items()
                          if k.lower() not in ("content-length", "content-type"))
    return web.Response(body=cut, status=200, headers=headers, content_type="application/json")
