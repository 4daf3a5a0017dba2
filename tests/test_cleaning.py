import math
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from touchtext import cleaning
from touchtext._alignment import Aligned
from touchtext.cleaning import CleaningSettings, clean, clean_one, clean_text, load_cleaning_config, sentences, with_pii
from touchtext.errors import InputError
from touchtext.redaction import Redactor
from touchtext.transcripts import clean_turn_text, parse_turns


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Great <b>staff</b></p><br/>will be back", "Great staff\n\nwill be back"),
        ("Fish &amp; chips &#39;meh&#39;", "Fish & chips 'meh'"),
        ("donâ€™t book here", "don't book here"),
        ("Soooooo slow!!!!!!", "Soo slow!!!"),
        ("  lots   of\tspace \n\n\n\nnew para ", "lots of space\n\nnew para"),
        ("The spa was 😍😍 but wifi 👎", "The spa was 😍😍 but wifi 👎"),
        ("Ｆｕｌｌ width", "Full width"),
        ("a\r\nb\rc", "a\nb\nc"),
    ],
)
def test_clean_text_cases(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize("value", [None, float("nan"), 42, 3.5, True])
def test_non_text_cells_become_empty(value):
    assert clean_text(value) == ""


def test_clean_adds_column_and_keeps_every_row():
    df = pd.DataFrame({"id": [1, 2, 3], "text": ["<i>ok</i>", math.nan, "fine  thanks"]})
    out = clean(df, text_column="text")
    assert out["clean_text"].tolist() == ["ok", "", "fine thanks"]
    assert out["id"].tolist() == [1, 2, 3]
    assert "clean_text" not in df.columns  # input untouched


def test_clean_keeps_an_input_column_named_like_its_own():
    df = pd.DataFrame({"clean_text": ["<i>ok</i>"], "language": ["fr"]})
    out = clean(df, text_column="clean_text")
    assert out.loc[0, ["clean_text_input", "language_input", "clean_text"]].tolist() == ["<i>ok</i>", "fr", "ok"]


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["review", "ticket", "transcript"]))
def test_cleaner_is_total_idempotent_and_bounded(text, source):
    """Never raises, never grows much; reviews and tickets clean to a fixed point, and so does the
    text of every transcript turn (a transcript's output is customer text, not a transcript)."""
    once = clean_text(text, source)
    assert len(once) <= 2 * len(text) + 16
    if source == "transcript":
        for turn in parse_turns(text)[0]:
            cleaned = clean_turn_text(Aligned(turn.text)).text
            assert clean_turn_text(Aligned(cleaned)).text == cleaned
    else:
        assert clean_text(once, source) == once


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Agent:",
                "Customer:",
                "[00:01:02] Speaker 1:",
                "um",
                "\n",
                "Subject: x\n",
                "> quoted",
                "Sent from my iPhone",
                "call 07700 900123",
                "<b>",
                "&amp;",
                "★★☆",
                "Rated 2 out of 5",
                "-- ",
                "Regards,",
                "Jo",
                "é",
                "â€™",
                " ",
            ]
        ),
        max_size=25,
    )
)
def test_cleaner_on_structured_noise(parts):
    text = "".join(parts)
    for source in ("review", "ticket"):
        once = clean_text(text, source)
        assert clean_text(once, source) == once
    assert len(clean_text(text, "transcript")) <= 2 * len(text) + 16


def test_offsets_point_back_into_the_raw_text():
    raw = "<p>Great staff &amp; lovely breakfast.</p><p>But the car park was closed!!!!!</p>"
    table = sentences(pd.DataFrame({"text": [raw]}))
    assert table["text"].tolist() == ["Great staff & lovely breakfast.", "But the car park was closed!!!"]
    first, second = table.to_dict("records")
    assert raw[first["original_start"] : first["original_end"]] == "Great staff &amp; lovely breakfast."
    assert raw[second["original_start"] : second["original_end"]] == "But the car park was closed!!!!!"


def test_transcript_sentences_map_into_the_transcript():
    raw = "Agent: Hello, how can I help?\nCustomer: My router never arrived. I waited all week."
    table = sentences(pd.DataFrame({"transcript": [raw]}))
    assert table["text"].tolist() == ["My router never arrived.", "I waited all week."]
    for row in table.to_dict("records"):
        assert raw[row["original_start"] : row["original_end"]] == row["text"]


def test_rating_boilerplate_is_removed_but_kept_in_the_row():
    out = clean(
        pd.DataFrame({"review": ["Rated 2 out of 5. Noisy room.", "★★★★☆ lovely", "I'd give it 2/5 for effort"]})
    )
    assert out["clean_text"].tolist() == ["Noisy room.", "lovely", "I'd give it 2/5 for effort"]
    assert out["text_rating"].tolist()[:2] == [2.0, 4.0] and pd.isna(out["text_rating"].iloc[2])


def test_auto_detection_per_file_and_per_row():
    df = pd.DataFrame({
        "channel": ["email", "chat", "google"],
        "text": ["Subject: bill\n\nWrong amount.\n\nSent from my iPhone", "Agent: hi\nCustomer: my bill is wrong",
                 "Great stay"],
    })  # fmt: skip
    out = clean(df)
    assert out["source_kind"].tolist() == ["ticket", "transcript", "review"]
    assert out["clean_text"].tolist() == ["bill.\nWrong amount.", "my bill is wrong", "Great stay"]
    tickets = clean(pd.DataFrame({"subject": ["Router"], "body": ["Never arrived.\n\nThanks,\nJo"]}))
    assert tickets.loc[0, "source_kind"] == "ticket" and tickets.loc[0, "clean_text"] == "Router.\nNever arrived."


def test_unknown_source_is_explained():
    with pytest.raises(InputError, match="Unknown source 'email'; use one of auto, review, ticket, transcript"):
        clean(pd.DataFrame({"text": ["x"]}), source="email")


def test_keep_pii_and_config(tmp_path):
    config = tmp_path / "clean.toml"
    config.write_text(
        '[redaction]\nallow = ["help@acme.example"]\n[[redaction.pattern]]\ntype = "MEMBER"\nregex = "M-\\\\d{4}"\n'
    )
    settings = load_cleaning_config(config)
    text = "write to help@acme.example or jo@home.example, member M-1234"
    assert clean_text(text, settings=settings) == "write to help@acme.example or [EMAIL], member [MEMBER]"
    assert clean_text(text, settings=with_pii(settings, keep_pii=True)) == text
    bad = tmp_path / "bad.toml"
    bad.write_text('[[redaction.pattern]]\ntype = "X"\nregex = "("\n')
    with pytest.raises(InputError, match="invalid regex"):
        load_cleaning_config(bad)


def test_raw_columns_are_redacted_too_unless_kept():
    df = pd.DataFrame({"subject": ["Call me on 07700 900123"], "body": ["Email jo@home.example please.\n\nJo"]})
    out = clean(df)
    assert out.loc[0, "subject"] == "Call me on [PHONE]"
    assert out.loc[0, "body"] == "Email [EMAIL] please.\n\nJo"
    kept = clean(df, settings=with_pii(None, keep_pii=True))
    assert kept.loc[0, "body"] == df.loc[0, "body"]


# -- limits, words and languages (issue 9) -----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Short.", 20, "Short."),
        ("One two three. Four five six seven", 30, "One two three. Four five six"),  # last word end
        ("One two three four five. Six seven", 30, "One two three four five."),  # sentence end in the last quarter
        ("x" * 50, 20, "x" * 20),  # no boundary at all: a hard cut
    ],
)
def test_cut_prefers_sentence_then_word_boundaries(text, limit, expected):
    from touchtext.cleaning import _cut

    assert _cut(text, limit) == expected


def test_long_texts_are_truncated_and_flagged():
    settings = CleaningSettings(max_chars=100, redact_pii=False)
    long = "The room was dirty. " * 20  # 400 characters
    item = clean_one(long, "review", settings=settings)
    assert item.status == "too_long_truncated" and len(item.text) <= 100 and item.text.endswith("dirty.")
    assert "truncated_from:400" in item.notes
    huge = "word " * 10_000  # over RAW_LIMIT_FACTOR x max_chars: cut before cleaning
    item = clean_one(huge, "review", settings=settings)
    assert item.status == "too_long_truncated" and len(item.text) <= 100 and "truncated_from:50000" in item.notes
    assert clean_one("The room was dirty.", settings=settings).status == "ok"


def test_a_five_megabyte_cell_is_truncated_and_its_whole_raw_cell_redacted():
    """spaCy refuses texts over 1,000,000 characters: the raw cell is redacted in chunks."""
    phone = "Call me on 07700 900123 about it. "
    cell = phone + "The room was dirty and the staff were rude. " * 113_000 + phone  # 5 MB
    out = clean(pd.DataFrame({"text": [cell]}))
    assert out.loc[0, "clean_status"] == "too_long_truncated" and len(out.loc[0, "clean_text"]) <= 20_000
    assert out.loc[0, "clean_text"].startswith("Call me on [PHONE] about it.")
    raw = out.loc[0, "text"]
    assert "07700" not in raw and raw.count("[PHONE]") == 2 and len(raw) == len(cell) - 2 * (12 - 7)


@pytest.mark.parametrize(
    ("text", "status", "language"),
    [
        ("😍😍👍", "empty", "und"),
        ("?!?! ... ***", "empty", "und"),
        ("", "empty", "und"),
        ("The staff were lovely but the room was cold", "ok", "en"),
        ("ok 👍", "ok", "und"),  # too short to tell: treated as the model's language
        ("Das Zimmer war kalt und das Personal unfreundlich", "ok", "de"),  # classification decides what to do
        ("房间很干净，但是服务员态度很差", "ok", "zh"),
    ],
)
def test_status_and_language_columns(text, status, language):
    out = clean(pd.DataFrame({"text": [text]}))
    assert out.loc[0, "clean_status"] == status and out.loc[0, "language"] == language


def test_rows_the_reader_could_not_parse_become_parse_error_rows():
    df = pd.DataFrame({"row_id": [1, 2], "text": ["fine room", None], "parse_error": ["", "line 3: 3 fields"]})
    out = clean(df)
    assert out["clean_status"].tolist() == ["ok", "parse_error"]
    assert out.loc[1, "clean_notes"] == "line 3: 3 fields" and "parse_error" not in out.columns


_ANY_CELL = st.one_of(st.text(max_size=300), st.none(), st.integers(), st.floats(), st.booleans())


@settings(max_examples=200, deadline=None)
@given(st.lists(_ANY_CELL, min_size=1, max_size=6))
def test_clean_never_raises_and_keeps_one_row_per_input_row(cells):
    out = clean(pd.DataFrame({"id": range(len(cells)), "text": pd.Series(cells, dtype=object)}), text_column="text")
    assert out["id"].tolist() == list(range(len(cells)))
    assert set(out["clean_status"]) <= {"ok", "empty", "too_long_truncated", "auto_reply"}
    assert all(isinstance(lang, str) and lang for lang in out["language"])
    assert all((status == "empty") == (not any(ch.isalnum() for ch in text))
               for status, text in zip(out["clean_status"], out["clean_text"], strict=True) if status != "auto_reply")  # fmt: skip


# -- fast paths must give what the slow paths give ---------------------------------------------
_TRICKY = [
    "Great stay, call me on 07700 900123",
    "<p>Call&nbsp;me: 07700&#160;900123</p>",  # the number is only whole after cleaning
    "Mail ann@example.com &amp; ask for Mr Smith",
    "donâ€™t book, my wife Maria agrees. Thanks,\nJo",
    "Soooo   slow!!!!! Rated 2 out of 5",
    "★★☆☆☆ 14 Harbour Road was noisy",
    "plain ascii review with nothing to change",
    "tabs\tand\u00a0odd\u2003spaces, line\nbreaks",
    "Ｆｕｌｌ width ＩＢＡＮ GB82 WEST 1234 5698 7654 32",
    "I'd give it 2/5 for effort, 3 of 10 times",
]


def test_clean_matches_a_row_by_row_clean_with_a_fresh_redactor():
    df = pd.DataFrame({"review_text": _TRICKY * 2, "subject": ["Call 07700 900123", None, "Hi", ""] * 5})
    out = clean(df, source="review")
    fresh = Redactor()

    def redact_alone(text: object) -> object:
        fresh._recent.clear()  # nothing remembered from other texts
        return fresh.redact_text(text) if isinstance(text, str) else text

    for i, raw in enumerate(df["review_text"]):
        assert out["review_text"][i] == redact_alone(raw)
        fresh._recent.clear()
        assert out["clean_text"][i] == clean_one(raw, "review", redactor=fresh).text
        got, expected = out["subject"][i], redact_alone(df["subject"][i])
        assert got == expected or (pd.isna(got) and pd.isna(expected))


@given(st.text(alphabet=st.sampled_from("aaAB!?. .\n\t\u00a0\u2003\r\x0bé★ 25/of"), max_size=30) | st.text(max_size=30))
@settings(max_examples=1000, deadline=None)
def test_quick_tests_only_skip_texts_the_regexes_would_not_change(text):
    if not cleaning._may_repeat_or_space(text):
        assert cleaning._REPETITION_AND_SPACING.search(text) is None
    rating_text = "Rated " + text
    _, rating = cleaning._extract_rating(Aligned(rating_text))
    if not cleaning._RATING_CORE.search(rating_text) and "★" not in text and "☆" not in text:
        assert cleaning._RATING.search(rating_text) is None and rating is None


_RUN_ALPHABET = st.sampled_from("aaaAAzZ!!??..  ,\n\x00é€😀\ud800★")


@given(st.text(alphabet=_RUN_ALPHABET, max_size=40) | st.text(max_size=40))
@settings(max_examples=1000, deadline=None)
def test_the_quick_repetition_test_reads_runs_as_the_regexes_do(text):
    """The byte-level run search says what the straightforward regex test says."""
    straightforward = (
        not text.isprintable()
        or any(mark in text for mark in ("  ", "!!!!", "????", "...."))
        or re.search(r"([a-zA-Z])\1\1", text) is not None
    )
    assert cleaning._may_repeat_or_space(text) == straightforward


@pytest.mark.parametrize(
    "path", ["data/samples/reviews.csv", "data/samples/tickets.jsonl", "data/samples/transcripts.jsonl"]
)
def test_a_source_rule_tells_kinds_as_row_sources_does_and_applies_to_later_chunks(path):
    from touchtext.cleaning import row_sources, source_rule
    from touchtext.io import read_table

    table = read_table(path)
    rule = source_rule(table)
    assert rule.kinds(table) == row_sources(table)
    halves = [table.iloc[: len(table) // 2], table.iloc[len(table) // 2 :]]
    first_rule = source_rule(halves[0])  # decided on the first half only: however the rest is cut, same kinds
    assert first_rule.kinds(halves[0]) + first_rule.kinds(halves[1]) == first_rule.kinds(table)


def test_a_trusted_source_column_is_decided_once_from_the_first_chunk():
    from touchtext.cleaning import source_rule

    first = pd.DataFrame({"source": ["ticket"] * 9 + ["?"], "text": ["My bill is wrong"] * 10})
    later = pd.DataFrame({"source": ["??"] * 10, "text": ["Agent: hello\nCustomer: my bill is wrong"] * 10})
    rule = source_rule(first)
    assert rule.source_column == "source"
    assert rule.kinds(later) == ["transcript"] * 10  # unknown kinds are sniffed, row by row
    assert clean(later, source=rule.kinds(later))["source_kind"].tolist() == ["transcript"] * 10


def test_per_row_kinds_must_match_the_rows():
    with pytest.raises(InputError, match="one of review, ticket, transcript for each of the 2 rows"):
        clean(pd.DataFrame({"text": ["a", "b"]}), source=["review"])
