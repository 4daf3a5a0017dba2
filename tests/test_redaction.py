import json
import pickle
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from touchtext import redaction
from touchtext.redaction import RedactionSettings, Redactor, iban_valid, luhn_valid, score_redaction


@pytest.fixture(scope="module")
def redactor():
    return Redactor()


def _cases(name):
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line.strip()]


def test_pii_test_set_meets_the_targets(redactor):
    cases = _cases("pii_cases.jsonl")
    planted = sum(len(c["pii"]) for c in cases)
    lookalikes = sum(len(c["keep"]) for c in cases)
    assert planted >= 300 and lookalikes >= 300
    report = score_redaction(cases, redactor).set_index("type")
    print(report.to_string())
    for kind in ("EMAIL", "PHONE", "CARD", "IBAN"):
        assert report.loc[kind, "recall"] >= 0.98, kind
    assert report.loc["ALL", "precision"] >= 0.97
    assert report.loc["LOOK-ALIKES KEPT", "recall"] >= 0.99


def test_holdout_set_written_independently_keeps_precision(redactor):
    """pii_holdout.jsonl was written by a different author and never used to tune the rules
    (odd ids were inspected once for error analysis). Recall there is lower and is reported by
    benchmarks/pii_redaction.py; precision and look-alike survival must hold."""
    report = score_redaction(_cases("pii_holdout.jsonl"), redactor).set_index("type")
    assert report.loc["ALL", "precision"] >= 0.97
    assert report.loc["LOOK-ALIKES KEPT", "recall"] >= 0.98
    assert report.loc["IBAN", "recall"] == 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call me on +44 7700 900123 about order ORD-559201", "Call me on [PHONE] about order ORD-559201"),
        ("card 4111 1111 1111 1111 charged $49.99 on 12/03/2026", "card [CARD] charged $49.99 on 12/03/2026"),
        ("refund to GB82 WEST 1234 5698 7654 32 please", "refund to [IBAN] please"),
        ("write to mailto:jo.doe+bills@mail.example.co.uk.", "write to mailto:[EMAIL]."),
        ("reset via https://x.example/reset?token=ab12cd34 now", "reset via [URL] now"),
        ("see www.brightwave.example/help for details", "see www.brightwave.example/help for details"),
        ("I live at 14 Harbour Road, Leith, Edinburgh EH6 6QW.", "I live at [ADDRESS]."),
        ("Hi, my name is Joanna Whitfield", "Hi, my name is [PERSON]"),
        ("Flight BA 2490 on 3 March 2026, seat 14C, €120.50", "Flight BA 2490 on 3 March 2026, seat 14C, €120.50"),
        ("order 4402918833 never came", "order 4402918833 never came"),
        ("tracking 4000 1234 5678 9011 (not a card: fails Luhn)", "tracking 4000 1234 5678 9011 (not a card: fails Luhn)"),
        ("Tiago at reception was great", "Tiago at reception was great"),
    ],
)  # fmt: skip
def test_redaction_examples(redactor, text, expected):
    assert redactor.redact_text(text) == expected


def test_checksums():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid("GB83 WEST 1234 5698 7654 32")
    assert not iban_valid("DE89 3704")  # too short for Germany


def test_allow_deny_and_extra_patterns():
    settings = RedactionSettings(
        allow=("support@brightwave.example",), deny=("Ana Souza",), patterns=(("MEMBER_ID", r"M-\d{8}"),)
    )
    r = Redactor(settings)
    out = r.redact_text("Ana Souza (M-12345678) wrote to support@brightwave.example and me@home.example")
    assert out == "[PERSON] ([MEMBER_ID]) wrote to support@brightwave.example and [EMAIL]"


def test_disabled_redaction_changes_nothing():
    text = "call 07700 900123"
    assert Redactor(RedactionSettings(enabled=False)).redact_text(text) == text


# -- the prefilter and the memory of recent texts must not change what is found ---------------
# The single regexes the prefilter used before it was split for speed: the split must agree.
_COMBINED_NUMBERS = re.compile(
    r"@|\(at\)|\[at\]|https?://|www\."
    r"|\d[\d\s().+/-]{5,}\d"
    r"|\b[A-Za-z]{2}\d{2}(?:\s?[A-Za-z0-9]{4}){2}"
    r"|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b|\b[A-Z]\d{2} ?[A-Z0-9]{4}\b"
)
_COMBINED_STREETS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-ZÀ-Þ][\w'’-]*\s+){{1,4}}(?i:{redaction._STREET_WORDS})\b"
    r"|[a-zäöüß](?:straße|strasse|str\.|gasse|weg|allee|platz|straat|gracht|laan|plein|kade|dijk|vej|gatan|gade)"
    r"\s+\d"
    r"|\b(?i:rua|avenida|av|calle|carrer|via|viale|corso|piazza|rue|avenue|boulevard|bd|laan|plaza|paseo|praça|"
    r"travessa|largo|strada|ulica|calzada|camino|allée|chemin|impasse|quai)\b\.?\s+[A-Za-zÀ-ÿ]+\s"
)
_PREFILTER_PIECES = [
    "14 Harbour Road", "x14 Harbour Road", "3b, Elm  Grove", "Hauptstraße 5", "Kanalweg\t12", "Str. 4", "rua Augusta ",
    "VIA Roma ", "av. Liberdade ", "have a ", "call 07700 900123", "2/5", "GB82 WEST 1234 5698 7654 32", "EH6 6QW",
    "D02 X285", "A1", "ab12", "a@b.co", "x (at) y", "[at]", "www.x", "http://a", "https:", "١٢٣ Main St", "St’s",
    "ſt", "İ", "ı", "\u00a0", "\n", ",", ".", "the", "room", "St", "Way", "Park", "12", "1234567", "-", "(", "+",
]  # fmt: skip


@given(st.lists(st.sampled_from(_PREFILTER_PIECES), max_size=10).map(" ".join) | st.text(max_size=40))
@settings(max_examples=1500, deadline=None)
def test_split_prefilter_regexes_agree_with_the_combined_ones(text):
    lower = text.lower()
    words = set(lower.translate(redaction._WORD_BREAKS).split())
    assert redaction._has_number_or_contact(text) == bool(_COMBINED_NUMBERS.search(text))
    hinted = not words.isdisjoint(redaction._STREET_HINTS) or bool(redaction._COMPOUND_HINT.search(lower))
    assert redaction._has_street(text, lower, words) == (hinted and bool(_COMBINED_STREETS.search(text)))


# The prefilter as it was before its fast paths (substring tests, bytes splitting, letter-grouped
# alternations, the lowercased ASCII street regex): the fast one must give the same answer.
_OLD_CUE_PATTERNS = [
    re.compile(rf"(?:{redaction._NAME_CUE_WORDS})\s+"),
    re.compile(rf"\b(?:my|his|her|our) (?:{redaction._RELATIVE_WORDS}),?\s+"),
    re.compile(rf"\b(?:{redaction._SIGN_OFF_WORDS})[,.!]?[ \t]*[\n,.][ \t]*"),
]


def _reference_might_hold_pii(text):
    has_digit = redaction._DIGIT_OR_AT.search(text) is not None
    if has_digit and _COMBINED_NUMBERS.search(text):
        return True
    lower = text.lower()
    words = set(lower.translate(redaction._WORD_BREAKS).split())
    hinted = not words.isdisjoint(redaction._STREET_HINTS) or bool(redaction._COMPOUND_HINT.search(lower))
    if has_digit and hinted and _COMBINED_STREETS.search(text):
        return True
    if not words.isdisjoint(redaction._TITLE_KEYS) and redaction._PRECHECK_TITLES.search(text):
        return True
    if "\n" in text and redaction._PRECHECK_LINES.search(text):
        return True
    if len(lower) != len(text):
        return bool(redaction._PRECHECK_CUES.search(text))
    for (keys, _), pattern in zip(redaction._CUE_FAMILIES, _OLD_CUE_PATTERNS, strict=True):
        if not words.isdisjoint(keys) and any(
            m.end() < len(text) and text[m.end()].isupper() for m in pattern.finditer(lower)
        ):
            return True
    return "at" in words and "dot" in words and bool(redaction._PRECHECK_CUES.search(text))


_GATE_PIECES = [
    *_PREFILTER_PIECES, "name is Ann", "recalled Bo", "this is Jo", "my wife Eva", "his boss,  Li", "thanks,\nTom",
    "thank you.\nAnn", "Best, Max", "*thanks, Ann", "much. Bea", "Mr Smith", "Dr. Who", "\nFrom: Ann", "— Ann",
    "at x dot com", "account holder: Ann", "under the name Bo", "Rua Augusta ", "*rua X ", "RUE de ", "ſt", "K",
    "\x1c", "\u2028", "–", "£5", "😀", "é", "Straße 5", "allée X ", "praça Y ", "×", "Ÿ", "called", "Called",
]  # fmt: skip


@given(
    st.lists(st.sampled_from(_GATE_PIECES), max_size=8).map(" ".join)
    | st.lists(st.sampled_from(_GATE_PIECES), max_size=8).map("".join)
    | st.text(alphabet=st.sampled_from(list("aA1 .,:\n\tmyhisr@ſKıİ£😀é—–\u00a0\x1c")), max_size=40)
    | st.text(max_size=40)
)
@settings(max_examples=3000, deadline=None)
def test_fast_prefilter_agrees_with_the_reference(text):
    assert redaction._might_hold_pii(text) == _reference_might_hold_pii(text)


@given(st.text(alphabet=st.sampled_from(list("ab tYs.,;!?-—–'\"()\n\t\x1c\xa0\u2028\u3000é😀ç")), max_size=50))
@settings(max_examples=2000, deadline=None)
def test_key_words_split_like_str_translate(text):
    lower = text.lower()
    words = set(lower.translate(redaction._WORD_BREAKS).split())
    keys = {w.decode() for w in redaction._KEY_WORDS}
    for word in ("at", "dot", "you", "st", "rua", "allée", "praça", "mr"):
        assert word in keys
        for variant in (f"{word} {text}", f"{text}—{word}\xa0", f"x{word}", f"{word}\x1c{text}"):
            low = variant.lower()
            assert redaction._key_words(low) == set(low.translate(redaction._WORD_BREAKS).split()) & keys
    assert redaction._key_words(lower) == words & keys


@given(st.lists(st.sampled_from(_GATE_PIECES), max_size=8).map(" ".join) | st.text(max_size=40))
@settings(max_examples=1500, deadline=None)
def test_letter_grouped_cue_patterns_find_the_same_matches(text):
    lower = text.lower()
    for (_, pattern), old in zip(redaction._CUE_FAMILIES, _OLD_CUE_PATTERNS, strict=True):
        assert [m.span() for m in pattern.finditer(lower)] == [m.span() for m in old.finditer(lower)]


@given(
    st.lists(st.sampled_from([*_PREFILTER_PIECES, "RUA x ", "Calle y ", "bd. Z ", "*via a "]), max_size=8).map(" ".join)
)
@settings(max_examples=1500, deadline=None)
def test_ascii_prefixed_street_regex_agrees(text):
    if text.isascii():
        fast = redaction._PRECHECK_PREFIXED_STREET_ASCII_LOWER.search(text.lower()) is not None
        assert fast == (redaction._PRECHECK_PREFIXED_STREET.search(text) is not None)


def test_compound_suffix_substrings_cover_every_suffix():
    for suffix in redaction._COMPOUND_SUFFIX_TEXTS:
        assert redaction._may_hold_compound_suffix(f"x{suffix}y")
    assert not redaction._may_hold_compound_suffix("the room was fine")


def test_recent_texts_are_remembered_but_not_shared_or_pickled():
    redactor = Redactor()
    text = "Call me on 07700 900123 or mail ann@example.com"
    first = redactor.find(text)
    first.clear()  # a caller's list is its own
    assert redactor.find(text) == Redactor().find(text) != []
    clone = pickle.loads(pickle.dumps(redactor))
    assert not clone._recent
    for i in range(redaction._RECENT_SIZE + 10):
        redactor.find(f"review number {i} was fine")
    assert len(redactor._recent) == redaction._RECENT_SIZE
    long_text = "x" * (redaction._RECENT_MAX_CHARS + 1)
    assert redactor.find(long_text) == [] and long_text not in redactor._recent
