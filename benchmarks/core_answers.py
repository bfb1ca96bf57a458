"""Benchmark: what one "who is X" answer costs in the core (`Assistant.handle`), beside an older revision.

The roster of benchmarks/slack_events.py (100,000 candidates by default) is written to a SQLite file once
(cached under --workdir); then, in the same run and alternating, a child process per tree and repeat
answers the same questions (full names, lone first or last names, a typo, nobody) with a warm name
index, and reports CPU and wall time per answer. Answers per second of one core process are 1000 / CPU
ms. Every reply is also compared between the trees, with a fixed clock: the change must not change
what anyone is told.

    .venv/bin/python -m benchmarks.core_answers                          # 100k, against main
    .venv/bin/python -m benchmarks.core_answers --baseline-rev 731872e --candidates 10000 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import hashlib, json, sys, time
from datetime import UTC, datetime
from bot.core import Assistant
from bot.directory import Directory
from bot.messages import IncomingMessage, RoomKind
from store.db import make_engine, session_factory
database, questions = sys.argv[1], json.loads(sys.stdin.read())
sessions = session_factory(make_engine(f"sqlite:///{database}"))
assistant = Assistant(sessions, clock=lambda: datetime(2026, 12, 6, 12, 0, tzinfo=UTC))
person = Directory(sessions).local_admin()
def ask(text):
    return assistant.handle(IncomingMessage(text, person, RoomKind.DIRECT, "slack"))
replies = hashlib.sha256("\\n".join(repr(ask(q)) for q in questions).encode()).hexdigest()
wall, cpu = time.perf_counter(), time.process_time()
for q in questions:
    ask(q)
count = len(questions)
print(json.dumps({"replies": replies, "wall_ms": (time.perf_counter() - wall) / count * 1000,
                  "cpu_ms": (time.process_time() - cpu) / count * 1000}))
"""


def prepared(candidates: int, workdir: Path) -> tuple[Path, list[str]]:
    """The database and the names in it, written once per size."""
    from benchmarks.slack_events import seed

    folder = workdir / str(candidates)
    database, names = folder / "roster.sqlite3", folder / "names.json"
    if not names.exists():
        folder.mkdir(parents=True, exist_ok=True)
        database.unlink(missing_ok=True)
        names.write_text(json.dumps(seed(f"sqlite:///{database}", candidates, random.Random(11))))
    return database, json.loads(names.read_text())


def questions(names: list[str], count: int) -> list[str]:
    rng = random.Random(3)
    asked = [f"who is {rng.choice(names)}?" for _ in range(count)]
    asked += [f"who is {rng.choice(names).split()[0]}" for _ in range(max(1, count // 10))]
    asked += [f"who is {rng.choice(names).split()[-1]}" for _ in range(max(1, count // 10))]
    typo = rng.choice(names)
    asked += [f"who is {typo[:-2] + typo[-1] + typo[-2]}", "who is Zyxw Qqqq"]
    return asked


def export_tree(rev: str, into: Path) -> Path:
    """The code of `rev` (bot, store, adapters, scheduler), unpacked under `into`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "bot", "store", "adapters", "scheduler"],
                             check=True, capture_output=True).stdout
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_child(code: Path, database: Path, asked: list[str]) -> dict[str, float | str]:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(database)], input=json.dumps(asked), cwd=code,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(code)}, capture_output=True, text=True,
                          check=True)
    result: dict[str, float | str] = json.loads(done.stdout)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=300, help="full-name questions (plus a few others)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-rev", default="main", help="the git revision to compare with")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/hirebot-core-answers"))
    arguments = parser.parse_args(argv)
    database, names = prepared(arguments.candidates, arguments.workdir)
    asked = questions(names, arguments.questions)
    with tempfile.TemporaryDirectory() as scratch:
        baseline = export_tree(arguments.baseline_rev, Path(scratch) / "baseline")
        trees = {"now": ROOT, arguments.baseline_rev: baseline}
        # A copy of the database per tree: each saves its own name index next to it.
        copies: dict[str, Path] = {}
        for label in trees:
            copies[label] = Path(scratch) / f"db-{len(copies)}" / database.name
            copies[label].parent.mkdir()
            shutil.copyfile(database, copies[label])
        results: dict[str, list[dict[str, float | str]]] = {label: [] for label in trees}
        for label, code in trees.items():
            run_child(code, copies[label], asked[:5])  # builds and saves the index: not timed
        for _ in range(arguments.repeats):
            for label, code in trees.items():
                results[label].append(run_child(code, copies[label], asked))
    print(f"{arguments.candidates:,} candidates, {len(asked)} questions, {arguments.repeats} repeats (medians)")
    print(f"{'code':<16} {'CPU ms/answer':>14} {'wall ms/answer':>15} {'answers/s (1 core)':>19}")
    for label, runs in results.items():
        cpu = statistics.median(float(run["cpu_ms"]) for run in runs)
        wall = statistics.median(float(run["wall_ms"]) for run in runs)
        print(f"{label:<16} {cpu:>14.2f} {wall:>15.2f} {1000 / cpu:>19.0f}")
    digests = {str(run["replies"]) for runs in results.values() for run in runs}
    print("replies: identical in every tree" if len(digests) == 1 else "replies: DIFFER between the trees")


if __name__ == "__main__":
    main()
