import re

from hypothesis import given
from hypothesis import strategies as st

from touchtext._alignment import Aligned


def test_substitutions_keep_offsets_to_the_original():
    raw = "<p>Hello &amp; welcome</p>   to   Lisbon"
    a = Aligned(raw).sub(re.compile(r"</?p>"), "").sub(re.compile(r"&amp;"), "&").sub(re.compile(r" {2,}"), " ")
    assert a.text == "Hello & welcome to Lisbon"
    start = a.text.index("Lisbon")
    o_start, o_end = a.original_span(start, start + len("Lisbon"))
    assert raw[o_start:o_end] == "Lisbon"
    amp = a.text.index("&")
    assert raw[slice(*a.original_span(amp, amp + 1))] == "&amp;"


def test_unchanged_text_returns_itself():
    a = Aligned("plain")
    assert a.sub(re.compile("x"), "y") is a
    assert a.original_span(1, 3) == (1, 3)


def test_replace_spans_and_insertions():
    raw = "call 07700 900123 now"
    a = Aligned(raw).replace_spans([(5, 17, "[PHONE]")])
    assert a.text == "call [PHONE] now"
    assert raw[slice(*a.original_span(5, 12))] == "07700 900123"
    b = a.replace_spans([(0, 0, "Subject.\n")])
    assert b.text.startswith("Subject.\ncall")
    assert raw[slice(*b.original_span(9, 13))] == "call"


@given(st.text(max_size=200))
def test_every_character_maps_inside_the_original(text):
    a = Aligned(text).sub(re.compile(r"\s+"), " ").sub(re.compile(r"[aeiou]"), "").strip()
    assert len(a.origin) == len(a.text)
    assert all(0 <= o < max(len(text), 1) for o in a.origin)
    assert a.origin == sorted(a.origin)
