import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from touchtext.cleaning import clean, clean_text


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


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_cleaner_is_total_idempotent_and_bounded(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert len(once) <= 2 * len(text) + 8
