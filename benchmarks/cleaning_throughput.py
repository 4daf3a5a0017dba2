"""Cleaning throughput in docs/s: short reviews, support emails and transcripts.

Texts come from data/samples/ (repeated to N items). Runs in one process, then one process per
core with multiprocessing; each figure is the best of 3 runs (the machine is shared and noisy).

Run: python benchmarks/cleaning_throughput.py [N]
"""

from __future__ import annotations

import json
import os
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import pandas as pd

from touchtext.cleaning import clean_one

ROOT = Path(__file__).resolve().parents[1]


def _texts() -> dict[str, list[tuple[str, str | None]]]:
    reviews = pd.read_csv(ROOT / "data" / "samples" / "reviews.csv", dtype=str, keep_default_na=False)
    short = [(t, None) for t in reviews["review_text"] if 0 < len(t.split()) <= 40]
    tickets = [json.loads(line) for line in (ROOT / "data" / "samples" / "tickets.jsonl").read_text().splitlines()]
    calls = [json.loads(line) for line in (ROOT / "data" / "samples" / "transcripts.jsonl").read_text().splitlines()]
    return {
        "review": short,
        "ticket": [(t["body"], t["subject"]) for t in tickets],
        "transcript": [(c["transcript"], None) for c in calls],
    }


def _clean_all(args: tuple[str, list[tuple[str, str | None]]]) -> int:
    source, items = args
    for text, subject in items:
        clean_one(text, source, subject=subject)
    return len(items)


def _best_of(runs: int, work) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    cores = os.cpu_count() or 1
    print(f"{'source':<11} {'items':>7} {'words/item':>10} {'1 core docs/s':>14} {f'{cores} cores docs/s':>15}")
    for source, pool_items in _texts().items():
        count = n if source == "review" else max(n // 10, 200)
        items = (pool_items * (count // len(pool_items) + 1))[:count]
        words = sum(len(t.split()) for t, _ in items) / len(items)
        _clean_all((source, items[:50]))  # warm-up: spaCy pipelines, regex caches
        one = count / _best_of(3, lambda items=items, source=source: _clean_all((source, items)))
        chunks = [(source, items[i::cores]) for i in range(cores)]
        with Pool(cores) as pool:
            pool.map(_clean_all, [(source, c[:20]) for _, c in chunks])
            many = count / _best_of(3, lambda pool=pool, chunks=chunks: pool.map(_clean_all, chunks))
        print(f"{source:<11} {count:>7} {words:>10.0f} {one:>14,.0f} {many:>15,.0f}")


if __name__ == "__main__":
    main()
