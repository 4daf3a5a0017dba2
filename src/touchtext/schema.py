"""Column names that flow between touchtext's stages, defined once.

Every stage reads and writes DataFrames; these constants are the contract between them.
"""

from __future__ import annotations

from typing import Final

# Added to every input row by the reader: 1-based position of the row in the input.
ROW_ID: Final = "row_id"

# Added by cleaning.
CLEAN_TEXT: Final = "clean_text"
SOURCE_KIND: Final = "source_kind"  # review / ticket / transcript
CLEAN_STATUS: Final = "clean_status"  # ok / empty / auto_reply
CLEAN_NOTES: Final = "clean_notes"  # what cleaning removed, e.g. "quoted_reply|sign_off"
TEXT_RATING: Final = "text_rating"  # a star rating found in the text, on 1-5
PII_REDACTED: Final = "pii_redacted"  # types of personal data replaced, e.g. "EMAIL|PHONE"
CLEANING_COLUMNS: Final = (CLEAN_TEXT, SOURCE_KIND, CLEAN_STATUS, CLEAN_NOTES, TEXT_RATING, PII_REDACTED)

# Added by classification.
STATUS: Final = "status"
STATUS_REASON: Final = "status_reason"
TOUCHPOINTS: Final = "touchpoints"  # "billing|delivery"
SENTIMENTS: Final = "sentiments"  # "billing:negative|delivery:positive"
CONFIDENCE: Final = "confidence"  # "billing:0.91|delivery:0.77"
# JSON list with one object per mention: touchpoint, sentiment, confidence,
# sentiment_confidence and evidence spans [{"text", "start", "end"}] into `clean_text`.
MENTIONS: Final = "mentions"

# Row statuses.
STATUS_OK: Final = "ok"
STATUS_UNCLEAR: Final = "unclear"  # text present, but no touchpoint above threshold
STATUS_EMPTY: Final = "empty"  # no text left after cleaning
STATUS_AUTO_REPLY: Final = "auto_reply"  # an out-of-office or other automatic email: not analysed

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
ADDED_COLUMNS: Final = (ROW_ID, *CLEANING_COLUMNS, STATUS, STATUS_REASON, TOUCHPOINTS, SENTIMENTS, CONFIDENCE, MENTIONS)
