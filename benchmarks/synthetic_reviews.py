"""Synthetic review exports for throughput benchmarks: N reviews of about 40 words each (mean 40.2,
median 40 at the default seed; before 2026-11-24 every review ran to at least 40, mean 47).

Each review is stitched from sentences of the labeled corpus's reviews (all eight
industries), with a date, a location, a channel and a rating.
The rows are reproducible from the seed.

    python benchmarks/synthetic_reviews.py 100000 /tmp/reviews_100k.csv
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCATIONS = ["Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "York", "Bath", "Derby"]
CHANNELS = ["Google", "App survey", "Trustpilot", "Email survey"]


def sentence_pool() -> list[tuple[str, int]]:
    """Every sentence of the labeled corpus's reviews with its item's rating (3 where none is given)."""
    pool = []
    for path in sorted((ROOT / "data" / "labeled").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item.get("source") != "review":
                continue
            rating = int(item.get("rating") or 3)
            text = re.sub(r"\s+", " ", item["text"])
            for sentence in re.split(r"(?<=[.!?])\s+", text):
                if 3 <= len(sentence.split()) <= 40 and ":" not in sentence[:12]:
                    pool.append((sentence, rating))
    return pool


def write_reviews(n: int, path: str | Path, *, seed: int = 7, words: int = 40) -> Path:
    """Write `n` synthetic reviews (about `words` words each) to `path` (CSV, gzip when it ends in .gz)."""
    rng = random.Random(seed)
    pool = sentence_pool()
    start = date(2024, 1, 1)
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review_id", "date", "location", "channel", "rating", "review_text"])
        for i in range(n):
            parts, count, ratings = [], 0, []
            while count < words:
                sentence, rating = pool[rng.randrange(len(pool))]
                length = len(sentence.split())
                if parts and count + length - words > words - count:
                    break  # stop at whichever side of `words` is nearer: the mean stays at `words`
                parts.append(sentence)
                ratings.append(rating)
                count += length
            day = start + timedelta(days=rng.randrange(700))
            writer.writerow([f"S-{i + 1:07d}", day.isoformat(), rng.choice(LOCATIONS), rng.choice(CHANNELS),
                             round(sum(ratings) / len(ratings)), " ".join(parts)])  # fmt: skip
    return path


if __name__ == "__main__":
    write_reviews(int(sys.argv[1]), sys.argv[2])
