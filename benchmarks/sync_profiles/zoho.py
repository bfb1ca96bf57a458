"""Zoho Recruit in the sync benchmark: its fake, its documented limit, its adapter, its changes.

Zoho documents no per-second rate: each org has a budget of API credits per rolling 24 hours (5,000 on the
Free plan, the smallest), with no rate-limit headers. The adapter therefore sends as fast as Zoho answers
and counts credits on its own side; a 20,000-candidate full sync costs a few hundred credits (100 candidate
pages plus the job-association pages), so the budget is never reached and the wall time is the server's
and the store's, far under the budget's floor. What this profile makes measurable is the credits (requests)
per candidate, memory, and the incremental cost after changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.sync_profiles import SyncProfile, send_paced

CREDITS = 5000  # the Free plan's daily credits: the smallest documented budget
DAY = 86_400.0


def _root(url: str) -> str:
    return url.split("/recruit/v2", 1)[0].rstrip("/")


def _fake_arguments(scale: float) -> list[str]:
    # The scaled budget: the same credits in a window `scale` times shorter.
    return ["--rate-limit", str(CREDITS), "--window", f"{DAY / scale:g}"]


def _build_adapter(url: str, client: Any, scale: float) -> Any:
    from adapters.base import ConnectionConfig
    from adapters.sandbox.zoho import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN
    from adapters.zoho import ZohoAdapter

    secrets = {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
               "refresh_token": SANDBOX_REFRESH_TOKEN}
    settings = {"accounts_url": _root(url), "daily_credits": str(CREDITS), "credit_window_seconds": str(DAY / scale)}
    return ZohoAdapter(ConnectionConfig(base_url=url, credentials=secrets, settings=settings), client)


async def _make_changes(url: str, remote_ids: Sequence[str], scale: float) -> None:
    """Rename each candidate through the fake's own update endpoint (PUT /Candidates/{id})."""
    import httpx

    from adapters.sandbox.zoho import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN

    async with httpx.AsyncClient(timeout=30) as client:
        token = await client.post(f"{_root(url)}/oauth/v2/token", data={
            "grant_type": "refresh_token", "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
            "refresh_token": SANDBOX_REFRESH_TOKEN})
        token.raise_for_status()
        headers = {"Authorization": f"Zoho-oauthtoken {token.json()['access_token']}"}
        await send_paced((lambda remote_id=remote_id, number=number: client.put(
            f"{url}/Candidates/{remote_id}", headers=headers,
            json={"data": [{"Current_Job_Title": f"Benchmark change {number}"}]})
            for number, remote_id in enumerate(remote_ids)), 0.0, wait=lambda response: 1.0)


def _metered(path: str) -> bool:
    return path.startswith("/recruit/v2")  # token requests are the accounts server's, not credits


PROFILE = SyncProfile(
    provider="zoho",
    fake_module="adapters.sandbox.zoho",
    requests=CREDITS,
    per_seconds=DAY,
    described="5,000 API credits per rolling 24 h (Free plan; a budget, not a rate)",
    default_scale=1.0,
    default_sizes=(20_000,),
    fake_arguments=_fake_arguments,
    build_adapter=_build_adapter,
    make_changes=_make_changes,
    recover_seconds=lambda scale: 0.0,  # a budget barely touched needs no recovery
    metered=_metered,
)
