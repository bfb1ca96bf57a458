"""Every ATS hirebot supports, one spec per package, so connections stored as text find their code.

Adding an ATS adds one line to SPECS; the CLI, forms, webhook routes, meeting-log rules and docs follow.
`python -m adapters.registry --markdown` prints the provider table of docs/providers.md.
"""

from __future__ import annotations

import sys

import httpx

from adapters.base import AtsAdapter, ConnectionConfig
from adapters.breezyhr.spec import BREEZYHR
from adapters.errors import ConfigError
from adapters.greenhouse.spec import GREENHOUSE
from adapters.lever.spec import LEVER
from adapters.spec import ProviderSpec

SPECS: tuple[ProviderSpec, ...] = (
    GREENHOUSE,
    LEVER,
    BREEZYHR,
)

ADAPTERS: dict[str, type[AtsAdapter]] = {spec.name: spec.adapter_class for spec in SPECS}

# ATSs that have no package yet but can already be named in chat ("open jobs in Workable" says none is
# connected): name -> (label, other words for it). An entry goes when its package's spec joins SPECS.
PLANNED: dict[str, tuple[str, tuple[str, ...]]] = {
    "workable": ("Workable", ()), "zoho": ("Zoho Recruit", ()),
    "freshteam": ("Freshteam", ()), "teamtailor": ("Teamtailor", ()), "recruitee": ("Recruitee", ()),
}


def provider_words() -> dict[str, str]:
    """Every word (lower case) that names an ATS in chat, mapped to its provider name: names, labels, aliases."""
    named = [(spec.name, spec.label, spec.aliases) for spec in SPECS]
    named += [(name, label, aliases) for name, (label, aliases) in PLANNED.items()]
    words: dict[str, str] = {}
    for name, label, aliases in named:
        for word in (name, label.lower(), *aliases):
            words.setdefault(word, name)
    return words


class UnknownProvider(ConfigError):
    """A provider name no registered spec has; the message lists the ones hirebot knows."""

    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(spec.name for spec in SPECS))
        super().__init__(f"Unknown ATS provider {name!r}. Known providers: {known}.")
        self.name = name


def find_spec(name: str) -> ProviderSpec | None:
    """The spec for a provider name (case and surrounding spaces ignored), or None."""
    wanted = name.strip().lower()
    return next((spec for spec in SPECS if spec.name == wanted), None)


def spec_for(name: str) -> ProviderSpec:
    """The spec for a provider name; UnknownProvider (a ConfigError) lists the supported ones."""
    spec = find_spec(name)
    if spec is None:
        raise UnknownProvider(name)
    return spec


def label_for(name: str) -> str:
    """How people read a provider's name: its spec's label, a planned ATS's, else the name in words."""
    spec = find_spec(name)
    if spec is not None:
        return spec.label
    planned = PLANNED.get(name)
    return planned[0] if planned is not None else name.replace("_", " ").title()


def adapter_for(provider: str, config: ConnectionConfig, client: httpx.AsyncClient) -> AtsAdapter:
    """Build the adapter for `provider` (case and surrounding spaces ignored)."""
    return spec_for(provider).adapter_class(config, client)


def main(argv: list[str]) -> int:
    from adapters.spec_table import provider_table

    if argv != ["--markdown"]:
        print("usage: python -m adapters.registry --markdown", file=sys.stderr)
        return 2
    print(provider_table(SPECS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
