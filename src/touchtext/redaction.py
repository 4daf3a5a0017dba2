"""Personal-data redaction with spaCy's rule-based machinery.

A `touchtext_pii` pipeline component runs a spaCy `Matcher` over tokens and validates each
candidate: card numbers must pass the Luhn check, IBANs the ISO 13616 mod-97 check, phone
numbers need a phone shape or cue and no reference cue ("order", "invoice", "tracking", ...),
URLs are redacted only when they carry tokens or identities, names only after reliable cues.
Found spans are replaced by typed placeholders such as `[EMAIL]`. Order numbers, dates,
prices and flight numbers are deliberately left alone: analysts need them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

from ._alignment import Aligned

__all__ = ["PII_TYPES", "PiiSpan", "RedactionSettings", "Redactor", "iban_valid", "luhn_valid"]

PII_TYPES = ("EMAIL", "PHONE", "CARD", "IBAN", "URL", "ADDRESS", "PERSON")


@dataclass(frozen=True)
class RedactionSettings:
    """What to redact. `allow`: terms never redacted; `deny`: terms always redacted as [PERSON];
    `patterns`: extra (TYPE, regex) pairs redacted as [TYPE]."""

    enabled: bool = True
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    patterns: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class PiiSpan:
    """One piece of personal data found in a text."""

    type: str
    start: int
    end: int
    text: str


# -- validators ----------------------------------------------------------------------------
def luhn_valid(digits: str) -> bool:
    """True if a digit string passes the Luhn checksum used by payment cards."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "AE": 23, "SA": 24, "IL": 23, "BR": 29,
}  # fmt: skip


def iban_valid(candidate: str) -> bool:
    """True if a string (spaces allowed) is an IBAN with the right length and mod-97 check."""
    iban = candidate.replace(" ", "").upper()
    if len(iban) < 15 or not iban[:2].isalpha() or not iban[2:4].isdigit() or not iban.isalnum():
        return False
    expected = _IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


# -- token patterns and cue words ------------------------------------------------------------
_DIGITISH = r"^(?:tel:|tel\.|ph:)?[+(]?\d[\d().]*\)?$"
_NUMBER_RUN: list[dict[str, Any]] = [
    {"TEXT": "(", "OP": "?"},
    {"TEXT": {"REGEX": _DIGITISH}},
    {"TEXT": {"REGEX": r"^(?:[-.()]|[+(]?\d[\d().]*\)?)$"}, "OP": "*"},
]
_REFERENCE_CUES = frozenset(
    "order orders ord invoice inv ref reference tracking track case ticket booking membership member "
    "account acc policy serial sku item claim transaction txn confirmation conf receipt voucher code pnr "
    "parcel shipment consignment contract customer no no. number # id reg registration meter mpan mprn".split()
)
_PHONE_CUES = frozenset(
    "call phone tel telephone mobile mob cell whatsapp ring text landline fax reach contact me number: on dial".split()
)
_STREET_SUFFIXES = frozenset(
    "street st st. road rd rd. avenue ave ave. lane ln drive dr boulevard blvd way close crescent place "
    "pl square sq court ct terrace gardens grove hill park row mews parade walk wynd quay embankment "
    "highway hwy".split()
)
_COMPOUND_STREET = re.compile(
    r"(?i)^[a-zäöüß]+(?:straße|strasse|str\.|gasse|weg|allee|platz|straat|gracht|laan|plein|kade|dijk|vej|gatan|gade)$"
)
_STREET_PREFIXES = frozenset("rua avenida av. calle via rue avenue piazza praça plaza travessa largo".split())
_NAME_STOP = frozenset(
    "the team support customer service services i we you it this that our your hi hello thanks thank "
    "regards best kind dear sir madam all everyone brightwave agent manager department billing sales".split()
)
_TITLES = ["mr", "mrs", "ms", "miss", "dr", "mx", "mr.", "mrs.", "ms.", "dr.", "mx."]
_SIGN_OFFS = ["regards", "thanks", "cheers", "sincerely", "best", "wishes", "thank", "yours"]
_URL_SECRET = re.compile(
    r"(?i)[?&#;](?:token|access_token|auth|key|sig|signature|session|sid|code|email|e-mail|user|uid|userid|"
    r"user_id|id|reset|t|otp|hash|login|account|customer|member|sub|subscriber|u|e|k)=[^&\s]+"
)
_URL_SECRET_PATH = re.compile(
    r"(?i)/(?:reset|verify|confirm|unsubscribe|invite|download|activate|login)/[\w-]{6,}|/[\w-]*(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{20,}"
)
_PLAIN_URL = re.compile(r"(?i)^(?:https?://|www\.)\S+$")
_PRECHECK = re.compile(
    r"@|https?://|www\.|\d[\d\s().+-]{5,}\d|\b[A-Za-z]{2}\d{2}[\sA-Za-z0-9]{10,}|\b(?:mr|mrs|ms|miss|dr|mx)\b|"
    r"(?i:name is|this is|dear |account holder|regards|thanks,|cheers,|sincerely|best,)|"
    r"\d+[A-Za-z]?,? [A-Za-zÀ-ÿ]|[a-zäöüß](?:straße|strasse|straat|gracht|laan|weg)\b|"
    r"\b(?i:rua|avenida|calle|via|rue) ",
)


def _name_tokens(doc: Doc, start: int, limit: int = 3) -> int:
    """End index of up to `limit` capitalized name-like tokens from `start` (== start if none)."""
    end = start
    while end < len(doc) and end - start < limit:
        tok = doc[end]
        if not (tok.is_title or (tok.is_upper and len(tok) > 1)) or not tok.is_alpha or tok.lower_ in _NAME_STOP:
            break
        end += 1
    return end


class PiiDetector:
    """spaCy component that puts validated personal-data spans in `doc.spans["pii"]`."""

    def __init__(self, nlp: Language, name: str = "touchtext_pii") -> None:
        self.name = name
        self.matcher = Matcher(nlp.vocab)
        self.matcher.add("NUMBER_RUN", [_NUMBER_RUN], greedy="LONGEST")
        self.matcher.add("EMAIL", [[{"LIKE_EMAIL": True}]])
        self.matcher.add("URL", [[{"LIKE_URL": True}], [{"TEXT": {"REGEX": r"(?i)^(?:https?://|www\.)\S+"}}]])
        self.matcher.add(
            "IBAN",
            [
                [
                    {"TEXT": {"REGEX": r"^[A-Za-z]{2}\d{2}[A-Za-z0-9]*$"}},
                    {"TEXT": {"REGEX": r"^[A-Za-z0-9]{1,4}$"}, "OP": "*"},
                ]
            ],
            greedy="LONGEST",
        )
        number: dict[str, Any] = {"TEXT": {"REGEX": r"^\d{1,5}[A-Za-z]?$"}}
        self.matcher.add(
            "ADDRESS",
            [
                [number, {"IS_TITLE": True, "OP": "+"}, {"LOWER": {"IN": sorted(_STREET_SUFFIXES)}}],
                [{"TEXT": {"REGEX": _COMPOUND_STREET.pattern}}, number],
                [{"LOWER": {"IN": sorted(_STREET_PREFIXES)}}, {"IS_ALPHA": True, "OP": "{1,4}"}, number],
            ],
            greedy="LONGEST",
        )  # fmt: skip
        self.matcher.add(
            "PERSON_CUE",
            [
                [{"LOWER": "my"}, {"LOWER": "name"}, {"LOWER": {"IN": ["is", "'s"]}}],
                [{"LOWER": "name"}, {"LOWER": ":"}],
                [{"LOWER": "this"}, {"LOWER": "is"}],
                [{"LOWER": "dear"}],
                [{"LOWER": {"IN": _TITLES}}],
                [{"LOWER": "account"}, {"LOWER": "holder"}, {"TEXT": ":", "OP": "?"}],
                [{"LOWER": {"IN": _SIGN_OFFS}}, {"IS_PUNCT": True, "OP": "?"}, {"IS_SPACE": True}],
            ],
        )

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        for match_id, start, end in self.matcher(doc):
            kind = doc.vocab.strings[match_id]
            span = getattr(self, f"_check_{kind.lower()}")(doc, start, end)
            if span is not None:
                spans.append(span)
        doc.spans["pii"] = spacy.util.filter_spans(spans)
        return doc

    # Each check returns a labeled span (possibly trimmed or extended) or None.
    def _check_email(self, doc: Doc, start: int, end: int) -> Span | None:
        return Span(doc, start, end, label="EMAIL")

    def _check_url(self, doc: Doc, start: int, end: int) -> Span | None:
        text = doc[start:end].text
        if "@" in text or _URL_SECRET.search(text) or _URL_SECRET_PATH.search(text):
            return Span(doc, start, end, label="URL")
        return None

    def _check_iban(self, doc: Doc, start: int, end: int) -> Span | None:
        for stop in range(end, start, -1):
            if iban_valid("".join(t.text for t in doc[start:stop])):
                return Span(doc, start, stop, label="IBAN")
        return None

    def _check_number_run(self, doc: Doc, start: int, end: int) -> Span | None:
        while end > start and doc[end - 1].text in "-.()":
            end -= 1
        if end <= start:
            return None
        text = doc[start:end].text
        digits = re.sub(r"\D", "", text)
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and self._card_shaped(doc, start, end):
            return Span(doc, start, end, label="CARD")
        if 7 <= len(digits) <= 15 and self._phone_like(doc, start, end, text, digits):
            return Span(doc, start, end, label="PHONE")
        return None

    @staticmethod
    def _card_shaped(doc: Doc, start: int, end: int) -> bool:
        groups = [t.text for t in doc[start:end] if t.text not in "-."]
        return len(groups) == 1 or all(g.isdigit() and 3 <= len(g) <= 6 for g in groups)

    @staticmethod
    def _phone_like(doc: Doc, start: int, end: int, text: str, digits: str) -> bool:
        before = [t.lower_.strip(":#") for t in doc[max(0, start - 3) : start]]
        if any(w in _REFERENCE_CUES for w in before) or "#" in doc[max(0, start - 1) : start].text:
            return False
        if re.fullmatch(r"\d{1,4}[.]\d{1,2}", text) or (re.search(r"\d\.\d{2}$", text) and " " not in text):
            return False  # an amount or a decimal
        if text.startswith(("+", "(", "tel", "ph")):
            return True
        if any(w in _PHONE_CUES for w in before):
            return True
        tokens = [t.text for t in doc[start:end] if t.text not in "-.()"]
        if len(tokens) >= 2 and digits.startswith("0"):
            return True  # national format in groups: 07700 900123, 06 12 34 56 78
        if len(tokens) == 3 and [len(t) for t in tokens] == [3, 3, 4]:
            return True  # 555 010 4477 / 555-010-4477
        return len(tokens) == 1 and digits.startswith("0") and 10 <= len(digits) <= 11

    def _check_address(self, doc: Doc, start: int, end: int) -> Span | None:
        # Extend over ", Apt 4B", ", Leith", ", Edinburgh EH6 6QW", ", IL 62704", ", 1015 CJ Amsterdam".
        stop = end
        parts = 0
        while stop < len(doc) - 1 and doc[stop].text == "," and parts < 3:
            j = stop + 1
            k = j
            while (
                k < len(doc)
                and k - j < 5
                and doc[k].text not in ",."
                and (
                    doc[k].is_title
                    or doc[k].is_upper
                    or doc[k].like_num
                    or re.match(r"^[A-Z0-9]{2,4}-?\d*$", doc[k].text)
                    or (doc[k].text in "-–" and k + 1 < len(doc) and doc[k + 1].like_num)
                )
            ):
                k += 1
            if k == j:
                break
            stop = k
            parts += 1
        return Span(doc, start, stop, label="ADDRESS")

    def _check_person_cue(self, doc: Doc, start: int, end: int) -> Span | None:
        cue = doc[start:end].text.lower()
        name_start = end
        if cue == "dear" and name_start < len(doc) and doc[name_start].lower_ in _TITLES:
            name_start += 1
        while name_start < len(doc) and doc[name_start].is_space:
            name_start += 1
        name_end = _name_tokens(doc, name_start)
        if name_end == name_start:
            return None
        if cue == "this is":
            follow = doc[name_end].lower_ if name_end < len(doc) else ""
            if follow not in {"calling", "speaking", "here", ",", "from", "and"}:
                return None
        if cue.rstrip(".") in {"mr", "mrs", "ms", "miss", "dr", "mx"}:
            return Span(doc, start, name_end, label="PERSON")  # the title goes with the name
        if cue.split()[0] in _SIGN_OFFS and (
            name_end < len(doc) and not doc[name_end].is_space and not doc[name_end].is_punct
        ):
            return None  # "Thanks\nJo for ..." is a sentence, not a signature
        return Span(doc, name_start, name_end, label="PERSON")


@Language.factory("touchtext_pii")
def _make_pii_detector(nlp: Language, name: str) -> PiiDetector:
    return PiiDetector(nlp, name)


class Redactor:
    """Finds and replaces personal data; the spaCy pipeline is built on first use.

    Example:
        >>> Redactor().redact_text("Call me on +44 7700 900123 about order ORD-559201")
        'Call me on [PHONE] about order ORD-559201'
    """

    def __init__(self, settings: RedactionSettings | None = None) -> None:
        self.settings = settings or RedactionSettings()
        self._nlp: Language | None = None
        self._allow = {a.lower() for a in self.settings.allow}
        self._extra = [(t.upper(), re.compile(p)) for t, p in self.settings.patterns]
        self._deny = (
            re.compile("|".join(re.escape(d) for d in sorted(self.settings.deny, key=len, reverse=True)), re.I)
            if self.settings.deny
            else None
        )

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])  # type: ignore[misc]

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            nlp = spacy.blank("en")
            nlp.add_pipe("touchtext_pii")
            self._nlp = nlp
        return self._nlp

    def find(self, text: str) -> list[PiiSpan]:
        """Personal data in `text`, as non-overlapping spans in text order."""
        if not self.settings.enabled or not text:
            return []
        found: list[PiiSpan] = []
        if _PRECHECK.search(text):
            doc = self.nlp(text)
            found = [PiiSpan(s.label_, s.start_char, s.end_char, s.text) for s in doc.spans["pii"]]
        for kind, pattern in self._extra:
            found += [PiiSpan(kind, m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]
        if self._deny is not None:
            found += [PiiSpan("PERSON", m.start(), m.end(), m.group(0)) for m in self._deny.finditer(text)]
        found = [s for s in found if s.text.lower() not in self._allow]
        return _non_overlapping(found)

    def redact(self, aligned: Aligned) -> tuple[Aligned, list[PiiSpan]]:
        """Replace personal data in an aligned text with typed placeholders."""
        spans = self.find(aligned.text)
        return aligned.replace_spans([(s.start, s.end, f"[{s.type}]") for s in spans]), spans

    def redact_text(self, text: str) -> str:
        """Plain-string convenience for `redact`."""
        return self.redact(Aligned(text))[0].text

    def find_many(self, texts: Iterable[str]) -> list[list[PiiSpan]]:
        """`find` for many texts."""
        return [self.find(t) for t in texts]


def _non_overlapping(spans: Sequence[PiiSpan]) -> list[PiiSpan]:
    """Keep the longest of overlapping spans, in text order."""
    kept: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            if span.end - span.start > kept[-1].end - kept[-1].start:
                kept[-1] = span
            continue
        kept.append(span)
    return kept
