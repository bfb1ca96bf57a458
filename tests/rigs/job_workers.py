"""Job worker subprocesses for the job tests: real processes running the real dispatcher against the test's
database, one writing a side effect per job, one that sends an email and then hangs until it is killed.
They import this module, not the test module, so starting one loads no tests.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine, text

from scheduler.jobs import ClaimedJob, JobDispatcher, JobOutcome
from store.crypto import SecretBox
from store.db import make_engine, session_factory

REPO = Path(__file__).resolve().parents[2]

EFFECTS_DDL = "CREATE TABLE IF NOT EXISTS job_effects (job_key VARCHAR(200), owner VARCHAR(100))"


class EffectHandler:
    """The side effect is a row in `job_effects` written in its own transaction, like a sent email."""

    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner

    async def __call__(self, job: ClaimedJob) -> JobOutcome:
        await asyncio.to_thread(self._write, job.key)
        return JobOutcome(note="effect written")

    def _write(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("INSERT INTO job_effects (job_key, owner) VALUES (:k, :o)"), {"k": key, "o": self.owner})


def worker_main(argv: list[str]) -> None:
    """Entry point of the worker subprocesses (see `spawn`)."""
    mode, url, owner = argv[:3]
    if mode == "effects":
        _effects_worker(url, owner)
    elif mode == "hang-after-send":
        _hanging_mail_worker(url, owner, Path(argv[3]), argv[4].encode())
    else:
        raise SystemExit(f"unknown worker mode {mode}")


def _effects_worker(url: str, owner: str) -> None:
    engine = make_engine(url)
    dispatcher = JobDispatcher(session_factory(engine), handlers={"test": EffectHandler(engine, owner)},
                               owner=owner, batch=5, concurrency=2)
    print("ready", flush=True)
    with engine.connect() as conn:  # start together: wait until the test releases its advisory lock
        conn.execute(text("SELECT pg_advisory_lock_shared(4242)"))
        conn.execute(text("SELECT pg_advisory_unlock_shared(4242)"))

    async def work() -> int:
        ran = 0
        while (count := await dispatcher.run_due()) > 0:
            ran += count
        return ran

    print(f"done {asyncio.run(work())}", flush=True)


class _SendThenHang:
    """A mailer that hands the message to the real outbox, says so, and then hangs until it is killed."""

    def __init__(self, outbox: Path) -> None:
        from scheduler.mail import Mailer

        self.real = Mailer(outbox=outbox)

    def send(self, message: EmailMessage) -> str:
        message_id = self.real.send(message)
        print(f"sent {message_id}", flush=True)
        threading.Event().wait()
        return message_id


def _hanging_mail_worker(url: str, owner: str, outbox: Path, fernet_key: bytes) -> None:
    from scheduler.jobs import JobKind
    from scheduler.meetings import MeetingEmailHandler, MeetingService
    from tests.rigs.meetings import TOKEN_KEY, plain_email

    engine = make_engine(url)
    sessions = session_factory(engine)
    service = MeetingService(sessions, SecretBox(fernet_key), public_url="https://hirebot.test",
                             token_key=TOKEN_KEY)
    handler = MeetingEmailHandler(service, build_email=plain_email, mailer=_SendThenHang(outbox),
                                  domain="hirebot.test")
    dispatcher = JobDispatcher(sessions, handlers={JobKind.REQUEST_EMAIL: handler}, owner=owner)
    asyncio.run(dispatcher.run_due())


def spawn(*args: str) -> subprocess.Popen[str]:
    """A worker subprocess on `worker_main`, with its output piped for the test to read."""
    code = "import sys; from tests.rigs.job_workers import worker_main; worker_main(sys.argv[1:])"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
