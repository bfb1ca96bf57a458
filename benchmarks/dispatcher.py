"""Benchmark of the durable-job dispatcher on PostgreSQL: 100k pending reminders, 1 and 2 worker processes.

Beside hirebot's dispatcher (batched `FOR UPDATE SKIP LOCKED` claim with a lease, concurrent handlers,
outcomes settled together), a baseline claims one row per transaction and marks it done in another, the
loop most job tables start with. Handlers do nothing (the cost measured is the dispatcher's own).

Two runs per configuration, each on a fresh table of N rows:
* backlog: every row already due. Start-up is the time from a worker being told to go to its first claim
  returning rows (on a table of N due rows; the slowest worker counts); throughput is rows done per second
  of wall time across the workers.
* spread: rows due evenly over `--spread` seconds; hirebot's workers are woken by `DispatchRunner`
  (APScheduler), the baseline polls. Lateness is `finished_at - due_at` per row, p50 and p99.
The baseline is stopped after `--baseline-cap` seconds of backlog, or that long after the last row fell
due (it would take many minutes); the table says how many rows it had finished.

    .venv/bin/python -m benchmarks.dispatcher                     # 100k rows, spread over 100 s
    .venv/bin/python -m benchmarks.dispatcher --jobs 20000 --spread 20 --baseline-cap 20
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, text

from scheduler.jobs import ClaimedJob, JobDispatcher, JobOutcome
from scheduler.runner import DispatchRunner
from store.db import make_engine, normalize_url, session_factory, upgrade

DEFAULT_URL = os.environ.get("HIREBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KIND = "bench_reminder"


class NoOpReminder:
    async def __call__(self, job: ClaimedJob) -> JobOutcome:
        return JobOutcome(note="sent")


class TimedDispatcher(JobDispatcher):
    """Notes when its first claim returned rows (the start-up figure); otherwise hirebot's dispatcher."""

    first_claim: float | None = None

    def _claim(self, now: datetime) -> list[ClaimedJob]:
        claimed = super()._claim(now)
        if claimed and self.first_claim is None:
            self.first_claim = time.perf_counter()
        return claimed


@dataclass(frozen=True)
class Run:
    implementation: str  # "hirebot" | "baseline"
    workers: int
    mode: str  # "backlog" | "spread"


@dataclass(frozen=True)
class Measured:
    run: Run
    startup: float | None  # seconds, slowest worker
    done: int
    throughput: float  # rows per second
    p50: float | None
    p99: float | None
    left: int


# -- the two implementations, each in its own worker process ---------------------------------------------


def hirebot_worker(url: str, owner: str, mode: str, go: Any, results: Any) -> None:
    engine = make_engine(url, pool_size=4)
    dispatcher = TimedDispatcher(session_factory(engine), handlers={KIND: NoOpReminder()}, owner=owner)
    go.wait()
    started = time.perf_counter()

    async def work() -> float | None:
        if mode == "backlog":
            while await dispatcher.run_due() > 0:
                pass
            return None if dispatcher.first_claim is None else dispatcher.first_claim - started
        runner = DispatchRunner(dispatcher, tick=timedelta(seconds=1))
        runner.start()
        try:
            while _unfinished(engine):
                await asyncio.sleep(0.5)
        finally:
            runner.shutdown()
        return None

    results.put((owner, asyncio.run(work())))
    engine.dispose()


def baseline_worker(url: str, owner: str, mode: str, go: Any, results: Any, cap: float) -> None:
    """One row per transaction: claim it, commit, run it, mark it done, commit; poll when nothing is due."""
    engine = make_engine(url, pool_size=2)
    go.wait()
    started = time.perf_counter()
    first: float | None = None
    while time.perf_counter() - started < cap:
        now = datetime.now(UTC).replace(tzinfo=None)
        with engine.begin() as conn:
            row = conn.execute(text(
                "SELECT id FROM scheduled_jobs WHERE state = 'pending' AND due_at <= :now "
                "ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED"), {"now": now}).first()
            if row is not None:
                conn.execute(text("UPDATE scheduled_jobs SET state = 'running', lease_owner = :o, "
                                  "lease_until = :until, attempts = attempts + 1, started_at = :now "
                                  "WHERE id = :id"),
                             {"o": owner, "until": now + timedelta(minutes=2), "now": now, "id": row.id})
        if row is not None and first is None:
            first = time.perf_counter() - started
        if row is None:
            if not _unfinished(engine):
                break
            time.sleep(0.01)
            continue
        with engine.begin() as conn:
            conn.execute(text("UPDATE scheduled_jobs SET state = 'done', note = 'sent', finished_at = :now, "
                              "lease_owner = NULL, lease_until = NULL WHERE id = :id"),
                         {"now": datetime.now(UTC).replace(tzinfo=None), "id": row.id})
    results.put((owner, first))
    engine.dispose()


def _unfinished(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM scheduled_jobs WHERE state IN ('pending', 'running') LIMIT 1")
                            ).first() is not None


# -- one measured run ----------------------------------------------------------------------------------------


def fill(engine: Engine, jobs: int, *, first_due: datetime, spread: float) -> None:
    """N pending rows, due evenly from `first_due` over `spread` seconds (0: all at once)."""
    step = spread / max(jobs - 1, 1)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM scheduled_jobs"))
        conn.execute(text(
            "INSERT INTO scheduled_jobs "
            "(kind, due_at, state, idempotency_key, payload, attempts, created_at) "
            "SELECT :kind, "
            "CAST(:first AS timestamp) + make_interval(secs => i * CAST(:step AS double precision)), "
            "'pending', 'bench:' || i, '{}', 0, CAST(:first AS timestamp) "
            "FROM generate_series(0, :n - 1) AS i"),
            {"kind": KIND, "first": first_due.astimezone(UTC).replace(tzinfo=None), "step": step, "n": jobs})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE scheduled_jobs"))


def measure(url: str, run: Run, *, jobs: int, spread: float, cap: float) -> Measured:
    engine = make_engine(url)
    lead = 3.0 if run.mode == "spread" else 0.0  # time for the workers to start before the first row is due
    first_due = datetime.now(UTC) + timedelta(seconds=lead + 2) if run.mode == "spread" else \
        datetime.now(UTC) - timedelta(seconds=1)
    fill(engine, jobs, first_due=first_due, spread=spread if run.mode == "spread" else 0.0)
    context = multiprocessing.get_context("spawn")
    go, results = context.Event(), context.Queue()
    processes = []
    for n in range(run.workers):
        owner = f"{run.implementation}-{n}-{uuid.uuid4().hex[:6]}"
        args: tuple[Any, ...] = (url, owner, run.mode, go, results)
        if run.implementation == "hirebot":
            processes.append(context.Process(target=hirebot_worker, args=args))
        else:
            # In the spread run the baseline gets the whole spread plus `cap` to catch up.
            limit = cap if run.mode == "backlog" else lead + 2 + spread + cap
            processes.append(context.Process(target=baseline_worker, args=(*args, limit)))
    for process in processes:
        process.start()
    time.sleep(2.0)  # imports and connections, so start-up measures the dispatcher, not Python
    go.set()
    firsts = [results.get()[1] for _ in processes]
    for process in processes:
        process.join()
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT count(*) FILTER (WHERE state = 'done') AS done, "
            "count(*) FILTER (WHERE state <> 'done') AS left, "
            "extract(epoch FROM max(finished_at) - min(started_at)) AS span, "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - due_at)) AS p50, "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - due_at)) AS p99 "
            "FROM scheduled_jobs WHERE kind = :kind"), {"kind": KIND}).one()
    engine.dispose()
    startups = [first for first in firsts if first is not None]
    span = float(row.span or 0) or 1.0
    return Measured(run=run, startup=max(startups) if startups else None, done=int(row.done),
                    throughput=int(row.done) / span, p50=_float(row.p50), p99=_float(row.p99),
                    left=int(row.left))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# -- the table -----------------------------------------------------------------------------------------------


def report(results: list[Measured], *, jobs: int, spread: float, cap: float) -> str:
    def cell(implementation: str, workers: int, mode: str, pick: Any) -> str:
        found = [m for m in results if m.run == Run(implementation, workers, mode)]
        return pick(found[0]) if found else "–"

    def seconds(value: float | None) -> str:
        if value is None:
            return "–"
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"

    def done_note(m: Measured) -> str:
        return "" if m.left == 0 else f" (stopped with {m.done:,} of {m.done + m.left:,} done)"

    def rate(m: Measured) -> str:
        return f"{m.throughput:,.0f} rows/s{done_note(m)}"

    def late(m: Measured) -> str:
        return f"{seconds(m.p50)} / {seconds(m.p99)}{done_note(m)}"

    rows = [("metric", "workers", "hirebot dispatcher", "baseline: one row per transaction")]
    for workers in (1, 2):
        rows.append(("start-up: go → first claim", str(workers),
                     cell("hirebot", workers, "backlog", lambda m: seconds(m.startup)),
                     cell("baseline", workers, "backlog", lambda m: seconds(m.startup))))
    for workers in (1, 2):
        rows.append(("throughput, backlog of due rows", str(workers),
                     cell("hirebot", workers, "backlog", rate), cell("baseline", workers, "backlog", rate)))
    for workers in (1, 2):
        rows.append((f"lateness p50 / p99, due over {spread:.0f} s", str(workers),
                     cell("hirebot", workers, "spread", late), cell("baseline", workers, "spread", late)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"Dispatcher benchmark: {jobs:,} pending reminders on PostgreSQL, {os.cpu_count()} CPUs"]
    for index, row in enumerate(rows):
        lines.append("| " + " | ".join(value.ljust(widths[i]) for i, value in enumerate(row)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def fresh_database(url: str) -> tuple[str, Engine, str]:
    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    name = f"hirebot_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    bench_url = f"{normalize_url(url).rsplit('/', 1)[0]}/{name}"
    engine = make_engine(bench_url)
    upgrade(engine)
    engine.dispose()
    return bench_url, admin, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL,
                        help="a PostgreSQL server (a scratch database is created)")
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--spread", type=float, default=100.0, help="seconds over which rows fall due")
    parser.add_argument("--baseline-cap", type=float, default=60.0,
                        help="seconds the baseline may run on a backlog, or past the last due time")
    args = parser.parse_args()
    url, admin, name = fresh_database(args.url)
    results: list[Measured] = []
    try:
        runs = [Run(impl, workers, mode) for mode in ("backlog", "spread")
                for impl in ("hirebot", "baseline") for workers in (1, 2)]
        for run in runs:
            measured = measure(url, run, jobs=args.jobs, spread=args.spread, cap=args.baseline_cap)
            results.append(measured)
            print(f"  {run.implementation:8} {run.workers} worker(s) {run.mode:7}: done {measured.done:,}, "
                  f"{measured.throughput:,.0f}/s, start-up {measured.startup}, p50 {measured.p50}, "
                  f"p99 {measured.p99}", flush=True)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print()
    print(report(results, jobs=args.jobs, spread=args.spread, cap=args.baseline_cap))


if __name__ == "__main__":
    main()
