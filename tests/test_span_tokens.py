"""`SpanTokenizer` gives exactly spaCy's tokens (ORTH, IDX, LENGTH), with spaCy called once per span."""

import numpy as np
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.attrs import IDX, LENGTH, ORTH

from touchtext import _span_tokens
from touchtext._span_tokens import SpanTokenizer

# Words spaCy splits its own way (special cases, affixes, URLs, emoticons), and whitespace of every kind.
FRAGMENTS = ["don't", "gonna", "a.m.", "U.S.", ":)", ":(", "(", ")", "''", "'", "-", "x", "Mr.", "5pm", "e-mail",
             "booking.com", "http://example.com/a?b=1", "[PHONE]", "naïve", "İstanbul", "😀", "’s", "...", "!!", "o:",
             "(._.)", "^_^", "10a.m.", "'cause", "y'all", "€20", "#42", "-_-", "<3", "Let's", "N.Y.", "etc."]  # fmt: skip
SPECIAL_CASES = sorted(spacy.blank("en").tokenizer.rules)  # "''", "(._.)", "a.m.", "gonna", ...
SEPARATORS = [" ", " ", " ", "", "  ", "\n", "\t", " \n ", "\n\n", "\u00a0", "\u2009", "\x1c", " \u00a0"]


def reference(nlp, texts):
    """spaCy's own tokens of each text, as `SpanTokenizer.table` returns them."""
    arrays = [nlp.tokenizer(t).to_array([ORTH, IDX, LENGTH]).reshape(-1, 3).astype(np.int64) for t in texts]
    return np.concatenate([np.zeros((0, 3), dtype=np.int64), *arrays]), [len(a) for a in arrays]


def assert_same_as_spacy(nlp, tokenizer, texts):
    rows, counts = tokenizer.table(texts)
    expected_rows, expected_counts = reference(nlp, texts)
    assert counts.tolist() == expected_counts, texts
    assert np.array_equal(rows, expected_rows), texts


@pytest.fixture(scope="module")
def english():
    nlp = spacy.blank("en")
    return nlp, SpanTokenizer(nlp.tokenizer)


texts_strategy = st.lists(
    st.builds(
        lambda parts: "".join(parts),
        st.lists(
            st.one_of(
                st.sampled_from(FRAGMENTS),
                st.sampled_from(SPECIAL_CASES),
                st.sampled_from(SEPARATORS),
                st.text(max_size=6),
            ),
            max_size=12,
        ),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(texts=texts_strategy)
def test_tokens_equal_spacys_for_any_text(english, texts):
    assert_same_as_spacy(*english, texts)


@pytest.mark.parametrize("lang", ["de", "fr", "es", "nl"])
@settings(max_examples=60, deadline=None)
@given(texts=texts_strategy)
def test_tokens_equal_spacys_in_other_languages(lang, texts):
    nlp = spacy.blank(lang)
    assert_same_as_spacy(nlp, SpanTokenizer(nlp.tokenizer), texts)


def test_special_cases_across_spans_are_tokenized_whole(english):
    """Texts where a special case matches across two spans, so spaCy's doc-wide special-case pass
    tokenizes them otherwise than span by span ("x:( )x": ":(" and ")" against "( )")."""
    nlp, tokenizer = english
    texts = ["x:( )x", "x(._. )x", "x( o:x", "x:) ))x", "x> :(x", "it's '' fine", "ok :( ) sad", "a  :(  )  b"]
    assert_same_as_spacy(nlp, tokenizer, texts)
    assert tokenizer._joins(*_codes(tokenizer, ["x:( )x"])).tolist() == [0]  # "x:(" with ")x"


def _codes(tokenizer, texts):
    """The (head, tail, text) arrays `table` checks for special cases across spans."""
    segments = [segment for text in texts for segment in _span_tokens._segments(text)[0]]
    ids = [tokenizer._ids[s] if s in tokenizer._ids else tokenizer._add(s) for s in segments]
    _, _, _, head, tail = tokenizer._spans[:, ids]
    return head, tail, np.zeros(len(ids), dtype=np.int64)


def test_texts_of_single_spaced_words_take_the_split_path():
    assert _span_tokens._segments("Bags arrived late.") == (["Bags", "arrived", "late."], True)
    assert _span_tokens._segments(" a  b\nc ") == ([" ", "a ", " ", "b", "\n", "c "], False)
    assert _span_tokens._segments("") == ([], False)


def test_non_text_counts_as_empty(english):
    nlp, tokenizer = english
    rows, counts = tokenizer.table([None, 3.2, "", "ok then"])
    assert counts.tolist() == [0, 0, 0, 2]
    assert np.array_equal(rows, reference(nlp, ["ok then"])[0])
    assert tokenizer.table([])[1].tolist() == []


def test_the_span_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(_span_tokens, "_MAX_CACHED_SPANS", 50)
    nlp = spacy.blank("en")
    tokenizer = SpanTokenizer(nlp.tokenizer)
    batches = [[f"word{i}-{j} and {j}th time, isn't it?" for j in range(30)] for i in range(6)]
    for texts in batches:
        assert_same_as_spacy(nlp, tokenizer, texts)
        assert len(tokenizer._ids) < 50 + 3 * 30  # cleared before a batch once it holds 50 spans
