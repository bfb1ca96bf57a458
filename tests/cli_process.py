"""Running the `hirebot` command as a real process, with an environment of its own: for the tests that
drive the CLI and `hirebot run` end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any HIREBOT_ or SLACK_ setting of the developer's, on `data_dir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIREBOT_", "SLACK_"))}
    env.update(HIREBOT_DATA_DIR=str(data_dir), NO_COLOR="1", **extra)
    return env


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
