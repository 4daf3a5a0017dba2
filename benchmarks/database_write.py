"""Writing classified reviews into a results database: rows/s for SQLite and PostgreSQL.

The 340 sample reviews are classified once with the shipped model and replicated to N rows
with new review ids (so the text, mentions and dates repeat; every id is new). Each backend
gets a fresh database; the figures are one run each (the machine is shared and noisy):

- write: `touchtext.database.write_results` of all N rows, 1,000 per transaction (items,
  mentions and the daily counts behind the period view), from an empty database;
- rerun: the same N rows again, which stores nothing (every id is already there);
- read: `read_classified` of all N items, as `touchtext summarize --from-db` does.

PostgreSQL: `--postgres URL` or TOUCHTEXT_TEST_POSTGRES_URL (a role that may create databases);
without one only SQLite is measured.

Run: python benchmarks/database_write.py [N] [--postgres postgresql://USER@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from touchtext import database, schema
from touchtext.io import read_table
from touchtext.model import load_model
from touchtext.pipeline import classify

ROOT = Path(__file__).resolve().parents[1]


def _rows(n: int) -> tuple[pd.DataFrame, dict[str, object], float]:
    """N classified rows, the model card, and mentions per review."""
    model, card = load_model()
    sample = classify(read_table(ROOT / "data" / "samples" / "reviews.csv"), model=model)
    copies = -(-n // len(sample))
    parts = [sample.assign(review_id=sample["review_id"] + f"-{i}") for i in range(copies)]
    rows = pd.concat(parts, ignore_index=True).head(n)
    rows[database.ITEM_ID] = rows["review_id"]
    return rows, card, len(schema.mention_table(sample)) / len(sample)


@contextmanager
def _databases(postgres: str | None) -> Iterator[list[tuple[str, str]]]:
    """A fresh SQLite file and, given a server, a fresh PostgreSQL database; removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        targets = [("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}")]
        if postgres is None:
            yield targets
            return
        server = database.database_url(postgres)
        name = f"touchtext_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            targets.append(("PostgreSQL", server.set(database=name).render_as_string(hide_password=False)))
            yield targets
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("TOUCHTEXT_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    rows, card, per_review = _rows(args.n)
    print(f"{len(rows):,} classified reviews (the 340-review sample classified once, replicated with new ids; "
          f"{per_review:.1f} mentions per review), 1,000 rows per transaction")  # fmt: skip
    if args.postgres is None:
        print("PostgreSQL: skipped (give --postgres URL or set TOUCHTEXT_TEST_POSTGRES_URL)")
    info = database.RunInfo(input="benchmark", date_column="date", score_column="rating",
                            model_sha256=str(card["model_sha256"]))  # fmt: skip
    print(f"{'backend':<11} {'write rows/s':>13} {'write s':>8} {'rerun rows/s':>13} {'read rows/s':>12}")
    with _databases(args.postgres) as targets:
        for backend, url in targets:
            started = time.perf_counter()
            counts = database.write_results(rows, url, info=info)
            write = time.perf_counter() - started
            assert counts.inserted == len(rows), counts
            started = time.perf_counter()
            again = database.write_results(rows, url, info=info)
            rerun = time.perf_counter() - started
            assert again.inserted == 0, again
            started = time.perf_counter()
            back = database.read_classified(url)
            read = time.perf_counter() - started
            assert len(back) == len(rows)
            print(f"{backend:<11} {len(rows) / write:>13,.0f} {write:>8.1f} {len(rows) / rerun:>13,.0f} "
                  f"{len(rows) / read:>12,.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
