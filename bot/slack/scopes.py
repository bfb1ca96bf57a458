"""What the Slack app listens to and the permissions it needs, in one place so the manifest can be checked
against the code (tests/test_slack_manifest.py scans bot/slack for Web API calls)."""

from __future__ import annotations

SLASH_COMMAND = "/hirebot"

# What the app listens to: the manifest must subscribe to exactly these bot events (tests check it).
SUBSCRIBED_EVENTS: tuple[str, ...] = ("app_home_opened", "app_mention", "app_uninstalled", "message.im",
                                      "tokens_revoked")
# Scopes each subscribed event needs.
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "app_home_opened": (),
    "app_mention": ("app_mentions:read",),
    "app_uninstalled": (),
    "message.im": ("im:history",),
    "tokens_revoked": (),
}
# Scopes each Web API method this package calls needs (tests scan the code for client calls).
WEB_API_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "users.info": ("users:read", "users:read.email"),  # the email maps a Slack user to a hirebot user
    "users.lookupByEmail": ("users:read", "users:read.email"),  # attendees who never wrote to hirebot
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "views.open": (),
    "views.update": (),
    "views.publish": (),
    "oauth.v2.access": (),
}
COMMAND_SCOPES: tuple[str, ...] = ("commands",)
# Downloading a file attached to a message (its url_private_download, with the bot token) needs files:read.
FILE_SCOPES: tuple[str, ...] = ("files:read",)
REQUIRED_BOT_SCOPES: tuple[str, ...] = tuple(sorted(
    set(COMMAND_SCOPES)
    | set(FILE_SCOPES)
    | {scope for scopes in EVENT_SCOPES.values() for scope in scopes}
    | {scope for scopes in WEB_API_SCOPES.values() for scope in scopes}
))
