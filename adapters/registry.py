"""Which adapter class serves which provider name, so connections stored as text find their code."""

from __future__ import annotations

import httpx

from adapters.base import AtsAdapter, ConnectionConfig
from adapters.errors import ConfigError
from adapters.greenhouse import GreenhouseAdapter
from adapters.lever import LeverAdapter

ADAPTERS: dict[str, type[AtsAdapter]] = {
    GreenhouseAdapter.provider: GreenhouseAdapter,
    LeverAdapter.provider: LeverAdapter,
}


def adapter_for(provider: str, config: ConnectionConfig, client: httpx.AsyncClient) -> AtsAdapter:
    """Build the adapter for `provider` (case and surrounding spaces ignored)."""
    adapter_class = ADAPTERS.get(provider.strip().lower())
    if adapter_class is None:
        known = ", ".join(sorted(ADAPTERS))
        raise ConfigError(f"Unknown ATS provider {provider!r}. Known providers: {known}.")
    return adapter_class(config, client)
