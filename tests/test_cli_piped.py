"""What `hirebot` prints into a pipe is read by programs and copied by people: booking links,
`hirebot connections` and `hirebot outbox list` come out whole, never wrapped at the terminal width or cut."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.server import BackgroundServer
from store.db import make_engine, session_factory, transaction
from store.meeting_models import Meeting, MeetingEvent
from store.models import utcnow
from store.outbox_models import OutboxItem
from tests.cli_process import cli_env, run_cli

LONG_NAME = "Greenhouse for the recruiting team of the northern european subsidiaries, second account " * 2
LONG_ERROR = ("The ATS refused the note because the application it belongs to was moved to another job "
              "while the meeting was being booked; https://ats.example/applications/123456789/notes?x=" + "y" * 80)


def _env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path, COLUMNS="80")  # a terminal's usual width; a pipe must not be held to it


def test_the_booking_link_is_one_whole_line(tmp_path: Path) -> None:
    env = _env(tmp_path)
    scheduled = run_cli(["schedule", "dana.with-a-rather-long-address@example.com"], env)
    assert scheduled.returncode == 0, scheduled.stderr
    printed = re.findall(r"^Booking link: (\S+)$", scheduled.stdout, re.MULTILINE)
    meeting = json.loads(run_cli(["meetings", "--json"], env).stdout.splitlines()[0])
    # Each view signs a fresh link; the printed one must be as whole as the JSON one.
    assert len(printed) == 1 and len(printed[0]) == len(meeting["booking_url"]) > 80
    assert re.fullmatch(r"http://localhost:3000/book/[A-Za-z0-9_-]+", printed[0])


def test_connections_print_whole_values_as_columns_or_json(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with BackgroundServer(GreenhouseSandbox(generate(seed=4, candidates=3)).app) as greenhouse:
        connected = run_cli(["connect", "greenhouse", "--client-id", SANDBOX_CLIENT_ID, "--client-secret",
                             SANDBOX_CLIENT_SECRET, "--base-url", greenhouse.url, "--auth-url",
                             f"{greenhouse.url}/token", "--name", LONG_NAME.strip()], env)
    assert connected.returncode == 0, connected.stderr
    lines = run_cli(["connections"], env).stdout.splitlines()
    assert lines[0].split("\t") == ["id", "provider", "name", "scope", "candidates", "last sync", "last error"]
    assert lines[1].split("\t") == ["1", "Greenhouse", LONG_NAME.strip(), "org", "0", "never", ""]
    listed = [json.loads(line) for line in run_cli(["connections", "--json"], env).stdout.splitlines()]
    assert [(c["id"], c["provider"], c["name"], c["scope"]) for c in listed] == \
        [(1, "greenhouse", LONG_NAME.strip(), "org")]


def test_outbox_list_prints_whole_errors(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert run_cli(["schedule", "dana@example.com"], env).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'hirebot.sqlite3'}")
    try:
        with transaction(session_factory(engine)) as session:
            meeting = session.scalars(select(Meeting)).one()
            event = session.scalars(select(MeetingEvent)).first()
            assert event is not None
            session.add(OutboxItem(workspace_id=meeting.workspace_id, meeting_id=meeting.id, event_id=event.id,
                                   event_kind=event.kind, order_key="k", provider="greenhouse", action="note",
                                   state="parked", due_at=utcnow(), attempts=5, last_error=LONG_ERROR))
    finally:
        engine.dispose()
    lines = run_cli(["outbox", "list"], env).stdout.splitlines()
    assert lines[0].startswith("id\tmeeting\tcandidate\t") and len(lines) == 2
    assert lines[1].split("\t")[-3:] == ["parked", "5", LONG_ERROR]
    (row,) = [json.loads(line) for line in run_cli(["outbox", "list", "--json"], env).stdout.splitlines()]
    assert row["error"] == LONG_ERROR
