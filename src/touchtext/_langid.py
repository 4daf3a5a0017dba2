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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from spacy.lookups import load_lookups

__all__ = ["LANGUAGE_NAMES", "LATIN_LANGUAGES", "UNDETERMINED", "detect_language", "detect_languages", "leans_to"]

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
_TAG_OR_LINK = re.compile(r"\[[A-Z_]{2,}\]|https?://\S+|www\.\S+")
_PLACEHOLDER = re.compile(_TAG_OR_LINK.pattern + r"|[^\s@]+@\S+")
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
    sample, language = _script_language(text)
    return language if language is not None else _latin_language(sample)


def detect_languages(texts: Iterable[object]) -> list[str]:
    """`detect_language` of each text. For a chunk of texts this is faster: the Latin-script
    texts' words are split and scored all at once (`_quick_latin_languages`).

    Example:
        >>> detect_languages(["The room was clean but the staff were rude", "", "東京のホテル"])
        ['en', 'und', 'ja']
    """
    samples_and_languages = list(map(_script_language, texts))
    detected = [language for _, language in samples_and_languages]
    latin = [i for i, language in enumerate(detected) if language is None]
    quick = _quick_latin_languages([samples_and_languages[i][0] for i in latin])
    for i, verdict in zip(latin, quick, strict=True):
        detected[i] = verdict or _full_latin_language(samples_and_languages[i][0])
    return cast(list[str], detected)  # every None was just replaced


def leans_to(text: object, language: str) -> bool:
    """True when a text's stop words and spellings point to `language` (a Latin-script one) at
    least as much as to any other, with some weight. A model's language takes such texts even
    where `detect_language` says English: a short German text shares most of its words with
    English ("Die Pizza war nicht warm")."""
    if not isinstance(text, str):
        return False
    lower = text[:_SAMPLE_CHARS].lower()
    scores = latin_scores(Counter(_WORD.findall(lower)))
    _add_spellings(scores, lower)
    return scores[language] >= _MIN_SCORE and scores[language] >= max(scores.values())


def _script_language(text: object) -> tuple[str, str | None]:
    """The sample of a text that decides its language (placeholders blanked), and that language
    when its script decides it; None for Latin-script text, which its words decide."""
    if not isinstance(text, str):
        return "", UNDETERMINED
    sample = text[:_SAMPLE_CHARS]
    if "@" in sample:
        sample = _PLACEHOLDER.sub(" ", sample)
    elif "[" in sample or "http" in sample or "www." in sample:
        # The same replacements: without an "@" the e-mail branch cannot match, and it is the
        # slow one (it tries at every character).
        sample = _TAG_OR_LINK.sub(" ", sample)
    if sample.isascii():  # the common case: no script to weigh
        return sample, (None if _ASCII_LETTER.search(sample) else UNDETERMINED)
    if _ascii_letters_outweigh_the_rest(sample):  # the next most common: "£", "€", an emoji
        return sample, None
    script, counts = _dominant_script(sample)
    if script is None:
        return sample, UNDETERMINED
    if script == _UNCODED:
        return sample, _UNCODED
    if script in ("han", "kana"):
        kana, han = counts.get("kana", 0), counts.get("han", 0)
        return sample, "ja" if kana * 10 >= han + kana else "zh"
    if script == "cyrillic":
        return sample, "uk" if _UKRAINIAN.search(sample) else "ru"
    if script == "arabic":
        return sample, "fa" if _PERSIAN.search(sample) else "ar"
    if script != "latin":
        return sample, _SCRIPT_LANGUAGE[script]
    return sample, None


# The common case without floats: each ASCII stop word's weight 1/k times the least common
# multiple of 1..16 is a whole number, packed with the other languages' into 32-bit lanes of
# one int (a last lane counts one-letter words), so a text's evidence is one sum of ints.
_SCALE = math.lcm(*range(1, len(LATIN_LANGUAGES) + 1))
_LANE_BITS = 32
_LANES = struct.Struct(f"<{len(LATIN_LANGUAGES) + 1}I")
_MAX_PACKED_WORDS = (2**_LANE_BITS - 1) // _SCALE  # more words could overflow a lane
# a-z kept, A-Z lowercased (all `str.lower` does to ASCII), all else blank
_BYTES_ASCII_LETTER_RUNS = bytes(c if 97 <= c <= 122 else c + 32 if 65 <= c <= 90 else 32 for c in range(256))
_NON_ASCII_LETTER = re.compile(r"[^\W\d_\x00-\x7f]")  # a character `_WORD` matches, outside ASCII
_BATCH_TEXTS = 1024  # texts scored at once: their words' packed weights take about 3 MB


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


@functools.cache
def _packed_weight_table() -> tuple[pa.Array, np.ndarray]:
    """`_packed_weights` for scoring many texts at once: its words, and their packed ints as
    rows of 64-bit words (little-endian, as `_LANES` reads them), plus a last row of zeros for
    words not in it."""
    packed = _packed_weights()
    row_bytes = -(-_LANES.size // 8) * 8
    rows = b"".join(value.to_bytes(row_bytes, "little") for value in packed.values()) + bytes(row_bytes)
    return pa.array(list(packed), pa.binary()), np.frombuffer(rows, dtype="<u8").reshape(-1, row_bytes // 8)


def _ascii_words(sample: str) -> bytes | None:
    """`sample` as bytes whose runs of letters are the `_WORD` words of `sample.lower()` once
    A-Z are lowercased, or None if that has non-ASCII letters (those need `_WORD` itself)."""
    if sample.isascii():
        return sample.encode("ascii")
    if _NON_ASCII_LETTER.search(sample) is None:
        # Only emoji, symbols and such beyond ASCII: each becomes "?", a word break like itself.
        # Skipping `lower` is exact: none of them lowercases to ASCII or to a letter (the tests
        # check all of Unicode), and `_BYTES_ASCII_LETTER_RUNS` lowercases A-Z.
        return sample.encode("ascii", "replace")
    lower = sample.lower()  # a letter may lowercase to ASCII: the Kelvin sign to "k"
    if lower.isascii():
        return lower.encode("ascii")
    if _NON_ASCII_LETTER.search(lower) is None:
        return lower.encode("ascii", "replace")
    return None


def _quick_verdict(long_words: int, english: int, foreign: int) -> str | None:
    """ "und" or "en" from a text's number of words of two letters or more and its whole-number
    scores (`_packed_weights`): English's and the best other language's; None if undecided.

    Exact: whole-number scores differ by at least 1 where the float ones differ by at least
    1/_SCALE, far more than their rounding error, so a strict lead here is one there too.
    """
    if long_words < _MIN_WORDS:
        return UNDETERMINED
    if english > foreign:
        return "en"
    return None


def _quick_latin_language(sample: str) -> str | None:
    """`_full_latin_language`'s answer for a text without non-ASCII letters when it is "und"
    (too few words) or "en" (English stop words lead outright); None otherwise."""
    data = _ascii_words(sample)
    if data is None:
        return None
    words = data.translate(_BYTES_ASCII_LETTER_RUNS).split()
    if len(words) > _MAX_PACKED_WORDS:
        return None
    packed = sum(filter(None, map(_packed_weights().get, words)))
    english, *foreign, one_letter = _LANES.unpack(packed.to_bytes(_LANES.size, "little"))
    return _quick_verdict(len(words) - one_letter, english, max(foreign))


def _quick_latin_languages(samples: Sequence[str]) -> list[str | None]:
    """`_quick_latin_language` of each sample, scored in batches of `_BATCH_TEXTS`: one word
    split and one table look-up for the whole batch.

    Exact: each text's packed ints are summed in 64-bit pieces, which are the pieces of the
    whole sum as long as no 32-bit lane overflows into the next piece, and a sample of
    `_SAMPLE_CHARS` has too few words to overflow one (see `_MAX_PACKED_WORDS`).
    """
    verdicts: list[str | None] = []
    for begin in range(0, len(samples), _BATCH_TEXTS):
        verdicts += _quick_latin_batch(samples[begin : begin + _BATCH_TEXTS])
    return verdicts


def _quick_latin_batch(samples: Sequence[str]) -> list[str | None]:
    """`_quick_latin_language` of each sample: their words found with numpy, looked up in
    `_packed_weight_table` with one Arrow hash look-up, and summed text by text."""
    datas = [_ascii_words(sample) for sample in samples]
    scored = [data for data in datas if data is not None]
    if not scored:
        return [None] * len(datas)
    # The texts joined by a space (a word break); their letter runs are the words `split` finds.
    letters = np.frombuffer(b" ".join(scored).translate(_BYTES_ASCII_LETTER_RUNS), dtype=np.uint8)
    edges = np.flatnonzero(np.diff(letters != 32, prepend=False, append=False))
    starts, ends = edges[0::2], edges[1::2]
    lengths = np.fromiter(map(len, scored), dtype=np.int64, count=len(scored))
    first_words = np.searchsorted(starts, np.concatenate(([0], np.cumsum(lengths + 1))))
    # The words and the gaps between them as one Arrow array (words at odd positions, no
    # copy of the bytes), so that a single hash look-up finds each word's row in the table.
    bounds = np.empty(2 * len(starts) + 1, dtype=np.int32)
    bounds[0], bounds[1::2], bounds[2::2] = 0, starts, ends
    pieces = pa.BinaryArray.from_buffers(
        pa.binary(), len(bounds) - 1, [None, pa.py_buffer(bounds), pa.py_buffer(letters)]
    )
    table_words, packed = _packed_weight_table()
    looked_up = pc.index_in(pieces, value_set=table_words)  # null where not in the table
    validity, indices = looked_up.buffers()
    span = slice(looked_up.offset + 1, looked_up.offset + len(looked_up), 2)  # the words
    rows = np.frombuffer(indices, dtype=np.int32)[span]
    found = (
        np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")[span] == 1
        if validity is not None
        else np.ones(len(rows), dtype=bool)
    )
    # Only the words in the table add anything: sum theirs, text by text. The table's zero row,
    # appended, lets reduceat start at it for trailing texts without such words; any text
    # without them (equal start indices: reduceat then takes the row it points at) is zeroed.
    first_found = np.concatenate(([0], np.cumsum(found)))[first_words]
    word_rows = packed.take(np.append(rows[found], len(packed) - 1), axis=0)
    sums = np.add.reduceat(word_rows, first_found[:-1], axis=0)
    sums[first_found[:-1] == first_found[1:]] = 0
    lanes = sums.view("<u4")  # English's lane first, the one-letter count last
    one_letter = _LANES.size // 4 - 1
    long_words = np.diff(first_words) - lanes[:, one_letter]
    foreign = lanes[:, 1:one_letter].max(axis=1)
    verdicts = map(_quick_verdict, long_words.tolist(), lanes[:, 0].tolist(), foreign.tolist())
    if len(scored) == len(datas):
        return list(verdicts)
    return [None if data is None else next(verdicts) for data in datas]


def _latin_language(sample: str) -> str:
    return _quick_latin_language(sample) or _full_latin_language(sample)


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
