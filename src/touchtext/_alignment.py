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
    """A text plus the original offset of each of its characters (identity until edited)."""

    __slots__ = ("_origin", "original_length", "text")

    def __init__(self, text: str, origin: list[int] | None = None, original_length: int | None = None) -> None:
        self.text = text
        self._origin = origin
        self.original_length = len(text) if original_length is None else original_length

    @property
    def origin(self) -> list[int]:
        """Original offset of each character of `text`."""
        return list(range(len(self.text))) if self._origin is None else self._origin

    def sub(self, pattern: re.Pattern[str], repl: Replacement) -> Aligned:
        """Like `pattern.sub(repl, text)`, keeping the offset map. Returns self if nothing changed."""
        text = self.text
        pieces: list[str] = []
        origins: list[int] = []
        origin = self._origin
        last = 0
        changed = False
        for match in pattern.finditer(text):
            new = repl(match) if callable(repl) else match.expand(repl)
            start, end = match.span()
            if new == text[start:end]:
                continue
            if not changed:
                origin = self.origin
                changed = True
            assert origin is not None
            pieces.append(text[last:start])
            origins.extend(origin[last:start])
            pieces.append(new)
            origins.extend(_map_replacement(origin, start, end, len(new)))
            last = end
        if not changed:
            return self
        assert origin is not None
        pieces.append(text[last:])
        origins.extend(origin[last:])
        return Aligned("".join(pieces), origins, self.original_length)

    def replace_spans(self, spans: list[tuple[int, int, str]]) -> Aligned:
        """Replace non-overlapping (start, end, replacement) spans of the current text."""
        if not spans:
            return self
        origin = self.origin
        pieces: list[str] = []
        origins: list[int] = []
        last = 0
        for start, end, new in sorted(spans):
            if start < last:
                continue  # overlapping span: the earlier one wins
            pieces.append(self.text[last:start])
            origins.extend(origin[last:start])
            pieces.append(new)
            origins.extend(_map_replacement(origin, start, end, len(new)))
            last = end
        pieces.append(self.text[last:])
        origins.extend(origin[last:])
        return Aligned("".join(pieces), origins, self.original_length)

    def strip(self) -> Aligned:
        """Remove leading and trailing whitespace."""
        left = len(self.text) - len(self.text.lstrip())
        right = len(self.text.rstrip())
        if left == 0 and right == len(self.text):
            return self
        origin = self._origin[left:right] if self._origin is not None else list(range(left, right))
        return Aligned(self.text[left:right], origin, self.original_length)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original (start, end) offsets covering current characters start..end."""
        if start >= end:
            return (
                (start, start)
                if self._origin is None
                else (self._origin[start] if start < len(self._origin) else self.original_length,) * 2
            )
        if self._origin is None:
            return (start, end)
        return (self._origin[start], min(self._origin[end - 1] + 1, self.original_length))


def _map_replacement(origin: list[int], start: int, end: int, length: int) -> list[int]:
    """Original offsets for `length` new characters replacing origin[start:end]."""
    if length == end - start:
        return origin[start:end]
    if length == 0:
        return []
    if start == end:  # pure insertion: attach to the following character
        anchor = origin[start] if start < len(origin) else (origin[-1] + 1 if origin else 0)
        return [anchor] * length
    first, last = origin[start], origin[end - 1]
    return [first] * (length - 1) + [last]
