"""Acceptance for Teamtailor, as a newcomer runs it: `hirebot connect teamtailor --base-url`, `hirebot sync`,
then `hirebot ask --json` finds people with Teamtailor's provider name, candidate id and deep link, merged with
their Greenhouse record by email, with stage, job and hired/rejected in the reply. The CLI runs as a real
process against the Teamtailor and Greenhouse fakes over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate as greenhouse_dataset
from adapters.sandbox.greenhouse_state import GreenhouseState
from adapters.sandbox.people import ACTIVE, HIRED, REJECTED, Contact, PeopleGenerator, Person
from adapters.sandbox.people_names import PLANTED
from adapters.sandbox.server import BackgroundServer
from adapters.sandbox.teamtailor import SANDBOX_API_KEY, ApiKey, TeamtailorSandbox
from adapters.sandbox.teamtailor_dataset import TeamtailorState
from adapters.sandbox.teamtailor_dataset import generate as teamtailor_dataset
from tests.cli_process import cli_env, run_cli

PUBLIC_KEY = "public-career-site-key"


@dataclass
class World:
    greenhouse_url: str
    teamtailor_url: str
    greenhouse: GreenhouseState
    teamtailor: TeamtailorState
    shared: dict[str, tuple[str, str]]  # status -> (full name, email): people in both ATSs


def _unique_greenhouse_people(state: GreenhouseState, count: int) -> list[dict[str, Any]]:
    names = [f"{c['first_name']} {c['last_name']}" for c in state.candidates.values()]
    found = []
    for candidate in sorted(state.candidates.values(), key=lambda c: c["id"]):
        name = f"{candidate['first_name']} {candidate['last_name']}"
        if names.count(name) == 1 and candidate["last_name"].isascii() and candidate["last_name"].isalpha() \
                and len(candidate["last_name"]) >= 5 and candidate.get("email_addresses"):
            found.append(candidate)
        if len(found) == count:
            return found
    raise AssertionError("the Greenhouse roster has too few unique plain names")


def _shared_person(generator: PeopleGenerator, candidate: dict[str, Any], status: str) -> Person:
    person = generator.person()
    person.first, person.last, person.preferred = candidate["first_name"], candidate["last_name"], None
    person.emails = [Contact(candidate["email_addresses"][0]["value"], "personal")]
    person.statuses = (status,)
    return person


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    greenhouse = greenhouse_dataset(seed=13, candidates=80)
    generator = PeopleGenerator(31)
    statuses = (HIRED, REJECTED, ACTIVE)
    planted = {f"{first} {last}" for first, last, *_ in PLANTED}
    unique = [c for c in _unique_greenhouse_people(greenhouse, 12)
              if f"{c['first_name']} {c['last_name']}" not in planted]
    picked = unique[:len(statuses)]
    shared_people = [_shared_person(generator, c, s) for c, s in zip(picked, statuses, strict=True)]
    teamtailor = teamtailor_dataset(seed=17, candidates=70, shared_people=shared_people)
    names = [f"{c['first_name']} {c['last_name']}" for c in teamtailor.candidates.values()]
    assert all(names.count(p.name) == 1 for p in shared_people), "a shared name is also generated"
    fake = TeamtailorSandbox(teamtailor, keys={SANDBOX_API_KEY: ApiKey(), PUBLIC_KEY: ApiKey(level="public")},
                             rate_limit=50.0)
    shared = {s: (p.name, p.emails[0].value) for s, p in zip(statuses, shared_people, strict=True)}
    with BackgroundServer(GreenhouseSandbox(greenhouse).app) as gh, BackgroundServer(fake.app) as tt:
        yield World(gh.url, tt.url, greenhouse, teamtailor, shared)


def connect_teamtailor(world: World, data_dir: Path, key: str = SANDBOX_API_KEY) -> Any:
    return run_cli(["connect", "teamtailor", "--api-key", key, "--base-url", f"{world.teamtailor_url}/v1"],
                   cli_env(data_dir))


def test_connect_sync_and_ask_finds_people_merged_with_greenhouse(world: World, tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    greenhouse = run_cli(["connect", "greenhouse", "--client-id", SANDBOX_CLIENT_ID, "--client-secret",
                          SANDBOX_CLIENT_SECRET, "--base-url", world.greenhouse_url, "--auth-url",
                          f"{world.greenhouse_url}/token"], env)
    assert greenhouse.returncode == 0, greenhouse.stderr
    connected = connect_teamtailor(world, tmp_path)
    assert connected.returncode == 0, connected.stderr
    assert "Connected Teamtailor" in connected.stdout
    assert SANDBOX_API_KEY not in connected.stdout + connected.stderr

    for provider, count in (("greenhouse", len(world.greenhouse.candidates)),
                            ("teamtailor", len(world.teamtailor.candidates))):
        synced = run_cli(["sync", provider], env)
        assert synced.returncode == 0, synced.stderr
        assert f"{count} new" in synced.stdout

    state = world.teamtailor
    for status, (name, email) in world.shared.items():
        asked = run_cli(["ask", "--json", f"who is {name}?"], env)
        assert asked.returncode == 0, asked.stderr
        answer = json.loads(asked.stdout)
        assert (answer["intent"], answer["status"]) == ("who_is", "match"), answer
        (person,) = answer["candidates"]
        remote = next(c for c in state.candidates.values() if c["email"] == email)
        sources = {source["provider"]: source for source in person["sources"]}
        assert set(sources) == {"greenhouse", "teamtailor"}
        assert sources["teamtailor"] == {
            "provider": "teamtailor", "remote_id": remote["id"],
            "url": f"https://app.teamtailor.com/companies/{state.company_id}/candidates/{remote['id']}"}
        (application,) = state.applications_of(remote["id"])
        stage = state.stages[application["stage_id"]]["name"]
        job = state.jobs[application["job_id"]]["title"]
        text = answer["text"]
        assert job in text and stage in text
        if status == HIRED:
            assert stage == "Hired" and "hired" in text.lower()
        if status == REJECTED:
            assert "rejected" in text.lower()
        assert "/signed/" not in text  # Teamtailor's signed file links expire in seconds: never shown


def test_a_bad_key_is_one_clear_line(world: World, tmp_path: Path) -> None:
    result = connect_teamtailor(world, tmp_path, key="not-a-real-teamtailor-key")
    assert result.returncode != 0
    assert "Teamtailor refused the API key" in result.stderr
    assert "not-a-real-teamtailor-key" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_public_key_is_refused_naming_the_permission_level(world: World, tmp_path: Path) -> None:
    result = connect_teamtailor(world, tmp_path, key=PUBLIC_KEY)
    assert result.returncode != 0
    assert "Admin" in result.stderr and "permission level" in result.stderr
    assert "Traceback" not in result.stderr and PUBLIC_KEY not in result.stdout + result.stderr


def test_webhooks_setup_says_support_must_switch_them_on(world: World, tmp_path: Path) -> None:
    assert connect_teamtailor(world, tmp_path).returncode == 0
    result = run_cli(["webhooks"], cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "/webhooks/teamtailor/1" in result.stdout
    assert "Teamtailor support" in result.stdout and "add-token 1" in result.stdout
