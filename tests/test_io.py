import gzip
import json

import pandas as pd
import pytest

from touchtext.errors import InputError
from touchtext.io import atomic_path, detect_text_column, read_table, write_csv, write_text


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
