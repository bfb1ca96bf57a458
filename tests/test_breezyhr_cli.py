"""`hirebot connect breezyhr`, `sync` and `ask --json` as real processes against the BreezyHR fake and the
Greenhouse fake: one person in both is merged by email, with BreezyHR's remote id, pipeline link, stage,
job and hired status; a password given to connect is used once and never stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from adapters.sandbox.breezyhr import BreezySandbox
from adapters.sandbox.breezyhr_dataset import (
    COMPANY_FRIENDLY_ID,
    COMPANY_ID,
    SANDBOX_EMAIL,
    SANDBOX_PASSWORD,
    SANDBOX_TOKEN,
    generate,
)
from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate as greenhouse_generate
from adapters.sandbox.server import BackgroundServer
from store.crypto import SecretBox, load_or_create_key
from store.models import AtsConnection
from tests.cli_process import DEMO_CANDIDATES, cli_env, run_cli, run_demo


@dataclass
class Fakes:
    greenhouse_url: str
    breezy_url: str
    breezy: BreezySandbox
    shared: dict[str, str]  # the person in both: name, email, BreezyHR id, position id and name


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    greenhouse = GreenhouseSandbox(greenhouse_generate(seed=21, candidates=150))
    state = generate(seed=5, candidates=60, positions=3)
    taken = [f"{c['first_name']} {c['last_name']}" for c in greenhouse.state.candidates.values()]
    taken += [str(row["name"]) for row in state.candidates.values()]
    target = next(c for c in sorted(greenhouse.state.candidates.values(), key=lambda c: c["id"])
                  if c.get("email_addresses") and c["last_name"].isascii() and c["last_name"].isalpha()
                  and len(c["last_name"]) >= 5 and taken.count(f"{c['first_name']} {c['last_name']}") == 1)
    name, email = f"{target['first_name']} {target['last_name']}", target["email_addresses"][0]["value"]
    position_id = next(pid for pid, p in state.positions.items() if p["org_type"] == "position")
    record = state.add_candidate(name, position_id=position_id, email=email, stage_id="hired")
    breezy = BreezySandbox(state)
    shared = {"name": name, "email": email, "id": record["_id"], "position": position_id,
              "job": state.positions[position_id]["name"]}
    with BackgroundServer(greenhouse.app) as gh, BackgroundServer(breezy.app) as bz:
        yield Fakes(gh.url, f"{bz.url}/v3", breezy, shared)


def _stored_credentials(data_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    engine = create_engine(f"sqlite:///{data_dir / 'hirebot.sqlite3'}")
    with Session(engine) as session:
        row = session.scalars(select(AtsConnection).where(AtsConnection.provider == "breezyhr")).one()
        credentials, settings = SecretBox(load_or_create_key(data_dir, None)).open(row.credentials), dict(row.settings)
    engine.dispose()
    return credentials, settings


def test_connect_sync_and_ask_finds_the_person_merged_with_greenhouse(fakes: Fakes, tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    greenhouse = run_cli(["connect", "greenhouse", "--client-id", SANDBOX_CLIENT_ID, "--client-secret",
                          SANDBOX_CLIENT_SECRET, "--base-url", fakes.greenhouse_url, "--auth-url",
                          f"{fakes.greenhouse_url}/token"], env)
    assert greenhouse.returncode == 0, greenhouse.stderr
    connected = run_cli(["connect", "breezyhr", "--token", SANDBOX_TOKEN, "--base-url", fakes.breezy_url], env)
    assert connected.returncode == 0, connected.stderr
    assert SANDBOX_TOKEN not in connected.stdout + connected.stderr
    for provider in ("greenhouse", "breezyhr"):
        synced = run_cli(["sync", provider], env)
        assert synced.returncode == 0, synced.stderr

    asked = run_cli(["ask", "--json", f"who is {fakes.shared['name']}?"], env)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["status"] == "match", answer
    (person,) = answer["candidates"]
    assert fakes.shared["email"] in person["emails"]
    by_provider = {source["provider"]: source for source in person["sources"]}
    assert set(by_provider) == {"greenhouse", "breezyhr"}
    assert by_provider["breezyhr"] == {
        "provider": "breezyhr", "remote_id": fakes.shared["id"],
        "url": f"https://app.breezy.hr/app/c/{COMPANY_FRIENDLY_ID}/p/{fakes.shared['position']}/pipeline"}
    text = answer["text"]
    assert fakes.shared["job"] in text and "Hired" in text and "BreezyHR" in text


def test_a_password_signs_in_once_and_is_never_stored(fakes: Fakes, tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    connected = run_cli(["connect", "breezyhr", "--email", SANDBOX_EMAIL, "--password", SANDBOX_PASSWORD,
                         "--base-url", fakes.breezy_url], env)
    assert connected.returncode == 0, connected.stderr
    assert SANDBOX_PASSWORD not in connected.stdout + connected.stderr
    credentials, settings = _stored_credentials(tmp_path)
    assert set(credentials) == {"token"} and credentials["token"] in fakes.breezy.tokens
    assert SANDBOX_PASSWORD not in json.dumps([credentials, settings])
    assert settings["company"] == COMPANY_ID and settings["company_friendly_id"] == COMPANY_FRIENDLY_ID
    assert SANDBOX_PASSWORD.encode() not in (tmp_path / "hirebot.sqlite3").read_bytes()
    signins = [r for r in fakes.breezy.requests if r.path == "/v3/signin"]
    assert signins and signins[-1].json == {"email": SANDBOX_EMAIL, "password": SANDBOX_PASSWORD}
    synced = run_cli(["sync", "breezyhr"], env)  # later runs use the stored token: no second sign-in
    assert synced.returncode == 0, synced.stderr
    assert len([r for r in fakes.breezy.requests if r.path == "/v3/signin"]) == len(signins)


@pytest.mark.parametrize(("args", "says"), [
    (["--base-url", "http://127.0.0.1:9/v3"], "BreezyHR needs: Personal access token, or Email and Password."),
    (["--email", SANDBOX_EMAIL, "--base-url", "http://127.0.0.1:9/v3"], "or Email and Password"),
    (["--token", "t", "--email", "e@x.test", "--password", "p", "--base-url", "http://127.0.0.1:9/v3"],
     "not more than one"),
])
def test_connect_needs_a_token_or_an_email_and_password(args: list[str], says: str, tmp_path: Path) -> None:
    result = run_cli(["connect", "breezyhr", *args], cli_env(tmp_path))
    assert result.returncode != 0 and says in result.stderr
    assert "Traceback" not in result.stderr


def test_a_wrong_password_and_a_wrong_token_are_one_clear_line(fakes: Fakes, tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    wrong = run_cli(["connect", "breezyhr", "--email", SANDBOX_EMAIL, "--password", "nope-nope",
                     "--base-url", fakes.breezy_url], env)
    assert wrong.returncode != 0 and "BreezyHR refused the sign-in" in wrong.stderr
    assert "nope-nope" not in wrong.stderr and "Traceback" not in wrong.stderr
    bad = run_cli(["connect", "breezyhr", "--token", "breezy_pat_wrong_0001", "--base-url", fakes.breezy_url], env)
    assert bad.returncode != 0 and "BreezyHR refused the token" in bad.stderr
    assert "breezy_pat_wrong_0001" not in bad.stderr and "Traceback" not in bad.stderr


def test_the_demo_shows_a_person_in_greenhouse_and_breezyhr_as_one(tmp_path: Path) -> None:
    from bot.demo import shared_people

    shared = shared_people(("greenhouse", "breezyhr"), DEMO_CANDIDATES, 7)
    assert shared and all(person.emails for person in shared)
    first = run_demo(tmp_path, f"who is {shared[0].name}\nexit\n", "--ats", "greenhouse,breezyhr")
    assert first.returncode == 0, first.stdout
    answer = first.stdout.split(f"you> who is {shared[0].name}", 1)[1]
    assert "Open in Greenhouse:" in answer and "Open in BreezyHR:" in answer, answer
    again = run_demo(tmp_path, "exit\n", "--ats", "breezyhr,greenhouse")
    assert again.returncode == 0, again.stdout
    assert all("(0 new, 0 updated" in line for line in again.stdout.splitlines() if line.startswith("Synced"))
