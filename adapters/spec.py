"""The one declarative description each ATS package exports, from which the rest of hirebot is generated.

`hirebot connect <name>` and its flags, the chat connect forms, the webhook route and its check,
`hirebot webhooks`, the meeting-log rules and the provider table in docs/providers.md all read a
`ProviderSpec`; no code outside `adapters/<name>/` names the provider. adapters/registry.py lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from adapters.base import AtsAdapter, Capability
from adapters.errors import ConfigError
from adapters.webhooks import WebhookVerifier
from adapters.write_policy import WritePolicy


@dataclass(frozen=True)
class ConnectField:
    """One value an admin gives when connecting: a CLI flag (`--client-id`) and a form input (`client_id`).

    `label` and `help` are the form's; `flag_help` is the flag's `--help` line. `secret` values are stored
    sealed and never shown again; `credential` stores a non-secret value with them (an OAuth client id).
    `default` applies on the command line only (the form leaves an optional input empty). `choices`
    limits the value (a select in forms, a checked flag on the command line). A `url` value must be a
    whole web address; `placeholder` is the example an error shows.
    """

    name: str
    label: str
    flag_help: str
    secret: bool = False
    credential: bool = False
    required: bool = True
    help: str = ""
    placeholder: str = ""
    choices: tuple[str, ...] = ()
    default: str | None = None
    url: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def sealed(self) -> bool:
        """Stored with the encrypted credentials rather than the plain settings."""
        return self.secret or self.credential


def check_url(field: ConnectField, value: str) -> None:
    """A ConfigError saying what a URL must look like, unless `value` is an http(s) address with a host."""
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in value)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        valid = False
    if not valid:
        example = f", like {field.placeholder}" if field.placeholder else ""
        raise ConfigError(f"{field.label} must be a whole web address starting with https:// (or http:// for a "
                          f"server on your own machine){example}; {value!r} is not one.")


def check_alternatives(label: str, fields: tuple[ConnectField, ...], alternatives: tuple[tuple[str, ...], ...],
                       values: Mapping[str, str]) -> None:
    """A ConfigError unless `values` fill exactly one of the `alternatives` (groups of field names, such
    as a token, or an email and a password); nothing to check without alternatives."""
    if not alternatives:
        return
    labels = {f.name: f.label for f in fields}
    given = [group for group in alternatives if all(values.get(name) for name in group)]
    choices = ", or ".join(" and ".join(labels.get(name, name) for name in group) for group in alternatives)
    if not given:
        raise ConfigError(f"{label} needs: {choices}.")
    if len(given) > 1:
        raise ConfigError(f"{label} takes one of: {choices}; not more than one.")


def accept_values(base_url: str, values: Mapping[str, str]) -> None:
    """The default connect check: nothing beyond the fields' own (required, choices, URLs)."""


class WebhookScheme(StrEnum):
    """Who holds the secret that proves a delivery came from the ATS."""

    GENERATED_SECRET = "generated_secret"  # hirebot generates one at connect time; the admin pastes it into the ATS
    ISSUED_TOKENS = "issued_tokens"  # the ATS issues a token per webhook; the admin pastes each into hirebot
    API_CREDENTIAL = "api_credential"  # the ATS signs with the connection's own API credential (`credential`)
    POLLING = "polling"  # the ATS sends no webhooks: hirebot polls it, and `setup` says so
    # For an ATS that cannot sign: hirebot generates a secret at connect time and it is part of the webhook URL
    # the admin pastes into the ATS (`?key=...`); the verifier compares it in constant time.
    URL_SECRET = "url_secret"


@dataclass(frozen=True)
class WebhookSpec:
    """How an ATS's webhooks reach hirebot.

    `verify` checks one delivery (adapters/webhooks.py). `events` are the ones to turn on in the ATS.
    `setup` is the step `hirebot webhooks` prints after the URL for ISSUED_TOKENS (placeholders
    `{connection_id}` and `{stored}`); a GENERATED_SECRET connection prints its secret instead.
    `token_source` says where the ATS shows its tokens.
    An API_CREDENTIAL ATS (Workable) signs with the credential the connection was made with, named by
    `credential`; `setup` is printed for it too. A URL_SECRET connection's URL carries its secret
    (`URL_SECRET_PARAM` of adapters/webhooks.py) and `setup` is printed after it, like ISSUED_TOKENS'.
    """

    scheme: WebhookScheme
    verify: WebhookVerifier
    events: tuple[str, ...]
    setup: str = ""
    token_source: str = ""
    credential: str = ""  # API_CREDENTIAL: the connect field whose (sealed) value is the signing key


@dataclass(frozen=True)
class ProviderSpec:
    """Everything hirebot needs to know about one ATS, beyond its adapter's own code.

    `name` is the stored provider name and the URL/CLI word; `label` is what people read. `fields` are the
    connect fields in flag and form order. `default_base_url` gives the API address from the connect
    values when none is given. `aliases` are other words people use for it in chat ("breezy").
    `org_scope_allowed`: an admin may connect it for the whole workspace
    (otherwise connections are personal). `help_text` is the setup and permission help shown above the
    connect form; `connect_summary` is the `hirebot connect <name>` help line. `check_values` refuses, with
    a ConfigError, connect values that validation might pass but sync would not (it gets the base URL
    and the other values). `identity` names the fields that, with the base URL, tell one ATS account from
    another: connecting the same account twice is refused (every candidate would be listed twice).
    `alternatives` are groups of fields of which exactly one must be given whole, for credentials that
    come in more than one form (a token, or an email and a password); their fields are not `required`.
    """

    name: str
    label: str
    adapter_class: type[AtsAdapter]
    fields: tuple[ConnectField, ...]
    default_base_url: Callable[[Mapping[str, str]], str]
    help_text: str
    connect_summary: str
    webhooks: WebhookSpec
    write_policy: WritePolicy
    org_scope_allowed: bool = False
    aliases: tuple[str, ...] = ()
    check_values: Callable[[str, Mapping[str, str]], None] = accept_values
    identity: tuple[str, ...] = ()
    alternatives: tuple[tuple[str, ...], ...] = ()

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.adapter_class.capabilities

    @property
    def available(self) -> bool:
        """Whether this build can connect it: a spec is registered only with its adapter, so always."""
        return True

    @property
    def default_scope(self) -> str:
        return "org" if self.org_scope_allowed else "user"
