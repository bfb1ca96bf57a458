"""The saved name index answers exactly as one freshly built from the rows, through every kind of change.

A `RosterIndex` with a snapshot directory stands for a process that keeps its index and saves it; a
new `RosterIndex` on the same directory stands for the next cold process (and one test runs a real
second process). After syncs, webhook refreshes, deletions, merges and connection changes, both must
give the answers of a `RosterIndex` without snapshots reading the database from scratch. Snapshots that
are corrupt, from other code, another database or connection, or ahead of the database are rebuilt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

import bot.roster_snapshot as roster_snapshot
from adapters.sandbox.greenhouse_dataset import generate
from bot.names import Hit
from bot.roster import RosterIndex, _Loaded
from store.db import make_engine, session_factory, transaction, upgrade
from store.models import AtsConnection, Candidate, User, utcnow
from store.queries import visible_connection_ids
from store.sync import refresh_candidates, sync_connection
from tests import factories
from tests.rigs.greenhouse_sandbox import NOW, Rig, add_connection, start_rig, stop_rig

# Bigger than any roster here, so no answer is cut at a tie between equally good hits.
LIMIT = 500


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:

    running, server = await start_rig(generate(seed=11, candidates=60, now=NOW), rate_limit=10_000)
    yield running
    await stop_rig(running, server)


def queries(sessions: sessionmaker[Session], connection_ids: list[int]) -> list[str]:
    """Full names, single names, typos, reversed names and emails of the candidates, plus a few misses."""
    with sessions() as session:
        rows = session.execute(select(Candidate.first_name, Candidate.last_name, Candidate.primary_email)
                               .where(Candidate.connection_id.in_(connection_ids)).order_by(Candidate.id)).all()
    asked = ["Nobody Atall", "j smith", "zzzz"]
    for first, last, email in rows:
        asked += [f"{first} {last}", first, last, f"{last}, {first}", f"{first} {last[:-1]}"]
        if len(last) > 4:
            asked.append(f"{first} {last[0]}{last[2]}{last[1]}{last[3:]}")  # swapped letters
        if email:
            asked.append(email.upper())
    return list(dict.fromkeys(asked))


def answers(roster: RosterIndex, connection_ids: list[int], asked: list[str]) -> dict[str, list[Hit]]:
    return {query: roster.search(connection_ids, query, limit=LIMIT) for query in asked}


def assert_same_as_fresh(sessions: sessionmaker[Session], connection_ids: list[int], *rosters: RosterIndex) -> None:
    asked = queries(sessions, connection_ids)
    expected = answers(RosterIndex(sessions, snapshot_dir=None), connection_ids, asked)
    assert any(expected.values())
    for roster in rosters:
        assert answers(roster, connection_ids, asked) == expected


def no_rebuild(roster: RosterIndex, monkeypatch: pytest.MonkeyPatch) -> RosterIndex:
    def refuse(*_: object) -> None:
        raise AssertionError("rebuilt the index from every row")

    monkeypatch.setattr(roster, "_build", refuse)
    return roster


def builds(roster: RosterIndex) -> list[int]:
    """Records the connections `roster` rebuilds from every row."""
    seen: list[int] = []
    build = roster._build

    def counting(session: Session, connection_id: int, version: int) -> _Loaded:
        seen.append(connection_id)
        return build(session, connection_id, version)

    roster._build = counting  # type: ignore[method-assign]
    return seen


def bump(session: Session, connection_id: int) -> None:
    session.execute(update(AtsConnection).where(AtsConnection.id == connection_id)
                    .values(roster_version=AtsConnection.roster_version + 1))


def people(sessions: sessionmaker[Session]) -> tuple[list[int], User, dict[str, int]]:
    ws = factories.workspace(sessions)
    rita = factories.user(sessions, ws, "rita@acme.test")
    org = factories.connection(sessions, ws)
    mine = factories.connection(sessions, ws, provider="lever", scope="user", owner=rita)
    made = {}
    for conn, first, last, email in [
        (org, "Jane", "Doe", "jane.doe@mail.test"), (org, "John", "Smith", "jsmith@mail.test"),
        (org, "Robert", "Smith", None), (org, "Katherine", "Szymanski", "kat@mail.test"),
        (org, "Anne Marie", "van den Berg", None), (org, "José", "García", "jose@mail.test"),
        (org, "Jon", "Smyth", None), (mine, "Maria", "Garcia", "maria@mail.test"),
        (mine, "Bob", "Doe", None), (mine, "Jane", "Dough", "jane.dough@mail.test"),
    ]:
        made[f"{first} {last}"] = factories.candidate(sessions, conn, first, last, email=email, job=None,
                                                      resume=False).id
    return [org.id, mine.id], rita, made


def test_a_saved_index_answers_like_a_fresh_one_through_changes(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection_ids, _, made = people(sessions)
    warm = RosterIndex(sessions, snapshot_dir=tmp_path)
    assert_same_as_fresh(sessions, connection_ids, warm)
    files = sorted(tmp_path.glob("*.nameindex"))
    assert len(files) == 2
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in files)
    assert_same_as_fresh(sessions, connection_ids, no_rebuild(RosterIndex(sessions, snapshot_dir=tmp_path),
                                                             monkeypatch))

    # A sync: one renamed, one new, one re-synced unchanged.
    with transaction(sessions) as session:
        session.execute(update(Candidate).where(Candidate.id == made["John Smith"])
                        .values(first_name="Jonathan", synced_at=utcnow()))
        session.execute(update(Candidate).where(Candidate.id == made["Jane Doe"]).values(synced_at=utcnow()))
        bump(session, connection_ids[0])
    factories.candidate(sessions, factories_connection(sessions, connection_ids[0]), "Zofia", "Nowak",
                        email="zofia@mail.test", job=None, resume=False)
    assert_same_as_fresh(sessions, connection_ids, warm,
                         no_rebuild(RosterIndex(sessions, snapshot_dir=tmp_path), monkeypatch))

    # A deletion, then a merge (one record goes, the survivor takes its email).
    with transaction(sessions) as session:
        session.execute(delete(Candidate).where(Candidate.id == made["Robert Smith"]))
        bump(session, connection_ids[0])
    assert_same_as_fresh(sessions, connection_ids, warm,
                         no_rebuild(RosterIndex(sessions, snapshot_dir=tmp_path), monkeypatch))
    with transaction(sessions) as session:
        session.execute(delete(Candidate).where(Candidate.id == made["Jane Dough"]))
        session.execute(update(Candidate).where(Candidate.id == made["Bob Doe"]).values(
            emails=[{"value": "jane.dough@mail.test", "type": "personal"}], synced_at=utcnow()))
        bump(session, connection_ids[1])
    later = RosterIndex(sessions, snapshot_dir=tmp_path)
    assert_same_as_fresh(sessions, connection_ids, warm, no_rebuild(later, monkeypatch))
    assert [hit.id for hit in later.search(connection_ids, "jane.dough@mail.test", limit=5)] == [made["Bob Doe"]]


def factories_connection(sessions: sessionmaker[Session], connection_id: int) -> AtsConnection:
    with sessions() as session:
        row = session.get(AtsConnection, connection_id)
        assert row is not None
        return row


def test_connection_changes_never_reuse_another_connections_index(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    connection_ids, rita, _ = people(sessions)
    with sessions() as session:
        visible = visible_connection_ids(session, rita.workspace_id, rita.id)
    assert visible == connection_ids
    assert_same_as_fresh(sessions, visible, RosterIndex(sessions, snapshot_dir=tmp_path))

    # Disconnect and reconnect the personal connection: its saved index is still the right one.
    for active in (False, True):
        with transaction(sessions) as session:
            session.execute(update(AtsConnection).where(AtsConnection.id == connection_ids[1])
                            .values(is_active=active))
    with sessions() as session:
        assert visible_connection_ids(session, rita.workspace_id, rita.id) == connection_ids
    assert_same_as_fresh(sessions, connection_ids, RosterIndex(sessions, snapshot_dir=tmp_path))

    # Remove it and connect a new account, which may get the same id: the old snapshot is not used.
    with transaction(sessions) as session:
        session.execute(delete(Candidate).where(Candidate.connection_id == connection_ids[1]))
        session.execute(delete(AtsConnection).where(AtsConnection.id == connection_ids[1]))
    ws = factories.workspace(sessions, "Other")
    fresh_conn = factories.connection(sessions, ws, provider="lever")
    for first, last in [("Maria", "Garcia"), ("Ines", "Costa"), ("Bob", "Dole")]:
        factories.candidate(sessions, fresh_conn, first, last, job=None, resume=False)
    with transaction(sessions) as session:  # the old connection's version and count: only its identity differs
        session.execute(update(AtsConnection).where(AtsConnection.id == fresh_conn.id).values(roster_version=3))
    roster = RosterIndex(sessions, snapshot_dir=tmp_path)
    rebuilt = builds(roster)
    assert_same_as_fresh(sessions, [fresh_conn.id], roster)
    assert rebuilt == [fresh_conn.id]


@pytest.mark.parametrize("damage", ["truncated", "flipped byte", "garbage", "other code", "ahead of the database",
                                    "other count", "other database", "writable by others"])
def test_untrustworthy_snapshots_are_rebuilt(damage: str, sessions: sessionmaker[Session], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    connection_ids, _, made = people(sessions)
    org = connection_ids[:1]
    assert_same_as_fresh(sessions, org, RosterIndex(sessions, snapshot_dir=tmp_path))
    (path,) = tmp_path.glob("*.nameindex")
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) - 40])
    elif damage == "flipped byte":
        path.write_bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:])
    elif damage == "garbage":
        path.write_bytes(b"not a snapshot")
    elif damage == "other code":
        monkeypatch.setattr(roster_snapshot, "_fingerprint", "an older version")
    elif damage == "ahead of the database":
        rewrite_header(path, version=10_000)
    elif damage == "other count":
        with transaction(sessions) as session:  # a change that did not bump the version (a restored backup)
            session.execute(delete(Candidate).where(Candidate.id == made["Jane Doe"]))
    elif damage == "writable by others":
        path.chmod(0o666)
    elif damage == "other database":
        other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
        upgrade(other)
        other_sessions = session_factory(other)
        other_ids, _, _ = people(other_sessions)
        stranger = RosterIndex(other_sessions, snapshot_dir=tmp_path)
        assert stranger._snapshots is not None
        # The other database's snapshot, put where this database's would be.
        stranger.indexes_for(other_ids[:1])
        path.write_bytes(stranger._snapshots.path(other_ids[0]).read_bytes())
        other.dispose()
    roster = RosterIndex(sessions, snapshot_dir=tmp_path)
    rebuilt = builds(roster)
    assert_same_as_fresh(sessions, org, roster)
    assert rebuilt == org
    assert_same_as_fresh(sessions, org, no_rebuild(RosterIndex(sessions, snapshot_dir=tmp_path), monkeypatch))


def rewrite_header(path: Path, **changes: object) -> None:
    data = path.read_bytes()
    size = int.from_bytes(data[4:8], "little")
    header = {**json.loads(data[8:8 + size]), **changes}
    encoded = json.dumps(header).encode()
    path.write_bytes(data[:4] + len(encoded).to_bytes(4, "little") + encoded + data[8 + size:])


async def test_syncs_and_webhook_refreshes_keep_the_saved_index_exact(
    sessions: sessionmaker[Session], rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection_id = add_connection(sessions, rig, factories.BOX)
    adapter = rig.adapter()
    await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    warm = RosterIndex(sessions, snapshot_dir=tmp_path)
    assert_same_as_fresh(sessions, [connection_id], warm)

    ids = list(rig.state.candidates)
    renamed, gone, merged, survivor = ids[0], ids[1], ids[2], ids[3]
    rig.state.update_candidate(renamed, first_name="Wojciech", last_name="Szczepański", now=rig.time.moment())
    rig.state.delete_candidate(gone)
    # A webhook's refresh runs on the real clock, the sync above ran on the sandbox's: both must show.
    await refresh_candidates(sessions, connection_id, adapter, [str(renamed), str(gone)])
    assert_same_as_fresh(sessions, [connection_id], warm,
                         no_rebuild(RosterIndex(sessions, snapshot_dir=tmp_path), monkeypatch))

    # The sandbox's clock is behind the one the refresh above stamped rows with: a full sync restamps
    # every row with an earlier time, and the saved index must notice it cannot go by "synced since".
    rig.state.merge_candidates(merged, survivor, now=rig.time.moment())
    rig.state.update_candidate(ids[-1], last_name="Kowalczyk", now=rig.time.moment())
    await sync_connection(sessions, connection_id, adapter, full=True, now=rig.time.moment)
    assert_same_as_fresh(sessions, [connection_id], warm,
                         no_rebuild(RosterIndex(sessions, snapshot_dir=tmp_path), monkeypatch))
    with sessions() as session:
        count = session.scalar(select(func.count()).select_from(Candidate)
                               .where(Candidate.connection_id == connection_id))
    assert count == len(rig.state.candidates)


SECOND_PROCESS = """
import json, sys
from bot.roster import RosterIndex, _Loaded
from store.db import make_engine, session_factory
roster = RosterIndex(session_factory(make_engine(sys.argv[1])))
roster._build = None  # a second process must answer from the saved index
ids = json.loads(sys.argv[2])
print(json.dumps({q: [[h.id, h.score, h.reason] for h in roster.search(ids, q, limit=500)]
                  for q in json.loads(sys.stdin.read())}))
"""


def test_a_second_process_answers_from_the_saved_index(sqlite_engine: Engine, tmp_path: Path) -> None:
    sessions = session_factory(sqlite_engine)
    connection_ids, _, _ = people(sessions)
    roster = RosterIndex(sessions)  # the default place: next to the SQLite file
    asked = queries(sessions, connection_ids)
    found = answers(roster, connection_ids, asked)
    expected = {q: [[h.id, h.score, h.reason] for h in hits] for q, hits in found.items()}
    assert list((tmp_path / ".hirebot-name-index").glob("*.nameindex"))
    # Another hash seed too: nothing saved may depend on this process's hash() of strings.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(sqlite_engine.url), json.dumps(connection_ids)],
                          input=json.dumps(asked), capture_output=True, text=True, env=env, check=True, timeout=120)
    assert json.loads(done.stdout) == expected
