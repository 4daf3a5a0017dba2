import functools
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from touchtext.drivers import REPLICATES, detect_score_column, driver_counts, drivers, indicators, poisson_weights
from touchtext.errors import InputError
from touchtext.schema import mention_table

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


def _counts(df, taxonomy, replicates=REPLICATES):
    return driver_counts(df, "rating", taxonomy.ids, replicates=replicates)


def test_closed_form_fit_equals_ridge_on_the_raw_items(synthetic, taxonomy):
    """The fixed-size sums give exactly the ridge fit of the raw items, plain and bootstrap-weighted."""
    counts = _counts(synthetic, taxonomy)
    X = indicators(synthetic, mention_table(synthetic), taxonomy.ids).astype(float)
    y = pd.to_numeric(synthetic["rating"]).to_numpy()
    analysed = synthetic["status"].isin(["ok", "unclear"]).to_numpy()
    weights = poisson_weights(synthetic["row_id"])
    coef = counts._coefficients(alpha=1.0)
    np.testing.assert_allclose(coef[0], Ridge(alpha=1.0).fit(X[analysed], y[analysed]).coef_, atol=1e-9)
    for r in (0, 57, REPLICATES - 1):
        ridge = Ridge(alpha=1.0).fit(X[analysed], y[analysed], sample_weight=weights[analysed, r])
        np.testing.assert_allclose(coef[1 + r], ridge.coef_, atol=1e-9)


def test_counts_stay_the_same_size_however_many_rows(synthetic, taxonomy):
    small, large = _counts(synthetic.head(40), taxonomy), _counts(synthetic, taxonomy)
    assert small.sums.shape == large.sums.shape == (2 + 4 * 18 + 36 * 35 // 2, 1 + REPLICATES)
    assert (small.items, large.items) == (40, 1500)


@pytest.mark.parametrize("seed", range(4))
def test_chunk_counts_merge_to_the_counts_of_the_whole(synthetic, taxonomy, seed):
    rng = np.random.default_rng(seed)
    chunk_of = rng.integers(0, int(rng.integers(1, 8)), len(synthetic))
    parts = [_counts(synthetic[chunk_of == c], taxonomy) for c in rng.permutation(chunk_of.max() + 1)]
    merged = functools.reduce(lambda a, b: a.merge(b), parts)
    np.testing.assert_allclose(merged.sums, _counts(synthetic, taxonomy).sums, rtol=1e-12)
    pd.testing.assert_frame_equal(merged.fit(), _counts(synthetic, taxonomy).fit(), check_exact=False, rtol=1e-9)


def test_counts_with_different_replicates_do_not_merge(synthetic, taxonomy):
    with pytest.raises(InputError, match="different touchpoints or numbers of bootstrap replicates"):
        _counts(synthetic.head(50), taxonomy).merge(_counts(synthetic.head(50), taxonomy, replicates=10))


def test_bootstrap_weights_are_poisson_and_depend_only_on_the_row_id():
    weights = poisson_weights(pd.Series(range(5000)))
    assert weights.mean() == pytest.approx(1.0, abs=0.01) and weights.var() == pytest.approx(1.0, abs=0.02)
    np.testing.assert_array_equal(poisson_weights(pd.Series([7, 8]), 10), poisson_weights(pd.Series(["7", "8"]), 10))
    np.testing.assert_array_equal(poisson_weights(pd.Series([8]), 10)[0], poisson_weights(pd.Series([7, 8]), 10)[1])
