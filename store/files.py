"""Files on the local disk that hold candidate data or secrets (the SQLite database, the data directory):
created readable by hirebot's own user only, whatever the umask, because a recruiting database and the
links in outgoing mail must not be readable by every local account."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) if needed; a directory created here is 0700. One that already
    exists is left as its owner set it (it may be shared on purpose, or not ours to change)."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=PRIVATE_DIR_MODE)
    except FileExistsError:
        return  # another process made it first
    os.chmod(path, PRIVATE_DIR_MODE)  # the umask may have taken away bits, never added them; be exact


def create_private_file(path: Path) -> bool:
    """Create an empty `path` as 0600 unless it exists; True when it was created here.

    SQLite gives its `-wal` and `-shm` files the permissions of the database file, so a database created
    this way keeps all three private. An existing database open to others is reported, not changed."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("%s can be read by other local users (mode %o); `chmod 600` it to keep candidate data "
                        "private", path, mode)
        return False
    os.close(fd)
    return True


__all__ = ["PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE", "create_private_file", "make_private_dir"]
