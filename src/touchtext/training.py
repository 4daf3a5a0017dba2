"""Training and evaluating touchpoint models from labeled data.

Labeled data: one item per row with a text and a label cell such as
`billing:negative|delivery:positive` (touchpoint with its sentiment) or `billing|delivery`
(touchpoints only). A `split` column marks the held-out test rows that training never sees.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_fscore_support

from . import schema
from .cleaning import CleaningSettings, clean
from .errors import InputError, LabelError
from .io import read_table
from .model import ModelSettings, TouchpointModel, library_versions, settings_dict
from .taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "LABELED_FORMATS",
    "TrainResult",
    "assign_split",
    "evaluate",
    "load_labeled",
    "parse_label_cell",
    "train",
]

LABELED_FORMATS = (".jsonl", ".csv", ".tsv", ".json")
MIN_EXAMPLES = 3  # a touchpoint needs at least this many training items


def parse_label_cell(cell: object, valid: Sequence[str], where: str = "") -> dict[str, str | None]:
    """Parse `billing:negative|delivery` into {"billing": "negative", "delivery": None}.

    Example:
        >>> parse_label_cell("billing:negative|staff", ["billing", "staff"])
        {'billing': 'negative', 'staff': None}
    """
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return {}
    out: dict[str, str | None] = {}
    for part in str(cell).replace(",", "|").replace(";", "|").split("|"):
        part = part.strip()
        if not part:
            continue
        touchpoint, _, sentiment = part.partition(":")
        touchpoint, sentiment = touchpoint.strip().lower(), sentiment.strip().lower()
        if touchpoint not in valid:
            raise LabelError(f"{where}unknown touchpoint {touchpoint!r}; valid touchpoints: {', '.join(valid)}.")
        if sentiment and sentiment not in schema.SENTIMENT_LABELS:
            raise LabelError(
                f"{where}unknown sentiment {sentiment!r} for {touchpoint!r}; "
                f"use one of {', '.join(schema.SENTIMENT_LABELS)}."
            )
        out[touchpoint] = sentiment or None
    return out


def assign_split(ids: Sequence[str], test_fraction: float = 0.22) -> list[str]:
    """Deterministic train/test assignment from a hash of each id (stable as data grows)."""
    cut = int(test_fraction * 10_000)
    return ["test" if int(hashlib.sha256(str(i).encode()).hexdigest(), 16) % 10_000 < cut else "train" for i in ids]


def _data_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in LABELED_FORMATS and not p.name.startswith("."))
        if not files:
            raise InputError(f"No labeled files ({', '.join(LABELED_FORMATS)}) in folder {str(path)!r}.")
        return files
    if not path.exists():
        raise InputError(f"Labeled data {str(path)!r} does not exist; give a file or a folder of files.")
    return [path]


def load_labeled(
    path: str | Path,
    *,
    text_column: str = "text",
    labels_column: str = "labels",
    taxonomy: Taxonomy | None = None,
) -> pd.DataFrame:
    """Read labeled items from a file or a folder of files, validating every label cell.

    Returns columns `id`, `text`, `labels` (parsed dicts), `split` and any other columns
    present (source, industry, rating, ...). Rows without a split get a hash-based one.
    """
    taxonomy = taxonomy or load_taxonomy()
    frames = []
    for file in _data_files(Path(path)):
        df = read_table(file)
        missing = [c for c in (text_column, labels_column) if c not in df.columns]
        if missing:
            raise LabelError(
                f"{file} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, df.columns))}. "
                "Name them with --text-col and --labels-col."
            )
        df["_file"] = file.name
        frames.append(df)
    data = pd.concat(frames, ignore_index=True)
    problems: list[str] = []
    parsed: list[dict[str, str | None]] = []
    for file, row, cell in zip(data["_file"], data[schema.ROW_ID], data[labels_column], strict=True):
        try:
            parsed.append(parse_label_cell(cell, taxonomy.ids, where=f"{file} row {row}: "))
        except LabelError as exc:
            problems.append(str(exc))
            parsed.append({})
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise LabelError(f"{len(problems)} bad label cell(s): {shown}{more}.")
    out = data.rename(columns={text_column: "text"}).copy()
    out["labels"] = parsed
    if "id" not in out.columns:
        out["id"] = [f"{f}:{r}" for f, r in zip(out["_file"], out[schema.ROW_ID], strict=True)]
    empty_text = out["text"].isna() | (out["text"].astype(str).str.strip() == "")
    if empty_text.any():
        rows = ", ".join(
            f"{f} row {r}"
            for f, r in zip(out.loc[empty_text, "_file"], out.loc[empty_text, schema.ROW_ID], strict=True)
        )
        raise LabelError(f"Empty text in {rows}; remove those rows or fill in their text.")
    dupes = out["id"][out["id"].duplicated()].tolist()
    if dupes:
        raise LabelError(f"Duplicate ids in labeled data: {', '.join(map(str, dupes[:10]))}; ids must be unique.")
    if "split" not in out.columns:
        out["split"] = assign_split(out["id"].astype(str).tolist())
    else:
        missing_split = out["split"].isna() | ~out["split"].isin(["train", "test"])
        out.loc[missing_split, "split"] = assign_split(out.loc[missing_split, "id"].astype(str).tolist())
    return out.drop(columns=[schema.ROW_ID])


def data_fingerprint(labeled: pd.DataFrame) -> str:
    """sha256 over ids, texts, labels and splits: identifies exactly what a model saw."""
    digest = hashlib.sha256()
    for row in labeled.sort_values("id")[["id", "text", "labels", "split"]].itertuples(index=False):
        digest.update(repr((str(row.id), row.text, sorted(row.labels.items()), row.split)).encode("utf-8"))
    return digest.hexdigest()


def _check_label_support(train_rows: pd.DataFrame, taxonomy: Taxonomy) -> Counter[str]:
    counts: Counter[str] = Counter(t for labels in train_rows["labels"] for t in labels)
    rare = [f"{t} ({counts[t]})" for t in taxonomy.ids if 0 < counts[t] < MIN_EXAMPLES]
    if rare:
        raise LabelError(
            f"Touchpoint(s) with fewer than {MIN_EXAMPLES} training examples: {', '.join(rare)}; "
            "label more items for them or remove them from the taxonomy."
        )
    if sum(counts.values()) == 0:
        raise LabelError("The training rows carry no touchpoint labels at all.")
    return counts


def cleaned_texts(labeled: pd.DataFrame, settings: CleaningSettings | None = None) -> list[str]:
    """The labeled texts cleaned exactly as `classify` cleans input (a `source` column is honoured)."""
    return clean(labeled, text_column="text", settings=settings)[schema.CLEAN_TEXT].tolist()


def evaluate(model: TouchpointModel, labeled: pd.DataFrame) -> dict[str, Any]:
    """Held-out metrics: per-touchpoint precision/recall/F1, micro/macro F1, sentiment accuracy.

    Sentiment accuracy is measured on the gold (touchpoint, sentiment) pairs, giving the model
    the gold touchpoints, so it isolates the sentiment step. `pair_f1` scores the whole
    output: a predicted (touchpoint, sentiment) pair counts only if both are right.
    """
    ids = list(model.touchpoint_ids)
    texts = cleaned_texts(labeled)
    gold = labeled["labels"].tolist()
    predictions = model.predict(texts)
    Y = np.array([[int(t in g) for t in ids] for g in gold])
    P = np.array([[int(any(m.touchpoint == t for m in pred)) for t in ids] for pred in predictions])
    precision, recall, f1, support = precision_recall_fscore_support(Y, P, zero_division=0)
    present = Y.sum(axis=0) > 0
    per = {
        t: {
            "precision": float(precision[j]),
            "recall": float(recall[j]),
            "f1": float(f1[j]),
            "support": int(support[j]),
        }
        for j, t in enumerate(ids)
    }
    pairs = [(i, t, s) for i, g in enumerate(gold) for t, s in g.items() if s]
    sentiment_pred = model.predict_sentiment(
        [texts[i] for i in sorted({i for i, _, _ in pairs})],
        [[t for j, t, _ in pairs if j == i] for i in sorted({i for i, _, _ in pairs})],
    )
    by_item = dict(zip(sorted({i for i, _, _ in pairs}), sentiment_pred, strict=True))
    s_true = [s for _, _, s in pairs]
    s_pred = [by_item[i][t] for i, t, _ in pairs]
    gold_pairs = {(i, t, s) for i, t, s in pairs}
    pred_pairs = {(i, m.touchpoint, m.sentiment) for i, pred in enumerate(predictions) for m in pred}
    hit = len(gold_pairs & pred_pairs)
    pair_p = hit / max(len(pred_pairs), 1)
    pair_r = hit / max(len(gold_pairs), 1)
    return {
        "n_items": len(texts),
        "micro_f1": float(f1_score(Y, P, average="micro", zero_division=0)),
        "macro_f1": float(np.mean(f1[present])) if present.any() else 0.0,
        "sentiment_accuracy": float(np.mean([a == b for a, b in zip(s_true, s_pred, strict=True)])) if pairs else 0.0,
        "sentiment_macro_f1": float(f1_score(s_true, s_pred, average="macro", zero_division=0)) if pairs else 0.0,
        "sentiment_pairs": len(pairs),
        "pair_f1": 2 * pair_p * pair_r / max(pair_p + pair_r, 1e-12),
        "no_touchpoint_items": int(sum(1 for p in predictions if not p)),
        "per_touchpoint": per,
    }


@dataclass(frozen=True)
class TrainResult:
    """A trained model with its card (data, metrics, versions) ready to be saved."""

    model: TouchpointModel
    card: dict[str, Any]


def train(
    labeled: pd.DataFrame,
    *,
    taxonomy: Taxonomy | None = None,
    settings: ModelSettings | None = None,
    name: str = "touchtext-default",
) -> TrainResult:
    """Fit a model on the `train` rows of `labeled` and score it on the held-out `test` rows.

    Example:
        >>> result = train(load_labeled("data/labeled"))
        >>> round(result.card["metrics"]["macro_f1"], 2)  # doctest: +SKIP
        0.7
    """
    taxonomy = taxonomy or load_taxonomy()
    train_rows = labeled[labeled["split"] == "train"]
    test_rows = labeled[labeled["split"] == "test"]
    if len(train_rows) < 10:
        raise LabelError(f"Only {len(train_rows)} training rows; at least 10 labeled items are needed to train.")
    counts = _check_label_support(train_rows, taxonomy)
    started = time.perf_counter()
    model = TouchpointModel(touchpoint_ids=taxonomy.ids, settings=settings).fit(
        cleaned_texts(train_rows), train_rows["labels"].tolist()
    )
    seconds = time.perf_counter() - started
    metrics = evaluate(model, test_rows) if len(test_rows) else {}
    sentiments: Counter[str] = Counter(s for labels in train_rows["labels"] for s in labels.values() if s)
    card: dict[str, Any] = {
        "name": name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "taxonomy": taxonomy.to_dict(),
        "data": {
            "sha256": data_fingerprint(labeled),
            "n_train": len(train_rows),
            "n_test": len(test_rows),
            "label_counts": {t: counts.get(t, 0) for t in taxonomy.ids},
            "sentiment_counts": dict(sentiments),
            "sources": {str(k): int(v) for k, v in labeled["source"].value_counts().items()}
            if "source" in labeled.columns
            else {},
        },
        "training_seconds": round(seconds, 2),
        "cleaning": "texts cleaned as by touchtext.clean (per-item source, personal data redacted)",
        "settings": settings_dict(model),
        "thresholds": {t: float(v) for t, v in zip(taxonomy.ids, model.thresholds_, strict=True)},
        "metrics": metrics,
        "top_terms": {t: model.top_terms(t, 10) for t in taxonomy.ids if counts.get(t, 0)},
        "versions": library_versions(),
    }
    return TrainResult(model=model, card=card)
