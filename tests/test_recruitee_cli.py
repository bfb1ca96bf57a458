"""Acceptance for Recruitee, as a newcomer runs it: `hirebot connect recruitee ... --base-url`, `hirebot sync
recruitee`, then `hirebot ask --json` finds people with Recruitee's provider name, candidate id and
`adminapp_url`, merged with their Greenhouse record by email, with stage, job and hired/rejected said in the
reply's text. The CLI runs as a real process against both fakes over loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate as greenhouse_dataset
from adapters.sandbox.recruitee import RecruiteeSandbox
from adapters.sandbox.recruitee_dataset import generate as recruitee_dataset
from adapters.sandbox.server import BackgroundServer
from bot.demo import shared_people
from tests.cli_process import ROOT, cli_env, run_cli

CANDIDATES = 30
EMAIL = "quenby.zwicky@example.com"


def _ask(text: str, env: dict[str, str]) -> dict[str, Any]:
    result = run_cli(["ask", "--json", text], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _connections(env: dict[str, str]) -> list[dict[str, Any]]:
    result = run_cli(["connections", "--json"], env)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _recruitee_world() -> tuple[RecruiteeSandbox, int, int]:
    """A company where Quenby was hired as Senior Marketer and Ottoline was disqualified as a Data Analyst."""
    state = recruitee_dataset(seed=3, candidates=120)
    offers = {offer["title"]: offer["id"] for offer in state.offers.values()}
    quenby = state.add_candidate("Quenby Zwicky-Oyelaran", emails=[EMAIL],
                                 social_links=["https://www.linkedin.com/in/quenby"],
                                 offer_ids=[offers["Senior Marketer"]])
    state.hire(quenby["id"], quenby["placements"][0]["id"])
    ottoline = state.add_candidate("Ottoline Vavasour-Ng", emails=["ottoline@example.org"],
                                   offer_ids=[offers["Data Analyst"]])
    interview = next(s["id"] for s in state.pipeline(offers["Data Analyst"]) if s["name"] == "Interview")
    state.move(ottoline["id"], ottoline["placements"][0]["id"], interview)
    state.disqualify(ottoline["id"], ottoline["placements"][0]["id"], "Wrong skill set")
    return RecruiteeSandbox(state), quenby["id"], ottoline["id"]


def test_connect_sync_and_ask_find_recruitee_people_merged_with_greenhouse(tmp_path: Path) -> None:
    recruitee, quenby_id, ottoline_id = _recruitee_world()
    greenhouse = GreenhouseSandbox(greenhouse_dataset(seed=9, candidates=40))
    greenhouse.state.add_candidate("Quenby", "Zwicky-Oyelaran", email=EMAIL)
    env = cli_env(tmp_path)
    with BackgroundServer(greenhouse.app) as gh, BackgroundServer(recruitee.app) as rt:
        connected = run_cli(["connect", "greenhouse", "--client-id", SANDBOX_CLIENT_ID, "--client-secret",
                             SANDBOX_CLIENT_SECRET, "--base-url", gh.url, "--auth-url", f"{gh.url}/token"], env)
        assert connected.returncode == 0, connected.stderr
        base_url = f"{rt.url}/c/{recruitee.state.company_id}"
        connected = run_cli(["connect", "recruitee", "--company-id", str(recruitee.state.company_id),
                             "--token", recruitee.token, "--base-url", base_url], env)
        assert connected.returncode == 0, connected.stderr + connected.stdout
        assert recruitee.token not in connected.stdout + connected.stderr  # secrets are never echoed
        for provider in ("greenhouse", "recruitee"):
            synced = run_cli(["sync", provider], env)
            assert synced.returncode == 0, synced.stderr + synced.stdout
        listed = _connections(env)

        hired = _ask("who is Quenby Zwicky-Oyelaran", env)
        rejected = _ask("who is Ottoline Vavasour-Ng", env)

    by_provider = {row["provider"]: row for row in listed}
    assert by_provider["recruitee"]["candidates"] == 122 and by_provider["recruitee"].get("last_error") in (None, "")
    assert hired["status"] == "match" and len(hired["candidates"]) == 1
    sources = {source["provider"]: source for source in hired["candidates"][0]["sources"]}
    assert set(sources) == {"greenhouse", "recruitee"}  # one person across both ATSs, by email
    assert sources["recruitee"]["remote_id"] == str(quenby_id)
    assert sources["recruitee"]["url"] == ("https://app.recruitee.com/#/dashboard/overview?"
                                           f"candidate={quenby_id}&company={recruitee.state.company_id}")
    text = hired["text"]
    assert "Senior Marketer" in text and "Hired" in text and "hired" in text.lower()

    assert rejected["status"] == "match"
    source = rejected["candidates"][0]["sources"][0]
    assert (source["provider"], source["remote_id"]) == ("recruitee", str(ottoline_id))
    assert "Data Analyst" in rejected["text"] and "Interview" in rejected["text"]
    assert "rejected" in rejected["text"].lower()


def test_connect_names_a_bad_token_and_a_bad_company_id_apart(tmp_path: Path) -> None:
    recruitee = RecruiteeSandbox(recruitee_dataset(seed=3, candidates=5))
    env = cli_env(tmp_path)
    with BackgroundServer(recruitee.app) as rt:
        company = str(recruitee.state.company_id)
        bad_token = run_cli(["connect", "recruitee", "--company-id", company, "--token", "not-a-real-token",
                             "--base-url", f"{rt.url}/c/{company}"], env)
        bad_company = run_cli(["connect", "recruitee", "--company-id", "acme", "--token", recruitee.token,
                               "--base-url", f"{rt.url}/c/acme"], env)
        other_company = run_cli(["connect", "recruitee", "--company-id", "12345", "--token", recruitee.token,
                                 "--base-url", f"{rt.url}/c/12345"], env)
        listed = _connections(env)

    assert bad_token.returncode != 0 and "refused the API token" in bad_token.stdout + bad_token.stderr
    assert "not-a-real-token" not in bad_token.stdout + bad_token.stderr
    said = bad_company.stdout + bad_company.stderr
    assert bad_company.returncode != 0 and "does not know the company id acme" in said
    said = other_company.stdout + other_company.stderr
    assert other_company.returncode != 0 and "not for company 12345" in said
    assert "Traceback" not in bad_token.stderr + bad_company.stderr + other_company.stderr
    assert listed == []  # nothing stored


def demo(data_dir: Path, stdin: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """One piped `hirebot demo` run; stdin stays open after the lines, so only `exit` ends it in time."""
    env = {**cli_env(data_dir), "COLUMNS": "200"}
    reader, writer = os.pipe()
    os.write(writer, stdin.encode())
    try:
        return subprocess.run([sys.executable, "-m", "bot", "demo", "--candidates", str(CANDIDATES), *extra],
                              cwd=ROOT, env=env, stdin=reader, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=120, check=False)
    finally:
        os.close(reader)
        os.close(writer)


def test_a_demo_of_greenhouse_and_recruitee_shows_shared_people_as_one_person(tmp_path: Path) -> None:
    shared = shared_people(("greenhouse", "recruitee"), CANDIDATES, 7)
    first = demo(tmp_path, f"who is {shared[0].name}\nexit\n", "--ats", "greenhouse,recruitee")
    assert first.returncode == 0, first.stdout
    assert "each is in Greenhouse and Recruitee" in first.stdout
    answer = first.stdout.split(f"you> who is {shared[0].name}", 1)[1]
    assert "Open in Greenhouse:" in answer and "Open in Recruitee:" in answer, answer

    again = demo(tmp_path, "exit\n", "--ats", "recruitee,greenhouse")
    assert again.returncode == 0, again.stdout
    assert all("(0 new, 0 updated" in line for line in again.stdout.splitlines() if line.startswith("Synced"))
