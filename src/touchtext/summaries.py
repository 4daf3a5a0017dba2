"""Touchpoint pain-point summaries built from classified items.

Everything here is computed from counts (mentions, negative, neutral, positive per
touchpoint) so summaries of parts can later be added together.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from typing import Literal

import pandas as pd
from scipy.stats import binomtest

from . import schema
from .errors import InputError
from .io import find_column
from .language import TextProcessor
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
    "top_phrases",
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


def summarize(
    classified: pd.DataFrame, taxonomy: Taxonomy | None = None, *, phrase_table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per-touchpoint pain-point summary, ranked by negative mentions (then negative share).

    Every touchpoint of the taxonomy appears, including those never mentioned. `share` is
    the fraction of analysed items (status ok or unclear) that mention the touchpoint; `net_sentiment` is
    (positive - negative) / mentions; `negative_share_low/high` is a 95% Wilson interval.
    `phrase_table` is the output of `phrases` when already computed (its top 5 per touchpoint
    fill `top_phrases`).

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
    explained = phrase_table if phrase_table is not None else phrases(classified, taxonomy=taxonomy)
    explained = explained[explained["rank"] <= 5]
    summary["top_phrases"] = [
        "; ".join(explained.loc[explained["touchpoint"] == tp, "phrase"]) for tp in summary["touchpoint"]
    ]
    summary = summary.sort_values(["negative", "negative_share", "mentions"], ascending=False, kind="stable")
    summary.insert(0, "pain_rank", range(1, len(summary) + 1))
    summary["top_example_row_id"] = summary["top_example_row_id"].astype("Int64")
    return summary.reset_index(drop=True)[list(SUMMARY_COLUMNS)]


# -- trends ---------------------------------------------------------------------------------
Period = Literal["day", "week", "month"]
_DATE_COLUMN_HINTS = ("date", "created_at", "created", "timestamp", "time", "submitted_at", "review_date",
                      "started_at", "datetime", "day")  # fmt: skip


def _parses_as_dates(values: pd.Series) -> bool:
    return bool(pd.to_datetime(values, errors="coerce", utc=True, format="mixed").notna().mean() >= 0.8)


def detect_date_column(df: pd.DataFrame, date_column: str | None = None) -> str | None:
    """The column holding each item's date: the one given, else a well-known name that parses."""
    return find_column(df, given=date_column, hints=_DATE_COLUMN_HINTS, accepts=_parses_as_dates, what="Date")


def choose_period(dates: pd.Series) -> Period:
    """day for up to 31 days of data, week for up to 26 weeks, month beyond."""
    span = dates.max() - dates.min()
    if pd.isna(span) or span <= pd.Timedelta(days=31):
        return "day"
    return "week" if span <= pd.Timedelta(weeks=26) else "month"


def _two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of a two-proportion z-test (1.0 when a side is empty)."""
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k2 / n2 - k1 / n1) / se
    return math.erfc(abs(z) / math.sqrt(2))


def trend(
    classified: pd.DataFrame,
    *,
    date_column: str | None = None,
    period: Period | None = None,
    taxonomy: Taxonomy | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Per period and touchpoint: items, mentions, negatives and the share of items with a
    negative mention, flagged `rise`/`fall` when that share differs from the previous period
    by a two-proportion z-test at `alpha`. Empty when there is no usable date column.

    Example:
        >>> trend(classified, period="month").query("change == 'rise'")  # doctest: +SKIP
    """
    taxonomy = taxonomy or load_taxonomy()
    columns = ["period", "touchpoint", "items", "mentions", "negative", "negative_item_share", "p_value", "change"]
    column = detect_date_column(classified, date_column)
    if column is None:
        return pd.DataFrame(columns=columns)
    dates = pd.to_datetime(classified[column], errors="coerce", utc=True, format="mixed")
    analysed = classified[schema.STATUS].isin([schema.STATUS_OK, schema.STATUS_UNCLEAR]) & dates.notna()
    period = period or choose_period(dates[analysed])
    freq = {"day": "D", "week": "W-MON", "month": "M"}[period]
    labels = dates.dt.tz_localize(None).dt.to_period(freq).astype(str)
    items = labels[analysed].value_counts().sort_index()
    table = mentions(classified)
    table["period"] = table[schema.ROW_ID].map(dict(zip(classified[schema.ROW_ID], labels, strict=True)))
    table = table[table[schema.ROW_ID].isin(classified.loc[analysed, schema.ROW_ID])]
    rows = []
    for tp in taxonomy.ids:
        sub = table[table["touchpoint"] == tp]
        previous: tuple[int, int] | None = None
        for label, n_items in items.items():
            in_period = sub[sub["period"] == label]
            negative = int((in_period["sentiment"] == "negative").sum())
            p_value, change = 1.0, ""
            if previous is not None:
                p_value = _two_proportion_p(previous[0], previous[1], negative, int(n_items))
                if p_value < alpha:
                    change = "rise" if negative / n_items > previous[0] / previous[1] else "fall"
            rows.append({"period": label, "touchpoint": tp, "items": int(n_items), "mentions": len(in_period),
                         "negative": negative, "negative_item_share": negative / n_items if n_items else 0.0,
                         "p_value": p_value, "change": change})  # fmt: skip
            previous = (negative, int(n_items))
    return pd.DataFrame(rows, columns=columns)


# -- quotes and co-occurrence ---------------------------------------------------------------
def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def quotes(classified: pd.DataFrame, *, per_group: int = 3, max_overlap: float = 0.5) -> pd.DataFrame:
    """Up to `per_group` confident, mutually different evidence sentences per touchpoint and sentiment.

    Confidence is touchpoint confidence x sentiment confidence; a sentence is skipped when its
    word overlap (Jaccard) with an already chosen one exceeds `max_overlap`.
    """
    table = mentions(classified)
    table = table[table["evidence"].astype(str).str.strip() != ""]
    table = table.assign(score=table["confidence"] * table["sentiment_confidence"])
    rows = []
    for (tp, sentiment), group in table.groupby(["touchpoint", "sentiment"], sort=True):
        chosen: list[set[str]] = []
        for record in group.sort_values("score", ascending=False, kind="stable").to_dict("records"):
            words = _words(record["evidence"])
            if any(len(words & c) / max(len(words | c), 1) > max_overlap for c in chosen):
                continue
            chosen.append(words)
            rows.append({"touchpoint": tp, "sentiment": sentiment, "rank": len(chosen), "quote": record["evidence"],
                         schema.ROW_ID: record[schema.ROW_ID], "score": round(float(record["score"]), 4)})  # fmt: skip
            if len(chosen) == per_group:
                break
    return pd.DataFrame(rows, columns=["touchpoint", "sentiment", "rank", "quote", schema.ROW_ID, "score"])


def cooccurrence(classified: pd.DataFrame) -> pd.DataFrame:
    """Pairs of touchpoints complained about in the same item: count and lift over independence."""
    table = mentions(classified)
    negative = table[table["sentiment"] == "negative"]
    by_item = negative.groupby(schema.ROW_ID)["touchpoint"].apply(lambda s: sorted(set(s)))
    n_items = int(classified[schema.STATUS].isin([schema.STATUS_OK, schema.STATUS_UNCLEAR]).sum())
    single: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for tps in by_item:
        for tp in tps:
            single[tp] = single.get(tp, 0) + 1
        for i, a in enumerate(tps):
            for b in tps[i + 1 :]:
                pairs[(a, b)] = pairs.get((a, b), 0) + 1
    rows = [
        {"touchpoint_a": a, "touchpoint_b": b, "both_negative": k,
         "lift": (k * n_items) / (single[a] * single[b]) if n_items else 0.0}
        for (a, b), k in pairs.items()
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=["touchpoint_a", "touchpoint_b", "both_negative", "lift"])
    return out.sort_values(["both_negative", "lift"], ascending=False, kind="stable").reset_index(drop=True)


SUMMARY_SCHEMA_VERSION = 1


def summary_document(
    classified: pd.DataFrame,
    summary: pd.DataFrame,
    *,
    trends: pd.DataFrame | None = None,
    quote_table: pd.DataFrame | None = None,
    pairs: pd.DataFrame | None = None,
) -> dict[str, object]:
    """The machine-readable summary (summary.json), with a schema version."""
    status_counts = classified[schema.STATUS].value_counts()

    def records(df: pd.DataFrame | None) -> list[dict[str, object]]:
        if df is None or df.empty:
            return []
        return json.loads(df.to_json(orient="records", force_ascii=False))

    return {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "items": len(classified),
        "status_counts": {str(k): int(v) for k, v in status_counts.items()},
        "touchpoints": records(summary),
        "trend": records(trends),
        "quotes": records(quote_table),
        "cooccurrence": records(pairs),
    }


# -- roll-ups -------------------------------------------------------------------------------
def rollup(classified: pd.DataFrame, by: str, *, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Pain points rolled up by journey `stage`, by `facing` (customer-facing vs -touching), or
    per value of a segment column of the input (e.g. "channel", "location") and touchpoint.

    Example:
        >>> rollup(classified, "location").query("touchpoint == 'parking'")  # doctest: +SKIP
    """
    taxonomy = taxonomy or load_taxonomy()
    table = mentions(classified)
    analysed = classified[classified[schema.STATUS].isin([schema.STATUS_OK, schema.STATUS_UNCLEAR])]
    if by in ("stage", "facing"):
        attribute = {t.id: getattr(t, by) for t in taxonomy.touchpoints}
        table = table.assign(group=table["touchpoint"].map(attribute))
        keys, group_items = ["group"], None
    elif by in classified.columns:
        segment = dict(zip(classified[schema.ROW_ID], classified[by].astype(str), strict=True))
        table = table.assign(group=table[schema.ROW_ID].map(segment))
        keys, group_items = ["group", "touchpoint"], analysed[by].astype(str).value_counts()
    else:
        raise InputError(
            f"Cannot roll up by {by!r}: use 'stage', 'facing' or a column of the input "
            f"({', '.join(str(c) for c in classified.columns if c not in schema.ADDED_COLUMNS)})."
        )
    counts = table.groupby(keys)["sentiment"].value_counts().unstack(fill_value=0)
    counts = counts.reindex(columns=list(schema.SENTIMENT_LABELS), fill_value=0).reset_index()
    counts.columns.name = None
    counts["mentions"] = counts[list(schema.SENTIMENT_LABELS)].sum(axis=1)
    counts["negative_share"] = counts["negative"] / counts["mentions"]
    counts["net_sentiment"] = (counts["positive"] - counts["negative"]) / counts["mentions"]
    if group_items is not None:
        counts.insert(1, "items", counts["group"].map(group_items).fillna(0).astype(int))
    counts = counts.rename(columns={"group": by})
    return counts.sort_values(["negative", "mentions"], ascending=False, kind="stable").reset_index(drop=True)


# -- alerts ---------------------------------------------------------------------------------
def alerts(trends: pd.DataFrame, *, alpha: float = 0.05, min_negative: int = 3) -> pd.DataFrame:
    """Touchpoints whose share of items with a negative mention rose in the latest period.

    The test: a one-sided exact binomial test of the latest period's negative items against the
    share in all preceding periods pooled (smoothed as (k + 1) / (n + 2) so an empty history is
    not a zero), Bonferroni-corrected over the touchpoints tested, and at least `min_negative`
    negative items in the latest period, so scheduled runs do not cry wolf on tiny counts.
    """
    columns = ["touchpoint", "period", "negative", "items", "share", "baseline_share", "p_value"]
    if trends.empty or trends["period"].nunique() < 2:
        return pd.DataFrame(columns=columns)
    latest = trends["period"].max()
    rows = []
    tested = trends["touchpoint"].nunique()
    for tp, group in trends.groupby("touchpoint", sort=False):
        now = group[group["period"] == latest]
        before = group[group["period"] < latest]
        k2, n2 = int(now["negative"].sum()), int(now["items"].sum())
        k1, n1 = int(before["negative"].sum()), int(before["items"].sum())
        if n2 == 0 or k2 < min_negative:
            continue
        baseline = (k1 + 1) / (n1 + 2)
        p_value = float(binomtest(k2, n2, baseline, alternative="greater").pvalue)
        if p_value * tested < alpha:
            rows.append({"touchpoint": tp, "period": latest, "negative": k2, "items": n2, "share": k2 / n2,
                         "baseline_share": k1 / n1 if n1 else 0.0, "p_value": p_value})  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


# -- phrases --------------------------------------------------------------------------------
def _ngrams(lemmas: list[str]) -> list[str]:
    return lemmas + [f"{a} {b}" for a, b in itertools.pairwise(lemmas)]


def phrases(
    classified: pd.DataFrame,
    *,
    taxonomy: Taxonomy | None = None,
    top: int = 8,
    prior_strength: float = 500.0,
    min_count: int = 2,
) -> pd.DataFrame:
    """The phrases that explain each touchpoint's pain: lemma 1-2-grams of its negative evidence
    that are distinctive against all other evidence, ranked by the z-score of the weighted
    log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008).

    Example:
        >>> phrases(classified).query("touchpoint == 'parking'").head(3)  # doctest: +SKIP
    """
    taxonomy = taxonomy or load_taxonomy()
    columns = ["touchpoint", "rank", "phrase", "count", "z"]
    table = mentions(classified)
    table = table[table["evidence"].astype(str).str.strip() != ""]
    if table.empty:
        return pd.DataFrame(columns=columns)
    processor = TextProcessor()
    texts = table["evidence"].astype(str).tolist()
    grams = [Counter(_ngrams(processor.content_lemmas(doc))) for doc in processor.docs(texts)]
    table = table.assign(_grams=grams)
    total: Counter[str] = Counter()
    for g in grams:
        total.update(g)
    n_total = sum(total.values())
    rows = []
    for tp in taxonomy.ids:
        target = table[(table["touchpoint"] == tp) & (table["sentiment"] == "negative")]
        if target.empty:
            continue
        counts_a: Counter[str] = Counter()
        for g in target["_grams"]:
            counts_a.update(g)
        n_a = sum(counts_a.values())
        n_b = n_total - n_a
        scored = []
        for gram, y_a in counts_a.items():
            if y_a < min_count:
                continue
            y_b = total[gram] - y_a
            prior = prior_strength * total[gram] / n_total
            delta = math.log((y_a + prior) / (n_a + prior_strength - y_a - prior)) - math.log(
                (y_b + prior) / (n_b + prior_strength - y_b - prior)
            )
            z = delta / math.sqrt(1 / (y_a + prior) + 1 / (y_b + prior))
            scored.append((z, y_a, gram))
        scored.sort(key=lambda item: (-item[0], item[2]))
        for rank, (z, y_a, gram) in enumerate(scored[:top], 1):
            rows.append({"touchpoint": tp, "rank": rank, "phrase": gram, "count": y_a, "z": round(z, 3)})
    return pd.DataFrame(rows, columns=columns)
