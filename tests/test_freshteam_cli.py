"""Acceptance, as a fresh clone would run it: `hirebot connect freshteam ... --base-url`, `hirebot sync`,
`hirebot ask --json` finds a Freshteam person, with its provider name, candidate id and link, merged with
their Greenhouse record by email, with stage, job and hired in the reply's text; `hirebot webhooks` says
Freshteam is polled. Every command is a real process; the fakes serve over loopback."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.sandbox.freshteam import SANDBOX_API_KEY, FreshteamSandbox
from adapters.sandbox.freshteam_dataset import generate as freshteam_data
from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate as greenhouse_data
from adapters.sandbox.server import BackgroundServer
from bot.demo import shared_people
from tests.cli_process import DEMO_CANDIDATES, cli_env, run_cli, run_demo

NAME = ("Quenby", "Zwicky-Oyelaran")
EMAIL = "quenby.zwicky@example.com"


def test_connect_sync_and_ask_find_a_freshteam_person_merged_with_greenhouse(tmp_path: Path) -> None:
    greenhouse = GreenhouseSandbox(greenhouse_data(seed=9, candidates=40))
    greenhouse.state.add_candidate(*NAME, email=EMAIL)
    state = freshteam_data(seed=4, candidates=70)
    job_id = state.open_job_ids()[0]
    person = state.add_candidate(*NAME, email=EMAIL, job_id=job_id, stage=("Hired", None))
    freshteam = FreshteamSandbox(state)
    job_title = state.jobs[job_id]["title"]
    env = cli_env(tmp_path, HIREBOT_PUBLIC_URL="https://hirebot.example.com")
    with BackgroundServer(greenhouse.app) as gh, BackgroundServer(freshteam.app) as ft:
        connected = run_cli(["connect", "greenhouse", "--client-id", SANDBOX_CLIENT_ID, "--client-secret",
                             SANDBOX_CLIENT_SECRET, "--base-url", gh.url, "--auth-url", f"{gh.url}/token"], env)
        assert connected.returncode == 0, connected.stderr
        connected = run_cli(["connect", "freshteam", "--domain", "acme", "--api-key", SANDBOX_API_KEY,
                             "--base-url", f"{ft.url}/api"], env)
        assert connected.returncode == 0, connected.stderr
        assert SANDBOX_API_KEY not in connected.stdout + connected.stderr
        synced = run_cli(["sync"], env)
        assert synced.returncode == 0, synced.stderr
        answer = run_cli(["ask", "--json", f"who is {' '.join(NAME)}"], env)
        webhooks = run_cli(["webhooks"], env)
    assert answer.returncode == 0, answer.stderr
    reply = json.loads(answer.stdout)
    assert reply["status"] == "match"
    sources = {source["provider"]: source for source in reply["candidates"][0]["sources"]}
    assert set(sources) == {"greenhouse", "freshteam"}  # one person, merged by email
    assert sources["freshteam"]["remote_id"] == str(person.id)
    assert sources["freshteam"]["url"] == f"https://acme.freshteam.com/hire/jobs/{job_id}"
    assert "Hired" in reply["text"] and job_title in reply["text"]
    assert webhooks.returncode == 0, webhooks.stderr
    assert "none (polling only)" in webhooks.stdout and "Freshteam sends no webhooks" in webhooks.stdout


def test_connect_with_a_wrong_key_or_domain_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    freshteam = FreshteamSandbox(freshteam_data(seed=4, candidates=5))
    env = cli_env(tmp_path)
    with BackgroundServer(freshteam.app) as ft:
        wrong_key = run_cli(["connect", "freshteam", "--domain", "acme", "--api-key", "not-the-key-9999",
                             "--base-url", f"{ft.url}/api"], env)
        freshteam.closed = True
        closed = run_cli(["connect", "freshteam", "--domain", "acme", "--api-key", SANDBOX_API_KEY,
                          "--base-url", f"{ft.url}/api"], env)
    bad_domain = run_cli(["connect", "freshteam", "--domain", "acme corp", "--api-key", SANDBOX_API_KEY], env)
    assert wrong_key.returncode != 0 and "Freshteam refused the API key" in wrong_key.stderr
    assert "not-the-key-9999" not in wrong_key.stderr + wrong_key.stdout and "Traceback" not in wrong_key.stderr
    assert closed.returncode != 0 and "no longer available" in closed.stderr
    assert bad_domain.returncode != 0 and "first part of your Freshteam address" in bad_domain.stderr
    listed = run_cli(["connections"], env)
    assert "Freshteam" not in listed.stdout  # nothing was stored


def test_the_demo_shows_a_person_in_greenhouse_and_freshteam_as_one(tmp_path: Path) -> None:
    shared = shared_people(("greenhouse", "freshteam"), DEMO_CANDIDATES, 7)
    assert shared
    run = run_demo(tmp_path, f"who is {shared[0].name}\nexit\n", "--ats", "greenhouse,freshteam")
    assert run.returncode == 0, run.stdout
    answer = run.stdout.split(f"you> who is {shared[0].name}", 1)[1]
    assert f"Here's {shared[0].name}" in answer
    assert "Open in Greenhouse:" in answer and "Open in Freshteam: https://acme.freshteam.com/hire" in answer, answer
