"""Sync in seconds, end to end: a candidate created in the ATS is answerable by `hirebot ask` within 5 s,
through the signed webhook that `hirebot run` receives (no poll involved: polling is set to an hour)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.server import BackgroundServer
from bot.slack.sandbox import FakeSlackApi
from tests.cli_process import ROOT, cli_env, run_cli
from tests.ports import free_port
from tests.waiting import wait_healthy


def _ask(name: str, env: dict[str, str]) -> dict:
    result = run_cli(["ask", "--json", f"who is {name}"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_new_candidate_reaches_hirebot_ask_within_five_seconds(tmp_path: Path) -> None:
    sandbox = GreenhouseSandbox(generate(seed=9, candidates=50))
    slack = FakeSlackApi()
    port = free_port()
    env = cli_env(tmp_path, HIREBOT_PORT=str(port), HIREBOT_PUBLIC_URL=f"http://127.0.0.1:{port}",
                  HIREBOT_SYNC_INTERVAL="3600", SLACK_BOT_TOKEN="xoxb-webhook-test", SLACK_SIGNING_SECRET="s")
    with BackgroundServer(sandbox.app) as greenhouse, BackgroundServer(slack.web_app()) as slack_server:
        env["HIREBOT_SLACK_API_URL"] = f"{slack_server.url}/api/"
        assert run_cli(["connect", "greenhouse", "--client-id", SANDBOX_CLIENT_ID, "--client-secret",
                        SANDBOX_CLIENT_SECRET, "--base-url", greenhouse.url, "--auth-url",
                        f"{greenhouse.url}/token"], env).returncode == 0
        assert run_cli(["sync"], env).returncode == 0
        setup = run_cli(["webhooks"], env).stdout
        secret = next(line.split("Secret key: ", 1)[1].strip() for line in setup.splitlines() if "Secret key: " in line)
        sandbox.add_webhook(f"http://127.0.0.1:{port}/webhooks/greenhouse/1", secret_key=secret, auto_webhooks=True)

        server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--host", "127.0.0.1"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_healthy(f"http://127.0.0.1:{port}")
            assert _ask("Quenby Zwicky-Oyelaran", env)["status"] == "none"

            created = time.monotonic()
            sandbox.state.add_candidate("Quenby", "Zwicky-Oyelaran", email="quenby@example.com")
            answer: dict = {}
            while time.monotonic() - created < 5.0:
                answer = _ask("Quenby Zwicky-Oyelaran", env)
                if answer["status"] == "match":
                    break
            elapsed = time.monotonic() - created
        finally:
            server.terminate()
            server.wait(timeout=20)
    assert answer.get("status") == "match", f"not answerable after {elapsed:.1f} s"
    assert answer["candidates"][0]["emails"] == ["quenby@example.com"]
    assert sandbox.deliveries, "the fake never delivered a webhook"
