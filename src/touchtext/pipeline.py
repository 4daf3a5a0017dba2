"""The end-to-end flow: read -> clean -> classify -> summarize -> write.

`classify` and `summarize` work on DataFrames; `run` chains them over a file and writes
every output atomically.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from . import database, schema
from ._langid import LANGUAGE_NAMES, UNDETERMINED
from .cleaning import TRUNCATED_NOTE, CleaningSettings, Source, clean
from .drivers import detect_score_column
from .io import detect_text_column, read_table, read_table_with_errors, write_csv, write_text
from .model import TouchpointModel, file_sha256, load_model, mentions_to_columns
from .report import render_report_html, render_summary_markdown, render_terminal_table
from .summaries import Period, SummaryCounts, SummaryTables, alerts, detect_date_column, mentions
from .taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "OUTPUT_FILES",
    "SUMMARY_FILES",
    "RunResult",
    "classify",
    "classify_file",
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


def _truncated(notes: str, length: int, found: list[Any]) -> dict[str, object]:
    """Status and reason of a classified text that was cut to the length limit."""
    original = re.search(re.escape(TRUNCATED_NOTE) + r"(\d+)", notes)
    size = f"{int(original.group(1)):,}" if original else "more than the limit"
    outcome = ("touchpoints: " + ", ".join(m.touchpoint for m in found)) if found else (
        "no touchpoint above its decision threshold")  # fmt: skip
    return {schema.STATUS: schema.STATUS_TOO_LONG,
            schema.STATUS_REASON: f"truncated from {size} to {length:,} characters; {outcome}"}  # fmt: skip


def _resolve_model(model: TouchpointModel | str | Path | None) -> tuple[TouchpointModel, dict[str, Any]]:
    if isinstance(model, TouchpointModel):
        return model, {}
    return load_model(model)


def classify(
    df: pd.DataFrame,
    *,
    text_column: str | None = None,
    model: TouchpointModel | str | Path | None = None,
    source: Source = "auto",
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
    `explanation` (that many top contributing terms per touchpoint). Row order and count are kept.

    Example:
        >>> out = classify(pd.DataFrame({"text": ["Charged twice for parking!"]}))
        >>> out.loc[0, "sentiments"]  # doctest: +SKIP
        'billing:negative|parking:negative'
    """
    fitted, _ = _resolve_model(model)
    column = detect_text_column(df, text_column)
    out = df.reset_index(drop=True).copy()
    if schema.ROW_ID not in out.columns:
        out.insert(0, schema.ROW_ID, range(1, len(out) + 1))
    out = clean(out, text_column=column, source=source, settings=cleaning)
    texts = out[schema.CLEAN_TEXT].tolist()
    skipped = _skipped(out, column, fitted.processor.settings.lang)
    analysed = [skip is None for skip in skipped]
    predictions = iter(fitted.predict_items([t for t, ok in zip(texts, analysed, strict=True) if ok], explain=explain))
    records = []
    for skip, notes, text in zip(skipped, out[schema.CLEAN_NOTES], texts, strict=True):
        if skip is not None:
            cells: dict[str, object] = dict(mentions_to_columns([]))
            cells.update({schema.STATUS: skip[0], schema.STATUS_REASON: skip[1],
                          schema.NEEDS_REVIEW: False, schema.REVIEW_REASON: ""})  # fmt: skip
        else:
            item = next(predictions)
            cells = dict(mentions_to_columns(item.mentions))
            cells.update({schema.NEEDS_REVIEW: item.needs_review, schema.REVIEW_REASON: "; ".join(item.review_reasons)})
            if item.mentions:
                cells.update({schema.STATUS: schema.STATUS_OK, schema.STATUS_REASON: ""})
            else:
                cells.update({schema.STATUS: schema.STATUS_UNCLEAR,
                              schema.STATUS_REASON: "no touchpoint above its decision threshold"})  # fmt: skip
            if TRUNCATED_NOTE in notes:
                cells.update(_truncated(notes, len(text), item.mentions))
            if explain:
                cells[schema.EXPLANATION] = " | ".join(
                    f"{tp}: {', '.join(terms)}" for tp, terms in item.explanations.items()
                )
        records.append(cells)
    columns = list(schema.CLASSIFICATION_COLUMNS) + ([schema.EXPLANATION] if explain else [])
    added = pd.DataFrame.from_records(records, columns=columns)
    if explain:
        added[schema.EXPLANATION] = added[schema.EXPLANATION].fillna("")
    return pd.concat([out, added], axis=1)


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
) -> pd.DataFrame:
    """Read a feedback export, `classify` it and write the rows to `out_file` (CSV); with
    `sentences_file`, also one row per sentence that speaks of a touchpoint. Returns the rows.

    Rows that cannot be parsed get status parse_error (and, with `errors_file`, a line there
    with line number, excerpt and problem); with `strict` they raise `InputError` instead.

    Example:
        >>> classify_file("tickets.jsonl", "classified.csv", explain=5)  # doctest: +SKIP
    """
    read = read_table_with_errors(input_path, sheet=sheet, strict=strict)
    classified = classify(
        read.table, text_column=text_column, model=model, source=source, cleaning=cleaning, explain=explain
    )
    write_csv(classified, out_file)
    if errors_file is not None:
        write_csv(read.errors, errors_file)
    if sentences_file is not None:
        write_csv(schema.sentence_table(classified), sentences_file)
    return classified


@dataclass(frozen=True)
class RunResult:
    """What `run` or `summarize_file` produced: the classified rows, the summaries and the files written."""

    classified: pd.DataFrame
    tables: SummaryTables
    outputs: dict[str, Path] = field(default_factory=dict)
    alerts: pd.DataFrame | None = None  # set when asked for alerts
    database: database.RunCounts | None = None  # set by run_to_db: what was stored

    @property
    def summary(self) -> pd.DataFrame:
        """The ranked per-touchpoint pain-point table (summary.csv)."""
        return self.tables.summary

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
) -> RunResult:
    """Read a feedback export, classify it, summarize it and write the outputs to `out_dir`.

    Writes classified.csv (every input row, in order; rows that could not be parsed have status
    parse_error), errors.csv (those rows: row_id, line, problem, excerpt; with `strict` they
    raise `InputError` before anything is written), mentions.csv (one row per item and
    touchpoint), summary.csv, summary.json (trend by period when a date column exists, driver
    analysis when a rating/NPS/CSAT column exists, phrases, quotes, co-occurring complaints,
    roll-ups), summary.md and report.html (a self-contained page with charts).

    Example:
        >>> result = run("data/samples/reviews.csv", "out/")  # doctest: +SKIP
        >>> print(result.terminal_table())  # doctest: +SKIP
    """
    fitted, card = _resolve_model(model)
    taxonomy = _taxonomy_for(card, taxonomy)
    read = read_table_with_errors(input_path, sheet=sheet, strict=strict)
    classified = classify(read.table, text_column=text_column, model=fitted, source=source, cleaning=cleaning)
    out = Path(out_dir)
    outputs = _write_rows(classified, read.errors, out)
    result = _summarize_and_write(
        classified, out, taxonomy=taxonomy, input_name=Path(input_path).name, model_name=card.get("name", ""),
        date_column=date_column, period=period, score_column=score_column, segments=segments, alert=alert,
    )  # fmt: skip
    return RunResult(classified, result.tables, outputs | result.outputs, result.alerts)


def _write_rows(classified: pd.DataFrame, errors: pd.DataFrame, out: Path) -> dict[str, Path]:
    """Write the row-level outputs (classified, errors, mentions, sentences) atomically into `out`."""
    return {
        "classified.csv": write_csv(classified, out / "classified.csv"),
        "errors.csv": write_csv(errors, out / "errors.csv"),
        "mentions.csv": write_csv(mentions(classified), out / "mentions.csv"),
        "sentences.csv": write_csv(schema.sentence_table(classified), out / "sentences.csv"),
    }


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
    return RunResult(classified=classified, tables=tables, outputs=outputs, alerts=alert_table)


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
    classified = read_table(classified_path, add_row_id=False)
    schema.require_columns(classified, (schema.ROW_ID,))
    numeric_ids = pd.to_numeric(classified[schema.ROW_ID], errors="coerce")
    if numeric_ids.notna().all() and (numeric_ids % 1 == 0).all():  # touchtext's own 1-based row ids
        classified[schema.ROW_ID] = numeric_ids.astype("int64")
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
    batch_size: int = database.DEFAULT_BATCH_SIZE,
    sheet: str | None = None,
    strict: bool = False,
) -> RunResult:
    """`run` into a results database (see `touchtext.database`), and into `out_dir` when given.

    Items are keyed by `id_column` (or a detected id column such as review_id, else a hash of
    the row). Ids already stored are left as they are, so rerunning an export adds nothing; with
    `incremental` only rows to be stored are classified; with `reclassify` stored items that
    another model classified are classified again and rewritten. Every `batch_size` rows are
    classified and then stored in one transaction. `classified` holds the rows classified.
    Rows that cannot be parsed are stored with status parse_error (and listed in errors.csv in
    `out_dir`); with `strict` they raise `InputError` before anything is stored.

    Example:
        >>> run_to_db("exports/today.csv", "sqlite:///touchtext.db", incremental=True).database  # doctest: +SKIP
    """
    database.check_batch_size(batch_size)
    with database.ResultsDatabase(url) as db:  # first, so a bad URL fails before any work
        fitted, card = _resolve_model(model)
        taxonomy = _taxonomy_for(card, taxonomy)
        read = read_table_with_errors(input_path, sheet=sheet, strict=strict)
        table = read.table
        column = detect_text_column(table, text_column)
        id_source = database.detect_id_column(table, id_column)
        ids = database.item_ids(table, id_column=id_source)
        if database.ITEM_ID in table.columns and id_source != database.ITEM_ID:
            table = table.rename(columns={database.ITEM_ID: f"{database.ITEM_ID}_input"})
        table[database.ITEM_ID] = ids
        mode = ("incremental" if incremental else "all") + ("+reclassify" if reclassify else "")
        info = database.RunInfo(
            input=str(input_path), input_sha256=file_sha256(Path(input_path)), mode=mode, id_column=id_source,
            text_column=column, date_column=detect_date_column(table, date_column),
            score_column=detect_score_column(table, score_column), model_name=str(card.get("name", "")),
            model_version=_model_version(model, card), model_sha256=str(card.get("model_sha256", "")),
            taxonomy=taxonomy.to_dict(),
        )  # fmt: skip
        parts = []
        with db.start_run(info) as stored:
            todo = table[stored.plan(table[database.ITEM_ID], incremental=incremental, reclassify=reclassify)]
            for start in range(0, max(len(todo), 1), batch_size):
                part = classify(todo.iloc[start : start + batch_size], text_column=column, model=fitted,
                                source=source, cleaning=cleaning)  # fmt: skip
                stored.write(part)
                parts.append(part)
    classified = pd.concat(parts, ignore_index=True)
    columns: dict[str, Any] = {"date_column": info.date_column, "score_column": info.score_column, "segments": segments}
    if out_dir is None:
        tables = SummaryCounts.from_classified(classified, taxonomy=taxonomy, **columns).finalize(period=period)
        result = RunResult(classified, tables, alerts=alerts(tables.trend) if alert else None)
    else:
        out = Path(out_dir)
        outputs = _write_rows(classified, read.errors, out)
        result = _summarize_and_write(classified, out, taxonomy=taxonomy, input_name=Path(input_path).name,
                                      model_name=str(card.get("name", "")), period=period, alert=alert,
                                      **columns)  # fmt: skip
        result = RunResult(classified, result.tables, outputs | result.outputs, result.alerts)
    return RunResult(result.classified, result.tables, result.outputs, result.alerts, stored.counts)


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
