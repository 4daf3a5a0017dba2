import json

import pandas as pd

from touchtext.report import render_summary_markdown, render_terminal_table
from touchtext.summaries import summarize


def _summary(taxonomy, text):
    m = [
        {
            "touchpoint": "billing",
            "sentiment": "negative",
            "confidence": 0.9,
            "sentiment_confidence": 0.9,
            "evidence": [{"text": text, "start": 0, "end": len(text)}],
        }
    ]
    df = pd.DataFrame({"row_id": [1, 2], "status": ["ok", "unclear"], "mentions": [json.dumps(m), "[]"]})
    return summarize(df, taxonomy)


def test_markdown_lists_every_touchpoint_and_escapes_text(taxonomy):
    md = render_summary_markdown(
        _summary(taxonomy, "bill | wrong <script>alert(1)</script>"), n_items=2, input_name="x.csv"
    )
    assert md.startswith("# Touchpoint pain points")
    assert "| 1 | Billing, invoicing, payments and credit | billing | 1 | 50.0% | 1 |" in md
    assert "<script>" not in md and "&lt;script&gt;" in md and "bill \\| wrong" in md
    assert md.count("\n| ") == len(taxonomy.ids) + 1  # header plus one row per touchpoint


def test_terminal_table_shows_only_mentioned_touchpoints(taxonomy):
    table = render_terminal_table(_summary(taxonomy, "charged twice"))
    lines = table.splitlines()
    assert len(lines) == 3
    assert "Billing" in lines[2] and "100%" in lines[2]
