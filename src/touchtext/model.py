"""The touchpoint model: which touchpoints an item speaks of, and how the customer feels.

Design, chosen by measurement on the held-out split (see the model card):
- Features: TF-IDF over spaCy lookup lemmas with negation scope marked (`not_clean`), word
  1-2 grams, plus TF-IDF over character 2-5 grams of the text (robust to typos and slang).
- Touchpoints: one logistic regression per touchpoint (one-vs-rest) over the whole item.
  Each touchpoint gets its own decision threshold, tuned on out-of-fold probabilities to
  maximize its F1. Also detecting touchpoints per sentence (max over sentences, with shared
  or separately tuned thresholds) was measured and lost: held-out macro-F1 0.645 / 0.683 vs
  0.693, no better on multi-touchpoint or long items either.
- Evidence: every sentence is scored with the same touchpoint classifier; the sentences
  most relevant to a predicted touchpoint are its evidence (text and character span).
- Sentiment per touchpoint: a 3-class logistic regression reads the evidence sentences. When
  an item speaks of a single touchpoint the whole item is read, since its tone is about that
  touchpoint. Sentence probabilities are averaged, weighted by relevance.

The fitted model pickles without the spaCy pipeline (it is rebuilt from settings on load).
"""

from __future__ import annotations

import hashlib
import json
import platform
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import joblib
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold, KFold, cross_val_predict
from sklearn.multiclass import OneVsRestClassifier
from sklearn.utils.validation import check_is_fitted

from . import schema
from ._features import CachedTfidfVectorizer, SentenceNgrams
from .errors import ModelError
from .io import atomic_path, write_text
from .language import LanguageSettings, Sentence, SentenceTokens, TextProcessor

__all__ = [
    "CARD_FILE",
    "MODEL_FILE",
    "ItemPrediction",
    "Mention",
    "ModelSettings",
    "TouchpointModel",
    "default_model_path",
    "load_model",
    "save_model",
]

MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"
CARD_MARKDOWN = "model_card.md"
# 2: calibrated probabilities, cross-validation report, review flags; 3: word n-grams within
# sentences, shared by touchpoints, evidence and sentiment
FORMAT_VERSION = 3
# Texts analysed and encoded together by predict_items / predict_sentiment: bounds their memory
# (about 18 MB of Python allocations per 1,000 reviews) whatever the input size.
PREDICT_BATCH = 1000


@dataclass(frozen=True)
class ModelSettings:
    """Hyper-parameters of a TouchpointModel; recorded in the model card."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    max_word_features: int = 40_000
    max_char_features: int = 60_000
    touchpoint_c: float = 4.0
    # Stopping tolerance of the touchpoint classifiers (liblinear, dual): 1e-3 instead of
    # scikit-learn's 1e-4 fits 2-3x faster at the same held-out F1 (0.698 vs 0.699 macro).
    touchpoint_tol: float = 1e-3
    sentiment_c: float = 1.0
    # Folds for out-of-fold probabilities (calibration, thresholds, the cross-validation report):
    # 3 instead of 5 halves training time at the same held-out F1 (macro 0.697 vs 0.698).
    cv_folds: int = 3
    evidence_ratio: float = 0.5  # a sentence is evidence if its relevance >= ratio * best
    max_evidence: int = 3
    # Sentiment of a lone touchpoint reads the whole item ("whole") or only its evidence
    # sentences ("evidence").
    single_touchpoint_sentiment: Literal["whole", "evidence"] = "whole"
    # Touchpoints without character n-grams: held-out macro-F1 0.669 instead of 0.687, 1.7x faster to predict.
    touchpoint_char_ngrams: bool = True
    # Which sentences are evidence: scored by the full touchpoint classifier ("full") or by its
    # word-n-gram part only ("words": no character n-grams per sentence).
    relevance: Literal["full", "words"] = "words"
    # needs_review: a touchpoint whose calibrated probability lies within this band of its
    # threshold (either side), or a sentiment less confident than review_sentiment_confidence.
    # On the held-out split these flag 28% of items, which are fully right 14% of the time
    # against 33% for the rest (benchmarks/calibration_and_review.py).
    review_band: float = 0.03
    review_sentiment_confidence: float = 0.4
    random_state: int = 0
    n_jobs: int = 2  # processes for cross-validation and the one-vs-rest fit (the target machines have 2 cores)


_DEFAULT_SETTINGS = ModelSettings()


@dataclass(frozen=True)
class Mention:
    """One touchpoint found in one item, with sentiment and the sentences that show it."""

    touchpoint: str
    confidence: float
    sentiment: str
    sentiment_confidence: float
    evidence: tuple[Sentence, ...] = field(default=())
    evidence_sentiments: tuple[str, ...] = field(default=())  # each evidence sentence's own reading

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored in the `mentions` column."""
        return schema.mention_record(
            self.touchpoint, self.sentiment, round(self.confidence, 4), round(self.sentiment_confidence, 4),
            self.evidence_rows(),
        )  # fmt: skip

    def evidence_rows(self) -> list[tuple[str, int, int, str]]:
        """Each evidence sentence's text, start, end and own sentiment (the mention's when not read apart)."""
        moods = self.evidence_sentiments or (self.sentiment,) * len(self.evidence)
        return [(s.text, s.start, s.end, mood) for s, mood in zip(self.evidence, moods, strict=True)]


@dataclass(frozen=True)
class ItemPrediction:
    """Everything the model says about one item: its mentions, whether a person should check
    it (and why), and the top terms behind each touchpoint when explanations were asked for."""

    mentions: list[Mention]
    review_reasons: list[str]
    explanations: dict[str, list[str]] = field(default_factory=dict)
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros(0))  # calibrated, per touchpoint id

    @property
    def needs_review(self) -> bool:
        """True when a label lies in the uncertain band (see ModelSettings.review_band)."""
        return bool(self.review_reasons)


def _text_features(settings: ModelSettings, chars: bool = True) -> ColumnTransformer:
    """Word n-grams over normalized lemmas (within sentences, one per line) plus (if `chars`)
    character n-grams over the lowercased text."""
    words = CachedTfidfVectorizer(
        analyzer=SentenceNgrams(settings.word_ngrams),
        min_df=2,
        max_features=settings.max_word_features,
        sublinear_tf=True,
        dtype=np.float32,
    )
    characters = CachedTfidfVectorizer(
        analyzer="char_wb",
        ngram_range=settings.char_ngrams,
        min_df=2,
        max_features=settings.max_char_features,
        sublinear_tf=True,
        dtype=np.float32,
    )
    if not chars:
        return ColumnTransformer([("words", words, "lemmas")])
    return ColumnTransformer([("words", words, "lemmas"), ("chars", characters, "text")])


def _drop_stop_words(features: ColumnTransformer) -> None:
    """Remove the pruned-vocabulary record, which only bloats the saved model."""
    for _, vectorizer, _ in features.transformers_:
        if hasattr(vectorizer, "stop_words_"):
            vectorizer.stop_words_ = set()


@dataclass(slots=True)
class _Analyzed:
    """A text after one spaCy pass: its sentences and their tokens (flat, see `SentenceTokens`)."""

    text: str
    flat: SentenceTokens

    @property
    def n_sentences(self) -> int:
        return len(self.flat.sizes)

    @property
    def sentences(self) -> list[Sentence]:
        return [self.flat.sentence(self.text, i) for i in range(self.n_sentences)]

    @property
    def sentence_lemmas(self) -> list[str]:
        """Each sentence's token string."""
        tokens, out, end = self.flat.tokens, [], 0
        for size in self.flat.sizes:
            out.append(" ".join(tokens[end : end + size]))
            end += size
        return out

    @property
    def lemmas(self) -> str:
        """The token string of the text, one sentence per line (what the word features see)."""
        return "\n".join(lemmas for lemmas in self.sentence_lemmas if lemmas)


class _Items:
    """Analysed texts of one batch: all their sentences in one flat `SentenceTokens` (few
    objects for many texts); item `k` is its sentences `first[k]` to `first[k + 1]`."""

    def __init__(self, texts: list[str], flat: SentenceTokens, n_sentences: list[int]) -> None:
        self.texts = texts
        self.flat = flat
        self.n_sentences = n_sentences
        self.first = np.concatenate([[0], np.cumsum(n_sentences, dtype=np.int64)])
        self.token_first = np.concatenate([[0], np.cumsum(flat.sizes, dtype=np.int64)])

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, k: int) -> _Analyzed:
        """Item `k` on its own."""
        a, b = int(self.first[k]), int(self.first[k + 1])
        tokens = self.flat.tokens[self.token_first[a] : self.token_first[b]]
        return _Analyzed(self.texts[k], SentenceTokens(tokens, self.flat.sizes[a:b], self.flat.spans[2 * a : 2 * b]))

    def __iter__(self) -> Iterator[_Analyzed]:
        return (self[k] for k in range(len(self)))

    def sentence(self, k: int, i: int) -> Sentence:
        """Sentence `i` of item `k`."""
        return self.flat.sentence(self.texts[k], int(self.first[k]) + i)


@dataclass
class _Encoded:
    """Analysed items with their feature matrices, computed once and shared by every step:
    touchpoints read `X`, evidence and sentiment read rows of `units`."""

    items: _Items
    X: Any  # item features: word TF-IDF, then character TF-IDF when the model uses it
    units: Any  # word TF-IDF rows: one per item (row k), then one per sentence
    first_sentence: np.ndarray  # row in `units` of each item's first sentence; one extra at the end

    def sentence_rows(self, k: int) -> np.ndarray:
        return np.arange(self.first_sentence[k], self.first_sentence[k + 1])


@dataclass
class _Scored:
    """Sentiment and evidence of every mention of a batch (items' labels in order), flat."""

    sentiment: list[str]
    confidence: list[float]
    evidence_start: list[int]  # mention m's evidence is entries evidence_start[m] to evidence_start[m + 1]
    evidence: list[int]  # each evidence sentence's index within its item
    moods: list[str]  # each evidence sentence's own sentiment


def _tune_thresholds(y_true: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Per-label threshold maximizing F1 on out-of-fold probabilities (plateau midpoint)."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    thresholds = np.full(y_true.shape[1], 0.5)
    for j in range(y_true.shape[1]):
        positives = y_true[:, j].sum()
        if positives == 0:
            continue
        pred = proba[:, j][:, None] >= grid[None, :]
        tp = (pred & (y_true[:, j][:, None] == 1)).sum(axis=0)
        fp = (pred & (y_true[:, j][:, None] == 0)).sum(axis=0)
        f1 = 2 * tp / np.maximum(2 * tp + fp + (positives - tp), 1)
        best = np.flatnonzero(f1 >= f1.max() - 1e-9)
        thresholds[j] = float(grid[best[len(best) // 2]])
    return thresholds


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _fit_platt(y_true: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Per-label Platt scaling (a, b) fitted on out-of-fold probabilities, so that confidences
    mean what they say (class weighting inflates raw probabilities of rare touchpoints).

    A fit with a slope <= 0 would reverse the classifier's ranking (it happens with a handful
    of positives whose out-of-fold scores are low by chance): such a label keeps its raw
    probabilities. On 100-item training sets of data/labeled this lifts held-out macro-F1 from
    0.307 to 0.337 (mean of 5 samples); from 400 items on nothing changes.
    """
    params = np.tile([1.0, 0.0], (y_true.shape[1], 1))
    for j in range(y_true.shape[1]):
        if 0 < y_true[:, j].sum() < len(y_true):
            fitted = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(proba[:, j])[:, None], y_true[:, j])
            if fitted.coef_[0, 0] > 0:
                params[j] = [float(fitted.coef_[0, 0]), float(fitted.intercept_[0])]
    return params


def _apply_platt(proba: np.ndarray, params: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(_logit(proba) * params[:, 0] + params[:, 1])))


def _label_metrics(y_true: np.ndarray, y_pred: np.ndarray, ids: Sequence[str]) -> dict[str, Any]:
    """Per-label precision/recall/F1 and micro/macro F1 of 0/1 matrices (macro over labels present)."""
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    present = support > 0
    return {
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(np.mean(f1[present])) if present.any() else 0.0,
        "per_touchpoint": {
            t: {"precision": float(precision[j]), "recall": float(recall[j]), "f1": float(f1[j]),
                "support": int(support[j])}
            for j, t in enumerate(ids)
        },
    }  # fmt: skip


def _cross_validated_labels(y_true: np.ndarray, proba: np.ndarray, folds: KFold) -> np.ndarray:
    """0/1 predictions from out-of-fold probabilities, each fold thresholded with thresholds
    tuned on the other folds only, so cross-validated scores are not tuned on themselves."""
    predicted = np.zeros_like(y_true)
    for train_index, test_index in folds.split(proba):
        thresholds = _tune_thresholds(y_true[train_index], proba[train_index])
        predicted[test_index] = proba[test_index] >= thresholds
    return predicted


class TouchpointModel(BaseEstimator):
    """Multi-label touchpoint classifier with per-touchpoint sentiment and evidence.

    Example:
        >>> model = TouchpointModel(touchpoint_ids=["billing", "staff"]).fit(texts, labels)
        >>> model.predict(["Charged twice, but Ana at the desk was lovely"])[0][0].touchpoint
        'billing'
    """

    def __init__(
        self,
        *,
        touchpoint_ids: Sequence[str],
        settings: ModelSettings | None = None,
        language: LanguageSettings | None = None,
    ) -> None:
        self.touchpoint_ids = touchpoint_ids
        self.settings = settings
        self.language = language

    @property
    def settings_(self) -> ModelSettings:
        """The settings in force (defaults when none were given)."""
        return self.settings if self.settings is not None else _DEFAULT_SETTINGS

    @property
    def processor(self) -> TextProcessor:
        """The text processor; its spaCy pipeline is rebuilt lazily after unpickling."""
        if getattr(self, "_processor", None) is None:
            self._processor = TextProcessor(self.language or LanguageSettings())
        return self._processor

    # -- analysis -------------------------------------------------------------------------
    def _analyze(self, texts: Sequence[str]) -> _Items:
        """The texts' sentences and tokens (non-strings count as empty)."""
        flat, n_sentences = self.processor.segment_texts(texts)
        return _Items([text if isinstance(text, str) else "" for text in texts], flat, n_sentences)

    @staticmethod
    def _frame(lemmas: Sequence[str], texts: Sequence[str]) -> pd.DataFrame:
        return pd.DataFrame({"lemmas": list(lemmas), "text": [t.lower() for t in texts]})

    def _encode(self, items: _Items) -> _Encoded:
        """Feature matrices of analysed items, equal to `features_.transform` for the items.

        Word n-grams are counted once per sentence; an item's counts are the sum of its
        sentences' (n-grams never cross a sentence end), so items and sentences share one pass.
        """
        transformers = dict(self.features_.named_transformers_)
        words: CachedTfidfVectorizer = transformers["words"]
        sizes = np.asarray(items.n_sentences, dtype=np.int64)
        first = items.first + len(items)
        tokens, token_sizes = items.flat.tokens, items.flat.sizes
        sentence_counts = words.sentence_counts(tokens, token_sizes)
        owners = np.repeat(np.arange(len(items)), sizes)
        to_items = sparse.csr_matrix(
            (np.ones(len(owners), dtype=sentence_counts.dtype), (owners, np.arange(len(owners)))),
            shape=(len(items), len(owners)),
        )
        item_counts = sparse.csr_matrix(to_items @ sentence_counts)
        item_counts.sort_indices()
        item_words = words.weight(item_counts)
        units = sparse.vstack([item_words, words.weight(sentence_counts)], format="csr")
        X = item_words
        if "chars" in transformers:
            X = sparse.hstack([item_words, transformers["chars"].transform([t.lower() for t in items.texts])],
                              format="csr")  # fmt: skip
        return _Encoded(items, X, units, first)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without caches (spaCy pipeline, feature names, relevance weights): rebuilt on use."""
        state = dict(super().__getstate__())
        for cache in ("_processor", "_names", "_word_weights", "_linear", "oof_proba_", "oof_rows_"):
            state.pop(cache, None)
        return state

    def _touchpoint_proba(self, encoded: _Encoded, rows: np.ndarray) -> np.ndarray:
        """Relevance to each touchpoint of the sentences at `rows` of `encoded.units`: with
        `relevance="words"` the word-n-gram part of the touchpoint classifier (no character
        n-grams to compute for every sentence), with "full" the whole classifier."""
        if not len(rows):
            return np.zeros((0, len(self.touchpoint_ids)))
        if self.settings_.relevance == "words":
            weights, intercepts = self._relevance_weights()
            scores = encoded.units[rows] @ weights + intercepts
            return 1 / (1 + np.exp(-np.asarray(scores)))
        sentences = [(lemmas, x.text) for a in encoded.items for lemmas, x in zip(a.sentence_lemmas, a.sentences,
                                                                                 strict=True)]  # fmt: skip
        chosen = [sentences[r - len(encoded.items)] for r in rows]
        return self._raw_proba(self.features_.transform(self._frame(*zip(*chosen, strict=True))))

    def _raw_proba(self, X: Any) -> np.ndarray:
        """Uncalibrated probability of each touchpoint (a one-touchpoint taxonomy is a binary problem).

        When every touchpoint has a logistic regression, all are scored in one product with
        their stacked coefficients: the same arithmetic as `predict_proba`, which scores (and
        converts `X` to float64) once per touchpoint.
        """
        linear = self._linear_touchpoints()
        if linear is not None:
            weights, intercepts = linear
            return expit(np.asarray(X @ weights) + intercepts)  # type: ignore[no-any-return]
        proba = np.asarray(self.touchpoint_clf_.predict_proba(X))
        return proba[:, -len(self.touchpoint_ids) :]

    def _linear_touchpoints(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Stacked coefficients (n_features x n_labels) and intercepts of the touchpoint
        classifier, or None when it is not one binary logistic regression per touchpoint."""
        if getattr(self, "_linear", None) is None:
            clf = self.touchpoint_clf_
            estimators = getattr(clf, "estimators_", [])
            linear = (
                getattr(clf, "multilabel_", False)
                and len(estimators) == len(self.touchpoint_ids)
                and all(isinstance(e, LogisticRegression) and e.coef_.shape[0] == 1 for e in estimators)
            )
            self._linear = (
                (np.column_stack([e.coef_[0] for e in estimators]), np.array([e.intercept_[0] for e in estimators]))
                if linear
                else ()
            )
        return self._linear or None

    def _relevance_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Word-feature coefficients (n_words x n_labels) and intercepts of the touchpoint classifier."""
        if getattr(self, "_word_weights", None) is None:
            n_words = len(self.features_.named_transformers_["words"].vocabulary_)
            weights = np.zeros((n_words, len(self.touchpoint_ids)), dtype=np.float32)
            intercepts = np.full(len(self.touchpoint_ids), -10.0)  # labels never seen in training
            for j, estimator in enumerate(self.touchpoint_clf_.estimators_):
                if hasattr(estimator, "coef_"):
                    weights[:, j] = np.asarray(estimator.coef_).ravel()[:n_words]
                    intercepts[j] = float(np.ravel(estimator.intercept_)[0])
            self._word_weights = (weights, intercepts)
        return self._word_weights

    def _sentence_relevance(self, encoded: _Encoded, needed: Sequence[bool] | None = None) -> list[np.ndarray]:
        """Touchpoint probabilities of each sentence of each item (see `_relevance_matrix`)."""
        return np.split(self._relevance_matrix(encoded, needed), encoded.items.first[1:-1])

    def _relevance_matrix(self, encoded: _Encoded, needed: Sequence[bool] | None = None) -> np.ndarray:
        """Touchpoint probabilities of every sentence of the batch (a row each; one batch for all).

        Items not `needed` (and single-sentence items, whose one sentence is the evidence
        whatever its score) get uniform relevance without being scored.
        """
        counts = np.asarray(encoded.items.n_sentences, dtype=np.int64)
        scored = counts > 1
        if needed is not None:
            scored &= np.asarray(needed, dtype=bool)
        sentence_scored = np.repeat(scored, counts)
        relevance = np.ones((len(sentence_scored), len(self.touchpoint_ids)))
        rows = np.flatnonzero(sentence_scored) + len(counts)  # rows of `encoded.units`
        relevance[sentence_scored] = self._touchpoint_proba(encoded, rows)
        return relevance

    def _evidence(self, relevance: np.ndarray, label: int) -> list[tuple[int, float]]:
        """Indices and relevance of the sentences that show touchpoint `label`."""
        rel: list[float] = relevance[:, label].tolist()
        if len(rel) <= 1:
            return [(0, rel[0])] if rel else []
        s = self.settings_
        strongest = sorted(range(len(rel)), key=lambda i: -rel[i])[: s.max_evidence]
        floor = s.evidence_ratio * rel[strongest[0]]
        return sorted((i, rel[i]) for i in strongest if rel[i] >= floor)

    def _sentiment_inputs(
        self, encoded: _Encoded, k: int, relevance: np.ndarray, labels: Sequence[int]
    ) -> list[tuple[list[int], list[float], list[int]]]:
        """For each label of item `k`: the rows of `encoded.units` the sentiment model reads
        (the whole item, or its evidence sentences), their weights, and the evidence sentence
        indices."""
        out = []
        first = int(encoded.first_sentence[k])
        whole = len(labels) == 1 and self.settings_.single_touchpoint_sentiment == "whole"
        for label in labels:
            evidence = self._evidence(relevance, label)
            idx = [i for i, _ in evidence]
            if whole or encoded.items.n_sentences[k] <= 1:
                units, weights = [k], [1.0]
            else:
                units = [first + i for i in idx]
                weights = [max(w, 1e-3) for _, w in evidence]
            out.append((units, weights, idx))
        return out

    # -- training -------------------------------------------------------------------------
    def _label_matrix(self, labels: Sequence[Mapping[str, str | None]]) -> np.ndarray:
        index = {t: j for j, t in enumerate(self.touchpoint_ids)}
        Y = np.zeros((len(labels), len(self.touchpoint_ids)), dtype=np.int8)
        for i, item in enumerate(labels):
            for t in item:
                Y[i, index[t]] = 1
        return Y

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[Mapping[str, str | None] | None],
        item_sentiments: Sequence[str | None] | None = None,
    ) -> TouchpointModel:
        """Fit on texts and their labels: one {touchpoint: sentiment or None} dict per text.

        A label set of None means the item's touchpoints are unknown: it is left out of the
        touchpoint classifier, and its item-level sentiment (`item_sentiments`) still teaches
        the sentiment classifier, reading the whole item.
        """
        if len(texts) != len(labels) or (item_sentiments is not None and len(item_sentiments) != len(texts)):
            raise ModelError(f"fit() got {len(texts)} texts but {len(labels)} label sets; they must match.")
        self.touchpoint_ids = tuple(self.touchpoint_ids)
        unknown = sorted({t for item in labels if item for t in item} - set(self.touchpoint_ids))
        if unknown:
            raise ModelError(f"Labels {', '.join(unknown)} are not in the model's touchpoints {self.touchpoint_ids}.")
        s = self.settings_
        for cache in ("_names", "_word_weights", "_linear"):  # derived from a previous fit
            self.__dict__.pop(cache, None)
        all_items = self._analyze(texts)
        known = [k for k, item in enumerate(labels) if item is not None]
        gold = [labels[k] or {} for k in known]
        Y = self._label_matrix(gold)
        self.features_ = _text_features(s, chars=s.touchpoint_char_ngrams)
        # Fitted on every item, so words seen only in sentiment-only items still teach sentiment.
        self.features_.fit(self._frame([a.lemmas for a in all_items], [a.text for a in all_items]))
        _drop_stop_words(self.features_)
        encoded = self._encode(all_items)
        X = sparse.csr_matrix(encoded.X[known])
        X.sort_indices()  # worker processes get read-only memory maps: nothing may sort in place there

        def binary() -> LogisticRegression:
            # liblinear's dual solver: far faster than the primal when features outnumber items
            return LogisticRegression(C=s.touchpoint_c, class_weight="balanced", solver="liblinear", dual=True,
                                      tol=s.touchpoint_tol, max_iter=1000, random_state=s.random_state)  # fmt: skip

        def classifier() -> OneVsRestClassifier:
            return OneVsRestClassifier(binary(), n_jobs=s.n_jobs)

        seen = Y.sum(axis=0)
        trainable = (seen > 0) & (seen < len(Y))
        folds = KFold(n_splits=s.cv_folds, shuffle=True, random_state=s.random_state)
        oof = np.tile((seen > 0).astype(float), (len(Y), 1))
        if trainable.sum() > 1:
            oof[:, trainable] = cross_val_predict(
                OneVsRestClassifier(binary()), X, Y[:, trainable], cv=folds, method="predict_proba", n_jobs=s.n_jobs
            )
        elif trainable.sum() == 1:  # one label: a plain binary problem
            single = Y[:, trainable].ravel()
            oof[:, trainable] = cross_val_predict(binary(), X, single, cv=folds, method="predict_proba")[:, 1:]
        self.calibration_ = _fit_platt(Y, oof)
        calibrated = _apply_platt(oof, self.calibration_)
        # Out-of-fold probabilities of the items whose touchpoints are known (rows in `fit` order
        # of those items): what label checking compares labels with. Not saved with the model.
        self.oof_proba_ = calibrated
        self.oof_rows_ = np.asarray(known)
        self.thresholds_ = _tune_thresholds(Y, calibrated)
        self.thresholds_[seen == 0] = 1.01  # never predict a touchpoint the data never showed
        self.thresholds_[seen == len(Y)] = 0.0  # in every training item: always predicted
        with warnings.catch_warnings():
            # A touchpoint absent from the data gets a constant classifier, and the threshold
            # above already keeps it from being predicted: scikit-learn's warning about it is noise.
            warnings.filterwarnings("ignore", r"Label not \d+ is present in all training examples", UserWarning)
            self.touchpoint_clf_ = classifier().fit(X, Y)
        cv_predicted = _cross_validated_labels(Y, calibrated, folds)
        cv_predicted[:, ~trainable] = 0
        self.cv_report_: dict[str, Any] = {
            "folds": s.cv_folds,
            "items": len(known),
            **_label_metrics(Y, cv_predicted, self.touchpoint_ids),
        }
        if trainable.any():  # Brier scores of the labels a classifier was trained for
            self.cv_report_["brier_raw"] = float(np.mean((oof[:, trainable] - Y[:, trainable]) ** 2))
            self.cv_report_["brier_calibrated"] = float(np.mean((calibrated[:, trainable] - Y[:, trainable]) ** 2))

        # Sentiment: learn from the evidence of each gold (touchpoint, sentiment) pair.
        is_known = np.zeros(len(all_items), dtype=bool)
        is_known[known] = True
        relevance = self._sentence_relevance(encoded, needed=is_known.tolist())
        index = {t: j for j, t in enumerate(self.touchpoint_ids)}
        unit_rows: list[int] = []
        unit_y, unit_w = [], []
        unit_pair: list[int] = []  # which (item, touchpoint) pair each unit belongs to
        pair_number = -1
        for k, item_gold in zip(known, gold, strict=True):
            pairs = [(index[t], sent) for t, sent in item_gold.items() if sent]
            if not pairs:
                continue
            inputs = self._sentiment_inputs(encoded, k, relevance[k], [j for j, _ in pairs])
            for (units, weights, _), (_, sentiment) in zip(inputs, pairs, strict=True):
                total = sum(weights)
                pair_number += 1
                for row, w in zip(units, weights, strict=True):
                    unit_rows.append(row)
                    unit_y.append(sentiment)
                    unit_w.append(w / total)
                    unit_pair.append(pair_number)
        pair_units = len(unit_y)
        for k, given in enumerate(labels):  # sentiment-only items: the whole item, its item sentiment
            if given is None and item_sentiments is not None and item_sentiments[k]:
                unit_rows.append(k)
                unit_y.append(str(item_sentiments[k]))
                unit_w.append(1.0)
                unit_pair.append(-1 - k)
        if len(set(unit_y)) < 2:
            raise ModelError(
                "Sentiment needs examples of at least two sentiments (negative/neutral/positive); "
                f"the labels give {sorted(set(unit_y)) or 'none'}."
            )
        XS = sparse.csr_matrix(encoded.units[unit_rows])
        XS.sort_indices()

        def sentiment_classifier() -> LogisticRegression:
            return LogisticRegression(C=s.sentiment_c, class_weight="balanced", max_iter=2000)

        unit_weights = np.asarray(unit_w)
        self.sentiment_clf_ = sentiment_classifier().fit(XS, unit_y, sample_weight=unit_weights)
        self.cv_report_.update(
            self._sentiment_cv(XS, np.asarray(unit_y), unit_weights, np.asarray(unit_pair), pair_units)
        )
        return self

    def _sentiment_cv(
        self, XS: Any, y: np.ndarray, weights: np.ndarray, pair: np.ndarray, pair_units: int
    ) -> dict[str, Any]:
        """Cross-validated sentiment accuracy and macro-F1 on (touchpoint, sentiment) pairs: each
        pair's units are combined as in prediction; folds never split a pair."""
        n_groups = len(set(pair.tolist()))
        if n_groups < self.settings_.cv_folds or len(set(y.tolist())) < 2:
            return {}
        base = LogisticRegression(C=self.settings_.sentiment_c, class_weight="balanced", max_iter=2000)
        try:
            proba = cross_val_predict(base, XS, y, groups=pair, cv=GroupKFold(self.settings_.cv_folds),
                                      method="predict_proba", params={"sample_weight": weights},
                                      n_jobs=self.settings_.n_jobs)  # fmt: skip
        except ValueError:  # a fold whose training part holds a single sentiment: too little data to score
            return {}
        classes = np.array(sorted(set(y.tolist())))
        true, predicted = [], []
        for number in sorted(set(pair[:pair_units].tolist())):
            rows = np.flatnonzero(pair == number)
            combined = (proba[rows] * weights[rows, None]).sum(axis=0)
            true.append(y[rows[0]])
            predicted.append(classes[int(np.argmax(combined))])
        if not true:
            return {}
        return {
            "sentiment_pairs": len(true),
            "sentiment_accuracy": float(np.mean(np.array(true) == np.array(predicted))),
            "sentiment_macro_f1": float(f1_score(true, predicted, average="macro", zero_division=0)),
        }

    # -- prediction -----------------------------------------------------------------------
    def _sentiments(
        self, encoded: _Encoded, relevance: Sequence[np.ndarray], labels: Sequence[Sequence[int]]
    ) -> list[list[tuple[str, float, list[int], list[str]]]]:
        """(sentiment, confidence, evidence sentence indices, each evidence sentence's own
        sentiment) for each label of each item (see `_score_mentions`)."""
        n_labels = len(self.touchpoint_ids)
        matrix = np.concatenate(relevance) if len(relevance) else np.ones((0, n_labels))
        scored = self._score_mentions(encoded, matrix, labels)
        out: list[list[tuple[str, float, list[int], list[str]]]] = []
        m = 0
        for item_labels in labels:
            item_scored = []
            for _ in item_labels:
                e0, e1 = scored.evidence_start[m], scored.evidence_start[m + 1]
                item_scored.append(
                    (scored.sentiment[m], scored.confidence[m], scored.evidence[e0:e1], scored.moods[e0:e1])
                )
                m += 1
            out.append(item_scored)
        return out

    def _score_mentions(self, encoded: _Encoded, relevance: np.ndarray, labels: Sequence[Sequence[int]]) -> _Scored:
        """Evidence and sentiment of every label (mention) of every item, computed for all at once.

        Evidence: the `max_evidence` most relevant sentences (ties: the earlier one) at least
        `evidence_ratio` times as relevant as the best, in text order; a single sentence is its
        own evidence. Sentiment: the argmax of the sentiment classes' probabilities of the
        mention's units (its evidence sentences, or the whole item when it is a lone touchpoint
        or has at most one sentence) averaged with relevance weights. `relevance` has a row per
        sentence of the batch (see `_relevance_matrix`).
        """
        s, items = self.settings_, encoded.items
        per_item = np.fromiter(map(len, labels), dtype=np.int64, count=len(labels))
        item = np.repeat(np.arange(len(labels)), per_item)
        label = np.fromiter((j for item_labels in labels for j in item_labels), dtype=np.int64, count=len(item))
        n_sentences = np.asarray(items.n_sentences, dtype=np.int64)[item]
        # Every sentence of every mention's item, mention after mention.
        offsets = np.concatenate([[0], np.cumsum(n_sentences)])
        mention_of = np.repeat(np.arange(len(item)), n_sentences)
        local = np.arange(offsets[-1]) - offsets[mention_of]
        value = relevance[items.first[item][mention_of] + local, label[mention_of]]
        order = np.lexsort((local, -value, mention_of))  # strongest first within each mention
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - offsets[mention_of[order]]
        best = np.zeros(len(item))
        has_sentences = n_sentences > 0
        best[has_sentences] = value[order[offsets[:-1][has_sentences]]]
        chosen = (rank < s.max_evidence) & (value >= s.evidence_ratio * best[mention_of])
        chosen |= n_sentences[mention_of] == 1
        evidence = np.flatnonzero(chosen)  # in text order within each mention
        evidence_mention = mention_of[evidence]
        evidence_count = np.bincount(evidence_mention, minlength=len(item))
        # The units the sentiment model reads.
        whole = (n_sentences <= 1) | (
            (per_item[item] == 1) if s.single_touchpoint_sentiment == "whole" else np.zeros(len(item), dtype=bool)
        )
        from_evidence = ~whole[evidence_mention]
        unit_mention = np.concatenate([evidence_mention[from_evidence], np.flatnonzero(whole)])
        unit_row = np.concatenate([encoded.first_sentence[item[evidence_mention[from_evidence]]] +
                                   local[evidence[from_evidence]], item[whole]])  # fmt: skip
        unit_weight = np.concatenate([np.maximum(value[evidence[from_evidence]], 1e-3), np.ones(int(whole.sum()))])
        by_mention = np.argsort(unit_mention, kind="stable")
        unit_row, unit_weight = unit_row[by_mention], unit_weight[by_mention]
        unit_count = np.where(whole, 1, evidence_count)
        starts = np.concatenate([[0], np.cumsum(unit_count)[:-1]]).astype(np.int64)
        classes = np.array([str(c) for c in self.sentiment_clf_.classes_], dtype=object)
        if not len(unit_row):
            return _Scored([], [], [0], [], [])
        unit_proba = self.sentiment_clf_.predict_proba(encoded.units[unit_row])
        unit_class = np.argmax(unit_proba, axis=1)
        # Each mention's weighted mean of its units' probabilities, computed for all mentions with
        # the same number of units at once: numpy sums along an axis the same way for one block or a stack of them.
        weighted = unit_proba * unit_weight[:, None]
        combined = np.empty((len(starts), unit_proba.shape[1]))
        for size in np.unique(unit_count).tolist():
            same = np.flatnonzero(unit_count == size)
            rows = starts[same, None] + np.arange(size)
            combined[same] = weighted[rows].sum(axis=1) / unit_weight[rows].sum(axis=1)[:, None]
        sentiment = np.argmax(combined, axis=1)
        confidence = combined[np.arange(len(sentiment)), sentiment]
        # Each evidence sentence's own sentiment: its unit's, when a mention's units are its evidence
        # sentences (one each); else the mention's.
        own = (unit_count == evidence_count)[evidence_mention]
        position = np.arange(len(evidence)) - (np.cumsum(evidence_count) - evidence_count)[evidence_mention]
        moods = sentiment[evidence_mention]
        moods[own] = unit_class[starts[evidence_mention[own]] + position[own]]
        return _Scored(
            classes[sentiment].tolist(),
            confidence.tolist(),
            np.concatenate([[0], np.cumsum(evidence_count)]).tolist(),
            local[evidence].tolist(),
            classes[moods].tolist(),
        )

    def _calibrated(self, raw: np.ndarray) -> np.ndarray:
        return _apply_platt(raw, self.calibration_) if len(raw) else raw

    def _review_reasons(self, proba: np.ndarray, near: np.ndarray, mentions: Sequence[Mention]) -> list[str]:
        """Why a person should check this item: labels near their threshold (`near`, a mask),
        unsure sentiment."""
        s = self.settings_
        reasons = []
        for j in np.flatnonzero(near).tolist():  # Python floats: formatted alike, several times faster
            t, threshold, p = self.touchpoint_ids[j], float(self.thresholds_[j]), float(proba[j])
            side = "just above" if p >= threshold else "just below"
            reasons.append(f"{t} {p:.2f} {side} its threshold {threshold:.2f}")
        reasons += [
            f"{m.touchpoint} sentiment unsure ({m.sentiment} {m.sentiment_confidence:.2f})"
            for m in mentions
            if m.sentiment_confidence < s.review_sentiment_confidence
        ]
        return reasons

    def _explain(self, X: Any, row: int, label: int, top: int) -> list[str]:
        """The features of one item that add most to one touchpoint's score (coefficient x value)."""
        estimator = self.touchpoint_clf_.estimators_[label]
        if not hasattr(estimator, "coef_"):
            return []
        x = X[row].tocoo()
        contribution = x.data * np.asarray(estimator.coef_).ravel()[x.col]
        order = np.argsort(-contribution)[:top]
        names = self._feature_names()
        return [names[x.col[i]] for i in order if contribution[i] > 0]

    def _feature_names(self) -> list[str]:
        if getattr(self, "_names", None) is None:
            self._names = [str(n).split("__", 1)[1] for n in self.features_.get_feature_names_out()]
        return self._names

    def predict_items(self, texts: Sequence[str], *, explain: int = 0) -> list[ItemPrediction]:
        """Mentions of each text (strongest first; none when no touchpoint passes its
        threshold), whether it needs review and why, and with `explain` > 0 that many top
        contributing terms per predicted touchpoint.

        Texts are processed `PREDICT_BATCH` at a time (items are independent, so the results
        are the same), which bounds memory by the batch rather than the input."""
        check_is_fitted(self, "touchpoint_clf_")
        out: list[ItemPrediction] = []
        for start in range(0, len(texts), PREDICT_BATCH):
            out += self._predict_batch(texts[start : start + PREDICT_BATCH], explain)
        return out

    def _predict_batch(self, texts: Sequence[str], explain: int) -> list[ItemPrediction]:
        """`predict_items` for one batch of texts, all analysed and encoded together."""
        if not texts:
            return []
        encoded = self._encode(self._analyze(texts))
        items, X = encoded.items, encoded.X
        proba = self._calibrated(self._raw_proba(X))
        above = (proba >= self.thresholds_).tolist()
        strongest_first = np.argsort(-proba, axis=1, kind="stable").tolist()
        predicted = [[j for j in order if row[j]] for order, row in zip(strongest_first, above, strict=True)]
        near = np.abs(proba - self.thresholds_) < self.settings_.review_band
        scored = self._score_mentions(
            encoded, self._relevance_matrix(encoded, needed=[bool(labels) for labels in predicted]), predicted
        )
        # Every mention's evidence sentences, then the mentions, item after item.
        per_item = [len(labels) for labels in predicted]
        item_of_mention = np.repeat(np.arange(len(predicted)), per_item)
        evidence_start = np.asarray(scored.evidence_start)
        item_of_evidence = np.repeat(item_of_mention, np.diff(evidence_start))
        sentence = items.first[item_of_evidence] + np.asarray(scored.evidence, dtype=np.int64)
        spans = np.asarray(items.flat.spans, dtype=np.int64).reshape(-1, 2)[sentence]
        texts = items.texts
        sentences = [
            Sentence(texts[k][start:end], start, end)
            for k, start, end in zip(item_of_evidence.tolist(), spans[:, 0].tolist(), spans[:, 1].tolist(), strict=True)
        ]
        labels = [j for item_labels in predicted for j in item_labels]
        ids, moods = self.touchpoint_ids, scored.moods
        bounds = evidence_start.tolist()
        confidences = proba[item_of_mention, np.asarray(labels, dtype=np.int64)].tolist()
        mentions = [
            Mention(ids[label], confidence, sentiment, certainty, tuple(sentences[e0:e1]), tuple(moods[e0:e1]))
            for label, confidence, sentiment, certainty, e0, e1 in zip(
                labels, confidences, scored.sentiment, scored.confidence, bounds[:-1], bounds[1:], strict=True
            )
        ]
        # Items with a label near its threshold or an unsure sentiment need review.
        unsure = np.asarray(scored.confidence) < self.settings_.review_sentiment_confidence
        check = near.any(axis=1)
        check[item_of_mention[unsure]] = True
        checked = check.tolist()
        out, m = [], 0
        for row, (p, n) in enumerate(zip(proba, per_item, strict=True)):
            item_mentions = mentions[m : m + n]
            m += n
            explanations = (
                {ids[mention_label]: self._explain(X, row, mention_label, explain) for mention_label in predicted[row]}
                if explain
                else {}
            )
            reasons = self._review_reasons(p, near[row], item_mentions) if checked[row] else []
            out.append(ItemPrediction(item_mentions, reasons, explanations, p))
        return out

    def predict(self, texts: Sequence[str]) -> list[list[Mention]]:
        """Mentions found in each text, strongest first; an empty list when none is confident."""
        return [item.mentions for item in self.predict_items(texts)]

    def predict_sentiment(self, texts: Sequence[str], touchpoints: Sequence[Sequence[str]]) -> list[dict[str, str]]:
        """Sentiment for given touchpoints of each text (used to score sentiment on gold labels),
        `PREDICT_BATCH` texts at a time."""
        check_is_fitted(self, "sentiment_clf_")
        if len(texts) != len(touchpoints):
            raise ValueError(f"predict_sentiment() got {len(texts)} texts but {len(touchpoints)} touchpoint lists.")
        out: list[dict[str, str]] = []
        for start in range(0, len(texts), PREDICT_BATCH):
            end = start + PREDICT_BATCH
            out += self._sentiment_batch(texts[start:end], touchpoints[start:end])
        return out

    def _sentiment_batch(self, texts: Sequence[str], touchpoints: Sequence[Sequence[str]]) -> list[dict[str, str]]:
        """`predict_sentiment` for one batch of texts."""
        index = {t: j for j, t in enumerate(self.touchpoint_ids)}
        encoded = self._encode(self._analyze(texts))
        labels = [[index[t] for t in tps] for tps in touchpoints]
        relevance = self._sentence_relevance(encoded, needed=[bool(x) for x in labels])
        sentiments = self._sentiments(encoded, relevance, labels)
        return [
            {t: scored_label[0] for t, scored_label in zip(tps, scored, strict=True)}
            for tps, scored in zip(touchpoints, sentiments, strict=True)
        ]

    def top_terms(self, touchpoint: str, n: int = 15) -> list[str]:
        """The features that most raise a touchpoint's score (for model cards and --explain)."""
        check_is_fitted(self, "touchpoint_clf_")
        j = self.touchpoint_ids.index(touchpoint)
        estimator = self.touchpoint_clf_.estimators_[j]
        if not hasattr(estimator, "coef_"):
            return []
        names = self._feature_names()
        coef = np.asarray(estimator.coef_).ravel()
        return [names[i] for i in np.argsort(-coef)[:n]]


# -- persistence ----------------------------------------------------------------------------
def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on (recorded in its card)."""
    versions = {"python": platform.python_version()}
    for pkg in ("touchtext", "spacy", "spacy-lookups-data", "scikit-learn", "numpy", "scipy", "pandas", "joblib"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return versions


def save_model(model: TouchpointModel, card: Mapping[str, Any], out_dir: str | Path) -> Path:
    """Save the model (joblib) and its card (JSON and Markdown) into `out_dir`, atomically.

    The card records the model file's sha256; `load_model` refuses a file that does not match.
    """
    check_is_fitted(model, "touchpoint_clf_")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / MODEL_FILE) as tmp:
        joblib.dump({"format_version": FORMAT_VERSION, "model": model}, tmp, compress=3)
        sha = file_sha256(tmp)
    full_card = dict(card)
    full_card["model_file"] = MODEL_FILE
    full_card["model_sha256"] = sha
    full_card["model_bytes"] = (out / MODEL_FILE).stat().st_size
    write_text(json.dumps(full_card, indent=2, sort_keys=False) + "\n", out / CARD_FILE)
    write_text(card_markdown(full_card), out / CARD_MARKDOWN)
    return out


def card_markdown(card: Mapping[str, Any]) -> str:
    """A human-readable model card: data, held-out metrics per touchpoint, versions."""
    lines = [f"# Model card: {card.get('name', 'touchtext model')}", ""]
    lines.append(f"- Created: {card.get('created_at', '?')}")
    lines.append(
        f"- Taxonomy: {card.get('taxonomy', {}).get('name', '?')} {card.get('taxonomy', {}).get('version', '')}"
    )
    data = card.get("data", {})
    lines.append(
        f"- Training data: {data.get('n_train', '?')} items, held-out test: {data.get('n_test', '?')} items "
        f"(sha256 {str(data.get('sha256', '?'))[:16]}...)"
    )
    lines.append(
        f"- Model file: {card.get('model_file')} ({card.get('model_bytes', 0) / 1e6:.1f} MB, "
        f"sha256 {str(card.get('model_sha256', '?'))[:16]}...)"
    )
    lines.append(f"- Training time: {card.get('training_seconds', '?')} s")
    lines.append(f"- Language: {card.get('settings', {}).get('language', {}).get('lang', '?')}")
    metrics = card.get("metrics", {})
    if metrics:
        lines += ["", "## Held-out metrics", ""]
        for key in ("micro_f1", "macro_f1", "sentiment_accuracy", "sentiment_macro_f1", "pair_f1"):
            if key in metrics:
                lines.append(f"- {key.replace('_', ' ')}: {metrics[key]:.3f}")
        per = metrics.get("per_touchpoint", {})
        if per:
            lines += [
                "",
                "| touchpoint | precision | recall | F1 | support | train examples |",
                "|---|---|---|---|---|---|",
            ]
            counts = data.get("label_counts", {})
            for t, m in per.items():
                lines.append(
                    f"| {t} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {m['support']} | "
                    f"{counts.get(t, 0)} |"
                )
    versions = card.get("versions", {})
    if versions:
        lines += ["", "## Library versions", ""] + [f"- {k}: {v}" for k, v in versions.items()]
    return "\n".join(lines) + "\n"


def default_model_path() -> Path:
    """Where the shipped default model lives: inside the installed package, or the repo's models/."""
    packaged = Path(__file__).parent / "_default_model"
    if (packaged / MODEL_FILE).is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "models" / "default"


def load_model(path: str | Path | None = None) -> tuple[TouchpointModel, dict[str, Any]]:
    """Load a model folder (default: the shipped model), verifying the file against its card.

    Returns the model and its card. A model file whose sha256 differs from the card is
    refused: joblib files run code when loaded, so only files the card vouches for are opened.
    """
    folder = Path(path) if path is not None else default_model_path()
    if folder.is_file():
        folder = folder.parent
    model_file, card_file = folder / MODEL_FILE, folder / CARD_FILE
    if not model_file.is_file() or not card_file.is_file():
        raise ModelError(
            f"No model found in {str(folder)!r}: it needs {MODEL_FILE} and {CARD_FILE}. "
            "Train one with `touchtext train --data data/labeled --out DIR` or pass --model DIR."
        )
    try:
        card = json.loads(card_file.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{card_file} is not valid JSON ({exc}); retrain or restore the model folder.") from exc
    actual = file_sha256(model_file)
    if card.get("model_sha256") != actual:
        raise ModelError(
            f"{model_file} does not match its model card (sha256 {actual[:12]}..., card says "
            f"{str(card.get('model_sha256'))[:12]}...); refusing to load a file that may have been modified. "
            "Retrain the model or restore both files together."
        )
    payload = joblib.load(model_file)
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{model_file} was written by an incompatible touchtext version; retrain it.")
    model = payload["model"]
    if not isinstance(model, TouchpointModel):
        raise ModelError(f"{model_file} does not hold a touchtext model.")
    return model, card


def mentions_to_columns(
    mentions: Sequence[Mention], row_id: Any, rows: schema.MentionRows
) -> tuple[str, str, str, str]:
    """The classified-output cells (touchpoints, sentiments, confidence, MENTIONS JSON) for one item's
    mentions, which are also added to `rows` under `row_id` (for the mention and sentence tables)."""
    encoded = [
        rows.add(row_id, m.touchpoint, m.sentiment, round(m.confidence, 4), round(m.sentiment_confidence, 4),
                 m.evidence_rows())
        for m in mentions
    ]  # fmt: skip
    return (
        "|".join([m.touchpoint for m in mentions]),
        "|".join([f"{m.touchpoint}:{m.sentiment}" for m in mentions]),
        "|".join([f"{m.touchpoint}:{m.confidence:.2f}" for m in mentions]),
        "[" + ", ".join(encoded) + "]",
    )


def settings_dict(model: TouchpointModel) -> dict[str, Any]:
    """Model and language settings as plain data, for the model card."""
    return {"model": asdict(model.settings_), "language": asdict(model.processor.settings)}
