"""The bounded queue between a front end's listeners and the core.

Listeners only queue a small value and return, so a platform's acknowledgement never waits for the core,
and a flood of questions queues up to a bound; beyond it the asker hears at once that hirebot is busy. The
bound follows what this process has measured it can answer: a question is only queued when it can still be
answered within about `ANSWER_WITHIN` seconds, so nobody waits long for an answer that "busy" would have
given at once, and a faster machine (or more core processes) queues more.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

QUESTION_WORKERS = 8  # questions in progress at once: enough to keep the core busy while others wait on the platform
QUESTION_BACKLOG = 256  # questions that may wait before any capacity is measured
ANSWER_WITHIN = 2.0  # seconds: a question queued behind the others should be answered within about this
MIN_BACKLOG = 16  # however slow the measurement says it is, a short burst still queues
MAX_BACKLOG = 8192
TURNED_AWAY_LOG_EVERY = 100

T = TypeVar("T")


class CapacityMeter:
    """Answers per second while questions were waiting, smoothed over one-second windows.

    Only windows in which the queue never ran dry count: when it runs dry, the rate says how fast questions
    came, not how fast they can be answered.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, window: float = 1.0,
                 smoothing: float = 0.3) -> None:
        self.clock = clock
        self.window = window
        self.smoothing = smoothing
        self.rate: float | None = None  # answers per second; None until one saturated window is seen
        self._started: float | None = None
        self._answers = 0

    def answered(self, waiting: int) -> None:
        """One answer finished with `waiting` questions still queued."""
        now = self.clock()
        if self._started is None or waiting == 0:  # a window starts, or the queue ran dry and spoils it
            self._started, self._answers = now, 0
            return
        self._answers += 1
        elapsed = now - self._started
        if elapsed >= self.window:
            measured = self._answers / elapsed
            self.rate = measured if self.rate is None else (
                self.smoothing * measured + (1 - self.smoothing) * self.rate)
            self._started, self._answers = now, 0


class QuestionQueue(Generic[T]):
    """Workers (started on first use, so `worker_count` and `backlog` may be changed until then) take
    questions in order and `answer` each; `answer` handles its own failures."""

    def __init__(self, answer: Callable[[T], Awaitable[None]], *, workers: int = QUESTION_WORKERS,
                 backlog: int = QUESTION_BACKLOG, meter: CapacityMeter | None = None) -> None:
        self._answer = answer
        self.worker_count = workers
        self.backlog = backlog
        self.meter = meter or CapacityMeter()
        self.turned_away = 0
        self._queue: asyncio.Queue[T] | None = None
        self._workers: list[asyncio.Future[None]] = []

    @property
    def limit(self) -> int:
        """How many questions may wait now: `backlog` until capacity is measured, then what can be
        answered within ANSWER_WITHIN seconds."""
        if self.meter.rate is None:
            return self.backlog
        return max(MIN_BACKLOG, min(MAX_BACKLOG, round(self.meter.rate * ANSWER_WITHIN)))

    def offer(self, question: T) -> bool:
        """Queue a question; False (counted, and logged now and then) when the backlog is full."""
        queue = self._started()
        if queue.qsize() >= self.limit:
            self.turned_away += 1
            if self.turned_away % TURNED_AWAY_LOG_EVERY == 1:  # a flood must not become a flood of log lines
                log.warning("question backlog full (%d waiting); %d questions turned away so far",
                            queue.qsize(), self.turned_away)
            return False
        queue.put_nowait(question)
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
            self._queue = asyncio.Queue()  # bounded by `limit` in offer, which moves with measured capacity
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
                self.meter.answered(queue.qsize())
