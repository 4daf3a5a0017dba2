import json

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from touchtext import schema
from touchtext.language import Sentence
from touchtext.model import Mention, mentions_to_columns


def test_clashing_input_columns_get_a_free_name():
    columns = ["text", "status", "language", "language_input", "row_id"]
    assert schema.clashing_inputs(columns, added={"status", "language"}) == {
        "status": "status_input",
        "language": "language_input_2",
    }
    assert schema.clashing_inputs(["text", "row_id"]) == {"row_id": "row_id_input"}
    df = pd.DataFrame(columns=["text", "status"])
    renamed, text = schema.set_aside_clashes(df, {"status", "text"}, "text")
    assert list(renamed.columns) == ["text_input", "status_input"] and text == "text_input"
    assert schema.set_aside_clashes(df, {"language"}, None)[0] is df


# Any text, including quotes, backslashes, control characters, non-ASCII, emoji and lone surrogates.
any_texts = st.text(st.characters(exclude_categories=()), max_size=40)
# What a DataFrame column can hold (Arrow strings refuse lone surrogates).
column_texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
confidences = st.floats(allow_nan=True, allow_infinity=True) | st.floats(0, 1) | st.integers(-(10**6), 10**6)


@st.composite
def mention_lists(draw: st.DrawFn, texts: st.SearchStrategy[str] = any_texts) -> list[Mention]:
    sentences = st.builds(Sentence, texts, st.integers(-(10**20), 10**20), st.integers(0, 10**6))
    out = []
    for _ in range(draw(st.integers(0, 4))):
        evidence = tuple(draw(st.lists(sentences, max_size=3)))
        own = draw(st.booleans())
        moods = tuple(draw(st.lists(texts, min_size=len(evidence), max_size=len(evidence)))) if own else ()
        out.append(Mention(draw(texts), draw(confidences), draw(texts), draw(confidences), evidence, moods))
    return out


@settings(max_examples=400, deadline=None)
@given(mention_lists())
def test_mentions_json_is_what_json_dumps_writes(mentions):
    """The hand-written MENTIONS JSON is byte for byte json.dumps of the mentions' to_dict forms."""
    rows = schema.MentionRows()
    cells = mentions_to_columns(mentions, 7, rows)
    assert cells[3] == json.dumps([m.to_dict() for m in mentions], ensure_ascii=False)
    assert repr(rows) == repr(schema.MentionRows.from_decoded([(7, [m.to_dict() for m in mentions])]))  # NaN-safe


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.booleans(), st.none(), st.floats(allow_nan=True), st.text(max_size=3)))
def test_unusual_offsets_are_left_to_json(offset):
    """Offsets of types json writes its own way (true, null, NaN, a string) still come out as json writes them."""
    rows = schema.MentionRows()
    evidence = [("text", offset, offset, "negative")]
    expected = {"touchpoint": "t", "sentiment": "negative", "confidence": 0.5, "sentiment_confidence": 0.25,
                "evidence": [{"text": "text", "start": offset, "end": offset, "sentiment": "negative"}]}  # fmt: skip
    assert rows.add(1, "t", "negative", 0.5, 0.25, evidence) == json.dumps(expected, ensure_ascii=False)


def _classified(cells: list[str], row_ids: list[object]) -> pd.DataFrame:
    return pd.DataFrame({schema.ROW_ID: row_ids, schema.MENTIONS: cells})


@settings(max_examples=150, deadline=None)
@given(st.lists(mention_lists(column_texts), min_size=1, max_size=5), st.booleans())
def test_tables_from_kept_mentions_equal_tables_from_the_json(rows_of_mentions, repeat_ids):
    """mention_table and sentence_table give the same frames (values and dtypes) from the MentionRows
    kept while classifying as from the MENTIONS JSON read back, duplicate row ids included."""
    row_ids = [i // 2 if repeat_ids else i for i in range(len(rows_of_mentions))]
    kept = schema.MentionRows()
    cells = [mentions_to_columns(ms, row_id, kept)[3] for row_id, ms in zip(row_ids, rows_of_mentions, strict=True)]
    classified = _classified(cells, row_ids)
    for table in (schema.mention_table, schema.sentence_table):
        from_kept, from_json = table(classified, decoded=kept), table(classified)
        pd.testing.assert_frame_equal(from_kept, from_json)
        assert list(from_kept.dtypes) == list(from_json.dtypes)
