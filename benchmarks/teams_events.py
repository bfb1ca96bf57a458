"""Benchmark for the Teams front end: signed "who is" messages to /api/messages against a 100k-candidate store.

hirebot runs as a real `hirebot run` process (only the Teams variables set, SQLite store, one core process),
talking to the fake Bot Framework from bot/teams/sandbox.py, which runs in this process with the driver, so
it sees both ends:

- ack latency: from sending an activity to hirebot's HTTP 200 (Teams wants it within seconds; target: p99
  at most 50 ms at 200 activities/s);
- answer latency: from sending an activity to hirebot's reply reaching the fake connector;
- activities/s: acks per second with a fixed number in flight (closed loop), and whether an offered rate
  (open loop) is sustained.

The baseline row is the same open loop of GETs to /api/messages, which aiohttp answers 405 by itself: what the
HTTP server costs on its own, so the rest of the ack time is reading the activity, the JWT check and
queueing the question.

    .venv/bin/python -m benchmarks.teams_events                        # 100k candidates, 200/s for 10 s
    .venv/bin/python -m benchmarks.teams_events --candidates 10000 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.slack_events import percentile, seed
from bot.frontend.conversation import BUSY_TEXT
from bot.teams.config import MESSAGES_PATH
from bot.teams.sandbox import REPLY, ConnectorCall, FakeBotFramework, FakeMember, TeamsActivities

ROOT = Path(__file__).resolve().parents[1]
USERS = 20
ACK_GIVE_UP_SECONDS = 30.0  # an activity not acknowledged by then counts as lost (Teams gives up sooner)
ANSWER_WAIT_SECONDS = 120.0


@dataclass
class Sent:
    activity_id: str
    sent_at: float
    acked_at: float | None = None
    status: int | None = None


class Driver:
    """Sends signed activities (or plain GETs, for the baseline) and matches hirebot's replies to them."""

    def __init__(self, base: str, fake: FakeBotFramework, names: list[str], rng: random.Random) -> None:
        self.base = base
        self.fake = fake
        self.names = names
        self.rng = rng
        self.activities: TeamsActivities = fake.activities()
        self.members: list[FakeMember] = [fake.add_member(f"Recruiter {i}", f"recruiter{i}@example.com")
                                          for i in range(USERS)]
        # One token serves every activity (it names the serviceUrl, not the activity): signing RSA per request
        # would load this process, not hirebot.
        token = fake.signer().token(fake.service_url(), lifetime=6 * 3600)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        self.serial = 0

    async def send(self, session: aiohttp.ClientSession, baseline: bool = False) -> Sent:
        self.serial += 1
        if baseline:
            sent = Sent(f"baseline-{self.serial}", time.monotonic())
            async with session.get(self.base + MESSAGES_PATH) as response:
                await response.read()
                sent.status = 200 if response.status == 405 else response.status  # 405 is the expected answer
            sent.acked_at = time.monotonic()
            return sent
        member = self.members[self.serial % USERS]
        activity = self.activities.message(member, f"who is {self.rng.choice(self.names)}?")
        sent = Sent(activity["id"], time.monotonic())
        try:
            async with session.post(self.base + MESSAGES_PATH, json=activity, headers=self.headers) as response:
                await response.read()
                sent.status = response.status
        except (aiohttp.ClientError, TimeoutError):
            return sent  # counted as not acknowledged
        sent.acked_at = time.monotonic()
        return sent

    async def answers(self, sent: list[Sent], timeout: float) -> dict[str, ConnectorCall]:
        """Each sent activity's reply as the fake connector received it (waits up to `timeout` for the last)."""
        wanted = {s.activity_id for s in sent if not s.activity_id.startswith("baseline")}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = {c.activity_id for c in self.fake.calls if c.kind == REPLY}
            if wanted <= got:
                break
            await asyncio.sleep(0.1)
        return {str(c.activity_id): c for c in self.fake.calls if c.kind == REPLY and c.activity_id in wanted}

    async def open_loop(self, session: aiohttp.ClientSession, rate: float, seconds: float, *,
                        baseline: bool = False) -> tuple[list[Sent], float]:
        total = int(rate * seconds)
        start = time.monotonic()
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.send(session, baseline)))
        sent = await asyncio.gather(*tasks)
        return list(sent), time.monotonic() - start

    async def closed_loop(self, session: aiohttp.ClientSession, concurrency: int, count: int
                          ) -> tuple[list[Sent], float]:
        remaining = count
        sent: list[Sent] = []

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                sent.append(await self.send(session))

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return sent, time.monotonic() - start


def summarize(label: str, sent: list[Sent], elapsed: float, answered: dict[str, ConnectorCall]) -> dict[str, Any]:
    acks = [(s.acked_at - s.sent_at) * 1000 for s in sent if s.acked_at is not None and s.status == 200]
    cards, busy, last = [], 0, 0.0
    for s in sent:
        post = answered.get(s.activity_id)
        if post is None:
            continue
        if BUSY_TEXT in str(post.body):
            busy += 1
        else:
            cards.append((post.received_at - s.sent_at) * 1000)
            last = max(last, post.received_at)
    span = last - min((s.sent_at for s in sent), default=last)
    return {
        "phase": label, "events": len(sent), "ok": len(acks),
        "acks_per_s": len(acks) / elapsed if elapsed else float("nan"),
        "ack_p50": percentile(acks, 50), "ack_p99": percentile(acks, 99), "ack_max": max(acks, default=float("nan")),
        "answered": len(cards), "busy": busy, "answers_per_s": len(cards) / span if span > 0 else float("nan"),
        "post_p50": percentile(cards, 50), "post_p99": percentile(cards, 99),
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| phase | requests | HTTP 200 | acks/s | ack p50 ms | ack p99 ms | ack max ms | answered | "
             "answers/s | busy notes | to reply p50 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['phase']} | {r['events']} | {r['ok']} | {r['acks_per_s']:.0f} | {r['ack_p50']:.1f} | "
                     f"{r['ack_p99']:.1f} | {r['ack_max']:.1f} | {r['answered']} | {r['answers_per_s']:.1f} | "
                     f"{r['busy']} | "
                     f"{r['post_p50']:.0f} | {r['post_p99']:.0f} |")
    return "\n".join(lines)


def start_hirebot(workdir: Path, database_url: str, fake: FakeBotFramework, port: int) -> subprocess.Popen[bytes]:
    """`hirebot run` with only the Teams variables (and this benchmark's store) set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIREBOT_", "SLACK_", "TEAMS_"))}
    env.update(HIREBOT_DATA_DIR=str(workdir), HIREBOT_DATABASE_URL=database_url, HIREBOT_PORT=str(port),
               HIREBOT_SYNC_INTERVAL="86400", HIREBOT_LOG_LEVEL="WARNING", **fake.env())
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--host", "127.0.0.1"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_healthy(session: aiohttp.ClientSession, base: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with session.get(base + "/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit(f"hirebot did not answer {base}/healthz within {timeout:.0f} s")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run(options: argparse.Namespace) -> None:
    rng = random.Random(options.seed)
    workdir = Path(tempfile.mkdtemp(prefix="hirebot-teams-bench-"))
    database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    started = time.monotonic()
    names = seed(database_url, options.candidates, rng)
    print(f"seeded {options.candidates:,} candidates in {time.monotonic() - started:.1f} s ({database_url})")

    fake = FakeBotFramework()
    await fake.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hirebot = start_hirebot(workdir, database_url, fake, port)
    try:
        driver = Driver(base, fake, names, rng)
        timeout = aiohttp.ClientTimeout(total=ACK_GIVE_UP_SECONDS)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=options.concurrency * 2),
                                         timeout=timeout) as session:
            await wait_healthy(session, base)
            first = await driver.send(session)
            answered = await driver.answers([first], timeout=180)
            if first.activity_id in answered:
                print(f"first answer (loads the name index of {options.candidates:,} candidates): "
                      f"{(answered[first.activity_id].received_at - first.sent_at) * 1000:.0f} ms")
            warm, _ = await driver.closed_loop(session, 4, 50)
            await driver.answers(warm, timeout=60)
            # The driver and the fake keep every call they see; their own garbage collection must not pause
            # this process and show up as hirebot's latency.
            gc.collect()
            gc.freeze()
            gc.disable()

            rows = []
            sent, elapsed = await driver.open_loop(session, options.rate, options.seconds, baseline=True)
            rows.append(summarize(f"baseline: GET {MESSAGES_PATH} (405), {options.rate:.0f}/s", sent, elapsed, {}))
            phases = [("open", options.rate, f"open loop {options.rate:.0f}/s for {options.seconds:.0f} s"),
                      ("closed", options.concurrency, f"closed loop, {options.concurrency} in flight"),
                      ("open", options.answer_rate, f"open loop {options.answer_rate:.0f}/s for "
                                                    f"{options.seconds:.0f} s")]
            for kind, amount, label in phases:
                if kind == "open":
                    sent, elapsed = await driver.open_loop(session, amount, options.seconds)
                else:
                    sent, elapsed = await driver.closed_loop(session, int(amount), options.burst)
                rows.append(summarize(label, sent, elapsed, await driver.answers(sent, timeout=ANSWER_WAIT_SECONDS)))
        print()
        print(table(rows))
        target = rows[1]["ack_p99"]
        verdict = "meets" if target <= 50 else "misses"
        print(f"\nack p99 at {options.rate:.0f}/s: {target:.1f} ms ({verdict} the 50 ms target)")
        apologies = [c for c in fake.calls if c.kind == REPLY and "Sorry" in str(c.body)]
        print(f"machine: {multiprocessing.cpu_count()} CPUs; candidates: {options.candidates:,}; "
              f"apologies: {len(apologies)}; connector tokens issued: {fake.tokens_issued}")
    finally:
        hirebot.terminate()
        try:
            hirebot.wait(20)
        except subprocess.TimeoutExpired:
            hirebot.kill()
        await fake.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=200.0, help="offered activities/s in the open-loop phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each open-loop phase")
    parser.add_argument("--answer-rate", type=float, default=15.0,
                        help="offered activities/s in the last phase, within what the core can answer")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight in the closed loop")
    parser.add_argument("--burst", type=int, default=3000, help="activities in the closed-loop phase")
    parser.add_argument("--seed", type=int, default=11)
    options = parser.parse_args()
    asyncio.run(run(options))


if __name__ == "__main__":
    main()
