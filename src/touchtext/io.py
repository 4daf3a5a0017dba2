"""Reading feedback exports into DataFrames and writing results atomically.

Reading adds a `row_id` column (1-based input position) so every later output can be traced
back to its input row. Writing goes to a temporary file in the target folder, is fsynced and
then renamed over the final path, so a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io as _stdio
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd

from . import schema
from .errors import InputError

__all__ = ["SUPPORTED_FORMATS", "atomic_path", "detect_text_column", "read_table", "write_csv", "write_text"]

SUPPORTED_FORMATS = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json")

# Column names that usually hold the customer's words, most specific first.
_TEXT_COLUMN_HINTS = (
    "text",
    "review_text",
    "review",
    "body",
    "comment",
    "comments",
    "feedback",
    "message",
    "content",
    "description",
    "transcript",
    "verbatim",
    "response",
    "answer",
    "review_body",
)


def _decode(raw: bytes, path: Path) -> str:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            f"{path} looks like a binary file, not a text export; "
            "export the data as CSV, TSV or JSON Lines and try again."
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
            fh.seek(0)
            if head == b"\x1f\x8b":
                with gzip.open(fh) as gz:
                    return gz.read()
            return fh.read()
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise InputError(f"Could not read {path}: {exc}. Check that the file is complete and not corrupted.") from exc


def _format_of(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix not in SUPPORTED_FORMATS:
        raise InputError(
            f"Cannot read {path.name!r}: unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED_FORMATS)} (optionally .gz-compressed)."
        )
    return suffix


def _read_delimited(text: str, path: Path, suffix: str) -> pd.DataFrame:
    if suffix == ".tsv":
        sep = "\t"
    else:
        try:
            sep = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
        except csv.Error:
            sep = ","
    try:
        return pd.read_csv(_stdio.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path} is empty; it needs a header row and at least one data row.") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"Could not parse {path} as delimited text: {exc}.") from exc


def _read_json(text: str, path: Path, suffix: str) -> pd.DataFrame:
    stripped = text.lstrip()
    if suffix == ".json" and stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} is not valid JSON: {exc}.") from exc
    elif suffix == ".json" and stripped.startswith("{") and "\n{" not in stripped:
        raise InputError(
            f"{path} holds a single JSON object, not a list of records; "
            "give a JSON array of objects or JSON Lines (one object per line)."
        )
    else:
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}, line {number}: invalid JSON ({exc.msg}); fix or remove that line.") from exc
    if not all(isinstance(r, dict) for r in records):
        raise InputError(f"{path}: every record must be a JSON object with named fields.")
    return pd.DataFrame.from_records(records)


def _add_row_id(df: pd.DataFrame) -> pd.DataFrame:
    """Prepend `row_id`; input columns that clash with touchtext's own get an `_input` suffix."""
    renames = {c: f"{c}_input" for c in df.columns if c in schema.ADDED_COLUMNS}
    df = df.rename(columns=renames)
    df.insert(0, schema.ROW_ID, range(1, len(df) + 1))
    return df.reset_index(drop=True)


def read_table(path: str | Path, *, add_row_id: bool = True) -> pd.DataFrame:
    """Read a CSV/TSV/JSONL/JSON export (optionally gzip-compressed) into a DataFrame.

    Delimited files are read as text cells. With `add_row_id` (the default) a `row_id` column
    numbers the rows from 1 in input order; turn it off to read touchtext's own outputs back.

    Example:
        >>> df = read_table("data/samples/reviews.csv")
        >>> df["row_id"].iloc[0]
        1
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"Input file {str(p)!r} does not exist; check the path.")
    if p.is_dir():
        raise InputError(f"{str(p)!r} is a folder; give the path of one CSV, TSV or JSONL file.")
    suffix = _format_of(p)
    text = _decode(_read_bytes(p), p)
    if not text.strip():
        raise InputError(f"{p} is empty; it needs a header row and at least one data row.")
    reader = _read_json if suffix in (".jsonl", ".ndjson", ".json") else _read_delimited
    df = reader(text, p, suffix)
    if df.columns.empty:
        raise InputError(f"{p} has no columns.")
    return _add_row_id(df) if add_row_id else df


def find_column(
    df: pd.DataFrame,
    *,
    given: str | None,
    hints: tuple[str, ...],
    accepts: Callable[[pd.Series], bool],
    what: str,
) -> str | None:
    """A column by role: the one `given` (which must exist), else the first whose lowercased
    name is among `hints` and whose values `accepts`; None when nothing fits."""
    columns = [str(c) for c in df.columns if c not in schema.ADDED_COLUMNS]
    if given is not None:
        if given in df.columns:
            return given
        close = difflib.get_close_matches(given, columns, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InputError(f"{what} column {given!r} not found; the input has columns: {', '.join(columns)}.{hint}")
    lowered = {c.lower().strip(): c for c in columns}
    for name in hints:
        if name in lowered and accepts(df[lowered[name]]):
            return lowered[name]
    return None


def detect_text_column(df: pd.DataFrame, text_column: str | None = None) -> str:
    """Return the column holding the feedback text: the one given, else the best guess.

    The guess prefers well-known names (text, review, body, comment, ...) and otherwise the
    string column with the longest average value.
    """
    found = find_column(df, given=text_column, hints=_TEXT_COLUMN_HINTS, accepts=lambda _: True, what="Text")
    if found is not None:
        return found
    columns = [str(c) for c in df.columns if c not in schema.ADDED_COLUMNS]
    best, best_len = None, 0.0
    for c in columns:
        values = df[c].dropna()
        if values.empty or not all(isinstance(v, str) for v in values.head(50)):
            continue
        mean_len = float(values.astype(str).str.len().mean())
        words = float(values.astype(str).str.count(" ").mean())
        if words >= 3 and mean_len > best_len:
            best, best_len = c, mean_len
    if best is None:
        raise InputError(
            f"Could not find a text column; the input has columns: {', '.join(columns)}. "
            "Name the column that holds the feedback with --text-col."
        )
    return best


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success fsync it and rename it over `path`.

    If the block raises, the temporary file is removed and `path` is left as it was.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; outputs are ordinary files
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        _fsync_dir(final.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_with(path: str | Path, write: Callable[[IO[str]], Any]) -> Path:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        write(fh)
    return Path(path)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralize(value: Any) -> Any:
    """Prefix a quote to text cells that a spreadsheet would run as a formula (OWASP)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as UTF-8 CSV atomically, with spreadsheet formulas neutralized."""
    safe = df.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(_neutralize)
    return _write_with(path, lambda fh: safe.to_csv(fh, index=False))


def write_text(text: str, path: str | Path) -> Path:
    """Write a text file atomically."""
    return _write_with(path, lambda fh: fh.write(text))
