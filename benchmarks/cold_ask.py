"""Benchmark: a cold `hirebot ask "who is X"` process, beside a naive script on the same database.

For each roster size a SQLite database is prepared once (cached under --workdir): the default
workspace, one org connection and the synthetic roster of benchmarks/name_resolution.py. Then, in
the same run and alternating, it times fresh processes of
- `python -m bot ask "who is FIRST LAST"` with HIREBOT_DATA_DIR / HIREBOT_DATABASE_URL set,
- the naive baseline: read every candidate's name with sqlite3 and run one rapidfuzz `extractOne`,
- `python -m bot --help` (what importing the CLI costs, with no database work),
- `python -m bot connections` (a command that opens the database but asks nothing),
and prints medians of wall and CPU time (user + system of the child) and of its peak RSS. The first ask after preparing
(or after --fresh) builds the name index and saves it; it is reported on its own row.

    .venv/bin/python -m benchmarks.cold_ask                      # 5k and 100k
    .venv/bin/python -m benchmarks.cold_ask --sizes 5000,100000,1000000 --repeats 5
    .venv/bin/python -m benchmarks.cold_ask --code /tmp/old-tree  # the same against another checkout
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One rapidfuzz call over every full name, the way a short script would answer "who is X".
NAIVE = """
import sqlite3, sys
from rapidfuzz import fuzz, process
rows = sqlite3.connect(sys.argv[1]).execute("select id, first_name, last_name from candidates").fetchall()
names = [f"{first} {last}" for _, first, last in rows]
best = process.extractOne(sys.argv[2], names, scorer=fuzz.WRatio)
print(rows[best[2]][0], best[1])
"""


def prepared(size: int, workdir: Path) -> tuple[Path, str]:
    """The database for `size` candidates and a name in it to ask about, prepared once in a child
    process: this one stays small, so its children's peak memory is theirs (a forked child starts
    out with its parent's)."""
    if not (workdir / "ready").exists():
        context = multiprocessing.get_context("spawn")
        worker = context.Process(target=prepare, args=(size, workdir))
        worker.start()
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"preparing {size} candidates failed")
    return workdir / "hirebot.sqlite3", (workdir / "name.txt").read_text()


def prepare(size: int, workdir: Path) -> None:
    from benchmarks.name_resolution import make_roster

    records = make_roster(size)
    target = records[size // 2]
    database = workdir / "hirebot.sqlite3"
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "name.txt").write_text(f"{target.first_name} {target.last_name}")
    database.unlink(missing_ok=True)
    from sqlalchemy import insert

    from bot.directory import Directory
    from store.crypto import SecretBox, load_or_create_key
    from store.db import make_engine, session_factory, transaction, upgrade
    from store.models import AtsConnection, Candidate, utcnow

    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    sessions = session_factory(engine)
    box = SecretBox(load_or_create_key(workdir, None))
    workspace = Directory(sessions).default_workspace()
    with transaction(sessions) as session:
        connection = AtsConnection(workspace_id=workspace.id, provider="greenhouse", scope="org", name="Greenhouse",
                                   base_url="http://127.0.0.1:9", settings={},
                                   credentials=box.seal({"api_key": "unused"}), roster_version=1,
                                   last_sync_at=utcnow(), last_full_sync_at=utcnow())
        session.add(connection)
        session.flush()
        connection_id = connection.id
    now = utcnow()
    for start in range(0, size, 20_000):
        rows = [{"connection_id": connection_id, "remote_id": str(r.id), "first_name": r.first_name,
                 "last_name": r.last_name, "preferred_name": r.preferred_name,
                 "primary_email": r.emails[0].lower() if r.emails else None,
                 "emails": [{"value": e, "type": "personal"} for e in r.emails], "phones": [], "links": [],
                 "tags": [], "synced_at": now} for r in records[start:start + 20_000]]
        with transaction(sessions) as session:
            session.execute(insert(Candidate), rows)
    engine.dispose()
    (workdir / "ready").touch()


REPLIES: dict[str, str] = {}  # the first line each command printed, shown under the table


def timed(command: Sequence[str], env: dict[str, str], code: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process, which must succeed."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        # Run in the checkout: `python -m` puts the working directory before PYTHONPATH.
        child = subprocess.Popen(command, env=env, cwd=code, stdout=subprocess.PIPE, stderr=errors)
        assert child.stdout is not None
        output = child.stdout.read().decode()
        _, status, usage = os.wait4(child.pid, 0)  # this child's own usage, not all children's
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        child.stdout.close()
        if child.returncode != 0 or not output.strip():
            errors.seek(0)
            raise SystemExit(f"{' '.join(command)} failed:\n{output}\n{errors.read().decode()}")
    REPLIES.setdefault(command[-1], output.strip().splitlines()[0])
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def snapshot_files(workdir: Path) -> list[Path]:
    return list(workdir.glob(".hirebot-name-index/*.nameindex"))


def run_size(size: int, workdir: Path, repeats: int, code: Path,
             fresh: bool) -> list[tuple[str, float, float, float]]:
    database, name = prepared(size, workdir)
    env = {**os.environ, "PYTHONPATH": str(code), "HIREBOT_DATA_DIR": str(workdir),
           "HIREBOT_DATABASE_URL": f"sqlite:///{database}"}
    python = sys.executable
    ask = [python, "-m", "bot", "ask", f"who is {name}"]
    rows: list[tuple[str, float, float, float]] = []
    if fresh or not snapshot_files(workdir):
        for path in snapshot_files(workdir):
            path.unlink()
        rows.append(("hirebot ask, first (builds the index)", *timed(ask, env, code)))
    samples: dict[str, list[tuple[float, float, float]]] = {
        "hirebot ask": [], "naive script": [], "python -m bot --help": [], "python -m bot connections": []}
    for _ in range(repeats):
        samples["hirebot ask"].append(timed(ask, env, code))
        samples["naive script"].append(timed([python, "-c", NAIVE, str(database), name], env, code))
        samples["python -m bot --help"].append(timed([python, "-m", "bot", "--help"], env, code))
        samples["python -m bot connections"].append(timed([python, "-m", "bot", "connections"], env, code))
    for label, values in samples.items():
        wall, cpu, peak = (statistics.median(sample[column] for sample in values) for column in range(3))
        rows.append((label, wall, cpu, peak))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,100000", help="comma-separated roster sizes")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/hirebot-cold-ask"))
    parser.add_argument("--code", type=Path, default=ROOT, help="the hirebot checkout the child processes run")
    parser.add_argument("--fresh", action="store_true", help="delete saved name indexes first")
    args = parser.parse_args(argv)
    print(f"code: {args.code}   repeats: {args.repeats} (medians)")
    print(f"{'candidates':>10}  {'process':<40} {'wall s':>7} {'CPU s':>7} {'peak MB':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        for label, wall, cpu, peak in run_size(size, args.workdir / str(size), args.repeats, args.code, args.fresh):
            print(f"{size:>10,}  {label:<40} {wall:>7.2f} {cpu:>7.2f} {peak:>8.0f}", flush=True)
    for asked, reply in REPLIES.items():
        if asked.startswith("who is"):
            print(f"{asked!r} -> {reply[:100]}")


if __name__ == "__main__":
    main()
