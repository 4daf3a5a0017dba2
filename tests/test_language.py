import json
import pickle

import pandas as pd
import pytest

from tests.conftest import DATA, ROOT
from touchtext.errors import ModelError
from touchtext.language import LanguageSettings, TextProcessor, detect_language


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


TOKEN_RULE_TEXTS = [
    "The rooms weren't cleaned. But the staff were lovely!",
    "no wifi in the room and the lift is broken... never again?!",
    "Paid $49.99 on 12/03 -- not OK.  Refund, however, arrived.",
    "Agent: how can I help?\nCustomer: my bag never arrived. It is day 4!  Awful.",
    "not\nclean",  # a line break ends the sentence, and with it the negation scope
    "  ",
    "",
    "!!!",
    "...\n\n?",
    "Ça coûte trop cher — 20 € pour le parking?",
]


@pytest.mark.parametrize("text", TOKEN_RULE_TEXTS)
def test_sentence_tokens_follow_the_token_rule(proc, text):
    """`tokens` (lemma strings) and `segment` (sentences) implement one token rule twice: per line,
    the tokens of all sentences are the tokens of the text (only a line break, which ends a
    sentence, also ends a negation scope in `segment`)."""
    doc = next(iter(proc.docs([text])))
    pairs = proc.sentence_tokens(doc, text)
    assert [t for _, tokens in pairs for t in tokens] == [
        t for line in text.split("\n") for t in proc.tokens(next(iter(proc.docs([line]))))
    ]
    flat = proc.segment(doc)
    assert flat.tokens == [t for _, tokens in pairs for t in tokens]
    assert flat.sizes == [len(tokens) for _, tokens in pairs]
    assert [flat.sentence(text, i) for i in range(len(flat.sizes))] == [sentence for sentence, _ in pairs]
    assert all(text[s.start : s.end] == s.text and s.text == s.text.strip() and s.text for s, _ in pairs)


def test_sentence_tokens_follow_the_token_rule_on_the_corpus(proc):
    texts = [
        json.loads(line)["text"] for line in (ROOT / "data" / "labeled" / "hotel.jsonl").read_text("utf-8").splitlines()
    ]
    texts = [t for t in texts if "\n" not in t][:300]
    for text, doc in zip(texts, proc.docs(texts), strict=True):
        assert proc.segment(doc).tokens == proc.tokens(doc), text


def test_segmenting_many_docs_at_once_equals_one_at_a_time(proc):
    """`segment_docs` (array operations over a batch) gives each doc's `segment`, in order."""
    texts = [line for line in (ROOT / "data" / "samples" / "reviews.csv").read_text("utf-8").splitlines()[1:200]]
    texts += [*TOKEN_RULE_TEXTS, ". Hello", 'Hi.\n"Yes', "no. no! not\n\nnot good", "a\n", "\n\nb", "Not a b c d e. f"]
    docs = list(proc.docs(["", *texts, None]))
    flat, counts = proc.segment_docs(docs)
    one_by_one = [proc.segment(doc) for doc in docs]
    assert counts == [len(one.sizes) for one in one_by_one]
    assert flat.tokens == [t for one in one_by_one for t in one.tokens]
    assert flat.sizes == [n for one in one_by_one for n in one.sizes]
    assert flat.spans == [offset for one in one_by_one for offset in one.spans]
    assert proc.segment_docs([]) == (([], [], []), [])
    assert proc.segment_docs(proc.docs(["", "  "])) == (([], [], []), [0, 0])


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_segmenting_texts_equals_segmenting_their_docs(lang):
    """`segment_texts` (spaCy called once per distinct span) gives what `segment_docs` gives for
    the texts' docs, in languages with different special cases."""
    proc = TextProcessor(LanguageSettings(lang=lang))
    texts = [line for line in (ROOT / "data" / "samples" / "reviews.csv").read_text("utf-8").splitlines()[1:120]]
    texts += [
        *TOKEN_RULE_TEXTS,
        "x:( )x",
        "a  b\n\n c",
        " lead",
        "trail ",
        "",
        None,
        "l'hôtel n'était pas prêt",
        "z.B. am 3. Mai",
    ]
    for start in (0, 40, 80):  # batches that reuse the spans of earlier ones
        batch = texts[start:] + texts[:start]
        assert proc.segment_texts(batch) == proc.segment_docs(proc.docs(batch))


def test_lemma_tables_that_list_lemmas_give_the_first():
    """spacy-lookups-data's French table maps a word to a list of lemmas, not a string."""
    assert (
        TextProcessor(LanguageSettings(lang="fr")).lemma_string("Les chambres étaient sales") == "le chambre être sale"
    )


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("de", "Das Essen war nicht warm, aber lecker", "der essen sein not not_warm aber lecker"),
        ("de", "Keine Antwort und kein Rückruf", "not not_antwort und not not_rückruf"),
        ("de", "Da war nix los, keinerlei Hilfe", "da sein not not_los not not_hilfe"),
        ("fr", "La nourriture était nulle", "le nourriture être nulle"),  # "nulle" is "rubbish" here
        ("fr", "Le personnel n'était pas aimable", "le personnel not not_être not not_aimable"),
        ("es", "No hay nadie en recepción, pero el desayuno bien", "not not_haber not not_en not_recepción pero el desayunar bien"),
        ("it", "Non c'era nessuno", "not not_c' not_essere not"),
        ("nl", "Het eten was niet warm", "het eten was not not_warm"),
        ("pt", "Não recebi nada", "not not_receber not"),
    ],
)  # fmt: skip
def test_negation_words_are_those_of_the_model_language(lang, text, expected):
    """Each model language marks its own negation words' scope (and ends it at its own 'but')."""
    assert TextProcessor(LanguageSettings(lang=lang)).lemma_string(text) == expected


def test_english_negation_words_are_words_in_other_languages():
    """'no' is a cue in English and Spanish; in German it is an ordinary (foreign) word."""
    assert TextProcessor(LanguageSettings(lang="de")).lemma_string("no way") == "no way"
    assert TextProcessor().lemma_string("no way") == "not not_way"


def test_a_language_without_negation_rules_is_refused():
    with pytest.raises(ModelError, match=r"'pl'.*en, de, fr, es, it, nl, pt"):
        LanguageSettings(lang="pl")
    unpickled = object.__new__(LanguageSettings)  # as pickle restores it: no __post_init__
    object.__setattr__(unpickled, "lang", "sv")
    object.__setattr__(unpickled, "negation_window", 3)
    with pytest.raises(ModelError, match="'sv'"):
        TextProcessor(unpickled)


def test_processor_pickles_without_the_pipeline(proc):
    proc.lemma_string("warm up")  # builds the pipeline
    data = pickle.dumps(proc)
    assert len(data) < 1000  # settings only, no spaCy objects
    assert pickle.loads(data).lemma_string("rooms") == "room"


def test_non_text_inputs_are_empty(proc):
    assert [len(d) for d in proc.docs([None, 3.2, ""])] == [0, 0, 0]


# -- language identification (touchtext._langid) -------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The room was clean but the staff were rude", "en"),
        ("Nice staff, nice breakfast, hot room (ac?), noisy trams", "en"),  # "nice" is a Turkish stop word
        ("Signal ok, speeds ok, price ok. Just ok.", "en"),  # "ok" is a Polish and Hungarian one
        ("Kind regards\nMartin\nT: +353 1 555 0193 | M: +353 87 555 0118", "en"),
        ("Das Zimmer war sauber, aber das Personal war unfreundlich", "de"),
        ("Номер был грязный", "ru"),
        ("Номер був брудний, і персонал неввічливий", "uk"),
        ("부屋 좋은 호텔입니다", "ko"),
        ("غرفة نظيفة جدا", "ar"),
        ("اتاق تمیز بود ولی پرسنل بی‌ادب بودند", "fa"),
        ("ห้องสะอาด", "th"),
        ("Khách sạn rất sạch sẽ và nhân viên thân thiện", "vi"),
        ("ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ ᏣᎳᎩ", "mis"),  # a script with no language in the table: flagged, not guessed
        ("👍👍 !!!", "und"),
        ("ok", "und"),
        ("12345 678", "und"),
        ("", "und"),
        (None, "und"),
        (42, "und"),
        ("asdfgh qwerty", "und"),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


def test_language_identification_accuracy():
    """Hand-written reviews in 19 languages (tests/data/languages.jsonl) and the English corpus.

    Measured: 76 of 78 hand-written items right (de, fr, it, nl, pt 10/10 each, es 9/10: one
    short Spanish sentence reads as Portuguese; Swedish 1/2: one reads as English); none of
    the 3,000 items of data/labeled/ is called foreign (false-positive rate 0 of 3,000), and in
    data/samples/reviews.csv exactly the 5 reviews written in Dutch or Portuguese are.
    """
    items = [json.loads(line) for line in (DATA / "languages.jsonl").read_text(encoding="utf-8").splitlines()]
    by_language: dict[str, list[bool]] = {}
    for item in items:
        by_language.setdefault(item["lang"], []).append(detect_language(item["text"]) == item["lang"])
    accuracy = {lang: sum(hits) / len(hits) for lang, hits in by_language.items()}
    overall = sum(sum(h) for h in by_language.values()) / len(items)
    print(f"\nlanguage id: {overall:.1%} of {len(items)} hand-written items;", accuracy)
    for lang in ("de", "fr", "es", "it", "nl", "pt"):
        assert len(by_language[lang]) == 10 and accuracy[lang] >= 0.9, (lang, accuracy[lang])
    assert overall >= 0.95
    # flagged or not, a foreign text is never called English
    assert not [i for i in items if i["lang"] not in ("en", "sv") and detect_language(i["text"]) == "en"]

    corpus = [json.loads(line)["text"] for f in sorted((ROOT / "data" / "labeled").glob("*.jsonl"))
              for line in f.read_text(encoding="utf-8").splitlines()]  # fmt: skip
    foreign = [t for t in corpus if detect_language(t) not in ("en", "und")]
    print(f"English corpus: {len(foreign)} of {len(corpus)} items called foreign")
    assert len(corpus) >= 3000 and foreign == []
    reviews = pd.read_csv(ROOT / "data" / "samples" / "reviews.csv", dtype=str, keep_default_na=False)
    flagged = reviews.loc[[detect_language(t) not in ("en", "und") for t in reviews["review_text"]], "review_id"]
    assert flagged.tolist() == ["R-100517", "R-100526", "R-100581", "R-101069", "R-101898"]  # nl, pt, pt, pt, pt
