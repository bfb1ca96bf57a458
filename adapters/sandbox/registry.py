"""Which fakes `python -m adapters.sandbox <provider>` can start: provider name -> the `FakeAts` class.

Classes are imported only when asked for, so starting one fake never loads (or generates data for) another.
A new fake adds one line to `FAKES`.
"""

from __future__ import annotations

import importlib

from adapters.sandbox.fake import FakeAts

FAKES: dict[str, str] = {
    "greenhouse": "adapters.sandbox.greenhouse:GreenhouseSandbox",
    "lever": "adapters.sandbox.lever:LeverSandbox",
    "teamtailor": "adapters.sandbox.teamtailor:TeamtailorSandbox",
    "workable": "adapters.sandbox.workable:WorkableSandbox",
    "freshteam": "adapters.sandbox.freshteam:FreshteamSandbox",
    "recruitee": "adapters.sandbox.recruitee:RecruiteeSandbox",
    "zoho": "adapters.sandbox.zoho:ZohoSandbox",
    "breezyhr": "adapters.sandbox.breezyhr:BreezySandbox",
}


def fake_class(provider: str) -> type[FakeAts]:
    """The fake registered for `provider`; KeyError names the known ones."""
    try:
        module_name, _, class_name = FAKES[provider].partition(":")
    except KeyError:
        raise KeyError(f"no fake for {provider!r}; known: {', '.join(sorted(FAKES))}") from None
    fake = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(fake, type) and issubclass(fake, FakeAts)):
        raise TypeError(f"{FAKES[provider]} is not a FakeAts")
    return fake
