"""The acceptance path for Workable, as a newcomer runs it: `hirebot connect workable ... --base-url`, `hirebot
sync workable` and `hirebot ask --json "who is X"`, in real processes against the Workable and Greenhouse
fakes on loopback. A person in both ATSs (same email) is one person with both sources and both stages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate as generate_greenhouse
from adapters.sandbox.greenhouse_state import GreenhouseState
from adapters.sandbox.server import BackgroundServer
from adapters.sandbox.workable import API_PREFIX, OAUTH_RATE, SANDBOX_TOKEN, WorkableSandbox
from adapters.sandbox.workable_dataset import WorkableState
from adapters.sandbox.workable_dataset import generate as generate_workable
from tests.cli_process import cli_env, run_cli


@pytest.fixture(scope="module")
def greenhouse() -> GreenhouseState:
    return generate_greenhouse(seed=11, candidates=60)


def shared_person(greenhouse: GreenhouseState, workable: WorkableState) -> dict[str, Any]:
    """A Greenhouse candidate with a plain name no one else has in either ATS, and an email."""
    names = [f"{c['first_name']} {c['last_name']}" for c in greenhouse.candidates.values()]
    names += [c["name"] for c in workable.candidates.values()]
    for candidate in sorted(greenhouse.candidates.values(), key=lambda c: c["id"]):
        name = f"{candidate['first_name']} {candidate['last_name']}"
        if names.count(name) == 1 and candidate["email_addresses"] and candidate["last_name"].isascii() \
                and candidate["last_name"].isalpha() and len(candidate["last_name"]) >= 5:
            return candidate
    raise AssertionError("no unique plain-named Greenhouse candidate with an email")


@pytest.fixture(scope="module")
def workable(greenhouse: GreenhouseState) -> WorkableState:
    state = generate_workable(seed=5, candidates=150)
    person = shared_person(greenhouse, state)
    email = person["email_addresses"][0]["value"]
    record = state.add_candidate(f"{person['first_name']} {person['last_name']}", email=email, shortcode="HBOT001",
                                 stage="interview")
    state.update_candidate(record["id"], disqualified=True, disqualified_at="2026-02-01T10:00:00Z")
    return state


@pytest.fixture(scope="module")
def servers(greenhouse: GreenhouseState, workable: WorkableState) -> Iterator[tuple[str, str]]:
    with BackgroundServer(GreenhouseSandbox(greenhouse).app) as gh, \
            BackgroundServer(WorkableSandbox(workable, rate_limit=OAUTH_RATE).app) as wk:
        yield gh.url, wk.url


def test_connect_sync_and_ask_merge_a_workable_person_with_greenhouse(
        servers: tuple[str, str], greenhouse: GreenhouseState, workable: WorkableState, tmp_path: Path) -> None:
    gh_url, wk_url = servers
    env = cli_env(tmp_path, COLUMNS="200")
    connected = run_cli(["connect", "workable", "--subdomain", "hirebot-sandbox", "--token", SANDBOX_TOKEN,
                         "--base-url", wk_url + API_PREFIX], env)
    assert connected.returncode == 0, connected.stderr
    assert SANDBOX_TOKEN not in connected.stdout + connected.stderr
    assert run_cli(["connect", "greenhouse", "--client-id", SANDBOX_CLIENT_ID, "--client-secret",
                    SANDBOX_CLIENT_SECRET, "--base-url", gh_url, "--auth-url", f"{gh_url}/token"], env).returncode == 0
    synced = run_cli(["sync", "workable"], env)
    assert synced.returncode == 0, synced.stderr
    assert f"{len(workable.candidates)} new" in synced.stdout
    assert run_cli(["sync", "greenhouse"], env).returncode == 0

    record = max(workable.candidates.values(), key=lambda c: c["id"])  # the one added to both
    name = record["name"]
    person = next(c for c in greenhouse.candidates.values() if f"{c['first_name']} {c['last_name']}" == name)
    asked = run_cli(["ask", "--json", f"who is {name}?"], env)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["status"] == "match", answer
    (found,) = answer["candidates"]
    sources = {source["provider"]: source for source in found["sources"]}
    assert sources["workable"] == {"provider": "workable", "remote_id": record["id"], "url": record["profile_url"]}
    assert sources["greenhouse"]["remote_id"] == str(person["id"])
    text = answer["text"]
    assert "Backend Engineer" in text and "Interview" in text and "ejected" in text

    setup = run_cli(["webhooks"], env)
    assert setup.returncode == 0, setup.stderr
    assert "/webhooks/workable/1" in setup.stdout and "candidate_moved" in setup.stdout
    assert "?event=" in setup.stdout and SANDBOX_TOKEN not in setup.stdout


def test_a_wrong_token_is_one_clear_line(servers: tuple[str, str], tmp_path: Path) -> None:
    _, wk_url = servers
    refused = run_cli(["connect", "workable", "--subdomain", "hirebot-sandbox", "--token", "wrong-token-42",
                       "--base-url", wk_url + API_PREFIX], cli_env(tmp_path))
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "Workable refused the access token" in refused.stdout + refused.stderr
    assert "wrong-token-42" not in refused.stdout + refused.stderr
    elsewhere = run_cli(["connect", "workable", "--subdomain", "acme", "--token", SANDBOX_TOKEN,
                         "--base-url", wk_url + API_PREFIX], cli_env(tmp_path))
    assert elsewhere.returncode != 0 and "Traceback" not in elsewhere.stderr
    assert "belongs to hirebot-sandbox, not acme" in elsewhere.stdout + elsewhere.stderr
