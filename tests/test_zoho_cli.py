"""Zoho Recruit end to end through the `hirebot` command, as a real process against the Zoho and Greenhouse
fakes over loopback: connect (with --base-url and --accounts-url), sync, ask --json finds one person merged
across both by email with the Zoho source, record id and deep link, and stage, job and hired in the text;
refused credentials and a wrong data center give one clear line; `hirebot webhooks` prints a URL with the
secret in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.sandbox import greenhouse as greenhouse_fake
from adapters.sandbox import zoho as zoho_fake
from adapters.sandbox.greenhouse_dataset import generate as greenhouse_dataset
from adapters.sandbox.greenhouse_state import GreenhouseState
from adapters.sandbox.server import BackgroundServer
from adapters.sandbox.zoho_dataset import ORG_ID, ZohoState
from adapters.sandbox.zoho_dataset import generate as zoho_dataset

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIREBOT_", "SLACK_"))}
    env.update(HIREBOT_DATA_DIR=str(data_dir), COLUMNS="200", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=120,
                          cwd=ROOT)


@pytest.fixture(scope="module")
def greenhouse_state() -> GreenhouseState:
    return greenhouse_dataset(seed=11, candidates=120)


def zoho_roster() -> ZohoState:
    return zoho_dataset(seed=3, candidates=260, now=NOW)


def shared_candidate(state: GreenhouseState) -> dict:
    """A Greenhouse candidate with a plain name no one else has in either roster, to plant in Zoho too."""
    names = [f"{c['first_name']} {c['last_name']}" for c in state.candidates.values()]
    names += [f"{r['First_Name']} {r['Last_Name']}" for r in zoho_roster().candidates.values()]
    for candidate in sorted(state.candidates.values(), key=lambda c: c["id"]):
        name = f"{candidate['first_name']} {candidate['last_name']}"
        if names.count(name) == 1 and candidate["last_name"].isascii() and candidate["last_name"].isalpha() \
                and len(candidate["last_name"]) >= 5 and candidate.get("email_addresses"):
            return candidate
    raise AssertionError("no candidate to share")


@pytest.fixture(scope="module")
def zoho_state(greenhouse_state: GreenhouseState) -> ZohoState:
    state = zoho_roster()
    target = shared_candidate(greenhouse_state)
    row = state.add_candidate(target["first_name"], target["last_name"],
                              email=target["email_addresses"][0]["value"], now=NOW)
    job_id = next(jid for jid, job in state.jobs.items() if job["Posting_Title"] == "Data Analyst")
    state.associate(row["id"], job_id, "Hired", NOW)
    return state


@pytest.fixture(scope="module")
def urls(greenhouse_state: GreenhouseState, zoho_state: ZohoState) -> Iterator[tuple[str, str]]:
    with BackgroundServer(greenhouse_fake.GreenhouseSandbox(greenhouse_state).app) as greenhouse, \
            BackgroundServer(zoho_fake.ZohoSandbox(zoho_state).app) as zoho:
        yield greenhouse.url, zoho.url


def connect_zoho(url: str, data_dir: Path, *, secret: str = zoho_fake.SANDBOX_CLIENT_SECRET,
                 extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return run(["connect", "zoho", "--client-id", zoho_fake.SANDBOX_CLIENT_ID, "--client-secret", secret,
                "--refresh-token", zoho_fake.SANDBOX_REFRESH_TOKEN, "--base-url", f"{url}/recruit/v2",
                "--accounts-url", url, *extra], data_dir)


def test_connect_sync_ask_finds_one_person_merged_with_greenhouse(urls: tuple[str, str], zoho_state: ZohoState,
                                                                  greenhouse_state: GreenhouseState,
                                                                  tmp_path: Path) -> None:
    greenhouse_url, zoho_url = urls
    connected = run(["connect", "greenhouse", "--client-id", greenhouse_fake.SANDBOX_CLIENT_ID, "--client-secret",
                     greenhouse_fake.SANDBOX_CLIENT_SECRET, "--base-url", greenhouse_url, "--auth-url",
                     f"{greenhouse_url}/token"], tmp_path)
    assert connected.returncode == 0, connected.stderr
    connected = connect_zoho(zoho_url, tmp_path, extra=("--data-center", "eu"))
    assert connected.returncode == 0, connected.stderr
    output = connected.stdout + connected.stderr
    assert zoho_fake.SANDBOX_CLIENT_SECRET not in output and zoho_fake.SANDBOX_REFRESH_TOKEN not in output

    for provider in ("greenhouse", "zoho"):
        synced = run(["sync", provider], tmp_path)
        assert synced.returncode == 0, synced.stderr
    assert f"{len(zoho_state.candidates)} new" in synced.stdout  # (the planted person included)

    target = shared_candidate(greenhouse_state)
    zoho_id = next(row["id"] for row in zoho_state.candidates.values()
                   if row["Email"] == target["email_addresses"][0]["value"])
    asked = run(["ask", "--json", f"who is {target['first_name']} {target['last_name']}?"], tmp_path)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["status"] == "match", json.dumps(answer)[:3000]
    (person,) = answer["candidates"]
    sources = {source["provider"]: source for source in person["sources"]}
    assert set(sources) == {"greenhouse", "zoho"}
    # --data-center eu: the deep link goes to the EU Recruit host, with the org id read at connect.
    assert sources["zoho"] == {"provider": "zoho", "remote_id": zoho_id,
                               "url": f"https://recruit.zoho.eu/recruit/org{ORG_ID}/EntityInfo.do?module=Candidates"
                                      f"&id={zoho_id}"}
    text = answer["text"]
    assert "Data Analyst" in text and "Hired" in text and "hired" in text.lower()


def test_refused_secret_is_one_clear_line(urls: tuple[str, str], tmp_path: Path) -> None:
    result = connect_zoho(urls[1], tmp_path, secret="wrong-zoho-secret-123")
    assert result.returncode != 0
    assert "invalid_client" in result.stderr and "--data-center" in result.stderr
    assert "wrong-zoho-secret-123" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_webhooks_prints_a_url_carrying_the_secret(urls: tuple[str, str], tmp_path: Path) -> None:
    assert connect_zoho(urls[1], tmp_path).returncode == 0
    result = run(["webhooks"], tmp_path)
    assert result.returncode == 0, result.stderr
    url_line = next(line for line in result.stdout.splitlines() if "/webhooks/zoho/1" in line)
    assert "?key=" in url_line and len(url_line.split("?key=")[1].strip()) >= 40
    assert "Append Entity Parameters" in result.stdout
    assert zoho_fake.SANDBOX_CLIENT_SECRET not in result.stdout


def test_a_wrong_data_center_is_one_clear_line_and_nothing_is_stored(urls: tuple[str, str], tmp_path: Path) -> None:
    # The token answer says the account is in the US; the connection points at the EU Recruit host.
    result = run(["connect", "zoho", "--client-id", zoho_fake.SANDBOX_CLIENT_ID, "--client-secret",
                  zoho_fake.SANDBOX_CLIENT_SECRET, "--refresh-token", zoho_fake.SANDBOX_REFRESH_TOKEN,
                  "--data-center", "eu", "--accounts-url", urls[1]], tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "--data-center us" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "No ATS connected" in run(["connections"], tmp_path).stdout + run(["connections"], tmp_path).stderr


def test_the_org_id_is_kept_with_the_connection(urls: tuple[str, str], tmp_path: Path) -> None:
    from store.db import make_engine, session_factory
    from store.models import AtsConnection

    assert connect_zoho(urls[1], tmp_path).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'hirebot.sqlite3'}")
    with session_factory(engine)() as session:
        (row,) = session.query(AtsConnection).all()
        assert row.settings["org_id"] == ORG_ID and row.settings["data_center"] == "us"
        assert "refresh_token" not in row.settings and "client_secret" not in row.settings
    engine.dispose()


def test_the_demo_shows_people_in_greenhouse_and_zoho_as_one_person(tmp_path: Path) -> None:
    from bot.demo import shared_people

    shared = shared_people(("greenhouse", "zoho"), 40, 7)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIREBOT_", "SLACK_"))}
    env.update(HIREBOT_DATA_DIR=str(tmp_path), COLUMNS="200", NO_COLOR="1")
    reader, writer = os.pipe()
    os.write(writer, f"who is {shared[0].name}\nexit\n".encode())
    try:
        result = subprocess.run([sys.executable, "-m", "bot", "demo", "--candidates", "40", "--ats", "greenhouse,zoho"],
                                cwd=ROOT, env=env, stdin=reader, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=120, check=False)
    finally:
        os.close(reader)
        os.close(writer)
    assert result.returncode == 0, result.stdout
    assert "each is in Greenhouse and Zoho Recruit" in result.stdout
    answer = result.stdout.split(f"you> who is {shared[0].name}", 1)[1]
    assert "Open in Greenhouse:" in answer and "Open in Zoho Recruit:" in answer, answer
    assert "recruit.zoho.com/recruit/org" in answer
