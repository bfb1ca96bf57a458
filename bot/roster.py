"""Name indexes, one per ATS connection, kept in step with the store and saved between processes.

A process does not rebuild an index from every row if a snapshot of it is on disk (bot/roster_snapshot.py):
it loads the snapshot and, if the connection's `roster_version` moved since, applies only what changed.
Why a snapshot file and not an index in the database: the index's layout (interned terms, typo lists,
postings in insertion order) is what makes answers what they are, so the same structure is saved as it
is and answers stay exactly those of an in-memory index kept up to date the same way; an index in SQL
would have to re-create that order and scoring in queries.

Refreshing is proportional to what changed: rows synced since the newest sync time the index has seen
(minus an overlap; both times come from the clock that stamps the rows) are re-added, and deletions (a
sync's reconcile, a webhook, a merge) are detected by comparing the connection's row count with what
the index should then hold; only when they differ are the ids read. A snapshot is trusted only if its
header matches this code, this database, this connection (id and creation time) and a roster version
not ahead of the database's, with the database's row count when the version is unchanged; otherwise
the index is rebuilt from the rows and saved again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.names import Hit, NameIndex, NameRecord
from bot.roster_snapshot import Snapshot, SnapshotKey, SnapshotStore, default_directory
from store.models import AtsConnection
from store.queries import candidate_count, candidate_ids, newest_sync, roster_rows

log = logging.getLogger(__name__)

# Rows are reloaded from slightly before the last load, so a sync committing while we read is not missed.
RELOAD_OVERLAP = timedelta(seconds=5)
# A refreshed index is saved again once this many rows (or this share of the roster) changed since the
# saved one, or after deletions; below that a cold process re-applies the few changes itself.
RESAVE_ROWS = 1000
RESAVE_SHARE = 0.02

_DEFAULT = object()


@dataclass
class _Loaded:
    index: NameIndex
    version: int
    # The newest `synced_at` among the rows read (a time from the clock that stamps them, not ours);
    # None while the roster was empty.
    synced_to: datetime | None
    unsaved: int = 0  # rows applied since the snapshot on disk was written
    deletions: bool = False  # since then; they cost every cold process an id scan, so they are saved


def _record(row: tuple[Any, ...]) -> NameRecord:
    cid, first, last, preferred, emails = row[:5]
    addresses = tuple(e.get("value", "") for e in (emails or []) if isinstance(e, dict) and e.get("value"))
    return NameRecord(id=cid, first_name=first or "", last_name=last or "", preferred_name=preferred,
                      emails=addresses)


class RosterIndex:
    """Name indexes for every connection, refreshed on demand; safe to share between threads.

    `snapshot_dir`: where indexes are saved between processes; by default next to a SQLite file or in
    `HIREBOT_DATA_DIR` (bot/roster_snapshot.py); None keeps them in memory only.
    """

    def __init__(self, sessions: sessionmaker[Session], *, snapshot_dir: Path | object | None = _DEFAULT) -> None:
        self.sessions = sessions
        self._loaded: dict[int, _Loaded] = {}
        self._lock = threading.Lock()
        bind = sessions.kw.get("bind")
        engine = bind if isinstance(bind, Engine) else None
        directory = default_directory(engine) if snapshot_dir is _DEFAULT else snapshot_dir
        self._snapshots = (SnapshotStore(directory, engine)
                           if isinstance(directory, Path) and engine is not None else None)

    def indexes_for(self, connection_ids: list[int]) -> dict[int, NameIndex]:
        """The current index of each connection, refreshing any whose roster changed."""
        if not connection_ids:
            return {}
        with self.sessions() as session:
            rows = session.execute(_versions_statement(), {"ids": list(connection_ids)})
            versions = {cid: (version, created) for cid, version, created in rows}
        return self._current(versions)

    def _current(self, versions: Mapping[int, tuple[int, datetime | None]]) -> dict[int, NameIndex]:
        with self._lock:
            stale = {cid for cid, (version, _) in versions.items()
                     if cid not in self._loaded or self._loaded[cid].version != version}
            if stale:
                with self.sessions() as session:
                    for cid in stale:
                        self._bring_up_to_date(session, cid, *versions[cid])
            return {cid: self._loaded[cid].index for cid in versions}

    def _bring_up_to_date(self, session: Session, cid: int, version: int, created: datetime | None) -> None:
        key = SnapshotKey(cid, _stamp(created))
        loaded = self._loaded.get(cid)
        if loaded is None:
            self._loaded[cid] = self._open(session, key, version)
        elif self._refresh(session, cid, loaded, version):
            self._maybe_save(key, loaded)
        else:
            self._loaded[cid] = self._build(session, cid, version)
            self._save(key, self._loaded[cid])

    def search(self, connection_ids: list[int], query: str, *, limit: int) -> list[Hit]:
        """Hits from every listed connection. Searches hold the same lock as refreshes: the index is not
        safe to read while it is being changed."""
        return self._search(self.indexes_for(connection_ids), query, limit)

    def search_connections(self, connections: Iterable[AtsConnection], query: str, *, limit: int) -> list[Hit]:
        """`search` in connections just read from the database (the asker's visible ones): their roster
        versions are taken from them rather than read again, one query less per answer."""
        versions = {c.id: (c.roster_version, c.created_at) for c in connections}
        return self._search(self._current(versions) if versions else {}, query, limit)

    def _search(self, indexes: dict[int, NameIndex], query: str, limit: int) -> list[Hit]:
        with self._lock:
            return [hit for index in indexes.values() for hit in index.search(query, limit=limit)]

    def forget(self, connection_id: int) -> None:
        with self._lock:
            self._loaded.pop(connection_id, None)

    def _open(self, session: Session, key: SnapshotKey, version: int) -> _Loaded:
        """The saved index brought up to date, or a fresh build (saved for the next process)."""
        saved = self._snapshots.load(key) if self._snapshots is not None else None
        if saved is not None:
            snapshot, count = saved
            if snapshot.version == version and count == candidate_count(session, key.connection_id):
                return _Loaded(snapshot.index, snapshot.version, snapshot.synced_to)
            if snapshot.version < version:
                loaded = _Loaded(snapshot.index, snapshot.version, snapshot.synced_to)
                if self._refresh(session, key.connection_id, loaded, version):
                    self._maybe_save(key, loaded)
                    return loaded
            # Ahead of the database (restored from a backup?) or a different count at the same version.
        loaded = self._build(session, key.connection_id, version)
        self._save(key, loaded)
        return loaded

    def _build(self, session: Session, connection_id: int, version: int) -> _Loaded:
        loaded = _Loaded(NameIndex(), version, None)
        loaded.index = NameIndex(self._records(roster_rows(session, connection_id), loaded))
        return loaded

    def _refresh(self, session: Session, connection_id: int, loaded: _Loaded, version: int) -> bool:
        """Apply what changed since `loaded` was current: removals first, then the changed rows in order.

        False (nothing applied) if the rows' sync times went back behind the index's (a clock that
        stamps rows was set back, so "synced since" cannot find the changes) or most rows were re-synced:
        the caller then rebuilds."""
        newest = newest_sync(session, connection_id)
        if loaded.synced_to is not None and (newest is None or newest < loaded.synced_to):
            return False
        index = loaded.index
        since = loaded.synced_to - RELOAD_OVERLAP if loaded.synced_to is not None else None
        changed = list(self._records(roster_rows(session, connection_id, changed_since=since), loaded))
        if len(changed) > max(RESAVE_ROWS, len(index) // 2):
            return False  # most rows were re-synced (a full sync): building anew is cheaper than re-adding
        # Every id in the database is in the index or among the changed rows, so the index holds exactly
        # the database's ids (once the changed rows are in) when the counts agree; only else read ids.
        changed_ids = {record.id for record in changed}
        expected = len(index) + sum(1 for record_id in changed_ids if record_id not in index)
        if candidate_count(session, connection_id) != expected:
            current = candidate_ids(session, connection_id)
            gone = index.record_ids() - current
            for record_id in gone:
                index.remove(record_id)
            # Rows stamped by a clock behind the one that stamped earlier rows: read them by id.
            missing = current - index.record_ids() - changed_ids
            if missing:
                changed.extend(self._records(roster_rows(session, connection_id, ids=missing), loaded))
            loaded.unsaved += len(gone)
            loaded.deletions = True
        for record in changed:
            index.add(record)
        loaded.unsaved += len(changed)
        loaded.version = version
        return True

    @staticmethod
    def _records(rows: Iterable[Any], loaded: _Loaded) -> Iterator[NameRecord]:
        """Records of index rows, moving `loaded.synced_to` up to the newest sync time among them."""
        newest = loaded.synced_to
        for row in rows:
            synced_at = row[5]
            if synced_at is not None and (newest is None or synced_at > newest):
                newest = synced_at
            yield _record(tuple(row))
        loaded.synced_to = newest

    def _maybe_save(self, key: SnapshotKey, loaded: _Loaded) -> None:
        if loaded.deletions or loaded.unsaved >= max(RESAVE_ROWS, RESAVE_SHARE * len(loaded.index)):
            self._save(key, loaded)

    def _save(self, key: SnapshotKey, loaded: _Loaded) -> None:
        if self._snapshots is None:
            return
        try:
            self._snapshots.save(key, Snapshot(loaded.index, loaded.version, loaded.synced_to))
        except OSError as exc:
            # Answers do not depend on the snapshot; the next process rebuilds.
            log.warning("could not save the name index of connection %s: %s", key.connection_id, exc)
            return
        loaded.unsaved, loaded.deletions = 0, False


@cache
def _versions_statement() -> Select[int, int, datetime]:
    return select(AtsConnection.id, AtsConnection.roster_version, AtsConnection.created_at).where(
        AtsConnection.id.in_(bindparam("ids", expanding=True)))


def _stamp(created: datetime | None) -> str:
    return created.isoformat() if created is not None else ""
