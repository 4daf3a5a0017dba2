"""Checks on the shipped labeled corpus and sample inputs: size, mix, split, naturalness."""

import re
from collections import Counter, defaultdict

import pandas as pd
import pytest

from tests.conftest import ROOT
from touchtext.io import read_table

SAMPLES = ROOT / "data" / "samples"


def _shingles(text: str) -> frozenset:
    words = re.findall(r"\w+", text.lower())
    return frozenset(zip(words, words[1:], words[2:], strict=False))


def near_duplicate_pairs(texts_a, texts_b=None, threshold=0.6):
    """Pairs with word 3-gram Jaccard >= threshold (candidates found through shared 3-grams)."""
    a = [_shingles(t) for t in texts_a]
    b = a if texts_b is None else [_shingles(t) for t in texts_b]
    index = defaultdict(set)
    for j, s in enumerate(b):
        for g in s:
            index[g].add(j)
    pairs = set()
    for i, s in enumerate(a):
        candidates = set().union(*(index[g] for g in s)) if s else set()
        for j in candidates:
            if texts_b is None and j <= i:
                continue
            inter = len(s & b[j])
            if inter and inter / len(s | b[j]) >= threshold:
                pairs.add((i, j))
    return pairs


def test_corpus_size_and_mix(labeled_corpus, taxonomy):
    assert len(labeled_corpus) >= 3000
    sources = labeled_corpus["source"].value_counts(normalize=True)
    assert set(sources.index) == {"review", "ticket", "transcript"}
    assert abs(sources["review"] - 0.40) < 0.03 and abs(sources["ticket"] - 0.35) < 0.03
    assert abs(sources["transcript"] - 0.25) < 0.03
    assert labeled_corpus["industry"].nunique() >= 8
    multi = labeled_corpus["labels"].map(len) >= 2
    assert multi.mean() >= 0.30
    per_touchpoint = Counter(t for labels in labeled_corpus["labels"] for t in labels)
    assert all(per_touchpoint[t] >= 120 for t in taxonomy.ids), per_touchpoint


def test_held_out_split(labeled_corpus, taxonomy):
    test_share = (labeled_corpus["split"] == "test").mean()
    assert 0.20 <= test_share <= 0.25
    for split in ("train", "test"):
        counts = Counter(t for labels in labeled_corpus.loc[labeled_corpus["split"] == split, "labels"] for t in labels)
        assert all(counts[t] >= 5 for t in taxonomy.ids), (split, counts)


def test_every_touchpoint_has_all_three_sentiments(labeled_corpus, taxonomy):
    pairs = Counter((t, s) for labels in labeled_corpus["labels"] for t, s in labels.items())
    for t in taxonomy.ids:
        for s in ("negative", "neutral", "positive"):
            assert pairs[(t, s)] > 0, (t, s)


def test_items_are_not_templated(labeled_corpus):
    texts = labeled_corpus["text"].tolist()
    pairs = near_duplicate_pairs(texts)
    total = len(texts) * (len(texts) - 1) // 2
    rate = len(pairs) / total
    print(f"near-duplicate pairs: {len(pairs)} of {total} ({rate:.4%})")
    assert rate < 0.01
    assert not pairs, pairs


@pytest.mark.parametrize(
    ("name", "column"), [("reviews.csv", "review_text"), ("tickets.jsonl", "body"), ("transcripts.jsonl", "transcript")]
)
def test_samples_are_not_copied_from_the_labeled_data(labeled_corpus, name, column):
    sample = read_table(SAMPLES / name)
    texts = sample[column].fillna("").astype(str).tolist()
    assert not near_duplicate_pairs(texts, labeled_corpus["text"].tolist())


def test_reviews_sample_shape():
    df = pd.read_csv(SAMPLES / "reviews.csv")
    assert len(df) >= 300
    assert {"date", "rating"} <= set(df.columns)
    assert df["rating"].between(1, 5).all()
    assert pd.to_datetime(df["date"]).notna().all()
    assert df["review_id"].is_unique


def test_tickets_have_subject_and_body():
    df = read_table(SAMPLES / "tickets.jsonl")
    assert {"subject", "body"} <= set(df.columns)
    assert len(df) >= 100
