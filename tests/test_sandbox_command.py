"""The sandbox servers as a person starts them: `python -m adapters.sandbox <provider>` and the older
per-provider entry points; a port that is taken gives one line and status 1, not a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.cli_process import ROOT


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("command", [["adapters.sandbox", "greenhouse"], ["adapters.sandbox", "lever"],
                                     ["adapters.sandbox.greenhouse"], ["adapters.sandbox.lever"]])
def test_a_busy_port_is_one_line_not_a_traceback(command: list[str], taken_port: int) -> None:
    result = subprocess.run([sys.executable, "-m", *command, "--port", str(taken_port), "--candidates", "1"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: Port {taken_port} on 127.0.0.1 is already in use: stop what listens there, or choose another "
        "with --port (or leave --port out for any free one)."]
