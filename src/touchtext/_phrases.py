"""Fast lemma 1-2-grams of evidence sentences, for the phrase tables of summaries.

`TextProcessor.content_lemmas` runs the spaCy tokenizer over every text; summaries count
phrases over millions of sentences, so this module tokenizes with one compiled regex and
decides each distinct word form once (stop word, number, lemma), with the same stop-word
list, number rule and lemma lookup table as `TextProcessor`. Word forms the tokenizer
treats specially (contractions such as "don't", special cases such as "gonna" or "5pm", and
forms with dots such as "booking.com") are handed to spaCy itself, once per form, so the
lemmas agree with `content_lemmas` except where spaCy would split or join text across what
the regex sees as word boundaries (e.g. "great!Staff", "B&B").
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from typing import Any

from spacy.attrs import IS_STOP, LIKE_NUM

from .language import LanguageSettings, TextProcessor

# A `[PHONE]`-style redaction placeholder, a URL, or a word: letters, digits and underscores,
# possibly joined by apostrophes or dots ("don't", "hotel's", "booking.com") or by a hyphen
# before a digit ("SG-10442", which spaCy keeps whole), with a final dot ("Feb.", "closed.").
_TOKEN = re.compile(r"\[\w+\]|(?:https?://|www\.)\S+|\w+(?:[.'’‘]\w+|-(?=\d)\w+)*\.?")
_MAX_CACHED_FORMS = 100_000  # the word-form cache (~21 MB when full) is cleared when it holds this many forms


class _FormCache(dict[str, str]):
    """Word form -> its content lemmas joined by spaces ("" for none), computed on first sight."""

    def __init__(self, lemmas: PhraseLemmas) -> None:
        super().__init__()
        self._lemmas = lemmas

    def __missing__(self, form: str) -> str:
        if len(self) >= _MAX_CACHED_FORMS:
            self.clear()
        found = self[form] = " ".join(self._lemmas.form_lemmas(form))
        return found


class PhraseLemmas:
    """Content lemmas and lemma 1-2-grams of texts, as `TextProcessor.content_lemmas` makes them.

    Example:
        >>> PhraseLemmas(TextProcessor()).grams("The car park was closed again!")
        ['car', 'park', 'close', 'car park', 'park close']
    """

    def __init__(self, processor: TextProcessor) -> None:
        self.processor = processor
        nlp = processor.nlp  # builds the pipeline and loads the lemma table
        tokenizer: Any = nlp.tokenizer
        getters: dict[int, Callable[[str], bool]] = nlp.vocab.lex_attr_getters  # type: ignore[attr-defined]
        self._special = frozenset(tokenizer.rules or {})  # forms the tokenizer splits its own way
        self._is_stop, self._like_num = getters[IS_STOP], getters[LIKE_NUM]
        self._forms = _FormCache(self)

    def form_lemmas(self, form: str) -> tuple[str, ...]:
        """The content lemmas of one regex token (uncached; `lemmas` caches them per form)."""
        if form[0] == "[":  # a placeholder when upper case, else an ordinary word in brackets
            return () if form[1:-1].isupper() else self.form_lemmas(form[1:-1])
        if form[-1] == "." and len(form) > 1 and form not in self._special:
            # spaCy splits a final dot off after a lower-case letter or digit, or after two capitals
            # ("closed.", "OK."); otherwise it keeps it ("SaaS.", a token that is not a word).
            stem, tail = form[:-1], form[-3:-1]
            split = stem[-1].islower() or stem[-1].isdigit() or (len(tail) == 2 and tail.isalpha() and tail.isupper())
            return self.form_lemmas(stem) if split else ()
        if form.isalpha() and form not in self._special:
            if self._is_stop(form) or self._like_num(form):
                return ()
            lemma = self.processor._lemma(form.lower())
            keep = len(lemma) > 1 and lemma.isalpha() and lemma not in self.processor.negation_cues
            return (lemma,) if keep else ()
        if "://" in form or form.startswith("www.") or not any(c.isalpha() for c in form):
            return ()  # a URL, or a number
        return tuple(self.processor.content_lemmas(self.processor.nlp.make_doc(form)))

    def lemmas(self, text: str) -> list[str]:
        """Lowercased lemmas of the content words of `text` (see `TextProcessor.content_lemmas`)."""
        return " ".join(filter(None, map(self._forms.__getitem__, _TOKEN.findall(text)))).split()

    def grams(self, text: str) -> list[str]:
        """The lemma unigrams of `text` followed by its lemma bigrams (pairs of adjacent content lemmas)."""
        lemmas = self.lemmas(text)
        return lemmas + list(map(" ".join, itertools.pairwise(lemmas)))


@functools.lru_cache(maxsize=4)
def phrase_lemmas(language: str = "en") -> PhraseLemmas:
    """A shared `PhraseLemmas` per language: building the spaCy pipeline and loading the lemma
    table takes seconds, too long to repeat for every chunk of a streamed export."""
    return PhraseLemmas(TextProcessor(LanguageSettings(lang=language)))
