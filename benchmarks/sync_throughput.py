"""Benchmark: a full sync of a large roster from each fake ATS, held against the fake's own rate limit.

Each provider is driven through its profile in benchmarks/sync_profiles/ (its fake, documented limit,
adapter and how its data is changed); `--providers` takes any registered profile, and each gets its own
`--<provider>-sizes` and `--<provider>-scale` options.

A sync that talks to a rate-limited API can go no faster than its rate-limit floor (requests needed /
allowed rate); this measures how close the real adapter + sync engine come to it, how much memory the
syncing process needs (it should not grow with the roster), and what an incremental sync costs after
100 changes made through the fake's own write API. Each fake runs in its own process through its
command line, so its CPU and memory do not count against the syncing process, and each sync runs in a
fresh process so its peak RSS is its own.

The documented limits (Greenhouse 75 requests per 30 s, Lever 10 requests/s, Freshteam 50 per minute)
make a 100k-candidate run take hours, so the scale multiplies the fake's limit, the adapter's own pacing
where it has one (Lever sends no rate-limit headers, so the adapter paces itself) and the floor by the
same factor: the ratio floor / wall is what matters, and it stays meaningful while the scaled rate is well
below what the machine can serve. A provider whose windows are fixed (Greenhouse) starts its full sync on
a window boundary; a run may finish inside its last window and beat the plain floor (ratio above 1), so
the note under its table gives the whole-window floor as well.

Lever has no bulk endpoint for resumes and files, so its full sync costs two requests per candidate
(about 186,000 for 100k): at ×10 that is a 33-minute run, hence smaller default Lever rosters.

    .venv/bin/python -m benchmarks.sync_throughput                      # defaults, ~20 min on 2 cores
    .venv/bin/python -m benchmarks.sync_throughput --lever-sizes 20000,100000 --providers lever  # ~45 min
    .venv/bin/python -m benchmarks.sync_throughput --postgres           # also into PostgreSQL
    .venv/bin/python -m benchmarks.sync_throughput --sizes 1000 --scale 5 --changes 20
    .venv/bin/python -m benchmarks.sync_throughput --providers freshteam --freshteam-sizes 20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.sync_profiles import PROFILES, SyncProfile, profile_for

DEFAULT_CHANGES = 100
DEFAULT_POSTGRES_URL = os.environ.get("HIREBOT_TEST_POSTGRES_URL",
                                      "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FAKE_START_SECONDS = 300.0
TARGET_RATIO = 0.85
TARGET_PEAK_MB = 300.0


@dataclass
class RunResult:
    """What one worker process measured for one (provider, roster size, database)."""

    provider: str
    size: int
    database: str
    scale: float
    candidates: int = 0
    applications: int = 0
    attachments: int = 0
    requests: int = 0  # API requests that got an answer other than 429 (the work the limit meters)
    rate_limited: int = 0  # 429 answers
    wall_seconds: float = 0.0
    rss_start_mb: float = 0.0
    peak_rss_mb: float = 0.0
    quiet_requests: int = 0
    quiet_seconds: float = 0.0
    quiet_listed: int = 0
    changes: int = 0
    change_requests: int = 0
    change_seconds: float = 0.0
    change_listed: int = 0
    change_updated: int = 0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after the full sync

    def floor(self, requests: int) -> float:
        return requests / (profile_for(self.provider).rate * self.scale)


# =====================================================================================================
# The syncing process
# =====================================================================================================

class Meter:
    """Counts the adapter's responses as its httpx client receives them (counters only: memory stays flat).

    Only paths the provider's limit meters count (Greenhouse's token endpoint has its own window)."""

    def __init__(self, profile: SyncProfile) -> None:
        self.metered = profile.metered
        self.answered = 0
        self.rate_limited = 0

    async def __call__(self, response: Any) -> None:
        if not self.metered(response.request.url.path):
            return
        if response.status_code == 429:
            self.rate_limited += 1
        else:
            self.answered += 1

    def reading(self) -> tuple[int, int]:
        return self.answered, self.rate_limited


def rss_mb() -> float:
    """Current resident set size, from /proc (no psutil needed)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def add_connection(sessions: Any, provider: str, url: str) -> int:
    from cryptography.fernet import Fernet

    from store.crypto import SecretBox
    from store.db import transaction
    from store.models import AtsConnection, Workspace

    with transaction(sessions) as session:
        workspace = Workspace(name="Benchmark", platform="local", external_id=uuid.uuid4().hex)
        session.add(workspace)
        session.flush()
        connection = AtsConnection(workspace_id=workspace.id, provider=provider, name=provider.title(),
                                   base_url=url, settings={},
                                   credentials=SecretBox(Fernet.generate_key()).seal({"benchmark": True}))
        session.add(connection)
        session.flush()
        return connection.id


def stored_counts(sessions: Any, connection_id: int) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from store.db import transaction
    from store.models import Application, Attachment, Candidate

    with transaction(sessions) as session:
        return tuple(int(session.scalar(select(func.count()).select_from(model)
                                        .where(model.connection_id == connection_id)) or 0)
                     for model in (Candidate, Application, Attachment))  # type: ignore[return-value]


def spread_remote_ids(sessions: Any, connection_id: int, how_many: int) -> list[str]:
    """`how_many` stored candidates spread evenly over the roster, not just its first page."""
    from sqlalchemy import select

    from store.db import transaction
    from store.models import Candidate

    with transaction(sessions) as session:
        ids = list(session.scalars(select(Candidate.remote_id).where(Candidate.connection_id == connection_id)
                                   .order_by(Candidate.id)))
    step = max(len(ids) // max(how_many, 1), 1)
    return ids[::step][:how_many]


async def wait_for_fresh_window(profile: SyncProfile, scale: float) -> None:
    """Let the rate limit recover, so the incremental run starts where a periodic poll would: fixed windows
    wait for the next boundary, others as long as the profile says its limit takes to recover."""
    if profile.fixed_windows:  # windows aligned to multiples of per_seconds
        window = profile.per_seconds
        await asyncio.sleep(window - time.time() % window + 0.5)
    else:
        await asyncio.sleep(profile.recover_seconds(scale))


@dataclass
class Syncer:
    """One connection synced through one adapter, with the responses it gets counted."""

    sessions: Any
    connection_id: int
    adapter: Any
    meter: Meter
    profile: SyncProfile

    async def run(self, *, full: bool) -> tuple[Any, int, int, float]:
        """Sync once; return the summary, API requests answered, 429s, and seconds taken."""
        from store.sync import sync_connection

        answered, limited = self.meter.reading()
        started = time.perf_counter()
        summary = await sync_connection(self.sessions, self.connection_id, self.adapter, full=full)
        seconds = time.perf_counter() - started
        answered_after, limited_after = self.meter.reading()
        return summary, answered_after - answered, limited_after - limited, seconds


async def measure_full_sync(syncer: Syncer, result: RunResult) -> None:
    if syncer.profile.fixed_windows:  # start on a window boundary, so no partial window comes free
        await wait_for_fresh_window(syncer.profile, result.scale)
    before = os.getloadavg()[0]
    _, result.requests, result.rate_limited, result.wall_seconds = await syncer.run(full=True)
    result.peak_rss_mb = peak_rss_mb()
    result.load = (before, os.getloadavg()[0])
    result.candidates, result.applications, result.attachments = stored_counts(syncer.sessions,
                                                                               syncer.connection_id)


async def measure_incremental_syncs(syncer: Syncer, result: RunResult, url: str, changes: int) -> None:
    """One incremental run with nothing changed (the baseline), then one after `changes` changes."""
    await wait_for_fresh_window(syncer.profile, result.scale)
    quiet, result.quiet_requests, _, result.quiet_seconds = await syncer.run(full=False)
    result.quiet_listed = quiet.created + quiet.updated + quiet.unchanged
    if not changes:
        return
    chosen = spread_remote_ids(syncer.sessions, syncer.connection_id, changes)
    await syncer.profile.make_changes(url, chosen, result.scale)
    await wait_for_fresh_window(syncer.profile, result.scale)
    changed, result.change_requests, _, result.change_seconds = await syncer.run(full=False)
    result.changes = len(chosen)
    result.change_listed = changed.created + changed.updated + changed.unchanged
    result.change_updated = changed.updated


async def measure(provider: str, url: str, size: int, database_url: str, scale: float, changes: int
                  ) -> RunResult:
    import httpx

    from store.db import make_engine, session_factory, upgrade

    profile = profile_for(provider)
    result = RunResult(provider=provider, size=size, database=database_url.split(":", 1)[0].split("+")[0],
                       scale=scale, rss_start_mb=rss_mb())
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        sessions = session_factory(engine)
        meter = Meter(profile)
        async with httpx.AsyncClient(event_hooks={"response": [meter]}) as client:
            syncer = Syncer(sessions, add_connection(sessions, provider, url),
                            profile.build_adapter(url, client, scale), meter, profile)
            await measure_full_sync(syncer, result)
            await measure_incremental_syncs(syncer, result, url, changes)
    finally:
        engine.dispose()
    return result


def worker_main(arguments: dict[str, Any]) -> None:
    """The syncing process: one full sync, then incremental ones; prints its RunResult as JSON."""
    result = asyncio.run(measure(arguments["provider"], arguments["url"], arguments["size"],
                                 arguments["database_url"], arguments["scale"], arguments["changes"]))
    print(json.dumps(asdict(result)), flush=True)


# =====================================================================================================
# The orchestrating process
# =====================================================================================================

@contextmanager
def running_fake(profile: SyncProfile, size: int, scale: float) -> Iterator[str]:
    """Start the fake's command line in its own process and yield its API URL once it serves."""
    command = [sys.executable, "-u", "-m", profile.fake_module, "--candidates", str(size),
               *profile.fake_arguments(scale)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               cwd=Path(__file__).resolve().parent.parent)
    try:
        yield _served_url(process, profile)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _served_url(process: subprocess.Popen[str], profile: SyncProfile) -> str:
    """The fakes print their address on the first line once generated and listening."""
    assert process.stdout is not None
    deadline = time.monotonic() + FAKE_START_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {profile.provider} fake exited before serving (code {process.poll()})")
        for word in line.split():
            if word.startswith("http://"):
                return word.rstrip("/")
    raise RuntimeError(f"the {profile.provider} fake did not start within {FAKE_START_SECONDS:.0f} s")


def run_worker(provider: str, url: str, size: int, database_url: str, scale: float, changes: int
               ) -> RunResult:
    arguments = {"provider": provider, "url": url, "size": size, "database_url": database_url, "scale": scale,
                 "changes": changes}
    completed = subprocess.run([sys.executable, "-m", "benchmarks.sync_throughput", "--worker",
                                json.dumps(arguments)], capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parent.parent)
    if completed.returncode != 0:
        raise RuntimeError(f"the {provider} sync worker failed:\n{completed.stderr[-3000:]}")
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    return RunResult(**{**measured, "load": tuple(measured["load"])})


@contextmanager
def database(kind: str, provider: str, size: int, postgres_url: str, folder: Path) -> Iterator[str]:
    """A fresh, empty target database for one run: a SQLite file, or a PostgreSQL database dropped after."""
    if kind == "sqlite":
        path = folder / f"{provider}-{size}.sqlite3"
        yield f"sqlite:///{path}"
        for leftover in folder.glob(f"{path.name}*"):
            leftover.unlink()
        return
    from sqlalchemy import create_engine, text

    from store.db import normalize_url

    admin = create_engine(normalize_url(postgres_url), isolation_level="AUTOCOMMIT")
    name = f"hirebot_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{normalize_url(postgres_url).rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_problem(url: str) -> str | None:
    from sqlalchemy import create_engine, text

    from store.db import normalize_url

    try:
        probe = create_engine(normalize_url(url), connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("select 1"))
        probe.dispose()
    except Exception as exc:  # any failure to connect: say so and carry on with SQLite
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


# =====================================================================================================
# The report
# =====================================================================================================

def _seconds(value: float) -> str:
    return f"{value:,.1f} s" if value >= 10 else f"{value:,.2f} s"


def _mb(value: float) -> str:
    return f"{value:,.0f} MB"


@dataclass(frozen=True)
class Row:
    measure: str
    values: list[str]
    baseline: str
    target: str


def report_rows(results: Sequence[RunResult]) -> list[Row]:
    """Measures down, roster sizes across; the baseline is the rate-limit floor (memory: smallest roster)."""
    largest, smallest = results[-1], results[0]

    def each(show: Callable[[RunResult], str]) -> list[str]:
        return [show(r) for r in results]

    ratio = [r.floor(r.requests) / r.wall_seconds if r.wall_seconds else 0.0 for r in results]
    return [
        Row("stored: candidates / applications / attachments",
            each(lambda r: f"{r.candidates:,} / {r.applications:,} / {r.attachments:,}"), "", ""),
        Row("API requests (429 answers)", each(lambda r: f"{r.requests:,} ({r.rate_limited})"), "", "no 429"),
        Row("full sync wall time", each(lambda r: _seconds(r.wall_seconds)),
            f"{_seconds(largest.floor(largest.requests))} (floor)", ""),
        Row("rate-limit floor (requests / rate)", each(lambda r: _seconds(r.floor(r.requests))), "", ""),
        Row("floor / wall", [f"{value:.2f}" for value in ratio], "1.00", f">= {TARGET_RATIO:.2f}"),
        Row("peak RSS, syncing process", each(lambda r: _mb(r.peak_rss_mb)),
            f"{_mb(smallest.peak_rss_mb)} ({smallest.size:,})", f"< {TARGET_PEAK_MB:.0f} MB, flat"),
        Row("  RSS before syncing", each(lambda r: _mb(r.rss_start_mb)), "", ""),
        Row("load average before / after", each(lambda r: f"{r.load[0]:.1f} / {r.load[1]:.1f}"),
            f"{os.cpu_count()} cores", ""),
        Row("incremental, no changes", each(lambda r: f"{r.quiet_requests} req, {_seconds(r.quiet_seconds)}, "
                                                      f"{r.quiet_listed} listed"),
            f"{_seconds(largest.floor(largest.quiet_requests))} (floor)", ""),
        Row(f"incremental, {largest.changes} changes",
            each(lambda r: f"{r.change_requests} req, {_seconds(r.change_seconds)}, "
                           f"{r.change_updated} updated of {r.change_listed} listed"),
            f"{_seconds(largest.floor(largest.change_requests))} (floor)", ""),
    ]


def print_report(results: Sequence[RunResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=170)
    groups: dict[tuple[str, str], list[RunResult]] = {}
    for result in results:
        groups.setdefault((result.provider, result.database), []).append(result)
    for (provider, database_kind), group in groups.items():
        group.sort(key=lambda r: r.size)
        profile = profile_for(provider)
        scale = group[0].scale
        title = (f"{provider.title()} → {database_kind}: {profile.described}, scaled ×{scale:g} "
                 f"= {profile.rate * scale:,.1f} requests/s")
        table = Table(title=title, title_justify="left")
        table.add_column("measure", no_wrap=True)
        for result in group:
            table.add_column(f"{result.size:,} candidates", justify="right")
        table.add_column("baseline", justify="right")
        table.add_column("target")
        for row in report_rows(group):
            table.add_row(row.measure, *row.values, row.baseline, row.target)
        console.print(table)
        if profile.fixed_windows:
            for result in group:
                console.print(_window_note(result))
        console.print()


def _window_note(result: RunResult) -> str:
    """Fixed windows make the plain floor approximate: the last window may be used only in part."""
    profile = profile_for(result.provider)
    per_window = round(profile.requests * result.scale)
    windows = math.ceil(result.requests / per_window)
    whole = (windows - 1) * profile.per_seconds
    return (f"  {result.size:,} candidates: {result.requests:,} requests need {windows} windows of "
            f"{per_window:,}; "
            f"started on a window boundary, the last one opens at {whole:,.0f} s "
            f"(floor by whole windows / wall = {whole / result.wall_seconds:.2f}).")


# =====================================================================================================
# Command line
# =====================================================================================================

def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync_throughput",
                                     description="Full and incremental sync from each fake ATS against its "
                                                 "rate-limit floor.")
    parser.add_argument("--providers", default=",".join(PROFILES),
                        help=f"comma-separated, from {', '.join(PROFILES)} (default: all)")
    parser.add_argument("--sizes", default=None, help="roster sizes for every provider, comma-separated")
    parser.add_argument("--scale", type=float, default=None,
                        help="multiply every fake's rate limit (and the floor) by this")
    for name in PROFILES:
        profile = profile_for(name)
        default_sizes = ",".join(map(str, profile.default_sizes))
        parser.add_argument(f"--{name}-sizes", default=None,
                            help=f"roster sizes for {name} (default {default_sizes})")
        parser.add_argument(f"--{name}-scale", type=float, default=None,
                            help=f"rate-limit scale for {name} (default {profile.default_scale:g})")
    parser.add_argument("--changes", type=int, default=DEFAULT_CHANGES,
                        help="candidates changed on the fake before the incremental sync (default 100)")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES_URL, default=None, metavar="URL",
                        help="also sync into PostgreSQL (default URL: $HIREBOT_TEST_POSTGRES_URL or "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def plan_for(arguments: argparse.Namespace, provider: str) -> tuple[float, list[int]]:
    """Scale and roster sizes for `provider`: its own option, else the shared one, else its defaults."""
    profile = profile_for(provider)
    scale = next((value for value in (getattr(arguments, f"{provider}_scale"), arguments.scale)
                  if value is not None), profile.default_scale)
    raw_sizes = getattr(arguments, f"{provider}_sizes") or arguments.sizes
    sizes = sorted({int(size) for size in raw_sizes.split(",") if size.strip()}) if raw_sizes \
        else list(profile.default_sizes)
    if scale <= 0 or not sizes or min(sizes) <= 0:
        raise SystemExit(f"{provider}: the scale and the roster sizes must be positive.")
    return float(scale), sizes


def main(argv: Sequence[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    if arguments.worker:
        worker_main(json.loads(arguments.worker))
        return
    providers = [name.strip() for name in arguments.providers.split(",") if name.strip()]
    unknown = [name for name in providers if name not in PROFILES]
    if unknown:
        raise SystemExit(f"Unknown provider {unknown[0]!r}: choose from {', '.join(PROFILES)}.")
    plans = {provider: plan_for(arguments, provider) for provider in providers}
    databases = ["sqlite"]
    if arguments.postgres:
        problem = postgres_problem(arguments.postgres)
        if problem:
            print(f"PostgreSQL skipped: {problem}")
        else:
            databases.append("postgresql")
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="hirebot-bench-") as folder:
        for provider, (scale, sizes) in plans.items():
            for kind in databases:
                for size in sizes:
                    print(f"{provider}, {size:,} candidates, {kind}, scale ×{scale:g} …", flush=True)
                    with running_fake(profile_for(provider), size, scale) as url, \
                            database(kind, provider, size, arguments.postgres or "", Path(folder)) as target:
                        results.append(run_worker(provider, url, size, target, scale, arguments.changes))
    print_report(results)


if __name__ == "__main__":
    main()
