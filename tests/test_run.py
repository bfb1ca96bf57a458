"""`hirebot run` as a real process: a signed Slack DM "who is X" is answered with card blocks posted to a
fake Slack Web API; with no chat front end configured it still serves booking pages, webhooks, health and
metrics, says that chat is not configured, and starts quietly on 127.0.0.1."""

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


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bot", "run", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(server: subprocess.Popen[str]) -> str:
    server.terminate()
    return server.communicate(timeout=20)[0]


def test_run_without_chat_serves_booking_pages_webhooks_health_and_metrics(tmp_path: Path) -> None:
    port = free_port()
    env = cli_env(tmp_path, HIREBOT_PORT=str(port), HIREBOT_PUBLIC_URL=f"http://127.0.0.1:{port}",
                  HIREBOT_SYNC_INTERVAL="3600")
    scheduled = run_cli(["schedule", "dana@example.com", "--json"], env)
    assert scheduled.returncode == 0, scheduled.stderr
    booking_url = json.loads(scheduled.stdout)["booking_url"]
    server = _start(env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        page = httpx.get(booking_url)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert httpx.get(f"{base}/metrics").status_code == 200
        assert httpx.post(f"{base}/webhooks/greenhouse/999", content=b"{}").status_code == 404  # no such connection
    finally:
        output = _stop(server)
    assert "Chat: not configured" in output and "Traceback" not in output
    assert "Booking pages" in output


def test_run_starts_quietly_on_localhost(tmp_path: Path) -> None:
    """One line per thing served, no library INFO lines, and only 127.0.0.1 unless --host says otherwise."""
    port = free_port()
    env = cli_env(tmp_path, HIREBOT_PORT=str(port), HIREBOT_SYNC_INTERVAL="3600")
    server = _start(env)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
    finally:
        output = _stop(server)
    # The access log (wait_healthy's requests) is hirebot's own; every other INFO line would be noise.
    lines = [line for line in output.strip().splitlines() if not line.startswith("INFO aiohttp.access:")]
    assert lines[-1] == f"hirebot is listening on http://127.0.0.1:{port}", output
    assert not [line for line in lines if line.startswith(("INFO", "DEBUG"))], output
    assert len(lines) <= 6, output


def test_run_host_comes_from_the_flag_or_hirebot_host(tmp_path: Path) -> None:
    port = free_port()
    env = cli_env(tmp_path, HIREBOT_PORT=str(port), HIREBOT_SYNC_INTERVAL="3600", HIREBOT_HOST="0.0.0.0")
    server = _start(env)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
    finally:
        output = _stop(server)
    assert f"hirebot is listening on http://0.0.0.0:{port}" in output
    help_text = run_cli(["run", "--help"], cli_env(tmp_path)).stdout
    assert "127.0.0.1" in help_text and "HIREBOT_HOST" in help_text
