"""The end-to-end flow: read -> clean -> classify -> summarize -> write.

`classify` and `summarize` work on DataFrames; `run` chains them over a file and writes
every output atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import schema
from .cleaning import CleaningSettings, Source, clean
from .io import detect_text_column, read_table, write_csv, write_text
from .model import TouchpointModel, load_model, mentions_to_columns
from .report import render_report_html, render_summary_markdown, render_terminal_table
from .summaries import Period, SummaryCounts, SummaryTables, alerts, mentions
from .taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "OUTPUT_FILES",
    "SUMMARY_FILES",
    "RunResult",
    "classify",
    "classify_file",
    "run",
    "summarize_file",
    "write_summaries",
]

SUMMARY_FILES = ("summary.csv", "summary.json", "summary.md", "report.html")
OUTPUT_FILES = ("classified.csv", "mentions.csv", "sentences.csv", *SUMMARY_FILES)
ALERT_TEST = "one-sided exact binomial vs pooled earlier periods, Bonferroni-corrected, at least 3 negative items"


_SKIP_REASONS = {
    schema.STATUS_EMPTY: "no text after cleaning",
    schema.STATUS_AUTO_REPLY: "automatic reply (out of office); not analysed",
}


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
    `pii_redacted`), `status` (ok / unclear = no touchpoint above its threshold / empty /
    auto_reply), `status_reason`, `touchpoints`, `sentiments`, `confidence`, `mentions` (JSON
    with evidence spans into `clean_text` and each evidence sentence's sentiment),
    `needs_review` and `review_reason`; with `explain` > 0 also `explanation` (that many top
    contributing terms per touchpoint). Row order and count are kept.

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
    clean_status = out[schema.CLEAN_STATUS].tolist()
    analysed = [s == schema.STATUS_OK for s in clean_status]
    predictions = iter(fitted.predict_items([t for t, ok in zip(texts, analysed, strict=True) if ok], explain=explain))
    records = []
    for ok, status in zip(analysed, clean_status, strict=True):
        if not ok:
            cells: dict[str, object] = dict(mentions_to_columns([]))
            cells.update({schema.STATUS: status, schema.STATUS_REASON: _SKIP_REASONS[status],
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
) -> pd.DataFrame:
    """Read a feedback export, `classify` it and write the rows to `out_file` (CSV); with
    `sentences_file`, also one row per sentence that speaks of a touchpoint. Returns the rows.

    Example:
        >>> classify_file("tickets.jsonl", "classified.csv", explain=5)  # doctest: +SKIP
    """
    classified = classify(
        read_table(input_path), text_column=text_column, model=model, source=source, cleaning=cleaning, explain=explain
    )
    write_csv(classified, out_file)
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
) -> RunResult:
    """Read a feedback export, classify it, summarize it and write the outputs to `out_dir`.

    Writes classified.csv (every input row, in order), mentions.csv (one row per item and
    touchpoint), summary.csv, summary.json (trend by period when a date column exists, driver
    analysis when a rating/NPS/CSAT column exists, phrases, quotes, co-occurring complaints,
    roll-ups), summary.md and report.html (a self-contained page with charts).

    Example:
        >>> result = run("data/samples/reviews.csv", "out/")  # doctest: +SKIP
        >>> print(result.terminal_table())  # doctest: +SKIP
    """
    fitted, card = _resolve_model(model)
    taxonomy = _taxonomy_for(card, taxonomy)
    classified = classify(
        read_table(input_path), text_column=text_column, model=fitted, source=source, cleaning=cleaning
    )
    out = Path(out_dir)
    outputs = {
        "classified.csv": write_csv(classified, out / "classified.csv"),
        "mentions.csv": write_csv(mentions(classified), out / "mentions.csv"),
        "sentences.csv": write_csv(schema.sentence_table(classified), out / "sentences.csv"),
    }
    result = _summarize_and_write(
        classified, out, taxonomy=taxonomy, input_name=Path(input_path).name, model_name=card.get("name", ""),
        date_column=date_column, period=period, score_column=score_column, segments=segments, alert=alert,
    )  # fmt: skip
    return RunResult(classified, result.tables, outputs | result.outputs, result.alerts)


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
