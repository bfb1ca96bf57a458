"""Benchmark of the warm name index's own costs: build, memory, resolve latency, removal and update,
and saving/loading its snapshot, so the costs can be compared across roster sizes (10k vs 1M).

Uses the synthetic roster and query mix of benchmarks/name_resolution.py (which measures accuracy
against a brute-force baseline). Each size runs in its own process, so peak memory is per size.

The roster and queries are generated in a helper process and the rows written to a scratch file; the
measuring process builds the index from a stream of those rows, as a real build streams them from the
database (bot/roster.py), so its peak memory is what building and holding the index costs, not the
generator's list of a million records.

    .venv/bin/python -m benchmarks.name_index                         # 10k and 100k
    .venv/bin/python -m benchmarks.name_index --sizes 10000,1000000
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import pickle
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from benchmarks.name_resolution import full_name, make_queries, make_roster, percentile, rss_mb
from bot.names import NameIndex, NameRecord, resolve

CHANGES = 5000  # removals and updates timed per size, a search after every 100 as during a sync


def write_roster(size: int, query_count: int, rows: str) -> list[str]:
    """In a helper process: the roster's rows, pickled in pages to `rows`, and the query texts."""
    records = make_roster(size)
    with open(rows, "wb") as out:
        for start in range(0, size, _PAGE):
            page = [(r.id, r.first_name, r.last_name, r.preferred_name, r.emails)
                    for r in records[start : start + _PAGE]]
            pickle.dump(page, out, protocol=pickle.HIGHEST_PROTOCOL)
    return [query.text for query in make_queries(records, [full_name(record) for record in records], query_count)]


def read_roster(rows: str) -> Iterator[NameRecord]:
    """The rows again, page by page, as the build reads them from a database cursor."""
    with open(rows, "rb") as source:
        while True:
            try:
                page = pickle.load(source)
            except EOFError:
                return
            yield from (NameRecord(*row) for row in page)


_PAGE = 1000


def run_size(size: int, queries: list[str], rows: str) -> dict[str, float]:
    started = time.perf_counter()
    for _ in read_roster(rows):
        pass
    reading = time.perf_counter() - started  # what the stream costs, so the build row is the index's own
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    index = NameIndex(read_roster(rows))
    build_streamed = time.perf_counter() - started
    index.search("warm up")
    index_mb = rss_mb() - before

    latencies = []
    for query in queries:
        started = time.perf_counter()
        resolve(query, [index])
        latencies.append((time.perf_counter() - started) * 1000)
    held_peak = _peak_mb()

    started = time.perf_counter()
    saved = pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)
    save = time.perf_counter() - started
    gc.disable()
    started = time.perf_counter()
    loaded = pickle.loads(saved)
    load = time.perf_counter() - started
    gc.enable()
    del loaded

    rng = random.Random(size)
    chosen = rng.sample(range(1, size + 1), CHANGES * 2)
    renamed = make_roster(CHANGES, seed=size + 3)
    update_us = _per_change([(lambda r=record, i=record_id: index.add(
        NameRecord(i, r.first_name, r.last_name, r.preferred_name, r.emails)))
        for record_id, record in zip(chosen[:CHANGES], renamed, strict=True)], index)
    remove_us = _per_change([(lambda i=record_id: index.remove(i)) for record_id in chosen[CHANGES:]], index)
    return {
        "build_s": build_streamed - reading, "build_streamed_s": build_streamed, "index_mb": index_mb,
        "peak_mb": held_peak, "peak_all_mb": _peak_mb(),
        "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
        "update_us": statistics.median(update_us), "update_p99_us": percentile(update_us, 0.99),
        "remove_us": statistics.median(remove_us), "remove_p99_us": percentile(remove_us, 0.99),
        "snapshot_mb": len(saved) / 2**20, "save_s": save, "load_s": load,
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _per_change(changes: list, index: NameIndex) -> list[float]:
    """Microseconds of each change; a search after every 100 (it must not pay for re-sorting anything)."""
    spent = []
    for number, change in enumerate(changes):
        started = time.perf_counter()
        change()
        spent.append((time.perf_counter() - started) * 1e6)
        if number % 100 == 99:
            index.search("maria garcia")
    return spent


ROWS = [
    ("index build (s, reading rows excluded)", "build_s", "{:.2f}"),
    ("build from streamed rows (s, all in)", "build_streamed_s", "{:.2f}"),
    ("index memory (MB, RSS growth)", "index_mb", "{:.0f}"),
    ("peak RSS (MB, build from rows + queries)", "peak_mb", "{:.0f}"),
    ("peak RSS (MB, + snapshot bytes and copy)", "peak_all_mb", "{:.0f}"),
    ("resolve p50 (ms)", "p50_ms", "{:.2f}"), ("resolve p99 (ms)", "p99_ms", "{:.2f}"),
    ("update median (µs)", "update_us", "{:.1f}"), ("update p99 (µs)", "update_p99_us", "{:.1f}"),
    ("removal median (µs)", "remove_us", "{:.1f}"), ("removal p99 (µs)", "remove_p99_us", "{:.1f}"),
    ("snapshot size (MB)", "snapshot_mb", "{:.1f}"), ("snapshot save (s)", "save_s", "{:.2f}"),
    ("snapshot load (s)", "load_s", "{:.2f}"),
]


def _worker(args: tuple[int, list[str], str]) -> dict[str, float]:
    return run_size(*args)


def _writer(args: tuple[int, int, str]) -> list[str]:
    return write_roster(*args)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=600)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    results = []
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="name-index-") as scratch:
        for size in sizes:
            rows = str(Path(scratch) / f"roster-{size}.pickle")
            with context.Pool(1) as pool:
                queries = pool.apply(_writer, ((size, args.queries, rows),))
            with context.Pool(1) as pool:
                results.append(pool.apply(_worker, ((size, queries, rows),)))
    print(f"{'measure':<40}" + "".join(f"{size:>12,}" for size in sizes))
    for label, key, form in ROWS:
        print(f"{label:<40}" + "".join(f"{form.format(result[key]):>12}" for result in results))


if __name__ == "__main__":
    main()
