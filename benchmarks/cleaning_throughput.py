"""Cleaning throughput in docs/s: short reviews, support emails and transcripts.

Texts are the labeled corpus's (data/labeled/*.jsonl), each cleaned once per run: no text is
repeated, since repeated texts would be served from the redactor's cache of recent texts and
overstate the rate. Runs in one process, then one process per core with multiprocessing; each
figure is the best of 3 runs (the machine is shared and noisy).

Run: python benchmarks/cleaning_throughput.py
"""

from __future__ import annotations

import json
import os
import time
from multiprocessing import Pool
from pathlib import Path

from touchtext.cleaning import clean_one

ROOT = Path(__file__).resolve().parents[1]


def _texts() -> dict[str, list[tuple[str, str | None]]]:
    """The labeled corpus's texts by source kind (review, ticket, transcript), each once."""
    by_source: dict[str, list[tuple[str, str | None]]] = {}
    for path in sorted((ROOT / "data" / "labeled").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            item = json.loads(line)
            by_source.setdefault(item["source"], []).append((item["text"], None))
    return dict(sorted(by_source.items()))


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
    cores = os.cpu_count() or 1
    print(f"{'source':<11} {'items':>7} {'words/item':>10} {'1 core docs/s':>14} {f'{cores} cores docs/s':>15}")
    for source, items in _texts().items():
        count = len(items)
        words = sum(len(t.split()) for t, _ in items) / len(items)
        _clean_all((source, items[:50]))  # warm-up: spaCy pipelines, regex and word caches
        one = count / _best_of(3, lambda items=items, source=source: _clean_all((source, items)))
        chunks = [(source, items[i::cores]) for i in range(cores)]
        with Pool(cores) as pool:
            pool.map(_clean_all, [(source, c[:20]) for _, c in chunks])
            many = count / _best_of(3, lambda pool=pool, chunks=chunks: pool.map(_clean_all, chunks))
        print(f"{source:<11} {count:>7} {words:>10.0f} {one:>14,.0f} {many:>15,.0f}")


if __name__ == "__main__":
    main()
