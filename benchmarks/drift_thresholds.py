"""The drift measures on data with known amounts of drift, to set DriftThresholds honestly.

Reference: the shipped model's profile of the held-out rows of data/labeled (as `touchtext
retrain` stores with each version). Compared with: random halves of those rows against each
other and random 60-item samples against the reference (no drift), one industry or source at a
time, the sample exports in data/samples/, and two sets written here that the model was never
meant to handle: a new business (pet grooming, alone and mixed into held-out items) and German.

Run: python benchmarks/drift_thresholds.py
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

from touchtext.model import load_model
from touchtext.retraining import _texts, drift, drift_profile
from touchtext.training import cleaned_texts, load_labeled

ROOT = Path(__file__).resolve().parents[1]

# Feedback about a business the model was never trained on, also used by tests/test_retraining.py.
PET_GROOMING = (ROOT / "tests" / "data" / "drift_pet_grooming.txt").read_text("utf-8").splitlines()

GERMAN = [
    "Das Zimmer war schmutzig und das Personal unfreundlich.",
    "Lieferung kam drei Tage zu spät und die Verpackung war kaputt.",
    "Sehr nette Mitarbeiterin an der Rezeption, vielen Dank!",
    "Die Rechnung war doppelt so hoch wie vereinbart.",
    "Parkplatz viel zu teuer und immer voll.",
    "Der Kundendienst hat nie zurückgerufen.",
    "Essen war kalt und hat ewig gedauert.",
    "Die App stürzt ständig ab, man kann sich nicht einloggen.",
    "Rückerstattung nach sechs Wochen immer noch nicht da.",
    "Die Beschilderung am Flughafen ist verwirrend.",
    "Mein Koffer wurde beschädigt und niemand fühlt sich zuständig.",
    "Vertrag gekündigt, aber sie buchen weiter ab.",
    "Sicherheitskontrolle dauerte über eine Stunde.",
    "Preis-Leistung stimmt, gerne wieder.",
    "Der Techniker kam pünktlich und hat alles erklärt.",
    "Die Toiletten waren eine Zumutung.",
    "Bestellung storniert ohne Grund, keine Erklärung.",
    "Der Newsletter kommt fünfmal am Tag, nervig.",
    "Freundlicher Fahrer, aber das Paket lag im Regen.",
    "Die Einrichtung des Routers war ein Albtraum.",
    "Schlechte Qualität, nach einer Woche kaputt.",
    "Das Frühstück war hervorragend, frische Brötchen.",
    "Wartezeit in der Hotline fast eine Stunde.",
    "Gebühren wurden nicht transparent erklärt.",
    "Die Kellnerin war sehr aufmerksam.",
    "Das Gepäckband stand zwei Stunden still.",
    "Zimmer zu laut, Klimaanlage defekt.",
    "Kontoeröffnung ging schnell und einfach.",
    "Preise ohne Ankündigung erhöht, ich kündige.",
    "Sauberkeit im Bad mangelhaft.",
    "Die Online-Buchung hat zweimal abgebucht.",
    "Personal am Schalter völlig überfordert.",
]


def main() -> None:
    model, _ = load_model()
    labeled = load_labeled(ROOT / "data" / "labeled")
    test = labeled[labeled["split"] == "test"]
    reference = drift_profile(model, cleaned_texts(test))
    rows = []

    def measure(name: str, texts: list[str], ref: dict | None = None) -> None:
        report = drift(ref or reference, drift_profile(model, texts))
        rows.append({"compared with": name, "items": len(texts), **report.metrics, "verdict": report.verdict})

    rng = random.Random(0)
    ids = test["id"].tolist()
    halves = []
    for _ in range(20):
        chosen = set(rng.sample(ids, len(ids) // 2))
        a, b = test[test["id"].isin(chosen)], test[~test["id"].isin(chosen)]
        report = drift(drift_profile(model, cleaned_texts(a)), drift_profile(model, cleaned_texts(b)))
        halves.append(report.metrics | {"verdict": report.verdict})
    spread = pd.DataFrame(halves)
    numeric = spread.drop(columns="verdict")
    print("No drift: 20 random halves of the held-out rows against each other (median / max):")
    print(pd.DataFrame({"median": numeric.median(), "max": numeric.max()}).round(3).to_string())
    print("verdicts:", spread["verdict"].value_counts().to_dict())
    small = [drift(reference, drift_profile(model, cleaned_texts(test.sample(60, random_state=k)))).verdict
             for k in range(20)]  # fmt: skip
    print("20 random samples of 60 held-out items against the reference:", pd.Series(small).value_counts().to_dict())
    print()

    for industry in sorted(test["industry"].unique()):
        measure(f"held-out {industry} only", cleaned_texts(test[test["industry"] == industry]))
    for source in sorted(test["source"].unique()):
        measure(f"held-out {source}s only", cleaned_texts(test[test["source"] == source]))
    for sample in ("reviews.csv", "tickets.jsonl", "transcripts.jsonl"):
        measure(f"data/samples/{sample}", _texts(ROOT / "data" / "samples" / sample, None, held_out_only=False))
    cleaned = cleaned_texts(pd.DataFrame({"text": PET_GROOMING}))
    measure("pet grooming (new business)", cleaned)
    for share, n in (("1:1", 40), ("1:2", 80), ("1:3", 120)):
        mixed = cleaned_texts(test.sample(n, random_state=n)) + cleaned
        measure(f"pet grooming + held-out sample ({share})", mixed)
    measure("German reviews", cleaned_texts(pd.DataFrame({"text": GERMAN})))
    table = pd.DataFrame(rows).set_index("compared with")
    keep = ["items", "oov_rate_new", "unclear_share_new", "unclear_p", "median_confidence_new", "confidence_ks",
            "confidence_p", "mix_distance", "mix_p", "verdict"]  # fmt: skip
    print(f"Reference: {reference['n_items']} held-out items, unknown-word rate "
          f"{reference['oov_tokens'] / reference['tokens']:.3f}, no-touchpoint share "
          f"{reference['unclear_items'] / reference['n_items']:.3f}\n")  # fmt: skip
    with pd.option_context("display.width", 200):
        print(table[keep].round(3).to_string())


if __name__ == "__main__":
    main()
