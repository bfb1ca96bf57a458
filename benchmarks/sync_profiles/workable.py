"""Workable in the sync benchmark: 10 requests per fixed 10-second window for account tokens, read by the
adapter from X-Rate-Limit-* headers (it has no pacing of its own), so scaling the fake's window scales the
adapter with it. A full sync is one list request per 100 candidates (no detail reads), plus members, jobs
(and one hiring-team read per published job) and stages.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from benchmarks.sync_profiles import SyncProfile, send_paced

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
        await send_paced((lambda remote_id=remote_id, number=number: client.patch(
            f"{url}{API_PREFIX}/candidates/{remote_id}", headers=headers,
            json={"candidate": {"headline": f"Benchmark change {number}"}})
            for number, remote_id in enumerate(remote_ids)), pause, wait=_until_reset)


def _until_reset(response: Any) -> float:
    """Workable's 429 names the epoch second its window resets."""
    reset = float(response.headers.get("X-Rate-Limit-Reset", time.time() + 1))
    return max(reset - time.time(), 0) + 0.1


PROFILE = SyncProfile(
    provider="workable", fake_module="adapters.sandbox.workable", requests=REQUESTS, per_seconds=PER_SECONDS,
    described="10 requests per fixed 10 s window (account tokens)", default_scale=10.0,
    default_sizes=(2_000, 20_000), fake_arguments=fake_arguments, build_adapter=build_adapter,
    make_changes=make_changes, recover_seconds=lambda scale: PER_SECONDS + 0.5, fixed_windows=True,
)
