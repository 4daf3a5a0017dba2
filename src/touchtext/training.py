"""Training and evaluating touchpoint models from labeled data.

Labeled data: one item per row with a text and a label cell such as
`billing:negative|delivery:positive` (touchpoint with its sentiment) or `billing|delivery`
(touchpoints only). A `split` column marks the held-out test rows that training never sees.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import time
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import f1_score, precision_recall_fscore_support

from . import schema
from ._langid import LANGUAGE_NAMES, UNDETERMINED, detect_languages
from .cleaning import CleaningSettings, clean, row_sources
from .errors import InputError, LabelError, LabelWarning
from .io import read_table
from .language import MODEL_LANGUAGES, LanguageSettings
from .model import Mention, ModelSettings, TouchpointModel, library_versions, load_model, save_model, settings_dict
from .taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "LABELED_FORMATS",
    "TrainResult",
    "assign_split",
    "check_labels_file",
    "evaluate",
    "evaluate_file",
    "find_label_errors",
    "label_problems",
    "load_checked",
    "load_labeled",
    "parse_label_cell",
    "parse_sentiment",
    "train",
    "train_file",
]

LABELED_FORMATS = (".jsonl", ".csv", ".tsv", ".json")
MIN_EXAMPLES = 3  # a touchpoint needs at least this many training items


NO_TOUCHPOINT = ("none", "other", "no_touchpoint")  # a label cell saying: this item speaks of no touchpoint
SENTIMENT_ALIASES = {"neg": "negative", "neu": "neutral", "pos": "positive", "-1": "negative", "0": "neutral",
                     "1": "positive", "mixed": "neutral"}  # fmt: skip


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and np.isnan(cell)) or not str(cell).strip()


def parse_sentiment(cell: object, where: str = "") -> str | None:
    """An item-level sentiment cell as negative / neutral / positive (None when blank).

    Example:
        >>> parse_sentiment(" Positive ")
        'positive'
    """
    if _blank(cell):
        return None
    value = str(cell).strip().lower()
    value = SENTIMENT_ALIASES.get(value, value)
    if value not in schema.SENTIMENT_LABELS:
        raise LabelError(f"{where}unknown sentiment {str(cell)!r}; use one of {', '.join(schema.SENTIMENT_LABELS)}.")
    return value


def parse_label_cell(cell: object, valid: Sequence[str], where: str = "") -> dict[str, str | None]:
    """Parse `billing:negative|delivery` into {"billing": "negative", "delivery": None}.

    `none` (or `other`) means the item speaks of no touchpoint and gives {}; so does a blank
    cell, which `load_labeled` refuses unless the row has an item-level sentiment.

    Example:
        >>> parse_label_cell("billing:negative|staff", ["billing", "staff"])
        {'billing': 'negative', 'staff': None}
    """
    if _blank(cell) or str(cell).strip().lower() in NO_TOUCHPOINT:
        return {}
    out: dict[str, str | None] = {}
    for part in str(cell).replace(",", "|").replace(";", "|").split("|"):
        part = part.strip()
        if not part:
            continue
        touchpoint, _, sentiment = part.partition(":")
        touchpoint = touchpoint.strip().lower()
        if touchpoint not in valid:
            close = difflib.get_close_matches(touchpoint, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LabelError(f"{where}unknown touchpoint {touchpoint!r}{hint}; valid touchpoints: {', '.join(valid)}.")
        try:
            out[touchpoint] = parse_sentiment(sentiment)
        except LabelError:
            raise LabelError(
                f"{where}unknown sentiment {sentiment.strip()!r} for {touchpoint!r}; "
                f"use one of {', '.join(schema.SENTIMENT_LABELS)}."
            ) from None
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


def _read_labeled(paths: Sequence[str | Path], columns: Sequence[str]) -> pd.DataFrame:
    """All rows of all labeled files, with the file name and 1-based row of each."""
    frames = []
    for path in paths:
        for file in _data_files(Path(path)):
            df = read_table(file)
            missing = [c for c in columns if c not in df.columns]
            if missing:
                raise LabelError(
                    f"{file} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, df.columns))}. "
                    "Name them with --text-col, --labels-col and --sentiment-col."
                )
            frames.append(df.assign(label_file=file.name).rename(columns={schema.ROW_ID: "label_row"}))
    return pd.concat(frames, ignore_index=True)


def _normalized(text: object) -> str:
    return " ".join(str(text).lower().split())


def _parse_rows(
    data: pd.DataFrame, labels_column: str, sentiment_column: str | None, taxonomy: Taxonomy
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Parse every label cell and check every row; return the parsed rows and the problems found."""
    problems: list[dict[str, Any]] = []

    def report(i: int, severity: str, problem: str) -> None:
        problems.append({"file": data.at[i, "label_file"], "row": int(data.at[i, "label_row"]),
                         "id": data.at[i, "id"], "severity": severity, "problem": problem})  # fmt: skip

    labels: list[dict[str, str | None]] = []
    item_sentiments: list[str | None] = []
    known: list[bool] = []
    for i in data.index:
        item_sentiment = None
        if sentiment_column is not None:
            try:
                item_sentiment = parse_sentiment(data.at[i, sentiment_column])
            except LabelError as exc:
                report(i, "error", str(exc).rstrip("."))
        try:
            parsed = parse_label_cell(data.at[i, labels_column], taxonomy.ids)
        except LabelError as exc:
            report(i, "error", str(exc).rstrip("."))
            parsed = {}
        blank = _blank(data.at[i, labels_column])
        if blank and item_sentiment is None:
            report(i, "error", "empty label cell; write `none` if the item speaks of no touchpoint")
        if _blank(data.at[i, "text"]):
            report(i, "error", "empty text; remove the row or fill in its text")
        labels.append({t: s or item_sentiment for t, s in parsed.items()})
        item_sentiments.append(item_sentiment)
        known.append(not blank)
    out = data.assign(labels=labels, item_sentiment=item_sentiments, touchpoints_known=known)
    first_by_id: dict[str, int] = {}
    first_by_text: dict[str, int] = {}
    duplicates: list[int] = []
    for i in out.index:
        key = (_normalized(out.at[i, "text"]), sorted(out.at[i, "labels"].items()), out.at[i, "item_sentiment"])
        for index, value in ((first_by_id, str(out.at[i, "id"])), (first_by_text, key[0])):
            if value not in index:
                index[value] = i
                continue
            j = index[value]
            where = f"{out.at[j, 'label_file']} row {out.at[j, 'label_row']}"
            same = key == (
                _normalized(out.at[j, "text"]),
                sorted(out.at[j, "labels"].items()),
                out.at[j, "item_sentiment"],
            )
            if same:
                report(i, "warning", f"duplicate of {where}; kept once")
                duplicates.append(i)
            elif index is first_by_id:
                report(
                    i,
                    "error",
                    f"id {value!r} is also used by {where} with different text or labels; ids must be unique",
                )
            else:
                report(i, "error", f"conflicting labels for the same text as {where}; settle on one labeling")
            break
    return out.drop(index=duplicates), problems


PROBLEM_COLUMNS = ("file", "row", "id", "severity", "problem")


def label_problems(
    path: str | Path | Sequence[str | Path],
    *,
    text_column: str = "text",
    labels_column: str = "labels",
    sentiment_column: str | None = None,
    taxonomy: Taxonomy | None = None,
) -> pd.DataFrame:
    """Every problem in labeled data, one row each (file, row, id, severity, problem), without raising.

    Errors (unknown touchpoint or sentiment, empty label cell, empty text, an id reused for
    different content, the same text labeled two ways) stop training; warnings (exact
    duplicates, kept once) do not.

    Example:
        >>> label_problems("data/labeled").query("severity == 'error'")  # doctest: +SKIP
    """
    _, problems = _read_and_check(path, text_column, labels_column, sentiment_column, taxonomy)
    return pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))


def _read_and_check(
    path: str | Path | Sequence[str | Path],
    text_column: str,
    labels_column: str,
    sentiment_column: str | None,
    taxonomy: Taxonomy | None,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Read labeled files (ids default to file:row) and parse and check every row."""
    paths = [path] if isinstance(path, str | Path) else list(path)
    columns = [c for c in (text_column, labels_column, sentiment_column) if c]
    data = _read_labeled(paths, columns).rename(columns={text_column: "text"})
    if "id" not in data.columns:
        data = data.assign(id=[f"{f}:{r}" for f, r in zip(data["label_file"], data["label_row"], strict=True)])
    return _parse_rows(data, labels_column, sentiment_column, taxonomy or load_taxonomy())


def _raise_on_errors(problems: list[dict[str, Any]], what: str = "labeled data") -> None:
    errors = [p for p in problems if p["severity"] == "error"]
    for p in problems:
        if p["severity"] == "warning":
            warnings.warn(f"{p['file']} row {p['row']}: {p['problem']}", LabelWarning, stacklevel=3)
    if errors:
        shown = "; ".join(f"{p['file']} row {p['row']}: {p['problem']}" for p in errors[:5])
        more = (
            f" (and {len(errors) - 5} more; touchtext.training.label_problems lists them all)"
            if len(errors) > 5
            else ""
        )
        raise LabelError(f"{len(errors)} problem(s) in {what}: {shown}{more}.")


def load_labeled(
    path: str | Path | Sequence[str | Path],
    *,
    text_column: str = "text",
    labels_column: str = "labels",
    sentiment_column: str | None = None,
    taxonomy: Taxonomy | None = None,
) -> pd.DataFrame:
    """Read labeled items from files or folders of files, validating every row.

    Label cells: `billing|delivery` (touchpoints only), `billing:negative|delivery:positive`
    (touchpoint with its sentiment), or `none` (no touchpoint). An optional item-level
    `sentiment_column` fills in the sentiment of touchpoints that have none, and a row with a
    sentiment but an empty label cell is used for the sentiment model only.

    Returns columns `id`, `text`, `labels` (dicts), `item_sentiment`, `touchpoints_known`,
    `split`, `label_file`, `label_row` and any other columns present. Rows without a split get
    a hash-based one. Raises LabelError naming the rows of every error (see `label_problems`).
    """
    out, problems = _read_and_check(path, text_column, labels_column, sentiment_column, taxonomy)
    _raise_on_errors(problems)
    return _with_split(out)


def _with_split(out: pd.DataFrame) -> pd.DataFrame:
    """Rows without a valid split get the hash-based one."""
    if "split" not in out.columns:
        out["split"] = assign_split(out["id"].astype(str).tolist())
    else:
        missing_split = out["split"].isna() | ~out["split"].isin(["train", "test"])
        out.loc[missing_split, "split"] = assign_split(out.loc[missing_split, "id"].astype(str).tolist())
    return out.reset_index(drop=True)


def load_checked(
    path: str | Path | Sequence[str | Path],
    *,
    text_column: str = "text",
    labels_column: str = "labels",
    sentiment_column: str | None = None,
    taxonomy: Taxonomy | None = None,
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Like `load_labeled` but never raises for label problems: the rows (None when any
    problem is an error) and every problem as a table (PROBLEM_COLUMNS)."""
    out, problems = _read_and_check(path, text_column, labels_column, sentiment_column, taxonomy)
    table = pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))
    if (table["severity"] == "error").any():
        return None, table
    return _with_split(out), table


def data_fingerprint(labeled: pd.DataFrame) -> str:
    """sha256 over ids, texts, labels and splits: identifies exactly what a model saw."""
    digest = hashlib.sha256()
    for row in labeled.sort_values("id")[["id", "text", "labels", "split"]].itertuples(index=False):
        digest.update(repr((str(row.id), row.text, sorted(row.labels.items()), row.split)).encode("utf-8"))
    return digest.hexdigest()


def _check_label_support(train_rows: pd.DataFrame, taxonomy: Taxonomy) -> Counter[str]:
    """Refuse touchpoints with 1 or 2 training examples (too few to learn or tune a threshold),
    naming the rows that carry them."""
    counts: Counter[str] = Counter(t for labels in train_rows["labels"] for t in labels)
    rare = []
    for t in taxonomy.ids:
        if 0 < counts[t] < MIN_EXAMPLES:
            carriers = train_rows[[t in labels for labels in train_rows["labels"]]]
            rows = ", ".join(_where(r) for r in carriers.itertuples(index=False))
            rare.append(f"{t} ({counts[t]}: {rows})")
    if rare:
        raise LabelError(
            f"Touchpoint(s) with fewer than {MIN_EXAMPLES} training examples: {'; '.join(rare)}; "
            "label more items for them or remove them from the taxonomy."
        )
    if sum(counts.values()) == 0:
        raise LabelError("The training rows carry no touchpoint labels at all.")
    return counts


def _check_text_language(texts: Sequence[str], language: str) -> None:
    """Refuse to train a model for one language on texts mostly in another: `classify` would skip
    every text in that other language as unsupported_language."""
    told = [found for found in detect_languages(texts) if found != UNDETERMINED]
    if not told:
        return
    [(most, n)] = Counter(told).most_common(1)
    if most == language or n <= len(told) / 2:
        return
    fix = (
        f"rerun with --language {most} (language={most!r} in Python)"
        if most in MODEL_LANGUAGES
        else f"translate them to one of {', '.join(MODEL_LANGUAGES)} first"
    )
    raise LabelError(
        f"{n} of the {len(told)} labeled texts whose language could be told are in {LANGUAGE_NAMES[most]} "
        f"({most}), but the model is for {LANGUAGE_NAMES[language]} ({language}); {fix}."
    )


def _where(row: Any) -> str:
    file, line = getattr(row, "label_file", None), getattr(row, "label_row", None)
    return f"{file} row {line}" if file is not None else f"id {row.id}"


_PARALLEL_CLEANING_ROWS = 2_000  # below this, starting worker processes costs more than it saves


def cleaned_texts(labeled: pd.DataFrame, settings: CleaningSettings | None = None, n_jobs: int = 1) -> list[str]:
    """The labeled texts cleaned exactly as `classify` cleans input (a `source` column is honoured);
    with `n_jobs` > 1, large label sets are cleaned in that many processes."""
    if n_jobs <= 1 or len(labeled) < _PARALLEL_CLEANING_ROWS:
        return clean(labeled, text_column="text", settings=settings)[schema.CLEAN_TEXT].tolist()
    kinds = np.asarray(row_sources(labeled, text_column="text"))  # decided on the whole frame, as `clean` does
    bounds = np.linspace(0, len(labeled), n_jobs + 1).astype(int)
    parts = Parallel(n_jobs=n_jobs)(
        delayed(_cleaned_by_kind)(labeled.iloc[a:b], kinds[a:b], settings) for a, b in itertools.pairwise(bounds)
    )
    return [text for part in parts for text in part]


def _cleaned_by_kind(labeled: pd.DataFrame, kinds: np.ndarray, settings: CleaningSettings | None) -> list[str]:
    """Clean texts whose source kinds are already decided (one `clean` call per kind)."""
    texts = pd.Series("", index=range(len(labeled)), dtype=object)
    for kind in np.unique(kinds):
        rows = np.flatnonzero(kinds == kind)
        part = clean(labeled.iloc[rows], text_column="text", source=kind, settings=settings)
        texts.iloc[rows] = part[schema.CLEAN_TEXT].tolist()
    return texts.tolist()


def evaluate(model: TouchpointModel, labeled: pd.DataFrame) -> dict[str, Any]:
    """Held-out metrics: per-touchpoint precision/recall/F1, micro/macro F1, sentiment accuracy.

    Sentiment accuracy is measured on the gold (touchpoint, sentiment) pairs, giving the model
    the gold touchpoints, so it isolates the sentiment step. `pair_f1` scores the whole
    output: a predicted (touchpoint, sentiment) pair counts only if both are right.
    """
    if "touchpoints_known" in labeled.columns:  # sentiment-only rows say nothing about touchpoints
        labeled = labeled[labeled["touchpoints_known"].astype(bool)]
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
        "confused_pairs": _confused_pairs(gold, predictions),
        "sentiment_confusion": _sentiment_confusion(s_true, s_pred),
    }


def _confused_pairs(
    gold: Sequence[Mapping[str, Any]], predictions: Sequence[Sequence[Mention]], top: int = 10
) -> list[dict[str, Any]]:
    """The label pairs most often confused: in the same item, gold `a` was missed while `b` was
    predicted without being gold (the model said b where a human said a)."""
    counts: Counter[tuple[str, str]] = Counter()
    for g, pred in zip(gold, predictions, strict=True):
        predicted = {m.touchpoint for m in pred}
        counts.update((a, b) for a in set(g) - predicted for b in predicted - set(g))
    return [{"gold": a, "predicted": b, "items": n} for (a, b), n in counts.most_common(top)]


def _sentiment_confusion(true: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, int]]:
    """Gold sentiment -> predicted sentiment -> count, over gold (touchpoint, sentiment) pairs."""
    table = {t: dict.fromkeys(schema.SENTIMENT_LABELS, 0) for t in schema.SENTIMENT_LABELS}
    for t, p in zip(true, predicted, strict=True):
        table[t][p] += 1
    return table


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
    language: str = "en",
) -> TrainResult:
    """Fit a model on the `train` rows of `labeled` and score it on the held-out `test` rows.

    `language` (ISO 639-1, one of `MODEL_LANGUAGES`) is the language the texts are in: it picks
    spaCy's tokenizer, the lemma table and the negation words, and texts detected in another
    language are later skipped as `unsupported_language`. Training refuses texts mostly in another.

    Example:
        >>> result = train(load_labeled("data/labeled"))
        >>> round(result.card["metrics"]["macro_f1"], 2)  # doctest: +SKIP
        0.7
    """
    taxonomy = taxonomy or load_taxonomy()
    language_settings = LanguageSettings(lang=language)  # an unsupported language fails here, before any work
    train_rows = labeled[labeled["split"] == "train"]
    test_rows = labeled[labeled["split"] == "test"]
    if len(train_rows) < 10:
        raise LabelError(f"Only {len(train_rows)} training rows; at least 10 labeled items are needed to train.")
    counts = _check_label_support(train_rows, taxonomy)
    started = time.perf_counter()
    known = train_rows["touchpoints_known"] if "touchpoints_known" in train_rows else pd.Series(True, train_rows.index)
    item_sentiments = train_rows["item_sentiment"].tolist() if "item_sentiment" in train_rows else None
    texts = cleaned_texts(train_rows, n_jobs=(settings or ModelSettings()).n_jobs)
    _check_text_language(texts, language)
    model = TouchpointModel(touchpoint_ids=taxonomy.ids, settings=settings, language=language_settings).fit(
        texts,
        [labels if ok else None for labels, ok in zip(train_rows["labels"], known, strict=True)],
        item_sentiments,
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
        "cross_validation": model.cv_report_,
        "top_terms": {t: model.top_terms(t, 10) for t in taxonomy.ids if counts.get(t, 0)},
        "versions": library_versions(),
    }
    return TrainResult(model=model, card=card)


def evaluate_file(
    model: TouchpointModel | str | Path | None,
    path: str | Path | Sequence[str | Path],
    *,
    taxonomy: Taxonomy | None = None,
    text_column: str = "text",
    labels_column: str = "labels",
    sentiment_column: str | None = None,
    split: str | None = None,
) -> dict[str, Any]:
    """`evaluate` a model (a fitted one, a model folder, or None for the shipped model) on any
    labeled file(s). Labels are checked against the model's taxonomy (from its card unless
    given); `split` keeps only rows of that split (e.g. "test": the corpus's held-out rows).

    Example:
        >>> evaluate_file(None, "data/labeled", split="test")["macro_f1"]  # doctest: +SKIP
    """
    card: dict[str, Any] = {}
    if not isinstance(model, TouchpointModel):
        model, card = load_model(model)
    if taxonomy is None:
        taxonomy = Taxonomy.from_dict(card["taxonomy"], "the model card") if "taxonomy" in card else load_taxonomy()
    if tuple(model.touchpoint_ids) != taxonomy.ids:
        raise LabelError(f"Taxonomy {taxonomy.name!r} does not match the model's touchpoints; use the model's own.")
    labeled = load_labeled(
        path, text_column=text_column, labels_column=labels_column, sentiment_column=sentiment_column,
        taxonomy=taxonomy,
    )  # fmt: skip
    if split is not None:
        labeled = labeled[labeled["split"] == split]
        if labeled.empty:
            raise LabelError(f"No rows with split {split!r} in the labeled data; drop --split to score every row.")
    return evaluate(model, labeled)


def train_file(
    path: str | Path | Sequence[str | Path],
    out_dir: str | Path,
    *,
    text_column: str = "text",
    labels_column: str = "labels",
    sentiment_column: str | None = None,
    taxonomy: Taxonomy | None = None,
    name: str = "touchtext-model",
    language: str = "en",
) -> TrainResult:
    """Load and validate labeled file(s), train on the train split, evaluate on the test split,
    and save the model with its card into `out_dir` (what `touchtext train` does). `language`
    is the texts' language (see `train`).

    Example:
        >>> train_file("labels.csv", "models/mine", labels_column="tags")  # doctest: +SKIP
    """
    taxonomy = taxonomy or load_taxonomy()
    labeled = load_labeled(
        path, text_column=text_column, labels_column=labels_column, sentiment_column=sentiment_column,
        taxonomy=taxonomy,
    )  # fmt: skip
    result = train(labeled, taxonomy=taxonomy, name=name, language=language)
    save_model(result.model, result.card, out_dir)
    return result


LABEL_ISSUE_COLUMNS = ("file", "row", "id", "text", "labels", "suggested_labels", "problem", "confidence")


def find_label_errors(
    labeled: pd.DataFrame,
    *,
    taxonomy: Taxonomy | None = None,
    settings: ModelSettings | None = None,
    min_confidence: float = 0.95,
    language: str = "en",
) -> pd.DataFrame:
    """Items whose labels are likely wrong: the model, trained on every *other* fold, confidently
    disagrees with them (out-of-fold calibrated probability of a touchpoint >= `min_confidence`
    where it is not labeled, or <= 1 - `min_confidence` where it is). One row per item, most
    confident first, with the suggested label cell (labels added or removed as the model says).
    With 5% of the corpus's items given a wrong touchpoint, the default 0.95 finds 88% of them
    while flagging 15% of items (tests/test_training.py plants them).

    Uses all rows whatever their split: checking labels is not evaluating the model.

    Example:
        >>> find_label_errors(load_labeled("data/labeled")).head()  # doctest: +SKIP
    """
    taxonomy = taxonomy or load_taxonomy()
    known = labeled[labeled["touchpoints_known"]] if "touchpoints_known" in labeled.columns else labeled
    language_settings = LanguageSettings(lang=language)
    _check_label_support(known, taxonomy)
    texts = cleaned_texts(known)
    _check_text_language(texts, language)
    model = TouchpointModel(touchpoint_ids=taxonomy.ids, settings=settings, language=language_settings).fit(
        texts, known["labels"].tolist()
    )
    proba = model.oof_proba_
    rows = []
    for k, row in enumerate(known.itertuples(index=False)):
        gold = dict(row.labels)
        suggested = dict(gold)
        reasons, confidences = [], []
        for j, tp in enumerate(taxonomy.ids):
            p = float(proba[k, j])
            if tp in gold and p <= 1 - min_confidence:
                suggested.pop(tp)
                reasons.append(f"probably not about {tp} ({p:.2f})")
                confidences.append(1 - p)
            elif tp not in gold and p >= min_confidence:
                suggested[tp] = None
                reasons.append(f"probably also about {tp} ({p:.2f})")
                confidences.append(p)
        if reasons:
            rows.append({
                "file": getattr(row, "label_file", None), "row": getattr(row, "label_row", None), "id": row.id,
                "text": row.text, "labels": _label_cell(gold), "suggested_labels": _label_cell(suggested),
                "problem": "; ".join(reasons), "confidence": round(max(confidences), 4),
            })  # fmt: skip
    out = pd.DataFrame(rows, columns=list(LABEL_ISSUE_COLUMNS))
    return out.sort_values("confidence", ascending=False, kind="stable").reset_index(drop=True)


def _label_cell(labels: Mapping[str, str | None]) -> str:
    """A label cell as written in labeled files (`none` when empty)."""
    return "|".join(f"{t}:{s}" if s else t for t, s in labels.items()) or "none"


def check_labels_file(
    path: str | Path | Sequence[str | Path],
    *,
    text_column: str = "text",
    labels_column: str = "labels",
    sentiment_column: str | None = None,
    taxonomy: Taxonomy | None = None,
    min_confidence: float = 0.95,
    language: str = "en",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What `touchtext check-labels` reports: format problems (`label_problems`) and, when there
    are no errors, likely mislabeled items (`find_label_errors`, with a model for `language`)."""
    labeled, problems = load_checked(
        path, text_column=text_column, labels_column=labels_column, sentiment_column=sentiment_column,
        taxonomy=taxonomy,
    )  # fmt: skip
    if labeled is None:
        return problems, pd.DataFrame(columns=list(LABEL_ISSUE_COLUMNS))
    return problems, find_label_errors(labeled, taxonomy=taxonomy, min_confidence=min_confidence, language=language)
