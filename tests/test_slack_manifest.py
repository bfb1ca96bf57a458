"""manifest.yml: valid against Slack's app manifest schema, and in step with what the code needs.

The schema checks shapes only (it accepts made-up scopes and events), so the scopes and events are
also compared with what bot/slack declares and, for Web API methods, with the calls found in its source.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.scopes import (
    COMMAND_SCOPES,
    EVENT_SCOPES,
    FILE_SCOPES,
    REQUIRED_BOT_SCOPES,
    SLASH_COMMAND,
    SUBSCRIBED_EVENTS,
    WEB_API_SCOPES,
)

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "manifest.yml"
SCHEMA = REPO.parent / "shared" / "vendor" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"
SLACK_PACKAGE = REPO / "bot" / "slack"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text())


def test_manifest_matches_slacks_published_schema(manifest: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        reason = f"Slack's manifest schema is not vendored at {SCHEMA}; schema validation skipped"
        print(reason)
        pytest.skip(reason)
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(manifest), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_schema_check_would_catch_a_broken_manifest(manifest: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"Slack's manifest schema is not vendored at {SCHEMA}")
    import jsonschema

    broken = {**manifest, "display_information": {"name": "x" * 40}}
    assert list(jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).iter_errors(broken))


def test_bot_scopes_are_exactly_what_the_code_needs(manifest: dict[str, Any]) -> None:
    declared = set(manifest["oauth_config"]["scopes"]["bot"])
    assert declared == set(REQUIRED_BOT_SCOPES), (
        f"missing: {set(REQUIRED_BOT_SCOPES) - declared}, not needed: {declared - set(REQUIRED_BOT_SCOPES)}")
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_subscribed_events_are_exactly_what_the_code_listens_to(manifest: dict[str, Any]) -> None:
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(SUBSCRIBED_EVENTS)
    assert set(EVENT_SCOPES) == set(SUBSCRIBED_EVENTS)


def web_api_calls_in_source() -> dict[str, list[str]]:
    """Web API methods called as `client.<method>(...)` anywhere in bot/slack, e.g. chat_postMessage."""
    found: dict[str, list[str]] = {}
    for path in sorted(SLACK_PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "client"):
                method = node.func.attr.replace("_", ".")
                found.setdefault(method, []).append(f"{path.name}:{node.lineno}")
    return found


def downloads_files_in_source() -> list[str]:
    """Where bot/slack reads an attached file's private URL (fetching it with the bot token needs files:read)."""
    return [f"{path.name}:{number}" for path in sorted(SLACK_PACKAGE.glob("*.py")) if path.name != "sandbox.py"
            for number, line in enumerate(path.read_text().splitlines(), 1)
            if "url_private" in line and "item.get(" in line]


def test_every_web_api_method_the_code_calls_has_its_scopes_declared(manifest: dict[str, Any]) -> None:
    calls = web_api_calls_in_source()
    assert {"chat.postMessage", "chat.postEphemeral", "users.info", "views.publish", "views.open"} <= set(calls)
    unknown = {m: where for m, where in calls.items() if m not in WEB_API_SCOPES}
    assert not unknown, f"add these Web API methods and their scopes to WEB_API_SCOPES: {unknown}"
    needed = set(COMMAND_SCOPES) | {s for scopes in EVENT_SCOPES.values() for s in scopes}
    needed |= {s for method in calls for s in WEB_API_SCOPES[method]}
    assert downloads_files_in_source(), "attached files are no longer downloaded: drop FILE_SCOPES"
    needed |= set(FILE_SCOPES)
    assert needed == set(manifest["oauth_config"]["scopes"]["bot"])


def test_slash_command_home_and_interactivity_are_set_up(manifest: dict[str, Any]) -> None:
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [SLASH_COMMAND]
    assert commands[0]["usage_hint"]
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    # Rotating tokens expire after 12 hours; a fixed SLACK_BOT_TOKEN (single workspace) would stop working.
    assert manifest["settings"]["token_rotation_enabled"] is False
