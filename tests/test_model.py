import json

import pytest

from touchtext.errors import ModelError
from touchtext.model import CARD_FILE, MODEL_FILE, TouchpointModel, load_model
from touchtext.taxonomy import load_taxonomy

TEXTS = [
    "Charged twice for one night, the invoice is wrong.",
    "The car park was full and the parking fee is a joke.",
    "Reception staff were lovely.",
]


def test_round_trip_gives_identical_predictions(small_training, small_model_dir):
    loaded, card = load_model(small_model_dir)
    assert card["model_sha256"]
    before = small_training.model.predict(TEXTS)
    after = loaded.predict(TEXTS)
    assert [[m.to_dict() for m in item] for item in before] == [[m.to_dict() for m in item] for item in after]


def test_label_ids_come_from_the_taxonomy(small_training):
    assert small_training.model.touchpoint_ids == load_taxonomy().ids


def test_predictions_have_evidence_inside_the_text(shipped_model):
    model, _ = shipped_model
    text = "The room was spotless. But they charged my card twice and the invoice is still wrong."
    (mentions,) = model.predict([text])
    found = {m.touchpoint: m for m in mentions}
    assert found["billing"].sentiment == "negative"
    assert found["facilities"].sentiment == "positive"
    assert found["billing"].evidence[0].text.startswith("But they charged")
    for m in mentions:
        assert 0.0 <= m.confidence <= 1.0 and 0.0 <= m.sentiment_confidence <= 1.0
        for s in m.evidence:
            assert text[s.start : s.end] == s.text


def test_mixed_sentiment_item_gets_both_sentiments(shipped_model):
    model, _ = shipped_model
    (mentions,) = model.predict(
        ["Breakfast was amazing, best croissants ever. The parking garage was filthy and cost 30 euros."]
    )
    found = {m.touchpoint: m.sentiment for m in mentions}
    assert found.get("food_beverage") == "positive"
    assert found.get("parking") == "negative"


def test_gibberish_gets_no_forced_guess(shipped_model):
    model, _ = shipped_model
    assert model.predict(["asdfgh qwerty"]) == [[]]


def test_empty_batch(shipped_model):
    assert shipped_model[0].predict([]) == []


def test_fit_rejects_unknown_labels():
    with pytest.raises(ModelError, match="not in the model's touchpoints"):
        TouchpointModel(touchpoint_ids=["billing"]).fit(["x"], [{"wifi": "negative"}])


def test_tampered_model_is_refused(model_copy):
    with open(model_copy / MODEL_FILE, "ab") as fh:
        fh.write(b"\x00")
    with pytest.raises(ModelError, match="does not match its model card"):
        load_model(model_copy)


def test_missing_model_folder_says_how_to_get_one(tmp_path):
    with pytest.raises(ModelError, match="touchtext train --data"):
        load_model(tmp_path)


def test_shipped_model_card_is_complete(shipped_model):
    _, card = shipped_model
    for key in ("created_at", "taxonomy", "data", "metrics", "versions", "model_sha256", "thresholds"):
        assert key in card
    assert card["data"]["sha256"] and card["data"]["label_counts"]
    m = card["metrics"]
    assert set(m["per_touchpoint"]) == set(load_taxonomy().ids)
    for key in ("micro_f1", "macro_f1", "sentiment_accuracy"):
        assert 0.0 < m[key] <= 1.0
    assert card["model_bytes"] < 25 * 1024 * 1024


def test_card_json_on_disk_matches(small_model_dir):
    card = json.loads((small_model_dir / CARD_FILE).read_text())
    assert card["model_file"] == MODEL_FILE
    assert (small_model_dir / "model_card.md").read_text().startswith("# Model card")


def test_shipped_model_was_trained_on_the_shipped_corpus(shipped_model, labeled_corpus):
    from touchtext.training import data_fingerprint

    _, card = shipped_model
    assert card["data"]["sha256"] == data_fingerprint(labeled_corpus), (
        "models/default is stale: retrain with `touchtext train --data data/labeled --out models/default`"
    )
