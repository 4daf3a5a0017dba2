"""Driver analysis: which touchpoints move the rating, NPS or CSAT score, and by how much.

The score of each item is regressed (ridge, so rare touchpoints are shrunk rather than
over-read) on two indicators per touchpoint: "has a negative mention" and "has a positive
mention". The negative coefficient is the touchpoint's impact in score points; a Poisson
bootstrap over items gives its 95% interval. Priority = how often the touchpoint is complained
about x how many points a complaint costs: the expected score lost per item, the figure to rank
fixes by.

Everything is fitted from mergeable sums: items sharing the same indicator pattern are pooled
into (weight, weighted score sum) per bootstrap replicate, which gives exactly the same ridge
solution as the raw items. Each item's bootstrap weights come from a hash of its row id, so
counts built over chunks or partitions and added together equal counts built in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.linear_model import Ridge

from . import schema
from .io import find_column
from .taxonomy import Taxonomy, load_taxonomy

__all__ = ["DRIVER_COLUMNS", "DriverCounts", "detect_score_column", "drivers"]

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
REPLICATES = 200
# Cumulative distribution of Poisson(1) up to 12: inverse-CDF sampling of bootstrap weights.
_POISSON_CDF = np.cumsum([np.exp(-1.0) / np.prod(np.arange(1, k + 1)) for k in range(13)])


def _numeric_scores(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(numbers.notna().mean() >= 0.5 and numbers.nunique() > 1)


def detect_score_column(df: pd.DataFrame, score_column: str | None = None) -> str | None:
    """The rating/NPS/CSAT column: the one given, else a well-known name whose values are numbers."""
    return find_column(df, given=score_column, hints=_SCORE_HINTS, accepts=_numeric_scores, what="Score")


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit hash of each value (SplitMix64 finaliser), vectorised."""
    with np.errstate(over="ignore"):
        z = values + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def poisson_weights(row_ids: pd.Series, replicates: int = REPLICATES) -> np.ndarray:
    """Bootstrap weights (n x replicates, Poisson(1)) that depend only on each row id, not on
    which chunk the row came in, so partial driver counts can be merged."""
    keys = pd.util.hash_pandas_object(row_ids.astype(str), index=False).to_numpy(dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = _splitmix64(keys[:, None] * np.uint64(31) + np.arange(replicates, dtype=np.uint64)[None, :])
    uniform = (mixed >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.searchsorted(_POISSON_CDF, uniform).astype(np.float64)


@dataclass
class DriverCounts:
    """Sufficient statistics for the driver regression, mergeable across chunks.

    `patterns` maps each indicator pattern (the active columns of [negative..., positive...])
    to a 2 x (1 + replicates) array: row 0 the weights (column 0: plain item count), row 1 the
    weighted score sums.
    """

    touchpoints: tuple[str, ...]
    replicates: int = REPLICATES
    patterns: dict[tuple[int, ...], np.ndarray] = field(default_factory=dict)

    @property
    def items(self) -> int:
        """Items with a score that the regression is fitted on."""
        return int(sum(a[0, 0] for a in self.patterns.values()))

    def add(self, indicators: np.ndarray, scores: np.ndarray, row_ids: pd.Series) -> None:
        """Count items: `indicators` is n x 2k (negative then positive per touchpoint), `scores` n floats."""
        keep = ~np.isnan(scores)
        indicators, scores, row_ids = indicators[keep], scores[keep], row_ids[keep]
        if not len(scores):
            return
        weights = np.hstack([np.ones((len(scores), 1)), poisson_weights(row_ids, self.replicates)])
        packed = np.packbits(indicators.astype(bool), axis=1)
        uniques, inverse = np.unique(packed, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        member = sparse.csr_matrix((np.ones(len(scores)), (inverse, np.arange(len(scores)))))
        weight_sums = member @ weights
        score_sums = member @ (weights * scores[:, None])
        width = indicators.shape[1]
        for p, bits in enumerate(uniques):
            key = tuple(int(i) for i in np.flatnonzero(np.unpackbits(bits)[:width]))
            block = np.vstack([weight_sums[p], score_sums[p]])
            if key in self.patterns:
                self.patterns[key] = self.patterns[key] + block
            else:
                self.patterns[key] = block

    def merge(self, other: DriverCounts) -> DriverCounts:
        """The counts of both parts together."""
        merged = DriverCounts(self.touchpoints, self.replicates, dict(self.patterns))
        for key, block in other.patterns.items():
            merged.patterns[key] = merged.patterns[key] + block if key in merged.patterns else block
        return merged

    def fit(self, *, alpha: float = 1.0) -> pd.DataFrame:
        """Impact, interval, priority and quadrant per complained-about touchpoint (DRIVER_COLUMNS)."""
        if self.items < MIN_ITEMS:
            return pd.DataFrame(columns=list(DRIVER_COLUMNS))
        k = len(self.touchpoints)
        keys = list(self.patterns)
        X = np.zeros((len(keys), 2 * k))
        for i, key in enumerate(keys):
            X[i, list(key)] = 1
        blocks = np.stack([self.patterns[key] for key in keys])  # P x 2 x (1 + R)

        def coefficients(column: int) -> np.ndarray:
            weight = blocks[:, 0, column]
            used = weight > 0
            mean = blocks[used, 1, column] / weight[used]
            return Ridge(alpha=alpha).fit(X[used], mean, sample_weight=weight[used]).coef_

        coef = coefficients(0)
        samples = np.array([coefficients(c) for c in range(1, self.replicates + 1)])
        low, high = np.percentile(samples, [2.5, 97.5], axis=0)
        counts = blocks[:, 0, 0]
        n = counts.sum()
        negative_items = (X[:, :k] * counts[:, None]).sum(axis=0).round().astype(int)
        share = negative_items / n
        impact = coef[:k]
        out = pd.DataFrame(
            {
                "touchpoint": self.touchpoints,
                "negative_items": negative_items,
                "negative_share": share,
                "impact": impact,
                "impact_low": low[:k],
                "impact_high": high[:k],
                "positive_impact": coef[k:],
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


def indicators(classified: pd.DataFrame, table: pd.DataFrame, ids: tuple[str, ...]) -> np.ndarray:
    """Per item: has a negative / a positive mention of each touchpoint (n x 2k of 0/1)."""
    position = {row_id: i for i, row_id in enumerate(classified[schema.ROW_ID])}
    index = {t: j for j, t in enumerate(ids)}
    out = np.zeros((len(classified), 2 * len(ids)), dtype=bool)
    offset = {"negative": 0, "positive": len(ids)}
    for row_id, tp, sentiment in zip(table[schema.ROW_ID], table["touchpoint"], table["sentiment"], strict=True):
        if tp in index and sentiment in offset:
            out[position[row_id], offset[sentiment] + index[tp]] = True
    return out


def driver_counts(
    classified: pd.DataFrame,
    score_column: str,
    ids: tuple[str, ...],
    table: pd.DataFrame | None = None,
    replicates: int = REPLICATES,
) -> DriverCounts:
    """DriverCounts of the analysed items of one chunk of classified data."""
    table = schema.mention_table(classified) if table is None else table
    counts = DriverCounts(ids, replicates)
    scores = pd.to_numeric(classified[score_column], errors="coerce").to_numpy(dtype=float)
    analysed = classified[schema.STATUS].isin(schema.ANALYSED_STATUSES).to_numpy()
    scores = np.where(analysed, scores, np.nan)
    counts.add(indicators(classified, table, ids), scores, classified[schema.ROW_ID].reset_index(drop=True))
    return counts


def drivers(
    classified: pd.DataFrame,
    *,
    score_column: str | None = None,
    taxonomy: Taxonomy | None = None,
    alpha: float = 1.0,
) -> pd.DataFrame:
    """Each touchpoint's impact on the score and its priority; empty without a score column
    or with fewer than 30 scored items.

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
    schema.require_columns(classified, (schema.ROW_ID, schema.STATUS, schema.MENTIONS))
    return driver_counts(classified, column, taxonomy.ids).fit(alpha=alpha)
