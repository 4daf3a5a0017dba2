import re

from hypothesis import given, settings
from hypothesis import strategies as st

from touchtext import _langid

_MIXED = st.text(
    alphabet=st.sampled_from(list("abc XYZ.,'1\nÉéçßøłğı中日ひカ한русїעربپहไქ😀★’ơđΑ")) | st.characters(), max_size=60
)


def _dominant_script_by_findall(text):
    """The per-script counts as `_dominant_script` first computed them, one findall per script."""
    other = "".join(_langid._NON_ASCII.findall(text))
    raw = {name: len(pattern.findall(other)) for name, pattern, _ in _langid._SCRIPTS}
    unknown = len(_langid._OTHER_LETTER.findall(other)) - sum(raw.values())
    raw["latin"] += len(re.findall("[A-Za-z]", text))
    return raw, unknown


@given(_MIXED)
@settings(max_examples=1000, deadline=None)
def test_cached_character_scripts_count_like_one_findall_per_script(text):
    raw, unknown = _dominant_script_by_findall(text)
    counts = {name: raw[name] * weight for name, _, weight in _langid._SCRIPTS if raw[name]}
    script, got = _langid._dominant_script(text)
    assert got == counts
    if not counts and unknown <= 0:
        assert script is None
    elif unknown > sum(raw.values()):
        assert script == "mis"
    else:
        assert script == max(counts, key=lambda k: counts[k])


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
@settings(max_examples=1000, deadline=None)
def test_ascii_words_split_like_the_word_regex(text):
    lower = text.lower()
    assert lower.translate(_langid._BLANK_ASCII_NON_LETTERS).split() == _langid._WORD.findall(lower)


# -- the whole-number fast path must give the float rules' answer --------------------------------
_STOP_PIECES = sorted(
    {w for words in _langid._stop_words().values() for w in words if w.isalpha() and len(w) < 8}
    | {"the", "und", "est", "a", "in", "me", "ok", "nice", "room", "staff", "hotel"}
)
_GLUE = st.sampled_from([" ", " ", ", ", ". ", "\n", " £5 ", " 😀 ", " é ", "’", "-", "—"])


@given(
    st.lists(st.tuples(st.sampled_from(_STOP_PIECES), _GLUE), max_size=12).map(
        lambda pairs: "".join(w + g for w, g in pairs)
    )
)
@settings(max_examples=2000, deadline=None)
def test_quick_latin_language_agrees_with_the_full_rules(text):
    assert _langid._latin_language(text) == _langid._full_latin_language(text)


@given(_MIXED | st.text(alphabet=st.sampled_from(list("ab cD£€😀é中")), max_size=40))
@settings(max_examples=1000, deadline=None)
def test_quick_latin_language_agrees_on_any_text(text):
    assert _langid._latin_language(text) == _langid._full_latin_language(text)


def test_ties_and_near_ties_are_left_to_the_full_rules():
    # "a" and "in" are on many lists: English shares their weight, so it does not lead outright.
    for text in ["a in a in a in", "die die the", "und the und the", "the of und die le la"]:
        assert _langid._latin_language(text) == _langid._full_latin_language(text)
    assert _langid._quick_latin_language("die die the") is None


@given(_MIXED | st.text(alphabet=st.sampled_from(list("abcXYZ £€😀é中ひ한р")), max_size=60))
@settings(max_examples=1000, deadline=None)
def test_ascii_letter_majority_is_latin_for_dominant_script(text):
    if _langid._ascii_letters_outweigh_the_rest(text):
        assert _langid._dominant_script(text)[0] == "latin"


def test_detect_language_takes_the_shortcuts_on_common_text():
    assert _langid.detect_language("The room cost £120 and the staff were great 😀") == "en"
    assert _langid.detect_language("Das Zimmer kostet 120 € und das Personal war unfreundlich") == "de"
    assert _langid.detect_language("ok 😀") == "und"


# -- the batch path must give `detect_language`'s answer for every text ---------------------------
_WORD_SOUP = st.lists(
    st.sampled_from(_STOP_PIECES)
    | st.sampled_from(["Über", "ÉTÉ", "ção", "niño", "Straße", "więcej", "İstanbul", "KELVIN", "ﬁne", "Σοφία"])
    | st.sampled_from(["中文", "ひらがな", "한국어", "русский", "їжак", "עברית", "عربي", "पर", "ไทย", "ქართ"])
    | st.sampled_from(["😀", "👍🏽", "★★★", "£5", "12:30", "[PHONE]", "a@b.com", "http://x.io", "…", "’s"]),
    max_size=30,
).map(" ".join)
_TEXTS = st.one_of(
    _WORD_SOUP,
    _MIXED,
    st.text(alphabet=st.sampled_from(list(" \t\n\r\u00a0\u2003")), max_size=5),  # empty or whitespace only
    st.builds(lambda glue, pairs: "".join(w + glue for w in pairs), _GLUE, st.lists(st.sampled_from(_STOP_PIECES))),
    st.none(),
)


@given(st.lists(_TEXTS, max_size=40))
@settings(max_examples=500, deadline=None)
def test_batch_detection_agrees_with_one_text_at_a_time(texts):
    assert _langid.detect_languages(texts) == [_langid.detect_language(text) for text in texts]


def test_batch_detection_agrees_across_batches(monkeypatch):
    monkeypatch.setattr(_langid, "_BATCH_TEXTS", 3)  # batches that start and end mid-list
    texts = ["the room was nice", "", "Das Zimmer war sauber und der", "😀 ok", "a b c", "x", "and the of it", "中文"]
    assert _langid.detect_languages(texts) == [_langid.detect_language(text) for text in texts]
    assert _langid.detect_languages([]) == []
    assert _langid.detect_languages(["", "   ", None]) == ["und", "und", "und"]


def test_a_sample_has_too_few_words_to_overflow_a_packed_lane():
    # Batch scoring sums packed weights in 64-bit pieces; that is exact only below this bound.
    assert _langid._SAMPLE_CHARS // 2 + 1 <= _langid._MAX_PACKED_WORDS


def test_lowercasing_changes_no_non_letter_into_ascii_or_a_letter():
    # `_ascii_words` skips `str.lower` for text whose non-ASCII characters are all non-letters.
    for code in range(0x80, 0x110000):
        char = chr(code)
        if _langid._NON_ASCII_LETTER.match(char) is None and char.lower() != char:
            lower = char.lower()
            assert not any(c.isascii() for c in lower) and _langid._NON_ASCII_LETTER.search(lower) is None


@given(_TEXTS.filter(lambda text: text is not None))
@settings(max_examples=1000, deadline=None)
def test_ascii_words_split_like_the_word_regex_on_the_lowercased_text(text):
    data = _langid._ascii_words(text)
    if data is not None:
        words = data.translate(_langid._BYTES_ASCII_LETTER_RUNS).split()
        assert [w.decode() for w in words] == _langid._WORD.findall(text.lower())


@given(_TEXTS.filter(lambda text: text is not None))
@settings(max_examples=500, deadline=None)
def test_placeholders_without_an_at_sign_are_found_without_the_email_branch(text):
    if "@" not in text:
        assert _langid._TAG_OR_LINK.sub(" ", text) == _langid._PLACEHOLDER.sub(" ", text)


def test_batch_detection_takes_any_iterable():
    assert _langid.detect_languages(iter([])) == []
    assert _langid.detect_languages(t for t in ["the room was nice and the staff", "😀"]) == ["en", "und"]


def test_a_short_text_in_a_model_language_leans_to_it_where_detection_says_english():
    """'Die Pizza war nicht warm' shares most words with English and is detected as such; a
    German model still takes it (pipeline._take_model_language), an English text it does not."""
    assert _langid.detect_language("Die Pizza war nicht warm") == "en"
    assert _langid.leans_to("Die Pizza war nicht warm", "de")
    assert _langid.leans_to("Le service était lent", "fr")
    assert not _langid.leans_to("The parking was a nightmare and nobody answered the phone", "de")
    assert not _langid.leans_to("Die Pizza war nicht warm", "fr")
    assert not _langid.leans_to(None, "de")
