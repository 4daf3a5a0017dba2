"""Language identification without downloaded models: Unicode scripts, then stop words.

A text written mostly in a non-Latin script gets that script's main language (Han -> zh,
Han with kana -> ja, Hangul -> ko, Cyrillic -> ru/uk, Arabic -> ar/fa, ...). Latin-script
text is scored against the stop-word lists that ship with spaCy (no download): each word
counts for every language whose list holds it, divided by how many lists hold it, so shared
words ("a", "in", "me") weigh little and distinctive ones ("the", "und", "est") a lot. When
English does not lead, a few spellings (-ción, -ção, ß, ...) add evidence, and the share of
words found in spaCy's English lemma table (spacy-lookups-data) keeps English reviews that
happen to hold foreign stop words ("nice", "ok", names) English.

Short texts, texts without words (emoji, punctuation, numbers) and texts no list recognizes
get "und" (undetermined): they are never called foreign on thin evidence. Accuracy is
measured in tests/test_language.py.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
import struct
from collections import Counter
from pathlib import Path
from typing import Any

from spacy.lookups import load_lookups

__all__ = ["LANGUAGE_NAMES", "LATIN_LANGUAGES", "UNDETERMINED", "detect_language"]

UNDETERMINED = "und"
# Latin-script languages told apart by stop words; "mis" (ISO 639-2: uncoded languages) is
# returned for text in a script this module has no language for.
LATIN_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "sv", "da", "nb", "pl", "tr", "ro", "cs", "fi", "hu")
_UNCODED = "mis"
LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "nl": "Dutch",
    "pt": "Portuguese", "sv": "Swedish", "da": "Danish", "nb": "Norwegian", "pl": "Polish", "tr": "Turkish",
    "ro": "Romanian", "cs": "Czech", "fi": "Finnish", "hu": "Hungarian", "vi": "Vietnamese", "zh": "Chinese",
    "ja": "Japanese", "ko": "Korean", "ru": "Russian", "uk": "Ukrainian", "el": "Greek", "ar": "Arabic",
    "fa": "Persian", "he": "Hebrew", "hi": "Hindi", "bn": "Bengali", "pa": "Punjabi", "gu": "Gujarati",
    "ta": "Tamil", "te": "Telugu", "kn": "Kannada", "ml": "Malayalam", "si": "Sinhala", "th": "Thai", "lo": "Lao",
    "my": "Burmese", "ka": "Georgian", "hy": "Armenian", "am": "Amharic", "km": "Khmer",
    _UNCODED: "a script with no language in touchtext's table", UNDETERMINED: "undetermined",
}  # fmt: skip

_SAMPLE_CHARS = 1000  # enough to decide (about 200 words); keeps a long text as cheap as a tweet
_MIN_WORDS = 3  # fewer Latin-script words than this is too little evidence
_MIN_SCORE = 1.0  # weighted stop-word evidence a foreign language needs
_MARGIN = 2.0  # ... and how many times English's evidence it must reach
_ENGLISH_COVERAGE = 0.7  # a text whose words are mostly English words is English
_FOREIGN_COVERAGE = 0.35  # ... and one with few English words is not
_MIN_FOREIGN_WORDS = 4

# (script, pattern, weight): a Han, kana or Hangul character carries about a word.
_SCRIPTS: tuple[tuple[str, re.Pattern[str], int], ...] = tuple(
    (name, re.compile(f"[{chars}]"), weight)
    for name, chars, weight in (
        ("latin", "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff", 1),
        ("cyrillic", "\u0400-\u04ff\u0500-\u052f", 1),
        ("greek", "\u0370-\u03ff\u1f00-\u1fff", 1),
        ("arabic", "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff", 1),
        ("hebrew", "\u0590-\u05ff\ufb1d-\ufb4f", 1),
        ("devanagari", "\u0900-\u097f", 1),
        ("bengali", "\u0980-\u09ff", 1),
        ("gurmukhi", "\u0a00-\u0a7f", 1),
        ("gujarati", "\u0a80-\u0aff", 1),
        ("tamil", "\u0b80-\u0bff", 1),
        ("telugu", "\u0c00-\u0c7f", 1),
        ("kannada", "\u0c80-\u0cff", 1),
        ("malayalam", "\u0d00-\u0d7f", 1),
        ("sinhala", "\u0d80-\u0dff", 1),
        ("thai", "\u0e00-\u0e7f", 1),
        ("lao", "\u0e80-\u0eff", 1),
        ("myanmar", "\u1000-\u109f", 1),
        ("georgian", "\u10a0-\u10ff", 1),
        ("armenian", "\u0530-\u058f", 1),
        ("ethiopic", "\u1200-\u137f", 1),
        ("khmer", "\u1780-\u17ff", 1),
        ("hangul", "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f", 3),
        ("kana", "\u3040-\u30ff\u31f0-\u31ff", 3),
        ("han", "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff", 3),
    )
)
_SCRIPT_NAMES = tuple(name for name, _, _ in _SCRIPTS)
_SCRIPT_LANGUAGE = {
    "greek": "el", "hebrew": "he", "devanagari": "hi", "bengali": "bn", "gurmukhi": "pa", "gujarati": "gu",
    "tamil": "ta", "telugu": "te", "kannada": "kn", "malayalam": "ml", "sinhala": "si", "thai": "th", "lao": "lo",
    "myanmar": "my", "georgian": "ka", "armenian": "hy", "ethiopic": "am", "khmer": "km", "hangul": "ko",
}  # fmt: skip
_UKRAINIAN = re.compile("[іїєґІЇЄҐ]")
_PERSIAN = re.compile("[پچژگ]")
_VIETNAMESE = re.compile("[ơưđƠƯĐ\u1ea0-\u1ef9]")
_ASCII_LETTER = re.compile("[A-Za-z]")
_OTHER_LETTER = re.compile(r"[^\W\d_]")
_PLACEHOLDER = re.compile(r"\[[A-Z_]{2,}\]|https?://\S+|www\.\S+|[^\s@]+@\S+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_LETTERS = re.compile("[A-Za-z]+")
_WORD = re.compile(r"[^\W\d_]+")
# For lowercased ASCII text `_WORD` finds the runs of a-z: blanking every other character and
# splitting gives the same words, faster.
_BLANK_ASCII_NON_LETTERS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalpha()})
# Single letters count only when they can be words ("a", "e", "o", "y", "é", "à"), not the
# initials of signatures ("T: +353 ...", "M: ...").
_LETTER_WORDS = frozenset("aeiouyàáâãäåèéêëìíîïòóôõöùúûü")
# Spellings that belong to one language, worth half a stop word each: they separate close
# pairs (Spanish -ción vs Portuguese -ção) in short texts with few stop words.
_SPELLINGS = {
    "de": re.compile(r"ß|\w(?:ung|heit|keit|lich)\b|\bsch|[äöü]\w"),
    "fr": re.compile(r"œ|\w(?:eau|eaux|ais|ait)\b|[èêëîûù]|\b[cdjlmnst]'|qu'"),
    "es": re.compile(r"ñ|[¿¡]|\w(?:ción|sión|ciones)\b"),
    "it": re.compile(r"\w(?:zione|zioni|mente|ello|ella|etto|etta)\b|[òì]|\bgli\b|\w(?:cch|gn)\w|\b\w+ll'"),
    "nl": re.compile(r"ij|\w(?:lijk|heid)\b|\b(?:oe|ui)|aa\w"),
    "pt": re.compile(r"[ãõ]|\w(?:ção|ções|são|ções)\b|\wlh\w|\wnh\w"),
    "sv": re.compile(r"å|\w(?:ligt|igen)\b"),
    "da": re.compile(r"[æø]|å"),
    "nb": re.compile(r"[æø]|å"),
    "pl": re.compile(r"[łąęśźżń]|\w(?:cz|sz|rz)\w"),
    "tr": re.compile(r"[ğşı]"),
    "ro": re.compile(r"[ășțâ]|\bși\b"),
    "cs": re.compile(r"[ěřů]"),
    "hu": re.compile(r"[őű]|\bgy"),
}
# Words on another language's stop list that English reviews use all the time: they count for
# no language ("ok" is a Polish stop word, "nice" a Turkish one, "hi" a French one).
_SHARED_WITH_ENGLISH = frozenset(
    "ok okay nice email sent hit fire like store land bag end later want door ben final local total press fine "
    "male bravo ex inc sex min god dog pic exact conform care face plus possible different certain relative "
    "comment divers diverse hep hem hi ho ha hue asia asian iv vi vii viii ix xi xii xiii xiv xv pan sam bat "
    "tag dank gross elf ag ab".split()
)


@functools.cache
def _stop_words() -> dict[str, frozenset[str]]:
    """spaCy's stop-word list per language, read from its source file (importing the language
    package itself can take seconds: French builds its tokenizer exceptions on import)."""
    spec = importlib.util.find_spec("spacy.lang")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - spaCy is a dependency
        raise ImportError("spaCy's language data (spacy.lang) is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    lists = {}
    for lang in LATIN_LANGUAGES:
        file_spec = importlib.util.spec_from_file_location(
            f"_touchtext_stop_words_{lang}", root / lang / "stop_words.py"
        )
        if file_spec is None or file_spec.loader is None:  # pragma: no cover
            raise ImportError(f"spaCy has no stop-word list for {lang!r}")
        module = importlib.util.module_from_spec(file_spec)
        file_spec.loader.exec_module(module)
        lists[lang] = frozenset(w.lower() for w in module.STOP_WORDS)
    return lists


@functools.cache
def _word_weights() -> dict[str, tuple[tuple[str, ...], float]]:
    """For each stop word: the languages whose list holds it and its weight 1 / their number."""
    holders: dict[str, list[str]] = {}
    for lang, words in _stop_words().items():
        counted = words if lang == "en" else words - _SHARED_WITH_ENGLISH
        for word in counted:
            if len(word) > 1 or word in _LETTER_WORDS:
                holders.setdefault(word, []).append(lang)
    return {word: (tuple(langs), 1.0 / len(langs)) for word, langs in holders.items()}


def _dominant_script(text: str) -> tuple[str | None, dict[str, int]]:
    """The script with the most weighted letters ("mis" if most letters are in none of the
    table's scripts; None if there are no letters) and the weighted count per script."""
    other = "".join(_NON_ASCII.findall(text))  # usually a few characters: curly quotes, emoji, accents
    raw = dict.fromkeys(_SCRIPT_NAMES, 0)
    letters = 0
    for char, n in Counter(other).items():
        scripts, is_letter = _char_scripts(char)
        for name in scripts:
            raw[name] += n
        letters += n if is_letter else 0
    unknown = letters - sum(raw.values())  # letters of no script in the table
    raw["latin"] += sum(map(len, _ASCII_LETTERS.findall(text)))
    counts = {name: raw[name] * weight for name, _, weight in _SCRIPTS if raw[name]}
    if not counts and unknown <= 0:
        return None, counts
    if unknown > sum(raw.values()):
        return _UNCODED, counts
    return max(counts, key=lambda k: counts[k]), counts


_BYTES_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))


def _ascii_letters_outweigh_the_rest(text: str) -> bool:
    """True if `text` has more ASCII letters than 3 times its non-ASCII characters, so that
    `_dominant_script` would call it Latin (no other script weighs more than 3 a character).

    Counted on UTF-8 bytes: a non-ASCII character is at least 2 bytes, so the bytes beyond one
    per character are at least their number.
    """
    data = text.encode("utf-8", "surrogatepass")
    ascii_letters = len(data) - len(data.translate(None, _BYTES_ASCII_LETTERS))
    return ascii_letters > 3 * (len(data) - len(text))


@functools.lru_cache(maxsize=4096)
def _char_scripts(char: str) -> tuple[tuple[str, ...], bool]:
    """The table's scripts a character belongs to, and whether it is a letter (cached: a text's
    few non-ASCII characters are mostly the same quotes, emoji and accents)."""
    return tuple(name for name, pattern, _ in _SCRIPTS if pattern.match(char)), _OTHER_LETTER.match(char) is not None


@functools.cache
def _english_vocabulary() -> tuple[Any, frozenset[str]]:
    """English word forms and lemmas from spacy-lookups-data's lemma table (no download)."""
    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    return table, frozenset(table.values()) | _stop_words()["en"]


def english_coverage(words: Counter[str]) -> float:
    """Share of the (lowercased, counted) words of two letters or more that are English word
    forms, lemmas or stop words."""
    table, lemmas = _english_vocabulary()
    counted = [(w, n) for w, n in words.items() if len(w) > 1]
    total = sum(n for _, n in counted)
    return sum(n for w, n in counted if w in lemmas or w in table) / max(total, 1)


def latin_scores(words: Counter[str]) -> dict[str, float]:
    """Weighted stop-word evidence per Latin-script language for lowercased word counts."""
    weights = _word_weights()
    scores: dict[str, float] = dict.fromkeys(LATIN_LANGUAGES, 0.0)
    for word, n in words.items():
        found = weights.get(word)
        if found is not None:
            langs, weight = found
            for lang in langs:
                scores[lang] += weight * n
    return scores


def _add_spellings(scores: dict[str, float], lower: str) -> None:
    for lang, pattern in _SPELLINGS.items():
        hits = len(pattern.findall(lower))
        if hits:
            scores[lang] += 0.5 * min(hits, 4)


def detect_language(text: object) -> str:
    """The language of a text as an ISO 639-1 code, "und" when there is too little to tell,
    or "mis" for a script with no language in the table.

    Example:
        >>> detect_language("The room was clean but the staff were rude")
        'en'
        >>> detect_language("Das Zimmer war sauber, aber das Personal war unfreundlich")
        'de'
        >>> detect_language("👍👍 !!!")
        'und'
    """
    if not isinstance(text, str):
        return UNDETERMINED
    sample = text[:_SAMPLE_CHARS]
    if "[" in sample or "@" in sample or "http" in sample or "www." in sample:
        sample = _PLACEHOLDER.sub(" ", sample)
    if sample.isascii():  # the common case: no script to weigh
        script, counts = ("latin" if _ASCII_LETTER.search(sample) else None), {"latin": 1}
    elif _ascii_letters_outweigh_the_rest(sample):  # the next most common: "£", "€", an emoji
        script, counts = "latin", {"latin": 1}
    else:
        script, counts = _dominant_script(sample)
    if script is None:
        return UNDETERMINED
    if script == _UNCODED:
        return _UNCODED
    if script in ("han", "kana"):
        return "ja" if counts.get("kana", 0) * 10 >= counts.get("han", 0) + counts.get("kana", 0) else "zh"
    if script == "cyrillic":
        return "uk" if _UKRAINIAN.search(sample) else "ru"
    if script == "arabic":
        return "fa" if _PERSIAN.search(sample) else "ar"
    if script != "latin":
        return _SCRIPT_LANGUAGE[script]
    return _latin_language(sample)


# The common case without floats: each ASCII stop word's weight 1/k times the least common
# multiple of 1..16 is a whole number, packed with the other languages' into 32-bit lanes of
# one int (a last lane counts one-letter words), so a text's evidence is one sum of ints.
_SCALE = math.lcm(*range(1, len(LATIN_LANGUAGES) + 1))
_LANE_BITS = 32
_LANES = struct.Struct(f"<{len(LATIN_LANGUAGES) + 1}I")
_MAX_PACKED_WORDS = (2**_LANE_BITS - 1) // _SCALE  # more words could overflow a lane
_BYTES_ASCII_LETTER_RUNS = bytes(c if 97 <= c <= 122 else 32 for c in range(256))  # a-z kept, all else blank
_NON_ASCII_LETTER = re.compile(r"[^\W\d_\x00-\x7f]")  # a character `_WORD` matches, outside ASCII


@functools.cache
def _packed_weights() -> dict[bytes, int]:
    """For each a-z word that can carry evidence: its weight per language (times `_SCALE`) in
    one lane each, plus 1 in the last lane for a one-letter word."""
    packed: dict[bytes, int] = {}
    for word, (langs, _) in _word_weights().items():
        if re.fullmatch("[a-z]+", word):
            packed[word.encode()] = sum(
                (_SCALE // len(langs)) << (_LANE_BITS * LATIN_LANGUAGES.index(lang)) for lang in langs
            )
    for code in range(97, 123):
        letter = bytes([code])
        packed[letter] = packed.get(letter, 0) + (1 << (_LANE_BITS * len(LATIN_LANGUAGES)))
    return packed


def _quick_latin_language(lower: str) -> str | None:
    """`_full_latin_language`'s answer for a lowercased text without non-ASCII letters when it
    is "und" (too few words) or "en" (English stop words lead outright); None otherwise.

    Exact: whole-number scores differ by at least 1 where the float ones differ by at least
    1/_SCALE, far more than their rounding error, so a strict lead here is one there too.
    """
    if lower.isascii():
        data = lower.encode("ascii")
    elif _NON_ASCII_LETTER.search(lower) is None:  # only emoji, symbols and such: word breaks
        data = lower.encode("ascii", "replace")  # each becomes "?", a word break like them
    else:
        return None
    words = data.translate(_BYTES_ASCII_LETTER_RUNS).split()
    if len(words) > _MAX_PACKED_WORDS:
        return None
    packed = sum(filter(None, map(_packed_weights().get, words)))
    *scores, one_letter = _LANES.unpack(packed.to_bytes(_LANES.size, "little"))
    if len(words) - one_letter < _MIN_WORDS:
        return UNDETERMINED
    if scores[0] > max(scores[1:]):  # English is LATIN_LANGUAGES[0]
        return "en"
    return None


def _latin_language(sample: str) -> str:
    lower = sample.lower()
    return _quick_latin_language(lower) or _full_latin_language(sample)


def _full_latin_language(sample: str) -> str:
    """The language of a Latin-script sample by stop words, spellings and English coverage."""
    lower = sample.lower()
    ascii_only = lower.isascii()
    words = Counter(lower.translate(_BLANK_ASCII_NON_LETTERS).split() if ascii_only else _WORD.findall(lower))
    n_words = sum(n for word, n in words.items() if len(word) > 1)
    if n_words < _MIN_WORDS:
        return UNDETERMINED
    if not ascii_only and len(_VIETNAMESE.findall(lower)) * 8 >= n_words:
        return "vi"
    scores = latin_scores(words)
    if scores["en"] > 0 and max(scores.values()) == scores["en"]:
        return "en"  # English stop words lead: the common case, decided without the vocabulary
    _add_spellings(scores, lower)
    best = max(LATIN_LANGUAGES, key=lambda lang: scores[lang])  # ties go to the earlier, English first
    coverage = english_coverage(words)
    if scores[best] == 0:  # no stop word or spelling of any language: English words, or nothing known
        return "en" if coverage >= 0.5 else UNDETERMINED
    if best == "en" or coverage >= _ENGLISH_COVERAGE:
        return "en"  # foreign stop words are incidental here (names, loanwords)
    if scores[best] >= _MIN_SCORE and scores[best] >= _MARGIN * scores["en"]:
        return best
    if coverage < _FOREIGN_COVERAGE and n_words >= _MIN_FOREIGN_WORDS:
        return best  # mostly not English words, and some of a foreign language's stop words
    return "en" if scores["en"] > 0 or coverage >= 0.5 else UNDETERMINED
