import json

import pandas as pd
import pytest

from touchtext.pipeline import OUTPUT_FILES, classify, run
from touchtext.summaries import mentions


@pytest.fixture
def messy_reviews(tmp_path):
    df = pd.DataFrame(
        {
            "review_id": ["a1", "a2", "a3", "a4", "a5", "a6"],
            "rating": ["1", "5", "3", "2", "4", "1"],
            "review_text": [
                "They charged my card twice and the invoice still shows the wrong amount!!",
                "<p>Breakfast was superb &amp; the staff couldn't do enough for us</p>",
                "",
                "asdfgh",
                "Parking was impossible, the car park was full and the signs were useless",
                None,
            ],
        }
    )
    p = tmp_path / "reviews.csv"
    df.to_csv(p, index=False)
    return p


def test_classify_keeps_every_row_in_order(shipped_model, messy_reviews):
    from touchtext.io import read_table

    table = read_table(messy_reviews)
    out = classify(table, model=shipped_model[0])
    assert len(out) == len(table)
    assert out["review_id"].tolist() == ["a1", "a2", "a3", "a4", "a5", "a6"]
    assert out["row_id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert out["status"].tolist()[2] == "empty" and out["status"].tolist()[5] == "empty"
    assert out.loc[0, "status"] == "ok" and "billing:negative" in out.loc[0, "sentiments"]
    assert out.loc[3, "status"] == "unclear" and out.loc[3, "touchpoints"] == ""
    assert "parking:negative" in out.loc[4, "sentiments"]
    assert out.loc[1, "clean_text"].startswith("Breakfast was superb & the staff")
    for cell, text in zip(out["mentions"], out["clean_text"], strict=True):
        for m in json.loads(cell):
            for span in m["evidence"]:
                assert text[span["start"] : span["end"]] == span["text"]


def test_classify_accepts_a_plain_dataframe(shipped_model):
    out = classify(pd.DataFrame({"comment": ["Lost my luggage on the way to Lisbon."]}), model=shipped_model[0])
    assert out.loc[0, "row_id"] == 1
    assert "baggage" in out.loc[0, "touchpoints"]


def test_run_writes_all_outputs(shipped_model, messy_reviews, tmp_path):
    out_dir = tmp_path / "out"
    result = run(messy_reviews, out_dir, model=shipped_model[0])
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(OUTPUT_FILES)
    back = pd.read_csv(out_dir / "classified.csv", dtype=str, keep_default_na=False)
    assert back["review_id"].tolist() == ["a1", "a2", "a3", "a4", "a5", "a6"]
    assert len(pd.read_csv(out_dir / "mentions.csv")) == len(mentions(result.classified))
    summary = pd.read_csv(out_dir / "summary.csv")
    assert summary["pain_rank"].tolist() == list(range(1, len(summary) + 1))
    assert "Touchpoint pain points" in (out_dir / "summary.md").read_text()
    assert "Billing" in result.terminal_table()


def test_tickets_transcripts_and_auto_replies(shipped_model):
    df = pd.DataFrame({
        "subject": ["Automatic reply: Out of office", "Charged twice"],
        "body": ["I am out of the office until Monday.", "You took my direct debit twice this month.\n\nThanks,\nJo"],
    })  # fmt: skip
    out = classify(df, model=shipped_model[0])
    assert out["status"].tolist() == ["auto_reply", "ok"]
    assert out.loc[0, "touchpoints"] == "" and "automatic reply" in out.loc[0, "status_reason"]
    assert out.loc[1, "clean_text"] == "Charged twice.\nYou took my direct debit twice this month."
    assert "billing" in out.loc[1, "touchpoints"]
    calls = pd.DataFrame({"transcript": ["Agent: Thanks for calling, how can I help?\nCustomer: my bag never arrived, "
                                         "call me on 07700 900123"]})  # fmt: skip
    out = classify(calls, model=shipped_model[0])
    assert out.loc[0, "clean_text"] == "my bag never arrived, call me on [PHONE]"
    assert out.loc[0, "pii_redacted"] == "PHONE" and "baggage" in out.loc[0, "touchpoints"]
