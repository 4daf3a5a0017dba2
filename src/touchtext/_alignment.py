"""Text that remembers where each character came from.

Cleaning rewrites text many times (markup removed, encoding repaired, personal data replaced).
`Aligned` applies each rewrite while keeping, for every character of the current text, its
offset in the original, so a sentence of cleaned text can be traced back to the raw input.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Replacement = str | Callable[[re.Match[str]], str]


class Aligned:
    """A text plus, for each character, the original span it came from (identity until edited).

    Each character keeps a start and an end offset in the original: a replacement such as
    `&amp;` -> `&` maps its one character to all five original ones.
    """

    __slots__ = ("_ends", "_starts", "original_length", "text")

    def __init__(
        self,
        text: str,
        starts: list[int] | None = None,
        ends: list[int] | None = None,
        original_length: int | None = None,
    ) -> None:
        self.text = text
        self._starts = starts
        self._ends = ends
        self.original_length = len(text) if original_length is None else original_length

    @property
    def origin(self) -> list[int]:
        """Original start offset of each character of `text`."""
        return list(range(len(self.text))) if self._starts is None else self._starts

    def _spans(self) -> tuple[list[int], list[int]]:
        if self._starts is None or self._ends is None:
            return list(range(len(self.text))), list(range(1, len(self.text) + 1))
        return self._starts, self._ends

    def sub(self, pattern: re.Pattern[str], repl: Replacement) -> Aligned:
        """Like `pattern.sub(repl, text)`, keeping the offset map. Returns self if nothing changed."""
        first = pattern.search(self.text)
        if first is None:
            return self
        edits = []
        for match in pattern.finditer(self.text, first.start()):
            new = repl(match) if callable(repl) else match.expand(repl)
            if new != match.group(0):
                edits.append((match.start(), match.end(), new))
        return self.replace_spans(edits) if edits else self

    def replace_spans(self, spans: list[tuple[int, int, str]]) -> Aligned:
        """Replace non-overlapping (start, end, replacement) spans of the current text."""
        if not spans:
            return self
        starts, ends = self._spans()
        pieces: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        last = 0
        for start, end, new in sorted(spans):
            if start < last:
                continue  # overlapping span: the earlier one wins
            pieces.append(self.text[last:start])
            new_starts.extend(starts[last:start])
            new_ends.extend(ends[last:start])
            pieces.append(new)
            if len(new) == end - start:
                new_starts.extend(starts[start:end])
                new_ends.extend(ends[start:end])
            elif new:
                if start == end:  # insertion: attach to the following character
                    anchor = starts[start] if start < len(starts) else self.original_length
                    first, final = anchor, anchor
                else:
                    first, final = starts[start], ends[end - 1]
                new_starts.extend([first] * len(new))
                new_ends.extend([final] * len(new))
            last = end
        pieces.append(self.text[last:])
        new_starts.extend(starts[last:])
        new_ends.extend(ends[last:])
        return Aligned("".join(pieces), new_starts, new_ends, self.original_length)

    def strip(self) -> Aligned:
        """Remove leading and trailing whitespace."""
        left = len(self.text) - len(self.text.lstrip())
        right = len(self.text.rstrip())
        if left == 0 and right == len(self.text):
            return self
        starts, ends = self._spans()
        return Aligned(self.text[left:right], starts[left:right], ends[left:right], self.original_length)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original (start, end) offsets covering current characters start..end."""
        if start >= end:
            starts, _ = self._spans()
            position = starts[start] if start < len(starts) else self.original_length
            return (position, position)
        if self._starts is None or self._ends is None:
            return (start, end)
        return (self._starts[start], self._ends[end - 1])
