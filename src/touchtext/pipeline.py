"""The end-to-end flow: read -> clean -> classify -> summarize -> write.

`classify` and `summarize` work on DataFrames; `run` streams a file through them in chunks,
on every core, and writes every output atomically.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import json
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import schema
from ._langid import LANGUAGE_NAMES, LATIN_LANGUAGES, UNDETERMINED, leans_to
from ._parallel import available_cores, memory_kept_low, ordered_map
from .cleaning import TRUNCATED_NOTE, CleaningSettings, Source, SourceRule, clean, source_rule
from .drivers import detect_score_column
from .errors import InputError, TouchtextError
from .io import (
    AppendingCsv,
    ReadResult,
    TableChunks,
    commit_all,
    detect_text_column,
    format_csv_bytes,
    iter_table_chunks,
    read_table,
    write_csv,
    write_text,
)
from .model import TouchpointModel, file_sha256, load_model, mentions_to_columns
from .progress import NoProgress, Progress
from .report import render_report_html, render_summary_markdown, render_terminal_table
from .summaries import Period, SummaryCounts, SummaryTables, alerts, detect_date_column
from .taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:  # imported where used: worker processes need not load SQLAlchemy (~26 MB)
    from . import database

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "OUTPUT_FILES",
    "SUMMARY_FILES",
    "RunResult",
    "StreamStats",
    "check_chunk_rows",
    "classify",
    "classify_file",
    "read_classified",
    "run",
    "run_to_db",
    "summarize_db",
    "summarize_file",
    "write_summaries",
]

SUMMARY_FILES = ("summary.csv", "summary.json", "summary.md", "report.html")
OUTPUT_FILES = ("classified.csv", "mentions.csv", "sentences.csv", "errors.csv", *SUMMARY_FILES)
ALERT_TEST = "one-sided exact binomial vs pooled earlier periods, Bonferroni-corrected, at least 3 negative items"


_SKIP_REASONS = {
    schema.STATUS_EMPTY: "no text after cleaning",
    schema.STATUS_AUTO_REPLY: "automatic reply (out of office); not analysed",
}


def _take_model_language(cleaned: pd.DataFrame, texts: list[str], model_language: str) -> None:
    """Give the model's language to the rows detected in another Latin-script language whose text
    still leans to the model's (`leans_to`): they are classified, not skipped as unsupported."""
    detected = cleaned[schema.LANGUAGE].tolist()
    taken = [
        i
        for i, (language, text) in enumerate(zip(detected, texts, strict=True))
        if language != model_language and language in LATIN_LANGUAGES and leans_to(text, model_language)
    ]
    if taken:
        cleaned.loc[taken, schema.LANGUAGE] = model_language


def _skipped(cleaned: pd.DataFrame, text_column: str, model_language: str) -> list[tuple[str, str] | None]:
    """(status, reason) for each row the model does not classify, None for rows it does."""
    out: list[tuple[str, str] | None] = []
    covered = LANGUAGE_NAMES.get(model_language, model_language)
    columns = [text_column, schema.CLEAN_STATUS, schema.CLEAN_NOTES, schema.LANGUAGE]
    for raw, status, notes, language in zip(*(cleaned[c] for c in columns), strict=True):
        if status == schema.STATUS_PARSE_ERROR:
            out.append((status, f"the input row could not be parsed ({notes})"))
        elif status == schema.STATUS_EMPTY:
            out.append((status, _empty_reason(raw, notes)))
        elif status in _SKIP_REASONS:
            out.append((status, _SKIP_REASONS[status]))
        elif language not in (model_language, UNDETERMINED):
            name = LANGUAGE_NAMES.get(language, language)
            reason = f"written in {name} ({language}); the model covers {covered} ({model_language}) only"
            out.append((schema.STATUS_UNSUPPORTED_LANGUAGE, reason))
        else:
            out.append(None)
    return out


def _empty_reason(raw: object, notes: str) -> str:
    if raw is None or (isinstance(raw, float) and pd.isna(raw)) or (isinstance(raw, str) and not raw.strip()):
        return "the text cell is empty or missing"
    if not isinstance(raw, str):
        shown = repr(raw) if len(repr(raw)) <= 40 else repr(raw)[:40] + "…"
        return f"the text cell holds {type(raw).__name__} {shown}, not text"
    if "no_words" in notes.split("|"):
        return "no words to classify after cleaning (only emoji, symbols or punctuation)"
    return _SKIP_REASONS[schema.STATUS_EMPTY]


def _truncated(notes: str, length: int, found: list[Any]) -> tuple[str, str]:
    """Status and reason of a classified text that was cut to the length limit."""
    original = re.search(re.escape(TRUNCATED_NOTE) + r"(\d+)", notes)
    size = f"{int(original.group(1)):,}" if original else "more than the limit"
    outcome = ("touchpoints: " + ", ".join(m.touchpoint for m in found)) if found else (
        "no touchpoint above its decision threshold")  # fmt: skip
    return schema.STATUS_TOO_LONG, f"truncated from {size} to {length:,} characters; {outcome}"


def _resolve_model(model: TouchpointModel | str | Path | None) -> tuple[TouchpointModel, dict[str, Any]]:
    if isinstance(model, TouchpointModel):
        return model, {}
    return load_model(model)


def classify(
    df: pd.DataFrame,
    *,
    text_column: str | None = None,
    model: TouchpointModel | str | Path | None = None,
    source: Source | Sequence[str] = "auto",
    cleaning: CleaningSettings | None = None,
    explain: int = 0,
) -> pd.DataFrame:
    """Clean and classify every row of `df` into touchpoints with a sentiment per touchpoint.

    Returns a new DataFrame: the input columns plus `row_id` (if absent), the cleaning columns
    (`clean_text`, `source_kind`, `clean_status`, `clean_notes`, `text_rating`,
    `pii_redacted`, `language`), `status` (ok / unclear = no touchpoint above its threshold /
    too_long_truncated = cut to the length limit, then classified / empty / auto_reply /
    unsupported_language = not in the model's language, not classified / parse_error = a row
    the reader could not parse), `status_reason` (why, for every status but ok), `touchpoints`,
    `sentiments`, `confidence`, `mentions` (JSON with evidence spans into `clean_text` and each
    evidence sentence's sentiment), `needs_review` and `review_reason`; with `explain` > 0 also
    `explanation` (that many top contributing terms per touchpoint). Row order and count are kept;
    an input column named like an added one is kept as `<name>_input` (a `row_id` is used as given).

    Example:
        >>> out = classify(pd.DataFrame({"text": ["Charged twice for parking!"]}))
        >>> out.loc[0, "sentiments"]  # doctest: +SKIP
        'billing:negative|parking:negative'
    """
    return _classify(df, text_column=text_column, model=model, source=source, cleaning=cleaning, explain=explain)[0]


# What `classify` adds beside `row_id` (kept when given) and the reader's `parse_error` mark.
_ADDED_BY_CLASSIFY = frozenset(schema.ADDED_COLUMNS) - {schema.ROW_ID, schema.PARSE_ERROR}


def _classify(
    df: pd.DataFrame,
    *,
    text_column: str | None,
    model: TouchpointModel | str | Path | None,
    source: Source | Sequence[str],
    cleaning: CleaningSettings | None,
    explain: int,
) -> tuple[pd.DataFrame, schema.MentionRows]:
    """`classify`, and the mentions of its MENTIONS cells as flat columns (kept while they are made,
    so a streamed run builds its mention and sentence tables without reading the JSON back)."""
    fitted, _ = _resolve_model(model)
    df, text_column = schema.set_aside_clashes(df, _ADDED_BY_CLASSIFY, text_column)
    column = detect_text_column(df, text_column)
    out = df.reset_index(drop=True).copy()
    if schema.ROW_ID not in out.columns:
        out.insert(0, schema.ROW_ID, range(1, len(out) + 1))
    out = clean(out, text_column=column, source=source, settings=cleaning)
    texts = out[schema.CLEAN_TEXT].tolist()
    model_language = fitted.processor.settings.lang
    if model_language != "en":  # detection leans to English, the default: take back the model's texts
        _take_model_language(out, texts, model_language)
    skipped = _skipped(out, column, model_language)
    analysed = [skip is None for skip in skipped]
    predictions = iter(fitted.predict_items([t for t, ok in zip(texts, analysed, strict=True) if ok], explain=explain))
    mentions = schema.MentionRows()
    no_mentions = mentions_to_columns([], None, mentions)
    # The added columns, built column by column: (status, reason), the mention cells, review flag and reason.
    statuses: list[tuple[str, str]] = []
    cells: list[tuple[str, str, str, str]] = []
    needs_review: list[bool] = []
    review_reasons: list[str] = []
    explanations: list[str] = []  # "" for rows not classified
    for row_id, skip, notes, text in zip(out[schema.ROW_ID].tolist(), skipped, out[schema.CLEAN_NOTES].tolist(),
                                         texts, strict=True):  # fmt: skip
        if skip is not None:
            statuses.append(skip)
            cells.append(no_mentions)
            needs_review.append(False)
            review_reasons.append("")
            explanations.append("")
            continue
        item = next(predictions)
        cells.append(mentions_to_columns(item.mentions, row_id, mentions))
        needs_review.append(item.needs_review)
        review_reasons.append("; ".join(item.review_reasons))
        if TRUNCATED_NOTE in notes:
            statuses.append(_truncated(notes, len(text), item.mentions))
        elif item.mentions:
            statuses.append((schema.STATUS_OK, ""))
        else:
            statuses.append((schema.STATUS_UNCLEAR, "no touchpoint above its decision threshold"))
        if explain:
            explanations.append(" | ".join(f"{tp}: {', '.join(terms)}" for tp, terms in item.explanations.items()))
    columns = list(schema.CLASSIFICATION_COLUMNS) + ([schema.EXPLANATION] if explain else [])
    if not statuses:  # no rows: the empty columns keep the object dtype they always had
        return pd.concat([out, pd.DataFrame.from_records([], columns=columns)], axis=1), mentions
    status, reason = (list(c) for c in zip(*statuses, strict=True))
    touchpoints, sentiments, confidence, encoded = (list(c) for c in zip(*cells, strict=True))
    values = [status, reason, touchpoints, sentiments, confidence, encoded, needs_review, review_reasons]
    added = pd.DataFrame(dict(zip(columns, [*values, explanations] if explain else values, strict=True)))
    return pd.concat([out, added], axis=1), mentions


# -- streaming runs ------------------------------------------------------------------------
DEFAULT_CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class _CountSpec:
    """What each chunk is counted with for the summaries (decided once, from the first chunk)."""

    taxonomy: Taxonomy
    date_column: str | None
    score_column: str | None
    segments: tuple[str, ...]


@dataclass(frozen=True)
class _StreamPlan:
    """Everything a worker needs to turn a chunk of input rows into output rows and counts."""

    model: TouchpointModel
    text_column: str
    sources: SourceRule
    cleaning: CleaningSettings | None
    explain: int
    counts: _CountSpec | None  # None: no summaries (classify)
    files: frozenset[str]  # which row-level files to format: classified / mentions / sentences
    keep_rows: bool = False  # also return the classified DataFrame (to store it in a database)
    parts: Path | None = None  # write each chunk's CSV to a file in this folder instead of returning it


@dataclass(frozen=True)
class _Chunk:
    index: int
    table: pd.DataFrame


@dataclass(frozen=True)
class _ChunkOutput:
    """A classified chunk as CSV (UTF-8) per row-level file, or the files holding that CSV, plus
    its summary counts."""

    index: int
    rows: int
    columns: tuple[str, ...]
    csv: dict[str, bytes]
    counts: SummaryCounts | None
    status: Counter[str]
    needs_review: int
    classified: pd.DataFrame | None = None  # kept only when the caller needs the rows (databases, Dask)
    mention_rows: pd.DataFrame | None = None  # their mention table, likewise
    parts: dict[str, Path] = field(default_factory=dict)  # row-level file -> the part file holding its CSV


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, restoring its state after. A chunk makes millions
    of short-lived objects, freed by reference counting, and the collector's passes over them
    cost about a tenth of the chunk's time; the few cycles made meanwhile wait for its next pass."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _long_lived_objects_frozen() -> Iterator[None]:
    """Keep the objects alive now (the libraries, the model) out of the cyclic garbage
    collector's full passes while a run streams, restoring them after. The rows read in flight
    trigger a full pass every few chunks, and each pass walked the model: in a 300k-row run,
    14 passes took 1.7 s of this process's 7 s. Left alone if anything is frozen already."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _process_chunk(plan: _StreamPlan, chunk: _Chunk) -> _ChunkOutput:
    """Clean, classify and count one chunk; format its rows for each output file (in the worker,
    so formatting runs in parallel too)."""
    with _cyclic_gc_paused():
        return _chunk_output(plan, chunk)


def _chunk_output(plan: _StreamPlan, chunk: _Chunk) -> _ChunkOutput:
    classified, decoded = _classify(
        chunk.table, text_column=plan.text_column, model=plan.model, source=plan.sources.kinds(chunk.table),
        cleaning=plan.cleaning, explain=plan.explain,
    )  # fmt: skip
    header = chunk.index == 0
    table = schema.mention_table(classified, decoded=decoded)
    csv: dict[str, bytes] = {}  # UTF-8: pickled to the parent at a fraction of a wide str's size
    if "classified" in plan.files:
        csv["classified"] = format_csv_bytes(classified, header=header)
    if "mentions" in plan.files:
        csv["mentions"] = format_csv_bytes(table, header=header)
    if "sentences" in plan.files:
        csv["sentences"] = format_csv_bytes(schema.sentence_table(classified, decoded=decoded), header=header)
    parts: dict[str, Path] = {}
    if plan.parts is not None:  # the rows go to part files, which the parent appends
        parts, csv = _write_parts(plan.parts, chunk.index, csv), {}
    counts = None
    if plan.counts is not None:
        spec = plan.counts
        counts = SummaryCounts.from_classified(
            classified, taxonomy=spec.taxonomy, date_column=spec.date_column, score_column=spec.score_column,
            segments=spec.segments, language=plan.model.processor.settings.lang, mention_table=table, detect=False,
        )  # fmt: skip
    return _ChunkOutput(
        index=chunk.index, rows=len(classified), columns=tuple(str(c) for c in classified.columns), csv=csv,
        counts=counts, status=Counter(classified[schema.STATUS].astype(str).tolist()),
        needs_review=int(classified[schema.NEEDS_REVIEW].sum()),
        classified=classified if plan.keep_rows else None,
        mention_rows=table if plan.keep_rows else None, parts=parts,
    )  # fmt: skip


def _write_parts(folder: Path, index: int, csv: dict[str, bytes]) -> dict[str, Path]:
    """Write a chunk's CSV per row-level file into `folder`, for the parent to append to the
    outputs: the bytes then go from this worker to the disk, not through a pipe to the parent."""
    parts = {}
    for name, data in csv.items():
        part = parts[name] = folder / f"{index}.{name}.csv"
        with open(part, "wb") as fh:
            fh.write(data)
    return parts


@dataclass(frozen=True)
class StreamStats:
    """What a streamed run did: rows by status, rows needing review, unparseable input lines."""

    rows: int = 0
    status: dict[str, int] = field(default_factory=dict)
    needs_review: int = 0
    unparsed_lines: tuple[int, ...] = ()  # input line numbers of the rows that could not be parsed
    outputs: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Tally:
    """What the processed chunks add up to, merged in input order: summary counts and row stats."""

    counts: SummaryCounts | None = None
    status: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    needs_review: int = 0

    def add(self, out: _ChunkOutput) -> None:
        if out.counts is not None:
            part = out.counts
            if self.counts is None:  # a total of its own: the chunk's counts stay as they were
                self.counts = SummaryCounts(part.taxonomy, part.date_column, part.score_column, part.segments)
            self.counts.absorb(part)  # in place: merging costs the chunk's size, not the total's
        self.status.update(out.status)
        self.rows += out.rows
        self.needs_review += out.needs_review

    def stats(self, **more: Any) -> StreamStats:
        return StreamStats(self.rows, dict(self.status), self.needs_review, **more)


def _chunk_tasks(
    chunks: Iterable[ReadResult],
    errors: AppendingCsv | None,
    unparsed: list[int],
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None,
) -> Iterator[_Chunk]:
    """The input as numbered chunks; the rows that could not be parsed go to `errors` as read."""
    for index, read in enumerate(chunks):
        unparsed.extend(int(line) for line in read.errors["line"])
        if errors is not None:
            errors.append(read.errors)
        yield _Chunk(index, read.table if prepare is None else prepare(read.table))


PLAN_ROWS = 1_000  # columns are detected on at least this many leading rows (or the first chunk, if larger)


def plan_rows(chunk_rows: int) -> int:
    """How many leading rows a streamed run (local or Dask) decides its plan on."""
    return max(chunk_rows, PLAN_ROWS)


def _share_done(rows_done: int, chunks: TableChunks) -> float:
    """The share of the input processed: rows done over the rows the file holds, estimated from
    the rows read so far per share of its bytes (reading runs a few chunks ahead)."""
    read = chunks.fraction_read
    if read <= 0 or chunks.rows_read <= 0:
        return 0.0
    return min(rows_done / (chunks.rows_read / read), 1.0)


def _read_head(reading: Iterator[ReadResult], chunk_rows: int) -> list[ReadResult]:
    """The leading chunks to decide the plan on: at least PLAN_ROWS rows, and at least two chunks
    when there are two (so a one-chunk input is known to be one)."""
    head: list[ReadResult] = []
    needed, rows = plan_rows(chunk_rows), 0
    for read in reading:  # the reader refuses an input without rows, so there is at least one chunk
        head.append(read)
        rows += len(read.table)
        if len(head) >= 2 and rows >= needed:
            break
    return head


def _plan_sample(head: list[ReadResult], chunk_rows: int) -> pd.DataFrame:
    """The leading rows the plan is decided on: the first chunk, or PLAN_ROWS rows if more."""
    table = pd.concat([r.table for r in head], ignore_index=True) if len(head) > 1 else head[0].table
    return table.iloc[: plan_rows(chunk_rows)]


def _first_table(input_path: str | Path, *, chunk_rows: int, sheet: str | None) -> pd.DataFrame:
    """The leading rows of an input that a streamed run decides its plan on."""
    with iter_table_chunks(input_path, chunk_rows=chunk_rows, sheet=sheet) as chunks:
        return _plan_sample(_read_head(iter(chunks), chunk_rows), chunk_rows)


def _stream(
    input_path: str | Path,
    files: dict[str, Path],
    *,
    make_plan: Callable[[pd.DataFrame], _StreamPlan],
    jobs: int | None,
    chunk_rows: int,
    progress: Progress | None,
    sheet: str | None,
    strict: bool,
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    on_chunk: Callable[[_ChunkOutput], None] | None = None,
) -> tuple[StreamStats, SummaryCounts | None, _StreamPlan]:
    """Read `input_path` chunk by chunk, process the chunks in `jobs` processes (in input order)
    and append their rows to `files` (classified / mentions / sentences / errors -> path).

    `prepare` picks and keys each chunk's rows before they are processed; `on_chunk` receives
    each processed chunk in order. The files are written beside their paths and renamed into
    place together at the end; if anything fails or the run is interrupted, no file at those
    paths is touched. Worker processes write their chunks' rows to part files in a hidden folder
    beside the outputs, which this process appends in order and deletes.
    """
    started = time.perf_counter()
    progress = progress or NoProgress()
    created = [folder for folder in {path.parent for path in files.values()} if not folder.exists()]
    writers = {name: AppendingCsv(path) for name, path in files.items()}
    try:
        # On leaving, even by an error, the stack stops the workers and then removes their part
        # files (even if a second Ctrl-C cuts the stopping short): none is written after.
        with (
            memory_kept_low(),  # chunk-sized buffers pass through this process: give them back when freed
            iter_table_chunks(input_path, chunk_rows=chunk_rows, sheet=sheet, strict=strict) as chunks,
            contextlib.ExitStack() as stack,
        ):
            reading = iter(chunks)
            head = _read_head(reading, chunk_rows)
            plan = make_plan(_plan_sample(head, chunk_rows))
            stack.enter_context(_long_lived_objects_frozen())
            workers = 1 if len(head) == 1 else min(jobs or available_cores(), available_cores() * 4)
            row_files = [writers[name].path for name in sorted(plan.files) if name in writers]
            context = plan
            if workers > 1 and row_files:
                parts = Path(tempfile.mkdtemp(prefix=".touchtext-parts-", dir=row_files[0].parent))
                stack.callback(shutil.rmtree, parts, ignore_errors=True)
                context = replace(plan, parts=parts)
            unparsed: list[int] = []
            tasks = _chunk_tasks(itertools.chain(head, reading), writers.get("errors"), unparsed, prepare)
            tally = _Tally()
            columns: tuple[str, ...] | None = None
            results = stack.enter_context(
                contextlib.closing(ordered_map(_process_chunk, tasks, context=context, jobs=workers))
            )
            for out in results:
                if columns is None:
                    columns = out.columns
                elif out.columns != columns:  # cannot happen: every chunk has the file's columns
                    raise TouchtextError(
                        f"Chunk {out.index + 1} of {input_path} produced different columns; please report this."
                    )
                for name, data in out.csv.items():
                    writers[name].append_bytes(data)
                for name, part in out.parts.items():
                    writers[name].append_file(part)
                    part.unlink()
                tally.add(out)
                if on_chunk is not None:
                    on_chunk(out)
                progress.update(tally.rows, _share_done(tally.rows, chunks))
            progress.update(tally.rows, 1.0)
        commit_all(list(writers.values()))
    except BaseException:
        for writer in writers.values():
            writer.abort()
        for folder in created:  # a failed run leaves no trace, not even an empty output folder
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    finally:
        progress.close()
    stats = tally.stats(unparsed_lines=tuple(unparsed), outputs=dict(files), seconds=time.perf_counter() - started)
    return stats, tally.counts, plan


@dataclass(frozen=True)
class RunResult:
    """What `run`, `run_to_db` or a summarize function produced: the summaries, the files written
    and, for runs, what happened to the rows. `classified` reads the rows back when asked."""

    tables: SummaryTables
    outputs: dict[str, Path] = field(default_factory=dict)
    alerts: pd.DataFrame | None = None  # set when asked for alerts
    database: database.RunCounts | None = None  # set by run_to_db: what was stored
    stats: StreamStats | None = None  # set by runs: rows by status, time taken
    rows: pd.DataFrame | None = None  # the classified rows when they are in memory (summarize_*)

    @property
    def summary(self) -> pd.DataFrame:
        """The ranked per-touchpoint pain-point table (summary.csv)."""
        return self.tables.summary

    @cached_property
    def classified(self) -> pd.DataFrame:
        """The classified rows: in memory, or read back from the classified.csv the run wrote."""
        if self.rows is not None:
            return self.rows
        if "classified.csv" not in self.outputs:
            raise TouchtextError(
                "This run wrote no classified.csv (its rows went to a database or, with the Dask engine, to "
                "Parquet parts): read them back with touchtext.database or pd.read_parquet(out / 'classified'), "
                "or run with an output folder and the local engine."
            )
        return read_classified(self.outputs["classified.csv"])

    def terminal_table(self, top: int = 10) -> str:
        """The ranked pain-point table as printed by `touchtext run`."""
        return render_terminal_table(self.summary, top=top)


def write_summaries(
    tables: SummaryTables,
    out_dir: str | Path,
    *,
    taxonomy: Taxonomy,
    input_name: str = "",
    model_name: str = "",
    alert: bool = False,
) -> tuple[dict[str, Path], pd.DataFrame | None]:
    """Write summary.csv, summary.json, summary.md and report.html (and alerts.json when
    `alert`) atomically into `out_dir`; return the paths and the alerts table."""
    out = Path(out_dir)
    outputs = {
        "summary.csv": write_csv(tables.summary, out / "summary.csv"),
        "summary.json": write_text(json.dumps(tables.document(), indent=2, ensure_ascii=False) + "\n",
                                   out / "summary.json"),
        "summary.md": write_text(
            render_summary_markdown(
                tables.summary,
                n_items=tables.items,
                input_name=input_name,
                model_name=model_name,
                trends=tables.trend,
                quote_table=tables.quotes,
                driver_table=tables.drivers,
            ),
            out / "summary.md",
        ),
        "report.html": write_text(
            render_report_html(tables, taxonomy=taxonomy, input_name=input_name, model_name=model_name),
            out / "report.html",
        ),
    }  # fmt: skip
    alert_table = alerts(tables.trend) if alert else None
    if alert_table is not None:
        document = {
            "schema_version": 1,
            "test": ALERT_TEST,
            "alerts": json.loads(alert_table.to_json(orient="records")),
        }
        outputs["alerts.json"] = write_text(json.dumps(document, indent=2) + "\n", out / "alerts.json")
    return outputs, alert_table


def _taxonomy_for(card: dict[str, Any], taxonomy: Taxonomy | None) -> Taxonomy:
    if taxonomy is not None:
        return taxonomy
    return Taxonomy.from_dict(card["taxonomy"], "the model card") if "taxonomy" in card else load_taxonomy()


def _plan(
    first: pd.DataFrame,
    *,
    model: TouchpointModel,
    text_column: str | None,
    source: Source,
    cleaning: CleaningSettings | None,
    files: frozenset[str],
    explain: int = 0,
    taxonomy: Taxonomy | None = None,
    date_column: str | None = None,
    score_column: str | None = None,
    segments: tuple[str, ...] = (),
    keep_rows: bool = False,
) -> _StreamPlan:
    """Decide once, from the first chunk, what every chunk is processed with: the text column,
    how source kinds are told, and (with a taxonomy) the date, score and segment columns."""
    column = detect_text_column(first, text_column)
    spec = None
    if taxonomy is not None:
        spec = _CountSpec(taxonomy, detect_date_column(first, date_column), detect_score_column(first, score_column),
                          tuple(segments))  # fmt: skip
    return _StreamPlan(model, column, source_rule(first, text_column=column, source=source), cleaning, explain, spec,
                       files, keep_rows)  # fmt: skip


def _row_files(out: Path) -> dict[str, Path]:
    return {name: out / f"{name}.csv" for name in ("classified", "errors", "mentions", "sentences")}


def run(
    input_path: str | Path,
    out_dir: str | Path,
    *,
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
    sheet: str | None = None,
    strict: bool = False,
    jobs: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
) -> RunResult:
    """Read a feedback export, classify it, summarize it and write the outputs to `out_dir`.

    Writes classified.csv (every input row, in order; rows that could not be parsed have status
    parse_error), errors.csv (those rows: row_id, line, problem, excerpt; with `strict` they
    raise `InputError` and nothing is written), mentions.csv (one row per item and touchpoint),
    sentences.csv, summary.csv, summary.json (trend by period when a date column exists, driver
    analysis when a rating/NPS/CSAT column exists, phrases, quotes, co-occurring complaints,
    roll-ups), summary.md and report.html (a self-contained page with charts).

    The input is streamed: `chunk_rows` rows at a time are classified by `jobs` processes (default:
    every core; one for an input of a single chunk) and appended to the outputs in input order,
    and the summaries are merged from per-chunk counts, so memory stays flat however large the
    input. Outputs appear only when the run succeeds. `progress` is told after each chunk.

    Example:
        >>> result = run("data/samples/reviews.csv", "out/")  # doctest: +SKIP
        >>> print(result.terminal_table())  # doctest: +SKIP
    """
    fitted, card = _resolve_model(model)
    taxonomy = _taxonomy_for(card, taxonomy)
    check_chunk_rows(chunk_rows)
    out = Path(out_dir)
    make_plan = functools.partial(
        _plan, model=fitted, text_column=text_column, source=source, cleaning=cleaning,
        files=frozenset({"classified", "mentions", "sentences"}), taxonomy=taxonomy, date_column=date_column,
        score_column=score_column, segments=segments,
    )  # fmt: skip
    stats, counts, _ = _stream(input_path, _row_files(out), make_plan=make_plan, jobs=jobs, chunk_rows=chunk_rows,
                               progress=progress, sheet=sheet, strict=strict)  # fmt: skip
    assert counts is not None  # a plan with a taxonomy always counts
    return _finish(counts, stats, out, taxonomy=taxonomy, input_name=Path(input_path).name,
                   model_name=str(card.get("name", "")), period=period, alert=alert)  # fmt: skip


def check_chunk_rows(chunk_rows: int) -> None:
    """Refuse a chunk size that cannot work."""
    if chunk_rows < 1:
        raise InputError(f"--chunk-rows must be at least 1 (got {chunk_rows}); the default is {DEFAULT_CHUNK_ROWS:,}.")


def _finish(
    counts: SummaryCounts,
    stats: StreamStats,
    out: Path | None,
    *,
    taxonomy: Taxonomy,
    input_name: str,
    model_name: str,
    period: Period | None,
    alert: bool,
    stored: database.RunCounts | None = None,
) -> RunResult:
    """Finalize merged counts into tables and write the summary files (when there is a folder)."""
    tables = counts.finalize(period=period)
    if out is None:
        return RunResult(tables, alerts=alerts(tables.trend) if alert else None, database=stored, stats=stats)
    outputs, alert_table = write_summaries(
        tables, out, taxonomy=taxonomy, input_name=input_name, model_name=model_name, alert=alert
    )
    files = {path.name: path for path in stats.outputs.values()}
    return RunResult(tables, files | outputs, alert_table, stored, stats)


def classify_file(
    input_path: str | Path,
    out_file: str | Path,
    *,
    text_column: str | None = None,
    model: TouchpointModel | str | Path | None = None,
    source: Source = "auto",
    cleaning: CleaningSettings | None = None,
    explain: int = 0,
    sentences_file: str | Path | None = None,
    sheet: str | None = None,
    strict: bool = False,
    errors_file: str | Path | None = None,
    jobs: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
) -> StreamStats:
    """Read a feedback export, `classify` it and write the rows to `out_file` (CSV); with
    `sentences_file`, also one row per sentence that speaks of a touchpoint. Streams like `run`.

    Rows that cannot be parsed get status parse_error (and, with `errors_file`, a line there
    with line number, excerpt and problem); with `strict` they raise `InputError` instead.
    Returns what was done: rows by status, rows needing review, unparseable lines.

    Example:
        >>> classify_file("tickets.jsonl", "classified.csv", explain=5).status  # doctest: +SKIP
    """
    fitted, _ = _resolve_model(model)
    check_chunk_rows(chunk_rows)
    files = {"classified": Path(out_file)}
    if sentences_file is not None:
        files["sentences"] = Path(sentences_file)
    if errors_file is not None:
        files["errors"] = Path(errors_file)
    make_plan = functools.partial(_plan, model=fitted, text_column=text_column, source=source, cleaning=cleaning,
                                  files=frozenset(files) - {"errors"}, explain=explain)  # fmt: skip
    stats, _, _ = _stream(input_path, files, make_plan=make_plan, jobs=jobs, chunk_rows=chunk_rows, progress=progress,
                          sheet=sheet, strict=strict)  # fmt: skip
    return stats


def read_classified(path: str | Path) -> pd.DataFrame:
    """Read a classified.csv written by `run` or `classify` back into a DataFrame (touchtext's
    own numeric row ids as integers).

    Example:
        >>> read_classified("out/classified.csv")["status"].value_counts()  # doctest: +SKIP
    """
    classified = read_table(path, add_row_id=False)
    schema.require_columns(classified, (schema.ROW_ID,))
    numeric_ids = pd.to_numeric(classified[schema.ROW_ID], errors="coerce")
    if numeric_ids.notna().all() and (numeric_ids % 1 == 0).all():  # touchtext's own 1-based row ids
        classified[schema.ROW_ID] = numeric_ids.astype("int64")
    return classified


def _summarize_and_write(
    classified: pd.DataFrame,
    out_dir: Path,
    *,
    taxonomy: Taxonomy,
    input_name: str,
    model_name: str = "",
    date_column: str | None,
    period: Period | None,
    score_column: str | None,
    segments: tuple[str, ...],
    alert: bool,
) -> RunResult:
    """Count, finalize and write the summary files of classified rows (shared by run and summarize_file)."""
    counts = SummaryCounts.from_classified(
        classified, taxonomy=taxonomy, date_column=date_column, score_column=score_column, segments=segments
    )
    tables = counts.finalize(period=period)
    outputs, alert_table = write_summaries(
        tables, out_dir, taxonomy=taxonomy, input_name=input_name, model_name=model_name, alert=alert
    )
    return RunResult(tables, outputs, alert_table, rows=classified)


def summarize_file(
    classified_path: str | Path,
    out_dir: str | Path,
    *,
    taxonomy: Taxonomy | None = None,
    date_column: str | None = None,
    period: Period | None = None,
    score_column: str | None = None,
    segments: tuple[str, ...] = (),
    alert: bool = False,
) -> RunResult:
    """Summarize a classified.csv (written by `run` or `classify`) into the summary files and report.

    Example:
        >>> summarize_file("out/classified.csv", "out/", segments=("location",))  # doctest: +SKIP
    """
    classified = read_classified(classified_path)
    return _summarize_and_write(
        classified, Path(out_dir), taxonomy=taxonomy or load_taxonomy(), input_name=Path(classified_path).name,
        date_column=date_column, period=period, score_column=score_column, segments=segments, alert=alert,
    )  # fmt: skip


def _model_version(model: TouchpointModel | str | Path | None, card: dict[str, Any]) -> str:
    """A registry version name (v0003) when the model came from the registry, else when it was trained."""
    if isinstance(model, str | Path) and re.fullmatch(r"v\d+", Path(model).name):
        return Path(model).name
    return str(card.get("created_at", ""))


def run_to_db(
    input_path: str | Path,
    url: str | Path,
    *,
    out_dir: str | Path | None = None,
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
    id_column: str | None = None,
    incremental: bool = False,
    reclassify: bool = False,
    batch_size: int | None = None,
    sheet: str | None = None,
    strict: bool = False,
    jobs: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
) -> RunResult:
    """`run` into a results database (see `touchtext.database`), and into `out_dir` when given.

    Items are keyed by `id_column` (or a detected id column such as review_id, else a hash of
    the row). Ids already stored are left as they are, so rerunning an export adds nothing; with
    `incremental` only rows to be stored are classified; with `reclassify` stored items that
    another model classified are classified again and rewritten. The input is streamed in chunks
    as by `run`; every `batch_size` classified rows (default 1,000) are stored in one transaction. Rows that
    cannot be parsed are stored with status parse_error (and listed in errors.csv in `out_dir`);
    with `strict` the file is checked first and such a row raises `InputError` before anything
    is stored.

    Example:
        >>> run_to_db("exports/today.csv", "sqlite:///touchtext.db", incremental=True).database  # doctest: +SKIP
    """
    from . import database

    batch_size = database.DEFAULT_BATCH_SIZE if batch_size is None else batch_size
    database.check_batch_size(batch_size)
    check_chunk_rows(chunk_rows)
    with database.ResultsDatabase(url) as db:  # first, so a bad URL fails before any work
        fitted, card = _resolve_model(model)
        taxonomy = _taxonomy_for(card, taxonomy)
        if strict:
            for _ in iter_table_chunks(input_path, chunk_rows=chunk_rows, sheet=sheet, strict=True):
                pass  # raises at the first row that cannot be parsed, before anything is stored
        first = _first_table(input_path, chunk_rows=chunk_rows, sheet=sheet)
        column = detect_text_column(first, text_column)
        id_source = database.detect_id_column(first, id_column)
        mode = ("incremental" if incremental else "all") + ("+reclassify" if reclassify else "")
        info = database.RunInfo(
            input=str(input_path), input_sha256=file_sha256(Path(input_path)), mode=mode, id_column=id_source,
            text_column=column, date_column=detect_date_column(first, date_column),
            score_column=detect_score_column(first, score_column), model_name=str(card.get("name", "")),
            model_version=_model_version(model, card), model_sha256=str(card.get("model_sha256", "")),
            taxonomy=taxonomy.to_dict(),
        )  # fmt: skip
        out = Path(out_dir) if out_dir is not None else None
        files = _row_files(out) if out is not None else {}
        make_plan = functools.partial(
            _plan, model=fitted, text_column=column, source=source, cleaning=cleaning,
            files=frozenset(files) - {"errors"}, taxonomy=taxonomy, date_column=info.date_column,
            score_column=info.score_column, segments=segments, keep_rows=True,
        )  # fmt: skip
        with db.start_run(info) as stored:

            def to_classify(table: pd.DataFrame) -> pd.DataFrame:
                """Key the chunk's rows and keep those this run classifies."""
                ids = database.item_ids(table, id_column=id_source)
                if database.ITEM_ID in table.columns and id_source != database.ITEM_ID:
                    table = table.rename(columns={database.ITEM_ID: f"{database.ITEM_ID}_input"})
                table = table.assign(**{database.ITEM_ID: ids})
                return table[stored.plan(table[database.ITEM_ID], incremental=incremental, reclassify=reclassify)]

            def store(out: _ChunkOutput) -> None:
                assert out.classified is not None  # the plan keeps the rows
                for start in range(0, len(out.classified), batch_size):
                    stored.write(out.classified.iloc[start : start + batch_size])

            stats, counts, _ = _stream(
                input_path, files, make_plan=make_plan, jobs=jobs, chunk_rows=chunk_rows, progress=progress,
                sheet=sheet, strict=False, prepare=to_classify, on_chunk=store,
            )  # fmt: skip
    assert counts is not None  # a plan with a taxonomy always counts
    return _finish(counts, stats, out, taxonomy=taxonomy, input_name=Path(input_path).name,
                   model_name=str(card.get("name", "")), period=period, alert=alert, stored=stored.counts)  # fmt: skip


def summarize_db(
    url: str | Path,
    out_dir: str | Path,
    *,
    since: date | str | None = None,
    taxonomy: Taxonomy | None = None,
    date_column: str | None = None,
    period: Period | None = None,
    score_column: str | None = None,
    segments: tuple[str, ...] = (),
    alert: bool = False,
) -> RunResult:
    """Summarize the items stored in a results database (dated on or after `since`, if given)
    into the summary files and report, without the original exports.

    Trends use each item's stored date (`occurred_at`) and drivers its stored score, unless other
    columns are named; the taxonomy is the one recorded by the latest run, unless one is given.

    Example:
        >>> summarize_db("sqlite:///touchtext.db", "out/june", since="2026-06-01")  # doctest: +SKIP
    """
    from . import database

    with database.ResultsDatabase(url, create=False) as db:
        classified = db.read_classified(since)
        recorded = db.taxonomy()
        shown = db.shown
    if taxonomy is None:
        taxonomy = Taxonomy.from_dict(recorded, f"the taxonomy recorded in {shown}") if recorded else load_taxonomy()
    if date_column is None and classified["occurred_at"].notna().any():
        date_column = "occurred_at"
    if score_column is None and classified["score"].notna().any():
        score_column = "score"
    return _summarize_and_write(
        classified, Path(out_dir), taxonomy=taxonomy, input_name=shown, date_column=date_column, period=period,
        score_column=score_column, segments=segments, alert=alert,
    )  # fmt: skip
