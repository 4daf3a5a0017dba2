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
