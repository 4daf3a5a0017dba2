"""`touchtext run` on a Dask cluster: the same pipeline, its partitions classified by many workers.

The input (CSV/TSV/JSONL, plain or gzip, one file or a glob; or Parquet files and datasets) is
read with `dask.dataframe`, with cells as `touchtext.io.read_table` gives them, and cut into
chunks of `partition_rows` rows numbered in input order. The plan (text column, source rule,
date/score/segment columns) is decided once from the first chunk, exactly as the local engine
does, and sent to every worker once, model included. Each worker classifies and counts its
chunks with `pipeline._process_chunk` and writes them as Parquet; the client merges the
per-chunk summary counts in input order and writes the same summary files as `run`. So rows,
row ids and counts equal the local engine's.

Needs the optional dependency: `pip install 'touchtext[dask]'`.
"""

from __future__ import annotations

import functools
import glob
import gzip
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import __version__, pipeline, schema
from ._parallel import available_cores
from .cleaning import CleaningSettings, Source
from .errors import ClusterError, InputError
from .model import TouchpointModel
from .progress import NoProgress, Progress
from .summaries import Period, SummaryCounts
from .taxonomy import Taxonomy

if TYPE_CHECKING:
    import pyarrow as pa
    from distributed import Client

__all__ = ["DEFAULT_PARTITION_ROWS", "ClusterError", "run_dask"]

DEFAULT_PARTITION_ROWS = pipeline.DEFAULT_CHUNK_ROWS
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler (and for it to have a worker) before giving up
ROW_FOLDERS = ("classified", "mentions")  # Parquet folders written beside the summary files

_DELIMITED = (".csv", ".tsv", ".txt")
_JSON_LINES = (".jsonl", ".ndjson")
_PARQUET = (".parquet", ".pq")
_INSTALL_HINT = "pip install 'touchtext[dask]'"


@dataclass(frozen=True)
class _Input:
    """What to read: the format and the paths (files in name order, or one Parquet dataset folder)."""

    kind: str  # delimited / jsonl / parquet
    paths: tuple[str, ...]
    compressed: bool
    shown: str  # the input as the user gave it, for messages and the report


@dataclass(frozen=True)
class _Piece:
    """One chunk: rows [start, stop) of input partition `part`; its first row's 1-based row id."""

    index: int
    part: int
    start: int
    stop: int
    first_row_id: int


def _require_dask() -> None:
    """Fail with the install command when the optional dependency is missing."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise ClusterError(
            f"--engine dask needs Dask, which is not installed ({exc.name} is missing); install it with "
            f"{_INSTALL_HINT}, or run without --engine dask."
        ) from exc


# -- reading ------------------------------------------------------------------------------------
def _suffix(path: str) -> tuple[str, bool]:
    """The format suffix of a path (lowercase, `.gz` stripped) and whether it is gzipped."""
    name = path.lower()
    compressed = name.endswith(".gz")
    return Path(name.removesuffix(".gz")).suffix, compressed


def _find_input(input_path: str | Path) -> _Input:
    """Resolve a file, a glob or a Parquet dataset folder to what `_read` needs."""
    shown = str(input_path)
    if glob.has_magic(shown):
        paths = sorted(p for p in glob.glob(shown, recursive=True) if Path(p).is_file())
        if not paths:
            raise InputError(
                f"No file matches {shown!r}; check the pattern (quote it, so the shell does not expand it)."
            )
    elif Path(shown).is_dir():
        if not any(Path(shown).rglob("*.parquet")):
            raise InputError(
                f"{shown!r} is a folder without .parquet files; give a Parquet dataset folder, a file, or a glob "
                "such as 'exports/*.csv'."
            )
        return _Input("parquet", (shown,), False, shown)
    elif not Path(shown).exists():
        raise InputError(f"Input file {shown!r} does not exist; check the path.")
    else:
        paths = [shown]
    suffixes = {_suffix(p) for p in paths}
    if len(suffixes) > 1:
        listed = ", ".join(sorted(s + (".gz" if c else "") for s, c in suffixes))
        raise InputError(f"{shown!r} matches files of different formats ({listed}); read one format per run.")
    suffix, compressed = suffixes.pop()
    return _Input(_kind(suffix, paths[0]), tuple(paths), compressed, shown)


def _kind(suffix: str, path: str) -> str:
    if suffix in _DELIMITED:
        return "delimited"
    if suffix in _JSON_LINES:
        return "jsonl"
    if suffix in _PARQUET:
        return "parquet"
    supported = ", ".join(_DELIMITED + _JSON_LINES + _PARQUET)
    raise InputError(
        f"{Path(path).name}: the Dask engine reads {supported} (optionally .gz) and Parquet dataset folders; "
        "convert it, or run it with --engine local."
    )


def _delimiter(path: str, compressed: bool) -> str:
    """The delimiter of a delimited file, judged from its first non-blank line (TSV: tab)."""
    if _suffix(path)[0] == ".tsv":
        return "\t"
    opener: Any = gzip.open if compressed else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace") as fh:
        header = next((line for line in fh if line.strip()), "")
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read(found: _Input, blocksize: int | str | None) -> Any:
    """The input as a dask DataFrame whose partitions hold the cells `io.read_table` would give:
    text of delimited files (empty cells missing, "NA" kept as text), JSON values as parsed."""
    import dask
    import dask.dataframe as dd

    compression = "gzip" if found.compressed else None
    blocks = None if found.compressed else blocksize  # a gzip stream cannot be split
    # Keep pandas' own string dtype (as io.read_table has), not Dask's pyarrow strings.
    with dask.config.set({"dataframe.convert-string": False}):
        if found.kind == "delimited":
            return dd.read_csv(
                list(found.paths), sep=_delimiter(found.paths[0], found.compressed), dtype=str,
                keep_default_na=False, na_values=[""], blocksize=blocks, compression=compression,
                encoding="utf-8-sig", skip_blank_lines=True,
            )  # fmt: skip
        if found.kind == "jsonl":
            return dd.read_json(
                list(found.paths), lines=True, orient="records", blocksize=blocks, compression=compression,
                dtype=False, convert_dates=False,
            )  # fmt: skip
        return dd.read_parquet(found.paths[0] if len(found.paths) == 1 else list(found.paths))


def _unreadable(found: _Input, exc: BaseException) -> InputError:
    return InputError(
        f"Could not read {found.shown} with Dask ({type(exc).__name__}: {exc}); check that the file is complete "
        "UTF-8 text, or run it with --engine local, which reads damaged rows as parse_error rows."
    )


_READ_ERRORS = (ValueError, UnicodeDecodeError, EOFError, OSError)  # pandas' ParserError is a ValueError


def _pieces(lengths: list[int], partition_rows: int) -> list[_Piece]:
    """Chunks of at most `partition_rows` rows, in input order, with global 1-based row ids."""
    pieces: list[_Piece] = []
    first_row = 1
    for part, rows in enumerate(lengths):
        for start in range(0, rows, partition_rows):
            pieces.append(_Piece(len(pieces), part, start, min(rows, start + partition_rows), first_row + start))
        first_row += rows
    return pieces


def _keyed(table: pd.DataFrame, first_row_id: int) -> pd.DataFrame:
    """Rows with touchtext's `row_id` prepended; clashing input columns get `_input` (as io.read_table)."""
    renames = schema.clashing_inputs(table.columns)
    out = table.rename(columns=renames).reset_index(drop=True)
    out.insert(0, schema.ROW_ID, range(first_row_id, first_row_id + len(out)))
    return out


# -- on the workers -----------------------------------------------------------------------------
def _arrow(df: pd.DataFrame) -> pa.Table:
    """A partition as an Arrow table whose text columns are `string` whatever pandas held them as,
    so every part file of a folder has the same schema."""
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, f in enumerate(table.schema):
        if pa.types.is_null(f.type) or pa.types.is_large_string(f.type):
            table = table.set_column(i, pa.field(f.name, pa.string()), table.column(i).cast(pa.string()))
    return table


def _mention_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A chunk's mention table with fixed dtypes, so every part file has the same schema."""
    return table.astype({schema.ROW_ID: "int64", "confidence": "float64", "sentiment_confidence": "float64",
                         "evidence_start": "Int64", "evidence_end": "Int64"})  # fmt: skip


def _write_part(df: pd.DataFrame, folder: Path, index: int) -> None:
    """Write part-NNNNN.parquet atomically (a temporary name, then a rename)."""
    import pyarrow.parquet as pq

    final = folder / f"part-{index:05d}.parquet"
    tmp = folder / f".{final.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        pq.write_table(_arrow(df), tmp)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _classify_piece(
    plan: pipeline._StreamPlan, part: pd.DataFrame, piece: _Piece, folders: dict[str, str]
) -> pipeline._ChunkOutput:
    """On a worker: classify and count one chunk, write its rows; return the counts without the rows."""
    table = _keyed(part.iloc[piece.start : piece.stop], piece.first_row_id)
    out = pipeline._process_chunk(plan, pipeline._Chunk(piece.index, table))
    assert out.classified is not None and out.mention_rows is not None  # the plan keeps the rows
    _write_part(out.classified, Path(folders["classified"]), piece.index)
    _write_part(_mention_frame(out.mention_rows), Path(folders["mentions"]), piece.index)
    return replace(out, classified=None, mention_rows=None)


def _first_rows(parts: list[pd.DataFrame], rows: int) -> pd.DataFrame:
    """The first `rows` rows of the input, from which the plan is decided."""
    return pd.concat(parts).head(rows) if len(parts) > 1 else parts[0].head(rows)


def _leading(parts: list[Any], lengths: list[int], rows: int) -> list[Any]:
    """The partitions holding the first `rows` rows (at least one)."""
    taken, total = [], 0
    for part, length in zip(parts, lengths, strict=True):
        taken.append(part)
        total += length
        if total >= rows:
            break
    return taken


# -- the cluster --------------------------------------------------------------------------------
def _connect(scheduler: str | None, workers: int | None, timeout: float) -> tuple[Client, Any]:
    """A client of the scheduler at `scheduler`, or of a new local cluster (returned to be closed)."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or available_cores(), threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)  # fmt: skip
        try:
            return Client(cluster), cluster
        except BaseException:
            cluster.close()
            raise
    try:
        client = Client(scheduler, timeout=timeout)
    except Exception as exc:  # refused, timed out, a bad address, or something that is not a scheduler
        raise ClusterError(
            f"Could not reach the Dask scheduler at {scheduler!r} within {timeout:g} s ({type(exc).__name__}: "
            f"{exc}); check the address (tcp://HOST:8786), that `dask scheduler` runs there and that this machine "
            "can reach that port."
        ) from exc
    try:
        _check_workers(client, scheduler, timeout)
    except BaseException:
        client.close()
        raise
    return client, None


def _check_workers(client: Client, scheduler: str, timeout: float) -> None:
    """Refuse a cluster without workers, or whose workers lack this touchtext version."""
    from importlib import metadata

    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError as exc:
        raise ClusterError(
            f"The Dask scheduler at {scheduler} has no workers (waited {timeout:g} s); start some with "
            f"`dask worker {scheduler}` on machines where touchtext {__version__} is installed."
        ) from exc
    found = client.run(metadata.version, "touchtext", on_error="return")
    wrong = {w: v for w, v in found.items() if v != __version__}
    if wrong:
        shown = ", ".join(f"{w} ({v if isinstance(v, str) else 'not installed'})" for w, v in sorted(wrong.items()))
        raise ClusterError(
            f"Every Dask worker needs touchtext {__version__} (this machine's version); these do not have it: "
            f"{shown}. Install it there (pip install 'touchtext[dask]=={__version__}') and restart the workers."
        )


def _commit_folder(tmp: Path, final: Path) -> None:
    """Put a finished folder in place of `final` (replacing an older one)."""
    old = None
    if final.exists() or final.is_symlink():
        old = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.old")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None and old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    elif old is not None:
        old.unlink()


def _check_parts(folder: Path, pieces: list[_Piece]) -> None:
    missing = [p.index for p in pieces if not (folder / f"part-{p.index:05d}.parquet").is_file()]
    if missing:
        raise ClusterError(
            f"{len(missing)} of {len(pieces)} partitions written by the workers are not in {folder} (first: "
            f"part-{missing[0]:05d}); --out must be a folder every worker and this machine share (a network or "
            "cluster filesystem), at the same path."
        )


def run_dask(
    input_path: str | Path,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    blocksize: int | str | None = None,
    text_column: str | None = None,
    model: TouchpointModel | str | Path | None = None,
    taxonomy: Taxonomy | None = None,
    source: Source = "auto",
    cleaning: CleaningSettings | None = None,
    date_column: str | None = None,
    period: Period | None = None,
    score_column: str | None = None,
    segments: tuple[str, ...] = (),
    alert: bool = False,
    progress: Progress | None = None,
    connect_timeout: float | None = None,
) -> pipeline.RunResult:
    """`run` on Dask: classify an export (or many) on a cluster and write Parquet plus the summaries.

    `input_path` is a CSV/TSV/JSONL file (plain or .gz), a glob of such files (read in name
    order), a Parquet file, or a Parquet dataset folder. Without `scheduler` a local cluster of
    `workers` processes (default: every core) is started and closed at the end; with it
    (`tcp://host:8786`) the run uses that cluster, whose workers need this touchtext version and
    must share `out_dir` with this machine. Writes `classified/part-NNNNN.parquet` and
    `mentions/part-NNNNN.parquet` (one part per chunk of at most `partition_rows` rows, in input
    order), then summary.csv, summary.json, summary.md and report.html as `run` does. Row ids,
    rows and counts equal those of `run`. Parquet folders appear only when the run succeeds.
    `blocksize` (e.g. "64MB") lets Dask split big uncompressed files; leave it unset for CSV
    with line breaks inside quoted cells.

    Example:
        >>> result = run_dask("exports/2026-*.csv.gz", "out/", scheduler="tcp://10.0.0.5:8786")  # doctest: +SKIP
        >>> pd.read_parquet("out/classified")["status"].value_counts()  # doctest: +SKIP
    """
    _require_dask()
    started = time.perf_counter()
    pipeline.check_chunk_rows(partition_rows)
    if workers is not None and workers < 1:
        raise InputError(f"workers must be at least 1 (got {workers}); leave it out to use every core.")
    found = _find_input(input_path)
    out = Path(out_dir)
    client, cluster = _connect(scheduler, workers, CONNECT_TIMEOUT if connect_timeout is None else connect_timeout)
    progress = progress or NoProgress()
    try:  # the cluster first, so a bad address fails before the model is loaded
        fitted, card = pipeline._resolve_model(model)
        taxonomy = pipeline._taxonomy_for(card, taxonomy)
        make_plan = functools.partial(
            pipeline._plan, model=fitted, text_column=text_column, source=source, cleaning=cleaning,
            files=frozenset(), taxonomy=taxonomy, date_column=date_column, score_column=score_column,
            segments=segments, keep_rows=True,
        )  # fmt: skip
        total, stats = _classify_on(client, found, out, make_plan, partition_rows, blocksize, progress)
    finally:
        progress.close()
        client.close()
        if cluster is not None:
            cluster.close()
    stats = replace(stats, seconds=time.perf_counter() - started)
    return pipeline._finish(total, stats, out, taxonomy=taxonomy, input_name=Path(found.shown).name,
                            model_name=str(card.get("name", "")), period=period, alert=alert)  # fmt: skip


def _classify_on(
    client: Client,
    found: _Input,
    out: Path,
    make_plan: Callable[[pd.DataFrame], pipeline._StreamPlan],
    partition_rows: int,
    blocksize: int | str | None,
    progress: Progress,
) -> tuple[SummaryCounts, pipeline.StreamStats]:
    """Read, plan, classify every chunk on the cluster and put the row folders in place; return
    the merged counts and what happened to the rows."""
    from dask import delayed

    try:
        parts = _read(found, blocksize).to_delayed()
        lengths = [int(n) for n in client.gather(client.compute([delayed(len)(p) for p in parts]))]
        if not sum(lengths):  # as the local engine
            raise InputError(f"{found.shown} has a header row but no data rows; there is nothing to classify.")
        sample = pipeline.plan_rows(partition_rows)  # as many leading rows as the local engine plans on
        first = client.compute(delayed(_first_rows)(_leading(parts, lengths, sample), sample))
        first_chunk = _keyed(first.result(), 1)
    except _READ_ERRORS as exc:
        raise _unreadable(found, exc) from exc
    plan = make_plan(first_chunk)  # decided once, from the leading rows, as the local engine does
    pieces = _pieces(lengths, partition_rows)
    out.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    temps = {name: out / f".{name}.{token}.tmp" for name in ROW_FOLDERS}
    futures: list[Any] = []
    try:
        for folder in temps.values():
            folder.mkdir()
        shared = client.scatter(plan, broadcast=True, hash=False)  # the model travels once per worker
        folders = {name: str(path) for name, path in temps.items()}
        futures = client.compute([delayed(_classify_piece)(shared, parts[p.part], p, folders) for p in pieces])
        total, stats = _merge_in_order(futures, found, progress)
        for name, folder in temps.items():
            _check_parts(folder, pieces)
            _commit_folder(folder, out / name)
    except BaseException:
        client.cancel(futures)
        for folder in temps.values():
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return total, replace(stats, outputs={name: out / name for name in ROW_FOLDERS})


def _merge_in_order(
    futures: list[Any], found: _Input, progress: Progress
) -> tuple[SummaryCounts, pipeline.StreamStats]:
    """Merge the chunks' counts in input order (as the local engine does) as they complete."""
    from distributed import as_completed

    done: dict[int, pipeline._ChunkOutput] = {}
    tally = pipeline._Tally()
    merged = 0
    for future in as_completed(futures):
        try:
            result = future.result()
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:  # a later partition is damaged
            raise _unreadable(found, exc) from exc
        done[result.index] = result
        while merged in done:
            tally.add(done.pop(merged))
            merged += 1
            progress.update(tally.rows, merged / len(futures))
    assert tally.counts is not None  # an input has at least one row, so one chunk, counted
    return tally.counts, tally.stats()
