import json

import pandas as pd
import pytest

from touchtext.errors import InputError
from touchtext.summaries import mentions, summarize, wilson_interval


def _mention(tp, sentiment, conf=0.9, sconf=0.8, text="", start=0):
    return {
        "touchpoint": tp,
        "sentiment": sentiment,
        "confidence": conf,
        "sentiment_confidence": sconf,
        "evidence": [{"text": text or f"{tp} {sentiment}", "start": start, "end": start + 5}],
    }


@pytest.fixture
def classified():
    """Ten items with hand-counted answers: billing 4 mentions (3 neg), parking 2 (2 neg),
    staff 3 (0 neg, 2 pos), one unclear item and one empty item."""
    items = [
        [_mention("billing", "negative", text="charged twice", sconf=0.95), _mention("staff", "positive")],
        [_mention("billing", "negative", text="invoice wrong", sconf=0.6)],
        [_mention("billing", "negative"), _mention("parking", "negative", text="no spaces")],
        [_mention("billing", "positive")],
        [_mention("parking", "negative", conf=0.99, sconf=0.99, text="car park closed")],
        [_mention("staff", "positive")],
        [_mention("staff", "neutral")],
        [],
        [],
        [],
    ]
    status = ["ok"] * 7 + ["unclear", "unclear", "empty"]
    return pd.DataFrame({"row_id": range(1, 11), "status": status, "mentions": [json.dumps(m) for m in items]})


def test_mentions_table_is_long(classified):
    table = mentions(classified)
    assert len(table) == 9
    assert table.iloc[0].to_dict() | {} == {
        "row_id": 1,
        "touchpoint": "billing",
        "sentiment": "negative",
        "confidence": 0.9,
        "sentiment_confidence": 0.95,
        "evidence": "charged twice",
        "evidence_start": 0,
        "evidence_end": 5,
    }


def test_known_answer_counts_and_ranking(classified, taxonomy):
    summary = summarize(classified, taxonomy).set_index("touchpoint")
    billing, parking, staff = summary.loc["billing"], summary.loc["parking"], summary.loc["staff"]
    assert (billing.mentions, billing.negative, billing.neutral, billing.positive) == (4, 3, 0, 1)
    assert billing.share == pytest.approx(4 / 9)  # 9 items have text
    assert billing.negative_share == pytest.approx(0.75)
    assert billing.net_sentiment == pytest.approx((1 - 3) / 4)
    assert (billing.negative_share_low, billing.negative_share_high) == pytest.approx(wilson_interval(3, 4))
    assert billing.top_example == "charged twice" and billing.top_example_row_id == 1
    assert parking.top_example == "car park closed" and parking.top_example_row_id == 5
    assert (staff.negative, staff.positive, staff.net_sentiment) == (0, 2, pytest.approx(2 / 3))
    assert [summary.loc[t, "pain_rank"] for t in ("billing", "parking", "staff")] == [1, 2, 3]
    assert len(summary) == len(taxonomy.ids)  # every touchpoint listed, even unmentioned ones
    assert summary.loc["signage", "mentions"] == 0 and summary.loc["signage", "top_example"] == ""


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(0, 0, 0.0, 0.0), (0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0), (3, 4, 0.3006, 0.9544)],
)
def test_wilson_interval_known_values(k, n, low, high):
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=1e-4)


def test_unknown_touchpoint_is_explained(classified, taxonomy):
    bad = classified.copy()
    bad.loc[0, "mentions"] = json.dumps([_mention("wifi", "negative")])
    with pytest.raises(InputError, match=r"wifi.*not in taxonomy"):
        summarize(bad, taxonomy)


def test_missing_columns_are_explained(taxonomy):
    with pytest.raises(InputError, match=r"lacks column\(s\) mentions, status"):
        summarize(pd.DataFrame({"row_id": [1]}), taxonomy)
