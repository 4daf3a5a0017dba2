import pandas as pd
import pytest

from touchtext.errors import InputError, LabelError
from touchtext.training import assign_split, cleaned_texts, evaluate, load_labeled, parse_label_cell, train

VALID = ("billing", "delivery", "staff")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("billing:negative|delivery:positive", {"billing": "negative", "delivery": "positive"}),
        ("billing|delivery", {"billing": None, "delivery": None}),
        (" Billing : Negative ", {"billing": "negative"}),
        ("billing:negative, staff:neutral", {"billing": "negative", "staff": "neutral"}),
        ("", {}),
        (None, {}),
        (float("nan"), {}),
    ],
)
def test_label_cell_formats(cell, expected):
    assert parse_label_cell(cell, VALID) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("invoices:negative", "unknown touchpoint 'invoices'; valid touchpoints: billing, delivery, staff"),
        ("billing:angry", "unknown sentiment 'angry' for 'billing'"),
    ],
)
def test_bad_label_cells(cell, message):
    with pytest.raises(LabelError, match=message):
        parse_label_cell(cell, VALID, where="row 3: ")


def test_split_is_deterministic_and_about_a_fifth():
    ids = [f"item-{i}" for i in range(5000)]
    split = assign_split(ids)
    assert split == assign_split(ids)
    assert 0.19 < split.count("test") / len(ids) < 0.25


def _write_csv(tmp_path, rows):
    p = tmp_path / "labels.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def test_load_labeled_names_bad_rows(tmp_path):
    p = _write_csv(
        tmp_path,
        [
            {"id": "a", "text": "late parcel", "labels": "delivery:negative"},
            {"id": "b", "text": "wrong bill", "labels": "invoices:negative"},
        ],
    )
    with pytest.raises(LabelError, match=r"1 bad label cell\(s\): labels.csv row 2: unknown touchpoint 'invoices'"):
        load_labeled(p)


def test_load_labeled_rejects_duplicates_and_empty_text(tmp_path):
    p = _write_csv(tmp_path, [{"id": "a", "text": "x", "labels": ""}, {"id": "a", "text": "y", "labels": ""}])
    with pytest.raises(LabelError, match=r"Duplicate ids.*a"):
        load_labeled(p)
    p = _write_csv(tmp_path, [{"id": "a", "text": "", "labels": "billing"}])
    with pytest.raises(LabelError, match=r"Empty text in labels.csv row 1"):
        load_labeled(p)


def test_load_labeled_needs_its_columns(tmp_path):
    p = _write_csv(tmp_path, [{"id": "a", "body": "x", "tags": "billing"}])
    with pytest.raises(LabelError, match=r"lacks column\(s\) text, labels.*--text-col"):
        load_labeled(p)
    with pytest.raises(InputError, match="does not exist"):
        load_labeled(tmp_path / "nope")


def test_too_few_examples_is_refused(labeled_corpus):
    rows = labeled_corpus[labeled_corpus["split"] == "train"].head(60).copy()
    rows["labels"] = [{"billing": "negative"}] * 58 + [{"parking": "negative"}] * 2
    with pytest.raises(LabelError, match=r"fewer than 3 training examples: parking \(2\)"):
        train(rows)


def test_training_card_and_metrics(small_training):
    card = small_training.card
    assert card["data"]["n_train"] == 500 and card["data"]["n_test"] == 150
    m = card["metrics"]
    assert 0.3 < m["macro_f1"] <= 1.0  # a real model on real data: far above chance
    assert 0.4 < m["sentiment_accuracy"] <= 1.0
    assert m["sentiment_pairs"] > 100


def test_evaluate_is_perfect_on_its_own_confident_output(small_training, labeled_corpus):
    model = small_training.model
    rows = labeled_corpus[labeled_corpus["split"] == "test"].head(40).copy()
    preds = model.predict(cleaned_texts(rows))
    rows["labels"] = [{m.touchpoint: m.sentiment for m in p} for p in preds]
    m = evaluate(model, rows)
    assert m["micro_f1"] == pytest.approx(1.0)
    assert m["pair_f1"] == pytest.approx(1.0)
