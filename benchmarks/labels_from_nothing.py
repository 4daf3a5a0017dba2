"""Starting without labels, and spending labels well.

On the fixed split of data/labeled (test rows never used for anything but scoring), prints:

1. Touchpoint macro-F1 on the test split of: the default taxonomy's seed-term rules alone
   (`keyword_labels`), a model bootstrapped from those rules plus self-training on the
   training texts with their labels thrown away (`bootstrap`), and the fully supervised model.
2. Learning curves: macro-F1 vs number of labeled items when labels are added 100 at a time,
   chosen by `suggest` (uncertainty x diversity) or at random, from the same 100-item start.

Run: python benchmarks/labels_from_nothing.py [--steps 6] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from touchtext.labeling import bootstrap, keyword_labels, suggest
from touchtext.model import ModelSettings
from touchtext.taxonomy import load_taxonomy
from touchtext.training import cleaned_texts, evaluate, load_labeled, train


def macro_f1(gold: list[dict], predicted: list[dict], ids: tuple[str, ...]) -> float:
    """Mean F1 over touchpoints present in the gold labels (the definition used everywhere)."""
    scores = []
    for t in ids:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if t in g and t in p)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if t not in g and t in p)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if t in g and t not in p)
        if tp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6, help="Rounds of 100 labels after the 100-item start.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    labeled = load_labeled("data/labeled")
    labeled = labeled[labeled["touchpoints_known"]]
    train_rows, test_rows = labeled[labeled["split"] == "train"], labeled[labeled["split"] == "test"]
    train_texts = cleaned_texts(train_rows)
    gold = test_rows["labels"].tolist()

    started = time.perf_counter()
    rules = macro_f1(gold, keyword_labels(cleaned_texts(test_rows), taxonomy), taxonomy.ids)
    boot = bootstrap(train_texts, taxonomy)
    boot_f1 = evaluate(boot.model, test_rows)["macro_f1"]
    supervised = train(labeled, taxonomy=taxonomy).card["metrics"]["macro_f1"]
    print(f"Held-out test items: {len(test_rows)}; training texts: {len(train_rows)}\n")
    print("| approach | labels used | touchpoint macro-F1 |\n|---|---:|---:|")
    print(f"| seed-term rules alone | 0 | {rules:.3f} |")
    rounds = "; ".join(f"{r['training_items']} items, {r.get('relabeled_or_added', 0)} relabeled" for r in boot.rounds)
    print(f"| bootstrapped: rules + self-training ({rounds}) | 0 | {boot_f1:.3f} |")
    print(f"| fully supervised | {len(train_rows)} | {supervised:.3f} |")
    print(f"\n({time.perf_counter() - started:.0f} s)\n")

    rng = np.random.default_rng(args.seed)
    order = list(rng.permutation(len(train_rows)))
    start: list[int] = []  # 3 items per touchpoint (training needs them), then random up to 100
    for t in taxonomy.ids:
        start += [i for i in order if t in train_rows.iloc[i]["labels"] and i not in start][:3]
    start += [i for i in order if i not in start][: 100 - len(start)]
    settings = ModelSettings(cv_folds=3)
    pool = train_rows.reset_index(drop=True).assign(clean=train_texts)
    curves: dict[str, list[tuple[int, float]]] = {}
    for strategy in ("active", "random"):
        chosen = list(start)
        points = []
        for _step in range(args.steps + 1):
            rows = pool.iloc[chosen]
            model = train(rows.assign(split="train"), taxonomy=taxonomy, settings=settings).model
            points.append((len(chosen), evaluate(model, test_rows)["macro_f1"]))
            rest = [i for i in range(len(pool)) if i not in set(chosen)]
            if strategy == "active":
                picked = suggest(
                    model, pd.DataFrame({"text": pool.loc[rest, "clean"].tolist()}), 100, text_column="text"
                )
                chosen += [rest[r - 1] for r in picked["row_id"]]
            else:
                chosen += list(rng.choice(rest, size=100, replace=False))
        curves[strategy] = points
    print("| labeled items | active (suggest) macro-F1 | random macro-F1 |\n|---:|---:|---:|")
    for (n, a), (_, r) in zip(curves["active"], curves["random"], strict=True):
        print(f"| {n} | {a:.3f} | {r:.3f} |")
    print(f"\nReproduce: python benchmarks/labels_from_nothing.py --steps {args.steps} --seed {args.seed}")


if __name__ == "__main__":
    main()
