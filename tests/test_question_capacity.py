"""The question queue's bound follows measured capacity (issue 11): what this process answers per second while
questions wait decides how many may wait, so a queued question is answered within about ANSWER_WITHIN."""

from __future__ import annotations

import asyncio

from bot.frontend.questions import ANSWER_WITHIN, MAX_BACKLOG, MIN_BACKLOG, CapacityMeter, QuestionQueue
from tests.clocks import EpochClock


def test_the_meter_counts_only_windows_in_which_questions_kept_waiting() -> None:
    clock = EpochClock(0.0)
    meter = CapacityMeter(clock=clock)
    meter.answered(waiting=5)
    for _ in range(100):  # 100 answers in one second, the queue never empty
        clock.advance(0.01)
        meter.answered(waiting=5)
    assert meter.rate is not None and round(meter.rate) == 100

    for _ in range(30):  # a quiet second: the queue runs dry, so it says nothing about capacity
        clock.advance(1 / 30)
        meter.answered(waiting=0)
    assert round(meter.rate) == 100


def test_the_rate_is_smoothed_over_windows() -> None:
    clock = EpochClock(0.0)
    meter = CapacityMeter(clock=clock, smoothing=0.5)
    meter.answered(waiting=1)
    for per_second in (100, 200):
        for _ in range(per_second + 1):  # the extra answer closes the window whatever the float rounding
            clock.advance(1 / per_second)
            meter.answered(waiting=1)
    assert meter.rate is not None and abs(meter.rate - 150) < 3


def test_the_bound_is_the_backlog_until_measured_then_what_can_be_answered_in_time() -> None:
    async def nothing(_: int) -> None:
        return None

    queue: QuestionQueue[int] = QuestionQueue(nothing, workers=0, backlog=3)
    assert queue.limit == 3
    assert [queue.offer(n) for n in range(4)] == [True, True, True, False] and queue.turned_away == 1
    queue.meter.rate = 150.0
    assert queue.limit == round(150 * ANSWER_WITHIN)
    assert all(queue.offer(n) for n in range(queue.limit - 3)) and not queue.offer(0)
    queue.meter.rate = 0.5
    assert queue.limit == MIN_BACKLOG
    queue.meter.rate = 1e9
    assert queue.limit == MAX_BACKLOG
    asyncio.run(queue.close())


async def test_answering_workers_feed_the_meter() -> None:
    answered: list[int] = []

    async def answer(n: int) -> None:
        answered.append(n)

    queue: QuestionQueue[int] = QuestionQueue(answer, workers=1, backlog=10)
    for n in range(5):
        assert queue.offer(n)
    await queue.join()
    assert answered == [0, 1, 2, 3, 4]
    assert queue.meter._started is not None  # the first answer opened a window
    await queue.close()
