"""The `touchtext` command line: each command parses options, calls one library function, prints.

Exit codes: 0 success; 2 a problem with the input, labels or options (one line on stderr);
1 an unexpected error (rerun with --debug for the traceback); 3 `run --alert` found a rise in
complaints; 4 `retrain` kept the current model (the candidate failed the promotion gate);
5 the model registry stayed locked by another job for longer than --lock-timeout; 130
interrupted (Ctrl-C): files being written are discarded, earlier outputs stay as they were.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .errors import TouchtextError
from .language import MODEL_LANGUAGES

if TYPE_CHECKING:
    from .cleaning import CleaningSettings
    from .pipeline import RunResult, StreamStats
    from .progress import Progress

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USER_ERROR = 2
EXIT_ALERT = 3  # `run --alert` found a significant rise in complaints
EXIT_KEPT_CURRENT = 4  # `retrain` kept the current model: the candidate failed the gate, or no new data
EXIT_LOCKED = 5  # another job held the model registry lock for longer than --lock-timeout
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report a SIGINT

_path_in = click.Path(path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="touchtext")
@click.option("--debug", is_flag=True, help="Show full tracebacks for unexpected errors.")
def cli(debug: bool) -> None:
    """Turn customer feedback into touchpoint pain points.

    Example: touchtext run data/samples/reviews.csv --out out/
    """


def _model_options(command: Callable[..., None]) -> Callable[..., None]:
    """--model and --trust-model, shared by every command that loads a model."""
    command = click.option(
        "--trust-model",
        is_flag=True,
        help="Load a --model folder that is neither registered nor the shipped default (model files run code).",
    )(command)
    return click.option(
        "--model",
        "model_dir",
        type=_path_in,
        help="Model folder or registered version (default: the registry's current, else the shipped model).",
    )(command)


def _cleaning_options(command: Callable[..., None]) -> Callable[..., None]:
    """--source, --keep-pii and --clean-config, shared by every command that cleans text."""
    command = click.option(
        "--clean-config", type=_path_in, help="TOML with redaction allow/deny lists and extra patterns."
    )(command)
    command = click.option("--keep-pii", is_flag=True, help="Do not redact personal data (it is redacted by default).")(
        command
    )
    return click.option(
        "--source",
        type=click.Choice(["auto", "review", "ticket", "transcript"]),
        default="auto",
        show_default=True,
        help="Kind of text; auto detects per file and per row.",
    )(command)


def _input_options(command: Callable[..., None]) -> Callable[..., None]:
    """--sheet and --strict, shared by every command that reads a feedback export."""
    command = click.option(
        "--strict",
        is_flag=True,
        help="Stop (exit 2, nothing written) at a row that cannot be parsed, instead of reporting it and going on.",
    )(command)
    return click.option(
        "--sheet", metavar="NAME|NUMBER", help="Sheet of an Excel workbook to read (needed when it has several)."
    )(command)


def _warn_unparsed(lines: Sequence[int | str], errors_file: Path | None) -> None:
    """One stderr line when rows could not be parsed (they are kept, with status parse_error)."""
    if not lines:
        return
    shown = ", ".join(str(line) for line in lines[:10]) + (", ..." if len(lines) > 10 else "")
    where = f"; details in {errors_file}" if errors_file else ""
    click.echo(f"touchtext: warning: {len(lines)} row(s) could not be parsed (line {shown}); they are kept "
               f"with status parse_error{where} (--strict stops instead)", err=True)  # fmt: skip


def _summary_options(command: Callable[..., None]) -> Callable[..., None]:
    """--date-col, --period, --score-col, --by and --alert, shared by run and summarize."""
    for option in reversed(
        [
            click.option("--date-col", help="Column with each item's date, for trends (detected if omitted)."),
            click.option("--period", type=click.Choice(["day", "week", "month"]),
                         help="Trend period (chosen from the date span)."),
            click.option("--score-col", help="Rating, NPS or CSAT column for driver analysis (detected if omitted)."),
            click.option("--by", "segments", multiple=True,
                         help="Also roll up by this column (repeatable), e.g. --by location."),
            click.option("--alert", is_flag=True,
                         help="Write alerts.json and exit 3 if complaints rose in the latest period."),
        ]
    ):  # fmt: skip
        command = option(command)
    return command


def _streaming_options(command: Callable[..., None]) -> Callable[..., None]:
    """--jobs and --chunk-rows, shared by run and classify."""
    command = click.option(
        "--chunk-rows", type=int, default=10_000, show_default=True, help="Rows read and classified at a time."
    )(command)
    return click.option("--jobs", type=int, help="Processes classifying chunks in parallel (default: every core).")(
        command
    )


def _progress(quiet: bool) -> Progress:
    """A progress bar on a terminal, plain log lines otherwise, nothing with --quiet."""
    from .progress import make_progress

    return make_progress("quiet" if quiet else "auto")


def _check_jobs(jobs: int | None) -> None:
    if jobs is not None and jobs < 1:
        raise click.BadParameter(
            f"must be at least 1 (got {jobs}); leave it out to use every core.", param_hint="--jobs"
        )


def _report_alerts(result: RunResult) -> None:
    """Print each alert on stderr and exit with EXIT_ALERT when there are any."""
    if result.alerts is None or result.alerts.empty:
        return
    for r in result.alerts.itertuples(index=False):
        click.echo(f"ALERT: {r.touchpoint} complaints rose to {r.share:.0%} of items in {r.period} "
                   f"(was {r.baseline_share:.0%}; p = {r.p_value:.2g})", err=True)  # fmt: skip
    raise click.exceptions.Exit(EXIT_ALERT)


def _cleaning_settings(clean_config: Path | None, keep_pii: bool) -> CleaningSettings:
    from .cleaning import load_cleaning_config, with_pii

    return with_pii(load_cleaning_config(clean_config) if clean_config else None, keep_pii)


@cli.command("clean")
@click.argument("input_path", metavar="INPUT", type=_path_in)
@click.option("--out", "out_file", required=True, type=_path_in, help="CSV file for the cleaned rows.")
@click.option("--text-col", help="Column holding the feedback text (detected if omitted).")
@click.option("--turns", "turns_file", type=_path_in, help="Also write one row per transcript turn to this CSV.")
@click.option(
    "--sentences",
    "sentences_file",
    type=_path_in,
    help="Also write one row per sentence, with offsets into the raw text, to this CSV.",
)
@_cleaning_options
@_input_options
def clean_command(
    input_path: Path,
    out_file: Path,
    text_col: str | None,
    turns_file: Path | None,
    sentences_file: Path | None,
    source: str,
    keep_pii: bool,
    clean_config: Path | None,
    sheet: str | None,
    strict: bool,
) -> None:
    """Clean a feedback export: markup, quoted replies, signatures, speaker turns, personal data.

    Example: touchtext clean tickets.jsonl --out cleaned.csv
    """
    from .cleaning import clean, sentences
    from .io import read_table, write_csv
    from .transcripts import turns

    settings = _cleaning_settings(clean_config, keep_pii)
    table = read_table(input_path, sheet=sheet, strict=strict)
    cleaned = clean(table, text_column=text_col, source=source, settings=settings)  # type: ignore[arg-type]
    write_csv(cleaned, out_file)
    bad_notes = cleaned.loc[cleaned["clean_status"] == "parse_error", "clean_notes"]
    _warn_unparsed([note.split(":")[0].removeprefix("line ") for note in bad_notes], None)
    counts = cleaned["clean_status"].value_counts()
    click.echo(f"Cleaned {len(cleaned)} rows ({', '.join(f'{k} {v}' for k, v in counts.items())}) -> {out_file}")
    if turns_file:
        transcripts = cleaned[cleaned["source_kind"] == "transcript"]
        write_csv(turns(transcripts, text_column=text_col), turns_file)
        click.echo(f"Wrote speaker turns -> {turns_file}")
    if sentences_file:
        write_csv(sentences(table, text_column=text_col, source=source, settings=settings), sentences_file)  # type: ignore[arg-type]
        click.echo(f"Wrote sentences -> {sentences_file}")


def _database_options(command: Callable[..., None]) -> Callable[..., None]:
    """--to-db, --id-col, --incremental, --reclassify and --batch-size (touchtext.database)."""
    for option in reversed(
        [
            click.option("--to-db", metavar="URL",
                         help="Also store the results in this database: sqlite:///FILE.db, postgresql://..., a path."),
            click.option("--id-col", help="Column with each row's own id (detected: id, review_id, ticket_id, ...; "
                                          "else rows are keyed by a hash of their content)."),
            click.option("--incremental", is_flag=True, help="Classify only the rows whose id is not stored yet."),
            click.option("--reclassify", is_flag=True, help="Classify again the stored rows of this export that "
                                                            "another model classified."),
            click.option("--batch-size", type=int, help="Rows per transaction with --to-db (default 1000)."),
        ]
    ):  # fmt: skip
        command = option(command)
    return command


@cli.command("run")
@click.argument("input_path", metavar="INPUT", type=_path_in)
@click.option("--out", "out_dir", type=_path_in, help="Folder for the outputs (created if needed); or/and --to-db.")
@click.option("--text-col", help="Column holding the feedback text (detected if omitted).")
@_model_options
@click.option("--top", default=10, show_default=True, help="How many pain points to print.")
@click.option("--quiet", is_flag=True, help="Print nothing on success.")
@_summary_options
@_cleaning_options
@_input_options
@_database_options
@_streaming_options
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: processes on this machine; dask: a Dask cluster (pip install 'touchtext[dask]').",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="With --engine dask: an existing cluster's scheduler, e.g. tcp://host:8786 (default: a local cluster).",
)
def run_command(
    input_path: Path,
    out_dir: Path | None,
    text_col: str | None,
    model_dir: Path | None,
    trust_model: bool,
    top: int,
    quiet: bool,
    date_col: str | None,
    period: str | None,
    score_col: str | None,
    segments: tuple[str, ...],
    alert: bool,
    source: str,
    keep_pii: bool,
    clean_config: Path | None,
    sheet: str | None,
    strict: bool,
    to_db: str | None,
    id_col: str | None,
    incremental: bool,
    reclassify: bool,
    batch_size: int | None,
    jobs: int | None,
    chunk_rows: int,
    engine: str,
    scheduler: str | None,
) -> None:
    """Clean, classify and summarize a feedback export; write the results to --out and/or --to-db.

    The export is streamed in chunks over every core (--jobs), with a progress bar on a terminal;
    --engine dask runs it on a Dask cluster and writes the rows as Parquet.

    Example: touchtext run data/samples/reviews.csv --out out/ --to-db sqlite:///touchtext.db
    """
    from .pipeline import run, run_to_db

    given = [name for name, value in (("--id-col", id_col), ("--incremental", incremental),
                                      ("--reclassify", reclassify), ("--batch-size", batch_size)) if value]  # fmt: skip
    if to_db is None and given:
        raise click.UsageError(f"{', '.join(given)} can only be used with --to-db URL.")
    if scheduler is not None and engine != "dask":
        raise click.UsageError("--scheduler ADDRESS can only be used with --engine dask.")
    if engine == "dask":
        for wrong, why in ((to_db is not None, "--to-db is not supported with --engine dask yet; store results "
                                               "in a database with --engine local"),
                           (sheet is not None, "--engine dask does not read Excel (--sheet); export the sheet as "
                                               "CSV, or use --engine local")):  # fmt: skip
            if wrong:
                raise click.UsageError(why + ".")
    _check_jobs(jobs)
    started = time.perf_counter()
    settings = _cleaning_settings(clean_config, keep_pii)
    common: dict[str, Any] = dict(
        jobs=jobs,
        chunk_rows=chunk_rows,
        progress=_progress(quiet),
        text_column=text_col,
        model=_trusted_model(model_dir, trust_model),
        source=source,
        cleaning=settings,
        date_column=date_col,
        period=period,
        score_column=score_col,
        segments=segments,
        alert=alert,
    )
    if engine == "dask":
        from .dask_engine import run_dask

        if out_dir is None:
            raise click.UsageError("--engine dask needs --out DIR.")
        del common["jobs"], common["chunk_rows"]
        result = run_dask(input_path, out_dir, scheduler=scheduler, workers=jobs, partition_rows=chunk_rows,
                          **common)  # fmt: skip
    elif to_db is not None:
        db_options: dict[str, Any] = {"batch_size": batch_size} if batch_size is not None else {}
        result = run_to_db(input_path, to_db, out_dir=out_dir, id_column=id_col, incremental=incremental,
                           reclassify=reclassify, sheet=sheet, strict=strict, **db_options, **common)  # fmt: skip
    elif out_dir is not None:
        result = run(input_path, out_dir, sheet=sheet, strict=strict, **common)
    else:
        raise click.UsageError("Give --out DIR, --to-db URL, or both.")
    assert result.stats is not None  # runs always report what they did
    _warn_unparsed(result.stats.unparsed_lines, result.outputs.get("errors.csv"))
    if not quiet:
        _print_run(result, result.stats, time.perf_counter() - started, top)
    _report_alerts(result)


def _print_run(result: RunResult, stats: StreamStats, seconds: float, top: int) -> None:
    ranked = sorted(stats.status.items(), key=lambda kv: -kv[1])
    status = ", ".join(f"{k} {v}" for k, v in ranked)
    click.echo(f"Classified {stats.rows} rows{f' ({status})' if status else ''} in {seconds:.1f} s.\n")
    click.echo(result.terminal_table(top=top))
    if result.outputs:
        click.echo("\nWrote " + ", ".join(str(p) for p in result.outputs.values()))
    if result.database is not None:
        click.echo(result.database.line())


@cli.command("classify")
@click.argument("input_path", metavar="INPUT", type=_path_in)
@click.option("--out", "out_file", required=True, type=_path_in, help="CSV file to write.")
@click.option("--text-col", help="Column holding the feedback text (detected if omitted).")
@_model_options
@click.option("--explain", default=0, metavar="N", help="Add an explanation column: N top terms per touchpoint.")
@click.option("--sentences", "sentences_file", type=_path_in,
              help="Also write one row per sentence that speaks of a touchpoint to this CSV.")  # fmt: skip
@click.option("--errors", "errors_file", type=_path_in,
              help="Also write the rows that could not be parsed (line, problem, excerpt) to this CSV.")  # fmt: skip
@click.option("--quiet", is_flag=True, help="Print nothing on success (no progress either).")
@_cleaning_options
@_input_options
@_streaming_options
def classify_command(
    input_path: Path,
    out_file: Path,
    text_col: str | None,
    model_dir: Path | None,
    trust_model: bool,
    explain: int,
    sentences_file: Path | None,
    errors_file: Path | None,
    source: str,
    keep_pii: bool,
    clean_config: Path | None,
    sheet: str | None,
    strict: bool,
    quiet: bool,
    jobs: int | None,
    chunk_rows: int,
) -> None:
    """Classify every row of a feedback export into touchpoints with sentiment.

    Example: touchtext classify tickets.jsonl --out classified.csv
    """
    from .pipeline import classify_file

    _check_jobs(jobs)
    stats = classify_file(
        input_path,
        out_file,
        text_column=text_col,
        model=_trusted_model(model_dir, trust_model),
        source=source,  # type: ignore[arg-type]
        cleaning=_cleaning_settings(clean_config, keep_pii),
        explain=explain,
        sentences_file=sentences_file,
        sheet=sheet,
        strict=strict,
        errors_file=errors_file,
        jobs=jobs,
        chunk_rows=chunk_rows,
        progress=_progress(quiet),
    )
    _warn_unparsed(stats.unparsed_lines, errors_file)
    if not quiet:
        click.echo(f"Classified {stats.rows} rows ({stats.needs_review} need review) -> {out_file}")


@cli.command("summarize")
@click.argument("classified_path", metavar="[CLASSIFIED]", type=_path_in, required=False)
@click.option("--out", "out_dir", required=True, type=_path_in, help="Folder for the summary files and report.html.")
@click.option("--from-db", metavar="URL", help="Summarize the items stored in this database instead of a file.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="With --from-db: items dated from this day.")
@click.option("--taxonomy", "taxonomy_file", type=_path_in,
              help="Taxonomy TOML (default: the shipped one; --from-db: the one its latest run recorded).")  # fmt: skip
@click.option("--top", default=10, show_default=True, help="Rows of the pain-point table to print.")
@click.option("--quiet", is_flag=True, help="Print nothing on success.")
@_summary_options
def summarize_command(
    classified_path: Path | None,
    out_dir: Path,
    from_db: str | None,
    since: datetime | None,
    taxonomy_file: Path | None,
    top: int,
    quiet: bool,
    date_col: str | None,
    period: str | None,
    score_col: str | None,
    segments: tuple[str, ...],
    alert: bool,
) -> None:
    """Summarize a classified.csv (or a --from-db database) into ranked pain points, summary files and report.html.

    Example: touchtext summarize out/classified.csv --out out/ --by location
    """
    from .pipeline import summarize_db, summarize_file
    from .taxonomy import load_taxonomy

    if since is not None and from_db is None:
        raise click.UsageError("--since only applies with --from-db URL.")
    columns: dict[str, Any] = dict(date_column=date_col, period=period, score_column=score_col, segments=segments)
    if from_db is not None and classified_path is None:
        taxonomy = load_taxonomy(taxonomy_file) if taxonomy_file is not None else None
        since_day = since.date() if since is not None else None
        result = summarize_db(from_db, out_dir, since=since_day, taxonomy=taxonomy, alert=alert, **columns)
    elif classified_path is not None and from_db is None:
        result = summarize_file(classified_path, out_dir, taxonomy=load_taxonomy(taxonomy_file), alert=alert, **columns)
    else:
        raise click.UsageError("Give either a CLASSIFIED file or --from-db URL.")
    if not quiet:
        click.echo(result.terminal_table(top=top))
        click.echo("\nWrote " + ", ".join(str(p) for p in result.outputs.values()))
    _report_alerts(result)


def _label_options(command: Callable[..., None]) -> Callable[..., None]:
    """--text-col, --labels-col and --sentiment-col, shared by train and evaluate."""
    for option in reversed(
        [
            click.option("--text-col", default="text", show_default=True, help="Column holding the text."),
            click.option("--labels-col", default="labels", show_default=True,
                         help="Labels: 'billing|delivery', 'billing:negative|delivery:positive' or 'none'."),
            click.option("--sentiment-col",
                         help="Item-level sentiment (negative/neutral/positive), used where a label has none."),
        ]
    ):  # fmt: skip
        command = option(command)
    return command


_language_option = click.option(
    "--language", default="en", show_default=True, type=click.Choice(MODEL_LANGUAGES, case_sensitive=False),
    help="Language of the texts (ISO 639-1); texts in others are later skipped as unsupported.",
)  # fmt: skip


@cli.command("train")
@click.option("--data", "data_paths", required=True, multiple=True, type=_path_in,
              help="Labeled file or folder of files (repeatable).")  # fmt: skip
@click.option("--out", "out_dir", required=True, type=_path_in, help="Folder to write the model and its card.")
@click.option("--taxonomy", "taxonomy_file", type=_path_in, help="Taxonomy TOML (default: the shipped one).")
@click.option("--name", default="touchtext-model", show_default=True, help="Model name recorded in its card.")
@_language_option
@_label_options
def train_command(
    data_paths: tuple[Path, ...],
    out_dir: Path,
    taxonomy_file: Path | None,
    name: str,
    language: str,
    text_col: str,
    labels_col: str,
    sentiment_col: str | None,
) -> None:
    """Train a touchpoint model on labeled data; print cross-validated and held-out metrics.

    Example: touchtext train --data labels.csv --labels-col tags --taxonomy mine.toml --out models/mine
    """
    from .report import render_training_report
    from .taxonomy import load_taxonomy
    from .training import train_file

    result = train_file(
        list(data_paths),
        out_dir,
        text_column=text_col,
        labels_column=labels_col,
        sentiment_column=sentiment_col,
        taxonomy=load_taxonomy(taxonomy_file),
        name=name,
        language=language,
    )
    click.echo(render_training_report(result.card))
    click.echo(f"\nSaved model and its card (model_card.json, model_card.md) to {out_dir}")


@cli.command("check-labels")
@click.option("--data", "data_paths", required=True, multiple=True, type=_path_in,
              help="Labeled file or folder of files (repeatable).")  # fmt: skip
@click.option("--taxonomy", "taxonomy_file", type=_path_in, help="Taxonomy TOML (default: the shipped one).")
@click.option("--out", "out_file", type=_path_in, help="Write every problem and likely mislabeled item to this CSV.")
@click.option("--min-confidence", default=0.95, show_default=True,
              help="How sure the out-of-fold model must be to call a label wrong.")  # fmt: skip
@click.option("--top", default=20, show_default=True, help="Likely mislabeled items to print.")
@_language_option
@_label_options
def check_labels_command(
    data_paths: tuple[Path, ...],
    taxonomy_file: Path | None,
    out_file: Path | None,
    min_confidence: float,
    top: int,
    language: str,
    text_col: str,
    labels_col: str,
    sentiment_col: str | None,
) -> None:
    """Find label problems: bad cells by row, and items a cross-validated model says are mislabeled.

    Example: touchtext check-labels --data labels.csv --out to_review.csv
    """
    import pandas as pd

    from .io import write_csv
    from .report import render_label_check
    from .taxonomy import load_taxonomy
    from .training import check_labels_file

    problems, issues = check_labels_file(
        list(data_paths),
        text_column=text_col,
        labels_column=labels_col,
        sentiment_column=sentiment_col,
        taxonomy=load_taxonomy(taxonomy_file),
        min_confidence=min_confidence,
        language=language,
    )
    click.echo(render_label_check(problems, issues, top=top))
    if out_file is not None:
        write_csv(pd.concat([problems.assign(kind="format"), issues.assign(kind="likely_mislabeled")]), out_file)
        click.echo(f"\nWrote {out_file}")
    if (problems["severity"] == "error").any():
        raise click.exceptions.Exit(EXIT_USER_ERROR)


@cli.command("bootstrap")
@click.option("--taxonomy", "taxonomy_file", type=_path_in, help="Taxonomy TOML with `seeds` per touchpoint.")
@click.option("--data", "data_path", required=True, type=_path_in, help="Unlabeled feedback export.")
@click.option("--out", "out_dir", required=True, type=_path_in, help="Folder for the model and weak_labels.csv.")
@click.option("--text-col", help="Column holding the feedback text (detected if omitted).")
@click.option("--rounds", default=2, show_default=True, help="Self-training rounds after the seed-term model.")
def bootstrap_command(
    taxonomy_file: Path | None, data_path: Path, out_dir: Path, text_col: str | None, rounds: int
) -> None:
    """Train a first model with no labels: seed-term weak labels, then self-training.

    Example: touchtext bootstrap --taxonomy mine.toml --data unlabeled.csv --out models/start
    """
    from .labeling import bootstrap_file
    from .taxonomy import load_taxonomy

    result = bootstrap_file(data_path, out_dir, taxonomy=load_taxonomy(taxonomy_file), text_column=text_col,
                            rounds=rounds)  # fmt: skip
    matched = sum(1 for labels in result.weak_labels if labels)
    click.echo(f"Seed terms matched {matched} of {len(result.weak_labels)} items.")
    for r in result.rounds:
        click.echo(f"  round {r['round']}: trained on {r['training_items']} items")
    click.echo(f"Saved model and weak_labels.csv to {out_dir} (load it with --model {out_dir} --trust-model)")


@cli.command("suggest")
@click.option("--data", "data_path", required=True, type=_path_in, help="Unlabeled feedback export.")
@click.option("-n", "n", default=200, show_default=True, help="How many items to label next.")
@click.option("--out", "out_file", required=True, type=_path_in, help="CSV of items to label, pre-filled.")
@_model_options
@click.option("--text-col", help="Column holding the feedback text (detected if omitted).")
def suggest_command(
    data_path: Path, n: int, out_file: Path, model_dir: Path | None, trust_model: bool, text_col: str | None
) -> None:
    """Pick the items whose labels would teach the model most, pre-filled with its guesses.

    Example: touchtext suggest --data unlabeled.csv -n 200 --out to_label.csv
    """
    from .labeling import suggest_file
    from .registry import load_trusted

    model, _ = load_trusted(model_dir, trust=trust_model)
    picked = suggest_file(model, data_path, n, out_file, text_column=text_col)
    click.echo(f"Wrote {len(picked)} items to {out_file}: correct the `labels` column, then train on it.")


@cli.command("evaluate")
@_model_options
@click.option("--data", "data_paths", required=True, multiple=True, type=_path_in,
              help="Labeled file or folder of files (repeatable).")  # fmt: skip
@click.option("--split", help="Score only rows of this split, e.g. 'test' for the corpus's held-out rows.")
@click.option("--out", "out_file", type=_path_in, help="Also write the metrics as JSON to this file.")
@_label_options
def evaluate_command(
    model_dir: Path | None,
    trust_model: bool,
    data_paths: tuple[Path, ...],
    split: str | None,
    out_file: Path | None,
    text_col: str,
    labels_col: str,
    sentiment_col: str | None,
) -> None:
    """Score a model on labeled data: per-label and overall F1, sentiment accuracy, confusions.

    Example: touchtext evaluate --data data/labeled --split test
    """
    from .io import write_text
    from .report import render_metrics
    from .training import evaluate_file

    metrics = evaluate_file(
        _trusted_model(model_dir, trust_model),
        list(data_paths),
        text_column=text_col,
        labels_column=labels_col,
        sentiment_column=sentiment_col,
        split=split,
    )
    click.echo(render_metrics(metrics, f"{metrics['n_items']} labeled items:"))
    if out_file is not None:
        write_text(json.dumps(metrics, indent=2) + "\n", out_file)


# -- model registry, scheduled retraining and drift (touchtext.registry, touchtext.retraining) --
_registry_option = click.option(
    "--registry",
    "registry_dir",
    type=_path_in,
    envvar="TOUCHTEXT_MODELS",
    default="models",
    show_default=True,
    help="Model registry folder (or set TOUCHTEXT_MODELS).",
)
_log_format_option = click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per event on stdout, for cron and orchestrators.",
)
_lock_timeout_option = click.option(
    "--lock-timeout",
    type=float,
    default=60.0,
    show_default=True,
    help=f"Seconds to wait while another job holds the registry; then exit {EXIT_LOCKED}.",
)


def _trusted_model(model_dir: Path | None, trust_model: bool) -> Path:
    """The model folder to load: --model if it may be trusted, else the registry's current or shipped model."""
    from .registry import resolve_model

    return resolve_model(model_dir, trust=trust_model)


class _EventLog:
    """Prints library events: one JSON object per line, or readable lines with a comparison table."""

    def __init__(self, fmt: str) -> None:
        self.json = fmt == "json"

    def __call__(self, event: str, fields: dict[str, Any]) -> None:
        if self.json:
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
            click.echo(json.dumps({"event": event, "time": stamp, **fields}, default=str))
            return
        for line in _event_lines(event, fields):
            click.echo(line)

    @contextmanager
    def failures(self) -> Iterator[None]:
        """Log a failure as a `failed` event; a held registry lock exits with EXIT_LOCKED."""
        from .registry import RegistryLockedError

        try:
            yield
        except RegistryLockedError as exc:
            if self.json:
                self("failed", {"exit_code": EXIT_LOCKED, "error": str(exc)})
            click.echo(f"touchtext: error: {exc}", err=True)
            raise click.exceptions.Exit(EXIT_LOCKED) from None
        except Exception as exc:
            if self.json and not isinstance(exc, click.exceptions.Exit):
                code = EXIT_USER_ERROR if isinstance(exc, TouchtextError) else EXIT_UNEXPECTED
                self("failed", {"exit_code": code, "error": f"{exc}"})
            raise


def _f1(value: float | None) -> str:
    return "   -" if value is None else f"{value:.3f}"


def _event_lines(event: str, fields: dict[str, Any]) -> list[str]:
    if event == "validated":
        lines = [f"Validated labels: {fields['errors']} error(s), {fields['warnings']} warning(s)."]
        problems = fields["problems"]
        for p in problems[:20]:
            severity = click.style(p["severity"], fg="red" if p["severity"] == "error" else "yellow")
            lines.append(f"  {severity} {p['file']} row {p['row']} ({p['id']}): {p['problem']}")
        if len(problems) > 20:
            lines.append(f"  ... and {len(problems) - 20} more (--log-format json lists them all)")
        return lines
    if event == "trained":
        return [f"Trained a candidate on {fields['n_train']} items in {fields['seconds']:.1f} s."]
    if event == "evaluated":
        held = fields["held_out"]
        lines = [
            f"\nCurrent {fields['current']['version']} vs candidate on the same {held['n_items']} held-out items "
            f"(sha256 {held['sha256'][:12]}):\n",
            f"{'touchpoint':<18} {'test items':>10} {'current':>8} {'candidate':>10} {'change':>8}  gate",
        ]
        for r in fields["table"]:
            gate = "not gated (too few test items)" if not r["gated"] else "ok" if r["passed"] else "DROP"
            change = "" if r["change"] is None else f"{r['change']:+.3f}"
            colour = "green" if gate == "ok" else "red" if gate == "DROP" else None
            lines.append(
                f"{r['touchpoint']:<18} {r['test_items']:>10} {_f1(r['current_f1']):>8} "
                f"{_f1(r['candidate_f1']):>10} {change:>8}  {click.style(gate, fg=colour)}"
            )
        cur, cand = fields["current"]["macro_f1"], fields["candidate"]["macro_f1"]
        lines.append(f"{'macro-F1':<18} {'':>10} {cur:>8.3f} {cand:>10.3f} {cand - cur:>+8.3f}")
        return lines
    if event == "promoted":
        return [
            click.style(f"\nPromoted {fields['version']}", fg="green", bold=True)
            + f" (previous: {fields['previous']}). Undo with: touchtext models rollback"
        ]
    if event == "kept_current":
        return [
            click.style(f"\nKept the current model {fields['version']}", fg="yellow", bold=True)
            + ": "
            + "; ".join(fields["reasons"])
            + "."
        ]
    return []


@cli.group("models")
def models_group() -> None:
    """List, inspect, promote and roll back the versions in the model registry.

    Example: touchtext models list --registry /srv/touchtext/models
    """


@models_group.command("list")
@_registry_option
@click.option("--json", "as_json", is_flag=True, help="Print the whole registry file as JSON.")
def models_list_command(registry_dir: Path, as_json: bool) -> None:
    """List registered versions, newest first, with the current and previous one marked.

    Example: touchtext models list
    """
    from .registry import ModelRegistry

    registry = ModelRegistry(registry_dir)
    if as_json:
        click.echo(json.dumps(registry.state(), indent=2))
        return
    table = registry.summary()
    if table.empty:
        click.echo(f"No versions in {registry.file} yet: the shipped default model is in use. "
                   "The first `touchtext retrain` registers it as v0001.")  # fmt: skip
        return
    click.echo(table.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.3f}"))


@models_group.command("show")
@click.argument("version", required=False)
@_registry_option
def models_show_command(version: str | None, registry_dir: Path) -> None:
    """Show one version's record (default: the current one) and whether its files verify.

    Example: touchtext models show v0002
    """
    from .registry import ModelRegistry, RegistryError

    registry = ModelRegistry(registry_dir)
    name = version or registry.current()
    if name is None:
        raise RegistryError(f"{registry.file} has no versions yet; `touchtext retrain` creates the first.")
    record = registry.entry(name)
    try:
        registry.verify(name)
        verified, problem = True, None
    except TouchtextError as exc:
        verified, problem = False, str(exc)
    state = registry.state()
    status = "current" if name == state["current"] else "previous" if name == state["previous"] else ""
    shown = {"version": name, "status": status, "verified": verified, "problem": problem, **record}
    click.echo(json.dumps(shown, indent=2))


@models_group.command("promote")
@click.argument("version")
@_registry_option
@_lock_timeout_option
def models_promote_command(version: str, registry_dir: Path, lock_timeout: float) -> None:
    """Make a registered version current (its files are verified first).

    Example: touchtext models promote v0002
    """
    from .registry import ModelRegistry

    registry = ModelRegistry(registry_dir)
    with _EventLog("text").failures():
        registry.promote(version, reason="touchtext models promote", timeout=lock_timeout)
    click.echo(f"{version} is now current (previous: {registry.state()['previous']}).")


@models_group.command("rollback")
@_registry_option
@_lock_timeout_option
def models_rollback_command(registry_dir: Path, lock_timeout: float) -> None:
    """Make the previous version current again; a second rollback undoes the first.

    Example: touchtext models rollback
    """
    from .registry import ModelRegistry

    registry = ModelRegistry(registry_dir)
    with _EventLog("text").failures():
        version = registry.rollback(timeout=lock_timeout)
    click.echo(f"Rolled back: {version} is current again (previous: {registry.state()['previous']}).")


@cli.command("retrain")
@click.option(
    "--data",
    "data_paths",
    required=True,
    multiple=True,
    type=_path_in,
    help="Labeled file or folder of files (repeatable).",
)
@click.option("--new", "new_paths", multiple=True, type=_path_in, help="Newly labeled file to add (repeatable).")
@click.option("--taxonomy", "taxonomy_file", type=_path_in, help="Taxonomy TOML (default: the shipped one).")
@click.option("--max-macro-drop", default=0.01, show_default=True, help="Largest macro-F1 drop still promoted.")
@click.option("--max-label-drop", default=0.05, show_default=True, help="Largest drop of any touchpoint's F1.")
@click.option(
    "--min-label-support",
    default=5,
    show_default=True,
    help="Touchpoints with fewer held-out items are shown but not gated.",
)
@click.option("--force", is_flag=True, help="Retrain even if the data is what the current version was trained on.")
@click.option("--language", type=click.Choice(MODEL_LANGUAGES, case_sensitive=False),
              help="Language of the texts (default: the current model's); another one switches it.")  # fmt: skip
@_registry_option
@_lock_timeout_option
@_log_format_option
@_label_options
def retrain_command(
    data_paths: tuple[Path, ...],
    new_paths: tuple[Path, ...],
    taxonomy_file: Path | None,
    max_macro_drop: float,
    max_label_drop: float,
    min_label_support: int,
    force: bool,
    language: str | None,
    registry_dir: Path,
    lock_timeout: float,
    log_format: str,
    text_col: str,
    labels_col: str,
    sentiment_col: str | None,
) -> None:
    """Retrain, and promote the candidate only if it is not worse than the current model.

    Exit codes: 0 promoted; 4 current model kept (candidate refused, or no new data);
    2 bad labels or input; 5 registry locked by another job; 1 unexpected error.

    Example: touchtext retrain --data data/labeled --new inbox/june.jsonl --log-format json
    """
    from .retraining import Gate, retrain
    from .taxonomy import load_taxonomy

    log = _EventLog(log_format)
    with log.failures():
        result = retrain(
            list(data_paths),
            new=list(new_paths),
            registry=registry_dir,
            gate=Gate(
                max_macro_drop=max_macro_drop, max_label_drop=max_label_drop, min_label_support=min_label_support
            ),
            taxonomy=load_taxonomy(taxonomy_file),
            text_column=text_col,
            labels_column=labels_col,
            sentiment_column=sentiment_col,
            lock_timeout=lock_timeout,
            force=force,
            on_event=log,
            language=language,
        )
    if not result.promoted:
        raise click.exceptions.Exit(EXIT_KEPT_CURRENT)


@cli.command("drift")
@click.option("--data", "data_path", required=True, type=_path_in, help="New feedback export to check.")
@click.option(
    "--reference",
    type=_path_in,
    help="The training data (its split=test rows are used); default: the profile stored with the model.",
)
@click.option("--text-col", help="Column holding the feedback text (detected if omitted).")
@_model_options
@_registry_option
@_log_format_option
def drift_command(
    data_path: Path,
    reference: Path | None,
    text_col: str | None,
    model_dir: Path | None,
    trust_model: bool,
    registry_dir: Path,
    log_format: str,
) -> None:
    """Compare new data with the training data; say whether retraining or relabeling is advised.

    Example: touchtext drift --data exports/june.csv
    """
    from .retraining import check_drift

    log = _EventLog(log_format)
    with log.failures():
        report = check_drift(
            data_path,
            reference=reference,
            model=model_dir,
            trust=trust_model,
            registry=registry_dir,
            text_column=text_col,
        )
    if log.json:
        log(
            "drift",
            {
                "verdict": report.verdict,
                "reasons": list(report.reasons),
                "n_reference": report.n_reference,
                "n_new": report.n_new,
                "metrics": report.metrics,
                "thresholds": report.thresholds.__dict__,
                "mix": report.mix.round(4).to_dict(orient="records"),
            },
        )
        return
    m = report.metrics
    colour = {"ok": "green", "retrain advised": "yellow", "relabel advised": "red"}[report.verdict]
    click.echo(f"{report.n_new} new items vs {report.n_reference} reference items:\n")
    click.echo(f"{'':<30} {'reference':>10} {'new':>8}")
    click.echo(f"{'unknown-word rate':<30} {m['oov_rate_reference']:>10.1%} {m['oov_rate_new']:>8.1%}")
    click.echo(f"{'items with no touchpoint':<30} {m['unclear_share_reference']:>10.1%} {m['unclear_share_new']:>8.1%}")
    click.echo(
        f"{'median top confidence':<30} {m['median_confidence_reference']:>10.2f} "
        f"{m['median_confidence_new']:>8.2f}   (KS {m['confidence_ks']:.2f}, p {m['confidence_p']:.2g})"
    )
    click.echo(f"{'touchpoint mix distance':<30} {m['mix_distance']:>19.2f}   (Jensen-Shannon, p {m['mix_p']:.2g})")
    click.echo("\nLargest changes in the touchpoint mix:")
    for r in report.mix.head(5).itertuples(index=False):
        click.echo(f"  {r.touchpoint:<18} {r.reference_share:>6.1%} -> {r.new_share:>6.1%}")
    click.echo("\nVerdict: " + click.style(report.verdict, fg=colour, bold=True))
    for reason in report.reasons:
        click.echo(f"  - {reason}")


@contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Show touchtext's input warnings (e.g. a repeated column name) as one `touchtext: warning:` line."""
    from .errors import InputWarning

    previous = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, InputWarning):
            click.echo(f"touchtext: warning: {message}", err=True)
        else:
            previous(message, category, *args, **kwargs)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning errors into one line and a documented exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or bool(os.environ.get("TOUCHTEXT_DEBUG"))
    try:
        with _one_line_warnings():
            returned = cli.main(args=args, prog_name="touchtext", standalone_mode=False)
        if isinstance(returned, int) and returned != EXIT_OK:  # click returns Exit codes in this mode
            return returned
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_USER_ERROR
    except click.Abort:  # Ctrl-C (click turns KeyboardInterrupt into Abort)
        click.echo("touchtext: interrupted; outputs being written were discarded", err=True)
        return EXIT_INTERRUPTED
    except TouchtextError as exc:
        click.echo(f"touchtext: error: {exc}", err=True)
        return EXIT_USER_ERROR
    except Exception as exc:
        if debug:
            traceback.print_exc()
        else:
            click.echo(
                f"touchtext: unexpected error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
                err=True,
            )
        return EXIT_UNEXPECTED
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
