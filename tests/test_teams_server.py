"""`hirebot run` mounts the Teams front end whenever TEAMS_APP_ID is set, with or without Slack, and says what
to set when the registration is half configured."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from adapters.errors import ConfigError
from bot.runtime import Runtime
from bot.server import configured_front_ends
from bot.teams.app import TeamsFrontEnd
from store.settings import Settings

TEAMS = {"TEAMS_APP_ID": "00000000-0000-4000-8000-00000000b075", "TEAMS_APP_PASSWORD": "secret",
         "TEAMS_APP_TENANT_ID": "00000000-0000-4000-8000-00000000a7e1"}


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    for name in ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_APP_TENANT_ID", "HIREBOT_TEAMS_OPENID_URL",
                 "HIREBOT_TEAMS_TOKEN_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return Runtime.open(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'hirebot.sqlite3'}",
                                 secret_key="teams-server-test"))


async def test_teams_is_mounted_on_api_messages_when_its_variables_are_set(runtime: Runtime,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert configured_front_ends(runtime) == []
    for name, value in TEAMS.items():
        monkeypatch.setenv(name, value)
    [front] = configured_front_ends(runtime)
    try:
        assert isinstance(front, TeamsFrontEnd)
        assert [(r.method, r.path) for r in front.routes()] == [("POST", "/api/messages")]  # type: ignore[attr-defined]
        assert "secret" not in " ".join(front.describe()) and "/api/messages" in " ".join(front.describe())
    finally:
        await front.close()


async def test_teams_runs_beside_slack(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TEAMS.items():
        monkeypatch.setenv(name, value)
    both = replace(runtime, settings=replace(runtime.settings, slack_bot_token="xoxb-both",
                                             slack_signing_secret="both-secret"))
    fronts = configured_front_ends(both)
    try:
        assert sorted(front.name for front in fronts) == ["slack", "teams"]
    finally:
        for front in fronts:
            await front.close()


def test_half_configured_teams_says_what_to_set(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_APP_ID", TEAMS["TEAMS_APP_ID"])
    with pytest.raises(ConfigError, match="TEAMS_APP_PASSWORD"):
        configured_front_ends(runtime)
