"""Background work a serving process runs beside its web server: the job runner and the ATS outbox worker.

`hirebot run` and `hirebot demo` both start these through the same hooks, so they behave the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from adapters.http import default_http_client
from bot.runtime import Runtime
from scheduler.outbox import OutboxWorker

Hook = Callable[[object], Awaitable[None]]


def background_hooks(runtime: Runtime) -> tuple[Hook, Hook]:
    """(start, stop) aiohttp hooks: send due emails/reminders/notices, and deliver meeting events to the ATS."""
    scheduling = runtime.scheduling
    assert scheduling is not None
    stop_outbox = asyncio.Event()
    state: dict[str, object] = {}

    async def start(_app: object) -> None:
        scheduling.start()
        client = default_http_client()
        worker = OutboxWorker(runtime.sessions, lambda connection: runtime.connections.adapter(connection, client),
                              public_url=runtime.settings.public_url)
        state["client"] = client
        state["task"] = asyncio.create_task(worker.run_forever(stop_outbox))

    async def stop(_app: object) -> None:
        stop_outbox.set()
        task = state.get("task")
        if isinstance(task, asyncio.Task):
            await asyncio.gather(task, return_exceptions=True)
        await scheduling.aclose()
        client = state.get("client")
        if client is not None:
            await client.aclose()  # type: ignore[attr-defined]

    return start, stop
