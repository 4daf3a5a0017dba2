"""Driver analysis: which touchpoints move the rating, NPS or CSAT score, and by how much.

The score of each item is regressed (ridge, so rare touchpoints are shrunk rather than
over-read) on two indicators per touchpoint: "has a negative mention" and "has a positive
mention". The negative coefficient is the touchpoint's impact in score points; a bootstrap
over items gives its 95% interval. Priority = how often the touchpoint is complained about x
how many points a complaint costs: the expected score lost per item, the figure to rank fixes by.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from . import schema
from .io import find_column
from .summaries import mentions
from .taxonomy import Taxonomy, load_taxonomy

__all__ = ["DRIVER_COLUMNS", "detect_score_column", "drivers"]

_SCORE_HINTS = ("rating", "stars", "star_rating", "score", "overall_rating", "review_rating", "nps", "csat",
                "satisfaction", "overall")  # fmt: skip
DRIVER_COLUMNS = (
    "priority_rank",
    "touchpoint",
    "negative_items",
    "negative_share",
    "impact",
    "impact_low",
    "impact_high",
    "positive_impact",
    "priority",
    "quadrant",
)
MIN_ITEMS = 30


def _numeric_scores(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(numbers.notna().mean() >= 0.5 and numbers.nunique() > 1)


def detect_score_column(df: pd.DataFrame, score_column: str | None = None) -> str | None:
    """The rating/NPS/CSAT column: the one given, else a well-known name whose values are numbers."""
    return find_column(df, given=score_column, hints=_SCORE_HINTS, accepts=_numeric_scores, what="Score")


def _indicators(classified: pd.DataFrame, ids: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per item: has a negative / a positive mention of each touchpoint (two n x k 0/1 matrices)."""
    table = mentions(classified)
    position = {row_id: i for i, row_id in enumerate(classified[schema.ROW_ID])}
    index = {t: j for j, t in enumerate(ids)}
    negative = np.zeros((len(classified), len(ids)))
    positive = np.zeros((len(classified), len(ids)))
    for row_id, tp, sentiment in zip(table[schema.ROW_ID], table["touchpoint"], table["sentiment"], strict=True):
        if tp not in index:
            continue
        if sentiment == "negative":
            negative[position[row_id], index[tp]] = 1
        elif sentiment == "positive":
            positive[position[row_id], index[tp]] = 1
    return negative, positive


def drivers(
    classified: pd.DataFrame,
    *,
    score_column: str | None = None,
    taxonomy: Taxonomy | None = None,
    alpha: float = 1.0,
    bootstrap: int = 200,
    random_state: int = 0,
) -> pd.DataFrame:
    """Each touchpoint's impact on the score and its priority; empty without a score column.

    `impact` is in score points (negative: complaints lower the score), with a 95% bootstrap
    interval; `priority` = negative_share x -impact; `quadrant` splits touchpoints at the median
    complaint volume and median impact ("fix first": frequent and costly).

    Example:
        >>> drivers(classified, score_column="rating").head(3)  # doctest: +SKIP
    """
    taxonomy = taxonomy or load_taxonomy()
    column = detect_score_column(classified, score_column)
    if column is None:
        return pd.DataFrame(columns=list(DRIVER_COLUMNS))
    scores = pd.to_numeric(classified[column], errors="coerce").to_numpy(dtype=float)
    analysed = classified[schema.STATUS].isin([schema.STATUS_OK, schema.STATUS_UNCLEAR]).to_numpy() & ~np.isnan(scores)
    if analysed.sum() < MIN_ITEMS:
        return pd.DataFrame(columns=list(DRIVER_COLUMNS))
    ids = taxonomy.ids
    negative, positive = _indicators(classified, ids)
    X = np.hstack([negative, positive])[analysed]
    y = scores[analysed]
    k = len(ids)
    model = Ridge(alpha=alpha).fit(X, y)
    rng = np.random.default_rng(random_state)
    samples = np.empty((bootstrap, X.shape[1]))
    for b in range(bootstrap):
        pick = rng.integers(0, len(y), len(y))
        samples[b] = Ridge(alpha=alpha).fit(X[pick], y[pick]).coef_
    low, high = np.percentile(samples, [2.5, 97.5], axis=0)
    negative_items = negative[analysed].sum(axis=0).astype(int)
    share = negative_items / len(y)
    impact = model.coef_[:k]
    out = pd.DataFrame(
        {
            "touchpoint": ids,
            "negative_items": negative_items,
            "negative_share": share,
            "impact": impact,
            "impact_low": low[:k],
            "impact_high": high[:k],
            "positive_impact": model.coef_[k:],
            "priority": share * np.clip(-impact, 0, None),
        }
    )
    out = out[out["negative_items"] > 0].copy()
    if out.empty:
        return pd.DataFrame(columns=list(DRIVER_COLUMNS))
    frequent = out["negative_share"] >= out["negative_share"].median()
    costly = -out["impact"] >= (-out["impact"]).median()
    out["quadrant"] = np.select(
        [frequent & costly, ~frequent & costly, frequent & ~costly],
        ["fix first: frequent and costly", "costly but rare", "frequent but mild"],
        default="monitor",
    )
    out = out.sort_values("priority", ascending=False, kind="stable")
    out.insert(0, "priority_rank", range(1, len(out) + 1))
    return out.reset_index(drop=True)[list(DRIVER_COLUMNS)]
