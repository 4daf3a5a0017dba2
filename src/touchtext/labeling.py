"""Getting labels: weak labels from a taxonomy's seed terms, a model bootstrapped from them,
and picking the items whose labels would teach a model most.

- `keyword_labels`: spaCy's PhraseMatcher over lemmas finds each touchpoint's seed terms per
  sentence; the touchpoint's sentiment comes from a small polarity lexicon in the same
  sentence, flipped when the word lies in a negation scope ("not clean" is negative).
- `bootstrap`: trains a TouchpointModel on those weak labels, then self-trains: items the
  model labels confidently (every touchpoint far from its threshold) join the training set
  with the model's labels, for a few rounds.
- `suggest`: uncertainty (how close the item's touchpoints are to their thresholds, and how
  unsure its sentiments are) plus diversity (a greedy pick that keeps chosen items far apart
  in TF-IDF space), pre-filled with the model's guesses in the label-cell format.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import MiniBatchKMeans
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from . import schema
from .cleaning import clean
from .errors import InputError, LabelError
from .io import detect_text_column, read_table, write_csv
from .language import TextProcessor
from .model import ModelSettings, TouchpointModel, library_versions, save_model
from .taxonomy import Taxonomy, load_taxonomy

__all__ = ["BootstrapResult", "bootstrap", "bootstrap_file", "keyword_labels", "suggest", "suggest_file"]

_POSITIVE = frozenset(
    """good great excellent lovely amazing awesome fantastic brilliant perfect friendly helpful
quick fast easy clean comfortable nice happy pleased love thank thanks recommend smooth efficient polite
professional spotless delicious tasty fresh best superb wonderful kind reliable painless impressed""".split()
)
_NEGATIVE = frozenset(
    """bad poor terrible awful horrible worst rude slow late dirty broken wrong useless
disappointed disappointing annoyed angry frustrated frustrating joke ridiculous unacceptable cold filthy
overcharge overcharged charge twice missing lost damaged cancelled cancel delay delayed never crash error
fail failed problem issue complaint scam stain smelly noisy expensive hidden unhelpful confusing waste""".split()
)


def _lemma_doc(processor: TextProcessor, tokens: Sequence[str]) -> tuple[Doc, list[bool]]:
    """A spaCy Doc whose words are lemmas (negation marks removed) and which were negated."""
    words = [t.removeprefix("not_") or "_" for t in tokens]
    return Doc(processor.nlp.vocab, words=words), [t.startswith("not_") for t in tokens]


def _polarity(doc: Doc, negated: Sequence[bool]) -> str:
    """negative / neutral / positive from lexicon words in a sentence, flipped inside negation scope."""
    score = 0
    for token, flipped in zip(doc, negated, strict=True):
        sign = 1 if token.text in _POSITIVE else -1 if token.text in _NEGATIVE else 0
        score += -sign if flipped else sign
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def keyword_labels(
    texts: Sequence[str], taxonomy: Taxonomy, processor: TextProcessor | None = None
) -> list[dict[str, str]]:
    """Weak labels per text from the taxonomy's seed terms: {touchpoint: sentiment}; {} when no seed matches.

    Example:
        >>> keyword_labels(["The car parks were full, not good"], load_taxonomy())
        [{'parking': 'negative'}]
    """
    if not any(t.seeds for t in taxonomy.touchpoints):
        raise InputError(
            f"Taxonomy {taxonomy.name!r} has no seed terms; add `seeds = [...]` to its [[touchpoint]] tables."
        )
    processor = processor or TextProcessor()
    matcher = PhraseMatcher(processor.nlp.vocab, attr="LOWER")
    for tp in taxonomy.touchpoints:
        patterns = [processor.nlp.make_doc(" ".join(t.removeprefix("not_") for t in processor.lemma_string(s).split()))
                    for s in tp.seeds]  # fmt: skip
        if patterns:
            matcher.add(tp.id, patterns)
    out = []
    for text, doc in zip(texts, processor.docs(texts), strict=True):
        votes: dict[str, Counter[str]] = {}
        for _, tokens in processor.sentence_tokens(doc, text if isinstance(text, str) else ""):
            if not tokens:
                continue
            sentence, negated = _lemma_doc(processor, tokens)
            found = {processor.nlp.vocab.strings[m_id] for m_id, _, _ in matcher(sentence)}
            mood = _polarity(sentence, negated) if found else "neutral"
            for tid in found:
                votes.setdefault(tid, Counter())[mood] += 1
        labels: dict[str, str] = {}
        for tid in taxonomy.ids:  # taxonomy order, sentiment by majority (ties: negative first)
            if tid in votes:
                counts = votes[tid]
                labels[tid] = max(schema.SENTIMENT_LABELS, key=lambda s: (counts[s], s == "negative"))
        out.append(labels)
    return out


@dataclass(frozen=True)
class BootstrapResult:
    """A model bootstrapped from seed terms, the weak labels it started from, and what each round added."""

    model: TouchpointModel
    weak_labels: list[dict[str, str]]
    rounds: list[dict[str, int]]


def _confident(model: TouchpointModel, texts: Sequence[str], margin: float) -> list[dict[str, str] | None]:
    """The model's labels for each text when every touchpoint is at least `margin` from its threshold."""
    out: list[dict[str, str] | None] = []
    for item in model.predict_items(texts):
        sure = bool(np.all(np.abs(item.probabilities - model.thresholds_) >= margin)) and all(
            m.sentiment_confidence >= 0.6 for m in item.mentions
        )
        out.append({m.touchpoint: m.sentiment for m in item.mentions} if sure and item.mentions else None)
    return out


def bootstrap(
    texts: Sequence[str],
    taxonomy: Taxonomy,
    *,
    rounds: int = 2,
    margin: float = 0.2,
    settings: ModelSettings | None = None,
) -> BootstrapResult:
    """Train a model with no labeled data: weak labels from seed terms, then self-training.

    `texts` should already be cleaned (see `bootstrap_file`). Each round, items the model labels
    confidently (every touchpoint at least `margin` from its threshold, sentiments at least 0.6
    sure) take the model's labels, replacing their weak labels or joining the training set,
    and the model is retrained.

    Example:
        >>> result = bootstrap(cleaned, load_taxonomy("mine.toml"))  # doctest: +SKIP
    """
    weak = keyword_labels(texts, taxonomy)
    training = {i: labels for i, labels in enumerate(weak) if labels}
    if len({t for labels in training.values() for t in labels}) < 2:
        raise LabelError("Seed terms matched fewer than two touchpoints in the data; add seeds or more data.")
    history = []
    model = TouchpointModel(touchpoint_ids=taxonomy.ids, settings=settings)
    for round_number in range(rounds + 1):
        rows = sorted(training)
        model = TouchpointModel(touchpoint_ids=taxonomy.ids, settings=settings).fit(
            [texts[i] for i in rows], [training[i] for i in rows]
        )
        history.append({"round": round_number, "training_items": len(rows)})
        if round_number == rounds:
            break
        changed = 0  # confident model labels replace weak ones and extend to unmatched items
        for i, labels in enumerate(_confident(model, texts, margin)):
            if labels and training.get(i) != labels:
                training[i] = labels
                changed += 1
        history[-1]["relabeled_or_added"] = changed
        if changed == 0:
            break
    return BootstrapResult(model=model, weak_labels=weak, rounds=history)


def _cleaned(df: pd.DataFrame, text_column: str | None) -> list[str]:
    column = detect_text_column(df, text_column)
    return clean(df, text_column=column)[schema.CLEAN_TEXT].fillna("").astype(str).tolist()


def bootstrap_file(
    data_path: str | Path,
    out_dir: str | Path,
    *,
    taxonomy: Taxonomy | None = None,
    text_column: str | None = None,
    rounds: int = 2,
) -> BootstrapResult:
    """What `touchtext bootstrap` does: read unlabeled feedback, clean it, `bootstrap` a model
    from the taxonomy's seed terms, and save the model (with its card) and `weak_labels.csv`
    (text and weak label cell per row, `none` where no seed matched) into `out_dir`.

    Example:
        >>> bootstrap_file("unlabeled.csv", "models/start", taxonomy=load_taxonomy("mine.toml"))  # doctest: +SKIP
    """
    taxonomy = taxonomy or load_taxonomy()
    df = read_table(data_path)
    texts = _cleaned(df, text_column)
    started = time.perf_counter()
    result = bootstrap(texts, taxonomy, rounds=rounds)
    cells = ["|".join(f"{t}:{s}" for t, s in labels.items()) or "none" for labels in result.weak_labels]
    card = {
        "name": f"{taxonomy.name}-bootstrapped",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "taxonomy": taxonomy.to_dict(),
        "data": {"source": Path(data_path).name, "n_train": result.rounds[-1]["training_items"], "n_test": 0,
                 "items": len(texts), "weak_label_counts": dict(Counter(t for w in result.weak_labels for t in w))},
        "training_seconds": round(time.perf_counter() - started, 2),
        "bootstrap_rounds": result.rounds,
        "cross_validation": result.model.cv_report_,
        "thresholds": {t: float(v) for t, v in zip(taxonomy.ids, result.model.thresholds_, strict=True)},
        "versions": library_versions(),
    }  # fmt: skip
    save_model(result.model, card, out_dir)
    weak = pd.DataFrame({schema.ROW_ID: df[schema.ROW_ID], "text": df[detect_text_column(df, text_column)],
                         "labels": cells})  # fmt: skip
    write_csv(weak, Path(out_dir) / "weak_labels.csv")
    return result


def suggest_file(
    model: TouchpointModel,
    data_path: str | Path,
    n: int,
    out_file: str | Path,
    *,
    text_column: str | None = None,
) -> pd.DataFrame:
    """What `touchtext suggest` does: `suggest` n items of an unlabeled file and write them as a
    CSV (text, pre-filled `labels`) that `train` accepts once corrected."""
    picked = suggest(model, read_table(data_path), n, text_column=text_column)
    write_csv(picked, out_file)
    return picked


def suggest(
    model: TouchpointModel,
    df: pd.DataFrame,
    n: int,
    *,
    text_column: str | None = None,
) -> pd.DataFrame:
    """The `n` items of `df` whose labels would teach `model` most, pre-filled with its guesses.

    Uncertainty of an item: the largest closeness of any touchpoint's probability to its
    threshold (1 at the threshold, 0 far from it) or of any sentiment to a coin toss. Diversity:
    the candidates are split into `n` clusters of similar texts (k-means on word TF-IDF) and the
    most uncertain item of each cluster is picked, so one batch covers the data instead of
    spending every label on near-copies of the same confusing item. Output
    columns: row_id, the text, `labels` (the model's guess, to be corrected: `none` when it saw
    no touchpoint), `uncertainty`, `reason`. Corrected, the file is accepted by `train`.

    Example:
        >>> suggest(model, pd.read_csv("unlabeled.csv"), 200)  # doctest: +SKIP
    """
    if n <= 0:
        raise InputError(f"-n must be a positive number of items, not {n}.")
    column = detect_text_column(df, text_column)
    frame = df.reset_index(drop=True)
    texts = _cleaned(frame, column)
    keep = [i for i, t in enumerate(texts) if t.strip()]
    if not keep:
        raise InputError("No items with text to suggest from.")
    candidates = [texts[i] for i in keep]
    predictions = model.predict_items(candidates)
    proba = np.array([p.probabilities for p in predictions])
    band = 0.25
    closeness = np.clip(1 - np.abs(proba - model.thresholds_) / band, 0, 1).max(axis=1)
    sentiment_doubt = np.array(
        [max((1 - m.sentiment_confidence for m in p.mentions), default=0.0) for p in predictions]
    )
    uncertainty = np.maximum(closeness, sentiment_doubt)
    words = model.features_.named_transformers_["words"].transform(model.processor.lemma_strings(candidates))
    count = min(n, len(keep))
    # Cover the data: one item per cluster of similar texts (k-means on word TF-IDF), the most
    # uncertain of its cluster. Pure uncertainty sampling lost to random selection (README).
    clusters = MiniBatchKMeans(n_clusters=count, n_init=3, random_state=0, batch_size=2048).fit_predict(words)
    chosen = [
        int(members[np.argmax(uncertainty[members])])
        for members in (np.flatnonzero(clusters == c) for c in range(count))
        if len(members)
    ]
    rest = np.setdiff1d(np.arange(len(keep)), chosen)
    chosen += [int(i) for i in rest[np.argsort(-uncertainty[rest], kind="stable")][: count - len(chosen)]]
    chosen.sort(key=lambda i: -uncertainty[i])
    rows = []
    for k in chosen:
        p = predictions[k]
        guess = "|".join(f"{m.touchpoint}:{m.sentiment}" for m in p.mentions) or "none"
        rows.append({
            schema.ROW_ID: keep[k] + 1, "text": frame.at[keep[k], column], "labels": guess,
            "uncertainty": round(float(uncertainty[k]), 4), "reason": "; ".join(p.review_reasons),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=[schema.ROW_ID, "text", "labels", "uncertainty", "reason"])
