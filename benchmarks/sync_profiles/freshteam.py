"""Freshteam in the sync benchmark: 50 requests per minute (the Growth and Pro floor), read-only.

Freshteam sends `x-ratelimit-total` / `x-ratelimit-remaining` and no reset time, so the adapter keeps at
most the limit in any 61 seconds (adapters/freshteam/pacing.py): it sends a window's allowance, then waits
for its first request to age out. Its fake meters fixed minutes; since the adapter's own window is
rolling, the fake's alignment gives it nothing for free, and the benchmark need not start on a boundary.
The last window of a run may be used in part, so a run can beat the plain floor (ratio above 1).

Freshteam's API cannot change a candidate, so the changes go through the fake's own `/sandbox/` route
(not metered, not Freshteam's API).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.sync_profiles import SyncProfile, send_paced

REQUESTS_PER_MINUTE = 50


def fake_arguments(scale: float) -> list[str]:
    return ["--rate-limit", str(round(REQUESTS_PER_MINUTE * scale))]


def build_adapter(url: str, client: Any, scale: float) -> Any:
    from adapters.base import ConnectionConfig
    from adapters.freshteam import FreshteamAdapter
    from adapters.sandbox.freshteam import SANDBOX_API_KEY, SANDBOX_DOMAIN

    # The adapter learns the (scaled) limit from the fake's headers: nothing to scale here.
    config = ConnectionConfig(base_url=url, credentials={"api_key": SANDBOX_API_KEY},
                              settings={"domain": SANDBOX_DOMAIN})
    return FreshteamAdapter(config, client)


async def make_changes(url: str, remote_ids: Sequence[str], scale: float) -> None:
    """Tag each candidate through the fake's `/sandbox/` route (Freshteam's API has no candidate update)."""
    import httpx

    root = url.removesuffix("/api")
    async with httpx.AsyncClient(timeout=30) as client:
        await send_paced((lambda remote_id=remote_id, number=number: client.post(
            f"{root}/sandbox/candidates/{remote_id}/tags", json={"tags": [f"benchmark-{number}"]})
            for number, remote_id in enumerate(remote_ids)), 0.0)


PROFILE = SyncProfile(
    provider="freshteam",
    fake_module="adapters.sandbox.freshteam",
    requests=REQUESTS_PER_MINUTE,
    per_seconds=60.0,
    described="50 requests per minute (fixed minutes in the fake; the adapter keeps a rolling 61 s window)",
    default_scale=5.0,
    default_sizes=(2_000, 20_000),
    fake_arguments=fake_arguments,
    build_adapter=build_adapter,
    make_changes=make_changes,
    recover_seconds=lambda scale: 61.5,  # the adapter's rolling window (and the fake's minute) has passed
)
