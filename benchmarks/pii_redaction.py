"""Recall and precision of personal-data redaction, per type, on tests/data/pii_cases.jsonl.

Run: python benchmarks/pii_redaction.py [--show-misses]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from touchtext.redaction import Redactor, score_redaction

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii_cases.jsonl"


def main() -> None:
    cases = [json.loads(line) for line in CASES.read_text("utf-8").splitlines() if line.strip()]
    redactor = Redactor()
    redactor.find("warm up")
    started = time.perf_counter()
    report = score_redaction(cases, redactor)
    seconds = time.perf_counter() - started
    print(f"{len(cases)} cases from {CASES.name}, scored in {seconds:.2f} s\n")
    print(report.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
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
