"""Cleaning raw feedback before classification: reviews, tickets/emails and transcripts.

Every source gets the same normalization (markup, entities, encoding damage, Unicode,
repeated letters and punctuation, spacing; emoji are kept because they carry sentiment).
Tickets also lose quoted replies, signatures, footers, disclaimers and help-desk boilerplate,
and auto-replies are flagged. Transcripts keep the customer's turns. Personal data is then
replaced by typed placeholders (see `touchtext.redaction`).

Every step keeps a map back to the raw text, so sentences of the cleaned text carry
character offsets into the original (`sentences()`). Cleaning is idempotent.
"""

from __future__ import annotations

import functools
import html
import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import ftfy
import pandas as pd

from . import schema
from ._alignment import Aligned
from ._email import is_auto_reply, prepend_subject, strip_email_noise
from ._langid import detect_languages
from .errors import InputError
from .io import detect_text_column
from .language import TextProcessor
from .redaction import RedactionSettings, Redactor
from .transcripts import clean_turn_text, customer_text, looks_like_transcript

__all__ = [
    "CleanedText",
    "CleaningSettings",
    "Source",
    "SourceRule",
    "clean",
    "clean_one",
    "clean_text",
    "detect_source",
    "load_cleaning_config",
    "row_sources",
    "sentences",
    "source_rule",
]

Source = Literal["auto", "review", "ticket", "transcript"]
SOURCES: tuple[str, ...] = ("auto", "review", "ticket", "transcript")


@dataclass(frozen=True)
class CleaningSettings:
    """How to clean. Loaded from a TOML file with `load_cleaning_config`, or built in code."""

    redact_pii: bool = True
    redaction: RedactionSettings = field(default_factory=RedactionSettings)
    transcript_roles: tuple[str, ...] = ("customer",)  # whose turns are analysed
    # Longer cleaned texts are cut at the last sentence (else word) end before this many
    # characters and get clean_status too_long_truncated; cells over RAW_LIMIT_FACTOR times
    # it are cut to that before cleaning, so one 5 MB cell cannot stall a run.
    max_chars: int = 20_000


@dataclass(frozen=True)
class CleanedText:
    """One cleaned item: text plus what cleaning found out about it."""

    text: str
    source: str
    status: str
    notes: tuple[str, ...]
    text_rating: float | None
    pii: tuple[str, ...]
    aligned: Aligned

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in the raw text of characters start..end of the cleaned text."""
        return self.aligned.original_span(start, end)


# -- normalization (shared by every source) -------------------------------------------------
_MOJIBAKE = re.compile("[ÃÂâÅÐÑÎÏ][\u0080-\u00bf\u0152-\u0178\u02c6\u02dc\u2013-\u2122\u20ac]+[^\\s]*")
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|p|/div|div|li|/li|tr|/tr|h[1-6]|/h[1-6])\b[^>]{0,200}>", re.IGNORECASE)
_ANY_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,500}>")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,30});")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NEWLINES_AND_CONTROL = re.compile(
    r"(?P<nl>\r\n?|[\u2028\u2029\x85\x0b\x0c])|[\x00-\x08\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff\ufffd]"
)
# One pass for repetition and spacing: "sooooo" -> "soo", "!!!!!" -> "!!!", runs of spaces -> " ",
# spaces around line breaks dropped.
_REPETITION_AND_SPACING = re.compile(
    r"(?P<letters>([a-zA-Z])\2{2,})|(?P<punct>([!?.])\4{3,})"
    r"|(?P<edge>[^\S\n]*\n[^\S\n]*)|(?P<space>[^\S\n]{2,}|[^\S\n ])"
)
_BLANK_LINES = re.compile(r"\n{3,}")
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
           "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"'}  # fmt: skip
_RATING = re.compile(
    r"(?i)(?:^|(?<=[\s(]))(?:(?:rated|rating|score|my rating)\s*:?\s*)?"
    r"(?P<value>\d(?:[.,]\d)?)\s*(?:/|out of|of)\s*(?P<scale>5|10)(?:\s*stars?)?\b[.!]?"
    r"(?=\s|$)|(?P<glyphs>[★☆]{3,10})"
)
_RATING_CUE = re.compile(r"(?i)rated|rating|score|stars?")
# The number-and-scale core every non-glyph `_RATING` match contains: a quick test that most
# texts hold no rating (`_RATING` itself tries its optional cue words at every position).
_RATING_CORE = re.compile(r"(?i)\d(?:[.,]\d)?\s*(?:/|out of|of)\s*(?:5|10)")
# Bytes of the runs `_REPETITION_AND_SPACING` shortens: three letters, four marks.
_ASCII_LETTER_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_REPEATED_MARK_BYTES = frozenset(b"!?.")


def _normalize_char(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _QUOTES:
        return _QUOTES[ch]
    return unicodedata.normalize("NFKC", ch)


def _repetition_and_spacing(match: re.Match[str]) -> str:
    kind = match.lastgroup
    text = match.group(0)
    if kind == "letters":
        return text[:2]
    if kind == "punct":
        return text[:3]
    if kind == "edge":
        return "\n"
    return " "


def _strip_control(aligned: Aligned) -> Aligned:
    if aligned.text.isprintable():
        return aligned
    return aligned.sub(_NEWLINES_AND_CONTROL, lambda m: "\n" if m.lastgroup == "nl" else "")


def _may_repeat_or_space(text: str) -> bool:
    """False only if `_REPETITION_AND_SPACING` has nothing to change in `text`.

    A printable text has no whitespace but plain spaces (so no line breaks, tabs or other
    spaces); then only double spaces, runs of one letter (3) or of one of !?. (4) can match.
    Runs are found on the UTF-8 bytes, where an ASCII byte only ever stands for its character:
    byte i of `same` is zero where byte i equals byte i - 1, so "\0\0" in it ends three equal bytes.
    """
    if not text.isprintable() or "  " in text:
        return True
    data = text.encode("utf-8", "surrogatepass")
    number = int.from_bytes(data, "big")
    same = (number ^ (number >> 8)).to_bytes(len(data), "big")
    at = same.find(b"\0\0")
    while at >= 0:  # data[at - 1] == data[at] == data[at + 1]
        byte = data[at]
        if byte in _ASCII_LETTER_BYTES or (byte in _REPEATED_MARK_BYTES and same[at + 2 : at + 3] == b"\0"):
            return True
        at = same.find(b"\0\0", at + 1)
    return False


def _normalize(aligned: Aligned) -> Aligned:
    """Shared normalization: control characters, markup, entities, encoding, Unicode, repetition, spacing.

    The order makes cleaning idempotent: each step runs after every step that could create work for it.
    """
    aligned = _strip_control(aligned)
    if "<" in aligned.text:
        aligned = aligned.sub(_BLOCK_TAG, "\n").sub(_ANY_TAG, " ")
    if "&" in aligned.text:
        aligned = aligned.sub(_ENTITY, lambda m: html.unescape(m.group(0)))
    if not aligned.text.isascii():
        aligned = aligned.sub(_MOJIBAKE, lambda m: ftfy.fix_encoding(m.group(0)))
        aligned = _strip_control(aligned.sub(_NON_ASCII, _normalize_char))
    if _may_repeat_or_space(aligned.text):
        aligned = aligned.sub(_REPETITION_AND_SPACING, _repetition_and_spacing)
    if "\n\n\n" in aligned.text:
        aligned = aligned.sub(_BLANK_LINES, "\n\n")
    return aligned.strip()


def _extract_rating(aligned: Aligned) -> tuple[Aligned, float | None]:
    """Remove star-rating boilerplate ("Rated 2 out of 5", "★★☆☆☆") and return its value on 1–5."""
    text = aligned.text
    glyphs = "★" in text or "☆" in text
    if not glyphs and (("/" not in text and " of " not in text.lower()) or not _RATING_CORE.search(text)):
        return aligned, None
    found: list[float] = []

    def take(match: re.Match[str]) -> str:
        if match.group("glyphs"):
            found.append(float(match.group("glyphs").count("★")))
            return ""
        whole = match.group(0)
        alone = not match.string[: match.start()].strip() or not match.string[match.end() :].strip()
        if not _RATING_CUE.search(whole) and not alone:
            return whole  # "I'd give it 2/5 for effort" stays: it is prose, not boilerplate
        value = float(match.group("value").replace(",", "."))
        scale = float(match.group("scale"))
        if value > scale:
            return whole
        found.append(round(value * 5 / scale, 1))
        return ""

    updated = aligned.sub(_RATING, take)
    while updated is not aligned:  # "Rated 2 out of 5★★☆": removing one form can expose another
        aligned, updated = updated, updated.sub(_RATING, take)
    return updated, (found[0] if found else None)


# -- source detection -----------------------------------------------------------------------
_TICKET_HINT = re.compile(
    r"(?im)^\s*(?:subject|from|sent|to|cc):|\bwrote:\s*$|^-{2,}\s*original message|^sent from my |"
    r"^(?:dear|hi|hello) [^\n]{0,40},\s*$|^(?:kind |best )?regards,?\s*$"
)
_TICKET_COLUMNS = ("subject", "body", "email", "ticket", "ticket_id", "case_id", "message")
_TRANSCRIPT_COLUMNS = ("transcript", "conversation", "conversation_id", "call_id", "chat_id", "dialogue", "turns")
_SOURCE_COLUMNS = ("source", "source_kind", "channel", "type", "kind", "feedback_type")
_SOURCE_VALUES = {
    "review": "review", "reviews": "review", "rating": "review", "survey": "review", "google": "review",
    "tripadvisor": "review", "trustpilot": "review", "app store": "review", "booking.com": "review",
    "expedia": "review", "app survey": "review",
    "ticket": "ticket", "email": "ticket", "e-mail": "ticket", "mail": "ticket", "web_form": "ticket",
    "web form": "ticket", "form": "ticket", "case": "ticket",
    "transcript": "transcript", "call": "transcript", "phone": "transcript", "chat": "transcript",
    "voice": "transcript", "livechat": "transcript", "messaging": "transcript",
}  # fmt: skip


def detect_source(text: object) -> str:
    """Guess a text's source kind from its content: transcript, ticket or review."""
    if not isinstance(text, str):
        return "review"
    if looks_like_transcript(text):
        return "transcript"
    if _TICKET_HINT.search(text[:3000]):
        return "ticket"
    return "review"


def _file_source(df: pd.DataFrame, text_column: str) -> str | None:
    """A source implied by the file's column names, if any."""
    names = {str(c).lower() for c in df.columns}
    if text_column.lower() in _TRANSCRIPT_COLUMNS or names & set(_TRANSCRIPT_COLUMNS):
        return "transcript"
    if {"subject", "body"} <= names or text_column.lower() in ("body", "email", "message"):
        return "ticket"
    if names & {"rating", "stars", "review_id", "review_text", "score"}:
        return "review"
    return None


def row_sources(df: pd.DataFrame, *, text_column: str | None = None, source: Source = "auto") -> list[str]:
    """The source kind `clean` gives each row (review / ticket / transcript). It depends on the
    whole frame (a source column is trusted when 80% of its values are known kinds), so whoever
    cleans a frame in parts decides the kinds once with this and passes each part its kind.

    Example:
        >>> row_sources(pd.DataFrame({"text": ["Agent: hello\nCustomer: my bill is wrong"]}))
        ['transcript']
    """
    _validate_source(source)
    return _row_sources(df, detect_text_column(df, text_column), source)


@dataclass(frozen=True)
class SourceRule:
    """How a streamed input's rows get their source kind, decided once from its first chunk
    (`source_rule`) so that every chunk is told the same way."""

    text_column: str
    source: str = "auto"  # a kind for every row, or "auto"
    source_column: str | None = None  # a trusted source-like column (missing kinds are sniffed)
    by_file: str | None = None  # the kind the file's column names imply

    def kinds(self, df: pd.DataFrame) -> list[str]:
        """The source kind of each row of a chunk."""
        if self.source != "auto":
            return [self.source] * len(df)
        texts = df[self.text_column].tolist()
        if self.source_column is not None:
            mapped = [_SOURCE_VALUES.get(str(v).strip().lower()) for v in df[self.source_column]]
            return [m or detect_source(t) for m, t in zip(mapped, texts, strict=True)]
        if self.by_file == "transcript":
            return ["transcript" if looks_like_transcript(t) else "review" for t in texts]
        if self.by_file is not None:
            return [self.by_file] * len(df)
        return [detect_source(t) for t in texts]


def source_rule(df: pd.DataFrame, *, text_column: str | None = None, source: Source = "auto") -> SourceRule:
    """The rule `clean` applies to `df` to tell each row's source kind, to apply to later chunks
    of the same input: `source_rule(first).kinds(first) == row_sources(first)`.

    Example:
        >>> source_rule(pd.DataFrame({"review_text": ["Great"]})).by_file
        'review'
    """
    _validate_source(source)
    column = detect_text_column(df, text_column)
    if source != "auto":
        return SourceRule(column, source)
    return SourceRule(column, source_column=_trusted_source_column(df), by_file=_file_source(df, column))


def _trusted_source_column(df: pd.DataFrame) -> str | None:
    """A source-like column whose values are known kinds in at least 80% of the rows."""
    for column in df.columns:
        if str(column).lower() in _SOURCE_COLUMNS:
            mapped = [_SOURCE_VALUES.get(str(v).strip().lower()) for v in df[column]]
            if sum(m is not None for m in mapped) >= 0.8 * len(df):
                return str(column)
    return None


def _row_sources(df: pd.DataFrame, text_column: str, source: str | Sequence[str]) -> list[str]:
    """Per-row source kind: given (one for all rows, or one per row), else by `source_rule`."""
    if not isinstance(source, str):
        kinds = list(source)
        if len(kinds) != len(df) or not set(kinds) <= set(SOURCES) - {"auto"}:
            raise InputError(
                f"Per-row source kinds must be one of review, ticket, transcript for each of the {len(df)} rows."
            )
        return kinds
    return source_rule(df, text_column=text_column, source=source).kinds(df)  # type: ignore[arg-type]


# -- length limits --------------------------------------------------------------------------
RAW_LIMIT_FACTOR = 5
TRUNCATED_NOTE = "truncated_from:"  # clean_notes entry of a cut text: "truncated_from:<raw length>"
_WORD_CHAR = re.compile(r"[^\W_]")  # a letter or digit in any script
_SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n")
_REDACT_CHUNK = 100_000  # spaCy refuses texts over 1,000,000 characters


def _cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters: after the last sentence end in the final
    quarter, else at the last space there, else at `limit` exactly."""
    if len(text) <= limit:
        return text
    floor = limit * 3 // 4
    window = text[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(window, floor)]
    if ends and ends[-1] <= limit:
        return text[: ends[-1]]
    space = window.rfind(" ", floor)
    return text[:space] if space > 0 else text[:limit]


def _redact_raw(redactor: Redactor, text: str) -> str:
    """Redact a raw cell of any length: very long cells go through spaCy in chunks cut at spaces."""
    pieces = []
    while len(text) > _REDACT_CHUNK:
        head = _cut(text, _REDACT_CHUNK)
        pieces.append(redactor.redact_text(head))
        text = text[len(head) :]
    pieces.append(redactor.redact_text(text))
    return "".join(pieces)


# -- cleaning one item ----------------------------------------------------------------------
def clean_one(
    text: object,
    source: str = "review",
    *,
    subject: object = None,
    settings: CleaningSettings | None = None,
    redactor: Redactor | None = None,
) -> CleanedText:
    """Clean one text of a known source kind; see `clean` for DataFrames.

    Example:
        >>> clean_one("Rated 2 out of 5. Room was dirty", "review").text_rating
        2.0
    """
    settings = settings or CleaningSettings()
    raw = text if isinstance(text, str) else ""
    raw_length = len(raw)
    if raw_length > RAW_LIMIT_FACTOR * settings.max_chars:
        raw = _cut(raw, RAW_LIMIT_FACTOR * settings.max_chars)
    notes: list[str] = []
    rating = None
    status = schema.STATUS_OK
    if source == "transcript":
        aligned, _reason, kept = customer_text(raw, settings.transcript_roles)
        aligned = clean_turn_text(aligned)
        notes.append(f"turns_kept:{kept}")
    else:
        aligned = Aligned(raw)
    aligned = _normalize(aligned)
    if source == "review":  # before redaction: removing boilerplate can expose a signature-like line
        aligned, rating = _extract_rating(aligned)
        if rating is not None:
            notes.append("rating_boilerplate")
            aligned = _normalize(aligned)
    # Redact before anything that removes text by its shape: a redacted line can become short
    # enough to match a pattern ("Sent from my ...") it did not match before, so redacting
    # later would make cleaning twice differ from cleaning once.
    pii: list[str] = []
    active = (redactor or shared_redactor(settings.redaction)) if settings.redact_pii else None
    if active is not None:
        aligned, spans = active.redact(aligned)
        pii += [s.type for s in spans]
    if source == "ticket":
        subject_text = _normalize(Aligned(subject)).text if isinstance(subject, str) else ""
        if active is not None and subject_text:
            redacted_subject, spans = active.redact(Aligned(subject_text))
            subject_text = redacted_subject.text
            pii += [s.type for s in spans]
        if is_auto_reply(subject_text, aligned.text):
            status = schema.STATUS_AUTO_REPLY
            notes.append("auto_reply")
        aligned, removed, inline_subject = strip_email_noise(aligned)
        notes += removed
        aligned = prepend_subject(subject_text or inline_subject, aligned.strip()).strip()
    if len(aligned.text) > settings.max_chars or len(raw) < raw_length:
        aligned = aligned.replace_spans([(len(_cut(aligned.text, settings.max_chars)), len(aligned.text), "")]).strip()
        notes.append(f"{TRUNCATED_NOTE}{raw_length}")
        if status == schema.STATUS_OK:
            status = schema.STATUS_TOO_LONG
    if status in (schema.STATUS_OK, schema.STATUS_TOO_LONG) and not _WORD_CHAR.search(aligned.text):
        if aligned.text:
            notes.append("no_words")  # only emoji, symbols or punctuation: nothing to classify
        status = schema.STATUS_EMPTY
    return CleanedText(aligned.text, source, status, tuple(notes), rating, tuple(pii), aligned)


@functools.lru_cache(maxsize=16)
def shared_redactor(settings: RedactionSettings) -> Redactor:
    """One Redactor per settings, so its spaCy pipeline is built once per process."""
    return Redactor(settings)


def clean_text(text: object, source: str = "review", *, settings: CleaningSettings | None = None) -> str:
    """Cleaned text of one item (non-strings such as NaN become "").

    Example:
        >>> clean_text("<p>Soooo bad!!!!!</p> donâ€™t stay")
        "Soo bad!!!\\ndon't stay"
    """
    return clean_one(text, source, settings=settings).text


def _validate_source(source: str) -> None:
    if source not in SOURCES:
        raise InputError(f"Unknown source {source!r}; use one of {', '.join(SOURCES)}.")


def _subject_column(df: pd.DataFrame) -> str | None:
    for c in df.columns:
        if str(c).lower() in ("subject", "title", "email_subject", "ticket_subject"):
            return str(c)
    return None


def _clean_rows(
    df: pd.DataFrame,
    text_column: str | None,
    source: str | Sequence[str],
    settings: CleaningSettings | None,
    *,
    redact_raw: bool = False,
) -> tuple[list[CleanedText], dict[str, list[object]]]:
    """Clean every row of `df`: the shared core of `clean` and `sentences`.

    With `redact_raw` (and redaction on) also return the raw text and subject columns with
    personal data replaced. Each raw cell is redacted right after its row is cleaned, so the
    redactor still remembers the cleaned text, which for most reviews is the raw text.
    """
    if isinstance(source, str):
        _validate_source(source)
    settings = settings or CleaningSettings()
    column = detect_text_column(df, text_column)
    sources = _row_sources(df, column, source)
    subject_col = _subject_column(df)
    subjects = df[subject_col].tolist() if subject_col and subject_col != column else [None] * len(df)
    redactor = shared_redactor(settings.redaction)
    raw_columns = sorted({column, subject_col or column}) if redact_raw and settings.redact_pii else []
    raw_cells = {name: df[name].tolist() for name in raw_columns}
    redacted: dict[str, list[object]] = {name: [] for name in raw_columns}
    results = []
    for i, (text, kind, subj) in enumerate(zip(df[column].tolist(), sources, subjects, strict=True)):
        subject = subj if kind == "ticket" else None
        results.append(clean_one(text, kind, subject=subject, settings=settings, redactor=redactor))
        for name in raw_columns:
            value = raw_cells[name][i]
            redacted[name].append(_redact_raw(redactor, value) if isinstance(value, str) else value)
    return results, redacted


_ADDED_BY_CLEAN = frozenset(schema.CLEANING_COLUMNS)


def clean(
    df: pd.DataFrame,
    *,
    text_column: str | None = None,
    source: Source | Sequence[str] = "auto",
    settings: CleaningSettings | None = None,
) -> pd.DataFrame:
    """Return a copy of `df` with the cleaned text and what cleaning found, one row per input row.

    `source` is one kind for every row, "auto" (told per row, see `row_sources`), or one kind per
    row (for chunks of a larger input, see `source_rule`).

    With redaction on (the default) the raw text and subject columns are redacted as well, so
    no output carries the personal data. Added columns: `clean_text`, `source_kind` (review /
    ticket / transcript), `clean_status`
    (ok / empty / auto_reply), `clean_notes` (what was removed), `text_rating` (a star rating
    found in the text, on 1–5) and `pii_redacted` (types of personal data replaced). For
    tickets a `subject`/`title` column is combined with the body. An input column named like an
    added one is kept as `<name>_input`.

    Example:
        >>> clean(pd.DataFrame({"text": ["<b>Great</b> staff, call me on 07700 900123"]}))["clean_text"][0]
        'Great staff, call me on [PHONE]'
    """
    df, text_column = schema.set_aside_clashes(df, _ADDED_BY_CLEAN, text_column)
    results, redacted = _clean_rows(df, text_column, source, settings, redact_raw=True)
    out = df.copy()
    # Rows the reader could not parse (see touchtext.io.read_table): status parse_error, the
    # problem (with its line number) in clean_notes.
    unparsed = out.pop(schema.PARSE_ERROR).fillna("").astype(str).tolist() if schema.PARSE_ERROR in out else []
    unparsed = unparsed or [""] * len(out)
    # The raw columns travel into every output file: they must not carry what was redacted.
    for column, values in redacted.items():
        out[column] = values
    out[schema.CLEAN_TEXT] = [r.text for r in results]
    out[schema.SOURCE_KIND] = [r.source for r in results]
    out[schema.CLEAN_STATUS] = [r.status for r in results]
    out[schema.CLEAN_NOTES] = ["|".join(r.notes) for r in results]
    out[schema.TEXT_RATING] = pd.array([r.text_rating for r in results], dtype="Float64")
    out[schema.PII_REDACTED] = ["|".join(r.pii) for r in results]
    out[schema.LANGUAGE] = detect_languages([r.text for r in results])  # "und" for empty texts
    if any(unparsed):
        bad = [bool(problem) for problem in unparsed]
        out[schema.CLEAN_STATUS] = out[schema.CLEAN_STATUS].where(~pd.Series(bad, index=out.index),
                                                                  schema.STATUS_PARSE_ERROR)  # fmt: skip
        out[schema.CLEAN_NOTES] = [p or n for p, n in zip(unparsed, out[schema.CLEAN_NOTES], strict=True)]
    return out


def sentences(
    df: pd.DataFrame,
    *,
    text_column: str | None = None,
    source: Source = "auto",
    settings: CleaningSettings | None = None,
) -> pd.DataFrame:
    """One row per sentence of the cleaned text, with offsets into the cleaned and the raw text.

    Columns: row_id, sentence (1-based), text, start, end (in `clean_text`), original_start,
    original_end (in the raw input cell; for transcripts, in the raw transcript).

    Example:
        >>> sentences(pd.DataFrame({"text": ["<p>Great staff.</p> Bad food."]}))[["text", "original_start"]]
        ... # doctest: +SKIP
    """
    row_ids = df[schema.ROW_ID].tolist() if schema.ROW_ID in df.columns else list(range(1, len(df) + 1))
    cleaned, _ = _clean_rows(df, text_column, source, settings)
    processor = TextProcessor()
    records = []
    for row_id, item, doc in zip(row_ids, cleaned, processor.docs([c.text for c in cleaned]), strict=True):
        for n, sent in enumerate(processor.sentences(doc), 1):
            o_start, o_end = item.original_span(sent.start, sent.end)
            records.append({schema.ROW_ID: row_id, "sentence": n, "text": sent.text, "start": sent.start,
                            "end": sent.end, "original_start": o_start, "original_end": o_end})  # fmt: skip
    columns = [schema.ROW_ID, "sentence", "text", "start", "end", "original_start", "original_end"]
    return pd.DataFrame(records, columns=columns)


def load_cleaning_config(path: str | Path) -> CleaningSettings:
    """Read cleaning settings from TOML.

    ```toml
    [redaction]
    enabled = true
    allow = ["support@brightwave.example"]      # never redacted
    deny = ["Ana Souza"]                        # always redacted as [PERSON]
    [[redaction.pattern]]                       # extra patterns, redacted as [TYPE]
    type = "MEMBER_ID"
    regex = "M-\\\\d{8}"

    [transcripts]
    roles = ["customer"]                        # whose turns are analysed
    ```
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"Cleaning config {str(p)!r} does not exist.")
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p} is not valid TOML: {exc}.") from exc
    red = data.get("redaction", {})
    patterns: list[tuple[str, str]] = []
    for i, item in enumerate(red.get("pattern", [])):
        if not isinstance(item, dict) or "type" not in item or "regex" not in item:
            raise InputError(f"{p}: [[redaction.pattern]] #{i + 1} needs a `type` and a `regex`.")
        try:
            re.compile(item["regex"])
        except re.error as exc:
            raise InputError(f"{p}: pattern {item['type']!r} has an invalid regex: {exc}.") from exc
        patterns.append((str(item["type"]), str(item["regex"])))
    roles = tuple(data.get("transcripts", {}).get("roles", ("customer",)))
    bad = [r for r in roles if r not in ("customer", "agent", "system", "unknown")]
    if bad:
        raise InputError(f"{p}: unknown transcript role(s) {', '.join(bad)}; use customer, agent, system, unknown.")
    redaction = RedactionSettings(
        enabled=bool(red.get("enabled", True)),
        allow=tuple(str(a) for a in red.get("allow", ())),
        deny=tuple(str(d) for d in red.get("deny", ())),
        patterns=tuple(patterns),
    )
    return CleaningSettings(redact_pii=redaction.enabled, redaction=redaction, transcript_roles=roles)


def with_pii(settings: CleaningSettings | None, keep_pii: bool) -> CleaningSettings:
    """Settings with redaction switched off when `keep_pii` is set (the CLI's --keep-pii)."""
    settings = settings or CleaningSettings()
    return replace(settings, redact_pii=False) if keep_pii else settings
