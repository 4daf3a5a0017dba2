import functools
import json
import pickle
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from touchtext import schema
from touchtext._phrases import PhraseLemmas, phrase_lemmas
from touchtext.errors import InputError
from touchtext.language import TextProcessor
from touchtext.summaries import (
    QUOTE_POOL,
    SummaryCounts,
    _count_combinations,
    _factorize,
    _quote_order,
    alerts,
    choose_period,
    cooccurrence,
    mentions,
    phrases,
    quotes,
    rollup,
    summarize,
    summary_tables,
    trend,
    wilson_interval,
)


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


def _dated(rows):
    """rows: (date, [(touchpoint, sentiment, evidence)]) -> a classified DataFrame."""
    return pd.DataFrame({
        "row_id": range(1, len(rows) + 1),
        "date": [d for d, _ in rows],
        "status": ["ok" if m else "unclear" for _, m in rows],
        "mentions": [json.dumps([_mention(t, s, text=e) for t, s, e in m]) for _, m in rows],
    })  # fmt: skip


def test_trend_counts_and_flags_a_significant_rise(taxonomy):
    quiet = [(f"2026-01-{d:02d}", [("parking", "positive", "fine")]) for d in range(1, 21)]
    noisy = [(f"2026-02-{d:02d}", [("parking", "negative", "closed")]) for d in range(1, 11)]
    noisy += [(f"2026-02-{d:02d}", []) for d in range(11, 21)]
    result = trend(_dated(quiet + noisy), taxonomy=taxonomy, period="month")
    parking = result[result["touchpoint"] == "parking"].set_index("period")
    assert parking.loc["2026-01", ["items", "mentions", "negative"]].tolist() == [20, 20, 0]
    assert parking.loc["2026-02", ["items", "mentions", "negative"]].tolist() == [20, 10, 10]
    assert parking.loc["2026-02", "negative_item_share"] == pytest.approx(0.5)
    assert parking.loc["2026-02", "change"] == "rise"
    # pooled p = 10/40; z = 0.5 / sqrt(0.25 * 0.75 * (1/20 + 1/20)) = 3.651 -> p = 0.00026
    assert parking.loc["2026-02", "p_value"] == pytest.approx(0.000261, rel=0.01)
    assert result[result["touchpoint"] == "billing"]["change"].eq("").all()


def test_weeks_run_monday_to_sunday(taxonomy):
    days = ["2026-03-02", "2026-03-08", "2026-03-09"]  # Monday, the Sunday after, the next Monday
    result = trend(_dated([(d, [("parking", "negative", "no spaces")]) for d in days]), taxonomy=taxonomy,
                   period="week")  # fmt: skip
    parking = result[result["touchpoint"] == "parking"].set_index("period")
    assert parking["items"].to_dict() == {"2026-03-02/2026-03-08": 2, "2026-03-09/2026-03-15": 1}


def test_trend_without_dates_is_empty_and_period_is_chosen_from_the_span(taxonomy, classified):
    assert trend(classified, taxonomy=taxonomy).empty
    assert choose_period(pd.Series(pd.to_datetime(["2026-01-01", "2026-01-20"]))) == "day"
    assert choose_period(pd.Series(pd.to_datetime(["2026-01-01", "2026-04-20"]))) == "week"
    assert choose_period(pd.Series(pd.to_datetime(["2026-01-01", "2026-10-20"]))) == "month"
    with pytest.raises(InputError, match="Date column 'when' not found"):
        trend(classified, date_column="when", taxonomy=taxonomy)


def test_quotes_are_confident_and_mutually_different():
    rows = [("2026-01-01", [("billing", "negative", text)]) for text in
            ["charged twice for one night", "charged twice for one night!", "invoice shows the wrong hotel",
             "the direct debit bounced", "nobody explains the fees"]]  # fmt: skip
    df = _dated(rows)
    df["mentions"] = [
        json.dumps([_mention("billing", "negative", conf=c, sconf=0.9, text=t)])
        for c, t in zip([0.99, 0.98, 0.9, 0.8, 0.7], [r[1][0][2] for r in rows], strict=True)
    ]
    picked = quotes(df)
    assert picked["quote"].tolist() == ["charged twice for one night", "invoice shows the wrong hotel",
                                        "the direct debit bounced"]  # fmt: skip
    assert picked["row_id"].tolist() == [1, 3, 4] and picked["rank"].tolist() == [1, 2, 3]


def test_cooccurrence_counts_and_lift(classified):
    pairs = cooccurrence(classified)
    assert pairs[["touchpoint_a", "touchpoint_b", "both_negative"]].values.tolist() == [["billing", "parking", 1]]
    # 9 analysed items; billing negative in 3, parking negative in 2 -> lift = 1 * 9 / (3 * 2)
    assert pairs.loc[0, "lift"] == pytest.approx(1.5)


def test_summary_document_has_a_schema_version(classified, taxonomy):
    doc = summary_tables(classified, taxonomy=taxonomy).document()
    assert doc["schema_version"] == 1 and doc["items"] == 10
    assert doc["status_counts"] == {"ok": 7, "unclear": 2, "empty": 1}
    assert len(doc["touchpoints"]) == len(taxonomy.ids) and doc["trend"] == []
    json.dumps(doc)  # serializable as is


def test_rollups_by_stage_facing_and_segment(classified, taxonomy):
    by_stage = rollup(classified, "stage", taxonomy=taxonomy).set_index("stage")
    # billing (stage billing): 3 neg + 1 pos; parking and staff are both in "usage"
    assert by_stage.loc["billing", ["negative", "positive", "mentions"]].tolist() == [3, 1, 4]
    assert by_stage.loc["usage", ["negative", "neutral", "positive", "mentions"]].tolist() == [2, 1, 2, 5]
    by_facing = rollup(classified, "facing", taxonomy=taxonomy).set_index("facing")
    assert by_facing["mentions"].sum() == 9
    segmented = classified.assign(location=["A", "A", "B", "B", "B", "A", "A", "A", "B", "B"])
    table = rollup(segmented, "location", taxonomy=taxonomy)
    parking_b = table[(table["location"] == "B") & (table["touchpoint"] == "parking")].iloc[0]
    assert (parking_b["items"], parking_b["negative"]) == (4, 2)  # B has 4 analysed items (row 10 is empty)
    with pytest.raises(InputError, match="Cannot roll up by 'region'"):
        rollup(classified, "region", taxonomy=taxonomy)


def _trend_rows(history, latest):
    rows = [{"period": f"2026-{m:02d}", "touchpoint": "parking", "items": 100, "negative": k} for m, k in history]
    rows.append({"period": "2026-12", "touchpoint": "parking", "items": 100, "negative": latest})
    return pd.DataFrame(rows)


def test_alerts_flag_a_real_rise_only():
    raised = alerts(_trend_rows([(m, 2) for m in range(1, 11)], latest=12))
    assert raised["touchpoint"].tolist() == ["parking"] and raised.loc[0, "period"] == "2026-12"
    assert raised.loc[0, "baseline_share"] == pytest.approx(0.02) and raised.loc[0, "p_value"] < 1e-5
    assert alerts(_trend_rows([(m, 2) for m in range(1, 11)], latest=4)).empty  # within normal variation
    assert alerts(_trend_rows([(m, 0) for m in range(1, 11)], latest=2)).empty  # too few to call
    assert alerts(_trend_rows([], latest=50)).empty  # no history to compare with


def test_phrases_explain_the_pain(taxonomy):
    complaints = ["The car park was closed again.", "Car park closed, no signs.", "Garage closed and car park full.",
                  "car park closed for works"]  # fmt: skip
    other = ["Breakfast was great.", "Lovely breakfast and kind staff.", "Staff were kind.", "Great breakfast buffet."]
    rows = [("2026-01-01", [("parking", "negative", t)]) for t in complaints]
    rows += [("2026-01-01", [("food_beverage", "positive", t)]) for t in other]
    df = _dated(rows)
    result = phrases(df, taxonomy=taxonomy)
    parking = result[result["touchpoint"] == "parking"]
    assert "car park" in parking["phrase"].tolist()[:3]
    assert "close" in parking["phrase"].tolist()
    assert not set(parking["phrase"]) & {"the", "was", "breakfast"}
    assert result[result["touchpoint"] == "food_beverage"].empty  # no negative evidence, nothing to explain
    assert parking["z"].is_monotonic_decreasing
    summary = summarize(df, taxonomy).set_index("touchpoint")
    assert "car park" in summary.loc["parking", "top_phrases"]


def test_counts_of_chunks_merge_to_the_counts_of_the_whole(classified_sample, taxonomy):
    """Summaries are built from counts: three chunks counted apart and merged give the same tables."""
    options = {"taxonomy": taxonomy, "segments": ("location",)}
    whole = SummaryCounts.from_classified(classified_sample, **options).finalize()
    chunks = [classified_sample.iloc[i : i + 120] for i in range(0, len(classified_sample), 120)]
    first = SummaryCounts.from_classified(chunks[0], **options)
    columns = {"date_column": first.date_column, "score_column": first.score_column}
    parts = [first] + [SummaryCounts.from_classified(c, **options, **columns) for c in chunks[1:]]
    merged = (parts[0] + parts[1] + parts[2]).finalize()
    assert (merged.items, merged.status_counts, merged.period) == (whole.items, whole.status_counts, whole.period)
    for name in ("summary", "trend", "quotes", "cooccurrence", "phrases", "drivers"):
        pd.testing.assert_frame_equal(getattr(merged, name), getattr(whole, name), check_exact=False, rtol=1e-9)
    for by, table in whole.rollups.items():
        pd.testing.assert_frame_equal(merged.rollups[by], table)
    assert whole.period == "month" and not whole.drivers.empty and not whole.trend.empty


def test_counts_made_with_different_choices_do_not_merge(classified, taxonomy):
    a = SummaryCounts.from_classified(classified, taxonomy=taxonomy)
    b = SummaryCounts.from_classified(classified.assign(location="x"), taxonomy=taxonomy, segments=("location",))
    with pytest.raises(InputError, match="same taxonomy, date column, score column and segments"):
        a.merge(b)


# -- chunk safety: counting chunks apart and merging them gives the tables of the whole ---------
def _assert_same_tables(got, want):
    assert (got.items, got.status_counts, got.period) == (want.items, want.status_counts, want.period)
    assert (got.date_column, got.score_column) == (want.date_column, want.score_column)
    for name in ("summary", "trend", "quotes", "cooccurrence", "phrases"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name))
    pd.testing.assert_frame_equal(got.drivers, want.drivers, check_exact=False, rtol=1e-9)  # float sums
    assert got.rollups.keys() == want.rollups.keys()
    for by, table in want.rollups.items():
        pd.testing.assert_frame_equal(got.rollups[by], table)


@pytest.fixture(scope="module")
def awkward(classified_sample):
    """The classified sample plus rows that chunking tends to break: undated rows, rows without
    mentions, parse errors, and 40 complaints whose quote scores tie exactly (more than a pool holds)."""
    base = classified_sample.copy()
    n = len(base)
    undated = base.head(30).assign(date=None)
    unclear = base.head(20).assign(status="unclear", mentions="[]")
    broken = base.head(15).assign(status="parse_error", mentions="", date=None, rating=None, location=None)
    ties = base.head(40).assign(
        status="ok",
        mentions=[json.dumps([_mention("billing", "negative", conf=0.5, sconf=0.5, text=f"charged {w} twice")])
                  for w in ["again", "today", "badly", "wrongly"] * 10],
    )  # fmt: skip
    extra = pd.concat([undated, unclear, broken, ties], ignore_index=True)
    extra["row_id"] = range(n + 1, n + 1 + len(extra))
    return pd.concat([base, extra], ignore_index=True)


OPTIONS = {"segments": ("location", "channel")}


def _count(df, taxonomy, **columns):
    return SummaryCounts.from_classified(df, taxonomy=taxonomy, **OPTIONS, **columns)


@pytest.mark.parametrize("seed", range(12))
def test_random_chunks_merged_in_any_order_give_the_tables_of_the_whole(awkward, taxonomy, seed):
    rng = np.random.default_rng(seed)
    whole = _count(awkward, taxonomy)
    columns = {"date_column": whole.date_column, "score_column": whole.score_column}
    k = int(rng.integers(1, 8))
    chunk_of = rng.integers(0, k, len(awkward)) if seed % 2 else np.sort(rng.integers(0, k, len(awkward)))
    parts = [_count(awkward[chunk_of == c], taxonomy, **columns) for c in range(k)]
    rng.shuffle(parts)
    merged = functools.reduce(lambda a, b: a + b, parts)
    _assert_same_tables(merged.finalize(), whole.finalize())
    assert merged.quote_pool == whole.quote_pool and merged.grams == whole.grams


def test_awkward_chunks_merge_exactly(awkward, taxonomy):
    """A chunk of only parse errors, one with no dated rows, one with no mentions and an empty one."""
    whole = _count(awkward, taxonomy)
    columns = {"date_column": whole.date_column, "score_column": whole.score_column}
    broken = awkward["status"] == "parse_error"
    undated = awkward["date"].isna() & ~broken
    silent = awkward["mentions"].isin(["[]", ""]) & ~broken & ~undated
    rest = ~(broken | undated | silent)
    chunks = [awkward[broken], awkward[undated], awkward[silent], awkward.iloc[:0], awkward[rest]]
    parts = [_count(chunk, taxonomy, **columns) for chunk in chunks]
    assert parts[0].analysed == 0 and not parts[0].sentiment and not parts[1].day_items and not parts[2].sentiment
    forward = functools.reduce(lambda a, b: a + b, parts)
    backward = functools.reduce(lambda a, b: a + b, parts[::-1])
    _assert_same_tables(forward.finalize(), whole.finalize())
    _assert_same_tables(backward.finalize(), whole.finalize())


def test_tied_quotes_are_chosen_the_same_whatever_the_chunks(awkward, taxonomy):
    """40 equal scores compete for 25 pool places: the earliest rows win, then the text decides."""
    tied = awkward[awkward["mentions"].str.contains('"charged ', regex=False)]
    counts = _count(tied, taxonomy)
    whole = counts.quote_pool[("billing", "negative")]
    assert len(whole) == 25 and [c[2] for c in whole] == sorted(c[2] for c in whole)
    columns = {"date_column": counts.date_column, "score_column": counts.score_column}
    backwards = [_count(tied.iloc[i : i + 7], taxonomy, **columns) for i in reversed(range(0, len(tied), 7))]
    merged = functools.reduce(lambda a, b: a + b, backwards).quote_pool[("billing", "negative")]
    assert merged == whole


def test_counts_survive_pickling(awkward, taxonomy):
    """Chunk counts are pickled back from worker processes."""
    counts = _count(awkward, taxonomy)
    restored = pickle.loads(pickle.dumps(counts))
    _assert_same_tables(restored.finalize(), counts.finalize())
    _assert_same_tables((restored + restored).finalize(), (counts + counts).finalize())


def test_a_given_mention_table_is_used_as_is(awkward, taxonomy):
    table = mentions(awkward)
    given = _count(awkward, taxonomy, mention_table=table)
    _assert_same_tables(given.finalize(), _count(awkward, taxonomy).finalize())
    with pytest.raises(InputError, match=r"mention table names row_id 1, which is not in the classified rows"):
        _count(awkward[awkward["row_id"] > 1], taxonomy, mention_table=table)
    with pytest.raises(InputError, match=r"mention table lacks column\(s\) evidence"):
        _count(awkward, taxonomy, mention_table=table.drop(columns=["evidence"]))


def test_mentions_equal_the_schema_decoder(awkward):
    odd = pd.DataFrame({
        "row_id": ["a", "b", "c", "d"],
        "mentions": [json.dumps([{"touchpoint": "parking", "sentiment": "negative", "confidence": 1,
                                  "sentiment_confidence": "0.5", "evidence": []}]), None, "  ", "[]"],
    })  # fmt: skip
    for df in (awkward, odd, awkward.iloc[:0], awkward[awkward["status"] == "parse_error"]):
        pd.testing.assert_frame_equal(mentions(df), schema.mention_table(df))
    bad = odd.assign(mentions=["[", None, None, None])
    with pytest.raises(InputError, match=r"Row a: the 'mentions' cell is not valid JSON"):
        mentions(bad)


# -- phrase lemmas: the fast path agrees with TextProcessor.content_lemmas ----------------------
TRICKY = [
    "The car park was closed again!",
    "Don't book: the hotel's Wi-Fi didn't work and I couldn't cancel.",
    "Call me on [PHONE] or [EMAIL], see www.example.com or https://x.co/a?b=1 [Note] kept",
    "Paid £19.99 on 3 Feb. for 2 nights at 5pm, ref SG-10442, one room, first floor",
    "gonna complain, cannot wait, check-in/out was slow...OK. SaaS. e.g. U.K.",
    "Rooms weren't cleaned; the staff were rude, NOT helpful, never again",
]


@pytest.fixture(scope="module")
def processor():
    return TextProcessor()


@pytest.mark.parametrize("text", TRICKY)
def test_phrase_lemmas_match_content_lemmas(processor, text):
    expected = processor.content_lemmas(next(iter(processor.docs([text]))))
    assert PhraseLemmas(processor).lemmas(text) == expected


def test_phrase_lemmas_match_on_real_evidence(processor, classified_sample):
    texts = mentions(classified_sample)["evidence"].drop_duplicates().tolist()
    fast = PhraseLemmas(processor)
    same = [
        fast.lemmas(t) == processor.content_lemmas(doc) for t, doc in zip(texts, processor.docs(texts), strict=True)
    ]
    assert sum(same) / len(same) >= 0.99
    assert PhraseLemmas(processor).grams("car park closed") == ["car", "park", "close", "car park", "park close"]


def test_absorbing_chunks_in_place_equals_merging_them_and_leaves_each_chunk_as_it_was(awkward, taxonomy):
    """A long run adds each chunk's counts to one total in place; that gives what `merge` gives."""
    whole = _count(awkward, taxonomy)
    columns = {"date_column": whole.date_column, "score_column": whole.score_column}
    parts = [_count(awkward.iloc[i : i + 3], taxonomy, **columns) for i in range(0, len(awkward), 3)]
    before = [pickle.dumps(part) for part in parts]
    total = SummaryCounts(taxonomy, whole.date_column, whole.score_column, OPTIONS["segments"])
    for part in parts:
        total.absorb(part)
    assert [pickle.dumps(part) for part in parts] == before
    merged = functools.reduce(lambda a, b: a + b, parts)
    _assert_same_tables(total.finalize(), merged.finalize())
    _assert_same_tables(total.finalize(), whole.finalize())
    assert total.quote_pool == whole.quote_pool and total.grams == whole.grams
    assert total.negative_grams == whole.negative_grams and total.segment_mentions == whole.segment_mentions


# -- counting on codes: the fast paths give what counting the values themselves gives ----------
def _reference_counts(table, items):
    """Negative pairs, grams and quote pools counted the straightforward way, from the values."""
    negative = table[table["sentiment"] == "negative"].assign(item=items[table["sentiment"] == "negative"])
    pairs_of = negative[["item", "touchpoint"]].drop_duplicates()
    pairs = pairs_of.merge(pairs_of, on="item", suffixes=("_a", "_b"))
    pairs = pairs[pairs["touchpoint_a"] < pairs["touchpoint_b"]]
    texts = table["evidence"].tolist()
    keep = [isinstance(t, str) and t.strip() != "" for t in texts]
    lemmas = phrase_lemmas()
    grams: Counter = Counter()
    once, repeated = [], Counter(t for t, k in zip(texts, keep, strict=True) if k)
    for text, n in repeated.items():  # texts seen more than once first, then the others
        if n > 1:
            for gram in lemmas.grams(text):
                grams[gram] += n
        else:
            once.extend(lemmas.grams(text))
    grams.update(once)
    shown = table[keep].reset_index(drop=True)
    score = shown["confidence"].to_numpy(dtype=float) * shown["sentiment_confidence"].to_numpy(dtype=float)
    rank = shown.assign(score=score).groupby(["touchpoint", "sentiment"], sort=False)["score"]
    near = np.flatnonzero((rank.rank(method="min", ascending=False) <= QUOTE_POOL).to_numpy())
    pools: dict = {}
    for i in near.tolist():
        key = (shown["touchpoint"][i], shown["sentiment"][i])
        pools.setdefault(key, []).append((float(score[i]), shown["evidence"][i], int(shown["row_id"][i])))
    pools = {key: sorted(pool, key=_quote_order)[:QUOTE_POOL] for key, pool in pools.items()}
    return Counter(zip(pairs["touchpoint_a"], pairs["touchpoint_b"], strict=True)), grams, pools


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_counting_on_codes_equals_counting_values(taxonomy, data):
    """Ties and NaN scores around the pool size, repeated and blank sentences, repeated complaints."""
    n = data.draw(st.integers(40, 300))
    pick = lambda values: data.draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))  # noqa: E731
    items = np.array(pick(list(range(12))))
    table = pd.DataFrame({
        "row_id": items + 1, "touchpoint": pick(list(taxonomy.ids[:2])),
        "sentiment": pick(["negative", "positive"]),
        "confidence": pick([0.3, 0.5, 0.6, 0.7, 0.9, float("nan")]), "sentiment_confidence": pick([1.0, 0.8, 0.7]),
        "evidence": pick(["", "  ", "the car park was closed", "rude staff, rude staff", "ok", "Bill was wrong"]),
        "evidence_start": 0, "evidence_end": 1,
    })  # fmt: skip
    classified = pd.DataFrame({"row_id": range(1, 13), "status": "ok", "mentions": "[]"})
    counts = SummaryCounts.from_classified(classified, taxonomy=taxonomy, mention_table=table, detect=False)
    pairs, grams, pools = _reference_counts(table, items)
    assert list(counts.negative_pairs.items()) == list(pairs.items())
    assert list(counts.grams.items()) == list(grams.items())
    assert counts.quote_pool == pools
    assert list(counts.sentiment.items()) == list(
        Counter(zip(table["touchpoint"], table["sentiment"], strict=True)).items()
    )


def test_counting_combinations_with_missing_values_keeps_them_as_a_counter_would():
    left = np.array(["a", None, "b", "a", None], dtype=object)
    right = np.array(["x", "y", "x", "x", "y"], dtype=object)
    counted = _count_combinations([_factorize(left), _factorize(right)])
    assert list(counted.items()) == list(Counter(zip(left.tolist(), right.tolist(), strict=True)).items())
