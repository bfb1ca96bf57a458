"""Teamtailor in the sync benchmark: its fake, the rate it is held to, its adapter, and changes made through
the fake's own write API.

Teamtailor documents no number for its limit (its `X-Rate-Limit-*` headers were once static placeholders)
and the reference advises about 2 requests/s per key, so that is the documented rate here: the fake meters
fixed 10 s windows of 20 requests (scaled), and the adapter paces itself to the same scaled rate and watches
the headers. A full sync lists 30 candidates per request with their applications included, so it costs
about 1/30 of a request per candidate, plus a few for stages, jobs and users.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.sync_profiles import SyncProfile, send_paced

RATE = 2.0  # requests per second, as the reference advises
WINDOW_SECONDS = 10.0  # the fake's fixed windows


def _fake_arguments(scale: float) -> list[str]:
    return ["--rate-limit", f"{RATE * scale:g}"]


def _build_adapter(url: str, client: Any, scale: float) -> Any:
    from adapters.base import ConnectionConfig
    from adapters.sandbox.teamtailor import API_PREFIX, SANDBOX_API_KEY
    from adapters.teamtailor import TeamtailorAdapter

    config = ConnectionConfig(base_url=f"{url.rstrip('/')}{API_PREFIX}", credentials={"api_key": SANDBOX_API_KEY},
                              settings={"requests_per_second": RATE * scale, "burst": 1})
    return TeamtailorAdapter(config, client)


async def _make_changes(url: str, remote_ids: Sequence[str], scale: float) -> None:
    """Rename each candidate's pitch through `PATCH /v1/candidates/{id}`, inside the scaled rate."""
    import httpx

    from adapters.sandbox.teamtailor import API_PREFIX, MEDIA_TYPE, SANDBOX_API_KEY
    from adapters.teamtailor import API_VERSION

    headers = {"Authorization": f"Token token={SANDBOX_API_KEY}", "X-Api-Version": API_VERSION,
               "Content-Type": MEDIA_TYPE, "Accept": MEDIA_TYPE}
    pause = 1.0 / (RATE * scale)
    async with httpx.AsyncClient(timeout=30) as client:
        await send_paced((lambda remote_id=remote_id, number=number: client.patch(
            f"{url.rstrip('/')}{API_PREFIX}/candidates/{remote_id}", headers=headers,
            json={"data": {"type": "candidates", "id": remote_id,
                           "attributes": {"pitch": f"Benchmark change {number}"}}})
            for number, remote_id in enumerate(remote_ids)), pause,
            wait=lambda response: float(response.headers.get("X-Rate-Limit-Reset", "1")))


PROFILE = SyncProfile(
    provider="teamtailor",
    fake_module="adapters.sandbox.teamtailor",
    requests=int(RATE * WINDOW_SECONDS),
    per_seconds=WINDOW_SECONDS,
    described="about 2 requests/s per key (advised; fixed 10 s windows of 20 in the fake)",
    default_scale=5.0,  # ×10 (20 requests/s of 30 candidates each) is CPU-bound on 2 shared cores
    default_sizes=(20_000, 100_000),
    fake_arguments=_fake_arguments,
    build_adapter=_build_adapter,
    make_changes=_make_changes,
    recover_seconds=lambda scale: WINDOW_SECONDS + 0.5,
    fixed_windows=True,
)
