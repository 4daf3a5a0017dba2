import pickle

import pytest

from touchtext.language import TextProcessor


@pytest.fixture(scope="module")
def proc():
    return TextProcessor()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The rooms weren't cleaned", "the room be not not_clean"),
        ("not bad at all, but slow", "not not_bad not_at not_all but slow"),
        ("never again!!", "not not_again ! !"),
        ("Paid $49.99 on 12/03", "pay $ <num> on <num>"),
        ("Bags arrived", "bag arrive"),
    ],
)
def test_lemmas_numbers_and_negation_scope(proc, text, expected):
    assert proc.lemma_string(text) == expected


def test_negation_scope_is_bounded(proc):
    tokens = proc.lemma_string("no wifi in the room and the lift is broken").split()
    assert tokens[:4] == ["not", "not_wifi", "not_in", "not_the"]
    assert "not_lift" not in tokens


def test_sentences_have_offsets_into_the_text(proc):
    text = "Agent: how can I help?\nCustomer: my bag never arrived. It is day 4!  Awful."
    doc = next(iter(proc.docs([text])))
    sentences = proc.sentences(doc)
    assert [s.text for s in sentences] == [
        "Agent: how can I help?",
        "Customer: my bag never arrived.",
        "It is day 4!",
        "Awful.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_processor_pickles_without_the_pipeline(proc):
    proc.lemma_string("warm up")  # builds the pipeline
    data = pickle.dumps(proc)
    assert len(data) < 1000  # settings only, no spaCy objects
    assert pickle.loads(data).lemma_string("rooms") == "room"


def test_non_text_inputs_are_empty(proc):
    assert [len(d) for d in proc.docs([None, 3.2, ""])] == [0, 0, 0]
