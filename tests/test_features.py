"""The cached TF-IDF vectorizer must give exactly scikit-learn's matrices, only faster."""

from __future__ import annotations

import copy
import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from touchtext._features import CachedTfidfVectorizer, SentenceNgrams

CUSTOMER_TEXT = [
    "The parcel arrived late and the box was crushed!!",
    "Refund still not processed after 3 weeks.\nCalled twice, nobody called back.",
    "great staff, great coffee, terrible parking",
    "",
    "a",
    "Ça coûte trop cher — 20 € pour le parking?",
    "ok   ok\tok\n\n\nok",
    "x y z",
]


def _as_sklearn(vectorizer: CachedTfidfVectorizer) -> TfidfVectorizer:
    plain = copy.deepcopy(vectorizer)
    plain.__class__ = TfidfVectorizer
    return plain


def _assert_same(a, b) -> None:
    a, b = a.tocsr(), b.tocsr()
    a.sort_indices()
    b.sort_indices()
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-6)


@pytest.mark.parametrize("ngram_range", [(2, 5), (1, 3), (3, 3)])
def test_char_ngrams_equal_scikit_learn(ngram_range, labeled_corpus) -> None:
    texts = labeled_corpus["text"].tolist()[:400] + CUSTOMER_TEXT
    vectorizer = CachedTfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, min_df=2, sublinear_tf=True,
                                       max_features=5000, dtype=np.float32).fit(texts)  # fmt: skip
    unseen = labeled_corpus["text"].tolist()[400:700] + CUSTOMER_TEXT
    _assert_same(vectorizer.transform(unseen), _as_sklearn(vectorizer).transform(unseen))
    _assert_same(vectorizer.transform(unseen), _as_sklearn(vectorizer).transform(unseen))  # from the warm cache


def test_sentence_ngrams_never_cross_a_line_end() -> None:
    assert SentenceNgrams((1, 2))("the room\nbe dirty") == ["the", "room", "the room", "be", "dirty", "be dirty"]
    assert SentenceNgrams((2, 3))("a b c") == ["a b", "b c", "a b c"]


@pytest.mark.parametrize("ngram_range", [(1, 2), (1, 3), (2, 2)])
def test_word_ngrams_equal_scikit_learn_and_add_up_over_sentences(ngram_range) -> None:
    docs = ["the room be not_clean\nthe staff be lovely !", "room be clean", "the the the room", "", "\n\n", "staff"]
    vectorizer = CachedTfidfVectorizer(analyzer=SentenceNgrams(ngram_range), sublinear_tf=True).fit(docs)
    _assert_same(vectorizer.transform(docs), _as_sklearn(vectorizer).transform(docs))
    sentences = docs[0].split("\n")
    summed = vectorizer.counts(sentences).sum(axis=0)
    assert np.array_equal(np.asarray(summed).ravel(), vectorizer.counts(docs[:1]).toarray().ravel())


def test_sentence_counts_of_tokens_equal_counts_of_sentences() -> None:
    docs = ["the room be not_clean\nthe staff be lovely !", "room be clean", "the the the room", "", "\n\n", "staff"]
    vectorizer = CachedTfidfVectorizer(analyzer=SentenceNgrams((1, 2)), sublinear_tf=True).fit(docs)
    sentences = [line for doc in docs for line in doc.split("\n")]
    tokens = [t for line in sentences for t in line.split()]
    counts = vectorizer.sentence_counts(tokens, [len(line.split()) for line in sentences])
    expected = vectorizer.counts(sentences)
    assert counts.has_canonical_format and expected.has_canonical_format
    assert (counts != expected).nnz == 0 and np.array_equal(counts.indices, expected.indices)
    with pytest.raises(ValueError, match="sentence_counts needs a SentenceNgrams analyzer; got 'char_wb'"):
        CachedTfidfVectorizer(analyzer="char_wb").fit(docs).sentence_counts(tokens, [len(tokens)])


_TOKEN = st.sampled_from(["the", "room", "be", "not_clean", "a b", "b", "a", "", " ", "!", "<num>"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(_TOKEN, max_size=6), max_size=6),
    st.lists(st.lists(_TOKEN, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=12, unique=True),
    st.sampled_from([(1, 1), (1, 2), (2, 2), (1, 3)]),
)
def test_sentence_counts_through_the_trie_equal_the_lookup_by_name(sentences, vocabulary, ngram_range) -> None:
    """The n-gram trie finds exactly the n-grams whose space-joined string is in the vocabulary,
    also for odd vocabularies and tokens that hold spaces (which take the lookup by name)."""
    vectorizer = CachedTfidfVectorizer(analyzer=SentenceNgrams(ngram_range), vocabulary=vocabulary)
    vectorizer.fit(["unused"])
    tokens = [t for sentence in sentences for t in sentence]
    line_of = np.repeat(np.arange(len(sentences)), [len(s) for s in sentences])
    counts = vectorizer.sentence_counts(tokens, [len(s) for s in sentences])
    expected = vectorizer._counts_matrix(*vectorizer._ngrams_by_name(tokens, line_of, line_of), len(sentences))
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(counts, part), getattr(expected, part))


def test_char_counts_come_out_sorted(labeled_corpus) -> None:
    """Downstream sums (norms, dot products) run in index order, so counts keep scikit-learn's
    sorted order without a sort (`_product` computes them transposed)."""
    texts = labeled_corpus["text"].tolist()[:200] + CUSTOMER_TEXT
    vectorizer = CachedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2).fit(texts)
    counts = vectorizer.counts(texts)
    assert all((np.diff(counts.indices[a:b]) > 0).all() for a, b in itertools.pairwise(counts.indptr))
    expected = CountVectorizer.transform(_as_sklearn(vectorizer), texts).tocsr()
    expected.sort_indices()
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(counts, part), getattr(expected, part))


def test_other_settings_fall_back_to_scikit_learn() -> None:
    vectorizer = CachedTfidfVectorizer(analyzer="word", stop_words=["the"]).fit(CUSTOMER_TEXT)
    _assert_same(vectorizer.transform(CUSTOMER_TEXT), _as_sklearn(vectorizer).transform(CUSTOMER_TEXT))


def test_the_word_cache_is_not_pickled_and_a_string_is_refused() -> None:
    vectorizer = CachedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(CUSTOMER_TEXT)
    vectorizer.transform(CUSTOMER_TEXT)
    assert vectorizer._word_ids
    restored = pickle.loads(pickle.dumps(vectorizer))
    assert not hasattr(restored, "_word_ids")
    words = CachedTfidfVectorizer(analyzer=SentenceNgrams((1, 2))).fit(["late parcel", "parcel box"])
    words.transform(["late parcel"])
    assert words._trie and not hasattr(pickle.loads(pickle.dumps(words)), "_trie")
    _assert_same(restored.transform(CUSTOMER_TEXT), vectorizer.transform(CUSTOMER_TEXT))
    with pytest.raises(ValueError, match="Iterable over raw text documents"):
        vectorizer.transform("one string")


def test_refitting_drops_the_word_cache() -> None:
    """Cached ids point into the old vocabulary: a refit must not reuse them."""
    vectorizer = CachedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))
    vectorizer.fit(["late parcel", "box crushed"]).transform(["parcel"])
    vectorizer.fit(["parcel now", "parcel box"])
    _assert_same(vectorizer.transform(["parcel"]), _as_sklearn(vectorizer).transform(["parcel"]))
    vectorizer.fit_transform(["late parcel", "box crushed"])
    _assert_same(vectorizer.transform(["parcel"]), _as_sklearn(vectorizer).transform(["parcel"]))


def test_bytes_and_missing_documents_behave_as_in_scikit_learn() -> None:
    docs = [b"caf\\xc3\\xa9 au lait", b"the parcel"]
    vectorizer = CachedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), input="content").fit(docs)
    _assert_same(vectorizer.transform(docs), _as_sklearn(vectorizer).transform(docs))
    with pytest.raises(ValueError, match=r"np\.nan is an invalid document"):
        vectorizer.transform(["fine", np.nan])
    upper = CachedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), lowercase=False).fit(["Late PARCEL"])
    _assert_same(upper.transform(["LATE parcel"]), _as_sklearn(upper).transform(["LATE parcel"]))


@pytest.mark.parametrize("params", [
    {"ngram_range": (2, 5), "min_df": 2, "max_features": 3000, "sublinear_tf": True},
    {"ngram_range": (1, 3), "min_df": 1, "max_df": 0.5},
    {"ngram_range": (3, 4), "binary": True, "lowercase": False},
])  # fmt: skip
def test_fitting_char_ngrams_equals_scikit_learn(params, labeled_corpus) -> None:
    texts = labeled_corpus["text"].tolist()[:500] + CUSTOMER_TEXT
    ours = CachedTfidfVectorizer(analyzer="char_wb", dtype=np.float32, **params)
    theirs = TfidfVectorizer(analyzer="char_wb", dtype=np.float32, **params)
    _assert_same(ours.fit_transform(texts), theirs.fit_transform(texts))
    assert ours.vocabulary_ == theirs.vocabulary_
    np.testing.assert_array_equal(ours.idf_, theirs.idf_)
    with pytest.raises(ValueError, match="empty vocabulary"):
        CachedTfidfVectorizer(analyzer="char_wb").fit(["", "   "])
