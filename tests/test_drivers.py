import json

import numpy as np
import pandas as pd
import pytest

from touchtext.drivers import detect_score_column, drivers
from touchtext.errors import InputError

TRUE_IMPACT = {"billing": -2.0, "parking": -1.0, "signage": -0.3}
RATES = {"billing": 0.15, "parking": 0.30, "signage": 0.30}


@pytest.fixture(scope="module")
def synthetic():
    """1,500 items whose rating = 4.6 + sum of the true impacts of their complaints + noise."""
    rng = np.random.default_rng(42)
    rows, mentions_cells = [], []
    for i in range(1500):
        found = [t for t, rate in RATES.items() if rng.random() < rate]
        score = 4.6 + sum(TRUE_IMPACT[t] for t in found) + rng.normal(0, 0.4)
        rows.append({"row_id": i + 1, "rating": str(round(score, 2)), "status": "ok" if found else "unclear"})
        mentions_cells.append(json.dumps([
            {"touchpoint": t, "sentiment": "negative", "confidence": 0.9, "sentiment_confidence": 0.9,
             "evidence": [{"text": t, "start": 0, "end": 1}]} for t in found
        ]))  # fmt: skip
    df = pd.DataFrame(rows)
    df["mentions"] = mentions_cells
    return df


def test_true_impacts_are_recovered_in_the_right_order(synthetic, taxonomy):
    result = drivers(synthetic, taxonomy=taxonomy).set_index("touchpoint")
    for tp, impact in TRUE_IMPACT.items():
        assert result.loc[tp, "impact"] == pytest.approx(impact, abs=0.15)
        assert result.loc[tp, "impact_low"] < impact < result.loc[tp, "impact_high"]
    # priority = frequency x impact: parking (0.30 x 1.0) > billing (0.15 x 2.0)? equal in expectation; signage last
    assert result.loc["signage", "priority_rank"] == 3
    assert set(result.index) == set(TRUE_IMPACT)
    assert result.loc["billing", "quadrant"] == "costly but rare"


def test_score_column_detection(synthetic):
    assert detect_score_column(synthetic) == "rating"
    assert detect_score_column(pd.DataFrame({"id": ["1", "2"], "text": ["a", "b"]})) is None
    with pytest.raises(InputError, match="Score column 'nps' not found"):
        detect_score_column(synthetic, "nps")


def test_no_score_or_too_few_items_gives_an_empty_table(synthetic, taxonomy):
    assert drivers(synthetic.drop(columns=["rating"]), taxonomy=taxonomy).empty
    assert drivers(synthetic.head(10), taxonomy=taxonomy).empty
