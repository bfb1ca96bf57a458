"""Core processes driven from the event loop (bot/frontend/core_processes.py): answers come back to the
call that asked, in any number in flight, large calls included; a failure in a call is that call's, and a
process that dies fails what it held and every later call instead of leaving them waiting."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from bot.frontend.core_processes import LARGE_CALL_BYTES, CoreProcesses, CoreProcessLost


async def test_every_call_gets_its_own_answer_with_many_in_flight() -> None:
    processes = CoreProcesses(2)
    try:
        squares = await asyncio.gather(*(processes.run(pow, n, 2) for n in range(40)))
        assert squares == [n * n for n in range(40)]
        pids = await asyncio.gather(*(processes.run(os.getpid) for _ in range(8)))
        assert len(set(pids)) == 2 and os.getpid() not in pids
    finally:
        processes.close()


async def test_a_call_larger_than_a_pipe_holds_is_answered_in_its_turn() -> None:
    processes = CoreProcesses(1)
    try:
        large = b"x" * (LARGE_CALL_BYTES * 8)
        answers = await asyncio.gather(processes.run(len, b"ab"), processes.run(len, large),
                                       processes.run(len, b"abc"), processes.run(bytes.upper, large))
        assert answers == [2, len(large), 3, large.upper()]
    finally:
        processes.close()


async def test_an_exception_in_a_call_is_raised_to_its_caller_only() -> None:
    processes = CoreProcesses(1)
    try:
        with pytest.raises(ValueError, match="invalid literal"):
            await processes.run(int, "not a number")
        assert await processes.run(int, "7") == 7
    finally:
        processes.close()


async def test_a_process_that_dies_fails_its_call_and_every_later_one() -> None:
    processes = CoreProcesses(1)
    try:
        assert await processes.run(abs, -1) == 1
        dying, waiting = processes.run(os._exit, 3), processes.run(abs, -2)
        for outcome in await asyncio.gather(dying, waiting, return_exceptions=True):
            assert isinstance(outcome, CoreProcessLost)
        with pytest.raises(CoreProcessLost, match="exit code 3"):
            await processes.run(abs, -3)
    finally:
        processes.close()


async def test_no_process_starts_until_used_and_none_answers_after_close() -> None:
    processes = CoreProcesses(1)
    processes.close()
    with pytest.raises(RuntimeError, match="closed"):
        await processes.run(abs, -1)


def test_the_processes_answer_only_the_event_loop_that_started_them() -> None:
    processes = CoreProcesses(1)
    try:
        assert asyncio.run(processes.run(abs, -1)) == 1
        with pytest.raises(RuntimeError, match="only the event loop that started them"):
            asyncio.run(processes.run(abs, -2))
    finally:
        processes.close()


async def test_ctrl_c_is_the_servers_to_handle_not_the_core_process() -> None:
    processes = CoreProcesses(1)
    try:
        pid = await processes.run(os.getpid)
        os.kill(pid, signal.SIGINT)  # what the terminal sends the whole process group
        assert await processes.run(abs, -1) == 1
    finally:
        processes.close()
