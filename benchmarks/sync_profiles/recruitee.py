"""How the sync benchmark drives Recruitee: its fake at a scaled limit, the adapter paced to match, and
candidates changed through the fake's `PATCH /candidates/{id}`.

Recruitee documents no rate limit (the reference says to keep to a few requests per second per company and
to expect 429s), so the fake enforces 5 requests/s with bursts of 10 and the adapter paces itself just
under it. A full sync reads 100 candidates (with their placements and references) per request, so a
20,000-candidate run is about 200 list requests plus the users, jobs and each open job's pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.sync_profiles import SyncProfile, send_paced

RATE = 5  # what the fake enforces by default, requests per second
BURST = 10
PACE = 0.95  # the adapter's share of the scaled rate


def _fake_arguments(scale: float) -> list[str]:
    return ["--rate-limit", f"{RATE * scale:g}", "--burst", str(BURST)]


def _build_adapter(url: str, client: Any, scale: float) -> Any:
    from adapters.base import ConnectionConfig
    from adapters.recruitee import RecruiteeAdapter
    from adapters.sandbox.recruitee import SANDBOX_TOKEN

    # The printed URL is the company's API root, `.../c/{company_id}`.
    config = ConnectionConfig(base_url=url, credentials={"token": SANDBOX_TOKEN},
                              settings={"company_id": url.rstrip("/").rsplit("/", 1)[-1],
                                        "requests_per_second": RATE * scale * PACE, "burst": 5})
    return RecruiteeAdapter(config, client)


async def _make_changes(url: str, remote_ids: Sequence[str], scale: float) -> None:
    import httpx

    from adapters.sandbox.recruitee import SANDBOX_TOKEN

    pause = 1.0 / (RATE * scale)
    headers = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    async with httpx.AsyncClient(timeout=30) as client:
        await send_paced((lambda remote_id=remote_id, number=number: client.patch(
            f"{url}/candidates/{remote_id}", headers=headers,
            json={"candidate": {"tags": ["benchmark", f"change-{number}"]}})
            for number, remote_id in enumerate(remote_ids)), pause)


PROFILE = SyncProfile(
    provider="recruitee",
    fake_module="adapters.sandbox.recruitee",
    requests=RATE,
    per_seconds=1.0,
    described="undocumented; the fake enforces 5 requests/s (token bucket, burst 10)",
    # 100 candidates a request make even 100k candidates only ~1,000 requests (~3.5 min at 5/s), so the
    # limit is run as it is; scaled up, the run measures the store, not the limit.
    default_scale=1.0,
    default_sizes=(20_000, 100_000),
    fake_arguments=_fake_arguments,
    build_adapter=_build_adapter,
    make_changes=_make_changes,
    recover_seconds=lambda scale: BURST / (RATE * scale) + 0.1,
)
