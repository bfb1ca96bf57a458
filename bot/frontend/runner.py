"""Where the (synchronous, CPU-bound) core runs for an asyncio front end: on a worker thread of this
process, or in separate processes so lookups never hold this process's GIL and acknowledgements stay fast.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from bot.frontend.core_processes import CoreProcesses
from bot.messages import IncomingMessage, Person
from bot.replies import Reply
from store.settings import Settings

if TYPE_CHECKING:
    from bot.core import Assistant

CORE_NICENESS = 10


class ThreadedCore:
    """Runs the core on a worker thread of this process.

    More threads add no speed (one GIL) but take turns with the event loop, and every turn they hold
    delays the acknowledgements a chat platform needs within seconds; so the core gets one thread by default.
    """

    def __init__(self, assistant: Assistant, threads: int = 1) -> None:
        self.assistant = assistant
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hirebot-core")

    async def handle(self, message: IncomingMessage) -> Reply:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.assistant.handle, message)

    async def choose(self, sender: Person, command: str, value: str) -> Reply:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.assistant.choose, sender,
                                                                command, value)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class ProcessCore:
    """Runs the core in separate processes (bot/frontend/core_processes.py: no threads in this process).

    Each process opens its own Runtime (database, name index) from the same settings; they run at a
    lower CPU priority, so under load the operating system serves the process that acknowledges the platform.
    """

    def __init__(self, settings: Settings, processes: int = 1, *, niceness: int = CORE_NICENESS) -> None:
        self._processes = CoreProcesses(processes, initializer=_start_core_process, initargs=(settings, niceness))
        # Told when a reply changed a meeting: the jobs it planned (a request email) live in the database,
        # and this process's job runner should look now rather than at its next safety tick.
        self.on_meeting_change: Callable[[], None] | None = None

    async def handle(self, message: IncomingMessage) -> Reply:
        return self._noticed(await self._processes.run(_core_handle, message))

    async def choose(self, sender: Person, command: str, value: str) -> Reply:
        return self._noticed(await self._processes.run(_core_choose, sender, command, value))

    def _noticed(self, reply: Reply) -> Reply:
        if reply.extra.get("meeting_id") is not None and self.on_meeting_change is not None:
            self.on_meeting_change()
        return reply

    def close(self) -> None:
        self._processes.close()


CoreRunner = ThreadedCore | ProcessCore
_process_assistant: Assistant | None = None


def core_runner(settings: Settings, assistant: Assistant, processes: int) -> CoreRunner:
    """`processes` > 0 answers in that many separate processes; 0 uses `assistant` on a thread."""
    return ProcessCore(settings, processes) if processes > 0 else ThreadedCore(assistant)


def _start_core_process(settings: Settings, niceness: int) -> None:
    from bot.runtime import Runtime

    global _process_assistant
    if niceness:
        os.nice(niceness)
    _process_assistant = Runtime.open(settings).assistant


def _core_handle(message: IncomingMessage) -> Reply:
    assert _process_assistant is not None, "core process not initialised"
    return _process_assistant.handle(message)


def _core_choose(sender: Person, command: str, value: str) -> Reply:
    assert _process_assistant is not None, "core process not initialised"
    return _process_assistant.choose(sender, command, value)
