"""In-memory name indexes, one per ATS connection, kept in step with the store.

Each connection's index is rebuilt lazily: when the sync engine bumps `roster_version`, the next
question reloads only the rows synced since the last load and drops ids that no longer exist.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.names import Hit, NameIndex, NameRecord
from store.models import AtsConnection, utcnow
from store.queries import candidate_ids, roster_rows

# Rows are reloaded from slightly before the last load, so a sync committing while we read is not missed.
RELOAD_OVERLAP = timedelta(seconds=5)


@dataclass
class _Loaded:
    index: NameIndex
    version: int
    loaded_at: datetime
    ids: set[int] = field(default_factory=set)


def _record(row: tuple[Any, ...]) -> NameRecord:
    cid, first, last, preferred, emails = row
    addresses = tuple(e.get("value", "") for e in (emails or []) if isinstance(e, dict) and e.get("value"))
    return NameRecord(id=cid, first_name=first or "", last_name=last or "", preferred_name=preferred,
                      emails=addresses)


class RosterIndex:
    """Name indexes for every connection, refreshed on demand; safe to share between threads."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._loaded: dict[int, _Loaded] = {}
        self._lock = threading.Lock()

    def indexes_for(self, connection_ids: list[int]) -> dict[int, NameIndex]:
        """The current index of each connection, refreshing any whose roster changed."""
        if not connection_ids:
            return {}
        with self.sessions() as session:
            rows = session.execute(
                select(AtsConnection.id, AtsConnection.roster_version).where(AtsConnection.id.in_(connection_ids)))
            versions = {cid: version for cid, version in rows}
            with self._lock:
                for cid, version in versions.items():
                    loaded = self._loaded.get(cid)
                    if loaded is None:
                        self._loaded[cid] = self._build(session, cid, version)
                    elif loaded.version != version:
                        self._refresh(session, cid, loaded, version)
                return {cid: self._loaded[cid].index for cid in versions}

    def search(self, connection_ids: list[int], query: str, *, limit: int) -> list[Hit]:
        """Hits from every listed connection. Searches hold the same lock as refreshes: the index is not
        safe to read while it is being changed."""
        indexes = self.indexes_for(connection_ids)
        with self._lock:
            return [hit for index in indexes.values() for hit in index.search(query, limit=limit)]

    def forget(self, connection_id: int) -> None:
        with self._lock:
            self._loaded.pop(connection_id, None)

    def _build(self, session: Session, connection_id: int, version: int) -> _Loaded:
        started = utcnow()
        records = [_record(tuple(row)) for row in roster_rows(session, connection_id)]
        return _Loaded(index=NameIndex(records), version=version, loaded_at=started,
                       ids={r.id for r in records})

    def _refresh(self, session: Session, connection_id: int, loaded: _Loaded, version: int) -> None:
        started = utcnow()
        current = candidate_ids(session, connection_id)
        for gone in loaded.ids - current:
            loaded.index.remove(gone)
        for row in roster_rows(session, connection_id, changed_since=loaded.loaded_at - RELOAD_OVERLAP):
            loaded.index.add(_record(tuple(row)))
        loaded.ids = current
        loaded.version = version
        loaded.loaded_at = started
