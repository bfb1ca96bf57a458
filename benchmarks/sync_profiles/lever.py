"""Lever in the sync benchmark: 10 requests per second (a token bucket with bursts of 20).

Lever sends no rate-limit headers, so the adapter paces itself: its pace is scaled with the fake's limit.
Lever has no bulk endpoint for resumes and files, so a full sync costs two requests per candidate, hence
smaller default rosters (`--lever-sizes 20000,100000` runs it whole).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.sync_profiles import SyncProfile, send_paced

REQUESTS_PER_SECOND = 10
BURST = 20


def fake_arguments(scale: float) -> list[str]:
    return ["--rate-limit", f"{REQUESTS_PER_SECOND * scale:g}"]


def build_adapter(url: str, client: Any, scale: float) -> Any:
    from adapters import lever
    from adapters.base import ConnectionConfig
    from adapters.sandbox.lever import SANDBOX_API_KEY

    config = ConnectionConfig(base_url=url, credentials={"api_key": SANDBOX_API_KEY},
                              settings={"requests_per_second": lever.DEFAULT_RATE * scale})
    return lever.LeverAdapter(config, client)


async def make_changes(url: str, remote_ids: Sequence[str], scale: float) -> None:
    """Tag each opportunity through Lever's own addTags, staying inside the scaled limit."""
    import httpx

    from adapters.sandbox.lever import SANDBOX_API_KEY

    pause = 1.0 / (REQUESTS_PER_SECOND * scale)
    async with httpx.AsyncClient(timeout=30) as client:
        await send_paced((lambda remote_id=remote_id: client.post(
            f"{url}/opportunities/{remote_id}/addTags", auth=(SANDBOX_API_KEY, ""), json={"tags": ["benchmark"]})
            for remote_id in remote_ids), pause)


PROFILE = SyncProfile(
    provider="lever",
    fake_module="adapters.sandbox.lever",
    requests=REQUESTS_PER_SECOND,
    per_seconds=1.0,
    described="10 requests/s (token bucket, burst 20)",
    default_scale=10.0,
    default_sizes=(2_000, 10_000),
    fake_arguments=fake_arguments,
    build_adapter=build_adapter,
    make_changes=make_changes,
    recover_seconds=lambda scale: BURST / (REQUESTS_PER_SECOND * scale) + 0.1,  # the bucket refills its burst
)
