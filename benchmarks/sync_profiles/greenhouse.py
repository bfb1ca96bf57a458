"""Greenhouse in the sync benchmark: Harvest v3's 75 requests per fixed 30 s window.

The fake's windows are aligned to multiples of 30 s, so a full sync starts on a boundary (no partial
window comes free) and may finish inside its last window, beating the plain floor; the report gives the
whole-window floor as well. The token endpoint is metered by its own window, not the API's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.sync_profiles import SyncProfile, send_paced

REQUESTS = 75
WINDOW_SECONDS = 30.0


def fake_arguments(scale: float) -> list[str]:
    return ["--rate-limit", str(round(REQUESTS * scale))]


def build_adapter(url: str, client: Any, scale: float) -> Any:
    from adapters.base import ConnectionConfig
    from adapters.greenhouse import GreenhouseAdapter
    from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

    secrets = {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}
    config = ConnectionConfig(base_url=url, credentials=secrets, settings={"auth_url": f"{url}/token"})
    return GreenhouseAdapter(config, client)


async def make_changes(url: str, remote_ids: Sequence[str], scale: float) -> None:
    """Retitle each candidate through Harvest's own PATCH, staying inside the scaled limit."""
    import httpx

    from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

    pause = 1.0 / (REQUESTS / WINDOW_SECONDS * scale)
    async with httpx.AsyncClient(timeout=30) as client:
        token = await client.post(f"{url}/token", data={"grant_type": "client_credentials"},
                                  auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        await send_paced((lambda remote_id=remote_id, number=number: client.patch(
            f"{url}/v3/candidates/{remote_id}", headers=headers, json={"title": f"Benchmark change {number}"})
            for number, remote_id in enumerate(remote_ids)), pause)


PROFILE = SyncProfile(
    provider="greenhouse",
    fake_module="adapters.sandbox.greenhouse",
    requests=REQUESTS,
    per_seconds=WINDOW_SECONDS,
    described="75 requests per fixed 30 s window",
    default_scale=10.0,
    default_sizes=(20_000, 100_000),
    fake_arguments=fake_arguments,
    build_adapter=build_adapter,
    make_changes=make_changes,
    recover_seconds=lambda scale: WINDOW_SECONDS,  # at most one window; fixed windows wait for the boundary
    metered=lambda path: path != "/token",  # the token endpoint has its own window
    fixed_windows=True,
)
