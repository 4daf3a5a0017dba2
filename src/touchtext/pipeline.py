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
from .drivers import drivers
from .io import detect_text_column, read_table, write_csv, write_text
from .model import TouchpointModel, load_model, mentions_to_columns
from .report import render_summary_markdown, render_terminal_table
from .summaries import (
    Period,
    alerts,
    cooccurrence,
    mentions,
    phrases,
    quotes,
    rollup,
    summarize,
    summary_document,
    trend,
)
from .taxonomy import Taxonomy, load_taxonomy

__all__ = ["OUTPUT_FILES", "RunResult", "classify", "run"]

OUTPUT_FILES = ("classified.csv", "mentions.csv", "summary.csv", "summary.json", "summary.md")


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
) -> pd.DataFrame:
    """Clean and classify every row of `df` into touchpoints with a sentiment per touchpoint.

    Returns a new DataFrame: the input columns plus `row_id` (if absent), the cleaning columns
    (`clean_text`, `source_kind`, `clean_status`, `clean_notes`, `text_rating`,
    `pii_redacted`), `status` (ok / unclear / empty / auto_reply), `status_reason`,
    `touchpoints`, `sentiments`, `confidence` and `mentions` (JSON with evidence spans into
    `clean_text`). Row order and count are kept.

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
    predictions = iter(fitted.predict([t for t, ok in zip(texts, analysed, strict=True) if ok]))
    records = []
    for ok, status in zip(analysed, clean_status, strict=True):
        if not ok:
            cells = mentions_to_columns([])
            cells.update({schema.STATUS: status, schema.STATUS_REASON: _SKIP_REASONS[status]})
        else:
            found = next(predictions)
            cells = mentions_to_columns(found)
            if found:
                cells.update({schema.STATUS: schema.STATUS_OK, schema.STATUS_REASON: ""})
            else:
                cells.update(
                    {
                        schema.STATUS: schema.STATUS_UNCLEAR,
                        schema.STATUS_REASON: "no touchpoint above its decision threshold",
                    }
                )
        records.append(cells)
    added = pd.DataFrame.from_records(
        records,
        columns=[
            schema.STATUS,
            schema.STATUS_REASON,
            schema.TOUCHPOINTS,
            schema.SENTIMENTS,
            schema.CONFIDENCE,
            schema.MENTIONS,
        ],
    )
    return pd.concat([out, added], axis=1)


@dataclass(frozen=True)
class RunResult:
    """What `run` produced: the classified rows, the summary and the files written."""

    classified: pd.DataFrame
    summary: pd.DataFrame
    outputs: dict[str, Path] = field(default_factory=dict)
    alerts: pd.DataFrame | None = None  # set when run(..., alert=True)

    def terminal_table(self, top: int = 10) -> str:
        """The ranked pain-point table as printed by `touchtext run`."""
        return render_terminal_table(self.summary, top=top)


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
    touchpoint), summary.csv, summary.json (with trend by period when a date column exists,
    driver analysis when a rating/NPS/CSAT column exists, representative quotes and
    co-occurring complaints) and summary.md.

    Example:
        >>> result = run("data/samples/reviews.csv", "out/")  # doctest: +SKIP
        >>> print(result.terminal_table())  # doctest: +SKIP
    """
    fitted, card = _resolve_model(model)
    if taxonomy is None:
        taxonomy = Taxonomy.from_dict(card["taxonomy"], "the model card") if "taxonomy" in card else load_taxonomy()
    table = read_table(input_path)
    classified = classify(table, text_column=text_column, model=fitted, source=source, cleaning=cleaning)
    phrase_table = phrases(classified, taxonomy=taxonomy)  # spaCy over all evidence: once
    summary = summarize(classified, taxonomy, phrase_table=phrase_table)
    trends = trend(classified, date_column=date_column, period=period, taxonomy=taxonomy)
    quote_table = quotes(classified)
    pairs = cooccurrence(classified)
    driver_table = drivers(classified, score_column=score_column, taxonomy=taxonomy)
    out = Path(out_dir)
    document = summary_document(classified, summary, trends=trends, quote_table=quote_table, pairs=pairs)
    document["drivers"] = json.loads(driver_table.to_json(orient="records")) if not driver_table.empty else []
    document["phrases"] = json.loads(phrase_table.to_json(orient="records"))
    rollups = {by: rollup(classified, by, taxonomy=taxonomy) for by in ("stage", "facing", *segments)}
    document["rollups"] = {by: json.loads(table.to_json(orient="records")) for by, table in rollups.items()}
    alert_table = alerts(trends) if alert else None
    outputs = {
        "classified.csv": write_csv(classified, out / "classified.csv"),
        "mentions.csv": write_csv(mentions(classified), out / "mentions.csv"),
        "summary.csv": write_csv(summary, out / "summary.csv"),
        "summary.json": write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", out / "summary.json"),
        "summary.md": write_text(
            render_summary_markdown(
                summary,
                n_items=len(classified),
                input_name=Path(input_path).name,
                model_name=card.get("name", ""),
                trends=trends,
                quote_table=quote_table,
                driver_table=driver_table,
            ),
            out / "summary.md",
        ),
    }
    if alert_table is not None:
        alert_document = {"schema_version": 1, "test": "one-sided exact binomial vs pooled earlier periods, "
                          "Bonferroni-corrected, at least 3 negative items", "alerts": json.loads(
                              alert_table.to_json(orient="records")) if not alert_table.empty else []}  # fmt: skip
        outputs["alerts.json"] = write_text(json.dumps(alert_document, indent=2) + "\n", out / "alerts.json")
    return RunResult(classified=classified, summary=summary, outputs=outputs, alerts=alert_table)
