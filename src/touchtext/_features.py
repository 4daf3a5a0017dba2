"""A TF-IDF vectorizer that counts n-grams through a per-word cache.

scikit-learn's `TfidfVectorizer` analyses every document from scratch: for character n-grams
that is one dictionary lookup per character and n-gram length, in Python. Customer text repeats
the same few thousand words, and `char_wb` n-grams never cross a word boundary, so the feature
ids of each distinct word can be looked up once and reused. Word n-grams over whitespace tokens
are found by walking a trie of the vocabulary's n-grams over token ids, all n-grams at once.
The output is the same matrix scikit-learn computes (tested against it); fitting is
scikit-learn's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

__all__ = ["CachedTfidfVectorizer", "SentenceNgrams"]

# Cleared when it holds this many words; full, it and the language cache hold ~94 MB per worker.
_MAX_CACHED_WORDS = 100_000
# Attributes derived from the vocabulary, rebuilt on use: not pickled, dropped by a refit.
_CACHES = ("_word_ids", "_trie")


def _char_wb_grams(word: str, min_n: int, max_n: int) -> list[str]:
    """The `char_wb` n-grams of one word, padded with a space on each side (scikit-learn's
    rule: a padded word shorter than n yields itself once, for the first such n)."""
    padded = f" {word} "
    grams = []
    for n in range(min_n, max_n + 1):
        if len(padded) <= n:
            grams.append(padded)
            break
        grams.extend(padded[start : start + n] for start in range(len(padded) - n + 1))
    return grams


def _char_wb_ids(word: str, vocabulary: dict[str, int], min_n: int, max_n: int) -> list[int]:
    """Feature ids of the `char_wb` n-grams of one word that are in the vocabulary."""
    get = vocabulary.get
    return [i for i in map(get, _char_wb_grams(word, min_n, max_n)) if i is not None]


class SentenceNgrams:
    """Analyzer of pre-tokenized text with one sentence per line: word n-grams that never cross
    a line end, so a document's counts are the sum of its sentences' counts."""

    def __init__(self, ngram_range: tuple[int, int] = (1, 2)) -> None:
        self.ngram_range = ngram_range

    def __call__(self, doc: str) -> list[str]:
        grams: list[str] = []
        for line in doc.split("\n"):
            grams.extend(_ngrams(line.split(), *self.ngram_range))
        return grams

    def __repr__(self) -> str:
        return f"SentenceNgrams(ngram_range={self.ngram_range!r})"


def _factorize(values: Any) -> tuple[np.ndarray, Any]:
    """Codes (int64, in first-seen order) and the distinct values, hashed in C by pandas."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=object) if isinstance(values, list) else values)
    return codes.astype(np.int64, copy=False), np.asarray(distinct)


def _split_words(docs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whitespace-split words of all documents as codes into the distinct words, and the
    offset of each document's first word (one extra at the end)."""
    words: list[str] = []
    sizes = []
    for doc in docs:
        split = doc.split()
        words.extend(split)
        sizes.append(len(split))
    codes, distinct = _factorize(words)
    return codes, distinct, np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])


def _ngrams(tokens: list[str], min_n: int, max_n: int) -> Iterable[str]:
    for n in range(min_n, max_n + 1):
        yield from tokens if n == 1 else map(" ".join, zip(*(tokens[k:] for k in range(n)), strict=False))


class _NgramTrie(NamedTuple):
    """A vocabulary of word n-grams as a trie over token ids, walked with array operations.

    A node stands for a token sequence: node `t` (below `len(token_ids)`) for the single token
    with id `t`, the others for longer sequences, each reached from its prefix's node.
    """

    token_ids: dict[str, int]  # every token of a vocabulary n-gram
    child_keys: pd.Index  # keys `parent node * len(token_ids) + token id`, hashed for lookups
    child_nodes: np.ndarray  # the node each key leads to, then -1 (what a missing key, index -1, reads)
    feature: np.ndarray  # vocabulary id of each node's n-gram, -1 if it is none

    @classmethod
    def of(cls, vocabulary: Mapping[str, int]) -> _NgramTrie:
        """The trie of a vocabulary whose n-grams are tokens joined by single spaces."""
        terms = [(term.split(" "), index) for term, index in vocabulary.items()]
        token_ids: dict[str, int] = {}
        for parts, _ in terms:
            for part in parts:
                token_ids.setdefault(part, len(token_ids))
        n_tokens = len(token_ids)
        children: dict[int, int] = {}
        feature = [-1] * n_tokens
        for parts, index in terms:
            node = token_ids[parts[0]]
            for part in parts[1:]:
                node = children.setdefault(node * n_tokens + token_ids[part], len(feature))
                if node == len(feature):
                    feature.append(-1)
            feature[node] = index
        keys = pd.Index(np.fromiter(children, dtype=np.int64, count=len(children)))
        nodes = np.fromiter([*children.values(), -1], dtype=np.int64, count=len(children) + 1)
        return cls(token_ids, keys, nodes, np.asarray(feature, dtype=np.int64))

    def child(self, parent: np.ndarray, token: np.ndarray) -> np.ndarray:
        """The node below each `parent` for each `token` id, -1 where there is none."""
        node = self.child_nodes[self.child_keys.get_indexer(parent * len(self.token_ids) + token)]
        return np.where((parent >= 0) & (token >= 0), node, -1)


class CachedTfidfVectorizer(TfidfVectorizer):
    """`TfidfVectorizer` with a fast `transform` for `char_wb` n-grams and for `SentenceNgrams`
    (word n-grams of pre-tokenized sentences); other settings use scikit-learn's.

    The caches (word n-gram ids, the n-gram trie) are not pickled and are rebuilt on use.

    Example:
        >>> vec = CachedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(["late parcel"])
        >>> vec.transform(["parcel late"]).shape
        (1, 16)
    """

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        for cache in _CACHES:
            state.pop(cache, None)
        return state

    def fit(self, raw_documents: Iterable[str], y: Any = None) -> CachedTfidfVectorizer:
        """Fit as `TfidfVectorizer` does; the caches, which hold ids of the old vocabulary, are dropped."""
        for cache in _CACHES:
            self.__dict__.pop(cache, None)
        super().fit(raw_documents, y)
        return self

    def fit_transform(self, raw_documents: Iterable[str], y: Any = None) -> sparse.csr_matrix:
        """Fit and transform as `TfidfVectorizer` does, dropping the caches first."""
        for cache in _CACHES:
            self.__dict__.pop(cache, None)
        return super().fit_transform(raw_documents, y)

    def _count_vocab(self, raw_documents: Iterable[Any], fixed_vocab: bool) -> tuple[dict[str, int], Any]:
        """While fitting `char_wb` features: vocabulary and counts with n-grams analysed once per
        distinct word (scikit-learn then sorts and prunes them as usual); otherwise scikit-learn's."""
        if fixed_vocab or self._fast_path() != "char_wb":
            return super()._count_vocab(raw_documents, fixed_vocab)  # type: ignore[no-any-return]
        docs = self._documents(raw_documents, "char_wb")
        codes, distinct, doc_indptr = _split_words(docs)
        vocabulary: dict[str, int] = {}
        gram_ids: list[int] = []
        gram_indptr = [0]
        min_n, max_n = self.ngram_range
        for word in distinct:
            gram_ids.extend(vocabulary.setdefault(g, len(vocabulary)) for g in _char_wb_grams(word, min_n, max_n))
            gram_indptr.append(len(gram_ids))
        if not vocabulary:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        counts = self._product(codes, doc_indptr, len(distinct), gram_ids, gram_indptr, len(vocabulary))
        return vocabulary, counts

    def _documents(self, raw_documents: Iterable[Any], path: str) -> list[str]:
        docs = [d if isinstance(d, str) else self.decode(d) for d in raw_documents]  # bytes; refuses NaN
        return [d.lower() for d in docs] if path == "char_wb" and self.lowercase else docs

    def _product(
        self,
        codes: np.ndarray,
        doc_indptr: np.ndarray,
        n_words: int,
        gram_ids: Sequence[int] | np.ndarray,
        gram_indptr: Sequence[int] | np.ndarray,
        n_grams: int,
    ) -> sparse.csr_matrix:
        """(documents x distinct words) @ (distinct words x n-grams): the documents' n-gram counts.

        Computed transposed, (n-grams x words) @ (words x documents), then transposed back: a
        transposition emits sorted indices, which is about twice as fast as sorting the product.
        """
        doc_words = sparse.csr_matrix(
            (np.ones(len(codes), dtype=self.dtype), codes, doc_indptr), shape=(len(doc_indptr) - 1, n_words)
        )
        word_grams = sparse.csr_matrix(
            (np.ones(len(gram_ids), dtype=self.dtype), gram_ids, gram_indptr), shape=(n_words, n_grams)
        )
        return sparse.csr_matrix((word_grams.T.tocsr() @ doc_words.T.tocsr()).T.tocsr())

    def _fast_path(self) -> str | None:
        if self.input != "content" or self.preprocessor is not None or self.stop_words is not None:
            return None
        if self.strip_accents is not None:
            return None
        if self.analyzer == "char_wb":
            return "char_wb"
        if isinstance(self.analyzer, SentenceNgrams):
            return "sentences"
        return None

    def transform(self, raw_documents: Iterable[str]) -> sparse.csr_matrix:
        """TF-IDF matrix of the documents, equal to `TfidfVectorizer.transform`."""
        return self.weight(self.counts(raw_documents))

    def counts(self, raw_documents: Iterable[str]) -> sparse.csr_matrix:
        """Raw n-gram counts of the documents (sorted indices, no duplicates), before `weight`."""
        check_is_fitted(self, "vocabulary_")
        if isinstance(raw_documents, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        path = self._fast_path()
        if path is None:
            return sparse.csr_matrix(super(TfidfVectorizer, self).transform(raw_documents))
        docs = self._documents(raw_documents, path)
        return self._char_wb_counts(docs) if path == "char_wb" else self._word_counts(docs)

    def _char_wb_counts(self, docs: list[str]) -> sparse.csr_matrix:
        """n-gram counts as (documents x distinct words) @ (distinct words x n-grams): words are
        factorized in one vectorized pass, n-grams analysed once per distinct word and cached
        (as the bytes of an int32 array, joined into one array per call without Python ints)."""
        cache: dict[str, bytes] | None = getattr(self, "_word_ids", None)
        if cache is None:
            cache = {}
            self._word_ids = cache
        vocabulary, (min_n, max_n) = self.vocabulary_, self.ngram_range
        codes, distinct, doc_indptr = _split_words(docs)
        get = cache.get
        found = [get(word) for word in distinct.tolist()]
        for k in [k for k, ids in enumerate(found) if ids is None]:
            if len(cache) >= _MAX_CACHED_WORDS:
                cache.clear()
            word = distinct[k]
            found[k] = cache[word] = np.array(_char_wb_ids(word, vocabulary, min_n, max_n), dtype=np.int32).tobytes()
        word_ids: list[bytes] = found  # type: ignore[assignment]  # every word is in by now
        gram_ids = np.frombuffer(b"".join(word_ids), dtype=np.int32)
        gram_indptr = np.zeros(len(word_ids) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, word_ids), dtype=np.int64, count=len(word_ids)) // 4, out=gram_indptr[1:])
        return self._product(codes, doc_indptr, len(distinct), gram_ids, gram_indptr, len(vocabulary))

    def sentence_counts(self, tokens: list[str], sizes: Sequence[int]) -> sparse.csr_matrix:
        """Word n-gram counts of pre-tokenized sentences (a `SentenceNgrams` analyzer only): row i
        counts the next `sizes[i]` of `tokens`. Equal to `counts` of the sentences joined by
        spaces, without joining and splitting them again (tokens hold no whitespace)."""
        check_is_fitted(self, "vocabulary_")
        if self._fast_path() != "sentences":
            raise ValueError(f"sentence_counts needs a SentenceNgrams analyzer; got {self.analyzer!r}.")
        line_of = np.repeat(np.arange(len(sizes)), sizes)
        return self._ngram_counts(tokens, line_of, line_of, len(sizes))

    def _word_counts(self, docs: list[str]) -> sparse.csr_matrix:
        """Counts of word n-grams within lines of whitespace-split documents."""
        tokens: list[str] = []
        line_sizes, doc_lines = [], []
        for doc in docs:
            lines = doc.split("\n")
            doc_lines.append(len(lines))
            for line in lines:
                split = line.split()
                tokens.extend(split)
                line_sizes.append(len(split))
        line_of = np.repeat(np.arange(len(line_sizes)), line_sizes)
        doc_of = np.repeat(np.arange(len(docs)), doc_lines)[line_of]
        return self._ngram_counts(tokens, line_of, doc_of, len(docs))

    def _ngram_counts(
        self, tokens: list[str], line_of: np.ndarray, row_of: np.ndarray, n_rows: int
    ) -> sparse.csr_matrix:
        """Counts of the word n-grams within lines (`line_of` each token) into rows (`row_of` each
        token): each token is looked up once in the vocabulary's n-gram trie, and each n-gram is
        a walk down the trie, done for all n-grams at once with array operations."""
        trie = self._ngram_trie()
        token_ids = np.fromiter(map(trie.token_ids.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
        # The trie matches n-grams as token sequences, the vocabulary as space-joined strings: the
        # same as long as no token holds a space (lemmas of a few languages do; those take the strings).
        if any(" " in tokens[i] for i in np.flatnonzero(token_ids < 0).tolist()):
            return self._counts_matrix(*self._ngrams_by_name(tokens, line_of, row_of), n_rows)
        rows, columns = [], []
        min_n, max_n = self.analyzer.ngram_range
        for n in range(min_n, min(max_n, len(tokens)) + 1):
            starts = np.flatnonzero(line_of[n - 1 :] == line_of[: len(tokens) - n + 1])
            node = token_ids[starts]
            for k in range(1, n):
                node = trie.child(node, token_ids[starts + k])
            ids = np.where(node >= 0, trie.feature[node], -1)
            keep = ids >= 0
            rows.append(row_of[starts[keep]])
            columns.append(ids[keep])
        return self._counts_matrix(rows, columns, n_rows)

    def _ngrams_by_name(
        self, tokens: list[str], line_of: np.ndarray, row_of: np.ndarray
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Rows and vocabulary ids of the word n-grams within lines, each distinct n-gram (a key
        built from token codes) joined into its string and looked up in the vocabulary once."""
        codes, distinct = _factorize(tokens)
        get = self.vocabulary_.get
        rows, columns = [], []
        min_n, max_n = self.analyzer.ngram_range
        for n in range(min_n, min(max_n, len(codes)) + 1):
            starts = np.flatnonzero(line_of[n - 1 :] == line_of[: len(codes) - n + 1])
            key = codes[starts]  # n = 1: every token, so codes in first-seen order
            for k in range(1, n):
                key, _ = _factorize(key * len(distinct) + codes[starts + k])
            # Keys number the distinct n-grams in first-seen order: each one's first occurrence is
            # where the key exceeds every key before it.
            inverse = key
            first = np.flatnonzero(key > np.maximum.accumulate(np.concatenate([[-1], key[:-1]])))
            parts = [distinct[codes[starts[first] + k]].tolist() for k in range(n)]
            names = parts[0] if n == 1 else map(" ".join, zip(*parts, strict=True))
            ids = np.fromiter(map(get, names, repeat(-1)), dtype=np.int64, count=len(first))[inverse]
            keep = ids >= 0
            rows.append(row_of[starts[keep]])
            columns.append(ids[keep])
        return rows, columns

    def _counts_matrix(self, rows: list[np.ndarray], columns: list[np.ndarray], n_rows: int) -> sparse.csr_matrix:
        """The counts matrix of (row, vocabulary id) occurrences, duplicates summed, indices sorted."""
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        column = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
        counts = sparse.csr_matrix(
            (np.ones(len(row), dtype=self.dtype), (row, column)), shape=(n_rows, len(self.vocabulary_))
        )
        counts.sum_duplicates()
        counts.sort_indices()
        return counts

    def _ngram_trie(self) -> _NgramTrie:
        """The vocabulary's n-gram trie, built on first use (not pickled; a refit drops it)."""
        trie: _NgramTrie | None = getattr(self, "_trie", None)
        if trie is None:
            trie = self._trie = _NgramTrie.of(self.vocabulary_)
        return trie

    def weight(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Counts (changed in place) to TF-IDF as `TfidfTransformer` does it: sublinear tf, idf, norm."""
        if self.binary:
            counts.data.fill(1)
        if self.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1
        if self.use_idf:
            counts.data *= self.idf_[counts.indices]
        if self.norm is not None and counts.shape[0]:  # normalize refuses a matrix without rows
            counts = normalize(counts, norm=self.norm, copy=False)
        return counts
