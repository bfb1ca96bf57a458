"""How `benchmarks.sync_throughput` runs each provider: its fake, its documented limit, its adapter, its changes.

One module per provider (`benchmarks/sync_profiles/<provider>.py`) exports `PROFILE`, and one line in
`PROFILES` names it, so the benchmark imports only the providers it runs.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

PROFILES: dict[str, str] = {
    "greenhouse": "benchmarks.sync_profiles.greenhouse",
    "lever": "benchmarks.sync_profiles.lever",
    "teamtailor": "benchmarks.sync_profiles.teamtailor",
    "workable": "benchmarks.sync_profiles.workable",
    "freshteam": "benchmarks.sync_profiles.freshteam",
    "recruitee": "benchmarks.sync_profiles.recruitee",
    "zoho": "benchmarks.sync_profiles.zoho",
    "breezyhr": "benchmarks.sync_profiles.breezyhr",
}


def _everything_metered(path: str) -> bool:
    return True


@dataclass(frozen=True)
class SyncProfile:
    """A provider's documented rate limit, how its fake is started with it, and how the benchmark drives it.

    `fake_module` is served as `python -m <fake_module> --candidates N <fake_arguments(scale)>`, and prints
    its URL (the first `http://` word) once it has generated its roster and listens.
    """

    provider: str
    fake_module: str
    requests: int  # allowed requests ...
    per_seconds: float  # ... per this many seconds, as the provider documents it
    described: str  # the limit in words, for the report
    default_scale: float
    default_sizes: tuple[int, ...]
    fake_arguments: Callable[[float], list[str]]  # flags that set the fake's limit to the scaled one
    build_adapter: Callable[[str, Any, float], Any]  # (printed URL, httpx.AsyncClient, scale) -> AtsAdapter
    # (printed URL, remote candidate ids, scale): change each through the fake's own write API, inside the
    # scaled limit, waiting out any 429
    make_changes: Callable[[str, Sequence[str], float], Awaitable[None]]
    recover_seconds: Callable[[float], float]  # after a full sync, how long until the limit is fresh (scale)
    metered: Callable[[str], bool] = _everything_metered  # whether a request path counts against the limit
    fixed_windows: bool = False  # windows aligned to multiples of per_seconds: a full sync starts on one

    @property
    def rate(self) -> float:
        return self.requests / self.per_seconds


def profile_for(provider: str) -> SyncProfile:
    """The profile registered for `provider`; KeyError names the known ones."""
    try:
        module = PROFILES[provider]
    except KeyError:
        raise KeyError(f"no sync profile for {provider!r}; known: {', '.join(sorted(PROFILES))}") from None
    profile = importlib.import_module(module).PROFILE
    assert isinstance(profile, SyncProfile)
    return profile


def retry_after(response: httpx.Response) -> float:
    """Seconds a 429 asks the caller to wait (`Retry-After`, else one)."""
    return float(response.headers.get("Retry-After", "1"))


async def send_paced(requests: Iterable[Callable[[], Awaitable[httpx.Response]]], pause: float,
                     wait: Callable[[httpx.Response], float] = retry_after) -> None:
    """What every profile's `make_changes` does: send each request in turn, `pause` seconds apart, and send
    a request the fake refused with 429 again after `wait(response)` seconds."""
    for send in requests:
        while True:
            response = await send()
            if response.status_code != 429:
                response.raise_for_status()
                break
            await asyncio.sleep(wait(response))
        await asyncio.sleep(pause)
