"""Driver analysis: which touchpoints move the rating, NPS or CSAT score, and by how much.

The score of each item is regressed (ridge, so rare touchpoints are shrunk rather than
over-read) on two indicators per touchpoint: "has a negative mention" and "has a positive
mention". The negative coefficient is the touchpoint's impact in score points; a Poisson
bootstrap over items gives its 95% interval. Priority = how often the touchpoint is complained
about x how many points a complaint costs: the expected score lost per item, the figure to rank
fixes by.

Everything is fitted from mergeable sums of fixed size: per bootstrap replicate, the weighted
sums of the score, of each indicator, of each indicator x score and of each pair of indicators,
which determine the ridge solution exactly as the raw items do. Each item's bootstrap weights
come from a hash of its row id, so counts built over chunks or partitions and added together
equal counts built in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from . import schema
from .errors import InputError
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
# The Poisson(1) weight of each 16-bit uniform u (the probability of u is 2**-16, so each
# weight's probability is within 2**-16 of the exact one; weights above 7 have probability 1e-5).
# Weights are at most 13, so bytes hold them exactly, and gathering bytes is faster than floats.
_POISSON_OF_UINT16 = np.searchsorted(np.floor(_POISSON_CDF * 2.0**16), np.arange(2**16)).astype(np.uint8)


def _stat_rows(p: int) -> int:
    """Rows of DriverCounts.sums for p indicators: 1, score, p indicators, p x score, p(p-1)/2 pairs."""
    return 2 + 2 * p + p * (p - 1) // 2


def _numeric_scores(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(numbers.notna().mean() >= 0.5 and numbers.nunique() > 1)


def detect_score_column(df: pd.DataFrame, score_column: str | None = None) -> str | None:
    """The rating/NPS/CSAT column: the one given, else a well-known name whose values are numbers."""
    return find_column(df, given=score_column, hints=_SCORE_HINTS, accepts=_numeric_scores, what="Score")


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit hash of each value (SplitMix64 finaliser), vectorised and in place."""
    with np.errstate(over="ignore"):
        z = values + np.uint64(0x9E3779B97F4A7C15)
        shifted = z >> np.uint64(30)
        z ^= shifted
        z *= np.uint64(0xBF58476D1CE4E5B9)
        np.right_shift(z, np.uint64(27), out=shifted)
        z ^= shifted
        z *= np.uint64(0x94D049BB133111EB)
        np.right_shift(z, np.uint64(31), out=shifted)
        z ^= shifted
        return z


def poisson_weights(row_ids: pd.Series, replicates: int = REPLICATES) -> np.ndarray:
    """Bootstrap weights (n x replicates, Poisson(1)) that depend only on each row id, not on
    which chunk the row came in, so partial driver counts can be merged. Each 64-bit hash of
    (row id, block) gives the weights of four replicates, one per 16 bits, by table lookup."""
    keys = pd.util.hash_pandas_object(row_ids.astype(str), index=False).to_numpy(dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = keys[:, None] * np.uint64(31) + np.arange((replicates + 3) // 4, dtype=np.uint64)[None, :]
    uniform = _splitmix64(mixed).view(np.uint16)[:, :replicates]
    return _POISSON_OF_UINT16.take(uniform).astype(np.float64)


@dataclass
class DriverCounts:
    """Sufficient statistics for the driver regression, mergeable across chunks, of fixed size.

    With p = 2k indicators (negative then positive mention per touchpoint), `sums` holds, per
    column (column 0: plain sums; column 1 + r: sums weighted by bootstrap replicate r), the
    weighted sums of: 1, the score, each indicator, each indicator x score, and each pair of
    indicators (i < j). The ridge fit needs nothing else, so the counts stay the same size
    however many items or indicator patterns are counted.
    """

    touchpoints: tuple[str, ...]
    replicates: int = REPLICATES
    sums: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def __post_init__(self) -> None:
        shape = (_stat_rows(2 * len(self.touchpoints)), 1 + self.replicates)
        if self.sums.shape != shape:
            self.sums = np.zeros(shape)

    @property
    def items(self) -> int:
        """Items with a score that the regression is fitted on."""
        return round(float(self.sums[0, 0]))

    def add(self, indicators: np.ndarray, scores: np.ndarray, row_ids: pd.Series) -> None:
        """Count items: `indicators` is n x 2k (negative then positive per touchpoint), `scores` n floats."""
        keep = ~np.isnan(scores)
        indicators, scores, row_ids = indicators[keep], scores[keep], row_ids[keep]
        n, p = len(scores), 2 * len(self.touchpoints)
        if not n:
            return
        item, feature = np.nonzero(indicators)  # row-major: each item's indicators ascending
        first, second, owner = [], [], []
        for gap in range(1, p):  # pairs i < j of one item's indicators, `gap` places apart
            same = item[gap:] == item[:-gap]
            if not same.any():
                break
            first.append(feature[:-gap][same])
            second.append(feature[gap:][same])
            owner.append(item[gap:][same])
        pair_row = np.zeros((p, p), dtype=np.intp)
        pair_row[np.triu_indices(p, 1)] = np.arange(p * (p - 1) // 2)
        pair_first, pair_second = np.concatenate([*first, []]).astype(int), np.concatenate([*second, []]).astype(int)
        everyone = np.arange(n)
        rows = np.concatenate([np.zeros(n), np.ones(n), 2 + feature, 2 + p + feature,
                               2 + 2 * p + pair_row[pair_first, pair_second]])  # fmt: skip
        columns = np.concatenate([everyone, everyone, item, item, np.concatenate([*owner, []])])
        values = np.concatenate([np.ones(n), scores, np.ones(len(item)), scores[item], np.ones(len(pair_first))])
        design = sparse.csr_matrix((values, (rows.astype(int), columns.astype(int))), shape=(self.sums.shape[0], n))
        plain = np.asarray(design.sum(axis=1))  # column 0: every item weighs 1
        self.sums = self.sums + np.hstack([plain, design @ poisson_weights(row_ids, self.replicates)])

    def merge(self, other: DriverCounts) -> DriverCounts:
        """The counts of both parts together."""
        if (self.touchpoints, self.replicates) != (other.touchpoints, other.replicates):
            raise InputError(
                "Cannot merge driver counts made with different touchpoints or numbers of bootstrap replicates; "
                "count every chunk with the same taxonomy and replicates."
            )
        return DriverCounts(self.touchpoints, self.replicates, self.sums + other.sums)

    def _coefficients(self, alpha: float) -> np.ndarray:
        """Ridge coefficients (with intercept) per column of `sums`: (1 + replicates) x 2k."""
        p = 2 * len(self.touchpoints)
        sums = self.sums.T  # column-major view: one row of sufficient statistics per replicate
        weight, score_sum = sums[:, 0], sums[:, 1]
        x_sum, xy_sum = sums[:, 2 : 2 + p], sums[:, 2 + p : 2 + 2 * p]
        gram = np.zeros((len(sums), p, p))
        upper = np.triu_indices(p, 1)
        gram[:, upper[0], upper[1]] = sums[:, 2 + 2 * p :]
        gram += gram.transpose(0, 2, 1)
        gram[:, np.arange(p), np.arange(p)] = x_sum  # indicators are 0/1, so x_i * x_i = x_i
        safe = np.where(weight > 0, weight, 1.0)
        centred_gram = gram - x_sum[:, :, None] * x_sum[:, None, :] / safe[:, None, None]
        centred_xy = xy_sum - x_sum * (score_sum / safe)[:, None]
        system = centred_gram + alpha * np.eye(p)
        try:
            coef = np.linalg.solve(system, centred_xy[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # singular without a ridge penalty: the minimum-norm solution
            coef = (np.linalg.pinv(system) @ centred_xy[:, :, None])[:, :, 0]
        return np.where((weight > 0)[:, None], coef, 0.0)

    def fit(self, *, alpha: float = 1.0) -> pd.DataFrame:
        """Impact, interval, priority and quadrant per complained-about touchpoint (DRIVER_COLUMNS)."""
        if self.items < MIN_ITEMS:
            return pd.DataFrame(columns=list(DRIVER_COLUMNS))
        k = len(self.touchpoints)
        all_coef = self._coefficients(alpha)
        coef, samples = all_coef[0], all_coef[1:]
        low, high = np.percentile(samples, [2.5, 97.5], axis=0)
        n = self.sums[0, 0]
        negative_items = self.sums[2 : 2 + k, 0].round().astype(int)
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


def _index_of(values: pd.Series, known: pd.Index) -> np.ndarray:
    """`known.get_indexer(values)`, looking up each distinct value once (a chunk's mention table
    repeats a few touchpoint and sentiment names); missing values, like unknown ones, give -1."""
    codes, distinct = pd.factorize(values)
    return np.append(known.get_indexer(distinct), -1)[codes]


def indicators(classified: pd.DataFrame, table: pd.DataFrame, ids: tuple[str, ...]) -> np.ndarray:
    """Per item: has a negative / a positive mention of each touchpoint (n x 2k of 0/1)."""
    row_ids = classified[schema.ROW_ID]
    if row_ids.is_unique:
        position = pd.Index(row_ids).get_indexer(table[schema.ROW_ID])
    else:  # the last row of a repeated id, as a dict would give
        last = {row_id: i for i, row_id in enumerate(row_ids.tolist())}
        position = np.array([last.get(row_id, -1) for row_id in table[schema.ROW_ID].tolist()], dtype=np.intp)
    column = _index_of(table["touchpoint"], pd.Index(ids))
    side = _index_of(table["sentiment"], pd.Index(["negative", "positive"]))  # -1: neither
    known = (position >= 0) & (column >= 0) & (side >= 0)
    out = np.zeros((len(classified), 2 * len(ids)), dtype=bool)
    out[position[known], column[known] + side[known] * len(ids)] = True
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
