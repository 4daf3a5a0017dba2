import collections
import csv
import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import touchtext.io as touchtext_io
from touchtext.errors import InputError, InputWarning
from touchtext.io import (
    AppendingCsv,
    _arrow_csv_rows,
    _neutralize,
    _neutralized_column,
    atomic_path,
    commit_all,
    detect_text_column,
    format_csv,
    format_csv_bytes,
    iter_table_chunks,
    read_table,
    read_table_with_errors,
    write_csv,
    write_text,
)


def test_csv_gets_row_ids_and_keeps_columns(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("id,text,status\n7,hello there,open\n8,second one,closed\n", encoding="utf-8")
    df = read_table(p)
    assert df["row_id"].tolist() == [1, 2]
    assert df["id"].tolist() == ["7", "8"]  # kept as text, exactly as exported
    assert df["status_input"].tolist() == ["open", "closed"]  # clashes with touchtext's own column


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("semi.csv", b"id;text\n1;Das Zimmer war sauber, danke\n2;zu teuer\n"),
        ("tabs.tsv", b"id\ttext\n1\tRoom fine, staff rude\n2\tok\n"),
        ("bom.csv", "\ufeffid,text\n1,Room fine\n2,ok\n".encode()),
        ("latin.csv", "id,text\n1,Caf\xe9 was cold\n2,ok\n".encode("cp1252")),
        ("utf16.csv", "id,text\n1,Room fine\n2,ok\n".encode("utf-16")),
        ("lines.jsonl", b'{"id": 1, "text": "Room fine"}\n\n{"id": 2, "text": "ok"}\n'),
        ("array.json", json.dumps([{"id": 1, "text": "Room fine"}, {"id": 2, "text": "ok"}]).encode()),
        ("packed.csv.gz", gzip.compress(b"id,text\n1,Room fine\n2,ok\n")),
    ],
)
def test_common_formats_read_the_same_rows(tmp_path, name, payload):
    p = tmp_path / name
    p.write_bytes(payload)
    df = read_table(p)
    assert len(df) == 2
    assert "text" in df.columns
    assert str(df["id"].iloc[0]) == "1"


def test_cp1252_text_is_decoded(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes("id,text\n1,Caf\xe9 was cold\n".encode("cp1252"))
    assert read_table(p)["text"].iloc[0] == "Café was cold"


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("blank.csv", b"   \n\n", "is empty"),
        ("data.xml", b"<a/>", "unsupported file type '.xml'"),
        ("obj.json", b'{"text": "hi"}', "single JSON object"),
        ("broken.jsonl", b'{"text": "ok"}\n{"text": "no end\n', "line 2: invalid JSON"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("cut.csv.gz", gzip.compress(b"id,text\n1,hello\n" * 50)[:30], "not corrupted"),
    ],
)
def test_unreadable_inputs_raise_clear_errors(tmp_path, name, payload, message):
    p = tmp_path / name
    p.write_bytes(payload)
    with pytest.raises(InputError, match=message):
        read_table(p)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_table(tmp_path)


def test_text_column_detection():
    df = pd.DataFrame({"id": ["1", "2"], "Review": ["great stay, lovely staff", "noisy room all night long"]})
    assert detect_text_column(df) == "Review"
    unnamed = pd.DataFrame(
        {"id": ["1", "2"], "col_a": ["x", "y"], "col_b": ["the room was far too hot", "nice pool area"]}
    )
    assert detect_text_column(unnamed) == "col_b"


def test_missing_text_column_lists_columns_and_suggests():
    df = pd.DataFrame({"id": ["1"], "review_text": ["fine"]})
    with pytest.raises(InputError, match=r"columns: id, review_text\. Did you mean 'review_text'"):
        detect_text_column(df, "reviewtext")
    with pytest.raises(InputError, match=r"Could not find a text column.*--text-col"):
        detect_text_column(pd.DataFrame({"id": ["1", "2"], "n": ["3", "4"]}))


def test_write_csv_neutralizes_formulas(tmp_path):
    df = pd.DataFrame({"text": ['=HYPERLINK("http://x")', "+1 555", "-x", "@SUM(A1)", "\tx", "fine"], "n": range(6)})
    out = write_csv(df, tmp_path / "o.csv")
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in back["text"])
    assert back["text"].iloc[5] == "fine"


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "summary.md"
    write_text("good", target)
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.md"]  # no temp file left behind


# -- rows that cannot be parsed, kept in place (issue 9) ---------------------------------------------
@pytest.mark.parametrize(
    ("name", "text", "texts", "errors"),
    [
        ("ragged.csv", "id,text\n1,a\n2,b, c\n3,d\n", ["a", None, "d"], [(2, 3, "3 fields, but the header has 2")]),
        ("short.csv", "id,text,x\n1,a\n2\n", ["a", None], []),  # fewer fields: padded with empty cells
        ("stray.csv", 'id,text\n1,"a\n2,b\n3,c\n', [None, "b", "c"], [(1, 2, "unbalanced quote")]),
        ("two.csv", 'id,text\n1,"a\n2,b\n3,"c\n', [None, "b", None], [(1, 2, "unbalanced quote"), (3, 4, "unbalanced quote")]),
        ("closed.csv", 'id,text\n1,"a\n2,b" x\n3,c\n', [None, 'b" x', "c"], [(1, 2, "unbalanced quote")]),
        ("multi.csv", 'id,text\n1,"a\n\nb ""q"""\n2,c\n', ["a\n\nb \"q\"", "c"], []),
        ("style.csv", 'id,text\n1,"a" b\n', ["a b"], []),  # text after a closing quote: kept, as spreadsheets do
        ("undoubled.csv", 'id,text\n1,"ok fine"\n2,"Room was dirty.\nStaff said "sorry, we are full" and left.\n'
         'Never again"\n3,"Parking was expensive"\n', ["ok fine", None, "Parking was expensive"],
         [(2, 3, "a quote inside a quoted field is not doubled")]),  # one record over 3 lines: one row
        ("lines.jsonl", '{"text": "a"}\n{"text": "b\n"x"\n[1]\n\n{"text": "c"}\n', ["a", None, None, None, "c"],
         [(2, 2, "invalid JSON"), (3, 3, "got a string"), (4, 4, "got an array")]),
        ("array.json", '[{"text": "a"},\n 3,\n {"text": "c"}]', ["a", None, "c"], [(2, 2, "got a number")]),
    ],
)  # fmt: skip
def test_unparseable_rows_are_kept_in_place_with_their_line(tmp_path, name, text, texts, errors):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    result = read_table_with_errors(p)
    table = result.table
    assert table["row_id"].tolist() == list(range(1, len(texts) + 1))
    assert [None if pd.isna(v) else v for v in table["text"]] == texts
    got = [(r.row_id, r.line, r.problem) for r in result.errors.itertuples()]
    assert [(row, line) for row, line, _ in got] == [(row, line) for row, line, _ in errors]
    assert all(expected in problem for (_, _, problem), (_, _, expected) in zip(got, errors, strict=True))
    if errors:
        marked = table.loc[table["parse_error"] != "", ["row_id", "parse_error"]]
        assert marked["row_id"].tolist() == [row for row, _, _ in errors]
        assert all(
            m.startswith(f"line {line}: ") for m, (_, line, _) in zip(marked["parse_error"], errors, strict=True)
        )
        first = errors[0]
        with pytest.raises(InputError, match=rf"{name}, line {first[1]}: .*fix or remove that line"):
            read_table(p)  # strict by default
    else:
        assert "parse_error" not in table.columns and result.errors.empty
    assert len(read_table(p, strict=False)) == len(texts)


def test_excerpts_are_short_and_raw(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("id,text\n1," + "x," * 500 + "\n", encoding="utf-8")
    excerpt = read_table_with_errors(p).errors["excerpt"].iloc[0]
    assert excerpt.startswith("1,x,x,") and len(excerpt) == 201 and excerpt.endswith("…")


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("id;text\n1;a,b\n", ["id", "text"]),  # the header decides: semicolons
        ("id\ttext\n1\ta;b,c\n", ["id", "text"]),
        ("id|text\n1|a\n", ["id", "text"]),
        ("text\nHello, world\n", ["text"]),  # one column: commas in the text are text
        ("sep=;\nid;text\n1;a,b\n", ["id", "text"]),  # Excel's delimiter line
        ('"id,x";text\n1;a\n', ["id,x", "text"]),
        ("id,,text\n1,2,a\n", ["id", "column_2", "text"]),
    ],
)
def test_delimiter_and_header_names(tmp_path, text, columns):
    p = tmp_path / "d.csv"
    p.write_text(text, encoding="utf-8")
    assert list(read_table(p, add_row_id=False).columns) == columns


def test_duplicate_column_names_are_kept_and_renamed_with_a_warning(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("text,id,text,text,text_2\na,1,b,c,d\n", encoding="utf-8")
    with pytest.warns(
        InputWarning, match=r"dup.csv: column name\(s\) appear more than once: 'text' \(repeat read as 'text_3'\)"
    ):
        df = read_table(p, add_row_id=False)
    assert list(df.columns) == ["text", "id", "text_3", "text_4", "text_2"]
    assert df.iloc[0].tolist() == ["a", "1", "b", "c", "d"]


def test_header_only_empty_and_utf16_without_bom(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("id,text\n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"has a header row \(id, text\) but no data rows"):
        read_table(p)
    p.write_bytes("id,text\n1,Café\n".encode("utf-16-le"))
    assert read_table(p)["text"].tolist() == ["Café"]
    p.write_bytes("id,text\n1,Café\n".encode("utf-16-be"))
    assert read_table(p)["text"].tolist() == ["Café"]


def test_a_five_megabyte_cell_and_a_million_character_line(tmp_path):
    p = tmp_path / "big.csv"
    cell = "word " * 1_000_000
    p.write_text(f'id,text\n1,"{cell}"\n2,{"y" * 1_000_000}\n', encoding="utf-8")
    df = read_table(p)
    assert df["text"].str.len().tolist() == [5_000_000, 1_000_000]


def _workbook(path, sheets):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_excel_sheets(tmp_path):
    import datetime

    p = _workbook(
        tmp_path / "b.xlsx",
        {
            "Reviews": [["id", "text", "rating", "date"], [1, "Great stay", 5, datetime.datetime(2026, 3, 1)],
                        [None, None, None, None], [2, "Cold room", 1.5, datetime.datetime(2026, 3, 2, 10, 30)], [3]],
            "Other": [["a"], ["b"]],
        },
    )  # fmt: skip
    with pytest.raises(InputError, match=r"b.xlsx has 2 sheets \(1 'Reviews', 2 'Other'\); choose one with --sheet"):
        read_table(p)
    df = read_table(p, sheet="Reviews")
    assert df.drop(columns="row_id").fillna("").values.tolist() == [
        ["1", "Great stay", "5", "2026-03-01"], ["2", "Cold room", "1.5", "2026-03-02 10:30:00"], ["3", "", "", ""]
    ]  # fmt: skip
    assert read_table(p, sheet="2")["a"].tolist() == ["b"]
    with pytest.raises(InputError, match=r"no sheet 'reviews'.*Did you mean 'Reviews'\?"):
        read_table(p, sheet="reviews")
    plain = tmp_path / "plain.csv"
    plain.write_text("id,text\n1,a\n", encoding="utf-8")
    with pytest.raises(InputError, match="--sheet applies to Excel workbooks only"):
        read_table(plain, sheet="1")


def test_excel_rows_beyond_a_wrong_dimension_tag_are_read(tmp_path):
    import zipfile

    p = _workbook(tmp_path / "dim.xlsx", {"Reviews": [["id", "text", "extra"], [1, "a", "x"], [2, "b", "y"]]})
    fixed = tmp_path / "wrong-dim.xlsx"
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            data = src.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:B2"/>', data)
                assert n == 1
            dst.writestr(entry, data)
    df = read_table(fixed)
    assert df.drop(columns="row_id").values.tolist() == [["1", "a", "x"], ["2", "b", "y"]]


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("zip.csv", b"PK\x03\x04\x14\x00\x00\x00", r"binary file \(a ZIP archive or an Excel workbook"),
        ("doc.csv", b"%PDF-1.7\n\x00\x00", r"binary file \(a PDF document\)"),
        ("old.xls", b"\xd0\xcf\x11\xe0", r"old Excel .xls files are not supported; save it as .xlsx or CSV"),
        ("fake.xlsx", b"PK\x03\x04 not really", r"Could not read .*fake.xlsx as an Excel workbook"),
        ("text.xlsx", b"id,text\n1,a\n", r"Could not read .*text.xlsx as an Excel workbook"),
        ("obj.json", b'{"reviews": [], "meta": 1}', r"single JSON object \(keys: reviews, meta\)"),
        ("bad.json", b'[{"text": "a"},, {"text": "b"}]', r"bad.json is not valid JSON: Expecting value: line 1"),
        ("none.json", b"[]", r"holds an empty JSON array"),
    ],
)
def test_more_unreadable_inputs(tmp_path, name, payload, message):
    p = tmp_path / name
    p.write_bytes(payload)
    with pytest.raises(InputError, match=message):
        read_table(p)


def test_write_csv_neutralizes_every_formula_start_but_not_numbers(tmp_path):
    payloads = ["=1+1", "+1 555", "-x", "@SUM(A1)", "\tx", "\rx", "a\r=HYPERLINK(1)", "fine"]
    df = pd.DataFrame(
        {"text": payloads, "=bad": ["-3", "-3.5", "+2", "-1,5", "1e3", "-", "--", "x"], "n": range(-4, 4)}
    )
    out = write_csv(df, tmp_path / "o.csv")
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["text", "'=bad", "n"]
    assert [r[0] for r in rows[1:]] == [
        "'=1+1",
        "'+1 555",
        "'-x",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "a\r=HYPERLINK(1)",
        "fine",
    ]
    assert [r[1] for r in rows[1:]] == ["-3", "-3.5", "+2", "-1,5", "1e3", "'-", "'--", "x"]  # numbers stay numbers
    assert [r[2] for r in rows[1:]] == [str(n) for n in range(-4, 4)]  # a numeric column is untouched
    assert all(not c.startswith(("=", "+", "@", "\t", "\r")) or c in ("+2",) for r in rows for c in r)


def test_write_csv_neutralizes_formulas_in_category_columns(tmp_path):
    mixed = pd.Categorical(["=1+1", "fine", "=1+1", None, 3])  # categories of text and numbers
    df = pd.DataFrame({"text": mixed, "n": pd.Categorical([1, 2, 1, 2, 1])})
    out = write_csv(df, tmp_path / "o.csv")
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back["text"].tolist() == ["'=1+1", "fine", "'=1+1", "", "3"]
    assert back["n"].tolist() == ["1", "2", "1", "2", "1"]


# -- fuzzing: any bytes, any text ------------------------------------------------------------------------
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".tsv", ".txt", ".jsonl", ".json", ".csv.gz"]))
def test_any_bytes_read_or_fail_with_an_input_error(tmp_path, payload, suffix):
    p = tmp_path / f"fuzz{suffix}"
    p.write_bytes(gzip.compress(payload) if suffix.endswith(".gz") else payload)
    _read_or_input_error(p)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=500), suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".json"]))
def test_any_text_reads_or_fails_with_an_input_error(tmp_path, text, suffix):
    p = tmp_path / f"fuzz{suffix}"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    _read_or_input_error(p)


def _read_or_input_error(path):
    try:
        result = read_table_with_errors(path)
    except InputError:
        return
    table = result.table
    assert table["row_id"].tolist() == list(range(1, len(table) + 1))
    assert set(result.errors["row_id"]) <= set(table["row_id"])
    if not result.errors.empty:
        assert (table.loc[table["parse_error"] != "", "row_id"].tolist()) == result.errors["row_id"].tolist()


_CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=8),
    sep=st.sampled_from([",", ";", "\t"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_NONNUMERIC, csv.QUOTE_ALL]),
    broken=st.tuples(st.integers(min_value=0, max_value=8), _CELL, _CELL),
)
def test_what_a_csv_writer_writes_is_read_back_cell_for_cell(tmp_path, cells, sep, quoting, broken):
    p = tmp_path / "round.csv"
    with open(p, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=sep, lineterminator="\r\n", quoting=quoting)
        writer.writerow(["id", "text"])
        writer.writerows(cells)
    result = read_table_with_errors(p)
    assert result.errors.empty
    back = result.table[["id", "text"]].fillna("").values.tolist()
    assert back == [list(row) for row in cells]

    # The same records with one more, over several lines, whose quoted text holds quotes that are
    # not doubled (as hand-edited exports do): it costs exactly that one row, at its first line.
    at, first, last = broken[0] % (len(cells) + 1), broken[1].replace('"', '""'), broken[2].replace('"', '""')
    before, after = _written(cells[:at], sep, quoting), _written(cells[at:], sep, quoting)
    bad = f'9{sep}"{first}\r\n{last} "word" here"\r\n'
    text = _written([("id", "text")], sep, quoting) + before + bad + after
    p.write_text(text, encoding="utf-8", newline="")
    result = read_table_with_errors(p)
    line = 2 + len(re.findall(r"\r\n|\r|\n", before))
    assert [(r.row_id, r.line) for r in result.errors.itertuples()] == [(at + 1, line)]
    assert "not doubled" in result.errors["problem"].iloc[0]
    good = result.table.drop(index=at)[["id", "text"]].fillna("").values.tolist()
    assert good == [list(row) for row in cells]
    # never more rows than records a forgiving csv.reader finds (continuation lines are no rows)
    records = [
        r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if r and (len(r) > 1 or r[0].strip())
    ]
    assert len(result.table) <= len(records) - 1


def _written(rows, sep, quoting):
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\r\n", quoting=quoting).writerows(rows)
    return out.getvalue()


# -- streaming: iter_table_chunks ----------------------------------------------------------------------
def _parquet(path, table):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(table), path, row_group_size=3)


def _stream_workbook(path):
    return _workbook(path, {"Reviews": [["id", "text"], [1, "a"], [None, None], [2, "=b"], [3, "c"], [4, "d"]]})


NASTY = {
    "ragged.csv": "id,text\n1,a\n2,b, c\n3,d\n",
    "short.csv": "id,text,x\n1,a\n2\n",
    "stray.csv": 'id,text\n1,"a\n2,b\n3,c\n',
    "two.csv": 'id,text\n1,"a\n2,b\n3,"c\n',
    "closed.csv": 'id,text\n1,"a\n2,b" x\n3,c\n',
    "multi.csv": 'id,text\n1,"a\n\nb ""q"""\n2,c\n3,"d\r\ne"\n4,e\n',
    "style.csv": 'id,text\n1,"a" b\n2,c\n',
    "undoubled.csv": 'id,text\n1,"ok fine"\n2,"Room was dirty.\nStaff said "sorry, we are full" and left.\nNever again"\n'
    '3,"Parking was expensive"\n4,x\n',
    "stray-last.csv": 'id,text\n1,a\n2,b\n3,"c\n',
    "eol.csv": "id,text\r\n1,a\r2,b\n3,c\r\n\r\n4,d",
    "blank.csv": "\n\nid,text\n\n1,a\n\n\n2,b\n\n",
    "hint.csv": "sep=;\n\nid;text\n1;a,b\n2;c\n",
    "tabs.tsv": "id\ttext\n1\tRoom, fine\n2\tok\n3\t\n",
    "one.csv": "text\nHello, world\nbye\n",
    "dup.csv": "text,id,text,language,row_id\na,1,b,en,9\nc,2,d,fr,8\n",
    "trail.csv": "id,text\n1,a,,\n2,b\n3,c, ,x\n",
    "bom.csv": "\ufeffid,text\n1,Café\n2,ok\n",
    "lines.jsonl": '{"text": "a"}\n{"text": "b\n"x"\n[1]\n\n{"text": "c", "n": 2}\n{"n": 2.5, "t": true}\n',
    "cells.jsonl": '{"id": "1", "text": 42}\n{"id": "2", "text": true}\n{"id": "3", "text": NaN}\n{"id": "4", "text": ""}\n'
    '{"id": "5", "text": null}\n{"id": "6"}\n{"id": 7, "text": "x", "big": 18446744073709551615, "nest": {"a": [1]}}\n',
    "ints.ndjson": '{"n": 1, "b": true, "s": "x"}\n{"n": 2, "b": false}\n{"n": null, "b": true, "s": null}\n{"n": 4}\n',
    "array.json": '[{"text": "a"},\n 3,\n {"text": "c", "n": 1},\n {"n": 2}]',
    "lines.json": '{"text": "a"}\n{"text": "b"}\n',
    "latin.csv": "id,text\n1,Café\n2,naïve – ok\n".encode("cp1252"),
    "utf16.csv": "id,text\n1,Café\n2,ok\n3,\"x\ny\"\n".encode("utf-16"),
    "utf16le.csv": "id,text\n1,Café\n2,ok\n".encode("utf-16-le"),
    "packed.csv.gz": gzip.compress(b'id,text\n1,a\n2,"b\n3,c\n4,d\n'),
    "packed.tsv.gz": gzip.compress(b"id\ttext\n1\ta\n2\tb\n"),
    "packed.jsonl.gz": gzip.compress(b'{"id": 1}\n{"id": "x"}\n{broken\n{"id": 3}\n'),
    "magic.csv": gzip.compress(b"id,text\n1,a\n2,b\n3,c\n"),  # gzip content, plain name
    "table.parquet": lambda p: _parquet(p, {"id": [1, 2, None, 4, 5, 6, 7], "text": ["a", "", None, "=d", "e", "f", "g"],
                                            "x": [1.5, 2.0, None, 4.0, float("nan"), 6.25, 7.0]}),
    "book.xlsx": _stream_workbook,
}  # fmt: skip


def _nasty(tmp_path, name):
    p = tmp_path / name
    make = NASTY[name]
    if callable(make):
        make(p)
    else:
        p.write_bytes(make.encode("utf-8") if isinstance(make, str) else make)
    return p


def _chunked(path, chunk_rows, **kwargs):
    with iter_table_chunks(path, chunk_rows=chunk_rows, **kwargs) as chunks:
        columns, total = chunks.columns, chunks.total_bytes
        parts, fractions = [], []
        for chunk in chunks:
            parts.append(chunk)
            fractions.append(chunks.fraction_read)
            assert list(chunk.table.columns) == columns
            assert chunks.rows_read == sum(len(c.table) for c in parts)
    assert fractions == sorted(fractions) and chunks.fraction_read == 1.0 and total > 0
    assert all(len(c.table) == chunk_rows for c in parts[:-1]) and 0 < len(parts[-1].table) <= chunk_rows
    return parts


def _assert_same_as_whole_read(path, chunk_rows, **kwargs):
    expected = read_table_with_errors(path, **kwargs)
    parts = _chunked(path, chunk_rows, **kwargs)
    table = pd.concat([c.table for c in parts])
    errors = pd.concat([c.errors for c in parts], ignore_index=True)
    if "parse_error" not in expected.table.columns:  # chunks always carry it, so their columns never change
        assert (table.pop("parse_error") == "").all()
    pd.testing.assert_frame_equal(table, expected.table, check_exact=True)
    pd.testing.assert_frame_equal(errors, expected.errors, check_exact=True)


@pytest.mark.filterwarnings("ignore::touchtext.errors.InputWarning")
@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 7, 10_000])
@pytest.mark.parametrize("name", NASTY)
def test_chunks_concatenate_to_the_whole_file_read(tmp_path, name, chunk_rows):
    _assert_same_as_whole_read(_nasty(tmp_path, name), chunk_rows)


@pytest.mark.parametrize("name", ["dup.csv", "lines.jsonl", "book.xlsx"])
def test_chunks_without_row_ids(tmp_path, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        _assert_same_as_whole_read(_nasty(tmp_path, name), 2, add_row_id=False)


def test_chunks_keep_row_ids_line_numbers_and_renamed_columns(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text('id,text,language\n1,a,en\n\n2,"b\nc",fr\n3,"d\n4,x,de\n', encoding="utf-8")
    parts = _chunked(p, 2)
    assert [c.table["row_id"].tolist() for c in parts] == [[1, 2], [3, 4]]
    assert [c.table.index.tolist() for c in parts] == [[0, 1], [2, 3]]
    assert list(parts[0].table.columns) == ["row_id", "id", "text", "language_input", "parse_error"]
    assert parts[0].table["text"].tolist() == ["a", "b\nc"]  # a record over two lines stays whole
    assert parts[1].errors[["row_id", "line"]].values.tolist() == [[3, 6]]
    assert parts[0].errors.empty and parts[0].table["parse_error"].tolist() == ["", ""]
    assert parts[1].table["language_input"].tolist()[1] == "de"


def test_strict_raises_at_the_first_bad_row_after_earlier_chunks(tmp_path):
    p = tmp_path / "stray.csv"
    p.write_text('id,text\n1,a\n2,b\n3,"c\n4,d\n5,"e\n', encoding="utf-8")
    with iter_table_chunks(p, chunk_rows=2, strict=True) as chunks:
        assert len(next(chunks).table) == 2
        with pytest.raises(
            InputError, match=r"stray.csv, line 4: unbalanced quote.*\(1 more row could not be parsed\)\.$"
        ):
            next(chunks)
    with pytest.raises(InputError, match=r"line 4: unbalanced quote.*\(1 more row could not be parsed\)\.$"):
        read_table_with_errors(p, strict=True)


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("header.csv", b"id,text\n\n", "has a header row"),
        ("empty.jsonl", b"\n \n", "is empty"),
        ("nokeys.jsonl", b"{}\n[1]\n", "has no columns"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("cut.csv.gz", gzip.compress(b"id,text\n1,hello\n" * 50)[:30], "not corrupted"),
        ("bad.parquet", b"PAR1 not really", "Parquet"),
        ("x.parquet.gz", b"", "give the Parquet file uncompressed"),
    ],
)
def test_problems_with_the_file_raise_before_any_chunk(tmp_path, name, payload, message):
    p = tmp_path / name
    p.write_bytes(payload)
    with pytest.raises(InputError, match=message):
        iter_table_chunks(p)


def test_a_corrupt_gzip_tail_fails_with_an_input_error_mid_stream(tmp_path):
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(gzip.compress("".join(f"{i},{'word ' * 30}{i}\n" for i in range(20_000)).encode())[:-5000])
    with pytest.raises(InputError, match="not corrupted"), iter_table_chunks(p, chunk_rows=1000) as chunks:
        for _ in chunks:
            pass


def _big_csv(path, rows, text="the room was fine but the staff were rude"):
    with (
        gzip.open(path, "wt", encoding="utf-8", newline="")
        if path.suffix == ".gz"
        else open(path, "w", encoding="utf-8", newline="") as fh
    ):
        fh.write("id,text\n")
        for i in range(rows):
            fh.write(f'{i},"{text} {i}"\n')
    return path


@pytest.mark.parametrize("name", ["big.csv", "big.csv.gz"])
def test_the_file_is_read_as_chunks_are_consumed(tmp_path, name):
    p = _big_csv(tmp_path / name, 200_000)
    with iter_table_chunks(p, chunk_rows=1000) as chunks:
        first = next(chunks)
        assert first.table["row_id"].tolist()[-1] == 1000
        assert 0 < chunks.fraction_read < 0.1  # not the whole file
        assert chunks.total_bytes == p.stat().st_size
        last = collections.deque(chunks, maxlen=1)[0]
    assert last.table["row_id"].iloc[-1] == 200_000


def test_a_quote_never_closed_costs_one_row_not_the_rest_of_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(touchtext_io, "_MAX_RECORD_CHARS", 2000)
    p = tmp_path / "stray.csv"
    p.write_text('id,text\n1,"never closed\n' + "".join(f"{i},line {i}\n" for i in range(2, 400)) + '400,"x""y"\n')
    result = read_table_with_errors(p)
    assert result.errors[["row_id", "line"]].values.tolist() == [[1, 2]]
    assert "unbalanced quote" in result.errors["problem"].iloc[0]
    assert result.table["text"].tolist()[1:3] == ["line 2", "line 3"] and len(result.table) == 400
    assert result.table["text"].iloc[-1] == 'x"y'
    _assert_same_as_whole_read(p, 7)


def test_stray_windows_bytes_deep_in_a_utf8_file_are_read_as_cp1252(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_bytes(
        ("id,text\n" + "".join(f"{i},Café {i}\n" for i in range(10_000))).encode() + "x,Naïve – ok\n".encode("cp1252")
    )
    assert p.stat().st_size > 100_000  # beyond the 64 KB the encoding is judged from
    df = read_table(p)
    assert df["text"].iloc[0] == "Café 0" and df["text"].iloc[-1] == "Naïve – ok"


def test_parquet_cells_are_text_like_a_csv_export(tmp_path):
    import datetime

    p = tmp_path / "t.parquet"
    _parquet(p, {"id": [1, None], "x": [1.5, 2.0], "when": [datetime.datetime(2026, 3, 1), datetime.datetime(2026, 3, 2, 10, 30)],
                 "ok": [True, None], "tags": [["a"], []], "text": ["hi", ""]})  # fmt: skip
    df = read_table(p, add_row_id=False)
    assert df.fillna("").values.tolist() == [
        ["1", "1.5", "2026-03-01", "True", '["a"]', "hi"], ["", "2", "2026-03-02 10:30:00", "", "[]", ""]
    ]  # fmt: skip


def test_a_parquet_dataset_folder_is_read_in_file_order(tmp_path):
    folder = tmp_path / "ds"
    (folder / "part=b").mkdir(parents=True)
    _parquet(folder / "a.parquet", {"id": [1, 2], "text": ["a", "b"]})
    _parquet(folder / "part=b" / "c.parquet", {"id": [3, 4, 5], "text": ["c", "d", "e"]})
    (folder / "_SUCCESS").write_text("")
    assert read_table(folder)["text"].tolist() == list("abcde")
    _assert_same_as_whole_read(folder, 2)
    _parquet(folder / "z.parquet", {"other": [1]})
    with pytest.raises(InputError, match="must share their columns"):
        read_table(folder)


def test_chunk_rows_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="chunk_rows must be a positive integer; got 0"):
        iter_table_chunks(tmp_path / "x.csv", chunk_rows=0)


_MESSY = st.text(st.sampled_from(["a", "b", ",", ";", '"', "\n", "\r", " ", "é", "\t"]), max_size=120)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=_MESSY, header=st.sampled_from(["id,text\n", "id;text;x\n", "text\n", "a\tb\n"]), chunk_rows=st.integers(1, 5)
)
def test_any_messy_csv_reads_the_same_in_chunks(tmp_path, body, header, chunk_rows):
    p = tmp_path / "messy.csv"
    p.write_text(header + body, encoding="utf-8", newline="")
    try:
        expected = read_table_with_errors(p)
    except InputError:
        with pytest.raises(InputError):
            iter_table_chunks(p)
        return
    assert len(expected.table) >= 1
    _assert_same_as_whole_read(p, chunk_rows)


_JSON_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-(2**65), 2**65), st.floats(), st.text(max_size=3),
                        st.lists(st.integers(), max_size=2))  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(
        st.one_of(st.dictionaries(st.sampled_from("abc"), _JSON_VALUE, max_size=3), st.just("{broken")),
        min_size=1,
        max_size=8,
    ),
    chunk_rows=st.integers(1, 4),
)
def test_any_json_lines_read_the_same_in_chunks(tmp_path, records, chunk_rows):
    p = tmp_path / "r.jsonl"
    p.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", encoding="utf-8")
    try:
        read_table_with_errors(p)
    except InputError:
        return
    _assert_same_as_whole_read(p, chunk_rows)


# -- appending atomic writes ---------------------------------------------------------------------------
_AWKWARD = pd.DataFrame(
    {
        "text": ["=1+1", "a\nb", "c\rd", 'say "hi"', "-3.5", "-x", None, "\tx", "+1 555", "fine", "@SUM(A1)", ""],
        "n": range(12),
        "x": [0.1, float("nan"), 2.5, 1e20, -0.0, 3.0, 1.25, 7.0, 8.5, 9.0, 1 / 3, 2.0],
        "mixed": [1, "=a", None, 2.5, True, "b", "-1", "+", "x\r\n=y", 3, "@", "q"],
        "cat": pd.Categorical(["=c", "d", None, "=c", "d", "d", "=c", "d", "d", "d", "d", "d"]),
        "=name": ["1"] * 12,
    }
)


def test_format_csv_chunks_concatenate_to_write_csv(tmp_path):
    whole = write_csv(_AWKWARD, tmp_path / "whole.csv").read_bytes()
    for size in (1, 5, 12):
        pieces = [_AWKWARD.iloc[i : i + size] for i in range(0, len(_AWKWARD), size)]
        text = format_csv(pieces[0], header=True) + "".join(format_csv(p, header=False) for p in pieces[1:])
        assert text.encode("utf-8") == whole
        with AppendingCsv(tmp_path / f"app{size}.csv") as out:
            out.append(pieces[0])
            for piece in pieces[1:]:
                out.append_text(format_csv(piece, header=False))
        assert (tmp_path / f"app{size}.csv").read_bytes() == whole
    assert not list(tmp_path.glob(".*.tmp"))


def test_csv_bytes_are_formatted_a_slice_at_a_time_to_the_same_text(tmp_path, monkeypatch):
    """format_csv_bytes formats big frames in slices (bounded memory): the UTF-8 of format_csv."""
    import touchtext.io as io_module

    monkeypatch.setattr(io_module, "_FORMAT_ROWS", 5)
    big = pd.concat([_AWKWARD] * 3, ignore_index=True).assign(emoji="café 🙂")  # 36 rows: slices of 5, then 1
    for header in (True, False):
        assert format_csv_bytes(big, header=header) == format_csv(big, header=header).encode("utf-8")
    assert format_csv_bytes(big.iloc[:0]) == format_csv(big.iloc[:0]).encode("utf-8")  # the header alone
    with AppendingCsv(tmp_path / "bytes.csv") as out:
        out.append(big.iloc[:7])
        out.append_bytes(format_csv_bytes(big.iloc[7:], header=False))
    assert (tmp_path / "bytes.csv").read_bytes() == write_csv(big, tmp_path / "whole.csv").read_bytes()


@pytest.mark.parametrize("kernel_copy", ["works", "unsupported", "fails_midway"])
def test_appending_csv_appends_part_files_as_written(tmp_path, monkeypatch, kernel_copy):
    """Parts written by worker processes are appended by the kernel (`os.copy_file_range`), or by
    copying where it cannot (another file system, an older kernel, a failure after some bytes)."""
    import os

    real = getattr(os, "copy_file_range", None)
    calls = []

    def copy_file_range(src, dst, count, offset_src=None, offset_dst=None):
        calls.append(count)
        if kernel_copy == "unsupported" or (kernel_copy == "fails_midway" and len(calls) > 1):
            raise OSError(18, "Invalid cross-device link")
        if kernel_copy == "fails_midway":
            count = min(count, 7)  # a short copy, then the failure
        if real is None:
            os.lseek(src, offset_src or 0, os.SEEK_SET)
            return os.write(dst, os.read(src, count))
        return real(src, dst, count, offset_src, offset_dst)

    monkeypatch.setattr(os, "copy_file_range", copy_file_range, raising=False)
    big = pd.concat([_AWKWARD] * 3, ignore_index=True)
    parts = []
    for k, piece in enumerate([big.iloc[5:17], big.iloc[17:18], big.iloc[18:]]):
        part = tmp_path / f"{k}.part"
        part.write_bytes(format_csv_bytes(piece, header=False))
        parts.append(part)
    with AppendingCsv(tmp_path / "parts.csv") as out:
        out.append(big.iloc[:5])
        out.append_file(parts[0])
        out.append_bytes(format_csv_bytes(big.iloc[:0], header=False))  # nothing: no header either
        out.append_file(parts[1])
        out.append_file(parts[2])
    assert (tmp_path / "parts.csv").read_bytes() == write_csv(big, tmp_path / "whole.csv").read_bytes()
    assert calls  # the kernel copy was tried


_CSV_TEXT = st.one_of(
    st.none(),
    st.text(st.sampled_from(list("ab ,\"\r\n=+-@\t'é🙂\x00")), max_size=8),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            _CSV_TEXT,
            _CSV_TEXT,
            st.integers(-(2**63), 2**63 - 1),
            st.booleans(),
            st.floats(allow_nan=True, allow_infinity=True),
        ),
        min_size=1,
        max_size=12,
    ),
    string_dtype=st.sampled_from(["object", "str"]),
)
def test_arrow_built_csv_rows_are_what_pandas_writes(rows, string_dtype):
    """Text, integer and boolean columns are written with Arrow's kernels, 64-bit floats with
    Python's repr, dates by pandas: every byte must be what pandas' csv writer makes (quoting,
    doubled quotes, missing cells, CR/LF, float text)."""
    frame = pd.DataFrame(rows, columns=["a", 'b, "c"', "n", "flag", "x"])
    frame = frame.astype({"a": string_dtype, 'b, "c"': object})
    expected = io_module_neutralized(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8")
    assert format_csv_bytes(frame) == expected
    with_nul = any(isinstance(v, str) and "\x00" in v for v in [*frame["a"], *frame['b, "c"']])
    assert (_arrow_csv_rows(frame) is None) == with_nul  # NUL: left to pandas
    nullable = frame.astype({"x": "Float64", "n": "int32"}).assign(when=pd.Timestamp("2026-01-02 03:04:05"))
    expected = io_module_neutralized(nullable).to_csv(index=False, header=False, lineterminator="\r\n")
    assert format_csv_bytes(nullable, header=False) == expected.encode("utf-8")


def io_module_neutralized(frame):
    from touchtext.io import _neutralized

    return _neutralized(frame)


@settings(max_examples=100, deadline=None)
@given(
    cells=st.lists(
        st.one_of(st.none(), st.integers(-5, 5), _CELL, st.sampled_from(["-1", "+2.5", "=x", "-", "@", "\r="])),
        max_size=20,
    )
)
def test_vectorized_formula_neutralizing_matches_per_cell(cells):
    column = pd.Series(cells, dtype=object)
    assert _neutralized_column(column).tolist() == [_neutralize(v) for v in cells]
    text = [c for c in cells if isinstance(c, str)]
    assert _neutralized_column(pd.Series(text, dtype=str)).tolist() == [_neutralize(v) for v in text]


def test_appending_csv_aborts_on_error_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "classified.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), AppendingCsv(target) as out:
        out.append(pd.DataFrame({"a": [1]}))
        raise RuntimeError("crash mid-run")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["classified.csv"]
    with AppendingCsv(target) as out:
        out.append(pd.DataFrame({"a": []}))  # header only
    assert target.read_text() == "a\n"  # CRLF read back as text
    with pytest.raises(ValueError, match="already committed"):
        out.append(pd.DataFrame({"a": [1]}))


def test_commit_all_renames_only_after_every_file_is_synced(tmp_path, monkeypatch):
    first, second = AppendingCsv(tmp_path / "a.csv"), AppendingCsv(tmp_path / "b.csv")
    first.append(pd.DataFrame({"x": [1]}))
    second.append(pd.DataFrame({"y": [2]}))
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    real_replace = os.replace

    def replace(src, dst):
        assert len(synced) >= 2  # both files fsynced before the first rename
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    assert commit_all([first, second]) == [tmp_path / "a.csv", tmp_path / "b.csv"]
    assert (tmp_path / "b.csv").read_text() == "y\n2\n"


_KILL_SCRIPT = """
import sys, pandas as pd
from touchtext.io import AppendingCsv
out = AppendingCsv(sys.argv[1])
chunk = pd.DataFrame({"id": range(1000), "text": ["some text, with a comma"] * 1000})
out.append(chunk)
print(out.temp_path, flush=True)
while True:
    out.append(chunk)
"""


@pytest.mark.parametrize("existing", [None, "old results\r\n"])
def test_a_killed_writer_leaves_no_half_written_file(tmp_path, existing):
    target = tmp_path / "classified.csv"
    if existing is not None:
        target.write_bytes(existing.encode())
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, str(target)], stdout=subprocess.PIPE, text=True)
    temp = Path(proc.stdout.readline().strip())
    deadline = time.monotonic() + 30
    while temp.stat().st_size < 1_000_000 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert temp.name.startswith(".classified.csv.") and temp.name.endswith(".tmp") and temp.stat().st_size > 0
    if existing is None:
        assert not target.exists()
    else:
        assert target.read_bytes() == existing.encode()
