"""BreezyHR in the sync benchmark: 100 requests per 60-second window per token, met by pacing.

The fake is scaled by raising its window's limit (`--rate-limit`); the adapter's own pace scales with it.
BreezyHR has no `updated_since` filter, so the incremental runs read every page again (the table shows
it): requests per candidate are about 1/50 either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.sync_profiles import SyncProfile, send_paced

REQUESTS, WINDOW = 100, 60.0


def _fake_arguments(scale: float) -> list[str]:
    return ["--rate-limit", str(round(REQUESTS * scale)), "--positions", "8"]


def _build_adapter(url: str, client: Any, scale: float) -> Any:
    from adapters.base import ConnectionConfig
    from adapters.breezyhr import DEFAULT_PER_MINUTE, BreezyAdapter
    from adapters.sandbox.breezyhr_dataset import SANDBOX_TOKEN

    config = ConnectionConfig(base_url=url, credentials={"token": SANDBOX_TOKEN},
                              settings={"requests_per_minute": DEFAULT_PER_MINUTE * scale})
    return BreezyAdapter(config, client)


async def _make_changes(url: str, remote_ids: Sequence[str], scale: float) -> None:
    """A new headline for each candidate, through the fake's control route (BreezyHR's own update route
    needs each candidate's position), paced like the API."""
    import httpx

    root = url.removesuffix("/v3")
    pause = WINDOW / (REQUESTS * scale)
    async with httpx.AsyncClient(timeout=30) as client:
        await send_paced((lambda remote_id=remote_id, number=number: client.patch(
            f"{root}/_sandbox/candidates/{remote_id}", json={"headline": f"Benchmark change {number}"})
            for number, remote_id in enumerate(remote_ids)), pause)


def _metered(path: str) -> bool:
    return path.startswith("/v3/")


PROFILE = SyncProfile(
    provider="breezyhr", fake_module="adapters.sandbox.breezyhr", requests=REQUESTS, per_seconds=WINDOW,
    described="100 requests per fixed 60 s window per token", default_scale=2.0, default_sizes=(20_000,),
    fake_arguments=_fake_arguments, build_adapter=_build_adapter, make_changes=_make_changes,
    recover_seconds=lambda scale: WINDOW + 0.5, metered=_metered, fixed_windows=True,
)
