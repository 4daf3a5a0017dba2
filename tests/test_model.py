import json

import numpy as np
import pytest

from touchtext.errors import ModelError
from touchtext.model import CARD_FILE, MODEL_FILE, ModelSettings, TouchpointModel, load_model
from touchtext.taxonomy import load_taxonomy
from touchtext.training import cleaned_texts

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


def test_probabilities_are_calibrated_on_out_of_fold_scores(small_training):
    cv = small_training.card["cross_validation"]
    assert cv["brier_calibrated"] <= cv["brier_raw"]  # Platt scaling never worsens the fit it was tuned on
    assert 0.3 < cv["macro_f1"] <= 1.0 and 0.4 < cv["sentiment_accuracy"] <= 1.0
    assert set(cv["per_touchpoint"]) == set(small_training.model.touchpoint_ids)


def test_items_in_the_uncertain_band_need_review(shipped_model, labeled_corpus):
    model = shipped_model[0]
    texts = cleaned_texts(labeled_corpus[labeled_corpus["split"] == "test"].head(150))
    items = model.predict_items(texts)
    flagged = [i for i in items if i.needs_review]
    assert 0 < len(flagged) < len(items)
    band = model.settings_.review_band
    for item in items:  # the flag is exactly "some label within the band of its threshold, or unsure sentiment"
        near = any(
            abs(m.confidence - model.thresholds_[model.touchpoint_ids.index(m.touchpoint)]) < band
            for m in item.mentions
        )
        unsure = any(m.sentiment_confidence < model.settings_.review_sentiment_confidence for m in item.mentions)
        if near or unsure:
            assert item.needs_review
        if not item.needs_review:
            assert item.review_reasons == []


def test_each_evidence_sentence_has_its_own_sentiment(shipped_model):
    text = "Staff were lovely and so helpful. The bill charged me twice and nobody will fix it."
    item = shipped_model[0].predict_items([text])[0]
    by_tp = {m.touchpoint: m.to_dict() for m in item.mentions}
    assert by_tp["staff"]["sentiment"] == "positive" and by_tp["billing"]["sentiment"] == "negative"
    assert [(e["start"], e["sentiment"]) for e in by_tp["staff"]["evidence"]] == [(0, "positive")]
    assert [(e["start"], e["sentiment"]) for e in by_tp["billing"]["evidence"]] == [(34, "negative")]


def test_explanations_are_terms_of_the_item(shipped_model):
    text = "Charged twice on my invoice and the refund still hasn't arrived."
    item = shipped_model[0].predict_items([text], explain=5)[0]
    assert set(item.explanations) == {m.touchpoint for m in item.mentions} and item.explanations
    processor = shipped_model[0].processor
    lemmas = " ".join(processor.tokens(next(processor.docs([text]))))
    for terms in item.explanations.values():
        assert 0 < len(terms) <= 5
        assert all(t in lemmas or t.strip() in text.lower() for t in terms)


def test_label_ids_are_stable_whatever_the_training_order(small_training, labeled_corpus):
    rows = labeled_corpus[labeled_corpus["split"] == "train"].sample(frac=1, random_state=7).head(300)
    rows = rows[[("parking" not in labels) for labels in rows["labels"]]]  # one touchpoint never seen
    from touchtext.training import train

    shuffled = train(rows).model
    assert shuffled.touchpoint_ids == small_training.model.touchpoint_ids
    assert shuffled.thresholds_[shuffled.touchpoint_ids.index("parking")] > 1  # never predicted, id kept


def test_sentiment_only_items_teach_the_sentiment_model():
    texts = ["bill was wrong", "bill was great", "invoice wrong again", "invoice fine", "wrong charge", "lovely place",
             "awful, just awful", "brilliant service", "terrible", "fantastic"]  # fmt: skip
    labels = [{"billing": "negative"}, {"billing": "positive"}, {"billing": "negative"}, {"billing": "neutral"},
              {"billing": "negative"}, None, None, None, None, None]  # fmt: skip
    moods = [None] * 5 + ["positive", "negative", "positive", "negative", "positive"]
    settings = ModelSettings(cv_folds=2)
    model = TouchpointModel(touchpoint_ids=["billing", "parking"], settings=settings).fit(texts, labels, moods)
    assert set(model.sentiment_clf_.classes_) == {"negative", "neutral", "positive"}
    assert model.cv_report_["items"] == 5  # touchpoint classifier saw only the items whose touchpoints are known
    assert [m.touchpoint for m in model.predict(["the bill"])[0]] == ["billing"]  # present in every item: always


def test_one_feature_pass_equals_the_fitted_column_transformer(shipped_model, labeled_corpus):
    """Items and sentences share one counting pass; it must give the scikit-learn features."""
    model, _ = shipped_model
    texts = [*cleaned_texts(labeled_corpus.head(150)), "", "Great!", "line one\nline two. And three"]
    items = model._analyze(texts)
    encoded = model._encode(items)
    expected = model.features_.transform(model._frame([a.lemmas for a in items], [a.text for a in items])).tocsr()
    difference = abs(encoded.X - expected)
    assert encoded.X.shape == expected.shape and difference.max() < 1e-6
    words = model.features_.named_transformers_["words"]
    k = 152  # "line one\nline two. And three": three sentences
    sentences = encoded.units[encoded.sentence_rows(k)]
    assert sentences.shape[0] == 3
    assert abs(sentences - words.transform(items[k].sentence_lemmas)).max() < 1e-6


def test_stacked_touchpoint_scores_equal_predict_proba(shipped_model, labeled_corpus):
    """All touchpoints scored in one product give exactly the one-vs-rest classifier's probabilities."""
    model, _ = shipped_model
    texts = [*cleaned_texts(labeled_corpus.head(100)), "", "Great!"]
    X = model._encode(model._analyze(texts)).X
    assert model._linear_touchpoints() is not None
    assert np.array_equal(model._raw_proba(X), model.touchpoint_clf_.predict_proba(X))


def test_mention_sentiments_equal_the_weighted_mean_of_their_units(shipped_model, labeled_corpus):
    """Sentiments scored for all mentions at once equal each mention's own weighted mean, bit for bit."""
    model, _ = shipped_model
    texts = cleaned_texts(labeled_corpus.head(120))
    encoded = model._encode(model._analyze(texts))
    labels = [[0, 3], [5], [1, 2, 4], *([[j] for j in range(6)] * 20)][: len(texts)]
    relevance = model._sentence_relevance(encoded)
    scored = model._sentiments(encoded, relevance, labels)
    classes = list(model.sentiment_clf_.classes_)
    for k, item_labels in enumerate(labels):
        inputs = model._sentiment_inputs(encoded, k, relevance[k], item_labels)
        for (units, weights, idx), (sentiment, confidence, evidence, _) in zip(inputs, scored[k], strict=True):
            w = np.asarray(weights)
            block = model.sentiment_clf_.predict_proba(encoded.units[units])
            combined = (block * w[:, None]).sum(axis=0) / w.sum()
            assert (sentiment, confidence, evidence) == (classes[int(np.argmax(combined))], float(combined.max()), idx)


def _exact(item):
    """Everything an ItemPrediction says, floats compared bit for bit."""
    mentions = [(m.touchpoint, m.confidence.hex(), m.sentiment, m.sentiment_confidence.hex(), m.evidence,
                 m.evidence_sentiments) for m in item.mentions]  # fmt: skip
    return mentions, item.review_reasons, item.explanations, item.probabilities.tobytes()


def test_batched_prediction_equals_one_at_a_time(small_training, labeled_corpus, monkeypatch):
    """Items are predicted in fixed-size batches: across batch boundaries the results are
    exactly those of each text predicted alone (and of one big batch)."""
    import touchtext.model

    model = small_training.model
    texts = [*cleaned_texts(labeled_corpus.head(9)), "", "Great!", "line one\nline two. And three"]
    alone = [_exact(model.predict_items([t], explain=3)[0]) for t in texts]
    one_batch = [_exact(item) for item in model.predict_items(texts, explain=3)]
    monkeypatch.setattr(touchtext.model, "PREDICT_BATCH", 5)
    batched = [_exact(item) for item in model.predict_items(texts, explain=3)]
    assert batched == alone == one_batch
    assert any(item[0] for item in batched) and any(item[1] for item in batched)  # mentions and review reasons
    touchpoints = [[m[0] for m in item[0]] or [model.touchpoint_ids[0]] for item in batched]
    assert model.predict_sentiment(texts, touchpoints) == [
        model.predict_sentiment([t], [tps])[0] for t, tps in zip(texts, touchpoints, strict=True)
    ]
