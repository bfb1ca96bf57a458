"""Benchmark of the warm name index's own costs: build, memory, resolve latency, removal and update,
and saving/loading its snapshot, so the costs can be compared across roster sizes (10k vs 1M).

Uses the synthetic roster and query mix of benchmarks/name_resolution.py (which measures accuracy
against a brute-force baseline). Each size runs in its own process, so peak memory is per size.

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
import time
from collections.abc import Sequence

from benchmarks.name_resolution import full_name, make_queries, make_roster, percentile, rss_mb
from bot.names import NameIndex, NameRecord, resolve

CHANGES = 5000  # removals and updates timed per size, a search after every 100 as during a sync


def run_size(size: int, query_count: int) -> dict[str, float]:
    records = make_roster(size)
    queries = make_queries(records, [full_name(record) for record in records], query_count)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    index = NameIndex(records)
    build = time.perf_counter() - started
    index.search("warm up")
    index_mb = rss_mb() - before

    latencies = []
    for query in queries:
        started = time.perf_counter()
        resolve(query.text, [index])
        latencies.append((time.perf_counter() - started) * 1000)

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
        "build_s": build, "index_mb": index_mb, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
        "update_us": statistics.median(update_us), "update_p99_us": percentile(update_us, 0.99),
        "remove_us": statistics.median(remove_us), "remove_p99_us": percentile(remove_us, 0.99),
        "snapshot_mb": len(saved) / 2**20, "save_s": save, "load_s": load,
    }


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
    ("index build (s)", "build_s", "{:.2f}"), ("index memory (MB, RSS growth)", "index_mb", "{:.0f}"),
    ("peak process RSS (MB, roster included)", "peak_mb", "{:.0f}"),
    ("resolve p50 (ms)", "p50_ms", "{:.2f}"), ("resolve p99 (ms)", "p99_ms", "{:.2f}"),
    ("update median (µs)", "update_us", "{:.1f}"), ("update p99 (µs)", "update_p99_us", "{:.1f}"),
    ("removal median (µs)", "remove_us", "{:.1f}"), ("removal p99 (µs)", "remove_p99_us", "{:.1f}"),
    ("snapshot size (MB)", "snapshot_mb", "{:.1f}"), ("snapshot save (s)", "save_s", "{:.2f}"),
    ("snapshot load (s)", "load_s", "{:.2f}"),
]


def _worker(args: tuple[int, int]) -> dict[str, float]:
    return run_size(*args)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=600)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    results = []
    context = multiprocessing.get_context("spawn")
    for size in sizes:
        with context.Pool(1) as pool:
            results.append(pool.apply(_worker, ((size, args.queries),)))
    print(f"{'measure':<40}" + "".join(f"{size:>12,}" for size in sizes))
    for label, key, form in ROWS:
        print(f"{label:<40}" + "".join(f"{form.format(result[key]):>12}" for result in results))


if __name__ == "__main__":
    main()
