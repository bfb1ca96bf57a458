"""Keeps log records out of a terminal conversation.

The chat and the log would share one terminal: a background thread's `WARNING scheduler.outbox ...` line
would land between a question and its answer. While a console chat runs, every record goes to a private
file in the data directory instead, and the chat says once, at the end, that something was written there.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from store.files import create_private_file, make_private_dir

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass
class LogFile:
    """Where the records went, and how many of them (so the chat can point there when it ends)."""

    path: Path
    records: int = 0


class _CountingHandler(logging.FileHandler):
    def __init__(self, log_file: LogFile) -> None:
        super().__init__(log_file.path, mode="a", encoding="utf-8", delay=True)
        self.log_file = log_file
        self.setFormatter(logging.Formatter(_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        self.log_file.records += 1
        super().emit(record)


def _writes_to_terminal(handler: logging.Handler) -> bool:
    # The streams are looked up now, not at import: whoever runs us may have swapped them since.
    streams = (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__)
    return isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler) \
        and any(handler.stream is stream for stream in streams if stream is not None)


@contextmanager
def logs_to_file(path: Path) -> Iterator[LogFile]:
    """Send every log record to `path` (created 0600) instead of the terminal until the block ends; the
    root logger's terminal handlers are put back afterwards."""
    make_private_dir(path.parent)
    create_private_file(path)
    log_file = LogFile(path)
    root = logging.getLogger()
    on_terminal = [h for h in root.handlers if _writes_to_terminal(h)]
    handler = _CountingHandler(log_file)
    for old in on_terminal:
        root.removeHandler(old)
    root.addHandler(handler)  # with a handler on the root, Python's last-resort stderr handler never runs
    try:
        yield log_file
    finally:
        root.removeHandler(handler)
        handler.close()
        for old in on_terminal:
            root.addHandler(old)


__all__ = ["LogFile", "logs_to_file"]
