"""Workable in the sync benchmark: 10 requests per fixed 10-second window for account tokens, read by the
adapter from X-Rate-Limit-* headers (it has no pacing of its own), so scaling the fake's window scales the
adapter with it. A full sync is one list request per 100 candidates (no detail reads), plus members, jobs
(and one hiring-team read per published job) and stages.

`python -m benchmarks.sync_profiles.workable [--sizes 2000,20000] [--scale 10]` measures it on its own
until benchmarks/sync_throughput.py drives every profile: each size syncs in a fresh process into SQLite
against the fake in another process, and the table gives requests per candidate, the wall time against
the rate-limit floor (requests / scaled rate) and the syncing process's peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.sync_profiles import SyncProfile

REQUESTS, PER_SECONDS = 10, 10.0
TOKEN_HEADER = "Authorization"


def fake_arguments(scale: float) -> list[str]:
    return ["--rate-limit", str(max(1, round(REQUESTS * scale)))]


def build_adapter(url: str, client: Any, scale: float) -> Any:
    from adapters.base import ConnectionConfig
    from adapters.sandbox.workable import API_PREFIX, SANDBOX_TOKEN
    from adapters.workable import WorkableAdapter

    config = ConnectionConfig(base_url=f"{url}{API_PREFIX}", credentials={"token": SANDBOX_TOKEN},
                              settings={"subdomain": "hirebot-sandbox"})
    return WorkableAdapter(config, client)


async def make_changes(url: str, remote_ids: Sequence[str], scale: float) -> None:
    """Change each candidate's headline through `PATCH /candidates/{id}`, inside the scaled window."""
    import httpx

    from adapters.sandbox.workable import API_PREFIX, SANDBOX_TOKEN

    pause = PER_SECONDS / (REQUESTS * scale)
    headers = {TOKEN_HEADER: f"Bearer {SANDBOX_TOKEN}"}
    async with httpx.AsyncClient(timeout=30) as client:
        for number, remote_id in enumerate(remote_ids):
            while True:
                response = await client.patch(f"{url}{API_PREFIX}/candidates/{remote_id}", headers=headers,
                                              json={"candidate": {"headline": f"Benchmark change {number}"}})
                if response.status_code != 429:
                    response.raise_for_status()
                    break
                reset = float(response.headers.get("X-Rate-Limit-Reset", time.time() + 1))
                await asyncio.sleep(max(reset - time.time(), 0) + 0.1)
            await asyncio.sleep(pause)


PROFILE = SyncProfile(
    provider="workable", fake_module="adapters.sandbox.workable", requests=REQUESTS, per_seconds=PER_SECONDS,
    described="10 requests per fixed 10 s window (account tokens)", default_scale=10.0,
    default_sizes=(2_000, 20_000), fake_arguments=fake_arguments, build_adapter=build_adapter,
    make_changes=make_changes, recover_seconds=lambda scale: PER_SECONDS + 0.5, fixed_windows=True,
)


# --- a stand-alone run -----------------------------------------------------------------------------------


async def _sync_once(url: str, size: int, scale: float, changes: int = 100) -> dict[str, Any]:
    import httpx
    from cryptography.fernet import Fernet
    from sqlalchemy import select

    from store.crypto import SecretBox
    from store.db import make_engine, session_factory, transaction, upgrade
    from store.models import AtsConnection, Candidate, Workspace
    from store.sync import sync_connection

    answered = limited = 0

    async def meter(response: httpx.Response) -> None:
        nonlocal answered, limited
        answered, limited = answered + (response.status_code != 429), limited + (response.status_code == 429)

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        upgrade(engine)
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            workspace = Workspace(name="Benchmark", platform="local", external_id="bench")
            session.add(workspace)
            session.flush()
            row = AtsConnection(workspace_id=workspace.id, provider="workable", name="Workable", base_url=url,
                                settings={}, credentials=SecretBox(Fernet.generate_key()).seal({}))
            session.add(row)
            session.flush()
            connection_id = row.id
        async with httpx.AsyncClient(event_hooks={"response": [meter]}) as client:
            # Start on a window boundary, so no partial window comes free.
            await asyncio.sleep(PER_SECONDS - time.time() % PER_SECONDS + 0.05)
            adapter = build_adapter(url, client, scale)
            started = time.perf_counter()
            summary = await sync_connection(sessions, connection_id, adapter, full=True)
            wall = time.perf_counter() - started
            full_requests, full_limited = answered, limited
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            # Then what a poll costs: nothing changed, and after `changes` changes made through the API.
            await asyncio.sleep(PROFILE.recover_seconds(scale))
            before = answered
            await sync_connection(sessions, connection_id, adapter)
            quiet = answered - before
            with transaction(sessions) as session:
                ids = list(session.scalars(select(Candidate.remote_id).order_by(Candidate.id)))
            await make_changes(url, ids[:: max(len(ids) // changes, 1)][:changes], scale)
            await asyncio.sleep(PROFILE.recover_seconds(scale))
            before = answered
            polled = await sync_connection(sessions, connection_id, adapter)
            changed = answered - before
        engine.dispose()
    return {"size": size, "created": summary.created, "requests": full_requests, "rate_limited": full_limited,
            "wall": wall, "peak_mb": peak, "quiet_requests": quiet, "change_requests": changed,
            "change_updated": polled.updated}


def _serve_fake(size: int, scale: float) -> tuple[subprocess.Popen[str], str]:
    fake = subprocess.Popen([sys.executable, "-m", PROFILE.fake_module, "--candidates", str(size),
                             *fake_arguments(scale)], stdout=subprocess.PIPE, text=True)
    assert fake.stdout is not None
    line = fake.stdout.readline()
    url = next(word for word in line.split() if word.startswith("http://"))
    return fake, url


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync_profiles.workable")
    parser.add_argument("--sizes", default=",".join(map(str, PROFILE.default_sizes)))
    parser.add_argument("--scale", type=float, default=PROFILE.default_scale)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        url, size = args.worker.rsplit(",", 1)
        print(json.dumps(asyncio.run(_sync_once(url, int(size), args.scale))), flush=True)
        return
    rate = REQUESTS * args.scale / PER_SECONDS
    print(f"Workable full sync, fake limited to {REQUESTS * args.scale:g} requests per {PER_SECONDS:g} s "
          f"(x{args.scale:g} the account-token limit), SQLite")
    print("| candidates | requests | req/candidate | 429s | wall s | floor s | floor/wall | peak MB "
          "| quiet poll req | poll after 100 changes: req / updated |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        fake, url = _serve_fake(size, args.scale)
        try:
            out = subprocess.run([sys.executable, "-m", "benchmarks.sync_profiles.workable", "--scale",
                                  str(args.scale), "--worker", f"{url},{size}"], capture_output=True, text=True,
                                 check=True).stdout
        finally:
            fake.terminate()
            fake.wait()
        result = json.loads(out.strip().splitlines()[-1])
        floor = result["requests"] / rate  # the plain floor; fixed windows can let a run finish a little under it
        print(f"| {size:,} | {result['requests']:,} | {result['requests'] / size:.3f} | {result['rate_limited']} | "
              f"{result['wall']:.1f} | {floor:.1f} | {floor / result['wall']:.2f} | {result['peak_mb']:.0f} | "
              f"{result['quiet_requests']} | {result['change_requests']} / {result['change_updated']} |")


if __name__ == "__main__":
    main()
