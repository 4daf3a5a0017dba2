"""The `touchtext` command line: each command parses options, calls one library function, prints.

Exit codes: 0 success; 2 a problem with the input or options (one line on stderr);
1 an unexpected error (rerun with --debug for the traceback).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from .errors import TouchtextError

if TYPE_CHECKING:
    from .cleaning import CleaningSettings
    from .pipeline import RunResult

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USER_ERROR = 2
EXIT_ALERT = 3  # `run --alert` found a significant rise in complaints

_path_in = click.Path(path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="touchtext")
@click.option("--debug", is_flag=True, help="Show full tracebacks for unexpected errors.")
def cli(debug: bool) -> None:
    """Turn customer feedback into touchpoint pain points.

    Example: touchtext run data/samples/reviews.csv --out out/
    """


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
def clean_command(
    input_path: Path,
    out_file: Path,
    text_col: str | None,
    turns_file: Path | None,
    sentences_file: Path | None,
    source: str,
    keep_pii: bool,
    clean_config: Path | None,
) -> None:
    """Clean a feedback export: markup, quoted replies, signatures, speaker turns, personal data.

    Example: touchtext clean tickets.jsonl --out cleaned.csv
    """
    from .cleaning import clean, sentences
    from .io import read_table, write_csv
    from .transcripts import turns

    settings = _cleaning_settings(clean_config, keep_pii)
    table = read_table(input_path)
    cleaned = clean(table, text_column=text_col, source=source, settings=settings)  # type: ignore[arg-type]
    write_csv(cleaned, out_file)
    counts = cleaned["clean_status"].value_counts()
    click.echo(f"Cleaned {len(cleaned)} rows ({', '.join(f'{k} {v}' for k, v in counts.items())}) -> {out_file}")
    if turns_file:
        transcripts = cleaned[cleaned["source_kind"] == "transcript"]
        write_csv(turns(transcripts, text_column=text_col), turns_file)
        click.echo(f"Wrote speaker turns -> {turns_file}")
    if sentences_file:
        write_csv(sentences(table, text_column=text_col, source=source, settings=settings), sentences_file)  # type: ignore[arg-type]
        click.echo(f"Wrote sentences -> {sentences_file}")


@cli.command("run")
@click.argument("input_path", metavar="INPUT", type=_path_in)
@click.option("--out", "out_dir", required=True, type=_path_in, help="Folder for the outputs (created if needed).")
@click.option("--text-col", help="Column holding the feedback text (detected if omitted).")
@click.option("--model", "model_dir", type=_path_in, help="Model folder (default: the shipped model).")
@click.option("--top", default=10, show_default=True, help="How many pain points to print.")
@click.option("--quiet", is_flag=True, help="Print nothing on success.")
@_summary_options
@_cleaning_options
def run_command(
    input_path: Path,
    out_dir: Path,
    text_col: str | None,
    model_dir: Path | None,
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
) -> None:
    """Clean, classify and summarize a feedback export; write the results to --out.

    Example: touchtext run data/samples/reviews.csv --out out/
    """
    from .pipeline import run

    started = time.perf_counter()
    settings = _cleaning_settings(clean_config, keep_pii)
    result = run(
        input_path,
        out_dir,
        text_column=text_col,
        model=model_dir,
        source=source,  # type: ignore[arg-type]
        cleaning=settings,
        date_column=date_col,
        period=period,  # type: ignore[arg-type]
        score_column=score_col,
        segments=segments,
        alert=alert,
    )
    if not quiet:
        _print_run(result, time.perf_counter() - started, top)
    _report_alerts(result)


def _print_run(result: RunResult, seconds: float, top: int) -> None:
    counts = result.classified["status"].value_counts()
    status = ", ".join(f"{k} {v}" for k, v in counts.items())
    click.echo(f"Classified {len(result.classified)} rows ({status}) in {seconds:.1f} s.\n")
    click.echo(result.terminal_table(top=top))
    click.echo("\nWrote " + ", ".join(str(p) for p in result.outputs.values()))


@cli.command("classify")
@click.argument("input_path", metavar="INPUT", type=_path_in)
@click.option("--out", "out_file", required=True, type=_path_in, help="CSV file to write.")
@click.option("--text-col", help="Column holding the feedback text (detected if omitted).")
@click.option("--model", "model_dir", type=_path_in, help="Model folder (default: the shipped model).")
@_cleaning_options
def classify_command(
    input_path: Path,
    out_file: Path,
    text_col: str | None,
    model_dir: Path | None,
    source: str,
    keep_pii: bool,
    clean_config: Path | None,
) -> None:
    """Classify every row of a feedback export into touchpoints with sentiment.

    Example: touchtext classify tickets.jsonl --out classified.csv
    """
    from .io import read_table, write_csv
    from .pipeline import classify

    settings = _cleaning_settings(clean_config, keep_pii)
    classified = classify(
        read_table(input_path),
        text_column=text_col,
        model=model_dir,
        source=source,  # type: ignore[arg-type]
        cleaning=settings,
    )
    write_csv(classified, out_file)
    click.echo(f"Classified {len(classified)} rows -> {out_file}")


@cli.command("summarize")
@click.argument("classified_path", metavar="CLASSIFIED", type=_path_in)
@click.option("--out", "out_dir", required=True, type=_path_in, help="Folder for the summary files and report.html.")
@click.option("--taxonomy", "taxonomy_file", type=_path_in, help="Taxonomy TOML (default: the shipped one).")
@click.option("--top", default=10, show_default=True, help="Rows of the pain-point table to print.")
@click.option("--quiet", is_flag=True, help="Print nothing on success.")
@_summary_options
def summarize_command(
    classified_path: Path,
    out_dir: Path,
    taxonomy_file: Path | None,
    top: int,
    quiet: bool,
    date_col: str | None,
    period: str | None,
    score_col: str | None,
    segments: tuple[str, ...],
    alert: bool,
) -> None:
    """Summarize a classified.csv into ranked pain points, summary files and report.html.

    Example: touchtext summarize out/classified.csv --out out/ --by location
    """
    from .pipeline import summarize_file
    from .taxonomy import load_taxonomy

    result = summarize_file(
        classified_path,
        out_dir,
        taxonomy=load_taxonomy(taxonomy_file),
        date_column=date_col,
        period=period,  # type: ignore[arg-type]
        score_column=score_col,
        segments=segments,
        alert=alert,
    )
    if not quiet:
        click.echo(result.terminal_table(top=top))
        click.echo("\nWrote " + ", ".join(str(p) for p in result.outputs.values()))
    _report_alerts(result)


@cli.command("train")
@click.option("--data", "data_path", required=True, type=_path_in, help="Labeled file or folder of files.")
@click.option("--out", "out_dir", required=True, type=_path_in, help="Folder to write the model and its card.")
@click.option("--text-col", default="text", show_default=True, help="Column holding the text.")
@click.option(
    "--labels-col",
    default="labels",
    show_default=True,
    help="Column holding labels like 'billing:negative|delivery:positive'.",
)
@click.option("--taxonomy", "taxonomy_file", type=_path_in, help="Taxonomy TOML (default: the shipped one).")
def train_command(data_path: Path, out_dir: Path, text_col: str, labels_col: str, taxonomy_file: Path | None) -> None:
    """Train a touchpoint model on labeled data and report held-out metrics.

    Example: touchtext train --data data/labeled --out models/default
    """
    from .model import save_model
    from .taxonomy import load_taxonomy
    from .training import load_labeled, train

    taxonomy = load_taxonomy(taxonomy_file)
    labeled = load_labeled(data_path, text_column=text_col, labels_column=labels_col, taxonomy=taxonomy)
    result = train(labeled, taxonomy=taxonomy)
    save_model(result.model, result.card, out_dir)
    click.echo(_metrics_table(result.card))
    click.echo(f"\nSaved model to {out_dir}")


def _metrics_table(card: dict) -> str:
    m, data = card.get("metrics", {}), card["data"]
    lines = [
        f"Trained on {data['n_train']} items in {card['training_seconds']} s; "
        f"held-out test split: {data['n_test']} items."
    ]
    if not m:
        return lines[0] + " (no test rows: no held-out metrics)"
    lines.append(f"{'touchpoint':<18} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}")
    for t, v in m["per_touchpoint"].items():
        lines.append(f"{t:<18} {v['precision']:>9.2f} {v['recall']:>7.2f} {v['f1']:>6.2f} {v['support']:>8}")
    lines.append(
        f"\nmicro-F1 {m['micro_f1']:.3f} | macro-F1 {m['macro_f1']:.3f} | "
        f"sentiment accuracy {m['sentiment_accuracy']:.3f} (macro-F1 {m['sentiment_macro_f1']:.3f}, "
        f"{m['sentiment_pairs']} touchpoint-sentiment pairs) | pair-F1 {m['pair_f1']:.3f}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning errors into one line and a documented exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or bool(os.environ.get("TOUCHTEXT_DEBUG"))
    try:
        returned = cli.main(args=args, prog_name="touchtext", standalone_mode=False)
        if isinstance(returned, int) and returned != EXIT_OK:  # click returns Exit codes in this mode
            return returned
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_USER_ERROR
    except click.Abort:
        click.echo("touchtext: aborted", err=True)
        return EXIT_UNEXPECTED
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
