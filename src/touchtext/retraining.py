"""Scheduled retraining behind a promotion gate, and a drift check of new data.

`retrain` validates the labels, trains a candidate, scores the candidate and the registry's
current model on the same held-out rows (`split == "test"` of the combined data) with
`touchtext.training.evaluate`, and promotes the candidate only when the `Gate` holds: macro-F1
drops by at most `max_macro_drop` and no touchpoint with at least `min_label_support` held-out
items loses more than `max_label_drop` F1. The whole run holds the registry lock, so two
scheduled jobs cannot interleave. Progress is reported as events through `on_event`.

`check_drift` compares new data with the data a model was trained on, as the model sees it:
predicted touchpoint mix, confidence, and words the model has never seen.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, fisher_exact, ks_2samp

from . import schema
from .cleaning import clean
from .errors import InputError, LabelError, ModelError
from .io import detect_text_column, read_table
from .model import TouchpointModel, load_model
from .registry import DEFAULT_LOCK_TIMEOUT, PROFILE_FILE, ModelRegistry, resolve_model
from .taxonomy import Taxonomy, load_taxonomy
from .training import (
    LABELED_FORMATS,
    MIN_EXAMPLES,
    cleaned_texts,
    data_fingerprint,
    evaluate,
    load_checked,
    train,
)

__all__ = [
    "Comparison",
    "DriftReport",
    "DriftThresholds",
    "Gate",
    "RetrainResult",
    "check_drift",
    "check_labels",
    "compare",
    "drift",
    "drift_profile",
    "retrain",
]

EventSink = Callable[[str, dict[str, Any]], None]
FEW_EXAMPLES = 10  # fewer training examples than this: a warning (thresholds and F1 are unreliable)
MIN_DRIFT_ITEMS = 30  # fewer new items than this: too few to compare distributions


# -- label validation -----------------------------------------------------------------------
def _problem(row: Any, severity: str, problem: str) -> dict[str, Any]:
    return {
        "file": row.label_file,
        "row": int(row.label_row),
        "id": str(row.id),
        "severity": severity,
        "problem": problem,
    }


def _support_problems(labeled: pd.DataFrame, taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Touchpoints with too few training examples (error below MIN_EXAMPLES, warning below
    FEW_EXAMPLES) or with no held-out items (warning: their F1 cannot be compared)."""
    problems: list[dict[str, Any]] = []
    train_rows = labeled[labeled["split"] == "train"]
    test_counts: Counter[str] = Counter(
        t for labels in labeled.loc[labeled["split"] == "test", "labels"] for t in labels
    )
    for t in taxonomy.ids:
        carriers = list(train_rows[[t in labels for labels in train_rows["labels"]]].itertuples(index=False))
        n = len(carriers)
        if 0 < n < MIN_EXAMPLES:
            problems += [
                _problem(
                    r,
                    "error",
                    f"touchpoint {t!r} has only {n} training example(s), at least {MIN_EXAMPLES} "
                    "are needed; label more items for it or remove it from the taxonomy",
                )
                for r in carriers
            ]
        elif MIN_EXAMPLES <= n < FEW_EXAMPLES:
            rows = ", ".join(f"{r.label_file} row {r.label_row}" for r in carriers[:5]) + (", ..." if n > 5 else "")
            problems.append(
                _problem(
                    carriers[0],
                    "warning",
                    f"touchpoint {t!r} has only {n} training examples ({rows}); its threshold and F1 are unreliable",
                )
            )
        if n and not test_counts[t]:
            problems.append(
                _problem(
                    carriers[0],
                    "warning",
                    f"touchpoint {t!r} has no held-out (split=test) items, so its F1 cannot be compared",
                )
            )
    return problems


def check_labels(
    paths: Sequence[str | Path],
    *,
    text_column: str = "text",
    labels_column: str = "labels",
    sentiment_column: str | None = None,
    taxonomy: Taxonomy | None = None,
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Validate labeled files; return the labeled rows (None when any error) and every problem.

    Problems come one per row (file, row, id, severity, problem). Errors stop retraining:
    unknown touchpoints or sentiments, empty label cells or texts, an id reused for other
    content, the same text labeled two ways (all from `training.label_problems`), and a
    touchpoint with 1-2 training examples (one error per row carrying it). Warnings do not:
    exact duplicates (kept once), a touchpoint with fewer than 10 training examples or none
    in the held-out rows.

    Example:
        >>> labeled, problems = check_labels(["data/labeled", "new.jsonl"])  # doctest: +SKIP
    """
    taxonomy = taxonomy or load_taxonomy()
    labeled, found = load_checked(
        list(paths),
        text_column=text_column,
        labels_column=labels_column,
        sentiment_column=sentiment_column,
        taxonomy=taxonomy,
    )
    if labeled is None:
        return None, found.reset_index(drop=True)
    support = pd.DataFrame(_support_problems(labeled, taxonomy), columns=found.columns)
    problems = pd.concat([found, support], ignore_index=True) if len(support) else found.reset_index(drop=True)
    ok = not (problems["severity"] == "error").any()
    order = problems.assign(_error=problems["severity"] != "error").sort_values(
        ["_error", "file", "row"], kind="stable"
    )
    return (labeled if ok else None), order.drop(columns="_error").reset_index(drop=True)


# -- the promotion gate ---------------------------------------------------------------------
@dataclass(frozen=True)
class Gate:
    """When a candidate may replace the current model (F1 differences on the same held-out rows).

    A touchpoint with fewer than `min_label_support` held-out items is shown but not gated:
    one item more or less right moves its F1 by 0.1 or more.
    """

    max_macro_drop: float = 0.01
    max_label_drop: float = 0.05
    min_label_support: int = 5


@dataclass(frozen=True)
class Comparison:
    """Current vs candidate on the same held-out rows, and the gate's decision."""

    table: pd.DataFrame  # touchpoint, test_items, current_f1, candidate_f1, change, gated, passed
    current_macro_f1: float
    candidate_macro_f1: float
    passed: bool
    reasons: tuple[str, ...]

    @property
    def macro_change(self) -> float:
        """Candidate minus current macro-F1."""
        return self.candidate_macro_f1 - self.current_macro_f1


def compare(current: Mapping[str, Any], candidate: Mapping[str, Any], gate: Gate | None = None) -> Comparison:
    """Apply the gate to two `training.evaluate` results measured on the same rows.

    Example:
        >>> compare(evaluate(current, test_rows), evaluate(candidate, test_rows)).passed  # doctest: +SKIP
        True
    """
    gate = gate or Gate()
    tolerance = 1e-9
    cur, cand = current["per_touchpoint"], candidate["per_touchpoint"]
    rows, reasons = [], []
    for t in dict.fromkeys([*cur, *cand]):
        support = int((cand.get(t) or cur.get(t))["support"])
        before, after = (cur.get(t) or {}).get("f1"), (cand.get(t) or {}).get("f1")
        change = None if before is None or after is None else after - before
        gated = change is not None and support >= max(gate.min_label_support, 1)
        passed = not gated or change >= -gate.max_label_drop - tolerance  # type: ignore[operator]
        if not passed:
            reasons.append(f"{t} F1 fell {-change:.3f} (max {gate.max_label_drop:.3f})")  # type: ignore[operator]
        rows.append(
            {
                "touchpoint": t,
                "test_items": support,
                "current_f1": before,
                "candidate_f1": after,
                "change": change,
                "gated": gated,
                "passed": passed,
            }
        )
    macro_before, macro_after = float(current["macro_f1"]), float(candidate["macro_f1"])
    if macro_after - macro_before < -gate.max_macro_drop - tolerance:
        reasons.insert(0, f"macro-F1 fell {macro_before - macro_after:.3f} (max {gate.max_macro_drop:.3f})")
    return Comparison(
        table=pd.DataFrame(
            rows, columns=["touchpoint", "test_items", "current_f1", "candidate_f1", "change", "gated", "passed"]
        ),
        current_macro_f1=macro_before,
        candidate_macro_f1=macro_after,
        passed=not reasons,
        reasons=tuple(reasons),
    )


# -- retraining -----------------------------------------------------------------------------
@dataclass(frozen=True)
class RetrainResult:
    """What a retrain run did: the version in force afterwards and why."""

    promoted: bool
    current: str  # the current version after the run
    baseline: str  # the version the candidate was compared with
    comparison: Comparison | None  # None when nothing was trained (the data had not changed)
    problems: pd.DataFrame
    training_seconds: float


def _ignore(event: str, fields: dict[str, Any]) -> None:
    return None


def _summary(metrics: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("macro_f1", "micro_f1", "sentiment_accuracy", "pair_f1")
    return {k: round(float(metrics[k]), 4) for k in keys if k in metrics}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: floats rounded to 4 places, NaN as None, numpy scalars as Python ones."""

    def plain(v: Any) -> Any:
        v = v.item() if isinstance(v, np.generic) else v
        if isinstance(v, float):
            return None if np.isnan(v) else round(v, 4)
        return v

    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _empty_folder(path: str | Path) -> bool:
    folder = Path(path)
    return folder.is_dir() and not any(p.suffix.lower() in LABELED_FORMATS for p in folder.iterdir())


def retrain(
    data: str | Path | Sequence[str | Path],
    *,
    new: Sequence[str | Path] = (),
    registry: str | Path | ModelRegistry | None = None,
    gate: Gate | None = None,
    taxonomy: Taxonomy | None = None,
    text_column: str = "text",
    labels_column: str = "labels",
    sentiment_column: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    force: bool = False,
    on_event: EventSink | None = None,
    language: str | None = None,
) -> RetrainResult:
    """Validate labels, train a candidate, and promote it only if it passes the gate.

    `new` files or folders are added to `data` (an empty folder is skipped). An empty
    registry first gets the shipped default model as v0001, so the first candidate
    is compared with what was in use and a rollback can return to it. When the labeled data
    is exactly what the current version was trained on, nothing is trained unless `force`.
    The candidate is trained for `language` (see `train`), by default the current model's.
    Raises LabelError (naming rows) when the labels have errors, RegistryLockedError when
    another job holds the registry for longer than `lock_timeout` seconds.

    Example:
        >>> result = retrain("data/labeled", new=["inbox/2024-06.jsonl"])  # doctest: +SKIP
        >>> result.promoted, result.current  # doctest: +SKIP
        (True, 'v0003')
    """
    emit = on_event or _ignore
    gate = gate or Gate()
    taxonomy = taxonomy or load_taxonomy()
    reg = registry if isinstance(registry, ModelRegistry) else ModelRegistry(registry)
    arrived = [p for p in new if not _empty_folder(p)]  # an empty inbox is a normal night
    paths = [*([data] if isinstance(data, str | Path) else data), *arrived]
    emit("started", {"registry": str(reg.root), "data": [str(p) for p in paths], "gate": asdict(gate)})
    with reg.locked(lock_timeout, purpose="retrain"):
        labeled, problems = check_labels(
            paths,
            text_column=text_column,
            labels_column=labels_column,
            sentiment_column=sentiment_column,
            taxonomy=taxonomy,
        )
        errors = problems[problems["severity"] == "error"]
        emit(
            "validated",
            {
                "rows": None if labeled is None else len(labeled),
                "errors": len(errors),
                "warnings": len(problems) - len(errors),
                "problems": _records(problems),
            },
        )
        if labeled is None:
            shown = "; ".join(f"{r.file} row {r.row}: {r.problem}" for r in errors.head(5).itertuples())
            more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
            raise LabelError(f"{len(errors)} problem(s) in the labeled data, nothing trained: {shown}{more}.")
        test_rows = labeled[labeled["split"] == "test"]
        if test_rows.empty:
            raise LabelError("No held-out rows (split == 'test'); the gate needs them to compare models.")
        baseline = reg.initialize(timeout=lock_timeout)
        fingerprint = data_fingerprint(labeled)
        if not force and reg.entry(baseline).get("data_sha256") == fingerprint:
            reason = (
                f"the labeled data has not changed since {baseline} was trained on it (sha256 {fingerprint[:12]}); "
                "nothing to do (--force retrains anyway)"
            )
            emit("kept_current", {"version": baseline, "reasons": [reason], "unchanged": True})
            return RetrainResult(False, baseline, baseline, None, problems, 0.0)
        current_model, _ = reg.load(baseline)
        started = time.perf_counter()
        candidate_language = language or current_model.processor.settings.lang
        candidate = train(labeled, taxonomy=taxonomy, language=candidate_language)
        seconds = time.perf_counter() - started
        emit(
            "trained",
            {
                "seconds": round(seconds, 2),
                "language": candidate_language,
                "n_train": int((labeled["split"] == "train").sum()),
                "data_sha256": candidate.card["data"]["sha256"],
            },
        )
        current_metrics = evaluate(current_model, test_rows)
        candidate_metrics = evaluate(candidate.model, test_rows)
        comparison = compare(current_metrics, candidate_metrics, gate)
        held_out = {"n_items": int(candidate_metrics["n_items"]), "sha256": data_fingerprint(test_rows)}
        emit(
            "evaluated",
            {
                "held_out": held_out,
                "current": {"version": baseline, **_summary(current_metrics)},
                "candidate": _summary(candidate_metrics),
                "passed": comparison.passed,
                "reasons": list(comparison.reasons),
                "table": _records(comparison.table),
            },
        )
        if not comparison.passed:
            reg.record({"event": "kept_current", "version": baseline, "reasons": list(comparison.reasons)})
            emit("kept_current", {"version": baseline, "reasons": list(comparison.reasons)})
            return RetrainResult(False, baseline, baseline, comparison, problems, seconds)
        metrics = {
            "evaluated_on": "retrain held-out rows",
            "held_out_sha256": held_out["sha256"],
            "n_items": held_out["n_items"],
            **_summary(candidate_metrics),
            "per_touchpoint_f1": {t: round(m["f1"], 4) for t, m in candidate_metrics["per_touchpoint"].items()},
        }
        profile = drift_profile(candidate.model, [t for t in cleaned_texts(test_rows) if t.strip()])
        version = reg.register(
            model=candidate.model, card=candidate.card, origin="retrain", metrics=metrics, profile=profile
        )
        reg.promote(
            version,
            reason=f"retrain: macro-F1 {comparison.current_macro_f1:.3f} -> {comparison.candidate_macro_f1:.3f}",
        )
        emit(
            "promoted", {"version": version, "previous": baseline, "macro_f1": round(comparison.candidate_macro_f1, 4)}
        )
        return RetrainResult(True, version, baseline, comparison, problems, seconds)


# -- drift ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DriftThresholds:
    """When new data counts as drifted; measured in benchmarks/drift_thresholds.py (README).

    Each signal needs both a size above its threshold and significance (p < `alpha`), so
    small exports do not raise alarms on noise. Relabeling is advised when the model meets
    what it does not know (more unknown words, more items with no touchpoint, or lower
    confidence); retraining when the touchpoint mix moved while the model still recognizes
    the items.
    """

    max_oov_increase: float = 0.03  # rise in the share of word tokens outside the model's vocabulary
    max_unclear_increase: float = 0.05  # rise in the share of items with no touchpoint (Fisher exact test)
    max_confidence_shift: float = 0.20  # KS statistic on each item's top confidence, when the median fell
    max_mix_distance: float = 0.20  # Jensen-Shannon distance (base 2) of touchpoint mixes (chi-square test)
    alpha: float = 0.01


def _vocabulary(model: TouchpointModel) -> frozenset[str]:
    """The single words the model's word features know."""
    try:
        vocabulary = model.features_.named_transformers_["words"].vocabulary_
    except (AttributeError, KeyError) as exc:
        raise ModelError("This model does not expose a word vocabulary; drift cannot measure unknown words.") from exc
    return frozenset(k for k in vocabulary if " " not in k)


def drift_profile(model: TouchpointModel, texts: Sequence[str]) -> dict[str, Any]:
    """What the model sees in `texts` (already cleaned): touchpoint counts, items with no
    touchpoint, each item's top confidence, and word tokens outside its vocabulary.

    Example:
        >>> drift_profile(model, ["Charged twice for parking"])["n_items"]  # doctest: +SKIP
        1
    """
    predictions = model.predict(list(texts))
    vocabulary = _vocabulary(model)
    tokens = oov = 0
    for lemmas in model.processor.lemma_strings(texts):
        for token in lemmas.split():
            word = token.removeprefix("not_")
            if not any(c.isalpha() for c in word) or word == "<num>":
                continue
            tokens += 1
            oov += token not in vocabulary and word not in vocabulary
    counts = Counter(m.touchpoint for mentions in predictions for m in mentions)
    return {
        "n_items": len(predictions),
        "touchpoint_counts": {t: counts[t] for t in model.touchpoint_ids},
        "unclear_items": sum(1 for mentions in predictions if not mentions),
        "confidence": sorted(round(max((m.confidence for m in p), default=0.0), 4) for p in predictions),
        "tokens": tokens,
        "oov_tokens": oov,
    }


Verdict = Literal["ok", "retrain advised", "relabel advised"]


@dataclass(frozen=True)
class DriftReport:
    """New data against the reference, and what to do about it."""

    verdict: Verdict
    reasons: tuple[str, ...]
    metrics: dict[str, float]  # reference/new values and the distances
    mix: pd.DataFrame  # touchpoint, reference_share, new_share, change
    n_reference: int
    n_new: int
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)


def _shares(counts: np.ndarray) -> np.ndarray:
    return counts / counts.sum() if counts.sum() else counts


def drift(
    reference: Mapping[str, Any], new: Mapping[str, Any], thresholds: DriftThresholds | None = None
) -> DriftReport:
    """Compare two `drift_profile`s (reference first) and give a verdict.

    Example:
        >>> drift(reference_profile, drift_profile(model, new_texts)).verdict  # doctest: +SKIP
        'ok'
    """
    th = thresholds or DriftThresholds()
    ids = list(dict.fromkeys([*reference["touchpoint_counts"], *new["touchpoint_counts"]]))
    ref_counts = np.array([reference["touchpoint_counts"].get(t, 0) for t in ids], dtype=float)
    new_counts = np.array([new["touchpoint_counts"].get(t, 0) for t in ids], dtype=float)
    p, q = _shares(ref_counts), _shares(new_counts)
    seen = (ref_counts + new_counts) > 0
    mixed = bool(ref_counts.sum() and new_counts.sum() and seen.sum() > 1)
    mix_distance = float(jensenshannon(p, q, base=2)) if mixed else 1.0
    mix_p = float(chi2_contingency(np.vstack([ref_counts[seen], new_counts[seen]]))[1]) if mixed else 0.0
    ks = ks_2samp(reference["confidence"], new["confidence"])
    ref_conf, new_conf = float(np.median(reference["confidence"])), float(np.median(new["confidence"]))
    n_ref, n_new = int(reference["n_items"]), int(new["n_items"])
    unclear_p = fisher_exact(
        [
            [new["unclear_items"], n_new - new["unclear_items"]],
            [reference["unclear_items"], n_ref - reference["unclear_items"]],
        ],
        alternative="greater",
    ).pvalue
    oov_p = fisher_exact(
        [
            [new["oov_tokens"], new["tokens"] - new["oov_tokens"]],
            [reference["oov_tokens"], reference["tokens"] - reference["oov_tokens"]],
        ],
        alternative="greater",
    ).pvalue
    metrics = {
        "oov_rate_reference": reference["oov_tokens"] / max(reference["tokens"], 1),
        "oov_rate_new": new["oov_tokens"] / max(new["tokens"], 1),
        "oov_p": float(oov_p),
        "unclear_share_reference": reference["unclear_items"] / max(n_ref, 1),
        "unclear_share_new": new["unclear_items"] / max(n_new, 1),
        "unclear_p": float(unclear_p),
        "median_confidence_reference": ref_conf,
        "median_confidence_new": new_conf,
        "confidence_ks": float(ks.statistic),
        "confidence_p": float(ks.pvalue),
        "mix_distance": mix_distance,
        "mix_p": mix_p,
    }
    oov_rise = metrics["oov_rate_new"] - metrics["oov_rate_reference"]
    unclear_rise = metrics["unclear_share_new"] - metrics["unclear_share_reference"]
    relabel, retrain_reasons = [], []
    if oov_rise > th.max_oov_increase and oov_p < th.alpha:
        relabel.append(
            f"unknown-word rate rose {oov_rise:+.1%} to {metrics['oov_rate_new']:.1%} (max rise "
            f"{th.max_oov_increase:.0%}): words the model never saw"
        )
    if unclear_rise > th.max_unclear_increase and unclear_p < th.alpha:
        relabel.append(
            f"items with no touchpoint rose {unclear_rise:+.1%} to {metrics['unclear_share_new']:.0%} (max rise "
            f"{th.max_unclear_increase:.0%})"
        )
    if ks.statistic > th.max_confidence_shift and ks.pvalue < th.alpha and new_conf < ref_conf:
        relabel.append(
            f"confidence fell (median {ref_conf:.2f} -> {new_conf:.2f}, KS {ks.statistic:.2f} > "
            f"{th.max_confidence_shift:.2f})"
        )
    if mix_distance > th.max_mix_distance and mix_p < th.alpha:
        retrain_reasons.append(
            f"touchpoint mix moved (Jensen-Shannon distance {mix_distance:.2f} > {th.max_mix_distance:.2f})"
        )
    verdict: Verdict = "relabel advised" if relabel else "retrain advised" if retrain_reasons else "ok"
    mix = pd.DataFrame({"touchpoint": ids, "reference_share": p, "new_share": q, "change": q - p})
    return DriftReport(
        verdict=verdict,
        reasons=tuple(relabel + retrain_reasons),
        metrics={k: round(v, 4) for k, v in metrics.items()},
        mix=mix.sort_values("change", key=abs, ascending=False, kind="stable").reset_index(drop=True),
        n_reference=int(reference["n_items"]),
        n_new=int(new["n_items"]),
        thresholds=th,
    )


def _texts(path: str | Path, text_column: str | None, held_out_only: bool) -> list[str]:
    """Cleaned, analysable texts of a file or a folder of files (only `split == test` rows when
    `held_out_only` and the file has a split column)."""
    root = Path(path)
    files = sorted(p for p in root.iterdir() if p.suffix in LABELED_FORMATS) if root.is_dir() else [root]
    if not files:
        raise InputError(f"No data files ({', '.join(LABELED_FORMATS)}) in folder {str(root)!r}.")
    texts: list[str] = []
    for file in files:
        df = read_table(file)
        if held_out_only and "split" in df.columns:
            df = df[df["split"] == "test"]
        if df.empty:
            continue
        cleaned = clean(df, text_column=detect_text_column(df, text_column))
        texts += cleaned.loc[cleaned[schema.CLEAN_STATUS] == schema.STATUS_OK, schema.CLEAN_TEXT].tolist()
    return texts


def check_drift(
    data: str | Path,
    *,
    reference: str | Path | None = None,
    model: str | Path | None = None,
    trust: bool = False,
    registry: str | Path | ModelRegistry | None = None,
    text_column: str | None = None,
    thresholds: DriftThresholds | None = None,
) -> DriftReport:
    """Compare the file `data` with the model's training data and advise.

    The reference is the profile stored with the model (registry versions made by `retrain`
    keep one, measured on their held-out rows) unless `reference` names a file or folder: the
    held-out rows (`split == test`) of labeled data, or every row of an ordinary export.

    Example:
        >>> check_drift("exports/june.csv").verdict  # doctest: +SKIP
        'retrain advised'
    """
    texts = _texts(data, text_column, held_out_only=False)
    if len(texts) < MIN_DRIFT_ITEMS:
        raise InputError(f"{data} has {len(texts)} items with text; drift needs at least {MIN_DRIFT_ITEMS} to compare.")
    folder = resolve_model(model, trust=trust, registry=registry)
    if reference is None and not (folder / PROFILE_FILE).is_file():
        raise InputError(
            f"The model in {folder} has no stored drift profile (only models made by `touchtext retrain` keep "
            "one); give the data it was trained on with --reference, e.g. --reference data/labeled."
        )
    fitted, _ = load_model(folder)
    if reference is not None:
        ref_profile = drift_profile(fitted, _texts(reference, None, held_out_only=True))
    else:
        ref_profile = json.loads((folder / PROFILE_FILE).read_text("utf-8"))
    return drift(ref_profile, drift_profile(fitted, texts), thresholds)
