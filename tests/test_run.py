"""`hirebot run` as a real process: a signed Slack DM "who is X" is answered with card blocks posted to a
fake Slack Web API; with no front end configured it refuses with a clear reason."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.server import BackgroundServer
from bot.slack.sandbox import FakeSlackApi
from tests.cli_process import ROOT, cli_env, run_cli
from tests.ports import free_port
from tests.rigs.slack import RUN_SIGNING_SECRET
from tests.waiting import wait_healthy, wait_until

SIGNING_SECRET = RUN_SIGNING_SECRET


def _signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/json"}


@pytest.fixture
def slack(fake_slack_server: tuple[FakeSlackApi, str]) -> tuple[FakeSlackApi, str]:
    return fake_slack_server


def test_run_answers_a_signed_dm_with_card_blocks(slack: tuple[FakeSlackApi, str], tmp_path: Path) -> None:
    fake, fake_url = slack
    state = generate(seed=3, candidates=80)
    target = next(c for c in state.candidates.values() if c["last_name"].isascii() and
                  sum(1 for o in state.candidates.values() if o["last_name"] == c["last_name"]) == 1)
    env = cli_env(tmp_path)
    with BackgroundServer(GreenhouseSandbox(state).app) as greenhouse:
        assert run_cli(["connect", "greenhouse", "--client-id", SANDBOX_CLIENT_ID, "--client-secret",
                        SANDBOX_CLIENT_SECRET, "--base-url", greenhouse.url, "--auth-url",
                        f"{greenhouse.url}/token"], env).returncode == 0
        assert run_cli(["sync"], env).returncode == 0

        port = free_port()
        env.update(SLACK_BOT_TOKEN="xoxb-run-test", SLACK_SIGNING_SECRET=SIGNING_SECRET, HIREBOT_PORT=str(port),
                   HIREBOT_SLACK_API_URL=f"{fake_url}/api/", HIREBOT_SYNC_INTERVAL="3600")
        server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--host", "127.0.0.1"], env=env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base)
            event = {"type": "event_callback", "team_id": fake.team_id, "api_app_id": fake.app_id,
                     "event_id": "Ev0RUN1", "event_time": int(time.time()),
                     "event": {"type": "message", "channel_type": "im", "channel": "D0RUN", "user": "U0RECRUIT",
                               "text": f"who is {target['first_name']} {target['last_name']}?", "ts": "1.000100"}}
            body = json.dumps(event).encode()
            assert httpx.post(f"{base}/slack/events", content=body, headers=_signed(body)).status_code == 200
            forged = {**_signed(body), "X-Slack-Signature": "v0=0"}
            bad = httpx.post(f"{base}/slack/events", content=body, headers=forged)
            assert bad.status_code == 401

            posts = wait_until(lambda: [c for c in fake.calls_to("chat.postMessage") if c.blocks], timeout=30,
                               what="a chat.postMessage with blocks")
            blocks = json.dumps(posts[0].blocks, ensure_ascii=False)
            assert target["last_name"] in blocks and "Open in Greenhouse" in blocks
        finally:
            server.terminate()
            output = server.communicate(timeout=20)[0]
    assert "Slack" in output


def test_run_refuses_when_nothing_is_configured(tmp_path: Path) -> None:
    result = run_cli(["run"], cli_env(tmp_path))
    assert result.returncode == 1
    assert "No chat front end is configured" in result.stderr and "Traceback" not in result.stderr
