"""Commands that do not schedule start without loading scheduling, alembic or the chat servers (issue 11).

Each case runs the CLI in a fresh interpreter and lists what it imported; timings belong to
benchmarks/cold_ask.py, not here. Also: the cheap schema check at start agrees with alembic.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.directory import Directory
from store.db import alembic_config, head_revision, is_at_head, make_engine, session_factory, upgrade
from tests import factories as f
from tests.cli_process import ROOT, cli_env

# Loaded only by the commands that use them: meetings and jobs, migrations, Slack and the web server, calendars,
# decrypting credentials; and never pydantic (typer 0.29 imported it to coerce every option).
HEAVY = ("scheduler", "alembic", "apscheduler", "slack_bolt", "slack_sdk", "aiohttp.web", "icalendar",
         "recurring_ical_events", "cryptography", "pydantic")
# Loaded only by commands that talk to an ATS: the ATS packages (each spec loads when its ATS is named) and httpx.
ATS_CODE = ("httpx", "adapters.greenhouse", "adapters.lever", "adapters.http")

# Runs one command in-process (argv: report file, heavy names as JSON, the command's arguments), then writes
# the heavy modules it imported to the report file (stdout is the command's).
PROBE = """
import json, sys
from bot.cli import main
report, heavy, args = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
try:
    main(args)
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
loaded = sorted(name for name in sys.modules if any(name == h or name.startswith(h + ".") for h in heavy))
with open(report, "w") as out:
    out.write(json.dumps(loaded))
"""


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose database is at the newest schema, with Jane Doe in an org-wide connection."""
    engine = make_engine(f"sqlite:///{tmp_path / 'hirebot.sqlite3'}")
    upgrade(engine)
    sessions = session_factory(engine)
    connection = f.connection(sessions, Directory(sessions).default_workspace())
    f.candidate(sessions, connection, "Jane", "Doe", email="jane@example.com")
    engine.dispose()
    return tmp_path


def heavy_imports(data_dir: Path, args: list[str], heavy: tuple[str, ...] = HEAVY) -> tuple[list[str], str]:
    """The `heavy` modules `hirebot ARGS` imported, and what it printed."""
    report = data_dir / "imported.json"
    result = subprocess.run([sys.executable, "-c", PROBE, str(report), json.dumps(heavy), *args],
                            env=cli_env(data_dir), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(report.read_text()), result.stdout


@pytest.mark.parametrize("args, says", [
    (["--help"], "Usage"),
    (["connections"], "Greenhouse"),
    (["connections", "--json"], '"candidates": 1'),
    (["ask", "who is Jane Doe"], "Here's Jane Doe"),
    (["ask", "--json", "jane doe"], '"status": "match"'),
])
def test_everyday_commands_leave_scheduling_migrations_and_servers_unloaded(
        data_dir: Path, args: list[str], says: str) -> None:
    loaded, printed = heavy_imports(data_dir, args)
    assert says in printed  # the command really ran its whole path
    assert loaded == []


@pytest.mark.parametrize("args", [["--help"], ["connections"], ["connections", "--json"]])
def test_commands_that_talk_to_no_ats_load_no_ats_package(data_dir: Path, args: list[str]) -> None:
    loaded, _ = heavy_imports(data_dir, args, ATS_CODE)
    assert loaded == []


def test_connecting_one_ats_loads_that_ats_only(data_dir: Path) -> None:
    loaded, printed = heavy_imports(data_dir, ["connect", "lever", "--help"], ATS_CODE)
    assert "--api-key" in printed
    assert "adapters.lever" in loaded and not any(name.startswith("adapters.greenhouse") for name in loaded)


def test_a_scheduling_question_still_loads_scheduling(data_dir: Path) -> None:
    loaded, printed = heavy_imports(data_dir, ["ask", "my meetings"])
    assert "scheduler.meetings" in loaded and "alembic" not in loaded
    assert "Traceback" not in printed


def test_the_head_revision_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    engine = make_engine("sqlite://")
    assert [head_revision()] == ScriptDirectory.from_config(alembic_config(engine)).get_heads()


def test_an_older_database_is_still_upgraded_and_a_new_one_created(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hirebot.sqlite3'}")
    try:
        assert not is_at_head(engine)  # no alembic_version table yet
        upgrade(engine, "0001")
        assert not is_at_head(engine)
        upgrade(engine)
        assert is_at_head(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()
    finally:
        engine.dispose()
