"""Touchpoint pain-point summaries built from classified items.

Everything here is computed from counts (mentions, negative, neutral, positive per
touchpoint) so summaries of parts can later be added together.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from . import schema
from .errors import InputError
from .taxonomy import Taxonomy, load_taxonomy

__all__ = ["SUMMARY_COLUMNS", "mentions", "summarize", "wilson_interval"]

SUMMARY_COLUMNS = (
    "pain_rank",
    "touchpoint",
    "name",
    "stage",
    "facing",
    "mentions",
    "share",
    "negative",
    "neutral",
    "positive",
    "negative_share",
    "negative_share_low",
    "negative_share_high",
    "net_sentiment",
    "top_example",
    "top_example_row_id",
)


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion; honest for small counts.

    Example:
        >>> tuple(round(x, 3) for x in wilson_interval(3, 4))
        (0.301, 0.954)
    """
    if total <= 0:
        return (0.0, 0.0)
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _require(classified: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in classified.columns]
    if missing:
        raise InputError(
            f"Classified data lacks column(s) {', '.join(missing)}; pass the output of touchtext.classify "
            "(or a classified.csv written by `touchtext run`)."
        )


def mentions(classified: pd.DataFrame) -> pd.DataFrame:
    """One row per (item, touchpoint) with sentiment, confidences and the best evidence sentence.

    Example:
        >>> mentions(classify(df))[["row_id", "touchpoint", "sentiment"]].head(2)  # doctest: +SKIP
    """
    _require(classified, (schema.ROW_ID, schema.MENTIONS))
    rows = []
    for row_id, cell in zip(classified[schema.ROW_ID], classified[schema.MENTIONS], strict=True):
        if not isinstance(cell, str) or not cell.strip():
            continue
        try:
            items = json.loads(cell)
        except json.JSONDecodeError as exc:
            raise InputError(f"Row {row_id}: the {schema.MENTIONS!r} cell is not valid JSON ({exc.msg}).") from exc
        for m in items:
            evidence = m.get("evidence") or [{}]
            first = evidence[0]
            rows.append(
                {
                    schema.ROW_ID: row_id,
                    "touchpoint": m["touchpoint"],
                    "sentiment": m["sentiment"],
                    "confidence": float(m["confidence"]),
                    "sentiment_confidence": float(m["sentiment_confidence"]),
                    "evidence": first.get("text", ""),
                    "evidence_start": first.get("start"),
                    "evidence_end": first.get("end"),
                }
            )
    return pd.DataFrame(rows, columns=list(schema.MENTION_COLUMNS))


def _top_example(group: pd.DataFrame) -> tuple[str, object]:
    """The most confident negative evidence (the pain), else the most confident mention."""
    negative = group[group["sentiment"] == "negative"]
    pool = negative if not negative.empty else group
    score = pool["confidence"] * pool["sentiment_confidence"]
    best = pool.loc[score.idxmax()]
    return str(best["evidence"]), best[schema.ROW_ID]


def summarize(classified: pd.DataFrame, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Per-touchpoint pain-point summary, ranked by negative mentions (then negative share).

    Every touchpoint of the taxonomy appears, including those never mentioned. `share` is
    the fraction of analysed items (status ok or unclear) that mention the touchpoint; `net_sentiment` is
    (positive - negative) / mentions; `negative_share_low/high` is a 95% Wilson interval.

    Example:
        >>> summarize(classify(df)).head(3)[["touchpoint", "negative"]]  # doctest: +SKIP
    """
    taxonomy = taxonomy or load_taxonomy()
    _require(classified, (schema.ROW_ID, schema.MENTIONS, schema.STATUS))
    table = mentions(classified)
    unknown = sorted(set(table["touchpoint"]) - set(taxonomy.ids))
    if unknown:
        raise InputError(
            f"Classified data mentions touchpoint(s) {', '.join(unknown)} that are not in taxonomy "
            f"{taxonomy.name!r}; summarize with the taxonomy the model was trained on."
        )
    with_text = int(classified[schema.STATUS].isin([schema.STATUS_OK, schema.STATUS_UNCLEAR]).sum())
    rows = []
    for tp in taxonomy.touchpoints:
        group = table[table["touchpoint"] == tp.id]
        n = len(group)
        counts = group["sentiment"].value_counts()
        neg, neu, pos = (int(counts.get(s, 0)) for s in schema.SENTIMENT_LABELS)
        low, high = wilson_interval(neg, n)
        example, example_row = _top_example(group) if n else ("", None)
        rows.append(
            {
                "touchpoint": tp.id,
                "name": tp.name,
                "stage": tp.stage,
                "facing": tp.facing,
                "mentions": n,
                "share": n / with_text if with_text else 0.0,
                "negative": neg,
                "neutral": neu,
                "positive": pos,
                "negative_share": neg / n if n else 0.0,
                "negative_share_low": low,
                "negative_share_high": high,
                "net_sentiment": (pos - neg) / n if n else 0.0,
                "top_example": example,
                "top_example_row_id": example_row,
            }
        )
    summary = pd.DataFrame(rows)
    summary = summary.sort_values(["negative", "negative_share", "mentions"], ascending=False, kind="stable")
    summary.insert(0, "pain_rank", range(1, len(summary) + 1))
    summary["top_example_row_id"] = summary["top_example_row_id"].astype("Int64")
    return summary.reset_index(drop=True)[list(SUMMARY_COLUMNS)]
