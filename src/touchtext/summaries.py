"""Touchpoint pain-point summaries built from classified items.

Summaries are built in two steps so they can be computed over chunks or partitions:
`SummaryCounts.from_classified` turns a chunk of classified rows into counts and sums
(mentions per touchpoint and sentiment, per day, per segment; co-complaint pairs; phrase
counts; the best quote candidates; driver sufficient statistics), counts of parts add up with
`merge` (or `+`), and `SummaryCounts.finalize` turns the total into tables. Counting chunk by
chunk and merging gives the same tables as counting everything at once.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from . import schema
from ._phrases import phrase_lemmas
from .drivers import DRIVER_COLUMNS, DriverCounts, detect_score_column, driver_counts
from .errors import InputError
from .io import find_column
from .language import MODEL_LANGUAGES
from .taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "SUMMARY_COLUMNS",
    "SUMMARY_SCHEMA_VERSION",
    "SummaryCounts",
    "SummaryTables",
    "alerts",
    "cooccurrence",
    "mentions",
    "phrases",
    "quotes",
    "rollup",
    "summarize",
    "summary_tables",
    "trend",
    "wilson_interval",
]

SUMMARY_SCHEMA_VERSION = 1
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
TREND_COLUMNS = ("period", "touchpoint", "items", "mentions", "negative", "negative_item_share", "p_value", "change")
QUOTE_COLUMNS = ("touchpoint", "sentiment", "rank", "quote", schema.ROW_ID, "score")
PHRASE_COLUMNS = ("touchpoint", "rank", "phrase", "count", "z")
PAIR_COLUMNS = ("touchpoint_a", "touchpoint_b", "both_negative", "lift")
QUOTE_POOL = 25  # best candidates kept per touchpoint and sentiment; quotes are chosen from these
ANALYSED = schema.ANALYSED_STATUSES
Period = Literal["day", "week", "month"]
_PERIOD_FREQ = {"day": "D", "week": "W-SUN", "month": "M"}  # weeks run Monday to Sunday (ISO)
_DATE_COLUMN_HINTS = ("date", "created_at", "created", "timestamp", "time", "submitted_at", "review_date",
                      "started_at", "datetime", "day")  # fmt: skip


def mentions(classified: pd.DataFrame) -> pd.DataFrame:
    """One row per (item, touchpoint) with sentiment, confidences and the best evidence sentence
    (MENTION_COLUMNS), decoded from the MENTIONS column (`schema.mention_table`).

    Example:
        >>> mentions(classify(df))[["row_id", "touchpoint", "sentiment"]].head(2)  # doctest: +SKIP
    """
    return schema.mention_table(classified)


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


def _days(values: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """Each value's UTC day ("2026-03-01", None when it is not a date) as
    `pd.to_datetime(values, utc=True, format="mixed")` reads it, parsing each distinct value once
    (an export has far fewer distinct dates than rows); also the distinct values' days and counts."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = pd.to_datetime(pd.Series(np.asarray(uniques, dtype=object)), errors="coerce", utc=True, format="mixed")
    labels = [day if isinstance(day, str) else None for day in parsed.dt.strftime("%Y-%m-%d").tolist()]
    distinct_days = np.array([*labels, None], dtype=object)  # code -1 (a missing value) -> None
    return distinct_days[codes], parsed, np.bincount(codes[codes >= 0], minlength=len(uniques))


def _parses_as_dates(values: pd.Series) -> bool:
    if not len(values):
        return False
    _, parsed, counts = _days(values)
    return bool(counts[parsed.notna().to_numpy()].sum() / len(values) >= 0.8)


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


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _texts_language(classified: pd.DataFrame, analysed: np.ndarray) -> str:
    """The language the analysed rows are written in (the model's): the most common one detected
    among them that a model can be trained in, else English. Rows in other languages are never
    analysed, and short texts are detected as undetermined ("und")."""
    if schema.LANGUAGE not in classified.columns:
        return "en"
    detected = classified[schema.LANGUAGE].to_numpy(dtype=object)[analysed]
    for language in pd.Series(detected).value_counts().index:
        if language in MODEL_LANGUAGES:
            return str(language)
    return "en"


def _positions(ids: pd.Series, wanted: pd.Series) -> np.ndarray:
    """The position in `ids` of each of `wanted` (the last one when ids repeat)."""
    index = pd.Index(ids)
    if index.is_unique:
        found = index.get_indexer(wanted)
    else:
        last = {row_id: i for i, row_id in enumerate(ids.tolist())}
        found = np.array([last.get(row_id, -1) for row_id in wanted.tolist()], dtype=np.intp)
    if (found < 0).any():
        missing = _scalar(wanted[found < 0].iloc[0])
        raise InputError(
            f"The mention table names row_id {missing!r}, which is not in the classified rows; pass the "
            "mention table of the same rows (touchtext.summaries.mentions(classified))."
        )
    return np.asarray(found, dtype=np.intp)


def _has_text(values: list[Any]) -> np.ndarray:
    return np.array([isinstance(v, str) and not v.isspace() and v != "" for v in values], dtype=bool)


def _counter(keys: Iterable[Any], counts: list[int]) -> Counter[Any]:
    """A Counter of distinct `keys` with their `counts`, in that order, filled by `dict.update` (no copy)."""
    counter: Counter[Any] = Counter()
    dict.update(counter, zip(keys, counts, strict=True))
    return counter


@dataclass(frozen=True)
class _Factorized:
    """A column as integer `codes` into its distinct values, `labels`, in order of first sight."""

    codes: np.ndarray
    labels: np.ndarray

    def take(self, rows: np.ndarray) -> _Factorized:
        """The same column restricted to `rows` (a mask or positions); labels are kept."""
        return _Factorized(self.codes[rows], self.labels)


def _factorize(values: pd.Series | np.ndarray) -> _Factorized:
    """Codes in the order a dict (or Counter) meets the values: `pd.factorize` gives them in C, but
    drops missing values (code -1), so a column holding any is coded by a dict instead."""
    codes, uniques = pd.factorize(values)
    if not (codes < 0).any():
        return _Factorized(np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object))
    index: dict[Any, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values.tolist()), dtype=np.intp, count=len(values))
    labels = np.empty(len(index), dtype=object)
    labels[:] = list(index)
    return _Factorized(codes, labels)


def _count_combinations(columns: list[_Factorized]) -> Counter[tuple[Any, ...]]:
    """`Counter(zip(*columns))` (keys in order of first sight) counted on codes rather than tuples:
    each row's codes are combined into one integer (mixed radix, far below 2**63 for the few short
    columns counted here), whose first-sight factorization and bincount give the same keys and counts."""
    combined = np.zeros(len(columns[0].codes), dtype=np.int64)
    for column in columns:
        combined = combined * max(len(column.labels), 1) + column.codes
    first_sight, distinct = pd.factorize(combined)
    counts = np.bincount(first_sight, minlength=len(distinct))
    keys = []
    for column in reversed(columns):
        distinct, code = np.divmod(distinct, max(len(column.labels), 1))
        keys.append(column.labels[code].tolist())
    return _counter(zip(*reversed(keys), strict=True), counts.tolist())


@dataclass(frozen=True)
class _GramCodes:
    """The lemma 1-2-grams of distinct texts (as `PhraseLemmas.grams` lists them: unigrams, then
    bigrams) as codes into `labels`: those of text t are `codes[starts[t] : starts[t] + lengths[t]]`."""

    codes: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray

    @classmethod
    def of(cls, lemma_lists: list[list[str]]) -> _GramCodes:
        """The grams of texts with these lemmas (one list per text). Bigrams are coded as pairs of
        lemma codes and spelled out once per distinct pair: lemmas hold no spaces, so "a b" names
        exactly one pair and is never a lemma, and codes stand for grams one to one."""
        lemma_count = np.fromiter(map(len, lemma_lists), dtype=np.intp, count=len(lemma_lists))
        flat = np.empty(int(lemma_count.sum()), dtype=object)
        flat[:] = list(chain.from_iterable(lemma_lists))
        lemma_codes, lemma_labels = pd.factorize(flat)
        text_of = np.repeat(np.arange(len(lemma_lists)), lemma_count)  # each lemma's text
        local = np.arange(len(flat)) - np.repeat(np.cumsum(lemma_count) - lemma_count, lemma_count)
        lengths = lemma_count + np.maximum(lemma_count - 1, 0)  # unigrams, then bigrams
        starts = np.cumsum(lengths) - lengths
        pair_first = np.flatnonzero(local < lemma_count[text_of] - 1)  # lemmas followed by one of their text
        pair_codes, pairs = pd.factorize(lemma_codes[pair_first] * len(lemma_labels) + lemma_codes[pair_first + 1])
        first, second = np.divmod(pairs, max(len(lemma_labels), 1))
        labels = np.empty(len(lemma_labels) + len(pairs), dtype=object)
        labels[: len(lemma_labels)] = lemma_labels
        labels[len(lemma_labels) :] = list(map(" ".join, zip(lemma_labels[first], lemma_labels[second], strict=True)))
        codes = np.empty(int(lengths.sum()), dtype=np.intp)
        codes[starts[text_of] + local] = lemma_codes
        pair_text = text_of[pair_first]
        codes[starts[pair_text] + lemma_count[pair_text] + local[pair_first]] = len(lemma_labels) + pair_codes
        return cls(codes, starts, lengths, labels)

    def counter(self, texts: np.ndarray, multiplicity: np.ndarray) -> Counter[str]:
        """The grams of `texts`, each text counted `multiplicity` times. Keys are ordered as adding the
        texts seen more than once and then the others, gram by gram, would insert them."""
        order = np.argsort(multiplicity == 1, kind="stable")
        texts, multiplicity = texts[order], multiplicity[order]
        lengths = self.lengths[texts]
        offsets = np.repeat(self.starts[texts] - (np.cumsum(lengths) - lengths), lengths)
        grams = self.codes[np.arange(len(offsets)) + offsets]
        counts = np.bincount(grams, weights=np.repeat(multiplicity, lengths), minlength=len(self.labels))
        seen = pd.unique(grams)  # the codes in order of first sight
        return _counter(self.labels[seen].tolist(), counts[seen].astype(np.int64).tolist())


def _quote_order(candidate: QuoteCandidate) -> tuple[float, tuple[int, Any], str]:
    """Best first: higher score, then the earlier row id, then the text, so the winners do not depend
    on how the rows were split into chunks or in which order the chunk counts were merged."""
    score, text, row_id = candidate
    numeric = isinstance(row_id, numbers.Real) and not isinstance(row_id, bool)
    return (-score, (0, row_id) if numeric else (1, str(row_id)), text)


def _records(df: pd.DataFrame | None) -> list[dict[str, object]]:
    if df is None or df.empty:
        return []
    return json.loads(df.to_json(orient="records", force_ascii=False))


_COUNTER_FIELDS = ("status", "sentiment", "day_items", "day_mentions", "day_negative", "negative_items",
                   "negative_pairs", "grams")  # fmt: skip

QuoteCandidate = tuple[float, str, Any]  # (touchpoint confidence x sentiment confidence, text, row id)


def _scalar(value: Any) -> Any:
    """A plain Python scalar for a NumPy one (row ids are kept as Python values in quote pools)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class _MentionColumns:
    """The mention-table columns counting works on: `item` is each mention's row position, `negative`
    marks the negative mentions."""

    item: np.ndarray
    touchpoint: _Factorized
    sentiment: _Factorized
    negative: np.ndarray


@dataclass
class SummaryCounts:
    """Counts and sums behind every summary table; add the counts of parts with `merge`.

    Built by `from_classified`; turned into tables by `finalize`. Only the chosen columns
    (date, score, segments) are looked at, so chunks of one export must be counted with the
    same column choices (pass the resolved names of the first chunk to the others).
    """

    taxonomy: Taxonomy
    date_column: str | None = None
    score_column: str | None = None
    segments: tuple[str, ...] = ()
    items: int = 0
    analysed: int = 0
    status: Counter[str] = field(default_factory=Counter)
    sentiment: Counter[tuple[str, str]] = field(default_factory=Counter)  # (touchpoint, sentiment) -> mentions
    day_items: Counter[str] = field(default_factory=Counter)  # UTC day -> analysed items dated that day
    day_mentions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (day, touchpoint)
    day_negative: Counter[tuple[str, str]] = field(default_factory=Counter)  # (day, touchpoint)
    negative_items: Counter[str] = field(default_factory=Counter)  # touchpoint -> items complaining of it
    negative_pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # items complaining of both
    grams: Counter[str] = field(default_factory=Counter)  # lemma 1-2-grams over all evidence
    negative_grams: dict[str, Counter[str]] = field(default_factory=dict)  # per touchpoint, negative evidence
    quote_pool: dict[tuple[str, str], list[QuoteCandidate]] = field(default_factory=dict)
    segment_items: dict[str, Counter[str]] = field(default_factory=dict)  # segment -> value -> analysed items
    segment_mentions: dict[str, Counter[tuple[str, str, str]]] = field(default_factory=dict)  # (value, tp, sent)
    driver_counts: DriverCounts | None = None

    # -- counting ----------------------------------------------------------------------------
    @classmethod
    def from_classified(
        cls,
        classified: pd.DataFrame,
        *,
        taxonomy: Taxonomy | None = None,
        date_column: str | None = None,
        score_column: str | None = None,
        segments: tuple[str, ...] = (),
        language: str | None = None,
        mention_table: pd.DataFrame | None = None,
        detect: bool = True,
    ) -> SummaryCounts:
        """Count one chunk (or all) of classified rows. The date and score columns are detected
        when not given (with `detect` off, None means none: chunks of one input are counted with
        the columns decided on its first chunk); segment columns must exist. Phrases are
        lemmatized in `language`, the model's (by default the analysed rows' most common
        detected language). Pass `mention_table` (`mentions(classified)`) when it is already at
        hand, so the MENTIONS JSON is decoded once.

        Example:
            >>> total = SummaryCounts.from_classified(part1) + SummaryCounts.from_classified(part2)  # doctest: +SKIP
        """
        taxonomy = taxonomy or load_taxonomy()
        schema.require_columns(classified, (schema.ROW_ID, schema.MENTIONS, schema.STATUS))
        for by in segments:
            if by not in classified.columns:
                raise InputError(
                    f"Cannot roll up by {by!r}: use 'stage', 'facing' or a column of the input "
                    f"({', '.join(str(c) for c in classified.columns if c not in schema.ADDED_COLUMNS)})."
                )
        counts = cls(
            taxonomy,
            date_column=detect_date_column(classified, date_column) if detect else date_column,
            score_column=detect_score_column(classified, score_column) if detect else score_column,
            segments=tuple(segments),
        )
        if mention_table is None:
            table = mentions(classified)
        else:
            missing = [c for c in schema.MENTION_COLUMNS if c not in mention_table.columns]
            if missing:
                raise InputError(f"The mention table lacks column(s) {', '.join(missing)}; pass mentions(classified).")
            table = mention_table
        touchpoint, sentiment = _factorize(table["touchpoint"]), _factorize(table["sentiment"])
        unknown = sorted(set(touchpoint.labels.tolist()) - set(taxonomy.ids))
        if unknown:
            raise InputError(
                f"Classified data mentions touchpoint(s) {', '.join(unknown)} that are not in taxonomy "
                f"{taxonomy.name!r}; summarize with the taxonomy the model was trained on."
            )
        analysed = classified[schema.STATUS].isin(ANALYSED).to_numpy(dtype=bool)
        columns = _MentionColumns(
            item=_positions(classified[schema.ROW_ID], table[schema.ROW_ID]),  # each mention's row
            touchpoint=touchpoint,
            sentiment=sentiment,
            negative=(sentiment.labels == "negative")[sentiment.codes],
        )
        counts.items = len(classified)
        counts.analysed = int(analysed.sum())
        counts.status = Counter(classified[schema.STATUS].tolist())
        counts.sentiment = _count_combinations([touchpoint, sentiment])
        counts._count_days(classified, columns, analysed)
        counts._count_pairs(columns)
        counts._count_evidence(table, columns, language or _texts_language(classified, analysed))
        counts._count_segments(classified, columns, analysed)
        if counts.score_column is not None:
            counts.driver_counts = driver_counts(classified, counts.score_column, taxonomy.ids, table)
        return counts

    def _count_days(self, classified: pd.DataFrame, columns: _MentionColumns, analysed: np.ndarray) -> None:
        if self.date_column is None:
            return
        days, _, _ = _days(classified[self.date_column])
        dated = pd.notna(days)
        self.day_items = Counter(days[analysed & dated].tolist())
        keep = dated[columns.item]
        day, touchpoint = _factorize(days[columns.item[keep]]), columns.touchpoint.take(keep)
        self.day_mentions = _count_combinations([day, touchpoint])
        negative = columns.negative[keep]
        self.day_negative = _count_combinations([day.take(negative), touchpoint.take(negative)])

    def _count_pairs(self, columns: _MentionColumns) -> None:
        """Items complaining of each touchpoint, and of each pair of touchpoints (a < b), with keys in the
        order a self-join of the distinct (item, touchpoint) complaints on the item yields them."""
        labels = columns.touchpoint.labels
        item, touchpoint = columns.item[columns.negative], columns.touchpoint.codes[columns.negative]
        _, first = np.unique(item * len(labels) + touchpoint, return_index=True)
        first.sort()  # each distinct (item, touchpoint) at its first occurrence, in table order
        item, touchpoint = item[first], touchpoint[first]
        self.negative_items = Counter(labels[touchpoint].tolist())
        # Every (left, right) complaint pair of one item, by left row and then right row, as a join gives.
        by_item = np.argsort(item, kind="stable")
        start = np.searchsorted(item[by_item], item, side="left")
        size = np.searchsorted(item[by_item], item, side="right") - start
        left = np.repeat(np.arange(len(item)), size)
        right = by_item[np.repeat(start - (np.cumsum(size) - size), size) + np.arange(len(left))]
        rank = np.empty(len(labels), dtype=np.intp)
        rank[np.argsort(labels)] = np.arange(len(labels))  # labels are distinct strings: rank is their order
        ordered = rank[touchpoint[left]] < rank[touchpoint[right]]
        pair = [_Factorized(touchpoint[left[ordered]], labels), _Factorized(touchpoint[right[ordered]], labels)]
        self.negative_pairs = _count_combinations(pair)

    def _count_evidence(self, table: pd.DataFrame, columns: _MentionColumns, language: str) -> None:
        """Phrase counts and quote candidates, from the mentions that have an evidence sentence.

        A sentence often is the evidence of several mentions (of one item, or repeated across
        items), so each distinct sentence is lemmatized once and its grams added times its count.
        """
        evidence = _factorize(table["evidence"])
        has_text = _has_text(evidence.labels.tolist())
        with_text = np.flatnonzero(has_text[evidence.codes])
        if not len(with_text):
            return
        # The distinct sentences, in order of first sight, and each mention's index among them.
        sentence_of = (np.cumsum(has_text) - 1)[evidence.codes[with_text]]
        lemmas = phrase_lemmas(language)
        grams = _GramCodes.of([lemmas.lemmas(text) for text in evidence.labels[has_text].tolist()])
        sentences = np.arange(len(grams.lengths))
        self.grams = grams.counter(sentences, np.bincount(sentence_of, minlength=len(sentences)))
        negative = columns.negative[with_text]
        touchpoint = columns.touchpoint.codes[with_text][negative]
        # (touchpoint, sentence) of the negative mentions, distinct in order of first sight, with counts.
        first_sight, pairs = pd.factorize(touchpoint * len(sentences) + sentence_of[negative])
        repeats = np.bincount(first_sight, minlength=len(pairs))
        pair_touchpoint, pair_sentence = np.divmod(pairs, len(sentences))
        for code in pd.unique(pair_touchpoint):
            chosen = pair_touchpoint == code
            tp = columns.touchpoint.labels[code]
            self.negative_grams[tp] = grams.counter(pair_sentence[chosen], repeats[chosen])
        self._count_quotes(table, with_text, columns, evidence)

    def _count_quotes(
        self, table: pd.DataFrame, rows: np.ndarray, columns: _MentionColumns, evidence: _Factorized
    ) -> None:
        """The QUOTE_POOL best candidates per touchpoint and sentiment (in `_quote_order`) among `rows`."""
        confidence = table["confidence"].to_numpy(dtype=float)[rows]
        score = confidence * table["sentiment_confidence"].to_numpy(dtype=float)[rows]
        touchpoint, sentiment = columns.touchpoint.codes[rows], columns.sentiment.codes[rows]
        groups = len(columns.touchpoint.labels) * len(columns.sentiment.labels)
        group = touchpoint * len(columns.sentiment.labels) + sentiment
        # A candidate's descending min-rank in its group is 1 + the number of scores above it, so it
        # is at most QUOTE_POOL exactly when its score reaches the group's QUOTE_POOL-th best score
        # (any score when the group has fewer numbers); NaN scores are never ranked.
        by_score = np.argsort(-score)  # best first, NaN last
        # then by group, keeping that order (a stable sort of small integers is a radix sort)
        by_group = by_score[np.argsort(group[by_score].astype(np.min_scalar_type(groups)), kind="stable")]
        start = np.searchsorted(group[by_group], group[by_group], side="left")
        at_limit = by_group[np.arange(len(by_group)) - start == QUOTE_POOL - 1]
        threshold = np.full(groups, -np.inf)
        threshold[group[at_limit]] = np.where(np.isnan(score[at_limit]), -np.inf, score[at_limit])
        grouped = ~pd.isna(columns.sentiment.labels)[sentiment]  # groupby leaves out missing sentiments
        near = np.flatnonzero((score >= threshold[group]) & grouped)  # every candidate tied for a pool place
        texts = evidence.labels[evidence.codes[rows[near]]]
        row_ids = table[schema.ROW_ID].iloc[rows[near]].to_numpy(dtype=object)
        tp_labels, sentiment_labels = columns.touchpoint.labels, columns.sentiment.labels
        pools: dict[tuple[str, str], list[QuoteCandidate]] = {}
        for i, text, row_id in zip(near.tolist(), texts.tolist(), row_ids.tolist(), strict=True):
            candidate = (float(score[i]), str(text), _scalar(row_id))
            pools.setdefault((tp_labels[touchpoint[i]], sentiment_labels[sentiment[i]]), []).append(candidate)
        for key, pool in pools.items():
            self.quote_pool[key] = sorted(pool, key=_quote_order)[:QUOTE_POOL]

    def _count_segments(self, classified: pd.DataFrame, columns: _MentionColumns, analysed: np.ndarray) -> None:
        """Items and mentions per value of each segment column (rows without a value are left out)."""
        for by in self.segments:
            present = classified[by].notna().to_numpy()
            values = np.array(classified[by].astype(str).tolist(), dtype=object)
            self.segment_items[by] = Counter(values[analysed & present].tolist())
            keep = present[columns.item]
            segment = _factorize(values[columns.item[keep]])
            self.segment_mentions[by] = _count_combinations(
                [segment, columns.touchpoint.take(keep), columns.sentiment.take(keep)]
            )

    # -- merging -----------------------------------------------------------------------------
    def merge(self, other: SummaryCounts) -> SummaryCounts:
        """The counts of this part and `other` together (neither is changed)."""
        merged = SummaryCounts(self.taxonomy, self.date_column, self.score_column, self.segments)
        merged.absorb(self)
        merged.absorb(other)
        return merged

    def absorb(self, other: SummaryCounts) -> None:
        """Add the counts of `other` to these, in place (`other` is not changed).

        Costs time in proportion to `other`, not to these counts, so a long run that absorbs
        chunk after chunk does not slow down as its totals grow (`merge` copies both parts).
        """
        if self.taxonomy.ids != other.taxonomy.ids or (self.date_column, self.score_column, self.segments) != (
            other.date_column,
            other.score_column,
            other.segments,
        ):
            raise InputError(
                "Cannot merge summary counts made with different taxonomies or column choices; count every "
                "chunk with the same taxonomy, date column, score column and segments."
            )
        self.items += other.items
        self.analysed += other.analysed
        for name in _COUNTER_FIELDS:
            getattr(self, name).update(getattr(other, name))  # every count is positive: update == +
        for name in ("negative_grams", "segment_items", "segment_mentions"):
            mine: dict[Any, Counter[Any]] = getattr(self, name)
            for key, counter in getattr(other, name).items():
                mine.setdefault(key, Counter()).update(counter)
        for key, pool in other.quote_pool.items():
            self.quote_pool[key] = sorted(self.quote_pool.get(key, []) + pool, key=_quote_order)[:QUOTE_POOL]
        if other.driver_counts is not None:
            mine_drivers = self.driver_counts
            self.driver_counts = (
                other.driver_counts if mine_drivers is None else mine_drivers.merge(other.driver_counts)
            )

    __add__ = merge

    # -- tables ------------------------------------------------------------------------------
    def summary(self, *, phrase_table: pd.DataFrame | None = None) -> pd.DataFrame:
        """Per-touchpoint pain-point summary (SUMMARY_COLUMNS), ranked by negative mentions."""
        explained = self.phrases() if phrase_table is None else phrase_table
        explained = explained[explained["rank"] <= 5]
        rows = []
        for tp in self.taxonomy.touchpoints:
            neg, neu, pos = (self.sentiment[(tp.id, s)] for s in schema.SENTIMENT_LABELS)
            n = neg + neu + pos
            low, high = wilson_interval(neg, n)
            example, example_row = self._top_example(tp.id)
            rows.append(
                {
                    "touchpoint": tp.id,
                    "name": tp.name,
                    "stage": tp.stage,
                    "facing": tp.facing,
                    "mentions": n,
                    "share": n / self.analysed if self.analysed else 0.0,
                    "negative": neg,
                    "neutral": neu,
                    "positive": pos,
                    "negative_share": neg / n if n else 0.0,
                    "negative_share_low": low,
                    "negative_share_high": high,
                    "net_sentiment": (pos - neg) / n if n else 0.0,
                    "top_phrases": "; ".join(explained.loc[explained["touchpoint"] == tp.id, "phrase"]),
                    "top_example": example,
                    "top_example_row_id": example_row,
                }
            )
        summary = pd.DataFrame(rows)
        summary = summary.sort_values(["negative", "negative_share", "mentions"], ascending=False, kind="stable")
        summary.insert(0, "pain_rank", range(1, len(summary) + 1))
        summary["top_example_row_id"] = pd.array(summary["top_example_row_id"].tolist(), dtype="object")
        return summary.reset_index(drop=True)[list(SUMMARY_COLUMNS)]

    def _top_example(self, touchpoint: str) -> tuple[str, Any]:
        """The most confident negative evidence (the pain), else the most confident mention."""
        negative = self.quote_pool.get((touchpoint, "negative"))
        if negative:
            return negative[0][1], negative[0][2]
        pools = [
            self.quote_pool[(touchpoint, s)][0] for s in schema.SENTIMENT_LABELS if (touchpoint, s) in self.quote_pool
        ]
        if not pools:
            return "", None
        best = max(pools, key=lambda c: c[0])
        return best[1], best[2]

    def periods(self, period: Period | None = None) -> tuple[Period | None, dict[str, str]]:
        """The period used for trends (given or chosen from the date span) and each day's period label."""
        if not self.day_items:
            return period, {}
        days = sorted(self.day_items)
        stamps = pd.to_datetime(pd.Series(days))
        chosen: Period = period or choose_period(stamps)
        labels = stamps.dt.to_period(_PERIOD_FREQ[chosen]).astype(str)
        return chosen, dict(zip(days, labels, strict=True))

    def trend(self, *, period: Period | None = None, alpha: float = 0.05) -> pd.DataFrame:
        """Per period and touchpoint: items, mentions, negatives and the share of items with a
        negative mention, flagged `rise`/`fall` when that share differs from the previous period
        by a two-proportion z-test at `alpha`. Empty without a usable date column."""
        _, label_of = self.periods(period)
        if not label_of:
            return pd.DataFrame(columns=list(TREND_COLUMNS))
        items: Counter[str] = Counter()
        for day, n in self.day_items.items():
            items[label_of[day]] += n
        period_mentions: Counter[tuple[str, str]] = Counter()
        period_negative: Counter[tuple[str, str]] = Counter()
        for (day, tp), n in self.day_mentions.items():
            period_mentions[(label_of[day], tp)] += n
        for (day, tp), n in self.day_negative.items():
            period_negative[(label_of[day], tp)] += n
        rows = []
        for tp in self.taxonomy.ids:
            previous: tuple[int, int] | None = None
            for label in sorted(items):
                n_items, negative = items[label], period_negative[(label, tp)]
                p_value, change = 1.0, ""
                if previous is not None:
                    p_value = _two_proportion_p(previous[0], previous[1], negative, n_items)
                    if p_value < alpha:
                        change = "rise" if negative / n_items > previous[0] / previous[1] else "fall"
                rows.append({"period": label, "touchpoint": tp, "items": n_items,
                             "mentions": period_mentions[(label, tp)], "negative": negative,
                             "negative_item_share": negative / n_items if n_items else 0.0,
                             "p_value": p_value, "change": change})  # fmt: skip
                previous = (negative, n_items)
        return pd.DataFrame(rows, columns=list(TREND_COLUMNS))

    def quotes(self, *, per_group: int = 3, max_overlap: float = 0.5) -> pd.DataFrame:
        """Up to `per_group` confident, mutually different evidence sentences per touchpoint and
        sentiment (QUOTE_COLUMNS). Confidence is touchpoint x sentiment confidence; a sentence is
        skipped when its word overlap (Jaccard) with an already chosen one exceeds `max_overlap`."""
        rows = []
        for tp, sentiment in sorted(self.quote_pool):
            chosen: list[set[str]] = []
            for score, text, row_id in self.quote_pool[(tp, sentiment)]:
                words = _words(text)
                if any(len(words & c) / max(len(words | c), 1) > max_overlap for c in chosen):
                    continue
                chosen.append(words)
                rows.append({"touchpoint": tp, "sentiment": sentiment, "rank": len(chosen), "quote": text,
                             schema.ROW_ID: row_id, "score": round(score, 4)})  # fmt: skip
                if len(chosen) == per_group:
                    break
        return pd.DataFrame(rows, columns=list(QUOTE_COLUMNS))

    def cooccurrence(self) -> pd.DataFrame:
        """Pairs of touchpoints complained about in the same item: count and lift over independence."""
        n = self.analysed
        rows = [
            {"touchpoint_a": a, "touchpoint_b": b, "both_negative": k,
             "lift": (k * n) / (self.negative_items[a] * self.negative_items[b]) if n else 0.0}
            for (a, b), k in self.negative_pairs.items()
        ]  # fmt: skip
        out = pd.DataFrame(rows, columns=list(PAIR_COLUMNS))
        out = out.sort_values(["touchpoint_a", "touchpoint_b"], kind="stable")
        return out.sort_values(["both_negative", "lift"], ascending=False, kind="stable").reset_index(drop=True)

    def phrases(self, *, top: int = 8, prior_strength: float = 500.0, min_count: int = 2) -> pd.DataFrame:
        """The phrases that explain each touchpoint's pain: lemma 1-2-grams of its negative evidence
        that are distinctive against all other evidence, ranked by the z-score of the weighted
        log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008)."""
        n_total = sum(self.grams.values())
        rows = []
        for tp in self.taxonomy.ids:
            counts_a = self.negative_grams.get(tp)
            if not counts_a:
                continue
            n_a = sum(counts_a.values())
            n_b = n_total - n_a
            scored = []
            for gram, y_a in counts_a.items():
                if y_a < min_count:
                    continue
                y_b = self.grams[gram] - y_a
                prior = prior_strength * self.grams[gram] / n_total
                delta = math.log((y_a + prior) / (n_a + prior_strength - y_a - prior)) - math.log(
                    (y_b + prior) / (n_b + prior_strength - y_b - prior)
                )
                scored.append((delta / math.sqrt(1 / (y_a + prior) + 1 / (y_b + prior)), y_a, gram))
            scored.sort(key=lambda item: (-item[0], item[2]))
            for rank, (z, y_a, gram) in enumerate(scored[:top], 1):
                rows.append({"touchpoint": tp, "rank": rank, "phrase": gram, "count": y_a, "z": round(z, 3)})
        return pd.DataFrame(rows, columns=list(PHRASE_COLUMNS))

    def rollup(self, by: str) -> pd.DataFrame:
        """Mentions by journey `stage`, by `facing`, or per value of a counted segment column and touchpoint."""
        if by in ("stage", "facing"):
            attribute = {t.id: getattr(t, by) for t in self.taxonomy.touchpoints}
            grouped: Counter[tuple[str, ...]] = Counter()
            for (tp, sentiment), n in self.sentiment.items():
                grouped[(attribute[tp], sentiment)] += n
            keys, group_items = [by], None
        elif by in self.segment_mentions:
            grouped = Counter({(value, tp, s): n for (value, tp, s), n in self.segment_mentions[by].items()})
            keys, group_items = [by, "touchpoint"], self.segment_items[by]
        else:
            raise InputError(f"Cannot roll up by {by!r}: use 'stage', 'facing' or a segment column given with --by.")
        table = pd.DataFrame([(*key, n) for key, n in grouped.items()], columns=[*keys, "sentiment", "n"])
        if table.empty:
            extra = ["items"] if group_items is not None else []
            return pd.DataFrame(columns=[keys[0], *extra, *keys[1:], *schema.SENTIMENT_LABELS, "mentions",
                                         "negative_share", "net_sentiment"])  # fmt: skip
        counts = table.pivot_table(index=keys, columns="sentiment", values="n", aggfunc="sum", fill_value=0)
        counts = counts.reindex(columns=list(schema.SENTIMENT_LABELS), fill_value=0).reset_index()
        counts.columns.name = None
        counts["mentions"] = counts[list(schema.SENTIMENT_LABELS)].sum(axis=1)
        counts["negative_share"] = counts["negative"] / counts["mentions"]
        counts["net_sentiment"] = (counts["positive"] - counts["negative"]) / counts["mentions"]
        if group_items is not None:
            counts.insert(1, "items", counts[by].map(group_items).fillna(0).astype(int))
        return counts.sort_values(["negative", "mentions"], ascending=False, kind="stable").reset_index(drop=True)

    def drivers(self, *, alpha: float = 1.0) -> pd.DataFrame:
        """Driver analysis (DRIVER_COLUMNS); empty without a score column or enough scored items."""
        if self.driver_counts is None:
            return pd.DataFrame(columns=list(DRIVER_COLUMNS))
        return self.driver_counts.fit(alpha=alpha)

    def finalize(self, *, period: Period | None = None) -> SummaryTables:
        """Every summary table, computed once from the counts."""
        chosen, _ = self.periods(period)
        phrase_table = self.phrases()
        return SummaryTables(
            items=self.items,
            status_counts=dict(self.status),
            date_column=self.date_column,
            score_column=self.score_column,
            period=chosen,
            summary=self.summary(phrase_table=phrase_table),
            trend=self.trend(period=period),
            quotes=self.quotes(),
            cooccurrence=self.cooccurrence(),
            phrases=phrase_table,
            drivers=self.drivers(),
            rollups={by: self.rollup(by) for by in ("stage", "facing", *self.segments)},
        )


@dataclass(frozen=True)
class SummaryTables:
    """Every summary of one analysis, ready to write (see `document` for summary.json)."""

    items: int
    status_counts: dict[str, int]
    date_column: str | None
    score_column: str | None
    period: Period | None
    summary: pd.DataFrame
    trend: pd.DataFrame
    quotes: pd.DataFrame
    cooccurrence: pd.DataFrame
    phrases: pd.DataFrame
    drivers: pd.DataFrame
    rollups: dict[str, pd.DataFrame]

    def document(self) -> dict[str, object]:
        """The machine-readable summary (summary.json), with a schema version."""
        return {
            "schema_version": SUMMARY_SCHEMA_VERSION,
            "items": self.items,
            "status_counts": {str(k): int(v) for k, v in self.status_counts.items()},
            "date_column": self.date_column,
            "period": self.period,
            "score_column": self.score_column,
            "touchpoints": _records(self.summary),
            "trend": _records(self.trend),
            "quotes": _records(self.quotes),
            "cooccurrence": _records(self.cooccurrence),
            "phrases": _records(self.phrases),
            "drivers": _records(self.drivers),
            "rollups": {by: _records(table) for by, table in self.rollups.items()},
        }


# -- one-call functions over a classified DataFrame --------------------------------------------
def summary_tables(
    classified: pd.DataFrame,
    *,
    taxonomy: Taxonomy | None = None,
    date_column: str | None = None,
    period: Period | None = None,
    score_column: str | None = None,
    segments: tuple[str, ...] = (),
) -> SummaryTables:
    """Every summary table of classified data in one pass (what `touchtext summarize` writes).

    Example:
        >>> tables = summary_tables(classify(df), segments=("location",))  # doctest: +SKIP
        >>> tables.summary.head(3)  # doctest: +SKIP
    """
    counts = SummaryCounts.from_classified(
        classified, taxonomy=taxonomy, date_column=date_column, score_column=score_column, segments=segments
    )
    return counts.finalize(period=period)


def _counts(classified: pd.DataFrame, taxonomy: Taxonomy | None, **columns: Any) -> SummaryCounts:
    return SummaryCounts.from_classified(classified, taxonomy=taxonomy, **columns)


def summarize(classified: pd.DataFrame, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Per-touchpoint pain-point summary, ranked by negative mentions (then negative share).

    Every touchpoint of the taxonomy appears, including those never mentioned. `share` is
    the fraction of analysed items (status ok, unclear or too_long_truncated) that mention the
    touchpoint; `net_sentiment` is (positive - negative) / mentions; `negative_share_low/high`
    is a 95% Wilson interval; `top_phrases` are the 5 phrases that best explain its complaints.

    Example:
        >>> summarize(classify(df)).head(3)[["touchpoint", "negative"]]  # doctest: +SKIP
    """
    return _counts(classified, taxonomy).summary()


def trend(
    classified: pd.DataFrame,
    *,
    date_column: str | None = None,
    period: Period | None = None,
    taxonomy: Taxonomy | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Negative mentions per period and touchpoint with significant rises/falls flagged
    (see SummaryCounts.trend). Empty when there is no usable date column.

    Example:
        >>> trend(classified, period="month").query("change == 'rise'")  # doctest: +SKIP
    """
    return _counts(classified, taxonomy, date_column=date_column).trend(period=period, alpha=alpha)


def quotes(classified: pd.DataFrame, *, per_group: int = 3, max_overlap: float = 0.5) -> pd.DataFrame:
    """Representative quotes per touchpoint and sentiment (see SummaryCounts.quotes)."""
    return _counts(classified, None).quotes(per_group=per_group, max_overlap=max_overlap)


def cooccurrence(classified: pd.DataFrame) -> pd.DataFrame:
    """Pairs of touchpoints complained about in the same item: count and lift over independence."""
    return _counts(classified, None).cooccurrence()


def phrases(classified: pd.DataFrame, *, taxonomy: Taxonomy | None = None, top: int = 8) -> pd.DataFrame:
    """The phrases that explain each touchpoint's pain (see SummaryCounts.phrases).

    Example:
        >>> phrases(classified).query("touchpoint == 'parking'").head(3)  # doctest: +SKIP
    """
    return _counts(classified, taxonomy).phrases(top=top)


def rollup(classified: pd.DataFrame, by: str, *, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Pain points rolled up by journey `stage`, by `facing` (customer-facing vs -touching), or
    per value of a segment column of the input (e.g. "channel", "location") and touchpoint.

    Example:
        >>> rollup(classified, "location").query("touchpoint == 'parking'")  # doctest: +SKIP
    """
    segments = () if by in ("stage", "facing") else (by,)
    return _counts(classified, taxonomy, segments=segments).rollup(by)


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
