"""The bad-input matrix (issue 9): messy and hostile exports through the real command line.

This is the one cross-module test file: each case writes a small input, runs `touchtext run`
(the same `main()` the console script calls, in-process for speed; two cases also run it in a
subprocess), and checks the exit code, the message and the row accounting: every input row
appears exactly once in classified.csv, in input order, with the expected status, and every
row that could not be parsed is in errors.csv with its line number.

Reader details are in tests/test_io.py, statuses in tests/test_pipeline.py, the HTML report in
headless Chromium in tests/test_report.py, fuzzing in tests/test_io.py and tests/test_cleaning.py.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.conftest import run_cli
from touchtext.cli import main

E1 = "The room was dirty and the staff were rude."
E2 = "They charged my card twice for one night."
E3 = "Parking was full and the signs were useless."
A = "analysed"  # ok or unclear: the model classified the row (which one depends on the model)
ANALYSED = {"ok", "unclear"}


def _csv(rows: list[tuple[str, ...]], sep: str = ",", header: tuple[str, ...] = ("id", "text")) -> str:
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    return "\n".join(lines) + "\n"


def _workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Reviews"
    sheet.append(["id", "text"])
    sheet.append([1, E1])
    tickets = book.create_sheet("Tickets")
    tickets.append(["id", "subject", "body"])
    for i, text in enumerate((E2, E3, "Room 12 was cold"), 1):
        tickets.append([i, "Complaint", text])
    book.save(path)


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, what `touchtext run` must do with it."""

    name: str  # file name of the input
    make: bytes | str | Callable[[Path], None]
    code: int = 0
    message: str = ""  # regex one stderr line must match ("" = stderr has no touchtext line)
    statuses: tuple[str, ...] = ()  # expected status of each input row, in order (A = ok or unclear)
    ids: tuple[str, ...] = ()  # expected `id` cells in order ("" for unparsed rows)
    error_lines: tuple[int, ...] = ()  # line numbers listed in errors.csv
    extra: tuple[str, ...] = ()
    check: Callable[[pd.DataFrame], None] | None = None
    tags: tuple[str, ...] = field(default=())


def _text_has(fragment: str) -> Callable[[pd.DataFrame], None]:
    def check(df: pd.DataFrame) -> None:
        assert any(fragment in t for t in df["clean_text"]), df["clean_text"].tolist()

    return check


def _reason_has(*fragments: str) -> Callable[[pd.DataFrame], None]:
    def check(df: pd.DataFrame) -> None:
        for fragment, reason in zip(fragments, df["status_reason"], strict=False):
            assert re.search(fragment, reason), (fragment, reason)

    return check


def _languages(*codes: str) -> Callable[[pd.DataFrame], None]:
    def check(df: pd.DataFrame) -> None:
        assert df["language"].tolist() == list(codes)

    return check


def _truncated(df: pd.DataFrame) -> None:
    row = df.iloc[0]
    assert len(row["clean_text"]) <= 20_000
    assert re.fullmatch(r"truncated from [\d,]+ to [\d,]+ characters; .+", row["status_reason"]), row["status_reason"]


CASES = {
    # -- encodings and line endings ------------------------------------------------------------
    "utf8-bom": Case("bom.csv", "\ufeff" + _csv([("1", E1), ("2", E2)]), statuses=(A, A), ids=("1", "2")),
    "utf16-bom": Case("u16.csv", _csv([("1", E1), ("2", E2)]).encode("utf-16"), statuses=(A, A), ids=("1", "2")),
    "utf16-no-bom": Case("u16le.csv", _csv([("1", E1), ("2", E2)]).encode("utf-16-le"), statuses=(A, A)),
    "cp1252": Case("latin.csv", _csv([("1", "Café was cold – and the waiter ignored us")]).encode("cp1252"),
                   statuses=(A,), check=_text_has("Café was cold – and")),
    "utf8-with-stray-cp1252": Case("mixed.csv", _csv([("1", "Café was cold")]).encode() + "2,Naïve staff\n".encode("cp1252"),
                                   statuses=(A, A), check=_text_has("Café was cold")),
    "mixed-line-endings": Case("eol.csv", f"id,text\r\n1,{E1}\r2,{E2}\n3,{E3}", statuses=(A, A, A), ids=("1", "2", "3")),
    "blank-lines-are-not-rows": Case("blank.csv", f"id,text\n\n1,{E1}\n\n\n2,{E2}\n\n", statuses=(A, A), ids=("1", "2")),
    # -- quoting and ragged rows ---------------------------------------------------------------------
    "embedded-newlines-and-quotes": Case(
        "quoted.csv", f'id,text\n1,"The room was ""fine"",\nbut the staff were rude"\n2,{E2}\n', statuses=(A, A),
        ids=("1", "2"), check=_text_has('"fine",\nbut the staff'),
    ),
    "unbalanced-quote": Case(
        "stray.csv", f'id,text\n1,"{E1}\n2,{E2}\n3,{E3}\n', statuses=("parse_error", A, A), ids=("", "2", "3"),
        error_lines=(2,), message=r"^touchtext: warning: 1 row\(s\) could not be parsed \(line 2\)",
        check=_reason_has("line 2: unbalanced quote"),
    ),
    "ragged-too-many-fields": Case(
        "ragged.csv", f"id,text\n1,{E1}\n2,Great room, bad breakfast\n3,{E3}\n", statuses=(A, "parse_error", A),
        ids=("1", "", "3"), error_lines=(3,), message=r"could not be parsed \(line 3\).*details in .*errors.csv",
        check=_reason_has("", r"line 3: 3 fields, but the header has 2 \(an unquoted ',' in the text\?\)"),
    ),
    "ragged-too-few-fields-are-padded": Case(
        "short.csv", f"id,text,rating\n1,{E1}\n2,{E2},4\n", statuses=(A, A), ids=("1", "2"),
    ),
    "trailing-empty-fields-are-ignored": Case("trail.csv", f"id,text\n1,{E1},,\n2,{E2}\n", statuses=(A, A)),
    "semicolon-separated": Case("semi.csv", _csv([("1", "The room, sadly, was dirty"), ("2", E2)], sep=";"),
                                statuses=(A, A), ids=("1", "2"), check=_text_has("The room, sadly, was dirty")),
    "tab-separated-tsv": Case("tabs.tsv", _csv([("1", E1), ("2", E2)], sep="\t"), statuses=(A, A), ids=("1", "2")),
    "tab-separated-named-csv": Case("tabs.csv", _csv([("1", "Dirty, cold room"), ("2", E2)], sep="\t"), statuses=(A, A)),
    "excel-sep-hint-line": Case("hint.csv", "sep=;\n" + _csv([("1", "Dirty, cold room")], sep=";"), statuses=(A,)),
    # -- structure ---------------------------------------------------------------------------------
    "empty-file": Case("empty.csv", b"", code=2, message=r"^touchtext: error: .*empty.csv is empty; it needs a header row"),
    "header-only": Case("header.csv", "id,text\n", code=2,
                        message=r"^touchtext: error: .*header.csv has a header row \(id, text\) but no data rows"),
    "duplicate-column-names": Case(
        "dup.csv", f"id,text,text\n1,{E1},second\n", statuses=(A,), ids=("1",),
        message=r"^touchtext: warning: dup.csv: column name\(s\) appear more than once: 'text' \(repeat read as 'text_2'\)",
        check=lambda df: df["text_2"].tolist() == ["second"] or pytest.fail(str(df.columns)),
    ),
    "missing-text-column-suggests": Case(
        "named.csv", _csv([("1", E1)], header=("id", "review")), code=2, extra=("--text-col", "reviw"),
        message=r"^touchtext: error: Text column 'reviw' not found; the input has columns: id, review\. "
        r"Did you mean 'review'\?$",
    ),
    "no-text-column-lists-columns": Case(
        "numbers.csv", "id,score\n1,3\n2,4\n", code=2,
        message=r"^touchtext: error: Could not find a text column; the input has columns: id, score\. .*--text-col",
    ),
    # -- cell contents -----------------------------------------------------------------------------
    "numeric-boolean-nan-empty-cells": Case(
        "cells.jsonl",
        "\n".join(json.dumps(r) if not isinstance(r, str) else r for r in [
            {"id": "1", "text": 42}, {"id": "2", "text": True}, '{"id": "3", "text": NaN}', {"id": "4", "text": ""},
            {"id": "5", "text": None}, {"id": "6"}, {"id": "7", "text": E1},
        ]) + "\n",
        statuses=("empty",) * 6 + (A,), ids=tuple("1234567"),
        check=_reason_has("holds int 42, not text", "holds bool True", "empty or missing", "empty or missing",
                          "empty or missing", "empty or missing"),
    ),
    "numbers-in-a-csv-text-column-are-text": Case("num.csv", _csv([("1", "12345"), ("2", E1)]), statuses=(A, A)),
    "emoji-and-punctuation-only": Case(
        "emoji.csv", _csv([("1", "😍😍👍"), ("2", "?!?!..."), ("3", E1)]), statuses=("empty", "empty", A),
        check=_reason_has("no words to classify", "no words to classify"),
    ),
    "five-megabyte-cell": Case(
        "big.csv", "id,text\n1," + "Staff were rude and slow " * 200_000 + f"\n2,{E2}\n",
        statuses=("too_long_truncated", A), ids=("1", "2"), check=_truncated,
    ),
    "million-character-line": Case(
        "long.jsonl", json.dumps({"id": "1", "text": "The room was dirty. " * 50_000}) + "\n" + json.dumps({"id": "2", "text": E2}) + "\n",
        statuses=("too_long_truncated", A), check=_truncated,
    ),
    # -- not a text export -------------------------------------------------------------------------
    "image-renamed-csv": Case("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), code=2,
                              message=r"^touchtext: error: .*photo.csv looks like a binary file \(a PNG image\), not a text export"),
    "workbook-renamed-csv": Case("book.csv", _workbook, code=2,
                                 message=r"looks like a binary file \(a ZIP archive or an Excel workbook \(if it is a workbook, give it the \.xlsx extension\)\)"),
    "old-xls": Case("old.xls", b"\xd0\xcf\x11\xe0" + bytes(60), code=2,
                    message=r"^touchtext: error: Cannot read 'old.xls': old Excel .xls files are not supported; save it as .xlsx or CSV\.$"),
    "gzip": Case("packed.csv.gz", gzip.compress(_csv([("1", E1), ("2", E2)]).encode()), statuses=(A, A), ids=("1", "2")),
    "truncated-gzip": Case("cut.csv.gz", gzip.compress(_csv([(str(i), E1) for i in range(200)]).encode())[:60], code=2,
                           message=r"^touchtext: error: Could not read .*cut.csv.gz: .*Check that the file is complete and not corrupted\.$"),
    # -- Excel -------------------------------------------------------------------------------------
    "excel-several-sheets-needs-sheet": Case(
        "book.xlsx", _workbook, code=2,
        message=r"^touchtext: error: book.xlsx has 2 sheets \(1 'Reviews', 2 'Tickets'\); choose one with --sheet NAME or --sheet NUMBER\.$",
    ),
    "excel-sheet-by-name": Case("book.xlsx", _workbook, extra=("--sheet", "Tickets"), statuses=(A, A, A), ids=("1", "2", "3")),
    "excel-sheet-by-number": Case("book.xlsx", _workbook, extra=("--sheet", "1"), statuses=(A,), ids=("1",)),
    "excel-unknown-sheet": Case("book.xlsx", _workbook, extra=("--sheet", "tickets"), code=2,
                                message=r"has no sheet 'tickets'; its sheets are 1 'Reviews', 2 'Tickets'\. Did you mean 'Tickets'\?$"),
    # -- JSON --------------------------------------------------------------------------------------
    "json-object-not-list": Case("obj.json", json.dumps({"reviews": [{"text": E1}]}), code=2,
                                 message=r"obj.json holds a single JSON object \(keys: reviews\), not a list of records"),
    "jsonl-broken-line": Case(
        "broken.jsonl", "\n".join([json.dumps({"id": "1", "text": E1}), '{"id": "2", "text": "no end', json.dumps({"id": "3", "text": E3})]),
        statuses=(A, "parse_error", A), ids=("1", "", "3"), error_lines=(2,),
        message=r"^touchtext: warning: 1 row\(s\) could not be parsed \(line 2\); they are kept with status parse_error",
        check=_reason_has("", r"line 2: invalid JSON \(Unterminated string"),
    ),
    "jsonl-broken-line-strict": Case(
        "broken.jsonl", "\n".join([json.dumps({"text": E1}), '{"text": "no end', json.dumps({"text": E3})]), code=2,
        extra=("--strict",), message=r"^touchtext: error: .*broken.jsonl, line 2: invalid JSON \(Unterminated string.*\); fix or remove that line\.$",
    ),
    "csv-unbalanced-quote-strict": Case(
        "stray.csv", f'id,text\n1,"{E1}\n2,{E2}\n3,x\n4,"y\n', code=2, extra=("--strict",),
        message=r"stray.csv, line 2: unbalanced quote: .*; fix or remove that line \(1 more row could not be parsed\)\.$",
    ),
    "json-array-with-a-non-object": Case(
        "arr.json", f'[\n  {{"id": "1", "text": "{E1}"}},\n  "just a string",\n  {{"id": "3", "text": "{E2}"}}\n]',
        statuses=(A, "parse_error", A), ids=("1", "", "3"), error_lines=(3,), message=r"could not be parsed \(line 3\)",
        check=_reason_has("", "line 3: a JSON record must be an object with named fields, got a string"),
    ),
    # -- languages ---------------------------------------------------------------------------------
    "rtl-and-cjk": Case(
        "world.csv", _csv([("1", "كانت الغرفة نظيفة لكن الموظفين غير ودودين"), ("2", "החדר היה נקי אבל הצוות לא נחמד"),
                           ("3", "房间很干净，但是服务员态度很差"), ("4", "部屋はきれいでしたが、スタッフが失礼でした"), ("5", E1)]),
        statuses=("unsupported_language",) * 4 + (A,), check=_languages("ar", "he", "zh", "ja", "en"),
    ),
    "languages-the-model-does-not-cover": Case(
        "europe.csv", _csv([("1", "Das Zimmer war schmutzig und das Personal unfreundlich"),
                            ("2", "Le petit déjeuner était froid et le personnel désagréable"),
                            ("3", "La habitación estaba sucia y el personal fue muy grosero"), ("4", E1), ("5", "ok 👍")]),
        statuses=("unsupported_language",) * 3 + (A, A),
        check=lambda df: (_languages("de", "fr", "es", "en", "und")(df),
                          _reason_has("written in German \\(de\\); the model covers English \\(en\\) only")(df)),
    ),
    # -- files that are not there --------------------------------------------------------------------
    "missing-file": Case("", b"", code=2, message=r"^touchtext: error: Input file '.*nowhere.csv' does not exist; check the path\.$"),
}  # fmt: skip


def _make(case: Case, folder: Path) -> Path:
    if not case.name:
        return folder / "nowhere.csv"
    path = folder / case.name
    if callable(case.make):
        case.make(path)
    elif isinstance(case.make, str):
        path.write_bytes(case.make.encode("utf-8"))
    else:
        path.write_bytes(case.make)
    return path


def _check_outputs(case: Case, out: Path) -> None:
    """Row accounting: one classified row per input row, in order, with the expected status."""
    classified = pd.read_csv(out / "classified.csv", dtype=str, keep_default_na=False)
    assert classified["row_id"].tolist() == [str(i) for i in range(1, len(case.statuses) + 1)]
    got = ["analysed" if s in ANALYSED else s for s in classified["status"]]
    assert got == list(case.statuses), classified[["status", "status_reason"]].to_string()
    if case.ids:
        assert classified["id"].tolist() == list(case.ids)
    assert (classified.loc[classified["status"] != "ok", "status_reason"] != "").all()
    errors = pd.read_csv(out / "errors.csv", dtype=str, keep_default_na=False)
    assert errors["line"].tolist() == [str(n) for n in case.error_lines]
    unparsed = classified.loc[classified["status"] == "parse_error", "row_id"].tolist()
    assert errors["row_id"].tolist() == unparsed
    for name in ("mentions.csv", "sentences.csv"):  # every other table refers to existing rows only
        ids = set(pd.read_csv(out / name, dtype=str, keep_default_na=False)["row_id"])
        assert ids <= set(classified.loc[classified["status"].isin(ANALYSED | {"too_long_truncated"}), "row_id"])
    if case.check is not None:
        case.check(classified)


def _touchtext_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("touchtext:")]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input(case: Case, tmp_path, capsys):
    source = _make(case, tmp_path)
    out = tmp_path / "out"
    code = main(["run", str(source), "--out", str(out), "--quiet", *case.extra])
    captured = capsys.readouterr()
    assert code == case.code, captured.err
    assert "Traceback" not in captured.err
    lines = _touchtext_lines(captured.err)
    assert captured.err.strip().splitlines() == lines  # nothing but touchtext's own one-line messages
    if case.message:
        assert len(lines) == 1 and re.search(case.message, lines[0]), captured.err
    else:
        assert lines == []
    if case.code == 0:
        _check_outputs(case, out)
    else:
        assert not out.exists()  # a user error writes nothing


def test_matrix_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", ["jsonl-broken-line", "excel-several-sheets-needs-sheet"])
def test_the_installed_command_behaves_the_same(name, tmp_path):
    """The same cases through `python -m touchtext` in a subprocess: exit code, one line, accounting."""
    case = CASES[name]
    source = _make(case, tmp_path)
    result = run_cli("run", str(source), "--out", str(tmp_path / "out"), "--quiet", *case.extra)
    assert result.returncode == case.code and "Traceback" not in result.stderr
    if case.code == 0:
        _check_outputs(case, tmp_path / "out")
    else:
        assert len(result.stderr.strip().splitlines()) == 1 and re.search(case.message, result.stderr)


# -- hostile text: formulas in the exported CSV files ---------------------------------------------
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+SUM(1,2)", "-2+3 the room was dirty", "@SUM(A1:A2)",
            "\tThe room was dirty", "\r=1+1 charged twice"]  # fmt: skip


def test_exported_csv_cells_never_start_a_formula(tmp_path, capsys):
    """OWASP CSV injection: payloads in text cells, other cells and column names, read back raw."""
    rows = [{"id": f"-{i}", "=cmd|' /C calc'!A0": payload, "text": f"{payload} and they charged my card twice"}
            for i, payload in enumerate(FORMULAS, 1)]  # fmt: skip
    source = tmp_path / "hostile.csv"
    pd.DataFrame(rows).to_csv(source, index=False, quoting=csv.QUOTE_ALL)  # quoted: a lone \r stays in its cell
    broken = tmp_path / "hostile.jsonl"  # a broken line puts its raw text into errors.csv
    broken.write_text(json.dumps({"text": E1}) + "\n=cmd|' /C calc'!A0 {broken\n", encoding="utf-8")
    assert main(["run", str(source), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert main(["run", str(broken), "--out", str(tmp_path / "out2"), "--quiet"]) == 0
    capsys.readouterr()
    files = [*(tmp_path / "out").glob("*.csv"), *(tmp_path / "out2").glob("*.csv")]
    assert {f.name for f in files} >= {"classified.csv", "mentions.csv", "sentences.csv", "errors.csv", "summary.csv"}
    cells = 0
    for file in files:
        with open(file, encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    cells += 1
                    assert not cell.startswith(("=", "+", "@", "\t", "\r")), (file.name, cell)
                    assert not cell.startswith("-") or re.fullmatch(r"-\d+(\.\d+)?", cell), (file.name, cell)
    assert cells > 100
    classified = pd.read_csv(tmp_path / "out" / "classified.csv", dtype=str, keep_default_na=False)
    assert classified["id"].tolist() == [f"-{i}" for i in range(1, 7)]  # negative numbers are left alone
    assert classified["'=cmd|' /C calc'!A0"].tolist() == ["'" + p for p in FORMULAS]  # quoted, otherwise intact
    errors = pd.read_csv(tmp_path / "out2" / "errors.csv", dtype=str, keep_default_na=False)
    assert errors["excerpt"].tolist() == ["'=cmd|' /C calc'!A0 {broken"]
