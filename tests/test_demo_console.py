"""`hirebot demo` as a person at a terminal sees it: a clean chat (no log lines in it), `exit` ends even a
piped session, and a second run says the candidates are unchanged rather than updated."""

from __future__ import annotations

import logging
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from adapters.registry import PROVIDER_NAMES
from adapters.sandbox.registry import FAKES
from bot.console.chat import ConsoleChat
from bot.console.logs import logs_to_file
from bot.console.render import print_reply
from bot.core import Assistant
from bot.demo import shared_people
from bot.directory import Directory
from bot.replies import Card, Field, Link, Reply
from store.db import session_factory
from tests import factories
from tests.cli_process import DEMO_CANDIDATES, run_demo

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = DEMO_CANDIDATES


def demo(data_dir: Path, stdin: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_demo(data_dir, stdin, *extra, candidates=CANDIDATES)


def test_a_demo_of_two_atss_shows_people_who_are_in_both_as_one_person(tmp_path: Path) -> None:
    shared = shared_people(("greenhouse", "lever"), CANDIDATES, 7)
    assert shared and all(person.emails for person in shared)
    first = demo(tmp_path, f"who is {shared[0].name}\nexit\n", "--ats", "greenhouse,lever")
    assert first.returncode == 0, first.stdout
    assert "each is in Greenhouse and Lever" in first.stdout
    answer = first.stdout.split(f"you> who is {shared[0].name}", 1)[1]
    assert f"Here's {shared[0].name}" in answer
    assert "Open in Greenhouse:" in answer and "Open in Lever:" in answer, answer

    again = demo(tmp_path, "exit\n", "--ats", "lever,greenhouse")
    assert again.returncode == 0, again.stdout
    assert again.stdout.count(" new, 0 updated, ") == 2 and "(0 new, 0 updated, 0 unchanged)" not in again.stdout
    assert all("(0 new, 0 updated" in line for line in again.stdout.splitlines() if line.startswith("Synced"))


def test_a_demo_of_an_ats_without_a_sandbox_says_which_ones_have_one(tmp_path: Path) -> None:
    result = demo(tmp_path, "exit\n", "--ats", "greenhouse,taleo")
    assert result.returncode == 1
    sandboxes = ", ".join(name for name in PROVIDER_NAMES if name in FAKES)
    assert result.stdout.strip() == f"error: --ats names taleo; the demo has sandboxes for: {sandboxes}."


def test_a_piped_demo_ends_at_exit_keeps_logs_out_of_the_chat_and_counts_unchanged(tmp_path: Path) -> None:
    first = demo(tmp_path, "help\nexit\nwho is anyone at all?\n")
    assert first.returncode == 0, first.stdout
    assert f"Synced {CANDIDATES} candidates ({CANDIDATES} new, 0 updated, 0 unchanged)" in first.stdout
    assert "you> exit" in first.stdout and "who is anyone at all" not in first.stdout

    # A database readable by others makes hirebot warn at start: the warning goes to the log file.
    (tmp_path / "demo.sqlite3").chmod(0o644)
    again = demo(tmp_path, "quit\n")
    assert again.returncode == 0, again.stdout
    assert f"Synced {CANDIDATES} candidates (0 new, 0 updated, {CANDIDATES} unchanged)" in again.stdout
    assert not [line for line in again.stdout.splitlines()
                if line.startswith(("WARNING", "INFO", "ERROR", "DEBUG", "Traceback"))], again.stdout
    log = tmp_path / "demo.log"
    assert "can be read by other local users" in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert f"see {log}" in again.stdout


def test_log_records_go_to_the_file_while_the_chat_has_the_terminal(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    terminal = logging.StreamHandler(sys.stderr)
    root.addHandler(terminal)
    try:
        with logs_to_file(tmp_path / "demo.log") as log_file:
            logging.getLogger("scheduler.outbox").warning("a delivery is late")
        logging.getLogger("scheduler.outbox").warning("after the chat")
    finally:
        root.removeHandler(terminal)
    captured = capfd.readouterr()
    assert "a delivery is late" not in captured.out + captured.err
    assert "after the chat" in captured.err  # the terminal handler is back once the chat is over
    assert log_file.records == 1 and "WARNING scheduler.outbox: a delivery is late" in log_file.path.read_text()


def test_exit_ends_piped_lines(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(sqlite_engine)
    ws = factories.workspace(sessions)
    person = Directory(sessions).person_for(ws.id, email="rita@acme.test", display_name="Rita")
    terminal = Console(record=True, width=120)
    ConsoleChat(Assistant(sessions), person, terminal).run(["hello\n", "QUIT\n", "help\n"])
    transcript = terminal.export_text()
    assert "you> hello" in transcript and "you> QUIT" in transcript
    assert "you> help" not in transcript and "Here is what I can do" not in transcript


SIGNED_URL = ("https://files.example.com/jane/portfolio.pdf?X-Amz-Signature=" + "a" * 200 + "&X-Amz-Expires=30")


def _card_reply() -> Reply:
    return Reply(intent="who_is", text="Here's *Jane Doe*.", cards=[Card(
        title="Jane Doe", fields=[Field("Email", "jane@example.com")],
        links=[Link("Resume", SIGNED_URL), Link("Greenhouse", "https://app.greenhouse.io/people/1")],
        context=("Jane Doe isn't in any connected ATS yet: when they book, I'll add them to the Greenhouse "
                 "sandbox with the hirebot tag, their CV and LinkedIn profile.",))])


def test_a_long_signed_link_is_a_short_label_in_the_terminal() -> None:
    out = StringIO()
    print_reply(Console(file=out, force_terminal=True, width=80, color_system=None), _card_reply())
    shown = out.getvalue()
    assert "files.example.com/…/portfolio.pdf" in shown and "X-Amz-Signature" not in shown
    assert "https://app.greenhouse.io/people/1" in shown  # short links stay as they are


def test_piped_every_link_is_whole_on_its_own_line() -> None:
    out = StringIO()
    piped = Console(file=out, force_terminal=False, width=80)
    piped.soft_wrap = True  # as the CLI sets it for piped output
    print_reply(piped, _card_reply())
    lines = out.getvalue().splitlines()
    assert f"Resume: {SIGNED_URL}" in lines and "Greenhouse: https://app.greenhouse.io/people/1" in lines
    words = out.getvalue().split()
    assert "LinkedIn" in words and "profile." in words  # the box wraps its prose, never cuts it
