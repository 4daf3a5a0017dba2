"""Touchtext's model against three common text classifiers, on the same fixed train/test split.

Systems, all fed exactly the texts touchtext itself would see (`touchtext.training.cleaned_texts`):

1. touchtext: `touchtext.training.train()` (fits on split == "train", scores on split == "test").
2. spaCy `textcat_multilabel` with its default architecture (`spacy.TextCatEnsemble.v2`: a
   bag-of-words linear model plus its own tok2vec, trained from scratch: no vectors here).
3. spaCy `textcat_multilabel` with the bag-of-words architecture (`spacy.TextCatBOW.v3`).
4. scikit-learn: word 1-2 gram TF-IDF + char_wb 2-5 gram TF-IDF, one-vs-rest logistic regression.

Touchpoint metrics follow touchtext's definitions: micro-F1 over the item x touchpoint indicator
matrix; macro-F1 = mean F1 over the touchpoints with at least one positive in the test split.
Baselines predict a touchpoint when its probability is >= 0.5.

Sentiment: touchtext gives a sentiment per touchpoint. The baselines have none, so each also gets
an item-level 3-class sentiment classifier of the same kind (spaCy exclusive `textcat` with the same
architecture; multinomial logistic regression on the same TF-IDF), trained on each training item's
majority sentiment over its labeled touchpoints (ties go to the first of negative, neutral,
positive; items without any sentiment are skipped); that one sentiment is predicted for every
touchpoint of the item. All four are scored on the gold (touchpoint, sentiment) pairs of the test
split, as `touchtext.training.evaluate` does.

spaCy models train with spaCy's own loop (`nlp.initialize`, shuffled `minibatch` epochs of
`nlp.update` with dropout, spaCy's default Adam optimizer), early-stopped on a 10% dev slice of the
training rows (patience 3 epochs, at most 25 epochs, best epoch's weights kept).

Also timed: touchtext's training on 10,000 items sampled with replacement from the training rows.

Run from the repository root:
    python benchmarks/model_comparison.py            # full run
    python benchmarks/model_comparison.py --quick    # smoke run: few spaCy epochs
    python benchmarks/model_comparison.py --skip-10k # without the 10,000-item training timing

Prints a Markdown table and writes it to benchmarks/results/model_comparison.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import sklearn
import spacy
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion
from spacy.language import Language
from spacy.training import Example
from spacy.util import minibatch

from touchtext.taxonomy import load_taxonomy
from touchtext.training import cleaned_texts, load_labeled, train

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "model_comparison.md"
SENTIMENTS = ("negative", "neutral", "positive")
SEED = 0
THRESHOLD = 0.5
THROUGHPUT_DOCS = 3_000
SPEED_ROUNDS = 5
BIG_TRAIN_ITEMS = 10_000
DEV_FRACTION = 0.1
DROPOUT = 0.1
BATCH_SIZE = 16

BOW_MULTILABEL = {
    "@architectures": "spacy.TextCatBOW.v3",
    "exclusive_classes": False,
    "ngram_size": 1,
    "no_output_layer": False,
    "length": 262144,
}
BOW_EXCLUSIVE = {**BOW_MULTILABEL, "exclusive_classes": True}


@dataclass(frozen=True)
class Epochs:
    """Early-stopping schedule for the spaCy models."""

    max_epochs: int = 25
    patience: int = 3
    time_cap_s: float = 900.0  # per spaCy model; training stops after the epoch that passes it


@dataclass
class Row:
    """One line of the results table."""

    system: str
    micro_f1: float
    macro_f1: float
    sentiment_accuracy: float
    train_s: float
    docs_per_s: float


@dataclass
class Run:
    """Everything the report needs."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    predictions: dict[str, np.ndarray] = field(default_factory=dict)  # system -> test item x touchpoint 0/1
    predictors: dict[str, Callable[[list[str]], object]] = field(default_factory=dict)  # for the speed rounds


class Baseline(Protocol):
    """A touchpoint classifier plus an item-level sentiment classifier."""

    name: str

    def fit(self, texts: Sequence[str], Y: np.ndarray, sentiments: Sequence[str | None]) -> None: ...

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """Touchpoint indicator matrix (items x touchpoints) and one sentiment per item."""
        ...

    def describe(self) -> str: ...


def seed_everything() -> None:
    random.seed(SEED)
    np.random.seed(SEED)
    spacy.util.fix_random_seed(SEED)


def label_matrix(labels: Sequence[Mapping[str, str | None]], ids: Sequence[str]) -> np.ndarray:
    return np.array([[int(t in item) for t in ids] for item in labels], dtype=int)


def majority_sentiment(labels: Mapping[str, str | None]) -> str | None:
    """The most frequent sentiment over an item's touchpoints; ties go to the earliest in SENTIMENTS."""
    counts = Counter(s for s in labels.values() if s)
    if not counts:
        return None
    return max(SENTIMENTS, key=lambda s: (counts[s], -SENTIMENTS.index(s)))


def touchpoint_f1(Y: np.ndarray, P: np.ndarray) -> tuple[float, float]:
    """Micro-F1, and macro-F1 over the touchpoints with at least one gold positive (touchtext's definitions)."""
    _, _, f1, _ = precision_recall_fscore_support(Y, P, zero_division=0)
    present = Y.sum(axis=0) > 0
    micro = float(f1_score(Y, P, average="micro", zero_division=0))
    return micro, float(np.mean(f1[present])) if present.any() else 0.0


def pair_sentiment_accuracy(gold: Sequence[Mapping[str, str | None]], item_sentiments: Sequence[str]) -> float:
    """Accuracy on the gold (touchpoint, sentiment) pairs when every touchpoint gets its item's sentiment."""
    hits = [s == item_sentiments[i] for i, labels in enumerate(gold) for s in labels.values() if s]
    return float(np.mean(hits)) if hits else 0.0


def repeat_to(texts: Sequence[str], n: int) -> list[str]:
    return (list(texts) * (n // len(texts) + 1))[:n]


def interleaved_speeds(run: Run, texts: Sequence[str], rounds: int = SPEED_ROUNDS) -> None:
    """Docs/s of every system on `texts` repeated to THROUGHPUT_DOCS: after one warm-up call
    each, the systems take turns for `rounds` rounds, so a noisy spell of the (shared, virtual)
    machine hits all of them alike; each row gets its median, the notes the range."""
    batch = repeat_to(texts, THROUGHPUT_DOCS)
    for predict in run.predictors.values():
        predict(list(texts))
    speeds: dict[str, list[float]] = {name: [] for name in run.predictors}
    for _ in range(rounds):
        for name, predict in run.predictors.items():
            started = time.perf_counter()
            predict(batch)
            speeds[name].append(len(batch) / (time.perf_counter() - started))
    for row in run.rows:
        row.docs_per_s = float(np.median(speeds[row.system]))
    ranges = "; ".join(f"{name} {min(v):,.0f}–{max(v):,.0f}" for name, v in speeds.items())
    run.notes.append(
        f"Prediction docs/s: median of {rounds} interleaved rounds of {THROUGHPUT_DOCS:,} docs per system "
        f"(range: {ranges})."
    )


# --- spaCy ---------------------------------------------------------------------------------------


@dataclass
class TrainLog:
    epochs_run: int
    best_epoch: int
    best_score: float
    stop: str
    seconds: float

    def __str__(self) -> str:
        return (
            f"best epoch {self.best_epoch} of {self.epochs_run} run ({self.stop}), "
            f"dev score {self.best_score:.3f}, {self.seconds:.0f} s"
        )


def _top(scores: Mapping[str, float]) -> str:
    return max(scores, key=scores.__getitem__)


def _dev_score(nlp: Language, texts: Sequence[str], gold: Sequence[Mapping[str, float]], exclusive: bool) -> float:
    """Dev micro-F1 at the 0.5 threshold (multi-label) or accuracy (exclusive classes)."""
    docs = list(nlp.pipe(texts))
    labels = list(gold[0])
    if exclusive:
        hits = [_top(d.cats) == _top(g) for d, g in zip(docs, gold, strict=True)]
        return float(np.mean(hits))
    Y = np.array([[g[label] for label in labels] for g in gold], dtype=int)
    P = np.array([[d.cats[label] >= THRESHOLD for label in labels] for d in docs], dtype=int)
    return float(f1_score(Y, P, average="micro", zero_division=0))


def train_textcat(
    factory: str,
    model: Mapping[str, Any] | None,
    labels: Sequence[str],
    train_data: Sequence[tuple[str, dict[str, float]]],
    dev_data: Sequence[tuple[str, dict[str, float]]],
    epochs: Epochs,
) -> tuple[Language, TrainLog]:
    """Train a blank English pipeline with one text classifier, early-stopped on the dev data."""
    seed_everything()
    started = time.perf_counter()
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe(factory, config={"model": dict(model)} if model else {})
    for label in labels:
        textcat.add_label(label)
    examples = [Example.from_dict(nlp.make_doc(text), {"cats": cats}) for text, cats in train_data]
    optimizer = nlp.initialize(lambda: examples)
    shuffler = random.Random(SEED)
    dev_texts = [text for text, _ in dev_data]
    dev_gold = [cats for _, cats in dev_data]
    exclusive = factory == "textcat"
    best_score, best_epoch, best_weights = -1.0, 0, b""
    stop = f"max {epochs.max_epochs} epochs"
    epoch = 0
    for epoch in range(1, epochs.max_epochs + 1):
        shuffler.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=BATCH_SIZE):
            nlp.update(batch, sgd=optimizer, drop=DROPOUT, losses=losses)
        score = _dev_score(nlp, dev_texts, dev_gold, exclusive)
        if score > best_score:
            best_score, best_epoch, best_weights = score, epoch, nlp.to_bytes()
        elif epoch - best_epoch >= epochs.patience:
            stop = f"early stop, patience {epochs.patience}"
            break
        if time.perf_counter() - started > epochs.time_cap_s:
            stop = f"time cap {epochs.time_cap_s:.0f} s"
            break
    nlp.from_bytes(best_weights)
    return nlp, TrainLog(epoch, best_epoch, best_score, stop, time.perf_counter() - started)


def dev_split(n: int) -> tuple[list[int], list[int]]:
    """Indices of the dev slice and of the rest, for `n` training rows (seeded)."""
    order = np.random.default_rng(SEED).permutation(n)
    n_dev = max(1, round(DEV_FRACTION * n))
    return sorted(order[:n_dev]), sorted(order[n_dev:])


def train_touchpoint_textcat(
    texts: Sequence[str],
    Y: np.ndarray,
    ids: Sequence[str],
    epochs: Epochs,
    model: Mapping[str, Any] | None = None,
) -> tuple[Language, TrainLog]:
    """spaCy `textcat_multilabel` (default architecture unless `model`) on touchpoint matrix `Y`, early-stopped."""
    dev, fit = dev_split(len(texts))
    topics = [(texts[i], {t: float(Y[i, j]) for j, t in enumerate(ids)}) for i in range(len(texts))]
    return train_textcat(
        "textcat_multilabel", model, list(ids), [topics[i] for i in fit], [topics[i] for i in dev], epochs
    )


class SpacyBaseline:
    """spaCy textcat_multilabel for touchpoints plus an exclusive textcat for item sentiment."""

    def __init__(
        self,
        name: str,
        ids: Sequence[str],
        epochs: Epochs,
        multilabel_model: Mapping[str, Any] | None = None,
        exclusive_model: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.ids = list(ids)
        self.epochs = epochs
        self.multilabel_model = multilabel_model
        self.exclusive_model = exclusive_model
        self.logs: dict[str, TrainLog] = {}

    def fit(self, texts: Sequence[str], Y: np.ndarray, sentiments: Sequence[str | None]) -> None:
        dev, fit = dev_split(len(texts))
        self.topics, self.logs["touchpoints"] = train_touchpoint_textcat(
            texts, Y, self.ids, self.epochs, self.multilabel_model
        )
        tones = {
            i: (texts[i], {s: float(s == sentiments[i]) for s in SENTIMENTS})
            for i in range(len(texts))
            if sentiments[i]
        }
        self.tone, self.logs["sentiment"] = train_textcat(
            "textcat",
            self.exclusive_model,
            SENTIMENTS,
            [tones[i] for i in fit if i in tones],
            [tones[i] for i in dev if i in tones],
            self.epochs,
        )

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        P = np.array([[d.cats[t] >= THRESHOLD for t in self.ids] for d in self.topics.pipe(texts)], dtype=int)
        tones = [_top(d.cats) for d in self.tone.pipe(texts)]
        return P.reshape(len(texts), len(self.ids)), tones

    def describe(self) -> str:
        multilabel = self.topics.get_pipe("textcat_multilabel").cfg
        arch = self.topics.config["components"]["textcat_multilabel"]["model"]
        lines = [
            f"{self.name}: `{arch['@architectures']}`"
            + (f" (linear part `{arch['linear_model']['@architectures']}`)" if "linear_model" in arch else "")
            + f", threshold {multilabel.get('threshold', THRESHOLD)}",
        ]
        lines += [f"  - {part} model: {log}" for part, log in self.logs.items()]
        return "\n".join(lines)


# --- scikit-learn ----------------------------------------------------------------------------------


class TfidfBaseline:
    """Word + character TF-IDF with one-vs-rest logistic regression, and a multinomial one for sentiment."""

    name = "TF-IDF + logistic regression (sklearn)"

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = list(ids)

    def fit(self, texts: Sequence[str], Y: np.ndarray, sentiments: Sequence[str | None]) -> None:
        self.features = FeatureUnion(
            [
                ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ]
        )
        X = self.features.fit_transform(texts)
        # Balanced class weights: with 0.5 as the threshold, unweighted regressions predict almost none of the
        # rarer touchpoints (each is on 4-17% of the training items).
        self.topics = OneVsRestClassifier(
            LogisticRegression(class_weight="balanced", max_iter=2000, random_state=SEED)
        ).fit(X, Y)
        rated = [i for i, s in enumerate(sentiments) if s]
        # lbfgs fits a multinomial (softmax) model for 3 classes.
        self.tone = LogisticRegression(max_iter=2000, random_state=SEED).fit(X[rated], [sentiments[i] for i in rated])

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        X = self.features.transform(texts)
        P = (self.topics.predict_proba(X) >= THRESHOLD).astype(int)
        return P, [str(s) for s in self.tone.predict(X)]

    def describe(self) -> str:
        return (
            f"{self.name}: word (1, 2) + char_wb (2, 5) TF-IDF (sublinear tf, sklearn defaults otherwise), "
            '`OneVsRestClassifier(LogisticRegression(C=1.0, class_weight="balanced"))`, threshold 0.5; '
            "sentiment: multinomial `LogisticRegression(C=1.0)` on the same features"
        )


# --- the benchmark ---------------------------------------------------------------------------------


def run_touchtext(labeled: pd.DataFrame, test_texts: list[str], ids: Sequence[str], run: Run) -> None:
    seed_everything()
    started = time.perf_counter()
    result = train(labeled)
    whole = time.perf_counter() - started
    metrics = result.card["metrics"]
    model = result.model
    # The warm-up call doubles as a check that this script's metric code agrees with touchtext's.
    predictions = model.predict(test_texts)
    test = labeled[labeled["split"] == "test"]
    P = np.array([[int(any(m.touchpoint == t for m in pred)) for t in ids] for pred in predictions])
    micro, macro = touchpoint_f1(label_matrix(test["labels"].tolist(), ids), P)
    run.predictions["touchtext"] = P
    if abs(micro - metrics["micro_f1"]) > 1e-9 or abs(macro - metrics["macro_f1"]) > 1e-9:
        run.notes.append(
            f"WARNING: this script's F1 on touchtext's predictions ({micro:.4f}/{macro:.4f}) differs from "
            f"touchtext's own ({metrics['micro_f1']:.4f}/{metrics['macro_f1']:.4f})."
        )
    run.predictors["touchtext"] = model.predict
    run.rows.append(
        Row(
            "touchtext",
            metrics["micro_f1"],
            metrics["macro_f1"],
            metrics["sentiment_accuracy"],
            result.card["training_seconds"],
            float("nan"),  # set by interleaved_speeds
        )
    )
    run.notes.append(
        f"touchtext: train s is the model card's `training_seconds` (cleaning the training texts + fitting); "
        f"the whole `train()` call, which also scores the test split, took {whole:.1f} s. "
        f"Sentiment pairs scored: {metrics['sentiment_pairs']}."
    )


def run_baseline(
    baseline: Baseline,
    train_rows: pd.DataFrame,
    test_rows: pd.DataFrame,
    texts: dict[str, list[str]],
    ids: Sequence[str],
    run: Run,
) -> None:
    seed_everything()
    Y = label_matrix(train_rows["labels"].tolist(), ids)
    sentiments = [majority_sentiment(labels) for labels in train_rows["labels"]]
    started = time.perf_counter()
    baseline.fit(texts["train"], Y, sentiments)
    seconds = time.perf_counter() - started
    gold = test_rows["labels"].tolist()
    P, tones = baseline.predict(texts["test"])
    micro, macro = touchpoint_f1(label_matrix(gold, ids), P)
    run.predictions[baseline.name] = P
    run.predictors[baseline.name] = baseline.predict
    run.rows.append(Row(baseline.name, micro, macro, pair_sentiment_accuracy(gold, tones), seconds, float("nan")))
    run.notes.append(baseline.describe())


def time_big_training(labeled: pd.DataFrame, run: Run) -> None:
    train_rows = labeled[labeled["split"] == "train"]
    picks = np.random.default_rng(SEED).integers(0, len(train_rows), size=BIG_TRAIN_ITEMS)
    big = train_rows.iloc[picks].copy()
    big["id"] = [f"{item_id}#{k}" for k, item_id in enumerate(big["id"])]
    big["split"] = "train"
    data = pd.concat([big, labeled[labeled["split"] == "test"]], ignore_index=True)
    seed_everything()
    started = time.perf_counter()
    result = train(data)
    whole = time.perf_counter() - started
    run.notes.append(
        f"Training time on {BIG_TRAIN_ITEMS:,} items (touchtext; the {len(train_rows)} training rows sampled with "
        f"replacement, seed {SEED}): {result.card['training_seconds']:.1f} s `training_seconds`, {whole:.1f} s for "
        "the whole `train()` call. Quality figures of that run are not meaningful (items repeat) and are not reported."
    )


def paired_bootstrap(Y: np.ndarray, ours: np.ndarray, theirs: np.ndarray, rounds: int = 2000) -> str:
    """Micro- and macro-F1 differences (ours - theirs) with 95% intervals from a paired bootstrap
    over test items: both systems are scored on the same resampled items each round."""
    rng = np.random.default_rng(SEED)
    differences = []
    for _ in range(rounds):
        rows = rng.integers(0, len(Y), size=len(Y))
        a, b = touchpoint_f1(Y[rows], ours[rows]), touchpoint_f1(Y[rows], theirs[rows])
        differences.append((a[0] - b[0], a[1] - b[1]))
    d = np.array(differences)
    full = np.subtract(touchpoint_f1(Y, ours), touchpoint_f1(Y, theirs))
    low, high = np.percentile(d, [2.5, 97.5], axis=0)
    return (
        f"micro-F1 {full[0]:+.3f} (95% interval {low[0]:+.3f} to {high[0]:+.3f}), macro-F1 {full[1]:+.3f} "
        f"(95% interval {low[1]:+.3f} to {high[1]:+.3f}); ahead in {np.mean(d[:, 1] > 0):.1%} of {rounds} "
        "resamples on macro-F1"
    )


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| system | micro-F1 | macro-F1 | sentiment acc (pairs) | train s | predict docs/s (1 process) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.system} | {r.micro_f1:.3f} | {r.macro_f1:.3f} | {r.sentiment_accuracy:.3f} | {r.train_s:.1f} "
        f"| {r.docs_per_s:,.0f} |"
        for r in rows
    ]
    return "\n".join(lines)


def report(run: Run, counts: str, command: str, epochs: Epochs) -> str:
    environment = (
        f"Python {platform.python_version()}, spaCy {spacy.__version__}, scikit-learn {sklearn.__version__}, "
        f"{os.cpu_count()} CPU cores ({platform.machine()}), load average at the end "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}: timings on a busy machine are noisy"
    )
    schedule = (
        f"spaCy training: batch size {BATCH_SIZE}, dropout {DROPOUT}, spaCy's default optimizer (Adam.v1, "
        "learn rate 0.001, L2 0.01, grad clip 1.0), early stopping on "
        f"{DEV_FRACTION:.0%} of the training rows (dev micro-F1 at 0.5 / dev accuracy for sentiment), patience "
        f"{epochs.patience}, at most {epochs.max_epochs} epochs, time cap {epochs.time_cap_s:.0f} s per model."
    )
    parts = [
        "# Model comparison",
        "",
        table(run.rows),
        "",
        counts,
        "",
        "- Baselines' sentiment is item-level: one 3-class sentiment per item, predicted for each of its touchpoints "
        "(trained on each item's majority sentiment). touchtext's sentiment is per touchpoint. All are scored on the "
        "gold (touchpoint, sentiment) pairs of the test split.",
        "- micro-F1 over the item x touchpoint matrix; macro-F1 = mean F1 over touchpoints with a test positive.",
        "- All systems see the texts cleaned by `touchtext.training.cleaned_texts`; throughput is measured on cleaned "
        f"test texts repeated to {THROUGHPUT_DOCS:,} docs after one warm-up call, touchpoints + sentiment together, "
        f"median of {SPEED_ROUNDS} rounds in which the systems take turns. "
        "Baselines' train s excludes cleaning.",
        f"- {schedule}",
        *[f"- {note}" for note in run.notes],
        "",
        f"Environment: {environment}.",
        "",
        f"Reproduce (from the repository root): `{command}`",
        "",
    ]
    return "\n".join(parts)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as tmp:
        tmp.write(text)
    os.chmod(tmp.name, 0o644)  # NamedTemporaryFile creates 0600
    os.replace(tmp.name, path)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: at most 2 spaCy epochs, patience 1")
    parser.add_argument("--skip-10k", action="store_true", help="skip timing touchtext's training on 10,000 items")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    epochs = Epochs(max_epochs=2, patience=1) if args.quick else Epochs()
    total = time.perf_counter()

    labeled = load_labeled(ROOT / "data" / "labeled")
    ids = load_taxonomy().ids
    train_rows = labeled[labeled["split"] == "train"]
    test_rows = labeled[labeled["split"] == "test"]
    started = time.perf_counter()
    texts = {"train": cleaned_texts(train_rows)}
    cleaning_s = time.perf_counter() - started
    texts["test"] = cleaned_texts(test_rows)
    run = Run()

    run_touchtext(labeled, texts["test"], ids, run)
    print(f"touchtext done ({time.perf_counter() - total:.0f} s)", file=sys.stderr)
    baselines: list[Baseline] = [
        SpacyBaseline("spaCy textcat_multilabel, default (TextCatEnsemble.v2)", ids, epochs),
        SpacyBaseline("spaCy textcat_multilabel, TextCatBOW.v3", ids, epochs, BOW_MULTILABEL, BOW_EXCLUSIVE),
        TfidfBaseline(ids),
    ]
    for baseline in baselines:
        run_baseline(baseline, train_rows, test_rows, texts, ids, run)
        print(f"{baseline.name} done ({time.perf_counter() - total:.0f} s)", file=sys.stderr)
    interleaved_speeds(run, texts["test"])
    run.notes.append(f"Cleaning the {len(train_rows)} training texts took {cleaning_s:.1f} s.")
    best = max((r for r in run.rows if r.system != "touchtext"), key=lambda r: r.macro_f1)
    Y = label_matrix(test_rows["labels"].tolist(), ids)
    run.notes.append(
        f"touchtext minus the best other system ({best.system}), paired bootstrap over the {len(Y)} test items: "
        + paired_bootstrap(Y, run.predictions["touchtext"], run.predictions[best.system])
        + "."
    )
    if not args.skip_10k:
        time_big_training(labeled, run)
    if args.quick:
        run.notes.append("QUICK RUN (--quick): spaCy models trained for at most 2 epochs; their figures are not final.")
    run.notes.append(f"Whole benchmark: {time.perf_counter() - total:.0f} s.")

    counts = f"Items: {len(train_rows)} train, {len(test_rows)} test (fixed `split` column of data/labeled)."
    command = " ".join(["python", "benchmarks/model_comparison.py", *argv])
    text = report(run, counts, command, epochs)
    print(text)
    write_atomically(RESULTS, text)


if __name__ == "__main__":
    main()
