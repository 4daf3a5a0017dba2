"""Progress of long runs: a bar on a terminal, periodic log lines otherwise, or nothing.

A run reports after each chunk how many rows are done and what share of the input that is
(estimated from the bytes read, since a streamed file's row count is not known in advance);
the ETA comes from that share.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Literal, Protocol

__all__ = ["LogProgress", "NoProgress", "Progress", "ProgressMode", "make_progress"]

ProgressMode = Literal["auto", "bar", "log", "quiet"]
LOG_EVERY_SECONDS = 10.0


class Progress(Protocol):
    """What a run calls while it works."""

    def update(self, rows: int, fraction: float) -> None:
        """`rows` rows are done, an estimated `fraction` (0..1) of the input."""

    def close(self) -> None:
        """The run ended (successfully or not)."""


class NoProgress:
    """Reports nothing (`--quiet`, library calls)."""

    def update(self, rows: int, fraction: float) -> None:
        return None

    def close(self) -> None:
        return None


def _duration(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class LogProgress:
    """One plain line every `every` seconds, and a last one at the end of a run that logged any,
    for logs and scheduled jobs (a run shorter than `every` stays silent)."""

    def __init__(self, stream: IO[str] | None = None, every: float = LOG_EVERY_SECONDS) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self.started = time.monotonic()
        self.last_logged = self.started
        self.rows = 0
        self.fraction = 0.0
        self.logged = False
        self.last_logged_at: tuple[int, float] = (-1, -1.0)

    def line(self) -> str:
        """The progress line for the current state: rows, share done, rows/s and ETA."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.rows / elapsed
        text = f"touchtext: {self.rows:,} rows, {self.fraction:.0%} done, {rate:,.0f} rows/s"
        if 0 < self.fraction < 1:
            text += f", ETA {_duration(elapsed * (1 - self.fraction) / self.fraction)}"
        return text

    def update(self, rows: int, fraction: float) -> None:
        self.rows, self.fraction = rows, fraction
        now = time.monotonic()
        if now - self.last_logged >= self.every:
            self.last_logged = now
            self.logged = True
            self.last_logged_at = (self.rows, self.fraction)
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        if self.logged and self.last_logged_at != (self.rows, self.fraction):
            print(self.line(), file=self.stream, flush=True)


class BarProgress:
    """A tqdm bar in rows with rows/s and ETA; the total is re-estimated from the share read."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=None, unit=" rows", unit_scale=True, dynamic_ncols=True, file=stream or sys.stderr)

    def update(self, rows: int, fraction: float) -> None:
        if 0 < fraction < 1:
            self.bar.total = max(int(rows / fraction), rows)
        elif fraction >= 1:
            self.bar.total = rows
        self.bar.update(rows - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def make_progress(mode: ProgressMode = "auto", stream: IO[str] | None = None) -> Progress:
    """The progress reporter for `mode`: auto = a bar when `stream` (stderr) is a terminal,
    log lines when it is not; quiet = nothing.

    Example:
        >>> make_progress("quiet").update(10_000, 0.5)
    """
    out = stream or sys.stderr
    if mode == "quiet":
        return NoProgress()
    if mode == "bar" or (mode == "auto" and out.isatty()):
        return BarProgress(out)
    return LogProgress(out)
