"""How hirebot reaches Microsoft Teams, read once from the environment: the Azure bot registration's app id,
secret and tenant, and the two Bot Framework URLs (overridable so tests and the sandbox can stand in for them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from adapters.errors import ConfigError

MESSAGES_PATH = "/api/messages"
DEFAULT_OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


def _value(environ: Mapping[str, str], name: str) -> str | None:
    value = (environ.get(name) or "").strip()
    return value or None


def _check_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {url!r}.")
    return url


@dataclass(frozen=True)
class TeamsConfig:
    """The Azure bot registration and the Bot Framework endpoints hirebot talks to."""

    app_id: str
    app_password: str = field(repr=False)
    tenant_id: str | None  # None only when HIREBOT_TEAMS_TOKEN_URL names no tenant (a test token server)
    openid_url: str
    token_url: str  # the tenant already filled in
    scope: str = BOT_FRAMEWORK_SCOPE
    # HIREBOT_TEAMS_ADMINS: emails (lower case) of the people who are hirebot admins in Teams, which tells a
    # bot nothing about roles (Slack does); admins may connect an ATS for the whole workspace.
    admins: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> TeamsConfig | None:
        """The Teams settings; None when TEAMS_APP_ID is unset (Teams is off).

        Raises ConfigError naming the variable to set when the registration is only half configured.
        """
        app_id = _value(environ, "TEAMS_APP_ID")
        if app_id is None:
            return None
        password = _value(environ, "TEAMS_APP_PASSWORD")
        tenant = _value(environ, "TEAMS_APP_TENANT_ID")
        if password is None:
            raise ConfigError("TEAMS_APP_ID is set but TEAMS_APP_PASSWORD is not: set it to a client secret of the "
                              "Azure bot's app registration (Certificates & secrets), so hirebot can reply.")
        openid_url = _check_url("HIREBOT_TEAMS_OPENID_URL",
                                _value(environ, "HIREBOT_TEAMS_OPENID_URL") or DEFAULT_OPENID_URL)
        token_template = _value(environ, "HIREBOT_TEAMS_TOKEN_URL") or DEFAULT_TOKEN_URL
        if "{tenant}" in token_template:
            if tenant is None:
                raise ConfigError("TEAMS_APP_ID is set but TEAMS_APP_TENANT_ID is not: set it to the Directory "
                                  "(tenant) ID of the single-tenant Azure bot registration.")
            token_url = token_template.replace("{tenant}", tenant)
        else:
            token_url = token_template
        admins = frozenset(email.strip().lower() for email in (_value(environ, "HIREBOT_TEAMS_ADMINS") or "").split(",")
                           if email.strip())
        return cls(app_id=app_id, app_password=password, tenant_id=tenant, openid_url=openid_url,
                   token_url=_check_url("HIREBOT_TEAMS_TOKEN_URL", token_url), admins=admins)

    def describe(self, public_url: str) -> list[str]:
        """Lines for `hirebot run`'s start-up message: where Teams must send activities (no secrets)."""
        lines = [f"Teams: bot {self.app_id}; set the Azure bot's messaging endpoint to {public_url}{MESSAGES_PATH}"]
        if self.openid_url != DEFAULT_OPENID_URL:
            lines.append(f"  Inbound tokens are checked against keys from {self.openid_url}")
        if urlsplit(self.token_url).netloc != urlsplit(DEFAULT_TOKEN_URL).netloc:
            lines.append(f"  Outbound tokens come from {self.token_url}")
        return lines
