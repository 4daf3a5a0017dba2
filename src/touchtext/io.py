"""Reading feedback exports into DataFrames and writing results atomically.

Reading adds a `row_id` column (1-based input position) so every later output can be traced
back to its input row. A row that cannot be parsed (a broken JSON line, a CSV row with more
fields than the header, an unbalanced quote) either stops the read (`strict`) or is kept in
place with empty cells and the problem in a `parse_error` column, so nothing is lost silently.
Writing goes to a temporary file in the target folder, is fsynced and then renamed over the
final path, so a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import json
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, NamedTuple

import pandas as pd

from . import schema
from .errors import InputError, InputWarning

__all__ = [
    "ERROR_COLUMNS",
    "SUPPORTED_FORMATS",
    "ReadResult",
    "atomic_path",
    "detect_text_column",
    "read_table",
    "read_table_with_errors",
    "write_csv",
    "write_text",
]

TEXT_FORMATS = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json")
EXCEL_FORMATS = (".xlsx", ".xlsm")
SUPPORTED_FORMATS = TEXT_FORMATS + EXCEL_FORMATS
# Columns of the errors table (errors.csv): one row per input row that could not be parsed.
ERROR_COLUMNS = (schema.ROW_ID, "line", "problem", "excerpt")
_EXCERPT_CHARS = 200
_DELIMITERS = (",", ";", "\t", "|")
_ONE_COLUMN = "\x1f"  # a header without any delimiter: one field per line (quotes still apply)

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


def _decode(raw: bytes, path: Path) -> str:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 (with or without BOM), else cp1252."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path} starts like UTF-16 text but does not decode ({exc}); re-export it as UTF-8."
            ) from exc
    if b"\x00" in raw[:4096]:
        encoding = _utf16_without_bom(raw[:4096])
        if encoding is None:
            raise _binary_error(path, raw)
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise _binary_error(path, raw) from exc
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
        if suffixes and suffixes[-1] in EXCEL_FORMATS:
            raise InputError(
                f"Cannot read {path.name!r}: give the Excel workbook uncompressed (.xlsx is compressed already)."
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
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
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


def _record_extent(lines: list[str], start: int, sep: str) -> tuple[int, bool] | None:
    """Where a record that broke the quoting rules ends, read as people write such records: a
    quoted field ends only at a quote followed by the delimiter or the end of a line, and any
    other quote inside it (one that should have been doubled) is text. Returns the index of
    the record's last line and whether it held such an undoubled quote; None if a quoted
    field is still open at the end of the file."""
    quoted, at_start, undoubled = False, True, False
    for index in range(start, len(lines)):
        line = lines[index]
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


def _delimited_rows(lines: list[str], first: int, sep: str) -> Iterator[_Row]:
    """Records from lines[first:], each with its 1-based first line. A record that breaks the
    quoting rules becomes one unparsed row for its first line, and reading resumes after the
    lines it takes (see `_record_extent`), or on its next line when a quote is never closed,
    so a stray quote costs one row, not the rest of the file."""
    pos, total = first, len(lines)
    while pos < total:
        reader = csv.reader((lines[i] for i in range(pos, total)), delimiter=sep, strict=True)
        consumed = 0
        try:
            for fields in reader:
                start, consumed = pos + consumed, reader.line_num
                if fields and (len(fields) > 1 or fields[0].strip()):
                    yield _Row(start + 1, fields)
            return
        except csv.Error as exc:
            start = pos + consumed
            failed_on = pos + reader.line_num - 1
            extent = _record_extent(lines, start, sep) if failed_on > start else None
            if extent is not None and extent[0] > start:
                end, undoubled = extent
                problem = (
                    f'a quote inside a quoted field is not doubled (write it as ""), in a record on lines '
                    f"{start + 1}-{end + 1}"
                    if undoubled
                    else f"malformed quoting ({exc}), in a record on lines {start + 1}-{end + 1}"
                )
                yield _Row(start + 1, None, problem, _excerpt("".join(lines[start : end + 1])))
                pos = end + 1
                continue
            salvaged = _lenient_line(lines[start], sep)
            if salvaged is not None:
                yield _Row(start + 1, salvaged)
            elif lines[start].count('"') % 2:
                yield _Row(
                    start + 1,
                    None,
                    "unbalanced quote: a quoted field opened on this line is never closed",
                    _excerpt(lines[start]),
                )
            else:
                yield _Row(start + 1, None, f"malformed quoting ({exc})", _excerpt(lines[start]))
            pos = start + 1


def _read_delimited(text: str, path: Path, suffix: str) -> tuple[list[str], list[_Row]]:
    lines = _LINE.findall(text)
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    sep = None
    if first < len(lines) and (hint := _SEP_HINT.match(lines[first])):
        sep, first = hint.group(1), first + 1
        first = next((i for i in range(first, len(lines)) if lines[i].strip()), len(lines))
    if first >= len(lines):
        raise InputError(f"{path} is empty; it needs a header row and at least one data row.")
    sep = sep or _choose_delimiter(lines[first], suffix)
    with _large_fields():
        rows = iter(_delimited_rows(lines, first, sep))
        header = next(rows, None)
        if header is None or header.fields is None:
            problem = header.problem if header is not None else "no header"
            raise InputError(f"{path}, line {first + 1}: the header row cannot be parsed ({problem}); fix that line.")
        names = [str(c) for c in header.fields]
        out = [_fit(row, len(names), sep) for row in rows]
    return names, out


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


def _frame(names: list[str], rows: list[_Row], path: Path) -> pd.DataFrame:
    """The DataFrame of all rows, in order; an unparsed row is a row of empty cells."""
    if any(isinstance(r.fields, dict) for r in rows):
        return pd.DataFrame.from_records([r.fields or {} for r in rows], columns=names)
    unique = _column_names(names, path)
    empty = [None] * len(unique)
    return pd.DataFrame([r.fields or empty for r in rows], columns=unique, dtype=str)


def _read(path: str | Path, sheet: str | None) -> tuple[pd.DataFrame, list[_Row]]:
    """Every record of the file, in order, and the DataFrame made of them."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"Input file {str(p)!r} does not exist; check the path.")
    if p.is_dir():
        raise InputError(f"{str(p)!r} is a folder; give the path of one CSV, TSV, JSONL or .xlsx file.")
    suffix = _format_of(p)
    if sheet is not None and suffix not in EXCEL_FORMATS:
        raise InputError(f"--sheet applies to Excel workbooks only; {p.name} is a {suffix} file.")
    if suffix in EXCEL_FORMATS:
        names, rows = _read_excel(p, sheet)
    else:
        text = _decode(_read_bytes(p), p)
        if not text.strip():
            raise InputError(f"{p} is empty; it needs a header row and at least one data row.")
        reader = _read_json if suffix in (".jsonl", ".ndjson", ".json") else _read_delimited
        names, rows = reader(text, p, suffix)
    if not rows:
        header = f" ({', '.join(names)})" if names else ""
        raise InputError(f"{p} has a header row{header} but no data rows; there is nothing to classify.")
    if not names:
        raise InputError(
            f"{p} has no columns: none of its records could be parsed (first: line {rows[0].line}: {rows[0].problem})."
        )
    return _frame(names, rows, p), rows


def _add_row_id(df: pd.DataFrame) -> pd.DataFrame:
    """Prepend `row_id`; input columns that clash with touchtext's own get an `_input` suffix."""
    renames = {c: f"{c}_input" for c in df.columns if c in schema.ADDED_COLUMNS}
    df = df.rename(columns=renames)
    df.insert(0, schema.ROW_ID, range(1, len(df) + 1))
    return df.reset_index(drop=True)


def _unparsed(rows: list[_Row]) -> pd.DataFrame:
    records = [(i, r.line, r.problem, r.excerpt) for i, r in enumerate(rows, 1) if r.fields is None]
    return pd.DataFrame(records, columns=list(ERROR_COLUMNS)).astype({schema.ROW_ID: "int64"})


def read_table_with_errors(
    path: str | Path, *, sheet: str | None = None, add_row_id: bool = True, strict: bool = False
) -> ReadResult:
    """Read an export like `read_table`, and also return the rows that could not be parsed
    (row_id, line, problem, excerpt of the raw line) for an errors report.

    Example:
        >>> result = read_table_with_errors("export.csv")  # doctest: +SKIP
        >>> result.errors[["line", "problem"]]  # doctest: +SKIP
    """
    df, rows = _read(path, sheet)
    errors = _unparsed(rows)
    if strict and not errors.empty:
        first, more = errors.iloc[0], len(errors) - 1
        also = f" ({more} more row{'s' if more > 1 else ''} could not be parsed)" if more else ""
        raise InputError(f"{path}, line {first['line']}: {first['problem']}; fix or remove that line{also}.")
    if add_row_id:
        df = _add_row_id(df)
    if not errors.empty:
        messages = ["" if r.fields is not None else f"line {r.line}: {r.problem}" for r in rows]
        df[schema.PARSE_ERROR] = pd.array(messages, dtype=object)
    return ReadResult(df, errors)


def read_table(
    path: str | Path, *, add_row_id: bool = True, sheet: str | None = None, strict: bool = True
) -> pd.DataFrame:
    """Read a CSV/TSV/JSONL/JSON export (optionally gzip-compressed) or an Excel sheet into a DataFrame.

    Cells of delimited files and Excel sheets are read as text. With `add_row_id` (the default)
    a `row_id` column numbers the rows from 1 in input order; turn it off to read touchtext's
    own outputs back. `sheet` picks an Excel sheet by name or 1-based number (needed when a
    workbook has several). With `strict` (the default) a row that cannot be parsed raises
    `InputError` naming its line; without it the row is kept in place with empty cells and
    the problem in a `parse_error` column (see `read_table_with_errors`).

    Example:
        >>> df = read_table("data/samples/reviews.csv")
        >>> df["row_id"].iloc[0]
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
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][+-]?\d+)?")


def _neutralize(value: Any) -> Any:
    """Prefix a quote to text a spreadsheet would run as a formula (OWASP CSV injection):
    cells starting with = + - @, a tab or a carriage return. A plain number such as -3.5 is
    left alone: a spreadsheet reads it as the number it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as UTF-8 CSV atomically, with spreadsheet formulas neutralized in
    text cells and column names.

    Lines end in CRLF (RFC 4180): then a cell holding a carriage return is quoted, where with
    bare LF line ends it would be written as is and a spreadsheet would start a new row there,
    whose first cell could be a formula."""
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
            safe.isetitem(position, values.astype(object).map(_neutralize))
    safe.columns = [_neutralize(str(c)) for c in safe.columns]
    return _write_with(path, lambda fh: safe.to_csv(fh, index=False, lineterminator="\r\n"))


def write_text(text: str, path: str | Path) -> Path:
    """Write a text file atomically."""
    return _write_with(path, lambda fh: fh.write(text))
