"""spaCy language processing: tokens, lookup lemmas, negation scope and sentences.

Only rule-based spaCy components are used (a blank pipeline plus the lookup lemmatizer from
spacy-lookups-data), so nothing is downloaded at run time. The spaCy `nlp` object is never
pickled: a `TextProcessor` pickles its settings and rebuilds the pipeline on first use.
`detect_language` tells which language a text is in (Unicode scripts, then spaCy's own
stop-word lists; see `touchtext._langid`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import spacy
from spacy.attrs import IDX, LENGTH, ORTH
from spacy.language import Language
from spacy.lookups import load_lookups
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc, Span

from ._langid import detect_language
from ._span_tokens import SpanTokenizer
from .errors import ModelError

__all__ = ["MODEL_LANGUAGES", "LanguageSettings", "Sentence", "SentenceTokens", "TextProcessor", "detect_language"]

# Negation cues (a cue marks the next `negation_window` words `not_`) and the words that end a
# negation scope (a contrast or a new clause starts a new thought), per language a model can be
# trained in. English lists apostrophe-less spellings too ("dont"), as customers type them.
_NEGATION: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "en": (
        frozenset({
            "not", "no", "never", "n't", "without", "nobody", "nothing", "nowhere", "neither", "nor", "hardly",
            "barely", "cannot", "cant", "dont", "didnt", "doesnt", "wasnt", "werent", "isnt", "wont", "couldnt",
            "wouldnt", "havent", "hasnt", "aint",
        }),
        frozenset({"but", "however", "though", "although", "yet", "except", "and", "so"}),
    ),
    "de": (
        frozenset({
            "nicht", "nichts", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "niemand",
            "nirgends", "nirgendwo", "ohne", "weder", "kaum", "nix", "keinerlei",
        }),
        frozenset({"aber", "jedoch", "doch", "sondern", "obwohl", "trotzdem", "außer", "und", "also"}),
    ),
    "fr": (
        # "pas" is also a noun ("à deux pas de la gare"), but informal French drops the "ne".
        frozenset({"ne", "n'", "n’", "pas", "jamais", "rien", "aucun", "aucune", "sans", "ni", "guère"}),
        frozenset({"mais", "cependant", "pourtant", "toutefois", "sauf", "et", "donc"}),
    ),
    "es": (
        frozenset({"no", "nunca", "jamás", "sin", "nada", "nadie", "ningún", "ninguna", "ninguno", "ni", "tampoco"}),
        frozenset({"pero", "sino", "aunque", "embargo", "excepto", "salvo", "y", "así"}),  # "sin embargo": "however"
    ),
    "it": (
        frozenset({
            "non", "mai", "senza", "niente", "nulla", "nessuno", "nessuna", "nessun", "né", "neanche", "nemmeno",
            "neppure", "mica",
        }),
        frozenset({"ma", "però", "tuttavia", "eppure", "sebbene", "tranne", "e", "quindi"}),
    ),
    "nl": (
        frozenset({"niet", "geen", "nooit", "zonder", "niets", "niks", "niemand", "nergens", "noch", "nauwelijks"}),
        frozenset({"maar", "echter", "toch", "hoewel", "behalve", "en", "dus"}),
    ),
    "pt": (
        frozenset({"não", "nao", "nunca", "jamais", "sem", "nada", "ninguém", "ninguem", "nenhum", "nenhuma", "nem"}),
        frozenset({"mas", "porém", "contudo", "embora", "exceto", "e", "então"}),
    ),
}  # fmt: skip
# Languages a model can be trained in: spaCy has a blank pipeline for each, spacy-lookups-data a
# lemma table, touchtext's language detection tells them apart, and `_NEGATION` has their cues.
MODEL_LANGUAGES: tuple[str, ...] = tuple(_NEGATION)
_KEEP_PUNCT = frozenset({"!", "?"})  # they carry tone
_SENTENCE_FINAL = frozenset(Sentencizer.default_punct_chars)
_NUMBER = re.compile(r"^[\d.,:/$€£%#-]*\d[\d.,:/$€£%#-]*$")


def _negation_rules(lang: str) -> tuple[frozenset[str], frozenset[str]]:
    """`_NEGATION` of a language; other languages are refused (also in settings unpickled from a
    model file, which skip `LanguageSettings`'s check)."""
    try:
        return _NEGATION[lang]
    except KeyError:
        raise ModelError(
            f"touchtext cannot build a model for language {lang!r}; it supports "
            f"{', '.join(MODEL_LANGUAGES)} (ISO 639-1 codes). Translate the texts to one of them first."
        ) from None


@dataclass(frozen=True)
class LanguageSettings:
    """How text is turned into tokens; stored with a model so it is rebuilt identically."""

    lang: str = "en"
    negation_window: int = 3

    def __post_init__(self) -> None:
        _negation_rules(self.lang)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text with its character offsets into that text."""

    text: str
    start: int
    end: int


class SentenceTokens(NamedTuple):
    """The sentences of one text and their tokens, as flat lists (few objects for many texts)."""

    tokens: list[str]  # every sentence's tokens, sentence after sentence
    sizes: list[int]  # how many tokens each sentence has
    spans: list[int]  # each sentence's start and end offsets: [start, end, start, end, ...]

    def sentence(self, text: str, i: int) -> Sentence:
        """Sentence `i` of `text`, the text these tokens were made from."""
        start, end = self.spans[2 * i], self.spans[2 * i + 1]
        return Sentence(text[start:end], start, end)


def build_pipeline(settings: LanguageSettings) -> Language:
    """Build the blank spaCy pipeline: the rule-based tokenizer of `settings.lang`.

    Sentence boundaries (spaCy's sentencizer rule plus a break at every line end) and lemmas
    (the spacy-lookups-data lookup table) are applied by `TextProcessor` in one pass over token
    attribute arrays, once per distinct word, rather than by components that visit every token.
    """
    nlp = spacy.blank(settings.lang)
    nlp.initialize()
    return nlp


def _lemma_table(lang: str) -> Any:
    """The lookup lemma table of spacy-lookups-data for `lang` (a dict-like of lower -> lemma)."""
    return load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup")


# What a word contributes to the token string (see TextProcessor.tokens), cached per word form.
_KEEP_AND_RESET, _RESET, _NEGATE, _WORD = range(4)
# Cleared when it holds this many word forms, so exports with many rare words keep workers bounded.
_MAX_CACHED_FORMS = 100_000


class TextProcessor:
    """Turns raw texts into normalized, negation-marked lemma strings and sentences.

    Example:
        >>> TextProcessor().lemma_string("The rooms weren't cleaned")
        'the room be not_clean'
    """

    def __init__(self, settings: LanguageSettings | None = None) -> None:
        self.settings = settings or LanguageSettings()
        # The language's negation cues and the words that end their scope (see `_NEGATION`).
        self.negation_cues, self.scope_breakers = _negation_rules(self.settings.lang)
        self._nlp: Language | None = None
        self._lemma_table: Any = None
        self._span_tokenizer: SpanTokenizer | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])  # type: ignore[misc]

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline, built on first use."""
        if self._nlp is None:
            self._nlp = build_pipeline(self.settings)
            self._lemma_table = _lemma_table(self.settings.lang)
            self._forms: dict[int, tuple[int, bool, bool, int, str]] = {}
        return self._nlp

    def docs(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[Doc]:
        """Run the pipeline over texts (None and non-strings count as empty)."""
        clean = (t if isinstance(t, str) else "" for t in texts)
        return self.nlp.pipe(clean, batch_size=batch_size)

    def _lemma(self, lower: str) -> str:
        lemma = self._lemma_table.get(lower, lower)
        # Some tables (French) list a word's lemmas; the first is its usual reading.
        return lemma if isinstance(lemma, str) else str(lemma[0])

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
            if lower in self.scope_breakers:
                scope = 0
                out.append(lower)
                continue
            if lower in self.negation_cues:
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

    def _describe(self, orth_hash: int, vocab: Any) -> tuple[int, bool, bool, int, str]:
        """What one word form does in `segment`, cached per form: (boundary, is_space,
        is_punct, kind, value). Boundary is 1 for a sentence-final mark, 2 for whitespace holding a line
        break, else 0; kind and value say how the word enters the token string (as `tokens`)."""
        lexeme = vocab[orth_hash]
        orth, lower = lexeme.orth_, lexeme.lower_
        boundary = 1 if orth in _SENTENCE_FINAL else 2 if "\n" in orth else 0
        if lexeme.is_punct:
            kind, value = (_KEEP_AND_RESET, lower) if lower in _KEEP_PUNCT else (_RESET, "")
        elif lower in self.scope_breakers:
            kind, value = _KEEP_AND_RESET, lower
        elif lower in self.negation_cues:
            kind, value = _NEGATE, "not"
        else:
            kind, value = _WORD, "<num>" if _NUMBER.match(lower) else self._lemma(lower)
        found = (boundary, lexeme.is_space, lexeme.is_punct, kind, value)
        if len(self._forms) >= _MAX_CACHED_FORMS:
            self._forms.clear()
        self._forms[orth_hash] = found
        return found

    def sentence_tokens(self, doc: Doc, text: str | None = None) -> list[tuple[Sentence, list[str]]]:
        """Non-empty sentences (offsets into the doc's text, whitespace trimmed) with their
        tokens, as `tokens` makes them (negation scope ends with the sentence); see `segment`.
        Pass the doc's `text` when at hand (spaCy rebuilds `doc.text` token by token)."""
        flat = self.segment(doc)
        if text is None:
            text = doc.text
        out, end = [], 0
        for i, size in enumerate(flat.sizes):
            out.append((flat.sentence(text, i), flat.tokens[end : end + size]))
            end += size
        return out

    def segment(self, doc: Doc) -> SentenceTokens:
        """Non-empty sentences of a doc (whitespace trimmed) and their tokens, as `tokens` makes
        them (negation scope ends with the sentence), in flat lists.

        Sentences follow spaCy's sentencizer rule (a sentence starts at the first token that is
        not punctuation after a sentence-final mark) and also start after every line break.
        One pass over token attribute arrays with one cached lookup per word form: no spaCy
        Token objects are created.
        """
        tokens: list[str] = []
        sizes: list[int] = []
        spans: list[int] = []
        if not len(doc):
            return SentenceTokens(tokens, sizes, spans)
        self.nlp  # noqa: B018 - ensure the lemma table is loaded
        vocab, window, forms = doc.vocab, self.settings.negation_window, self._forms
        append = tokens.append
        start = end = -1
        first = scope = 0  # first: index in `tokens` of the open sentence's first token
        seen_final = line_break = False
        for orth_hash, idx, length in zip(*doc.to_array([ORTH, IDX, LENGTH]).T.tolist(), strict=True):
            found = forms.get(orth_hash)
            boundary, is_space, is_punct, kind, value = found or self._describe(orth_hash, vocab)
            if start >= 0 and (line_break or (seen_final and not is_punct and boundary != 1)):
                spans += (start, end)
                sizes.append(len(tokens) - first)
                first, start, scope = len(tokens), -1, 0
                seen_final = False
            line_break = boundary == 2
            if boundary == 1:
                seen_final = True
            if is_space:
                continue
            if start < 0:
                start = idx
            end = idx + length
            if kind == _WORD:
                if scope > 0:
                    append("not_" + value)
                    scope -= 1
                else:
                    append(value)
            elif kind == _NEGATE:
                append(value)
                scope = window
            else:
                scope = 0
                if value:
                    append(value)
        if start >= 0:
            spans += (start, end)
            sizes.append(len(tokens) - first)
        return SentenceTokens(tokens, sizes, spans)

    def segment_docs(self, docs: Iterable[Doc]) -> tuple[SentenceTokens, list[int]]:
        """`segment` of many docs at once: all their sentences in one `SentenceTokens` (spans
        are offsets into each doc's own text), and how many sentences each doc has."""
        self.nlp  # noqa: B018 - ensure the lemma table is loaded
        arrays = [doc.to_array([ORTH, IDX, LENGTH]).reshape(-1, 3) for doc in docs]
        lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
        table = np.concatenate(arrays).astype(np.int64) if arrays else np.zeros((0, 3), dtype=np.int64)
        return self._segment_table(table, lengths)

    def segment_texts(self, texts: Sequence[str]) -> tuple[SentenceTokens, list[int]]:
        """`segment_docs` of the docs of `texts` (non-strings count as empty), without building
        a spaCy `Doc` per text: spaCy tokenizes each distinct whitespace-delimited span once."""
        if self._span_tokenizer is None:  # every language with a lookup lemma table has spaCy's rule tokenizer
            self._span_tokenizer = SpanTokenizer(self.nlp.tokenizer)  # type: ignore[arg-type]
        return self._segment_table(*self._span_tokenizer.table(texts))

    def _segment_table(self, table: np.ndarray, lengths: np.ndarray) -> tuple[SentenceTokens, list[int]]:
        """`segment_docs` from the docs' (ORTH, IDX, LENGTH) token rows and token counts.

        The same rule as `segment`, computed with array operations over all tokens of all docs:
        one cached lookup per distinct word form, and a Python step only per possible sentence
        break (a token after a line break or after a sentence-final mark), not per token.
        """
        vocab = self.nlp.vocab
        n_docs = len(lengths)
        n = int(lengths.sum())
        if not n:
            return SentenceTokens([], [], []), [0] * n_docs
        codes, hashes = pd.factorize(table[:, 0])  # orth hashes wrap around in int64: only compared
        forms, describe = self._forms, self._describe
        boundary_f, space_f, punct_f, kind_f, value_f = zip(
            *[forms.get(h) or describe(h, vocab) for h in hashes.astype(np.uint64).tolist()], strict=True
        )
        boundary = np.asarray(boundary_f, dtype=np.int8)[codes]
        space = np.asarray(space_f, dtype=bool)[codes]
        kind = np.asarray(kind_f, dtype=np.int8)[codes]
        final = boundary == 1
        line_break = np.concatenate([[False], boundary[:-1] == 2])  # the previous token holds a line break
        doc_of = np.repeat(np.arange(n_docs), lengths)
        doc_first = (np.cumsum(lengths) - lengths)[doc_of]  # first token of each token's doc
        starts = np.zeros(n, dtype=bool)  # tokens that start a segment (a sentence unless all space)
        starts[doc_first] = True

        # Possible breaks: after a line break, or the first token after a sentence-final mark that
        # is neither punctuation nor sentence-final (`opens`). A break happens there if, since the
        # last break, a non-space token came (the sentence is open) or, for the second kind, a
        # sentence-final mark did.
        opens = ~np.asarray(punct_f, dtype=bool)[codes] & ~final
        opener = np.flatnonzero(opens)
        following = np.searchsorted(opener, np.flatnonzero(final), side="right")
        candidates = np.union1d(np.flatnonzero(line_break), opener[following[following < len(opener)]])
        candidates = candidates[~starts[candidates]]
        if len(candidates):
            # Per candidate (and per its doc's first token): non-space tokens and sentence-final
            # marks before it, so "since the last break" is one subtraction.
            visible_before = np.cumsum(~space) - ~space
            finals_before = np.cumsum(final) - final
            firsts = doc_first[candidates]
            breaks, last, last_visible, last_finals = [], -1, 0, 0
            for t, line, opening, visible, finals, first, first_visible, first_finals in zip(
                candidates.tolist(), line_break[candidates].tolist(), opens[candidates].tolist(),
                visible_before[candidates].tolist(), finals_before[candidates].tolist(), firsts.tolist(),
                visible_before[firsts].tolist(), finals_before[firsts].tolist(), strict=True,
            ):  # fmt: skip
                if last < first:  # the first candidate of a doc: "since the doc's first token"
                    last, last_visible, last_finals = first, first_visible, first_finals
                if (line and visible > last_visible) or (opening and finals > last_finals):
                    breaks.append(t)
                    last, last_visible, last_finals = t, visible, finals
            starts[breaks] = True
        segment_of = np.cumsum(starts) - 1

        # Negation scope: a word is negated when the last scope event before it (a cue; a scope
        # breaker or punctuation; a segment start) is a cue fewer than `negation_window` words back.
        word = (kind == _WORD) & ~space
        cue = (kind == _NEGATE) & ~space
        event = cue | starts | (((kind == _RESET) | (kind == _KEEP_AND_RESET)) & ~space)
        last_event = np.maximum.accumulate(np.where(event, np.arange(n), -1))
        words_so_far = np.cumsum(word)
        within = words_so_far - 1 - words_so_far[last_event] < self.settings.negation_window
        negated = word & cue[last_event] & within
        emits = np.array([bool(v) or k in (_WORD, _NEGATE) for v, k in zip(value_f, kind_f, strict=True)])
        emitted = np.flatnonzero(emits[codes] & ~space)
        strings = np.array([*value_f, *("not_" + v for v in value_f)], dtype=object)
        tokens = strings[codes[emitted] + len(value_f) * negated[emitted]].tolist()

        # Sentences: the segments holding a non-space token, from the first to the last of them.
        visible = np.flatnonzero(~space)
        visible_segment = segment_of[visible]
        kept = np.unique(visible_segment)
        first = visible[np.searchsorted(visible_segment, kept, side="left")]
        last_token = visible[np.searchsorted(visible_segment, kept, side="right") - 1]
        spans = np.empty(2 * len(kept), dtype=np.int64)
        spans[0::2] = table[first, 1]
        spans[1::2] = table[last_token, 1] + table[last_token, 2]
        sizes = np.bincount(segment_of[emitted], minlength=len(starts))[kept]
        per_doc = np.bincount(doc_of[first], minlength=n_docs)
        return SentenceTokens(tokens, sizes.tolist(), spans.tolist()), per_doc.tolist()

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
            if len(lemma) > 1 and lemma.isalpha() and lemma not in self.negation_cues:
                out.append(lemma)
        return out

    def sentences(self, doc: Doc) -> list[Sentence]:
        """Non-empty sentences with offsets into the doc's text (whitespace trimmed)."""
        return [sentence for sentence, _ in self.sentence_tokens(doc)]
