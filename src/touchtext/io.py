"""Reading feedback exports into DataFrames and writing results atomically.

Reading adds a `row_id` column (1-based input position) so every later output can be traced
back to its input row. A row that cannot be parsed (a broken JSON line, a CSV row with more
fields than the header, an unbalanced quote) either stops the read (`strict`) or is kept in
place with empty cells and the problem in a `parse_error` column, so nothing is lost silently.
`iter_table_chunks` reads the same rows in chunks with flat memory, for exports larger than
memory; `read_table_with_errors` is the one-chunk case of it.

Writing goes to a temporary file in the target folder, is fsynced and then renamed over the
final path, so a crash never leaves a half-written file behind; `AppendingCsv` does the same
for a CSV written chunk by chunk.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import functools
import gzip
import io
import itertools
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple

import numpy as np
import pandas as pd

from . import schema
from .errors import InputError, InputWarning

__all__ = [
    "ERROR_COLUMNS",
    "SUPPORTED_FORMATS",
    "AppendingCsv",
    "ReadResult",
    "TableChunks",
    "atomic_path",
    "commit_all",
    "detect_text_column",
    "format_csv",
    "iter_table_chunks",
    "read_table",
    "read_table_with_errors",
    "write_csv",
    "write_text",
]

TEXT_FORMATS = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json")
EXCEL_FORMATS = (".xlsx", ".xlsm")
PARQUET_FORMATS = (".parquet",)
SUPPORTED_FORMATS = TEXT_FORMATS + EXCEL_FORMATS + PARQUET_FORMATS
# Columns of the errors table (errors.csv): one row per input row that could not be parsed.
ERROR_COLUMNS = (schema.ROW_ID, "line", "problem", "excerpt")
_EXCERPT_CHARS = 200
_DELIMITERS = (",", ";", "\t", "|")
_ONE_COLUMN = "\x1f"  # a header without any delimiter: one field per line (quotes still apply)
_SNIFF_BYTES = 64 * 1024  # encoding, BOM and binary content are judged from this much of the start
# A quoted field still open after this many characters is read as a quote that is never closed
# (an unbalanced quote), so one stray quote cannot pull the rest of a huge file into memory.
_MAX_RECORD_CHARS = 32 * 2**20
_CP1252_FALLBACK = "touchtext-cp1252"  # codec error handler: bytes that are not UTF-8 read as cp1252

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

# What a binary file renamed .csv most likely is, by its first bytes.
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (if it is a workbook, give it the .xlsx extension)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls or Word file (save it as .xlsx or CSV)"),
)


@dataclass(frozen=True)
class ReadResult:
    """Every input row (unparseable ones kept in place, see `read_table`) and the problems."""

    table: pd.DataFrame
    errors: pd.DataFrame  # ERROR_COLUMNS: row_id, line, problem, excerpt of the raw line


class _Row(NamedTuple):
    """One input record: its first line, its fields (None if it could not be parsed)."""

    line: int | None
    fields: Any  # list of cells, a dict for JSON, or None
    problem: str = ""
    excerpt: str = ""


def _binary_error(path: Path, raw: bytes) -> InputError:
    kind = next((f" ({what})" for magic, what in _MAGIC if raw.startswith(magic)), "")
    return InputError(
        f"{path} looks like a binary file{kind}, not a text export; "
        "export the data as CSV, TSV, JSON Lines or .xlsx and try again."
    )


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes sit at every other position (UTF-16 text without a BOM)."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Read bytes that are not UTF-8 as cp1252: a line pasted from a Windows export into a UTF-8 file."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


codecs.register_error(_CP1252_FALLBACK, _cp1252_fallback)


def _text_encoding(head: bytes, path: Path, complete: bool) -> tuple[str, str]:
    """Codec and error handler for a file starting with `head`: UTF-16 (with or without BOM), else
    UTF-8 (with or without BOM; stray non-UTF-8 bytes read as cp1252), else cp1252 when the start
    is not UTF-8. Raises for binary content."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "strict"
    if b"\x00" in head[:4096]:
        encoding = _utf16_without_bom(head[:4096])
        if encoding is None:
            raise _binary_error(path, head)
        return encoding, "strict"
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=complete)
    except UnicodeDecodeError:
        return "cp1252", "replace"
    return "utf-8-sig", _CP1252_FALLBACK


def _unreadable(path: Path, exc: BaseException) -> InputError:
    return InputError(f"Could not read {path}: {exc}. Check that the file is complete and not corrupted.")


class _TextFile:
    """A text file, gzip-compressed or not (judged by its magic bytes), decoded as it is read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._raw = open(path, "rb")  # noqa: SIM115  # closed in close()
        except OSError as exc:
            raise _unreadable(path, exc) from exc
        try:
            self.total_bytes = os.fstat(self._raw.fileno()).st_size
            gzipped = self._raw.read(2) == b"\x1f\x8b"
            self._raw.seek(0)
            binary: Any = gzip.GzipFile(fileobj=self._raw) if gzipped else self._raw
            self.head = binary.read(_SNIFF_BYTES)
            binary.seek(0)
            self.encoding, errors = _text_encoding(self.head, path, complete=len(self.head) < _SNIFF_BYTES)
        except (EOFError, OSError, zlib.error) as exc:
            self._raw.close()
            raise _unreadable(path, exc) from exc
        except InputError:
            self._raw.close()
            raise
        self._text = io.TextIOWrapper(binary, encoding=self.encoding, errors=errors, newline="")  # type: ignore[arg-type]

    def lines(self) -> Iterator[str]:
        """Physical lines with their endings (\\n, \\r\\n or \\r), as they are decoded."""
        try:
            yield from self._text
        except UnicodeDecodeError as exc:
            raise self._decode_error(exc) from exc
        except (EOFError, OSError, zlib.error) as exc:
            raise _unreadable(self.path, exc) from exc

    def read(self) -> str:
        """The whole text (for formats that cannot be streamed)."""
        return "".join(self.lines())

    def fraction_read(self) -> float:
        """Share of the file's (compressed) bytes read so far."""
        if self._raw.closed:
            return 1.0
        return min(1.0, self._raw.tell() / self.total_bytes) if self.total_bytes else 1.0

    def close(self) -> None:
        if not self._raw.closed:
            self._text.close()
            self._raw.close()

    def _decode_error(self, exc: UnicodeDecodeError) -> InputError:
        if self.encoding == "utf-16":
            return InputError(
                f"{self.path} starts like UTF-16 text but does not decode ({exc}); re-export it as UTF-8."
            )
        return _binary_error(self.path, self.head)


def _format_of(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
        if suffixes and suffixes[-1] in EXCEL_FORMATS + PARQUET_FORMATS:
            kind = "Excel workbook" if suffixes[-1] in EXCEL_FORMATS else "Parquet file"
            raise InputError(
                f"Cannot read {path.name!r}: give the {kind} uncompressed ({suffixes[-1]} is compressed already)."
            )
    suffix = suffixes[-1] if suffixes else ""
    if suffix == ".xls":
        raise InputError(f"Cannot read {path.name!r}: old Excel .xls files are not supported; save it as .xlsx or CSV.")
    if suffix not in SUPPORTED_FORMATS:
        raise InputError(
            f"Cannot read {path.name!r}: unsupported file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED_FORMATS)} (text formats optionally .gz-compressed)."
        )
    return suffix


# -- delimited text ------------------------------------------------------------------------------
_SEP_HINT = re.compile(r"^sep=(.)\s*$")  # Excel's "sep=;" first line


@contextmanager
def _large_fields() -> Iterator[None]:
    """Let the csv module read fields of any size (its default limit is 128 KiB)."""
    previous = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _excerpt(text: str) -> str:
    text = text.rstrip("\r\n")
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "…"


def _choose_delimiter(header_line: str, suffix: str) -> str:
    """The delimiter that splits the header line into the most fields (quotes respected)."""
    if suffix == ".tsv":
        return "\t"
    counts = {sep: len(next(csv.reader([header_line], delimiter=sep), [])) for sep in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda sep: counts[sep])  # ties: the earlier, comma first
    return best if counts[best] > 1 else _ONE_COLUMN


def _lenient_line(line: str, sep: str) -> list[str] | None:
    """A one-line record that strict parsing refused for quoting style (`"a" b`), if its quotes balance."""
    if line.count('"') % 2:
        return None
    rows = list(csv.reader([line], delimiter=sep))
    return rows[0] if len(rows) == 1 else None


class _RecordTooLongError(Exception):
    """A quoted field still open after `_MAX_RECORD_CHARS` characters."""

    def __str__(self) -> str:
        return f"a quoted field runs over more than {_MAX_RECORD_CHARS:,} characters"


def _record_extent(lines: Iterable[str], sep: str) -> tuple[int, bool] | None:
    """Where a record that broke the quoting rules ends, read as people write such records: a
    quoted field ends only at a quote followed by the delimiter or the end of a line, and any
    other quote inside it (one that should have been doubled) is text. Returns the index of
    the record's last line and whether it held such an undoubled quote; None if a quoted
    field is still open at the end of the file (or after `_MAX_RECORD_CHARS`)."""
    quoted, at_start, undoubled, size = False, True, False, 0
    for index, line in enumerate(lines):
        size += len(line)
        if size > _MAX_RECORD_CHARS and index:
            return None
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if quoted:
                if c == '"':
                    after = line[i + 1] if i + 1 < n else ""
                    if after == '"':
                        i += 1
                    elif after in (sep, "\r", "\n", ""):
                        quoted = False
                    else:
                        undoubled = True
            elif c == '"' and at_start:
                quoted = True
            elif c in "\r\n":
                return index, undoubled
            at_start = not quoted and c == sep
            i += 1
        if not quoted:
            return index, undoubled
    return None


def _lines_ahead(pull: Callable[[], str | None], into: list[str]) -> Iterator[str]:
    """Lines from `pull` until it gives None, each also kept in `into`."""
    while (line := pull()) is not None:
        into.append(line)
        yield line


def _delimited_rows(lines: Iterator[str], number: int, sep: str) -> Iterator[_Row]:
    """Records from `lines` (the first is line `number`), each with its 1-based first line. A
    record that breaks the quoting rules becomes one unparsed row for its first line, and
    reading resumes after the lines it takes (see `_record_extent`), or on its next line when
    a quote is never closed, so a stray quote costs one row, not the rest of the file.

    Only the lines of the record being read are held (plus those read ahead to judge a broken
    one), so memory stays flat however long the file."""
    back: list[str] = []  # lines to read again, the next one last
    taken: list[str] = []  # lines of the record being read
    size = 0  # characters in `taken` after its first line

    def pull() -> str | None:
        return back.pop() if back else next(lines, None)

    def feed() -> Iterator[str]:
        nonlocal size
        while (line := back.pop() if back else next(lines, None)) is not None:
            if taken:
                size += len(line)
                if size > _MAX_RECORD_CHARS:
                    taken.append(line)
                    raise _RecordTooLongError
            taken.append(line)
            yield line

    while True:
        reader = csv.reader(feed(), delimiter=sep, strict=True)
        try:
            for fields in reader:
                if fields and (len(fields) > 1 or fields[0].strip()):
                    yield _Row(number, fields)
                number += len(taken)
                taken.clear()
                size = 0
            return
        except (csv.Error, _RecordTooLongError) as exc:
            record, ahead = taken[:], list[str]()
            taken.clear()
            size = 0

            lookahead = _lines_ahead(pull, ahead)
            extent = _record_extent(itertools.chain(record, lookahead), sep) if len(record) > 1 else None
            record += ahead
            if extent is not None and extent[0] > 0:
                end, undoubled = extent
                problem = (
                    f'a quote inside a quoted field is not doubled (write it as ""), in a record on lines '
                    f"{number}-{number + end}"
                    if undoubled
                    else f"malformed quoting ({exc}), in a record on lines {number}-{number + end}"
                )
                yield _Row(number, None, problem, _excerpt("".join(record[: end + 1])))
                used = end + 1
            else:
                first = record[0]
                salvaged = _lenient_line(first, sep)
                if salvaged is not None:
                    yield _Row(number, salvaged)
                elif first.count('"') % 2:
                    problem = "unbalanced quote: a quoted field opened on this line is never closed"
                    yield _Row(number, None, problem, _excerpt(first))
                else:
                    yield _Row(number, None, f"malformed quoting ({exc})", _excerpt(first))
                used = 1
            back.extend(reversed(record[used:]))
            number += used


def _filled_line(lines: Iterator[str], number: int) -> tuple[int, str] | None:
    """The next line with something on it after line `number`, and its number."""
    for line in lines:
        number += 1
        if line.strip():
            return number, line
    return None


def _fit(row: _Row, width: int, sep: str) -> _Row:
    """Pad a short record with empty cells; a record with more (non-empty) fields than the
    header cannot be placed, so it becomes an unparsed row."""
    fields = row.fields
    if fields is None:
        return row
    if len(fields) > width:
        if any(f.strip() for f in fields[width:]):
            shown = "tab" if sep == "\t" else repr(sep)
            return _Row(
                row.line,
                None,
                f"{len(fields)} fields, but the header has {width} (an unquoted {shown} in the text?)",
                _excerpt(sep.join(fields)),
            )
        fields = fields[:width]
    return _Row(row.line, [f if f != "" else None for f in fields] + [None] * (width - len(fields)))


# -- JSON ------------------------------------------------------------------------------------------
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # lines of a .json file holding JSON Lines
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _json_array_rows(text: str, path: Path) -> list[_Row]:
    """Elements of a JSON array with the line each starts on; a syntax error fails the file."""
    decoder = json.JSONDecoder()
    pos = _WHITESPACE.match(text, 0).end() + 1  # type: ignore[union-attr]  # past "["
    rows: list[_Row] = []
    line, counted = 1, 0
    try:
        pos = _WHITESPACE.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith("]", pos):
            return rows
        while True:
            value, end = decoder.raw_decode(text, pos)
            line, counted = line + text.count("\n", counted, pos), pos
            rows.append(_json_row(value, line, text[pos:end]))
            pos = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
            if text.startswith(",", pos):
                pos = _WHITESPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
                continue
            if text.startswith("]", pos):
                break
            raise json.JSONDecodeError("Expecting ',' delimiter or ']'", text, pos)
        if text[pos + 1 :].strip():
            raise json.JSONDecodeError("Extra data after the array", text, pos + 1)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}. Fix the file, or export it as JSON Lines.") from exc
    return rows


def _json_row(value: Any, line: int, raw: str) -> _Row:
    if isinstance(value, dict):
        return _Row(line, value)
    kind = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(type(value), "a number")
    return _Row(line, None, f"a JSON record must be an object with named fields, got {kind}", _excerpt(raw))


def _read_json(text: str, path: Path, suffix: str) -> tuple[list[str], list[_Row]]:
    stripped = text.lstrip()
    if suffix == ".json" and stripped.startswith("["):
        rows = _json_array_rows(text, path)
        if not rows:
            raise InputError(f"{path} holds an empty JSON array; there are no records to read.")
    elif suffix == ".json" and stripped.startswith("{") and "\n{" not in stripped:
        try:
            keys = ", ".join(map(str, json.loads(text)))
        except (json.JSONDecodeError, TypeError):
            keys = "?"
        raise InputError(
            f"{path} holds a single JSON object (keys: {keys}), not a list of records; "
            "give a JSON array of objects or JSON Lines (one object per line)."
        )
    else:
        rows = []
        for number, line in enumerate(_LINE.findall(text), 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as exc:
                rows.append(_Row(number, None, f"invalid JSON ({exc.msg})", _excerpt(line)))
                continue
            rows.append(_json_row(value, number, line))
    names: dict[str, None] = {}
    for row in rows:
        if row.fields is not None:
            names.update(dict.fromkeys(map(str, row.fields)))
    return list(names), rows


# -- Excel -----------------------------------------------------------------------------------------
def _cell_text(value: Any) -> str | None:
    """An Excel cell as the text a CSV export of it would hold."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pick_sheet(names: list[str], sheet: str | None, path: Path) -> str:
    listed = ", ".join(f"{i} {name!r}" for i, name in enumerate(names, 1))
    if sheet is None:
        if len(names) == 1:
            return names[0]
        raise InputError(
            f"{path.name} has {len(names)} sheets ({listed}); choose one with --sheet NAME or --sheet NUMBER."
        )
    if sheet in names:
        return sheet
    if sheet.strip().isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    close = difflib.get_close_matches(sheet, names, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InputError(f"{path.name} has no sheet {sheet!r}; its sheets are {listed}.{hint}")


def _read_excel(path: Path, sheet: str | None) -> tuple[list[str], list[_Row]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError(
            f"Could not read {path} as an Excel workbook ({exc or type(exc).__name__}); "
            "check that it is a complete .xlsx file, or export the sheet as CSV."
        ) from exc
    try:
        name = _pick_sheet(list(book.sheetnames), sheet, path)
        header: list[str] | None = None
        rows: list[_Row] = []
        worksheet = book[name]
        worksheet.reset_dimensions()  # read every cell, not just the range a (possibly wrong) <dimension> claims
        for number, values in enumerate(worksheet.iter_rows(values_only=True), 1):
            cells = [_cell_text(v) for v in values]
            if not any(c is not None and c.strip() for c in cells):
                continue
            if header is None:
                header = [c or "" for c in cells]
                while header and not header[-1]:
                    header.pop()
                continue
            rows.append(_Row(number, cells))
    finally:
        book.close()
    if header is None:
        raise InputError(f"Sheet {name!r} of {path.name} is empty; it needs a header row and at least one data row.")
    width = max([len(header)] + [len(r.fields) for r in rows])
    header += [""] * (width - len(header))
    return header, [_Row(r.line, r.fields + [None] * (width - len(r.fields))) for r in rows]


# -- putting it together ---------------------------------------------------------------------------
def _column_names(raw: list[str], path: Path) -> list[str]:
    """Header names made unique: blanks become column_N and repeats get _2, _3 (with a warning)."""
    names: list[str] = []
    seen: set[str] = set()
    repeated: dict[str, str] = {}
    for i, name in enumerate(raw, 1):
        name = name.strip() or f"column_{i}"
        if name in seen:
            k = 2
            while f"{name}_{k}" in seen or f"{name}_{k}" in raw:
                k += 1
            repeated.setdefault(name, f"{name}_{k}")
            name = f"{name}_{k}"
        seen.add(name)
        names.append(name)
    if repeated:
        renamed = ", ".join(f"{old!r} (repeat read as {new!r})" for old, new in repeated.items())
        warnings.warn(
            f"{path.name}: column name(s) appear more than once: {renamed}; the first keeps its name. "
            "Rename the columns in the export to silence this.",
            InputWarning,
            stacklevel=4,
        )
    return names


# -- JSON Lines, typed as a whole-file read would type them -------------------------------------------
def _jsonl_rows(lines: Iterator[str]) -> Iterator[_Row]:
    """One record per non-blank line; a line that is not a JSON object becomes an unparsed row."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            yield _Row(number, None, f"invalid JSON ({exc.msg})", _excerpt(line))
            continue
        yield _json_row(value, number, line)


class _JsonColumns:
    """Column names of JSON records in first-seen order, and a few representative values of each
    column (one per kind of value, the extreme integers), from which pandas infers the dtype a
    whole-file read gives that column; every chunk is then cast to it, so chunks agree."""

    def __init__(self) -> None:
        self.rows = 0
        self._filled: dict[str, int] = {}
        self._samples: dict[str, dict[Any, Any]] = {}

    def add(self, row: _Row) -> None:
        self.rows += 1
        if not isinstance(row.fields, dict):
            return
        filled, samples = self._filled, self._samples
        for key, value in row.fields.items():
            key = str(key)
            if key in filled:
                filled[key] += 1
                seen = samples[key]
            else:
                filled[key], seen = 1, {}
                samples[key] = seen
            kind = type(value)
            if kind is int:
                if value < seen.get("min", value + 1):
                    seen["min"] = value
                if value > seen.get("max", value - 1):
                    seen["max"] = value
            elif kind is float and value != value:
                seen.setdefault("nan", value)
            elif kind not in seen:
                seen[kind] = value

    @property
    def names(self) -> list[str]:
        return list(self._samples)

    def dtypes(self) -> dict[str, Any]:
        out = {}
        for name, seen in self._samples.items():
            sample: list[dict[str, Any]] = [{name: value} for value in seen.values()]
            if self._filled[name] < self.rows:
                sample.append({})
            out[name] = pd.DataFrame.from_records(sample, columns=[name])[name].dtype
        return out


def _json_frame(rows: list[_Row], names: list[str], dtypes: dict[str, Any]) -> pd.DataFrame:
    records = [r.fields or {} for r in rows]
    df = pd.DataFrame.from_records(records, columns=names)
    for name, dtype in dtypes.items():
        if df[name].dtype == dtype:
            continue
        if dtype == np.dtype(object):  # the values as they are, as a whole-file read keeps them
            values = np.empty(len(records), dtype=object)
            values[:] = [r.get(name, np.nan) for r in records]
            df[name] = values
        else:
            df[name] = df[name].astype(dtype)
    return df


# -- Parquet ---------------------------------------------------------------------------------------
def _parquet_files(path: Path) -> list[Path]:
    """A Parquet file, or the data files of a Parquet dataset folder in name order."""
    if not path.is_dir():
        return [path]
    files = sorted(
        p
        for p in path.rglob("*.parquet")
        if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
    )
    if not files:
        raise InputError(f"{str(path)!r} is a folder; give the path of one CSV, TSV, JSONL or .xlsx file.")
    return files


def _parquet_cell(value: Any) -> str | None:
    """A Parquet value as the text a CSV export of it would hold (as Excel cells are read)."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    elif isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return _cell_text(value)


def _parquet_rows(files: list[Path], names: list[str], batch_rows: int, done: list[int]) -> Iterator[_Row]:
    """Rows of the files as lists of text cells; `done[0]` counts the rows read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for file in files:
        try:
            parquet = pq.ParquetFile(file)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"Could not read {file} as a Parquet file ({exc}); check that it is complete.") from exc
        with parquet:
            if parquet.schema_arrow.names != names:
                raise InputError(
                    f"{file} has columns {', '.join(parquet.schema_arrow.names)}, but the first file of the "
                    f"dataset has {', '.join(names)}; a dataset's files must share their columns."
                )
            for batch in parquet.iter_batches(batch_size=batch_rows):
                columns = []
                for column in batch.columns:
                    values = column.to_pylist()
                    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                        columns.append([v or None for v in values])
                    else:
                        columns.append([_parquet_cell(v) for v in values])
                for cells in zip(*columns, strict=True):
                    done[0] += 1
                    yield _Row(None, list(cells))


# -- reading in chunks -----------------------------------------------------------------------------
@dataclass
class _Source:
    """An opened input: its column names, its records (fitted to the columns) and how to make a
    DataFrame of some of them."""

    names: list[str]
    rows: Iterator[_Row]
    frame: Callable[[list[_Row]], pd.DataFrame]
    total_bytes: int
    fraction_read: Callable[[], float]
    close: Callable[[], None]


def _no_rows(path: Path, names: list[str]) -> InputError:
    header = f" ({', '.join(names)})" if names else ""
    return InputError(f"{path} has a header row{header} but no data rows; there is nothing to classify.")


def _with_first(rows: Iterator[_Row], path: Path, names: list[str]) -> Iterator[_Row]:
    """`rows`, after checking there is at least one."""
    first = next(rows, None)
    if first is None:
        raise _no_rows(path, names)
    return itertools.chain([first], rows)


def _delimited_source(text: _TextFile, path: Path, suffix: str) -> _Source:
    lines = text.lines()
    found = _filled_line(lines, 0)
    sep = None
    if found is not None and (hint := _SEP_HINT.match(found[1])):
        sep, found = hint.group(1), _filled_line(lines, found[0])
    if found is None:
        raise InputError(f"{path} is empty; it needs a header row and at least one data row.")
    number, header_line = found
    sep = sep or _choose_delimiter(header_line, suffix)
    records = _delimited_rows(itertools.chain([header_line], lines), number, sep)
    header = next(records, None)
    if header is None or header.fields is None:
        problem = header.problem if header is not None else "no header"
        raise InputError(f"{path}, line {number}: the header row cannot be parsed ({problem}); fix that line.")
    names = [str(c) for c in header.fields]
    width = len(names)
    rows = _with_first((_fit(row, width, sep) for row in records), path, names)
    unique = _column_names(names, path)
    frame = functools.partial(_text_frame, names=unique)
    return _Source(unique, rows, frame, text.total_bytes, text.fraction_read, text.close)


def _jsonl_source(text: _TextFile, path: Path, reopen: Callable[[], _TextFile]) -> _Source:
    """JSON Lines in two passes: the first finds every column and its dtype (records may differ
    in their keys), the second yields the records."""
    columns = _JsonColumns()
    first = None
    for row in _jsonl_rows(text.lines()):
        columns.add(row)
        first = first or row
    text.close()
    if first is None:
        raise InputError(f"{path} is empty; it needs a header row and at least one data row.")
    names, dtypes = columns.names, columns.dtypes()
    if not names:
        raise InputError(
            f"{path} has no columns: none of its records could be parsed (first: line {first.line}: {first.problem})."
        )
    text = reopen()
    return _Source(
        names,
        _jsonl_rows(text.lines()),
        functools.partial(_json_frame, names=names, dtypes=dtypes),
        text.total_bytes,
        text.fraction_read,
        text.close,
    )


def _whole_source(names: list[str], rows: list[_Row], path: Path, total_bytes: int) -> _Source:
    """Records read all at once (Excel, JSON arrays), handed out in chunks."""
    if not rows:
        raise _no_rows(path, names)
    if not names:
        raise InputError(
            f"{path} has no columns: none of its records could be parsed "
            f"(first: line {rows[0].line}: {rows[0].problem})."
        )
    frame: Callable[[list[_Row]], pd.DataFrame]
    if any(isinstance(r.fields, dict) for r in rows):
        columns = _JsonColumns()
        for row in rows:
            columns.add(row)
        dtypes = columns.dtypes()
        frame = functools.partial(_json_frame, names=names, dtypes=dtypes)
    else:
        frame = functools.partial(_text_frame, names=_column_names(names, path))
    done = [0]

    def counted() -> Iterator[_Row]:
        for row in rows:
            done[0] += 1
            yield row

    return _Source(names, counted(), frame, total_bytes, lambda: done[0] / len(rows), lambda: None)


def _parquet_source(path: Path, batch_rows: int) -> _Source:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = _parquet_files(path)
    try:
        metadata = [pq.read_metadata(f) for f in files]
        names = pq.read_schema(files[0]).names
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"Could not read {path} as Parquet ({exc}); check that the file is complete.") from exc
    total_rows = sum(m.num_rows for m in metadata)
    done = [0]
    rows = _with_first(_parquet_rows(files, names, batch_rows, done), path, names)
    unique = _column_names(names, path)
    return _Source(
        unique,
        rows,
        functools.partial(_text_frame, names=unique),
        sum(f.stat().st_size for f in files),
        lambda: done[0] / total_rows if total_rows else 1.0,
        lambda: None,
    )


def _text_frame(rows: list[_Row], names: list[str]) -> pd.DataFrame:
    """Text cells of delimited, Excel and Parquet records; an unparsed row is a row of empty cells."""
    empty = [None] * len(names)
    return pd.DataFrame([r.fields or empty for r in rows], columns=names, dtype=str)


def _open_source(path: Path, sheet: str | None, batch_rows: int) -> _Source:
    if not path.exists():
        raise InputError(f"Input file {str(path)!r} does not exist; check the path.")
    suffix = ".parquet" if path.is_dir() else None
    if path.is_dir() and not any(path.rglob("*.parquet")):
        raise InputError(f"{str(path)!r} is a folder; give the path of one CSV, TSV, JSONL or .xlsx file.")
    suffix = suffix or _format_of(path)
    if sheet is not None and suffix not in EXCEL_FORMATS:
        raise InputError(f"--sheet applies to Excel workbooks only; {path.name} is a {suffix} file.")
    if suffix in PARQUET_FORMATS:
        return _parquet_source(path, batch_rows)
    if suffix in EXCEL_FORMATS:
        names, rows = _read_excel(path, sheet)
        return _whole_source(names, rows, path, path.stat().st_size)
    text = _TextFile(path)
    try:
        if suffix == ".json":
            content = text.read()
            if not content.strip():
                raise InputError(f"{path} is empty; it needs a header row and at least one data row.")
            names, rows = _read_json(content, path, suffix)
            return _whole_source(names, rows, path, text.total_bytes)
        if suffix in (".jsonl", ".ndjson"):
            return _jsonl_source(text, path, lambda: _TextFile(path))
        with _large_fields():
            return _delimited_source(text, path, suffix)
    except BaseException:
        text.close()
        raise


class TableChunks:
    """The rows of an export as `ReadResult` chunks, read as they are consumed (see `iter_table_chunks`).

    `columns`, `total_bytes` are known before the first chunk; `rows_read` and
    `fraction_read` (0..1, share of the input's bytes consumed) follow the iteration, for a
    progress bar. Use it as a context manager, or iterate to the end, to close the file.
    """

    def __init__(
        self, path: str | Path, source: _Source, *, chunk_rows: int, strict: bool, add_row_id: bool, always_mark: bool
    ) -> None:
        self._path, self._source = path, source
        self._chunk_rows, self._strict, self._add_row_id, self._always_mark = (
            chunk_rows,
            strict,
            add_row_id,
            always_mark,
        )
        self._renames = schema.clashing_inputs(source.names) if add_row_id else {}
        renamed = [self._renames.get(c, c) for c in source.names]
        self.columns: list[str] = [schema.ROW_ID, *renamed] if add_row_id else renamed
        if always_mark and schema.PARSE_ERROR not in self.columns:
            self.columns.append(schema.PARSE_ERROR)
        self.total_bytes: int = source.total_bytes
        self.rows_read = 0
        self._done = False

    @property
    def fraction_read(self) -> float:
        """Share of the input consumed so far, 0..1."""
        return 1.0 if self._done else self._source.fraction_read()

    def __iter__(self) -> TableChunks:
        return self

    def __next__(self) -> ReadResult:
        if self._done:
            raise StopIteration
        try:
            with _large_fields():
                rows = list(itertools.islice(self._source.rows, self._chunk_rows))
                if not rows:
                    raise StopIteration
                start = self.rows_read
                bad = [(start + i, row) for i, row in enumerate(rows, 1) if row.fields is None]
                if bad and self._strict:
                    raise self._strict_error(bad[0][1], len(bad) - 1 + sum(r.fields is None for r in self._source.rows))
            df = self._source.frame(rows)
        except BaseException:
            self.close()
            raise
        self.rows_read += len(rows)
        df.index = pd.RangeIndex(start, start + len(df))
        if self._add_row_id:
            df = df.rename(columns=self._renames)
            df.insert(0, schema.ROW_ID, range(start + 1, start + len(df) + 1))
        if bad or self._always_mark:
            messages = ["" if r.fields is not None else f"line {r.line}: {r.problem}" for r in rows]
            df[schema.PARSE_ERROR] = pd.array(messages, dtype=object)
        return ReadResult(df, _errors_frame(bad))

    def _strict_error(self, first: _Row, more: int) -> InputError:
        also = f" ({more} more row{'s' if more > 1 else ''} could not be parsed)" if more else ""
        return InputError(f"{self._path}, line {first.line}: {first.problem}; fix or remove that line{also}.")

    def close(self) -> None:
        """Close the input file (iterating to the end does this too)."""
        self._done = True
        self._source.close()

    def __enter__(self) -> TableChunks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _errors_frame(bad: list[tuple[int, _Row]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            schema.ROW_ID: pd.Series([i for i, _ in bad], dtype="int64"),
            "line": pd.Series([r.line for _, r in bad], dtype="int64"),
            "problem": pd.Series([r.problem for _, r in bad], dtype=str),
            "excerpt": pd.Series([r.excerpt for _, r in bad], dtype=str),
        }
    )


def _open_chunks(
    path: str | Path, *, chunk_rows: int, sheet: str | None, strict: bool, add_row_id: bool, always_mark: bool
) -> TableChunks:
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer; got {chunk_rows!r}.")
    source = _open_source(Path(path), sheet, min(chunk_rows, 65_536))
    return TableChunks(
        path, source, chunk_rows=chunk_rows, strict=strict, add_row_id=add_row_id, always_mark=always_mark
    )


def iter_table_chunks(
    path: str | Path,
    *,
    chunk_rows: int = 10_000,
    sheet: str | None = None,
    strict: bool = False,
    add_row_id: bool = True,
) -> TableChunks:
    """Read an export in chunks of `chunk_rows` rows (the last one shorter), with flat memory.

    Concatenated, the chunks are what `read_table_with_errors` returns: the same rows, values,
    dtypes, `row_id` (1..N over the file, and the index continues too), parse errors and line
    numbers; a record is never split between chunks. One difference keeps the columns fixed
    from the first chunk on: every chunk has a `parse_error` column ("" for rows that parsed),
    where the whole-file read adds it only when some row could not be parsed.

    CSV/TSV/JSON Lines (plain or gzip) are decoded as they are read; the encoding is judged from
    the first 64 KB. JSON Lines are read twice (the first pass finds every record's keys, so
    the columns and their dtypes are known up front). Parquet files (and folders of them) are
    read by record batch, cells as text. Excel workbooks and JSON arrays (`.json`) cannot be
    streamed cheaply: they are read whole and handed out in chunks.

    Problems with the file itself (missing, binary, empty, no data rows, bad header) raise
    `InputError` here, before any chunk. With `strict`, the first unparseable row raises
    `InputError` when its chunk is read, so earlier chunks may already have been handed out;
    write them to temporary files (`AppendingCsv`) to leave nothing behind.

    Example:
        >>> with iter_table_chunks("data/samples/reviews.csv", chunk_rows=2) as chunks:
        ...     sizes = [len(chunk.table) for chunk in chunks]
        >>> sizes[0]
        2
    """
    return _open_chunks(
        path, chunk_rows=chunk_rows, sheet=sheet, strict=strict, add_row_id=add_row_id, always_mark=True
    )


def read_table_with_errors(
    path: str | Path, *, sheet: str | None = None, add_row_id: bool = True, strict: bool = False
) -> ReadResult:
    """Read an export like `read_table`, and also return the rows that could not be parsed
    (row_id, line, problem, excerpt of the raw line) for an errors report.

    Example:
        >>> result = read_table_with_errors("export.csv")  # doctest: +SKIP
        >>> result.errors[["line", "problem"]]  # doctest: +SKIP
    """
    with _open_chunks(
        path, chunk_rows=sys.maxsize, sheet=sheet, strict=strict, add_row_id=add_row_id, always_mark=False
    ) as chunks:
        return next(chunks)


def read_table(
    path: str | Path, *, add_row_id: bool = True, sheet: str | None = None, strict: bool = True
) -> pd.DataFrame:
    """Read a CSV/TSV/JSONL/JSON export (optionally gzip-compressed), a Parquet file or an Excel
    sheet into a DataFrame.

    Cells of delimited files, Parquet files and Excel sheets are read as text. With `add_row_id`
    (the default) a `row_id` column numbers the rows from 1 in input order; turn it off to read
    touchtext's own outputs back. `sheet` picks an Excel sheet by name or 1-based number (needed
    when a workbook has several). With `strict` (the default) a row that cannot be parsed raises
    `InputError` naming its line; without it the row is kept in place with empty cells and
    the problem in a `parse_error` column (see `read_table_with_errors`). For files larger than
    memory see `iter_table_chunks`.

    Example:
        >>> df = read_table("data/samples/reviews.csv")
        >>> int(df["row_id"].iloc[0])
        1
    """
    return read_table_with_errors(path, sheet=sheet, add_row_id=add_row_id, strict=strict).table


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
    tmp = _temp_beside(final)
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
_FORMULA_START_PATTERN = "^[" + "".join(_FORMULA_START).replace("-", "\\-") + "]"  # for Arrow's RE2
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][+-]?\d+)?")


def _neutralize(value: Any) -> Any:
    """Prefix a quote to text a spreadsheet would run as a formula (OWASP CSV injection):
    cells starting with = + - @, a tab or a carriage return. A plain number such as -3.5 is
    left alone: a spreadsheet reads it as the number it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _neutralized_column(values: pd.Series) -> pd.Series:
    """`_neutralize` over a column, vectorized: only cells that start like a formula are looked at."""
    if isinstance(values.dtype, pd.StringDtype):
        text = values
    else:
        text = values.astype(object)
        if pd.api.types.infer_dtype(text, skipna=True) not in ("string", "empty"):
            text = text.where([type(v) is str for v in text.to_numpy()])  # only str cells can be formulas
    risky = text.str.startswith(_FORMULA_START, na=False).to_numpy(dtype=bool)
    if not risky.any():
        return values
    cells = values.astype(object)
    cells[risky] = [_neutralize(v) for v in cells[risky]]
    return cells


def _neutralized(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` with spreadsheet formulas neutralized in text cells and column names."""
    safe = df.copy()
    for position in range(safe.shape[1]):
        values = safe.iloc[:, position]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        if (
            values.dtype == object
            or pd.api.types.is_string_dtype(values)
            or isinstance(values.dtype, pd.CategoricalDtype)
        ):
            safe.isetitem(position, _neutralized_column(values))
    safe.columns = [_neutralize(str(c)) for c in safe.columns]
    return safe


def format_csv(df: pd.DataFrame, header: bool = True) -> str:
    """The CSV text `write_csv` writes for `df`, optionally without the header line.

    Chunks formatted one by one (the first with its header) concatenate to the CSV of the
    concatenated frame, as long as pandas formats each column the same way in every chunk
    (same dtypes), so worker processes can format and one writer append.

    Example:
        >>> format_csv(pd.DataFrame({"text": ["=1+1", "fine"]}))
        "text\\r\\n'=1+1\\r\\nfine\\r\\n"
    """
    return format_csv_bytes(df, header).decode("utf-8")


def format_csv_bytes(df: pd.DataFrame, header: bool = True) -> bytes:
    """The CSV of `df` (as `write_csv` writes it) in UTF-8: what `format_csv` and `write_csv`
    use, and worker processes send to the writer. 2,000 rows are formatted at a time into one
    bytes buffer, where a str of the whole text would take 4 bytes a character as soon as one
    emoji is in it; rows are put together with Arrow's string kernels (`_arrow_csv_rows`), or by
    pandas when a column may need quotes by rules of its own.

    Example:
        >>> format_csv_bytes(pd.DataFrame({"text": ["café"]}))
        b'text\\r\\ncaf\\xc3\\xa9\\r\\n'
    """
    buffer = io.BytesIO()
    for start in range(0, max(len(df), 1), _FORMAT_ROWS):  # an empty frame still gets its header
        part = df.iloc[start : start + _FORMAT_ROWS]
        rows = _arrow_csv_rows(part)
        if rows is None:
            _neutralized(part).to_csv(
                buffer, index=False, header=header and start == 0, lineterminator="\r\n", encoding="utf-8"
            )
            continue
        if header and start == 0:
            _neutralized(part.iloc[:0]).to_csv(buffer, index=False, lineterminator="\r\n", encoding="utf-8")
        buffer.write(rows)
    return buffer.getvalue()


_NEEDS_QUOTES = '[,"\r\n]'  # what makes Python's csv module (QUOTE_MINIMAL) quote a field


def _arrow_csv_rows(frame: pd.DataFrame) -> bytes | None:
    """The data lines pandas writes for `_neutralized(frame)` (no index, no header, CRLF), as
    UTF-8 built with Arrow: several times faster than pandas' csv writer on long text. None when a column may
    need quotes by rules of its own (categories, objects that are not all text) or the frame has
    one column (where csv quotes an empty row), or no rows: the caller then lets pandas write it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if frame.shape[1] < 2 or not len(frame):
        return None
    fields = []
    for position in range(frame.shape[1]):
        cells = _arrow_csv_cells(frame.iloc[:, position])
        if cells is None:
            return None
        fields.append(cells)
    text_type = pa.large_string()
    rows = pc.binary_join_element_wise(*fields, pa.scalar(",", text_type))
    every_row = pa.ListArray.from_arrays(pa.array([0, len(rows)], pa.int32()), rows)
    lines = pc.binary_join(every_row, pa.scalar("\r\n", text_type))[0]
    return lines.as_buffer().to_pybytes() + b"\r\n"


def _arrow_csv_cells(values: pd.Series) -> Any:
    """One column's CSV fields as an Arrow string array (missing -> "", formulas neutralized,
    quoted where csv quotes), or None for a column that may need quotes by rules of its own
    (see `_arrow_csv_rows`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype, text_type = values.dtype, pa.large_string()  # 64-bit offsets: long cells cannot overflow
    if dtype == np.dtype(bool):
        return pc.if_else(pa.array(values.to_numpy()), pa.scalar("True", text_type), pa.scalar("False", text_type))
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pc.cast(pa.array(values.to_numpy()), text_type)
    if dtype == np.dtype(np.float64) or dtype == pd.Float64Dtype():
        # pandas writes a 64-bit float as numpy's shortest round-trip text, which is Python's repr
        # ("0.5474", "1.0", "1e-05", "inf"), and a missing one as an empty field
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan).tolist()
        return pa.array(["" if x != x else repr(x) for x in numbers], text_type)
    if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        # pandas' own text for these (other float widths, dates), which never needs quotes; beside
        # a second column, because csv quotes an empty field when it is a row's only one
        written = values.to_frame("value").assign(other=0).to_csv(index=False, header=False, lineterminator="\n")
        return pa.array([line.rsplit(",", 1)[0] for line in written.split("\n")[:-1]], text_type)
    if isinstance(dtype, pd.StringDtype):
        text = pa.array(values, from_pandas=True)
    elif dtype == np.dtype(object) and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        text = pa.array(values.to_numpy(), type=pa.string(), from_pandas=True)
    else:
        return None
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
        return None
    text = pc.fill_null(text.cast(text_type), "")
    risky = pc.match_substring_regex(text, _FORMULA_START_PATTERN)
    if risky.true_count:  # rare: a cell starts like a formula; `_neutralize` decides
        starts = pc.filter(text, risky).to_pylist()
        text = pc.replace_with_mask(text, risky, pa.array([_neutralize(v) for v in starts], text_type))
    # csv's rules for NUL vary by Python version. (RE2 finds a byte many times faster than
    # match_substring, which costs as much as formatting the column when cells are long.)
    if pc.match_substring_regex(text, "\x00").true_count:
        return None
    # Only the cells that need quotes are quoted: doubling quotes costs far more than finding
    # them (a MENTIONS cell holds dozens), and most short columns need none.
    needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not needs.true_count:
        return text
    chosen = text if needs.true_count == len(text) else pc.filter(text, needs)
    quote, nothing = pa.scalar('"', text_type), pa.scalar("", text_type)
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(chosen, '"', '""'), quote, nothing)
    return quoted if chosen is text else pc.replace_with_mask(text, needs, quoted)


_FORMAT_ROWS = 2_000  # rows format_csv_bytes formats at once


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as UTF-8 CSV atomically, with spreadsheet formulas neutralized in
    text cells and column names.

    Lines end in CRLF (RFC 4180): then a cell holding a carriage return is quoted, where with
    bare LF line ends it would be written as is and a spreadsheet would start a new row there,
    whose first cell could be a formula."""
    data = format_csv_bytes(df)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(text: str, path: str | Path) -> Path:
    """Write a text file atomically."""
    return _write_with(path, lambda fh: fh.write(text))


def _temp_beside(final: Path) -> Path:
    """An empty hidden temporary file in `final`'s folder (`.name.XXXX.tmp`), with ordinary permissions."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    os.chmod(tmp_name, 0o666 & ~_current_umask())  # mkstemp makes 0600; outputs are ordinary files
    return Path(tmp_name)


class AppendingCsv:
    """A CSV file written chunk by chunk into a temporary file beside `path`, and renamed over
    `path` only on `commit`: a crash (even SIGKILL) leaves at most a hidden `.name.XXXX.tmp`
    file, never a half-written `path`. Formatting is `write_csv`'s (CRLF, formulas neutralized).

    As a context manager it commits when the block succeeds and aborts when it raises.

    Example:
        >>> with AppendingCsv("out/classified.csv") as out:  # doctest: +SKIP
        ...     for chunk in chunks:
        ...         out.append(chunk)
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.temp_path = _temp_beside(self.path)
        self._fh: IO[bytes] | None = open(self.temp_path, "wb")  # noqa: SIM115
        self._started = False

    def append(self, df: pd.DataFrame) -> None:
        """Append the rows of `df`; the first frame appended (even an empty one) also writes the header."""
        self.append_bytes(format_csv_bytes(df, header=not self._started))

    def append_text(self, text: str) -> None:
        """Append CSV text made by `format_csv` (the first piece must include the header)."""
        self.append_bytes(text.encode("utf-8"))

    def append_bytes(self, data: bytes) -> None:
        """Append CSV made by `format_csv_bytes` (or `format_csv`, encoded as UTF-8)."""
        if self._fh is None:
            raise ValueError(f"{self.path} was already committed or aborted; appending is no longer possible.")
        self._fh.write(data)
        self._started = True

    def append_file(self, part: Path) -> None:
        """Append the bytes of the file `part` (CSV made by `format_csv_bytes`), copied by the
        kernel where it can (`os.copy_file_range`), so they never pass through this process."""
        if self._fh is None:
            raise ValueError(f"{self.path} was already committed or aborted; appending is no longer possible.")
        self._fh.flush()
        with open(part, "rb") as source:
            size = os.fstat(source.fileno()).st_size
            copied = 0
            if hasattr(os, "copy_file_range"):
                with suppress(OSError):  # not between these file systems: copy the rest here
                    while copied < size and (step := os.copy_file_range(source.fileno(), self._fh.fileno(),
                                                                        size - copied, copied)):  # fmt: skip
                        copied += step
            self._fh.seek(0, os.SEEK_END)  # the kernel moved the file's offset, not the buffer's
            if copied < size:
                source.seek(copied)
                shutil.copyfileobj(source, self._fh)
        self._started = True

    def commit(self) -> Path:
        """Make the file appear at `path` (fsynced first), replacing what was there."""
        self._sync()
        self._publish()
        _fsync_dir(self.path.parent)
        return self.path

    def abort(self) -> None:
        """Remove the temporary file; `path` is left as it was."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self.temp_path.unlink(missing_ok=True)

    def _sync(self) -> None:
        if self._fh is None:
            raise ValueError(f"{self.path} was already committed or aborted.")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None

    def _publish(self) -> None:
        os.replace(self.temp_path, self.path)

    def __enter__(self) -> AppendingCsv:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()


def commit_all(writers: Iterable[AppendingCsv]) -> list[Path]:
    """Commit several files together: each is fsynced first, and only then are they renamed, so
    a run's outputs appear together (a failure before the renames aborts them all).

    Example:
        >>> commit_all([classified, errors])  # doctest: +SKIP
    """
    writers = list(writers)
    try:
        for writer in writers:
            writer._sync()
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    for writer in writers:
        writer._publish()
    for folder in {w.path.parent for w in writers}:
        _fsync_dir(folder)
    return [w.path for w in writers]
