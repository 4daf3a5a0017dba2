"""spaCy's tokens of many texts at once, from a cache of whitespace-delimited spans.

spaCy's tokenizer cuts a text into spans at whitespace (a single space after a word is that
word's trailing space; any other run of whitespace is a span of its own), tokenizes each span
alone (prefixes, suffixes, infixes, special cases) and then looks for special cases once more
over the whole doc. `SpanTokenizer` asks spaCy for the tokens of each distinct span once and
puts texts together from them with array operations, which is several times cheaper than
building a spaCy `Doc` per text.

The result is the same except where a special-case match runs across spans: in the doc-wide
pass a longer match wins over a shorter one it overlaps, so "x:( )x" keeps ":" and "(" apart
(":( )" matches the tokens of ":()"). Such a match needs a span to end with a token of a
special case and the next span to start with the token after it; the stretch of text over
such neighbours is handed to spaCy as it is, and spaCy tokenizes it as within the whole text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from spacy.attrs import IDX, LENGTH, ORTH
from spacy.tokenizer import Tokenizer

__all__ = ["SpanTokenizer"]

# A word with its trailing space, if any, or a run of whitespace: spaCy's spans, each with what
# separates it from the next (re's \s is exactly str.isspace, which spaCy splits on).
_SEGMENT = re.compile(r"\S+ ?|\s+")
_MAX_CACHED_SPANS = 100_000  # the span cache (~15 MB when full) is cleared when it holds this many spans


def _special_case_pairs(tokenizer: Tokenizer) -> set[tuple[str, str]]:
    """Adjacent token pairs of the special cases' match patterns (each case's text tokenized
    without special cases, as spaCy builds the patterns of its special-case matcher)."""
    bare = Tokenizer(tokenizer.vocab, rules={}, prefix_search=tokenizer.prefix_search,
                     suffix_search=tokenizer.suffix_search, infix_finditer=tokenizer.infix_finditer,
                     token_match=tokenizer.token_match, url_match=tokenizer.url_match)  # fmt: skip
    pairs: set[tuple[str, str]] = set()
    for case in tokenizer.rules or {}:
        words = [token.text for token in bare(case)]
        pairs.update(itertools.pairwise(words))
    return pairs


def _segments(text: str) -> tuple[list[str], bool]:
    """The text cut into spaCy's spans, and whether each is followed by exactly one space that
    is not in it (a text of words between single spaces: `split` is several times cheaper);
    otherwise the segments join up to the text (a word's trailing space is in its segment)."""
    if text.isprintable():  # no whitespace but " " (every other whitespace character is unprintable)
        words = text.split(" ")
        if "" not in words:  # no leading, trailing or repeated space
            return words, True
    return _SEGMENT.findall(text), False


def _span(segment: str) -> str:
    """The span spaCy tokenizes for a segment: a word without its trailing space."""
    return segment[:-1] if segment[-1] == " " and not segment[0].isspace() else segment


class SpanTokenizer:
    """ORTH, IDX and LENGTH of every token of many texts, as spaCy's tokenizer and
    `Doc.to_array` give them, with spaCy called once per distinct whitespace-delimited span."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._pairs = sorted(_special_case_pairs(tokenizer))
        self._ends_by_last: dict[str, list[tuple[int, str]]] = {}
        self._starts_by_first: dict[str, list[tuple[int, str]]] = {}
        for number, (left, right) in enumerate(self._pairs):
            self._ends_by_last.setdefault(left[-1], []).append((number, left))
            self._starts_by_first.setdefault(right[0], []).append((number, right))
        self._clear()

    def _clear(self) -> None:
        self._ids: dict[str, int] = {}
        # Special-case pairs a span may end (start) the left (right) side of, as codes (0: none).
        self._side_codes: dict[frozenset[int], int] = {frozenset(): 0}
        self._sides: list[frozenset[int]] = [frozenset()]
        self._across: dict[tuple[int, int], bool] = {}  # (tail code, head code) -> a pair in common
        # Per span (columns): its first token in the pool, token count, length, head and tail codes.
        self._spans = np.zeros((5, 1024), dtype=np.int64)
        self._pool = np.zeros((4096, 3), dtype=np.int64)  # (ORTH, IDX, LENGTH) of each span's tokens
        self._pooled = 0

    def _add(self, segment: str) -> int:
        """Tokenize the span of a segment not seen before; the segment's id."""
        span = _span(segment)
        doc = self._tokenizer(span)
        rows = doc.to_array([ORTH, IDX, LENGTH]).reshape(-1, 3).astype(np.int64)
        number, first = len(self._ids), self._pooled
        self._ids[segment] = number
        if number == self._spans.shape[1]:
            self._spans = np.concatenate([self._spans, np.zeros_like(self._spans)], axis=1)
        while first + len(rows) > len(self._pool):
            self._pool = np.concatenate([self._pool, np.zeros_like(self._pool)])
        self._pool[first : first + len(rows)] = rows
        self._pooled += len(rows)
        ends = frozenset(n for n, left in self._ends_by_last.get(span[-1], ()) if span.endswith(left))
        starts = frozenset(n for n, right in self._starts_by_first.get(span[0], ()) if span.startswith(right))
        head, tail = self._side_code(starts), self._side_code(ends)
        self._spans[:, number] = (first, len(rows), len(segment), head, tail)
        return number

    def table(self, texts: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """(ORTH, IDX, LENGTH) rows of every token of every text, text after text (ORTH as a
        signed view of spaCy's hash), and each text's token count. Non-strings count as empty."""
        if len(self._ids) >= _MAX_CACHED_SPANS:
            self._clear()
        texts = [text if isinstance(text, str) else "" for text in texts]
        segments: list[str] = []
        counts: list[int] = []
        spaced: list[bool] = []
        for text in texts:
            cut, single_spaces = _segments(text)
            segments += cut
            counts.append(len(cut))
            spaced.append(single_spaces)
        ids = np.fromiter(map(self._ids.get, segments, itertools.repeat(-1)), dtype=np.int64, count=len(segments))
        for at in np.flatnonzero(ids < 0).tolist():
            segment = segments[at]
            ids[at] = self._ids[segment] if segment in self._ids else self._add(segment)
        first, count, length, head, tail = self._spans[:, ids]
        per_text = np.asarray(counts, dtype=np.int64)
        text_of = np.repeat(np.arange(len(texts)), per_text)
        # Offsets: each segment starts where the previous one of its text ends (after one space between words).
        step = length + np.asarray(spaced, dtype=np.int64)[text_of]
        before = np.cumsum(step) - step
        opens = (np.cumsum(per_text) - per_text)[per_text > 0]
        offset = before - np.repeat(before[opens], per_text[per_text > 0])
        token = np.repeat(first - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
        rows = self._pool[token]
        rows[:, 1] += np.repeat(offset, count)
        tokens_per_text = np.bincount(text_of, weights=count, minlength=len(texts)).astype(np.int64)
        joins = self._joins(head, tail, text_of)
        if len(joins):
            rows = self._retokenize(texts, joins, text_of, offset, length, count, rows, tokens_per_text)
        return rows, tokens_per_text

    def _side_code(self, pairs: frozenset[int]) -> int:
        """A small number for a set of special-case pairs (0 for none), so spans compare as arrays."""
        if pairs not in self._side_codes:
            self._side_codes[pairs] = len(self._sides)
            self._sides.append(pairs)
        return self._side_codes[pairs]

    def _joins(self, head: np.ndarray, tail: np.ndarray, text_of: np.ndarray) -> np.ndarray:
        """Segments that a special case may join to the next one of their text: the first ends
        with a token of some special case, the second starts with the token after it."""
        candidate = np.flatnonzero((text_of[:-1] == text_of[1:]) & (tail[:-1] > 0) & (head[1:] > 0))
        codes = len(self._sides)
        pairs, which = np.unique(tail[candidate] * codes + head[candidate + 1], return_inverse=True)
        shared = [self._share_a_pair(*divmod(pair, codes)) for pair in pairs.tolist()]
        return candidate[np.asarray(shared, dtype=bool)[which]] if shared else candidate

    def _share_a_pair(self, tail: int, head: int) -> bool:
        """Whether a span with `tail` code and a span with `head` code may be joined by a special case."""
        if (tail, head) not in self._across:
            self._across[tail, head] = bool(self._sides[tail] & self._sides[head])
        return self._across[tail, head]

    def _retokenize(
        self,
        texts: Sequence[str],
        joins: np.ndarray,
        text_of: np.ndarray,
        offset: np.ndarray,
        length: np.ndarray,
        count: np.ndarray,
        rows: np.ndarray,
        tokens_per_text: np.ndarray,
    ) -> np.ndarray:
        """`rows` with the tokens of each run of joined segments replaced by spaCy's tokens of
        that stretch of text (updating `tokens_per_text`). A match can only overlap matches within
        the run, so spaCy tokenizes the stretch alone as it does within the whole text."""
        starts = joins[np.r_[True, joins[1:] != joins[:-1] + 1]]
        lasts = joins[np.r_[joins[1:] != joins[:-1] + 1, True]] + 1
        first_token = np.cumsum(count) - count
        parts: list[np.ndarray] = []
        done = 0
        for first, last in zip(starts.tolist(), lasts.tolist(), strict=True):
            k, begin, end = int(text_of[first]), int(offset[first]), int(offset[last] + length[last])
            stretch = self._tokenizer(texts[k][begin:end]).to_array([ORTH, IDX, LENGTH]).reshape(-1, 3)
            stretch = stretch.astype(np.int64) + np.array([0, begin, 0])
            old_start, old_end = int(first_token[first]), int(first_token[last] + count[last])
            parts += (rows[done:old_start], stretch)
            done = old_end
            tokens_per_text[k] += len(stretch) - (old_end - old_start)
        return np.concatenate([*parts, rows[done:]])
