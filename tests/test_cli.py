"""The `hirebot` command line, run as a real process against the sandbox Greenhouse over loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.greenhouse_state import GreenhouseState
from adapters.sandbox.server import BackgroundServer

HIREBOT = [sys.executable, "-m", "bot"]


@pytest.fixture(scope="module")
def state() -> GreenhouseState:
    return generate(seed=11, candidates=120)


@pytest.fixture(scope="module")
def sandbox_url(state: GreenhouseState) -> Iterator[str]:
    with BackgroundServer(GreenhouseSandbox(state).app) as server:
        yield server.url


def run(args: list[str], data_dir: Path, *, stdin: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIREBOT_", "SLACK_"))}
    env.update(HIREBOT_DATA_DIR=str(data_dir), COLUMNS="200", NO_COLOR="1")
    return subprocess.run(HIREBOT + args, input=stdin, capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=Path(__file__).resolve().parents[1])


def connect(url: str, data_dir: Path, secret: str = SANDBOX_CLIENT_SECRET) -> subprocess.CompletedProcess[str]:
    return run(["connect", "greenhouse", "--client-id", SANDBOX_CLIENT_ID, "--client-secret", secret,
                "--base-url", url, "--auth-url", f"{url}/token"], data_dir)


def full_name(candidate: dict) -> str:
    return f"{candidate['first_name']} {candidate['last_name']}"


def unique_candidate(state: GreenhouseState) -> dict:
    names = [full_name(c) for c in state.candidates.values()]
    for candidate in sorted(state.candidates.values(), key=lambda c: c["id"]):
        if names.count(full_name(candidate)) == 1 and len(candidate["last_name"]) >= 5 \
                and candidate["last_name"].isascii() and candidate["last_name"].isalpha():
            return candidate
    raise AssertionError("sandbox has no unique plain-ASCII name")


def test_connect_sync_ask_json(sandbox_url: str, state: GreenhouseState, tmp_path: Path) -> None:
    connected = connect(sandbox_url, tmp_path)
    assert connected.returncode == 0, connected.stderr
    assert "connection id 1" in connected.stdout
    assert SANDBOX_CLIENT_SECRET not in connected.stdout + connected.stderr

    synced = run(["sync", "greenhouse"], tmp_path)
    assert synced.returncode == 0, synced.stderr
    assert f"{len(state.candidates)} new" in synced.stdout

    target = unique_candidate(state)
    asked = run(["ask", "--json", f"who is {full_name(target)}?"], tmp_path)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert set(answer) == {"intent", "status", "candidates", "text"}
    assert answer["intent"] == "who_is" and answer["status"] == "match"
    (person,) = answer["candidates"]
    assert set(person) == {"id", "name", "emails", "sources"}
    assert person["name"].startswith(full_name(target))
    assert person["sources"] == [{"provider": "greenhouse", "remote_id": str(target["id"]),
                                  "url": f"https://app.greenhouse.io/people/{target['id']}"}]

    batch = run(["ask", "--json"], tmp_path, stdin="hello\n\nwho is Zzyzx Qwertyuiop\nhelp\n")
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [(x["intent"], x["status"]) for x in lines] == [("greeting", None), ("who_is", "none"), ("help", None)]

    again = run(["sync", "--connection", "1"], tmp_path)
    assert again.returncode == 0 and "0 new" in again.stdout

    listed = run(["jobs", "greenhouse", "--json"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    jobs = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {j["name"] for j in jobs} == {j["name"] for j in state.jobs.values() if j["status"] == "open"}
    assert all(set(j) == {"connection_id", "provider", "id", "name", "active_candidates"} for j in jobs)


def test_bad_credentials_are_a_clear_one_line_error(sandbox_url: str, tmp_path: Path) -> None:
    result = connect(sandbox_url, tmp_path, secret="wrong-secret-value")
    assert result.returncode != 0
    assert "client id" in result.stderr.lower() and "secret" in result.stderr.lower()
    assert "wrong-secret-value" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert run(["connections"], tmp_path).stdout.startswith("No ATS connected")


def test_sync_failure_exits_non_zero_with_a_reason(state: GreenhouseState, tmp_path: Path) -> None:
    with BackgroundServer(GreenhouseSandbox(state).app) as server:
        assert connect(server.url, tmp_path).returncode == 0
    result = run(["sync"], tmp_path)
    assert result.returncode == 1
    assert "failed" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [
    ["ask"], ["connect", "greenhouse"], ["frobnicate"], ["sync", "--connection", "abc"],
    ["connect", "greenhouse", "--client-id", "x", "--client-secret", "y", "--scope", "everyone"],
    ["sync", "--connection", "99"], ["outbox", "retry", "99"], ["outbox", "drop", "abc"], ["meeting", "cancel", "7"],
    ["share-cards", "maybe"],
])
def test_bad_usage_is_one_line_and_non_zero(args: list[str], tmp_path: Path) -> None:
    result = run(args, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_db_upgrade(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0 and (tmp_path / "hirebot.sqlite3").exists()


def test_share_cards_setting(tmp_path: Path) -> None:
    from bot.directory import Directory
    from store.db import make_engine, session_factory

    assert run(["share-cards", "on"], tmp_path).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'hirebot.sqlite3'}")
    directory = Directory(session_factory(engine))
    assert directory.workspace_setting(directory.default_workspace().id, "share_cards_in_channels") is True
    engine.dispose()


def test_demo_answers_piped_questions(tmp_path: Path) -> None:
    state = generate(seed=7, candidates=150)
    target = unique_candidate(state)
    last = target["last_name"]
    typo = last[:2] + last[3] + last[2] + last[4:]  # swap two letters
    result = run(["demo", "--candidates", "150"], tmp_path, stdin=f"who is {target['first_name']} {typo}\n")
    assert result.returncode == 0, result.stderr
    assert "Synced 150 candidates" in result.stdout
    assert full_name(target) in result.stdout
    assert "Open in Greenhouse" in result.stdout


def test_webhooks_prints_the_url_and_secret_to_paste(sandbox_url: str, tmp_path: Path) -> None:
    assert connect(sandbox_url, tmp_path).returncode == 0
    result = run(["webhooks"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "/webhooks/greenhouse/1" in result.stdout
    assert SANDBOX_CLIENT_SECRET not in result.stdout
    lever = run(["webhooks", "add-token", "1", "tok"], tmp_path)
    assert lever.returncode != 0 and "Traceback" not in lever.stderr


def test_schedule_meetings_and_cancel_from_the_command_line(sandbox_url: str, state: GreenhouseState,
                                                            tmp_path: Path) -> None:
    assert connect(sandbox_url, tmp_path).returncode == 0
    assert run(["sync"], tmp_path).returncode == 0
    target = unique_candidate(state)
    scheduled = run(["schedule", full_name(target), "--duration", "45", "--window", "2030-03-04..2030-03-08",
                     "--location", "https://meet.example/abc", "--json"], tmp_path)
    assert scheduled.returncode == 0, scheduled.stderr
    meeting = json.loads(scheduled.stdout)
    assert set(meeting) == {"meeting_id", "state", "candidate", "booking_url", "slots"}
    assert meeting["state"] == "requested" and "/book/" in meeting["booking_url"]
    assert meeting["candidate"]["name"] == full_name(target)
    assert meeting["slots"] and all(s.startswith("2030-03-0") for s in meeting["slots"])
    assert list((tmp_path / "outbox-mail").glob("*.eml")), "the request email was not written"

    listed = [json.loads(line) for line in run(["meetings", "--json"], tmp_path).stdout.splitlines()]
    assert [m["meeting_id"] for m in listed] == [meeting["meeting_id"]]
    assert [e["kind"] for e in listed[0]["events"]] == ["request_sent"]

    cancelled = run(["meeting", "cancel", str(meeting["meeting_id"])], tmp_path)
    assert cancelled.returncode == 0, cancelled.stderr
    again = json.loads(run(["meetings", "--json"], tmp_path).stdout.splitlines()[0])
    assert again["state"] == "cancelled" and again["events"][-1]["kind"] == "cancelled"
    twice = run(["meeting", "cancel", str(meeting["meeting_id"])], tmp_path)
    assert twice.returncode == 1 and "Traceback" not in twice.stderr

    ambiguous = run(["schedule", "Zzyzx Qwertyuiop"], tmp_path)
    assert ambiguous.returncode == 1 and "No candidate matches" in ambiguous.stderr


def test_schedule_someone_in_no_ats_names_where_they_will_be_added(sandbox_url: str, state: GreenhouseState,
                                                                   tmp_path: Path) -> None:
    assert connect(sandbox_url, tmp_path).returncode == 0
    assert run(["sync"], tmp_path).returncode == 0
    job = next(j for j in state.jobs.values() if j["status"] == "open")
    cv = tmp_path / "ana-cv.pdf"
    cv.write_bytes(b"%PDF-1.4 Ana's CV")
    scheduled = run(["schedule", "ana.new@example.com", "--window", "2030-03-04..2030-03-08", "--ats", "greenhouse",
                     "--job", job["name"], "--cv", str(cv), "--linkedin", "https://www.linkedin.com/in/ana-new"],
                    tmp_path)
    assert scheduled.returncode == 0, scheduled.stderr
    assert f"added to Greenhouse \u00b7 {job['name']}" in scheduled.stdout

    for bad, said in ((["--job", "No Such Job Title"], "No open job matches"),
                      (["--ats", "workday"], "No connection 'workday'"),
                      (["--linkedin", "https://example.com/ana"], "LinkedIn profile URL")):
        refused = run(["schedule", "ana.other@example.com", *bad], tmp_path)
        assert refused.returncode == 1 and said in refused.stderr and "Traceback" not in refused.stderr


def test_scheduling_settings(tmp_path: Path) -> None:
    feed = "https://calendar.example/private-token-123/basic.ics"
    result = run(["settings", "--timezone", "Europe/Berlin", "--hours", "Mon-Thu 08:00-16:00, Fri 08:00-12:00",
                  "--calendar-feed", feed, "--duration", "45"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Europe/Berlin" in result.stdout and "Fri 08:00-12:00" in result.stdout and "45 min" in result.stdout
    assert "private-token-123" not in result.stdout + result.stderr  # the feed URL is a secret
    shown = run(["settings"], tmp_path)
    assert "calendar feed: set" in shown.stdout
    for bad in (["settings", "--timezone", "Mars/Olympus"], ["settings", "--hours", "someday"]):
        refused = run(bad, tmp_path)
        assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
