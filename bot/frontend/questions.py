"""The bounded queue between a front end's listeners and the core.

Listeners only queue a small value and return, so a platform's acknowledgement never waits for the core,
and a flood of questions queues up to a bound; beyond it the asker hears at once that hirebot is busy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

QUESTION_WORKERS = 8  # questions in progress at once: enough to keep the core busy while others wait on the platform
QUESTION_BACKLOG = 256  # questions waiting beyond that get an immediate "busy, ask again" answer
TURNED_AWAY_LOG_EVERY = 100

T = TypeVar("T")


class QuestionQueue(Generic[T]):
    """Workers (started on first use, so `worker_count` and `backlog` may be changed until then) take
    questions in order and `answer` each; `answer` handles its own failures."""

    def __init__(self, answer: Callable[[T], Awaitable[None]], *, workers: int = QUESTION_WORKERS,
                 backlog: int = QUESTION_BACKLOG) -> None:
        self._answer = answer
        self.worker_count = workers
        self.backlog = backlog
        self.turned_away = 0
        self._queue: asyncio.Queue[T] | None = None
        self._workers: list[asyncio.Future[None]] = []

    def offer(self, question: T) -> bool:
        """Queue a question; False (counted, and logged now and then) when the backlog is full."""
        queue = self._started()
        try:
            queue.put_nowait(question)
        except asyncio.QueueFull:
            self.turned_away += 1
            if self.turned_away % TURNED_AWAY_LOG_EVERY == 1:  # a flood must not become a flood of log lines
                log.warning("question backlog full (%d waiting); %d questions turned away so far",
                            queue.maxsize, self.turned_away)
            return False
        return True

    async def join(self) -> None:
        """Wait until every queued question is answered."""
        if self._queue is not None:
            await self._queue.join()

    async def close(self) -> None:
        """Stop answering; questions still waiting are dropped."""
        workers, self._workers, self._queue = self._workers, [], None
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    def _started(self) -> asyncio.Queue[T]:
        if self._queue is None:
            self._queue = asyncio.Queue(maxsize=self.backlog)
            self._workers = [asyncio.ensure_future(self._work(self._queue)) for _ in range(self.worker_count)]
        return self._queue

    async def _work(self, queue: asyncio.Queue[T]) -> None:
        while True:
            question = await queue.get()
            try:
                await self._answer(question)
            except Exception:
                log.exception("answering a question failed")
            finally:
                queue.task_done()
