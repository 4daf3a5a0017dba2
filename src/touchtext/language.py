"""spaCy language processing: tokens, lookup lemmas, negation scope and sentences.

Only rule-based spaCy components are used (a blank pipeline plus the lookup lemmatizer from
spacy-lookups-data), so nothing is downloaded at run time. The spaCy `nlp` object is never
pickled: a `TextProcessor` pickles its settings and rebuilds the pipeline on first use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

__all__ = ["LanguageSettings", "Sentence", "TextProcessor"]

_NEGATION_CUES = frozenset(
    {
        "not",
        "no",
        "never",
        "n't",
        "without",
        "nobody",
        "nothing",
        "nowhere",
        "neither",
        "nor",
        "hardly",
        "barely",
        "cannot",
        "cant",
        "dont",
        "didnt",
        "doesnt",
        "wasnt",
        "werent",
        "isnt",
        "wont",
        "couldnt",
        "wouldnt",
        "havent",
        "hasnt",
        "aint",
    }
)
# Words that end a negation scope: a contrast starts a new thought.
_SCOPE_BREAKERS = frozenset({"but", "however", "though", "although", "yet", "except", "and", "so"})
_KEEP_PUNCT = frozenset({"!", "?"})  # they carry tone
_NUMBER = re.compile(r"^[\d.,:/$€£%#-]*\d[\d.,:/$€£%#-]*$")


@dataclass(frozen=True)
class LanguageSettings:
    """How text is turned into tokens; stored with a model so it is rebuilt identically."""

    lang: str = "en"
    negation_window: int = 3


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text with its character offsets into that text."""

    text: str
    start: int
    end: int


@Language.component("touchtext_line_breaks")
def _line_breaks(doc: Doc) -> Doc:
    """Start a new sentence after every line break (transcript turns, email lines)."""
    for i, token in enumerate(doc[:-1]):
        if token.is_space and "\n" in token.text:
            doc[i + 1].is_sent_start = True
    return doc


def build_pipeline(settings: LanguageSettings) -> Language:
    """Build the blank spaCy pipeline: tokenizer, lookup lemmatizer, sentence boundaries."""
    nlp = spacy.blank(settings.lang)
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("touchtext_line_breaks")
    nlp.initialize()
    return nlp


class TextProcessor:
    """Turns raw texts into normalized, negation-marked lemma strings and sentences.

    Example:
        >>> TextProcessor().lemma_string("The rooms weren't cleaned")
        'the room be not_clean'
    """

    def __init__(self, settings: LanguageSettings | None = None) -> None:
        self.settings = settings or LanguageSettings()
        self._nlp: Language | None = None
        self._lemma_table: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])  # type: ignore[misc]

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline, built on first use."""
        if self._nlp is None:
            self._nlp = build_pipeline(self.settings)
            lemmatizer: Any = self._nlp.get_pipe("lemmatizer")
            self._lemma_table = lemmatizer.lookups.get_table("lemma_lookup")
        return self._nlp

    def docs(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[Doc]:
        """Run the pipeline over texts (None and non-strings count as empty)."""
        clean = (t if isinstance(t, str) else "" for t in texts)
        return self.nlp.pipe(clean, batch_size=batch_size)

    def _lemma(self, lower: str) -> str:
        return self._lemma_table.get(lower, lower)  # type: ignore[no-any-return]

    def tokens(self, doc: Doc | Span) -> list[str]:
        """Lowercased lemmas with numbers folded to `<num>` and negated words marked `not_`."""
        out: list[str] = []
        scope = 0
        for token in doc:
            if token.is_space:
                continue
            lower = token.lower_
            if token.is_punct:
                scope = 0
                if lower in _KEEP_PUNCT:
                    out.append(lower)
                continue
            if lower in _SCOPE_BREAKERS:
                scope = 0
                out.append(lower)
                continue
            if lower in _NEGATION_CUES:
                out.append("not")
                scope = self.settings.negation_window
                continue
            lemma = "<num>" if _NUMBER.match(lower) else self._lemma(lower)
            if scope > 0:
                out.append("not_" + lemma)
                scope -= 1
            else:
                out.append(lemma)
        return out

    def lemma_string(self, text: str) -> str:
        """The normalized token string of one text (what the word features see)."""
        self.nlp  # noqa: B018 - ensure the lemma table is loaded
        return " ".join(self.tokens(next(iter(self.docs([text])))))

    def lemma_strings(self, texts: Iterable[str]) -> list[str]:
        """Normalized token strings for many texts, batched through spaCy."""
        return [" ".join(self.tokens(doc)) for doc in self.docs(texts)]

    def sentence_tokens(self, doc: Doc) -> list[tuple[Sentence, list[str]]]:
        """Non-empty sentences (offsets into the doc's text, whitespace trimmed) with their tokens."""
        text = doc.text
        out: list[tuple[Sentence, list[str]]] = []
        for sent in doc.sents:
            start, end = sent.start_char, sent.end_char
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                out.append((Sentence(text[start:end], start, end), self.tokens(sent)))
        return out

    def content_lemmas(self, doc: Doc | Span) -> list[str]:
        """Lowercased lemmas of content words: no stop words, punctuation, numbers, URLs or
        `[EMAIL]`-style placeholders. What phrase extraction counts."""
        self.nlp  # noqa: B018 - ensure the lemma table is loaded
        out: list[str] = []
        tokens = list(doc)
        for i, token in enumerate(tokens):
            if token.is_space or token.is_punct or token.like_num or token.like_url or token.is_stop:
                continue
            if (
                token.text.isupper()
                and 0 < i < len(tokens) - 1
                and tokens[i - 1].text == "["
                and tokens[i + 1].text == "]"
            ):
                continue  # a redaction placeholder such as [PHONE]
            lemma = self._lemma(token.lower_)
            if len(lemma) > 1 and lemma.isalpha() and lemma not in _NEGATION_CUES:
                out.append(lemma)
        return out

    def sentences(self, doc: Doc) -> list[Sentence]:
        """Non-empty sentences with offsets into the doc's text (whitespace trimmed)."""
        return [sentence for sentence, _ in self.sentence_tokens(doc)]
