"""Starting without labels, and spending labels well.

On the fixed split of data/labeled (test rows never used for anything but scoring), prints:

1. Touchpoint macro-F1 on the test split of: the default taxonomy's seed-term rules alone
   (`keyword_labels`), a model trained on those weak labels (`bootstrap` with rounds=0), the
   same plus two rounds of self-training (`bootstrap`, the default), all from the training texts
   with their labels thrown away, and the fully supervised model.
2. Learning curves, repeated for several seeds: macro-F1 vs number of labeled items when labels
   are added 100 at a time, chosen by `suggest` or at random. Per seed, both strategies start
   from the same 100 items (3 per touchpoint, since training needs them, then random); the seed
   draws that start and the random picks. Per step: mean and standard deviation over seeds,
   the paired difference (active - random) with a 95% t-interval, and in how many seeds
   active won. Then the area under each curve (mean macro-F1 over all steps, trapezoids) and
   how many labels each strategy needed to reach a target macro-F1.

Both strategies train the same lighter model (3 cross-validation folds instead of 5, one
process) to keep the run within minutes; the supervised figure uses the default settings.
Macro-F1 = mean F1 over the touchpoints present in the test split (as `evaluate`).

Writes the output to benchmarks/results/labels_from_nothing.md as well.

`suggest`'s strategy was chosen by measuring candidates on seeds 0-4; seeds 5-9 were first run
after the choice, as a check on fresh draws (the default runs all ten).

Run from the repository root: python benchmarks/labels_from_nothing.py [--seeds 10] [--first-seed 0] [--steps 6]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from touchtext.labeling import bootstrap, keyword_labels, suggest
from touchtext.model import ModelSettings, TouchpointModel
from touchtext.taxonomy import load_taxonomy
from touchtext.training import cleaned_texts, evaluate, load_labeled, train

RESULTS = Path(__file__).resolve().parent / "results" / "labels_from_nothing.md"
BATCH = 100


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


def start_set(labels: list[dict], ids: tuple[str, ...], rng: np.random.Generator) -> list[int]:
    """3 items per touchpoint (training refuses fewer), then random items up to BATCH."""
    order = [int(i) for i in rng.permutation(len(labels))]
    start: list[int] = []
    for t in ids:
        start += [i for i in order if t in labels[i] and i not in start][:3]
    return start + [i for i in order if i not in start][: BATCH - len(start)]


def curve(strategy: str, seed: int, pool: list[str], labels: list[dict], test: list[str], gold: list[dict],
          ids: tuple[str, ...], steps: int) -> list[float]:  # fmt: skip
    """Test macro-F1 after each round of labeling for one strategy and seed."""
    rng = np.random.default_rng(seed)
    chosen = start_set(labels, ids, rng)
    settings = ModelSettings(cv_folds=3, n_jobs=1)
    points = []
    for step in range(steps + 1):
        model = TouchpointModel(touchpoint_ids=ids, settings=settings).fit(
            [pool[i] for i in chosen], [labels[i] for i in chosen]
        )
        predicted = [{m.touchpoint: m.sentiment for m in item} for item in model.predict(test)]
        points.append(macro_f1(gold, predicted, ids))
        if step == steps:
            break
        taken = set(chosen)
        rest = [i for i in range(len(pool)) if i not in taken]
        if strategy == "active":
            picked = suggest(model, pd.DataFrame({"text": [pool[i] for i in rest]}), BATCH, text_column="text")
            chosen += [rest[r - 1] for r in picked["row_id"]]
        else:
            chosen += [int(i) for i in rng.choice(rest, size=BATCH, replace=False)]
    return points


def labels_to_reach(sizes: list[int], points: np.ndarray, target: float) -> float:
    """Labels needed to reach `target` (linear between measured steps); inf if never reached."""
    for k, value in enumerate(points):
        if value >= target:
            if k == 0:
                return float(sizes[0])
            before = points[k - 1]
            return sizes[k - 1] + (target - before) / (value - before) * (sizes[k] - sizes[k - 1])
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6, help="Rounds of 100 labels after the 100-item start.")
    parser.add_argument("--seeds", type=int, default=10, help="How many seeds (start set and random picks).")
    parser.add_argument("--first-seed", type=int, default=0, help="Seeds are first-seed .. first-seed + seeds - 1.")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Where to write the Markdown output.")
    parser.add_argument("--target", type=float, default=0.55, help="Macro-F1 to reach in the labels-needed table.")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Label not .* is present in all training examples")
    out: list[str] = []

    def emit(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    taxonomy = load_taxonomy()
    labeled = load_labeled("data/labeled")
    labeled = labeled[labeled["touchpoints_known"]]
    train_rows, test_rows = labeled[labeled["split"] == "train"], labeled[labeled["split"] == "test"]
    train_texts, test_texts = cleaned_texts(train_rows), cleaned_texts(test_rows)
    gold = test_rows["labels"].tolist()

    started = time.perf_counter()
    emit("# Starting without labels, and spending labels well\n")
    emit(f"Held-out test items: {len(test_rows)}; training texts: {len(train_rows)}\n")
    rules = macro_f1(gold, keyword_labels(test_texts, taxonomy), taxonomy.ids)
    weak_only = evaluate(bootstrap(train_texts, taxonomy, rounds=0).model, test_rows)["macro_f1"]
    boot = bootstrap(train_texts, taxonomy)
    boot_f1 = evaluate(boot.model, test_rows)["macro_f1"]
    supervised = train(labeled, taxonomy=taxonomy).card["metrics"]["macro_f1"]
    emit("| approach | labels used | touchpoint macro-F1 |\n|---|---:|---:|")
    emit(f"| seed-term rules alone | 0 | {rules:.3f} |")
    emit(f"| model on the rules' weak labels (bootstrap, rounds=0) | 0 | {weak_only:.3f} |")
    rounds = "; ".join(f"{r['training_items']} items, {r.get('relabeled_or_added', 0)} relabeled" for r in boot.rounds)
    emit(f"| ... plus self-training (bootstrap, default 2 rounds: {rounds}) | 0 | {boot_f1:.3f} |")
    emit(f"| fully supervised | {len(train_rows)} | {supervised:.3f} |")
    emit(f"\n({time.perf_counter() - started:.0f} s)\n")

    started = time.perf_counter()
    labels = train_rows["labels"].tolist()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    curves = {
        strategy: np.array(
            [curve(strategy, seed, train_texts, labels, test_texts, gold, taxonomy.ids, args.steps) for seed in seeds]
        )
        for strategy in ("random", "active")
    }
    sizes = [BATCH * (k + 1) for k in range(args.steps + 1)]
    active, rand = curves["active"], curves["random"]
    diff = active - rand
    t = stats.t.ppf(0.975, len(seeds) - 1) if len(seeds) > 1 else float("nan")
    emit(f"Learning curves over {len(seeds)} seeds ({', '.join(map(str, seeds))}); mean ± standard deviation.\n")
    emit("| labeled items | random | active (`suggest`) | active − random (95% interval) | active wins |")
    emit("|---:|---:|---:|---:|---:|")
    for k, n in enumerate(sizes):
        half = t * diff[:, k].std(ddof=1) / np.sqrt(len(seeds)) if len(seeds) > 1 else float("nan")
        note = " (same start)" if k == 0 else ""
        emit(f"| {n}{note} | {rand[:, k].mean():.3f} ± {rand[:, k].std(ddof=1):.3f} | "
             f"{active[:, k].mean():.3f} ± {active[:, k].std(ddof=1):.3f} | "
             f"{diff[:, k].mean():+.3f} ({diff[:, k].mean() - half:+.3f} to {diff[:, k].mean() + half:+.3f}) | "
             f"{int((diff[:, k] > 0).sum())} of {len(seeds)} |")  # fmt: skip
    aulc = {s: np.trapezoid(c, sizes, axis=1) / (sizes[-1] - sizes[0]) for s, c in curves.items()}
    aulc_diff = aulc["active"] - aulc["random"]
    half = t * aulc_diff.std(ddof=1) / np.sqrt(len(seeds)) if len(seeds) > 1 else float("nan")
    emit(f"\nArea under the learning curve ({sizes[0]}–{sizes[-1]} labels, mean macro-F1 over the curve):\n")
    emit("| strategy | AULC mean ± sd | per seed |\n|---|---:|---|")
    for s in ("random", "active"):
        emit(f"| {s} | {aulc[s].mean():.4f} ± {aulc[s].std(ddof=1):.4f} | {', '.join(f'{v:.4f}' for v in aulc[s])} |")
    low, high = aulc_diff.mean() - half, aulc_diff.mean() + half
    wins = int((aulc_diff > 0).sum())
    emit(f"| active − random | {aulc_diff.mean():+.4f} (95% interval {low:+.4f} to {high:+.4f}) | "
         f"active higher in {wins} of {len(seeds)} seeds |")  # fmt: skip
    emit(f"\nLabels needed to reach macro-F1 {args.target} (interpolated between steps; > {sizes[-1]}: not reached):\n")
    emit("| strategy | per seed | median |\n|---|---|---:|")
    for s in ("random", "active"):
        needed = [labels_to_reach(sizes, c, args.target) for c in curves[s]]
        cells = ", ".join(f"{v:.0f}" if np.isfinite(v) else f"> {sizes[-1]}" for v in needed)
        median = float(np.median(needed))
        emit(f"| {s} | {cells} | {f'{median:.0f}' if np.isfinite(median) else f'> {sizes[-1]}'} |")
    emit(f"\n({time.perf_counter() - started:.0f} s)\n")
    emit(f"Reproduce: python benchmarks/labels_from_nothing.py --seeds {args.seeds} --first-seed {args.first_seed} "
         f"--steps {args.steps} --target {args.target}")  # fmt: skip
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
