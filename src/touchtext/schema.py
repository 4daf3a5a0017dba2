"""Column names that flow between touchtext's stages, defined once.

Every stage reads and writes DataFrames; these constants are the contract between them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Any, Final

import pandas as pd

from .errors import InputError

# Added to every input row by the reader: 1-based position of the row in the input.
ROW_ID: Final = "row_id"
# Added by the reader only when it kept going past rows it could not parse: the problem, with
# its line number ("line 7: 5 fields, but the header has 3"); empty for rows that parsed.
# Cleaning turns it into clean_status `parse_error` (the message goes to clean_notes).
PARSE_ERROR: Final = "parse_error"

# Added by cleaning.
CLEAN_TEXT: Final = "clean_text"
SOURCE_KIND: Final = "source_kind"  # review / ticket / transcript
CLEAN_STATUS: Final = "clean_status"  # ok / too_long_truncated / empty / auto_reply / parse_error
CLEAN_NOTES: Final = "clean_notes"  # what cleaning removed, e.g. "quoted_reply|sign_off"
TEXT_RATING: Final = "text_rating"  # a star rating found in the text, on 1-5
PII_REDACTED: Final = "pii_redacted"  # types of personal data replaced, e.g. "EMAIL|PHONE"
LANGUAGE: Final = "language"  # detected language of clean_text (ISO 639-1), "und" when too little to tell
CLEANING_COLUMNS: Final = (CLEAN_TEXT, SOURCE_KIND, CLEAN_STATUS, CLEAN_NOTES, TEXT_RATING, PII_REDACTED, LANGUAGE)

# Added by classification.
STATUS: Final = "status"
STATUS_REASON: Final = "status_reason"
TOUCHPOINTS: Final = "touchpoints"  # "billing|delivery"
SENTIMENTS: Final = "sentiments"  # "billing:negative|delivery:positive"
CONFIDENCE: Final = "confidence"  # "billing:0.91|delivery:0.77"
# JSON list with one object per mention: touchpoint, sentiment, confidence,
# sentiment_confidence and evidence spans [{"text", "start", "end"}] into `clean_text`.
MENTIONS: Final = "mentions"
NEEDS_REVIEW: Final = "needs_review"  # True when a label lies in the model's uncertain band
REVIEW_REASON: Final = "review_reason"  # why, e.g. "parking 0.41 just below its threshold 0.45"
EXPLANATION: Final = "explanation"  # with --explain: "billing: charge, twice | parking: car park"

# Row statuses.
STATUS_OK: Final = "ok"
STATUS_UNCLEAR: Final = "unclear"  # text present, but no touchpoint above threshold
STATUS_EMPTY: Final = "empty"  # no text left after cleaning
STATUS_AUTO_REPLY: Final = "auto_reply"  # an out-of-office or other automatic email: not analysed
STATUS_TOO_LONG: Final = "too_long_truncated"  # cut to the length limit at a sentence or word end, then classified
STATUS_UNSUPPORTED_LANGUAGE: Final = "unsupported_language"  # in a language the model does not cover: not analysed
STATUS_PARSE_ERROR: Final = "parse_error"  # the input row could not be parsed: not analysed
# Rows the model classified (the base of shares and rates in summaries).
ANALYSED_STATUSES: Final = (STATUS_OK, STATUS_UNCLEAR, STATUS_TOO_LONG)

# Columns of the long "mentions" table: one row per item x touchpoint.
MENTION_COLUMNS: Final = (
    ROW_ID,
    "touchpoint",
    "sentiment",
    "confidence",
    "sentiment_confidence",
    "evidence",
    "evidence_start",
    "evidence_end",
)

SENTIMENT_LABELS: Final = ("negative", "neutral", "positive")

# Columns touchtext adds to classified output; clashing input columns are renamed.
CLASSIFICATION_COLUMNS: Final = (STATUS, STATUS_REASON, TOUCHPOINTS, SENTIMENTS, CONFIDENCE, MENTIONS, NEEDS_REVIEW,
                                  REVIEW_REASON)  # fmt: skip
ADDED_COLUMNS: Final = (ROW_ID, PARSE_ERROR, *CLEANING_COLUMNS, *CLASSIFICATION_COLUMNS, EXPLANATION)


def clashing_inputs(columns: Iterable[object], added: Collection[str] = ADDED_COLUMNS) -> dict[str, str]:
    """Input columns named like a column touchtext adds (`added`), each with the name it is kept
    under (`<name>_input`, or `<name>_input_2`... when that is taken too), so no input value is
    overwritten by an added one."""
    names = [str(c) for c in columns]
    taken = set(names) | set(added)
    renames: dict[str, str] = {}
    for name in names:
        if name in added and name not in renames:
            kept, n = f"{name}_input", 1
            while kept in taken:
                n += 1
                kept = f"{name}_input_{n}"
            renames[name] = kept
            taken.add(kept)
    return renames


def set_aside_clashes(
    df: pd.DataFrame, added: Collection[str], text_column: str | None
) -> tuple[pd.DataFrame, str | None]:
    """`df` with its columns named like `added` ones renamed by `clashing_inputs` (`df` itself when
    none are), and the text column's name after the renaming."""
    renames = clashing_inputs(df.columns, added)
    if not renames:
        return df, text_column
    return df.rename(columns=renames), renames.get(text_column, text_column) if text_column is not None else None


def require_columns(classified: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Raise a clear error when classified data lacks columns a later stage needs."""
    missing = [c for c in columns if c not in classified.columns]
    if missing:
        raise InputError(
            f"Classified data lacks column(s) {', '.join(missing)}; pass the output of touchtext.classify "
            "(or a classified.csv written by `touchtext run`)."
        )


Decoded = list[tuple[Any, list[dict[str, Any]]]]  # (row id, the mentions of that row) per row with mentions
Evidence = tuple[Any, Any, Any, Any]  # an evidence sentence: text, start, end (offsets into clean_text), its sentiment


def _int_repr(value: Any) -> str:
    """An int as json writes it (a bool, which json writes as true/false, or any other type raise TypeError)."""
    if type(value) is bool:
        raise TypeError("bool")
    return int.__repr__(value)


_float_repr = float.__repr__  # what json writes a finite float (or float subclass) as; TypeError for other types


@dataclass
class MentionRows:
    """Mentions of classified rows as flat columns, one entry per mention: what the mention and sentence
    tables are built from, filled while classifying (so no JSON is read back) or from `decode_mentions`."""

    row_id: list[Any] = field(default_factory=list)
    touchpoint: list[Any] = field(default_factory=list)
    sentiment: list[Any] = field(default_factory=list)
    confidence: list[Any] = field(default_factory=list)
    sentiment_confidence: list[Any] = field(default_factory=list)
    evidence: list[list[Evidence]] = field(default_factory=list)

    @classmethod
    def from_decoded(cls, decoded: Decoded) -> MentionRows:
        """The mentions of decoded MENTIONS cells (`decode_mentions`)."""
        rows = cls()
        for row_id, items in decoded:
            for m in items:
                sentiment = m["sentiment"]
                rows.row_id.append(row_id)
                rows.touchpoint.append(m["touchpoint"])
                rows.sentiment.append(sentiment)
                rows.confidence.append(m["confidence"])
                rows.sentiment_confidence.append(m["sentiment_confidence"])
                rows.evidence.append(
                    [(e.get("text", ""), e.get("start"), e.get("end"), e.get("sentiment", sentiment))
                     for e in m.get("evidence") or ()]
                )  # fmt: skip
        return rows

    def add(
        self, row_id: Any, touchpoint: str, sentiment: str, confidence: float, sentiment_confidence: float,
        evidence: list[Evidence],
    ) -> str:  # fmt: skip
        """Add one mention; returns its object in the MENTIONS JSON, exactly as `json.dumps(...,
        ensure_ascii=False)` writes the dict `model.Mention.to_dict` gives (same keys, same order)."""
        self.row_id.append(row_id)
        self.touchpoint.append(touchpoint)
        self.sentiment.append(sentiment)
        self.confidence.append(confidence)
        self.sentiment_confidence.append(sentiment_confidence)
        self.evidence.append(evidence)
        # Written by hand as json writes it: strings by json's own C encoder, ints and finite floats
        # (x - x == 0) by int/float repr, which json calls and which refuse other types. Other values
        # (NaN, a bool, None, a NumPy int) are left to json itself (NaN, true, null, or its TypeError).
        try:
            if confidence - confidence == 0.0 and sentiment_confidence - sentiment_confidence == 0.0:
                sentences = ", ".join([
                    f'{{"text": {encode_basestring(text)}, "start": {_int_repr(start)}, "end": {_int_repr(end)}, '
                    f'"sentiment": {encode_basestring(mood)}}}'
                    for text, start, end, mood in evidence
                ])  # fmt: skip
                return (
                    f'{{"touchpoint": {encode_basestring(touchpoint)}, "sentiment": {encode_basestring(sentiment)}, '
                    f'"confidence": {_float_repr(confidence)}, '
                    f'"sentiment_confidence": {_float_repr(sentiment_confidence)}, "evidence": [{sentences}]}}'
                )
        except TypeError:
            pass
        record = mention_record(touchpoint, sentiment, confidence, sentiment_confidence, evidence)
        return json.dumps(record, ensure_ascii=False)


def mention_record(
    touchpoint: str, sentiment: str, confidence: float, sentiment_confidence: float, evidence: list[Evidence]
) -> dict[str, Any]:
    """One mention as stored in the MENTIONS JSON: its keys, in their order (`MentionRows.add`
    writes the same object directly)."""
    return {
        "touchpoint": touchpoint,
        "sentiment": sentiment,
        "confidence": confidence,
        "sentiment_confidence": sentiment_confidence,
        "evidence": [
            {"text": text, "start": start, "end": end, "sentiment": mood} for text, start, end, mood in evidence
        ],
    }


def decode_mentions(classified: pd.DataFrame) -> Decoded:
    """The MENTIONS cells decoded once, for callers that build several tables from them.

    Example:
        >>> decoded = decode_mentions(classify(df))  # doctest: +SKIP
        >>> mention_table(df, decoded=decoded), sentence_table(df, decoded=decoded)  # doctest: +SKIP
    """
    require_columns(classified, (ROW_ID, MENTIONS))
    out: Decoded = []
    for row_id, cell in zip(classified[ROW_ID].tolist(), classified[MENTIONS].tolist(), strict=True):
        if not isinstance(cell, str) or not cell.strip():
            continue
        try:
            out.append((row_id, json.loads(cell)))
        except json.JSONDecodeError as exc:
            raise InputError(f"Row {row_id}: the {MENTIONS!r} cell is not valid JSON ({exc.msg}).") from exc
    return out


def _mention_rows(classified: pd.DataFrame, decoded: Decoded | MentionRows | None) -> MentionRows:
    if isinstance(decoded, MentionRows):
        return decoded
    return MentionRows.from_decoded(decode_mentions(classified) if decoded is None else decoded)


def mention_table(classified: pd.DataFrame, *, decoded: Decoded | MentionRows | None = None) -> pd.DataFrame:
    """One row per (item, touchpoint) with sentiment, confidences and the best evidence sentence,
    decoded from the MENTIONS column of classified data (the inverse of classification's encoding).
    Pass `decoded` (`decode_mentions`, or the `MentionRows` classification made) when it is at hand,
    so the JSON is read once.

    Example:
        >>> mention_table(classify(df))[["row_id", "touchpoint", "sentiment"]].head(2)  # doctest: +SKIP
    """
    rows = _mention_rows(classified, decoded)
    if not rows.row_id:
        return pd.DataFrame([], columns=list(MENTION_COLUMNS))
    no_evidence: Evidence = ("", None, None, None)
    texts, starts, ends, _ = zip(*[evidence[0] if evidence else no_evidence for evidence in rows.evidence], strict=True)
    columns = (
        rows.row_id, rows.touchpoint, rows.sentiment, [float(c) for c in rows.confidence],
        [float(c) for c in rows.sentiment_confidence], list(texts), list(starts), list(ends),
    )  # fmt: skip
    return pd.DataFrame(dict(zip(MENTION_COLUMNS, columns, strict=True)))


SENTENCE_COLUMNS: Final = (ROW_ID, "start", "end", "sentence", "touchpoints", "sentiments")


def sentence_table(classified: pd.DataFrame, *, decoded: Decoded | MentionRows | None = None) -> pd.DataFrame:
    """One row per item sentence that speaks of a touchpoint: its span in `clean_text`, the
    touchpoints it was assigned and its own sentiment towards each (from the evidence in MENTIONS).
    Pass `decoded` (`decode_mentions`, or the `MentionRows` classification made) when it is at hand,
    so the JSON is read once.

    Example:
        >>> sentence_table(classify(df)).head(3)  # doctest: +SKIP
    """
    mentions = _mention_rows(classified, decoded)
    # (row id, start, end) -> (sentence, its touchpoints, its "touchpoint:sentiment" labels)
    rows: dict[tuple[Any, int, int], tuple[str, list[str], list[str]]] = {}
    for row_id, touchpoint, evidence in zip(mentions.row_id, mentions.touchpoint, mentions.evidence, strict=True):
        for text, start, end, mood in evidence:
            key = (row_id, int(start), int(end))
            label = f"{touchpoint}:{mood}"
            entry = rows.get(key)
            if entry is None:
                rows[key] = (text, [touchpoint], [label])
            else:
                entry[1].append(touchpoint)
                entry[2].append(label)
    records = [
        (row_id, start, end, sentence, "|".join(touchpoints), "|".join(labels))
        for (row_id, start, end), (sentence, touchpoints, labels) in rows.items()
    ]
    order = {row_id: i for i, row_id in enumerate(classified[ROW_ID])}
    records.sort(key=lambda r: (order[r[0]], r[1]))
    return pd.DataFrame(records, columns=list(SENTENCE_COLUMNS))
