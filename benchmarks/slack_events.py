"""Benchmark for the Slack front end: signed "who is" DMs to /slack/events against a 100k-candidate store.

hirebot runs in its own process, as `hirebot run` would (aiohttp server, Bolt app, real core, SQLite
store), talking to the fake Slack Web API from bot/slack/sandbox.py. This process sends the events over
loopback and receives hirebot's Web API calls, so it sees both ends:

- ack latency: from sending an event to hirebot's HTTP 200 (Slack wants it within 3 s);
- answer latency: from sending an event to hirebot's `chat.postMessage` for it reaching the fake;
- requests/s: acks per second with a fixed number of requests in flight (closed loop), and whether an
  offered rate (open loop, default 250/s) is sustained;
- answers/s: cards posted per second, from the first event sent to the last card posted;
- sent/s: the rate the driver really offered (it shares the cores and may fall behind `--rate`);
- CPU ms per event in hirebot's server process, in its core processes and in this driver with the fake
  Slack (from /proc): where the machine's cores went, which is steadier than rates on a shared machine;
  and how many cores other processes kept busy meanwhile (core processes run at a lower priority, so
  another busy process takes its CPU from them first: read the rates beside that column).

Each phase runs with 1 and with 2 core processes (`--workers 1,2`, as `hirebot run --workers N`), and a last
table puts the answer rates side by side: the speed-up is what a second core process buys on this machine,
where the server, the fake Slack and this driver share the same cores.

    .venv/bin/python -m benchmarks.slack_events                       # 100k candidates, 250/s for 10 s
    .venv/bin/python -m benchmarks.slack_events --candidates 10000 --seconds 5 --rate 100 --workers 1
    .venv/bin/python -m benchmarks.slack_events --rate 350 --profile /tmp/prof   # + cProfile stats
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import multiprocessing
import os
import random
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from sqlalchemy import insert

from bot.frontend.conversation import BUSY_TEXT
from bot.slack.sandbox import FakeSlackApi, RecordedCall, SlackRequests
from store.crypto import SecretBox

SECRET = "benchmark-signing-secret"
BOT_TOKEN = "xoxb-benchmark"
USERS = 20

_FIRST_TEXT = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Priya Arjun Wei Mei Yuki Hiroshi Fatima Omar Layla Ngozi "
    "Kwame José Zoë Łukasz François Søren Björn Siobhán Chloé Mónica Jürgen Aoife Işıl Mateo Camila Inès "
    "Léa Giulia Matteo Sven Ingrid Ada Grace Alan Edsger Barbara Donald Leslie Radia Frances"
)
_LAST_TEXT = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Sharma Iyer Tanaka Sato Chen Wang Li "
    "Müller Schröder Kowalski Novák Yılmaz Okafor Mensah Adeyemi Haddad Khan Rossi Bianchi Ferreira Silva "
    "Costa Lindqvist Johansson Nørgaard Lovelace Hopper Turing Dijkstra Liskov Knuth Lamport Perlman"
)
FIRST = _FIRST_TEXT.split()
LAST = _LAST_TEXT.split()


# ------------------------------------------------------------------------------------------ the store


def seed(database_url: str, candidates: int, rng: random.Random) -> list[str]:
    """An org-wide Greenhouse connection in the default workspace with `candidates` people; returns names."""
    from bot.directory import Directory
    from store.db import make_engine, session_factory, transaction, upgrade
    from store.models import AtsConnection, Candidate, utcnow

    engine = make_engine(database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    workspace = Directory(sessions).default_workspace()
    with transaction(sessions) as session:
        conn = AtsConnection(
            workspace_id=workspace.id,
            provider="greenhouse",
            scope="org",
            name="Greenhouse",
            base_url="http://127.0.0.1:9",
            settings={},
            credentials=SecretBox(Fernet.generate_key()).seal({}),
            last_sync_at=utcnow(),
            roster_version=1,
        )
        session.add(conn)
        session.flush()
        connection_id = conn.id
    names: list[str] = []
    now = utcnow()
    batch: list[dict[str, Any]] = []
    for i in range(candidates):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if i % 7 == 0:  # a long tail of rarer compound surnames, so most names are unique
            last = f"{last}-{rng.choice(LAST)}"
        names.append(f"{first} {last}")
        email = f"{first}.{last}.{i}@example.com".lower()
        batch.append(
            {
                "connection_id": connection_id,
                "remote_id": str(i),
                "first_name": first,
                "last_name": last,
                "primary_email": email,
                "emails": [{"value": email, "type": "personal"}],
                "phones": [],
                "links": [],
                "tags": [],
                "url": f"https://app.greenhouse.io/people/{i}",
                "synced_at": now,
            }
        )
        if len(batch) == 5000:
            with transaction(sessions) as session:
                session.execute(insert(Candidate), batch)
            batch = []
    if batch:
        with transaction(sessions) as session:
            session.execute(insert(Candidate), batch)
    engine.dispose()
    return names


# ------------------------------------------------------------------------------------------ hirebot side


def serve_hirebot(database_url: str, api_url: str, data_dir: str, core_processes: int, ready: Any,
                  profile_to: str | None = None) -> None:
    """Child process: hirebot's Slack front end on a free loopback port, wired as `hirebot run` wires it.

    With `profile_to` (--profile) the whole life of the server process is written there as cProfile stats:
    it slows the process down, so such a run shows where the time goes, not how fast it is."""
    logging.basicConfig(level=logging.WARNING)
    if profile_to is None:
        asyncio.run(_serve_hirebot(database_url, api_url, data_dir, core_processes, ready))
        return
    import cProfile

    with cProfile.Profile(time.thread_time) as profiler:  # CPU of the event loop thread, not its waits
        asyncio.run(_serve_hirebot(database_url, api_url, data_dir, core_processes, ready))
    profiler.dump_stats(profile_to)


async def _serve_hirebot(database_url: str, api_url: str, data_dir: str, core_processes: int, ready: Any) -> None:
    from aiohttp import web

    from bot.connections import ConnectionService
    from bot.core import Assistant
    from bot.directory import Directory
    from bot.slack.app import SlackFrontEnd
    from store.db import make_engine, session_factory
    from store.settings import Settings

    settings = Settings(
        data_dir=Path(data_dir),
        database_url=database_url,
        secret_key="benchmark",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
    )
    sessions = session_factory(make_engine(database_url))
    front = SlackFrontEnd.from_settings(
        settings,
        sessions,
        Assistant(sessions),
        Directory(sessions),
        ConnectionService(sessions, SecretBox(Fernet.generate_key())),
        core_processes=core_processes,
    )
    assert front is not None
    await front.start()
    web_app = web.Application()
    web_app.add_routes(front.routes())
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ready.send(runner.addresses[0][1])
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await front.close()
    await runner.cleanup()


# ------------------------------------------------------------------------------------------ CPU accounting


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux /proc); 0 when it is gone or /proc is absent."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The processes `pid` started (hirebot's core processes), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(n) for n in task.read_text().split()]
        except OSError:
            continue
    return found


def machine_cpu_seconds() -> float:
    """CPU seconds every process on this machine has used (Linux /proc/stat); 0 without it."""
    try:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds used so far by hirebot's server process, its core processes, this driver (with the fake)
    and the whole machine, and the wall clock: what is left of the machine's is other people's work, which on
    a shared machine moves every rate in the tables."""

    server: float
    core: float
    driver: float
    machine: float
    wall: float

    @classmethod
    def now(cls, server_pid: int) -> CpuUse:
        return cls(cpu_seconds(server_pid), sum(cpu_seconds(p) for p in child_pids(server_pid)), time.process_time(),
                   machine_cpu_seconds(), time.monotonic())

    def since(self, before: CpuUse) -> CpuUse:
        return CpuUse(self.server - before.server, self.core - before.core, self.driver - before.driver,
                      self.machine - before.machine, self.wall - before.wall)

    @property
    def others_cores(self) -> float:
        """Cores kept busy by other processes meanwhile (on average)."""
        others = self.machine - self.server - self.core - self.driver
        return max(0.0, others) / self.wall if self.wall > 0 else float("nan")


# ------------------------------------------------------------------------------------------ Slack side


@dataclass
class Sent:
    channel: str
    sent_at: float
    acked_at: float | None = None
    status: int | None = None


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


class Driver:
    def __init__(self, url: str, fake: FakeSlackApi, names: list[str], rng: random.Random) -> None:
        self.url = url
        self.fake = fake
        self.names = names
        self.rng = rng
        self.requests = SlackRequests(SECRET, team_id=fake.team_id)
        self.serial = 0
        self._posts: dict[str, RecordedCall] = {}
        self._seen = 0

    async def send(self, session: aiohttp.ClientSession, tag: str) -> Sent:
        self.serial += 1
        channel = f"D{tag}{self.serial:07d}"
        user = f"U0USER{self.serial % USERS:02d}"
        body, content_type = self.requests.direct_message(
            user, f"who is {self.rng.choice(self.names)}?", channel=channel
        )
        sent = Sent(channel, time.monotonic())
        async with session.post(self.url, data=body, headers=self.requests.headers(body, content_type)) as response:
            await response.read()
            sent.status = response.status
        sent.acked_at = time.monotonic()
        return sent

    async def answers(self, sent: list[Sent], timeout: float) -> dict[str, RecordedCall]:
        """Each sent event's chat.postMessage as the fake received it (waits up to `timeout` for the last)."""
        wanted = {s.channel for s in sent}
        deadline = time.monotonic() + timeout
        while not wanted <= self._posted().keys() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        posted = self._posted()
        return {channel: posted[channel] for channel in wanted if channel in posted}

    def _posted(self) -> dict[str, RecordedCall]:
        """The last chat.postMessage to each channel, reading only the calls recorded since the last look
        (this driver shares the cores with hirebot: rescanning every call ten times a second showed up)."""
        calls = self.fake.calls
        for call in calls[self._seen:]:
            channel = call.args.get("channel") if call.method == "chat.postMessage" else None
            if isinstance(channel, str):
                self._posts[channel] = call
        self._seen = len(calls)
        return self._posts

    async def open_loop(self, session: aiohttp.ClientSession, rate: float, seconds: float) -> tuple[list[Sent], float]:
        total = int(rate * seconds)
        start = time.monotonic()
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.send(session, "O")))
        sent = await asyncio.gather(*tasks)
        return list(sent), time.monotonic() - start

    async def closed_loop(
        self, session: aiohttp.ClientSession, concurrency: int, count: int
    ) -> tuple[list[Sent], float]:
        remaining = count
        sent: list[Sent] = []

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                sent.append(await self.send(session, "C"))

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return sent, time.monotonic() - start


def summarize(label: str, sent: list[Sent], elapsed: float, answered: dict[str, RecordedCall],
              cpu: CpuUse | None = None) -> dict[str, Any]:
    acks = [(s.acked_at - s.sent_at) * 1000 for s in sent if s.acked_at is not None and s.status == 200]
    cards, busy, last_card = [], 0, 0.0
    for s in sent:
        post = answered.get(s.channel)
        if post is None:
            continue
        if BUSY_TEXT in str(post.args.get("text")):
            busy += 1
        else:
            cards.append((post.received_at - s.sent_at) * 1000)
            last_card = max(last_card, post.received_at)
    first_sent = min((s.sent_at for s in sent), default=0.0)
    last_sent = max((s.sent_at for s in sent), default=0.0)
    return {
        # What the driver really offered: it shares the cores too, and may fall behind the rate asked for.
        "sent_per_s": (len(sent) - 1) / (last_sent - first_sent) if last_sent > first_sent else float("nan"),
        "answers_per_s": len(cards) / (last_card - first_sent) if cards and last_card > first_sent else 0.0,
        "phase": label, "events": len(sent), "ok": len(acks),
        "acks_per_s": len(acks) / elapsed if elapsed else float("nan"),
        "ack_p50": percentile(acks, 50), "ack_p99": percentile(acks, 99), "ack_max": max(acks, default=float("nan")),
        "answered": len(cards), "busy": busy, "post_p50": percentile(cards, 50), "post_p99": percentile(cards, 99),
        "cpu": cpu,
    }


def cpu_table(rows: list[dict[str, Any]]) -> str:
    """CPU milliseconds per event in each process: where the machine's cores went in each phase."""
    lines = ["| phase | server CPU ms/event | core processes CPU ms/event | driver and fake Slack CPU ms/event | "
             "other processes on the machine (cores busy) |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        cpu, events = r["cpu"], r["events"]
        if cpu is None or not events:
            continue
        lines.append(f"| {r['phase']} | {cpu.server / events * 1000:.2f} | {cpu.core / events * 1000:.2f} | "
                     f"{cpu.driver / events * 1000:.2f} | {cpu.others_cores:.2f} |")
    return "\n".join(lines)


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| phase | events | sent/s | HTTP 200 | acks/s | ack p50 ms | ack p99 ms | ack max ms | answered | "
             "answers/s | turned away (busy) | to chat.postMessage p50 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['phase']} | {r['events']} | {r['sent_per_s']:.0f} | {r['ok']} | {r['acks_per_s']:.0f} | "
                     f"{r['ack_p50']:.1f} | "
                     f"{r['ack_p99']:.1f} | {r['ack_max']:.1f} | {r['answered']} | {r['answers_per_s']:.0f} | "
                     f"{r['busy']} | {r['post_p50']:.0f} | {r['post_p99']:.0f} |")
    return "\n".join(lines)


async def run(options: argparse.Namespace) -> None:
    rng = random.Random(options.seed)
    workdir = Path(tempfile.mkdtemp(prefix="hirebot-bench-"))
    database_url = options.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    started = time.monotonic()
    names = seed(database_url, options.candidates, rng)
    print(f"seeded {options.candidates:,} candidates in {time.monotonic() - started:.1f} s ({database_url})")
    closed: dict[int, dict[str, Any]] = {}
    for workers in options.workers:
        if options.profile:  # this driver and the fake Slack too: they share the cores with hirebot
            import cProfile

            with cProfile.Profile(time.thread_time) as profiler:
                rows = await run_with(options, workers, database_url, workdir, names, rng)
            profiler.dump_stats(options.profile / f"driver-{workers}.prof")
        else:
            rows = await run_with(options, workers, database_url, workdir, names, rng)
        print(f"\n### {workers} core process{'es' if workers != 1 else ''}\n")
        print(table(rows))
        print()
        print(cpu_table(rows))
        closed[workers] = rows[1]
    print(f"\n### answers per second, closed loop of {options.burst} events with {options.concurrency} in flight\n")
    print(scaling_table(closed))
    print(f"\nmachine: {multiprocessing.cpu_count()} CPUs; candidates: {options.candidates:,}")


def forget_answered_events(database_url: str) -> None:
    """Empty the table of answered events, as a fresh deployment would have it."""
    from sqlalchemy import delete

    from store.db import make_engine, session_factory, transaction
    from store.event_receipts import EventReceipt

    engine = make_engine(database_url)
    with transaction(session_factory(engine)) as session:
        session.execute(delete(EventReceipt))
    engine.dispose()


def scaling_table(closed: dict[int, dict[str, Any]]) -> str:
    """Answers/s and answer p99 per number of core processes, and the speed-up over the fewest."""
    lines = ["| core processes | answers/s | answer p50 ms | answer p99 ms | turned away | speed-up |",
             "|---:|---:|---:|---:|---:|---:|"]
    base = closed[min(closed)]["answers_per_s"] if closed else 0.0
    for workers, row in sorted(closed.items()):
        speedup = row["answers_per_s"] / base if base else float("nan")
        lines.append(f"| {workers} | {row['answers_per_s']:.0f} | {row['post_p50']:.0f} | {row['post_p99']:.0f} | "
                     f"{row['busy']} | {speedup:.2f}x |")
    return "\n".join(lines)


async def run_with(options: argparse.Namespace, workers: int, database_url: str, workdir: Path, names: list[str],
                   rng: random.Random) -> list[dict[str, Any]]:
    """Every phase against one hirebot process answering with `workers` core processes."""
    forget_answered_events(database_url)  # each run's driver numbers its events from 1 again
    fake = FakeSlackApi()
    for i in range(USERS):
        fake.add_user(f"U0USER{i:02d}", email=f"recruiter{i}@example.com", name=f"Recruiter {i}")
    await fake.start()
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=serve_hirebot,
        daemon=False,
        args=(database_url, fake.api_url, str(workdir), workers, send,
              str(options.profile / f"server-{workers}.prof") if options.profile else None),
    )
    child.start()
    assert child.pid is not None
    try:
        port = await asyncio.get_running_loop().run_in_executor(None, receive.recv)
        driver = Driver(f"http://127.0.0.1:{port}/slack/events", fake, names, rng)
        connector = aiohttp.TCPConnector(limit=options.concurrency * 2)
        async with aiohttp.ClientSession(connector=connector) as session:
            first = await driver.send(session, "W")
            answered = await driver.answers([first], timeout=120)
            print(f"first answer (loads the name index of {options.candidates:,} candidates): "
                  f"{(answered[first.channel].received_at - first.sent_at) * 1000:.0f} ms")
            warm, _ = await driver.closed_loop(session, 4, 50)
            await driver.answers(warm, timeout=60)
            # The driver and the fake keep every call they see; their own garbage collection must not
            # pause this process and show up as hirebot's latency.
            gc.collect()
            gc.freeze()
            gc.disable()

            rows = []
            phases = [("open", options.rate, f"open loop {options.rate:.0f}/s for {options.seconds:.0f} s"),
                      ("closed", options.concurrency, f"closed loop, {options.concurrency} in flight"),
                      ("open", options.answer_rate,
                       f"open loop {options.answer_rate:.0f}/s for {options.seconds:.0f} s")]
            for kind, amount, label in phases:
                before = CpuUse.now(child.pid)
                if kind == "open":
                    sent, elapsed = await driver.open_loop(session, amount, options.seconds)
                else:
                    sent, elapsed = await driver.closed_loop(session, int(amount), options.burst)
                answered = await driver.answers(sent, timeout=300)
                rows.append(summarize(label, sent, elapsed, answered, CpuUse.now(child.pid).since(before)))
        apologies = [c for c in fake.calls_to("chat.postMessage") if "Sorry" in str(c.args.get("text"))]
        if apologies:
            print(f"{len(apologies)} apologies were posted with {workers} core process(es)")
        return rows
    finally:
        child.terminate()
        child.join(5)
        await fake.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=250.0, help="offered events/s in the open-loop phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each open-loop phase")
    parser.add_argument("--answer-rate", type=float, default=15.0,
                        help="offered events/s in the last phase, within what the core can answer")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight in the closed loop")
    parser.add_argument("--burst", type=int, default=3000, help="events in the closed-loop phase")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2],
        help="core processes answering questions, one run each, comma-separated (0: a thread in the server)",
    )
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--profile", type=Path, default=None,
                        help="a folder: write cProfile stats of the server process (server-N.prof) and of this driver "
                             "with the fake Slack (driver-N.prof) there; "
                             "profiling slows it down, so such a run's rates are not the real ones")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(options))


if __name__ == "__main__":
    main()
