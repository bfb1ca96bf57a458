"""Processes that answer for an asyncio front end, each over its own pipe, read and written by the event loop.

concurrent.futures' ProcessPoolExecutor moves every call through two threads of this process (one that
hands calls to the processes, one that pickles them onto a shared queue) and hands each result back to the
event loop through a third thread hop. Under load those threads cost about as much CPU in the server as
answering's own HTTP work, and take the GIL from the event loop that acknowledges the platform. Here the
event loop writes each call to a process's pipe and is told (`add_reader`) when its answer is there.

A process is given at most `PIPELINE` calls at once, so it never waits for its next one and a write to its
pipe never blocks the loop; calls beyond that wait here, in order. A call much larger than a pipe's buffer
(a question with files attached) is written from a thread, so the loop never waits on a busy process.
If a process dies, its calls and every later one fail with `CoreProcessLost`, as a broken
ProcessPoolExecutor fails them: a process that cannot start must not be respawned for every question.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import pickle
import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any

log = logging.getLogger(__name__)

PIPELINE = 2  # calls a process holds at once: the one it runs and the next, already in its pipe
LARGE_CALL_BYTES = 32 * 1024  # a call this size or more is written from a thread (a pipe buffers 64 KiB)


class CoreProcessLost(RuntimeError):
    """A core process ended (or could not start); the call it held, and every later one, are not answered."""


@dataclass
class _Call:
    payload: bytes
    future: asyncio.Future[Any]


@dataclass
class _Process:
    process: SpawnProcess
    connection: Connection
    held: deque[asyncio.Future[Any]] = field(default_factory=deque)  # answered in the order they were sent
    writing: bool = False  # a large call is being written from a thread: nothing else may go in between


class CoreProcesses:
    """`processes` processes, started on first use from the running event loop, which must be the only one
    that calls `run`. Each process runs `initializer(*initargs)` once, then the functions it is sent, one at
    a time (functions and arguments must pickle, as for ProcessPoolExecutor)."""

    def __init__(self, processes: int, *, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        if processes < 1:
            raise ValueError("at least one core process")
        self.count = processes
        self.initializer = initializer
        self.initargs = initargs
        self._processes: list[_Process] = []
        self._waiting: deque[_Call] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lost: str | None = None  # why the processes can no longer answer
        self._closed = False

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in a core process; its exception is raised here."""
        if self._closed:
            raise RuntimeError("the core processes were closed")
        if self._lost is not None:
            raise CoreProcessLost(self._lost)
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._start(loop)
        elif loop is not self._loop:  # the answers are read by the loop that started the processes
            raise RuntimeError("core processes answer only the event loop that started them")
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append(_Call(pickle.dumps((function, args), pickle.HIGHEST_PROTOCOL), future))
        self._hand_out()
        return await future

    def close(self) -> None:
        """Stop the processes (each ends after the call it runs); calls not answered yet are cancelled."""
        self._closed = True
        for call in self._waiting:
            call.future.cancel()
        self._waiting.clear()
        for process in self._processes:
            self._stop(process)
        self._processes = []

    # ---------------------------------------------------------------- parent side

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        context = multiprocessing.get_context("spawn")
        for _ in range(self.count):
            ours, theirs = context.Pipe(duplex=True)
            # Daemonic: if this process exits without close(), they are stopped rather than waited for
            # (they wait on their pipe, which this process would still hold open).
            process = context.Process(target=_serve, args=(theirs, self.initializer, self.initargs),
                                      name="hirebot-core", daemon=True)
            process.start()
            theirs.close()  # the child's end: once the child is gone, reading ours says so (EOF)
            entry = _Process(process, ours)
            loop.add_reader(ours.fileno(), self._answered, entry)
            self._processes.append(entry)

    def _hand_out(self) -> None:
        """Give waiting calls, in order, to the processes holding the fewest."""
        while self._waiting:
            free = [p for p in self._processes if not p.writing and len(p.held) < PIPELINE]
            if not free:
                return
            process = min(free, key=lambda p: len(p.held))
            call = self._waiting.popleft()
            if call.future.cancelled():
                continue
            process.held.append(call.future)
            if len(call.payload) < LARGE_CALL_BYTES:
                try:
                    process.connection.send_bytes(call.payload)
                except OSError as exc:
                    self._lose(process, f"a core process stopped taking questions ({exc})")
                    return
            else:
                process.writing = True
                assert self._loop is not None
                writing = self._loop.run_in_executor(None, process.connection.send_bytes, call.payload)
                writing.add_done_callback(partial(self._written, process))

    def _written(self, process: _Process, done: asyncio.Future[None]) -> None:
        process.writing = False
        if process not in self._processes:  # closed (or lost) meanwhile
            return
        if done.cancelled() or done.exception() is not None:
            self._lose(process, "a core process stopped taking questions"
                                + ("" if done.cancelled() else f" ({done.exception()})"))
            return
        self._hand_out()

    def _answered(self, process: _Process) -> None:
        try:
            data = process.connection.recv_bytes()
        except (EOFError, OSError) as exc:
            process.process.join(timeout=0.5)  # it is ending: its exit code says how (only on this error path)
            code = process.process.exitcode
            self._lose(process, f"a core process ended (exit code {code})" if code is not None
                       else f"a core process could not be read ({type(exc).__name__})")
            return
        if not process.held:  # nothing was asked of it: not a reply of ours
            self._lose(process, "a core process answered a question it was not asked")
            return
        try:
            ok, value = pickle.loads(data)
        except Exception as exc:  # e.g. an exception type that cannot be rebuilt here: fail this call only
            ok, value = False, RuntimeError(f"a core process's answer could not be read: {exc!r}")
        future = process.held.popleft()
        if not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        self._hand_out()

    def _lose(self, lost: _Process, reason: str) -> None:
        """One process is gone: fail what it held, and (as a broken pool) everything else from now on."""
        log.error("%s; questions are no longer answered until hirebot restarts", reason)
        self._lost = reason
        for process in self._processes:
            for future in process.held:
                if not future.done():
                    future.set_exception(CoreProcessLost(reason))
            process.held.clear()
            self._stop(process)
        self._processes = []
        for call in self._waiting:
            if not call.future.done():
                call.future.set_exception(CoreProcessLost(reason))
        self._waiting.clear()

    def _stop(self, process: _Process) -> None:
        for future in process.held:
            future.cancel()
        process.held.clear()
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(process.connection.fileno())
        try:
            if not process.writing:
                process.connection.send_bytes(pickle.dumps(None))  # "no more": the process returns
        except OSError:
            pass  # already gone
        process.connection.close()


# ---------------------------------------------------------------- child side


def _serve(connection: Connection, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    """A core process: set up once, then answer each call in turn until told to stop or the parent is gone."""
    # Ctrl-C reaches the whole process group; the server decides when to stop and closes our pipe (or,
    # if it dies, the pipe closes by itself), so a question in progress is not cut off with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)
    _answer_calls(connection)


def _answer_calls(connection: Connection) -> None:
    while True:
        try:
            call = pickle.loads(connection.recv_bytes())
        except (EOFError, OSError):
            return
        if call is None:
            return
        function, args = call
        try:
            answer: tuple[bool, Any] = (True, function(*args))
        except Exception as exc:  # raised in the caller instead
            answer = (False, exc)
        try:
            connection.send(answer)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # an answer that cannot travel
            connection.send((False, RuntimeError(f"a core process could not send its answer back: {exc!r}")))
