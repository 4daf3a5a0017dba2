"""Cleaning raw feedback text before classification.

Removes markup and encoding damage while keeping what carries meaning (emoji, "!!",
negations). Cleaning is idempotent: cleaning clean text changes nothing.
"""

from __future__ import annotations

import html
import re
import unicodedata

import ftfy
import pandas as pd

from . import schema
from .io import detect_text_column

__all__ = ["clean", "clean_text"]

_TAG = re.compile(r"<\s*(br|/p|p|/div|div|li|/li|tr|/tr)\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,500}>")
_MOJIBAKE_HINT = re.compile("[ÃÂâ][\u0080-\u00bf\u2018-\u203a\u0152-\u0178\u02c6\u02dc\u20ac\u2122]")
_ELONGATED = re.compile(r"([a-zA-Z])\1{2,}")
_REPEATED_PUNCT = re.compile(r"([!?.])\1{2,}")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b\ufeff]")


def _fix_mojibake(text: str) -> str:
    """Repair UTF-8 text that was decoded as cp1252 (e.g. "donâ€™t" -> "don’t").

    ftfy does the repair; the cheap hint check keeps clean text on the fast path.
    """
    if not _MOJIBAKE_HINT.search(text):
        return text
    return ftfy.fix_encoding(text)


def clean_text(text: object) -> str:
    """Return cleaned text: markup and entities removed, encoding repaired, spacing normalized.

    Non-strings (NaN, None, numbers) become "" so a bad cell never stops a run.

    Example:
        >>> clean_text("<p>Soooo bad!!!!!</p> donâ€™t stay")
        "Soo bad!!! don't stay"
    """
    if not isinstance(text, str):
        return ""
    out = _fix_mojibake(text)
    out = _TAG.sub("\n", out)
    out = _ANY_TAG.sub(" ", out)
    out = html.unescape(out)
    out = unicodedata.normalize("NFKC", out)
    out = out.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    out = out.replace("\r\n", "\n").replace("\r", "\n")
    out = _CONTROL.sub("", out)
    out = _ELONGATED.sub(r"\1\1", out)
    out = _REPEATED_PUNCT.sub(r"\1\1\1", out)
    out = _SPACES.sub(" ", out)
    out = "\n".join(line.strip() for line in out.split("\n"))
    out = _BLANK_LINES.sub("\n\n", out)
    return out.strip()


def clean(df: pd.DataFrame, *, text_column: str | None = None) -> pd.DataFrame:
    """Return a copy of `df` with a `clean_text` column holding the cleaned feedback text.

    Example:
        >>> clean(pd.DataFrame({"text": ["<b>Great</b> staff"]}))["clean_text"].tolist()
        ['Great staff']
    """
    column = detect_text_column(df, text_column)
    out = df.copy()
    out[schema.CLEAN_TEXT] = [clean_text(v) for v in df[column].tolist()]
    return out
