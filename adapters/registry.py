"""Every ATS hirebot knows, so connections stored as text find their code: one `Listing` per ATS.

A listing names the ATS the way chat and the CLI do (name, label, other words for it) and, once hirebot has a
package for it, where its `ProviderSpec` lives. Specs are imported only when asked for, so a command that
needs one ATS (or none, like `hirebot --help`) never loads the other packages and their HTTP stack.
Adding an ATS fills in its listing's `spec`; the CLI, forms, webhook routes, meeting-log rules and docs follow.
`python -m adapters.registry --markdown` prints the provider table of docs/providers.md.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from adapters.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from adapters.base import AtsAdapter, ConnectionConfig
    from adapters.spec import ProviderSpec


@dataclass(frozen=True)
class Listing:
    """One ATS as people name it, and its spec ("module:ATTRIBUTE") when hirebot has its package."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()
    spec: str | None = None


LISTINGS: tuple[Listing, ...] = (
    Listing("greenhouse", "Greenhouse", spec="adapters.greenhouse.spec:GREENHOUSE"),
    Listing("lever", "Lever", spec="adapters.lever.spec:LEVER"),
    Listing("workable", "Workable", spec="adapters.workable.spec:WORKABLE"),
    Listing("breezyhr", "BreezyHR", ("breezy",), spec="adapters.breezyhr.spec:BREEZYHR"),
    Listing("zoho", "Zoho Recruit", ("zoho recruit", "zohorecruit"), spec="adapters.zoho.spec:ZOHO"),
    Listing("freshteam", "Freshteam", spec="adapters.freshteam.spec:FRESHTEAM"),
    Listing("teamtailor", "Teamtailor", spec="adapters.teamtailor.spec:TEAMTAILOR"),
    Listing("recruitee", "Recruitee", ("tellent",), spec="adapters.recruitee.spec:RECRUITEE"),
)

# The ATSs hirebot can connect (a listing with a spec), in listing order; their specs load on demand.
PROVIDER_NAMES: tuple[str, ...] = tuple(listing.name for listing in LISTINGS if listing.spec)
_BY_NAME = {listing.name: listing for listing in LISTINGS}


def provider_words() -> dict[str, str]:
    """Every word (lower case) that names an ATS in chat, mapped to its provider name: names, labels, aliases."""
    words: dict[str, str] = {}
    for listing in LISTINGS:
        for word in (listing.name, listing.label.lower(), *listing.aliases):
            words.setdefault(word, listing.name)
    return words


@cache
def _load(name: str) -> ProviderSpec:
    path = _BY_NAME[name].spec
    assert path is not None
    module_name, _, attribute = path.partition(":")
    spec: ProviderSpec = getattr(importlib.import_module(module_name), attribute)
    if spec.name != name:
        raise TypeError(f"{path} is the spec of {spec.name!r}, not {name!r}")
    return spec


def all_specs() -> tuple[ProviderSpec, ...]:
    """The spec of every ATS hirebot can connect, in listing order (this imports every ATS package)."""
    return tuple(_load(name) for name in PROVIDER_NAMES)


def all_adapters() -> dict[str, type[AtsAdapter]]:
    """Provider name -> adapter class, for every ATS hirebot can connect (imports every ATS package)."""
    return {spec.name: spec.adapter_class for spec in all_specs()}


class UnknownProvider(ConfigError):
    """A provider name no registered spec has; the message lists the ones hirebot knows."""

    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(PROVIDER_NAMES))
        super().__init__(f"Unknown ATS provider {name!r}. Known providers: {known}.")
        self.name = name


def find_spec(name: str) -> ProviderSpec | None:
    """The spec for a provider name (case and surrounding spaces ignored), or None."""
    wanted = name.strip().lower()
    return _load(wanted) if wanted in PROVIDER_NAMES else None


def spec_for(name: str) -> ProviderSpec:
    """The spec for a provider name; UnknownProvider (a ConfigError) lists the supported ones."""
    spec = find_spec(name)
    if spec is None:
        raise UnknownProvider(name)
    return spec


def label_for(name: str) -> str:
    """How people read a provider's name: its listing's label, else the name in words."""
    listing = _BY_NAME.get(name)
    return listing.label if listing is not None else name.replace("_", " ").title()


def adapter_for(provider: str, config: ConnectionConfig, client: httpx.AsyncClient) -> AtsAdapter:
    """Build the adapter for `provider` (case and surrounding spaces ignored)."""
    return spec_for(provider).adapter_class(config, client)


def main(argv: list[str]) -> int:
    from adapters.spec_table import provider_table

    if argv != ["--markdown"]:
        print("usage: python -m adapters.registry --markdown", file=sys.stderr)
        return 2
    print(provider_table(all_specs()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
