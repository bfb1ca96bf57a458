"""How hirebot talks to Slack, decided once from the settings: Socket Mode or HTTP, one workspace or many
(OAuth installs), and which Web API URL to call; with a message naming the variable to set when half done.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.errors import ConfigError
from store.settings import Settings

SLACK_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


@dataclass(frozen=True)
class SlackMode:
    """How hirebot talks to Slack, decided once from the settings."""

    socket_mode: bool
    multi_workspace: bool
    serve_http_events: bool
    api_url: str

    def describe(self, public_url: str) -> list[str]:
        """Lines for `hirebot run`'s start-up message: what is running and how to reach it."""
        workspaces = ("multi-workspace (OAuth install, tokens in the database)" if self.multi_workspace
                      else "single workspace (SLACK_BOT_TOKEN)")
        if self.socket_mode:
            lines = [f"Slack: Socket Mode, {workspaces}; no public URL needed."]
        else:
            lines = [f"Slack: HTTP mode, {workspaces}; Slack must reach {public_url}{EVENTS_PATH}"]
        if self.multi_workspace:
            lines.append(f"  Install it in a workspace from {public_url}{INSTALL_PATH}")
        if self.api_url != SLACK_API_URL:
            lines.append(f"  Slack Web API calls go to {self.api_url}")
        return lines


def web_api_url(settings: Settings) -> str:
    """HIREBOT_SLACK_API_URL, accepted with or without the `/api/` suffix; Slack's own URL otherwise."""
    url = (settings.slack_api_url or SLACK_API_URL).strip()
    if urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + "/api/"
    return url if url.endswith("/") else url + "/"


def slack_mode(settings: Settings) -> SlackMode | None:
    """The Slack mode the settings ask for; None when Slack is not configured at all.

    Raises ConfigError, naming the variable to set, when the settings are half done.
    """
    configured = (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token,
                  settings.slack_client_id, settings.slack_client_secret)
    if not any(configured):
        return None
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        raise ConfigError("Set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic Information > App Credentials) "
                          "for multi-workspace installs, or neither for a single workspace.")
    multi = bool(settings.slack_client_id)
    socket = bool(settings.slack_app_token)
    if socket and not str(settings.slack_app_token).startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information > "
                          "App-Level Tokens, with the connections:write scope).")
    if not multi:
        token = settings.slack_bot_token or ""
        if not token:
            raise ConfigError("Set SLACK_BOT_TOKEN to the Bot User OAuth Token (OAuth & Permissions, starts "
                              "with xoxb-), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for multi-workspace installs.")
        if not token.startswith(("xoxb-", "xoxe.xoxb-")):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb- (OAuth & Permissions > "
                              "Bot User OAuth Token), not a user or app-level token.")
    if not socket and not settings.slack_signing_secret:
        raise ConfigError("Set SLACK_SIGNING_SECRET (Basic Information > App Credentials) so hirebot can check "
                          "that requests come from Slack, or set SLACK_APP_TOKEN to use Socket Mode.")
    return SlackMode(socket_mode=socket, multi_workspace=multi,
                     serve_http_events=bool(settings.slack_signing_secret), api_url=web_api_url(settings))
