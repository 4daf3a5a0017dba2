import csv
import gzip
import io
import json
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from touchtext.errors import InputError, InputWarning
from touchtext.io import (
    atomic_path,
    detect_text_column,
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
