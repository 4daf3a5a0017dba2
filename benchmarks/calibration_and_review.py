"""Are the shipped model's confidences honest, and does `needs_review` pick out the risky items?

On the held-out test split of data/labeled (never seen in training) this prints:
- calibration of touchpoint probabilities: Brier score and expected calibration error (ECE,
  10 equal-width bins over every item x touchpoint probability), raw classifier output vs the
  Platt-calibrated probabilities the model reports;
- needs_review: the share of items flagged, and how often the model gets an item fully right
  (exact set of touchpoints; and every touchpoint-sentiment pair) among flagged vs unflagged items.

Run: python benchmarks/calibration_and_review.py
"""

from __future__ import annotations

import numpy as np

from touchtext.model import load_model
from touchtext.training import cleaned_texts, load_labeled


def expected_calibration_error(proba: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean probability| over equal-width bins, weighted by bin size."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(proba, edges) - 1, 0, bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.mean() * abs(truth[inside].mean() - proba[inside].mean())
    return float(error)


def main() -> None:
    model, card = load_model()
    test = load_labeled("data/labeled")
    test = test[(test["split"] == "test") & test["touchpoints_known"]]
    texts = cleaned_texts(test)
    ids = list(model.touchpoint_ids)
    truth = np.array([[int(t in labels) for t in ids] for labels in test["labels"]])
    predictions = model.predict_items(texts)
    calibrated = np.array([p.probabilities for p in predictions])
    items = model._analyze(texts)  # raw scores are internal: recomputed here for the comparison only
    raw = model._raw_proba(model.features_.transform(model._frame([a.lemmas for a in items], [a.text for a in items])))
    print(f"Held-out items: {len(test)}; model {card['name']} ({card['created_at']})\n")
    print("| probabilities | Brier | ECE (10 bins) |\n|---|---:|---:|")
    for name, proba in (("raw classifier output", raw), ("calibrated (reported)", calibrated)):
        brier = float(np.mean((proba - truth) ** 2))
        print(f"| {name} | {brier:.4f} | {expected_calibration_error(proba.ravel(), truth.ravel()):.4f} |")

    flagged = np.array([p.needs_review for p in predictions])
    exact = np.array(
        [
            {m.touchpoint for m in p.mentions} == set(labels)
            for p, labels in zip(predictions, test["labels"], strict=True)
        ]
    )
    pairs_right = np.array(
        [
            {(m.touchpoint, m.sentiment) for m in p.mentions} == {(t, s) for t, s in labels.items()}
            for p, labels in zip(predictions, test["labels"], strict=True)
        ]
    )
    print(f"\nneeds_review: {flagged.sum()} of {len(flagged)} items flagged ({flagged.mean():.0%}); "
          f"band ±{model.settings_.review_band} around each threshold, sentiment confidence < "
          f"{model.settings_.review_sentiment_confidence}\n")  # fmt: skip
    print("| items | count | touchpoints exactly right | touchpoints and sentiments exactly right |")
    print("|---|---:|---:|---:|")
    for name, mask in (("flagged for review", flagged), ("not flagged", ~flagged)):
        if mask.any():
            print(f"| {name} | {mask.sum()} | {exact[mask].mean():.0%} | {pairs_right[mask].mean():.0%} |")


if __name__ == "__main__":
    main()
