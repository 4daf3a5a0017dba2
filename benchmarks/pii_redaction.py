"""Recall and precision of personal-data redaction, per type.

Two sets, both written for this project:
- tests/data/pii_cases.jsonl: the set the rules were developed against (450 items).
- tests/data/pii_holdout.jsonl: written independently by another author (250 items). Its odd
  ids were inspected once for error analysis; its even ids were never looked at, so the
  "holdout, never inspected" table is the honest estimate for unseen text.

Run: python benchmarks/pii_redaction.py [--show-misses]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from touchtext.redaction import Redactor, score_redaction

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def _load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line.strip()]


def main() -> None:
    holdout = _load("pii_holdout.jsonl")
    sets = {
        "pii_cases.jsonl (development set)": _load("pii_cases.jsonl"),
        "pii_holdout.jsonl, odd ids (inspected once)": [c for c in holdout if int(c["id"].split("-")[1]) % 2],
        "pii_holdout.jsonl, even ids (never inspected)": [c for c in holdout if not int(c["id"].split("-")[1]) % 2],
    }
    redactor = Redactor()
    redactor.find("warm up")
    for title, cases in sets.items():
        started = time.perf_counter()
        report = score_redaction(cases, redactor)
        seconds = time.perf_counter() - started
        print(f"{title}: {len(cases)} items, scored in {seconds:.2f} s")
        print(report.to_string(index=False, float_format=lambda x: f"{x:.3f}"), end="\n\n")
    cases = sets["pii_cases.jsonl (development set)"]
    if "--show-misses" in sys.argv:
        for case in cases:
            spans = redactor.find(case["text"])
            for p in case.get("pii", []):
                start = case["text"].find(p["value"])
                if not any(s.type == p["type"] and s.start <= start and start + len(p["value"]) <= s.end for s in spans):
                    print(f"MISSED {p['type']}: {p['value']!r} in {case['text'][:120]!r} -> {[(s.type, s.text) for s in spans]}")
            planted = [(case["text"].find(p["value"]), p) for p in case.get("pii", [])]
            for s in spans:
                if not any(p["type"] == s.type and st < s.end and s.start < st + len(p["value"]) for st, p in planted):
                    print(f"FALSE {s.type}: {s.text!r} in {case['text'][:120]!r}")


if __name__ == "__main__":
    main()
