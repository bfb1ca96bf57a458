"""`hirebot run` as a real process with only the Teams variables set (no Slack): it serves /api/messages, a
correctly signed "who is <name>" is answered with an Adaptive Card (the name and the ATS link) through the
connector at the activity's serviceUrl, every badly signed request gets 401 with nothing posted, and a card
button click (an adaptiveCard/action invoke) gets 200."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.server import BackgroundServer
from bot.teams.config import MESSAGES_PATH
from bot.teams.sandbox import BAD_VARIANTS, REPLY, FakeBotFramework
from tests.cli_process import ROOT, run_cli
from tests.ports import free_port
from tests.rigs.teams import execute_button, nodes, shown
from tests.waiting import wait_healthy, wait_until


def teams_only_env(data_dir: Path, fake: FakeBotFramework, port: int) -> dict[str, str]:
    """This process's environment without any HIREBOT_, SLACK_ or TEAMS_ setting, plus the fake's Teams ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIREBOT_", "SLACK_", "TEAMS_"))}
    env.update(HIREBOT_DATA_DIR=str(data_dir), NO_COLOR="1", HIREBOT_PORT=str(port), HIREBOT_SYNC_INTERVAL="3600",
               **fake.env())
    return env


def test_run_with_only_teams_answers_signed_activities(tmp_path: Path) -> None:
    state = generate(seed=5, candidates=80)
    target = next(c for c in state.candidates.values() if c["last_name"].isascii() and
                  sum(1 for o in state.candidates.values() if o["last_name"] == c["last_name"]) == 1)
    fake = FakeBotFramework()
    rita = fake.add_member("Rita Recruiter", "rita@acme.test")
    port = free_port()
    with BackgroundServer(fake.web_app()) as bot_framework, BackgroundServer(GreenhouseSandbox(state).app) as gh:
        fake.base_url = bot_framework.url
        env = teams_only_env(tmp_path, fake, port)
        assert run_cli(["connect", "greenhouse", "--client-id", SANDBOX_CLIENT_ID, "--client-secret",
                        SANDBOX_CLIENT_SECRET, "--base-url", gh.url, "--auth-url", f"{gh.url}/token"],
                       env).returncode == 0
        assert run_cli(["sync"], env).returncode == 0
        server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--host", "127.0.0.1"], env=env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base)
            activities, signer = fake.activities(), fake.signer()

            # Every badly signed request is refused before anything is processed.
            refused = set()
            for variant in BAD_VARIANTS:
                bad = activities.message(rita, f"who is {target['first_name']} {target['last_name']}")
                response = httpx.post(base + MESSAGES_PATH, json=bad, headers=signer.headers(bad, variant))
                assert response.status_code == 401, variant
                refused.add(bad["id"])

            question = activities.message(rita, f"who is {target['first_name']} {target['last_name']}?")
            started = time.monotonic()
            response = httpx.post(base + MESSAGES_PATH, json=question, headers=signer.headers(question))
            assert response.status_code == 200 and time.monotonic() - started < 5
            [post] = wait_until(lambda: fake.accepted(REPLY), timeout=30, what="a reply through the connector")
            assert post.service_path == "/amer" and post.conversation_id == question["conversation"]["id"]
            assert post.activity_id == question["id"]
            # Questions are answered in arrival order: had a refused one been taken, its answer would be here.
            assert len(refused) == len(BAD_VARIANTS)
            assert not [call for call in fake.calls if call.activity_id in refused]
            [card] = post.cards
            assert target["last_name"] in shown(card)
            links = {a["title"]: a["url"] for a in nodes(card, "Action.OpenUrl")}
            assert links["Open in Greenhouse"].startswith("http")
            assert json.dumps(card).count("Open in Greenhouse") >= 1

            # The card's Schedule button: the invoke is answered 200 at once, the proposal follows.
            schedule = execute_button(card, "Schedule")
            click = activities.invoke(rita, schedule["verb"], schedule["data"], reply_to_id="1700000000001")
            answer = httpx.post(base + MESSAGES_PATH, json=click, headers=signer.headers(click))
            assert answer.status_code == 200 and answer.json()["statusCode"] == 200
            wait_until(lambda: len(fake.posts()) >= 2, timeout=30, what="the meeting proposal")
            assert "Edit details" in json.dumps(fake.posts()[1].cards)
        finally:
            server.terminate()
            output = server.communicate(timeout=20)[0]
    assert "Teams: bot " in output and "/api/messages" in output
    assert fake.app_password not in output
