"""Name indexes saved between processes, so a cold `hirebot ask` does not rebuild one from every row.

One file per ATS connection, in a private directory (0700, files 0600: it holds candidates' names)
next to the SQLite file, or in `HIREBOT_DATA_DIR` for other databases. A file is a small JSON header
and the pickled `NameIndex`. The header says what the index is of: the snapshot format, a fingerprint
of the code that builds indexes (so a snapshot from another version of the code is never used), the
database (a hash of its URL) and the connection (its id and creation time, so a database recreated
under the same URL does not match), the roster version and newest sync time the index is current to, the
number of records, and a CRC of the payload (a torn or corrupt file is not unpickled). Anything that
does not match makes the caller rebuild from the rows.

The files are trusted like the database next to them: a file or directory that another user owns or
could write is ignored.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
import struct
import sys
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.names import NameIndex

SNAPSHOT_FORMAT = 1
_MAGIC = b"HBNI"
_HEADER_SIZE = struct.Struct("<I")
DIRECTORY_NAME = "name-index"
# The modules whose code decides what an index holds: a change to any of them retires every snapshot.
_CODE_MODULES = ("bot.names.index", "bot.names.normalize", "bot.roster", "bot.roster_snapshot")


@dataclass(frozen=True)
class SnapshotKey:
    """Which connection of which database a snapshot is of."""

    connection_id: int
    created_at: str


@dataclass
class Snapshot:
    index: NameIndex
    version: int
    synced_to: datetime | None  # the newest sync time among the rows the index holds


def default_directory(engine: Engine | None) -> Path | None:
    """Next to a SQLite file; for other databases `HIREBOT_DATA_DIR` if set; else none (in-memory only)."""
    if engine is None:
        return None
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database).expanduser().resolve().parent / f".hirebot-{DIRECTORY_NAME}"
    data_dir = os.environ.get("HIREBOT_DATA_DIR")
    return Path(data_dir).expanduser().resolve() / DIRECTORY_NAME if data_dir else None


_fingerprint: str | None = None


def code_fingerprint() -> str:
    global _fingerprint
    if _fingerprint is None:
        digest = hashlib.blake2b(f"{SNAPSHOT_FORMAT} {sys.version_info[:2]}".encode(), digest_size=16)
        for name in _CODE_MODULES:
            module = sys.modules.get(name)
            path = getattr(module, "__file__", None)
            digest.update(Path(path).read_bytes() if path else name.encode())
        _fingerprint = digest.hexdigest()
    return _fingerprint


def _private(path: Path) -> bool:
    """Ours and writable by no one else: only then is a pickle in it as trustworthy as the database."""
    status = path.stat()
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


class SnapshotStore:
    """Reads and writes the snapshots of one database's connections."""

    def __init__(self, directory: Path, engine: Engine) -> None:
        self.directory = directory
        self._database = hashlib.blake2b(
            engine.url.render_as_string(hide_password=True).encode(), digest_size=8).hexdigest()

    def path(self, connection_id: int) -> Path:
        return self.directory / f"{self._database}-{connection_id}.nameindex"

    def load(self, key: SnapshotKey) -> tuple[Snapshot, int] | None:
        """The saved index of a connection and its record count, or None if missing or not trustworthy."""
        path = self.path(key.connection_id)
        try:
            if not (_private(path) and _private(self.directory)):
                return None
            data = path.read_bytes()
        except OSError:
            return None
        header = self._header(data, key)
        if header is None:
            return None
        payload = memoryview(data)[header["offset"]:]
        if len(payload) != header["length"] or zlib.crc32(payload) != header["crc"]:
            return None
        enabled = gc.isenabled()
        gc.disable()  # unpickling creates many containers; collecting between them only costs time
        try:
            index = pickle.loads(payload)
        except Exception:  # a corrupt payload may fail in many ways; all of them mean "rebuild"
            return None
        finally:
            if enabled:
                gc.enable()
        if not isinstance(index, NameIndex) or len(index) != header["count"]:
            return None
        synced_to = header.get("synced_to")
        moment = datetime.fromisoformat(synced_to) if isinstance(synced_to, str) else None
        return Snapshot(index, header["version"], moment), header["count"]

    def save(self, key: SnapshotKey, snapshot: Snapshot) -> None:
        """Write atomically (a reader sees the old file or the new one), private to this user."""
        payload = pickle.dumps(snapshot.index, protocol=pickle.HIGHEST_PROTOCOL)
        header = json.dumps({
            "format": SNAPSHOT_FORMAT, "code": code_fingerprint(), "database": self._database,
            "connection": key.connection_id, "created_at": key.created_at, "version": snapshot.version,
            "synced_to": snapshot.synced_to.isoformat() if snapshot.synced_to else None, "count": len(snapshot.index),
            "length": len(payload), "crc": zlib.crc32(payload),
        }).encode()
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)  # loads refuse a directory others could write
        target = self.path(key.connection_id)
        temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(_MAGIC + _HEADER_SIZE.pack(len(header)) + header)
                out.write(payload)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def discard(self, connection_id: int) -> None:
        self.path(connection_id).unlink(missing_ok=True)

    def _header(self, data: bytes, key: SnapshotKey) -> dict | None:
        start = len(_MAGIC) + _HEADER_SIZE.size
        if len(data) < start or not data.startswith(_MAGIC):
            return None
        (size,) = _HEADER_SIZE.unpack_from(data, len(_MAGIC))
        try:
            header = json.loads(data[start:start + size])
        except ValueError:
            return None
        expected = {"format": SNAPSHOT_FORMAT, "code": code_fingerprint(), "database": self._database,
                    "connection": key.connection_id, "created_at": key.created_at}
        if not isinstance(header, dict) or any(header.get(name) != value for name, value in expected.items()):
            return None
        if not all(isinstance(header.get(name), int) for name in ("version", "count", "length", "crc")):
            return None
        header["offset"] = start + size
        return header
