"""Serve an aiohttp application on a loopback port from a background thread.

`hirebot demo` and synchronous tests need a fake ATS that runs while the caller's own code runs; the fake
gets its own thread and event loop so it never competes with the caller's loop.
"""

from __future__ import annotations

import asyncio
import errno
import sys
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

from aiohttp import web

SHUTDOWN_SECONDS = 2.0


class PortBusy(OSError):
    """The port asked for is taken; the message says so in one line, with what to do."""


async def start_site(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
    """Start serving `app` in the running loop; returns the runner (to clean up) and the base URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException as exc:
        await runner.cleanup()
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            raise PortBusy(exc.errno, f"Port {port} on {host} is already in use: stop what listens there, or "
                                      "choose another with --port (or leave --port out for any free one).") from exc
        raise
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return runner, f"http://{shown}:{bound_port}"


def serve_in_foreground(main: Coroutine[Any, Any, None]) -> None:
    """Run a sandbox's serving coroutine; a port that is taken or an address that cannot be used ends the
    command with one line on stderr and status 1, not a traceback."""
    try:
        asyncio.run(main)
    except OSError as exc:
        print(f"error: {exc.strerror or exc}", file=sys.stderr)
        sys.exit(1)


class BackgroundServer:
    """Context manager: `with BackgroundServer(app) as server: httpx.get(server.url + "/v3/jobs")`."""

    def __init__(self, app: web.Application, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("The server is not running; call start() first.")
        return self._url

    def start(self) -> BackgroundServer:
        if self._thread is not None:
            raise RuntimeError("This server was already started.")
        self._thread = threading.Thread(target=self._serve, name="hirebot-sandbox", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
        self._url = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            runner, self._url = loop.run_until_complete(start_site(self.app, self.host, self.port))
        except BaseException as exc:  # handed to the thread that called start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()
