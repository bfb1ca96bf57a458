"""Running the `hirebot` command as a real process, with an environment of its own: for the tests that
drive the CLI and `hirebot run` end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_CANDIDATES = 30  # sandbox candidates per ATS in a test's `hirebot demo`


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any HIREBOT_ or SLACK_ setting of the developer's, on `data_dir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIREBOT_", "SLACK_"))}
    env.update(HIREBOT_DATA_DIR=str(data_dir), NO_COLOR="1", **extra)
    return env


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def run_demo(data_dir: Path, stdin: str, *extra: str,
             candidates: int = DEMO_CANDIDATES) -> subprocess.CompletedProcess[str]:
    """One piped `hirebot demo` run (`extra` arguments after `--candidates`); stdin stays open after the given
    lines, so only `exit` can end it in time. Output and errors come together in `stdout`."""
    env = cli_env(data_dir, COLUMNS="200")
    reader, writer = os.pipe()
    os.write(writer, stdin.encode())
    try:
        return subprocess.run([sys.executable, "-m", "bot", "demo", "--candidates", str(candidates), *extra],
                              cwd=ROOT, env=env, stdin=reader, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=120, check=False)
    finally:
        os.close(reader)
        os.close(writer)
