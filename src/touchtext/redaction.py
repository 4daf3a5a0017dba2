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
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import spacy
from spacy.lang.en.stop_words import STOP_WORDS
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
_DIGITISH = r"^(?:tel:|tel\.|ph:)?[+(]?\d[\d()./-]*\d\)?$|^[+(]?\d$"
_NUMBER_RUN: list[dict[str, Any]] = [
    {"TEXT": "(", "OP": "?"},
    {"TEXT": {"REGEX": _DIGITISH}},
    {"TEXT": {"REGEX": r"^(?:[-.()/]|[+(]?\d[\d()./]*\)?)$"}, "OP": "*"},
]
_REFERENCE_CUES = frozenset(
    "order orders ord invoice inv ref reference tracking track case ticket booking membership member "
    "account acc policy serial sku item claim transaction txn confirmation conf receipt voucher pnr "
    "parcel shipment consignment contract reg registration meter mpan mprn loyalty iban sort "
    "kundennummer vertragsnummer rechnungsnummer bestellnummer auftragsnummer referencia pedido factura "
    "fatura fattura commande facture ordine contrato vertrag klantnummer ordernummer bestelling".split()
)
_PHONE_CUES = frozenset(
    "call phone tel telephone mobile mob cell cellphone whatsapp ring text sms landline fax reach "
    "contact number dial hotline al llamen llámame llamar llamadme márquenme marcar liguem ligue ligar "
    "contacto richiamatemi chiamatemi chiamami telefono teléfono telefone telefon tél téléphone portable "
    "joindre appelez appeler rufen anrufen handy móvil movil celular cellulare bellen gsm 電話".split()
)
_STREET_SUFFIXES = frozenset(
    "street st st. road rd rd. avenue ave ave. lane ln drive dr boulevard blvd way close crescent place "
    "pl square sq court ct terrace gardens grove hill park row mews parade walk wynd quay embankment "
    "highway hwy".split()
)
_COMPOUND_STREET = re.compile(
    r"(?i)^[a-zäöüß]+(?:straße|strasse|str\.|gasse|weg|allee|platz|straat|gracht|laan|plein|kade|dijk|vej|gatan|gade)$"
)
_STREET_PREFIXES = frozenset(
    "rua avenida av av. calle carrer via viale corso piazza rue avenue boulevard bd allée chemin impasse "
    "quai praça plaza paseo travessa largo laan strada ulica calzada camino".split()
)
_NAME_STOP = frozenset(
    "the team support customer service services i we you it this that our your hi hello thanks thank "
    "regards best kind dear sir madam all everyone brightwave agent manager department billing sales "
    "order please account card booking ref invoice policy sie ihnen ihr ihre ihren ihrem ihrer du dich dir euch "
    "euer eure dein deine usted ustedes vous lei".split()
)
_TITLES = ["mr", "mrs", "ms", "miss", "dr", "mx", "mr.", "mrs.", "ms.", "dr.", "mx.", "mme", "mme.", "herr", "frau"]
_RELATIVES = [
    "partner",
    "wife",
    "husband",
    "son",
    "daughter",
    "mother",
    "father",
    "mum",
    "mom",
    "dad",
    "brother",
    "sister",
    "colleague",
    "boss",
    "friend",
    "tenant",
    "landlord",
    "grandmother",
    "grandfather",
]
_FRENCH_STREET_TYPES = ["rue", "avenue", "boulevard", "bd", "allée", "chemin", "impasse", "quai", "place", "route"]
_UNIT_WORDS = ["flat", "apt", "apt.", "appt", "appt.", "apartment", "unit", "suite", "room", "floor"]
_ADDRESS_SUFFIX_WORDS = frozenset("bus box bte bis ter apt flat unit suite".split())
# Month names and abbreviations (English, French, Spanish, Portuguese, Italian, German, Dutch): a
# house number followed by one is a date ("booked via Expedia, 3 June"; "go-live 16 Feb. Rooftop").
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre "
    "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre "
    "janeiro fevereiro março maio junho julho setembro outubro novembro dezembro "
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre "
    "januar februar märz juni juli oktober dezember januari februari maart mei augustus".split()
)
_PARTICLES = frozenset("de van der den von la le di da do dos das du del bin al ten ter ní nic mac mc ben el".split())
_ADDRESS_PART_WORDS = frozenset(
    "izq dcha esq dto bis ter hs bus box bte apt appt fl floor piso puerta scala int lgh bât bat bloc esc og etage "
    "étage col co county building bldg block stair escalera portal planta".split()
)
_EIRCODE = re.compile(r"\b[A-Z]\d{2} ?[A-Z0-9]{4}\b")
# Words right before a number that make it a reference, not a phone ("order no. 0044712345").
_REFERENCE_FILLERS = frozenset(": # . no no. nr nr. n° nº number num is was = ref".split())
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
_NAME_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w'’-]*[a-zà-öø-ÿ][\w'’-]*$|^[A-ZÀ-ÖØ-Þ]{2,}$")
_DATE_LIKE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$")
_EMAIL_CORE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Tokens the tokenizer must keep whole: e-mail addresses (also after mailto:) and URLs.
_WHOLE_TOKEN = re.compile(
    r"(?:mailto:)?[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"|(?:https?://|www\.)[^\s]*[^\s.,;:!?)\]'\"]"
)
_INLINE_SIGN_OFFS = (
    "thanks cheers regards best sincerely danke gracias cordialement grazie obrigado "
    "obrigada groeten saludos mvg mfg merci bedankt tack dziękuję ta"
).split()
_COMMA_CUES = ("regards", "wishes", "million", "much", "advance")  # a name may follow these and a comma
_CLOSING_WORDS = frozenset([*_INLINE_SIGN_OFFS, *_COMMA_CUES])
_SIGN_OFFS = ["regards", "thanks", "cheers", "sincerely", "best", "wishes", "thank", "yours"]
_URL_SECRET = re.compile(
    r"(?i)[?&#;][\w.-]*(?:token|session|sessionid|sig|signature|auth|key|email|e-mail|user|userid|user_id|uid|"
    r"otp|hash|login|account|customer|member|subscriber|credential|password|pass|passcode|pin|code|id)=[^&\s]+"
)
_URL_RANDOM_VALUE = re.compile(r"[?&;][\w.-]+=(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{16,}")
_URL_SECRET_PATH = re.compile(
    r"(?i)/(?:reset|verify|confirm|unsubscribe|optout|opt-out|invite|download|activate|login)/[\w-]{6,}"
    r"|/(?:u|user|users|member|members|profile|customer|customers|account|accounts)/[\w.@%-]*\d{4,}"
    r"|/(?:u|user|users|profile)/[a-z][\w.-]{3,}"
    r"|/(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{12,}(?=/|$|\?)"
)


def _by_first_letter(alternatives: str, *, word_start: bool = False) -> str:
    r"""`(?:a|b|...)` for `|`-separated alternatives that each start with a plain letter, grouped
    by that letter: `re` then skips straight to where one may start (it does so only when every
    branch begins with a literal). With `word_start`, each also needs no word character before
    it, as `\b` in front would (checked after the first letter, so the branch still begins with
    it). Two alternatives with different first letters never match at the same place, so the
    grouping finds the same matches.
    """
    groups: dict[str, list[str]] = {}
    for alternative in alternatives.split("|"):
        groups.setdefault(alternative[0], []).append(alternative[1:])
    guard = r"(?<!\w.)" if word_start else ""
    return "(?:" + "|".join(f"{first}{guard}(?:{'|'.join(rests)})" for first, rests in groups.items()) + ")"


# A cheap filter: only texts with something shaped like personal data go through spaCy. Each
# family mirrors matcher patterns (including what must follow a cue, e.g. a capitalized name)
# and runs only when its own C-speed gate fires. Each regex is kept to a form `re` can scan for
# quickly (a literal or a character class first): an alternation, or `\b`, in front makes it try
# every branch at every position, which cost more than all the rest of cleaning a review.
_CONTACT_MARKS = ("@", "(at)", "[at]", "www.", "http://", "https://")  # e-mail and URL shapes
_DIGIT = re.compile(r"\d")
_PRECHECK_NUMBER_RUN = re.compile(r"\d[\d\s().+/-]{5,}\d")  # card, phone, long numbers
_LETTER_THEN_DIGIT = re.compile(r"\d(?<=[A-Za-z]\d)")  # in every IBAN, UK postcode and Eircode
_PRECHECK_CODES = re.compile(
    r"\b[A-Za-z]{2}\d{2}(?:\s?[A-Za-z0-9]{4}){2}"  # IBAN
    r"|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b|\b[A-Z]\d{2} ?[A-Z0-9]{4}\b"  # UK postcode, Eircode
)
_STREET_WORDS = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|close|crescent|place|pl|square|sq|court|ct|"
    r"terrace|gardens|grove|hill|park|row|mews|parade|walk|wynd|quay|embankment|highway|hwy"
)
_COMPOUND_SUFFIXES = r"straße|strasse|str\.|gasse|weg|allee|platz|straat|gracht|laan|plein|kade|dijk|vej|gatan|gade"
_STREET_PREFIXES_PATTERN = (
    r"rua|avenida|av|calle|carrer|via|viale|corso|piazza|rue|avenue|boulevard|bd|laan|plaza|paseo|praça|"
    r"travessa|largo|strada|ulica|calzada|camino|allée|chemin|impasse|quai"
)
# "14 Harbour Road": `\d(?<!\w\d)` is `\b\d` written to start with the digit. The matcher takes
# any number of title-case words before the street word ("14 Harbour Road14 Harbour Road" too);
# each word starts with a capital after whitespace, so the repetition splits only one way.
_PRECHECK_NUMBERED_STREET = re.compile(
    rf"\d(?<!\w\d)\d{{0,4}}[A-Za-z]?,?\s+(?:[A-ZÀ-Þ][\w'’-]*\s+)+(?i:{_STREET_WORDS})\b"
)
_PRECHECK_COMPOUND_STREET = re.compile(rf"[a-zäöüß](?:{_COMPOUND_SUFFIXES})\s+\d")  # Hauptstraße 5
# "Rua Augusta 5", "Calle Mayor, 12", "av.Paulista 1578": the matcher's ADDRESS_PREFIXED takes
# the prefix, an optional ".", one to four alphabetic tokens, an optional comma and a house number,
# so "via the app" is no address. Tokens in it are apart by at most one plain space (any other
# whitespace is a token of its own), and a "." splits off before a capital with none. A run of
# letters holds whole alphabetic tokens (`[^\W\d_]` covers `str.isalpha`), and what follows the
# last one is a space, a comma or the number, never a letter: so the possessive runs lose nothing.
_PREFIXED_STREET_TAIL = r"\b ?\.? ?[^\W\d_]++(?: [^\W\d_]++){0,3} ?,? ?\d"
_PRECHECK_PREFIXED_STREET = re.compile(rf"\b(?i:{_STREET_PREFIXES_PATTERN}){_PREFIXED_STREET_TAIL}")
# The same over the lowercased text of an ASCII text, where case folding is plain a-z (no ſ, K,
# ı to match s, k, i) and does not move word boundaries; many times faster.
_PRECHECK_PREFIXED_STREET_ASCII_LOWER = re.compile(
    rf"{_by_first_letter(_STREET_PREFIXES_PATTERN, word_start=True)}{_PREFIXED_STREET_TAIL}"
)
# "12 bis rue des Lilas", "5 place Bellecour": the matcher's ADDRESS_FRENCH, a house number, an
# optional "bis"/"ter", a street type (any case) and an alphabetic token, each one plain space apart.
_PRECHECK_FRENCH_STREET = re.compile(rf"\d[A-Za-z]? (?:(?i:bis|ter) )?(?i:{'|'.join(_FRENCH_STREET_TYPES)}) [^\W\d_]")
_STREET_HINTS = frozenset(_STREET_WORDS.split("|") + _STREET_PREFIXES_PATTERN.split("|") + _FRENCH_STREET_TYPES)
_COMPOUND_SUFFIX_TEXTS = tuple(_COMPOUND_SUFFIXES.replace("\\", "").split("|"))
_COMPOUND_HINT = re.compile(rf"(?:{_COMPOUND_SUFFIXES})\s+\d")
# "My name is ..." (or first name, surname) in the other model languages, lowercased, as the
# tokens `PERSON_CUE` matches them: de, nl, fr, es, it, pt. "Name ist" needs its "mein": German
# capitalizes every noun ("Der Name ist Programm", "Der Vorname ist Nebensache"). A noun right
# after "Mein Vorname ist" is taken for a name ("Mein Vorname ist Pflicht"): rare in feedback,
# and a redacted word costs less than a name left in.
_GERMAN_NAME_WORDS = ["name", "vorname", "nachname"]
_DUTCH_NAME_WORDS = ["naam", "voornaam", "achternaam"]
_FRENCH_NAME_WORDS = ["nom", "prénom"]
_SPANISH_NAME_WORDS = ["nombre", "apellido"]
_ITALIAN_NAME_WORDS = ["nome", "cognome"]
_PORTUGUESE_NAME_WORDS = ["nome", "sobrenome", "apelido"]  # apelido: the surname in Portugal
# Form labels before a name ("Nachname: Schulz", "Prénom : Claire", "Nombre y apellidos: Ana"):
# the same words. English "name:", "surname:" and "forename:" have patterns of their own.
_FIELD_LABELS = sorted(
    {*_GERMAN_NAME_WORDS, *_DUTCH_NAME_WORDS, *_FRENCH_NAME_WORDS, *_SPANISH_NAME_WORDS, "apellidos",
     *_ITALIAN_NAME_WORDS, *_PORTUGUESE_NAME_WORDS} - {"name"}
)  # fmt: skip
_SELF_INTRODUCTIONS = "|".join(
    [
        *(f"mein {word} {verb}" for word in _GERMAN_NAME_WORDS for verb in ("ist", "lautet")),
        "ich heiße|ich heisse",
        *(f"mijn {word} is" for word in _DUTCH_NAME_WORDS),
        "ik heet",
        *(f"mon {word} est" for word in _FRENCH_NAME_WORDS),
        "mon nom de famille est|je m'appelle|je m’appelle",
        *(f"mi {word} es" for word in _SPANISH_NAME_WORDS),
        "me llamo",
        *(f"mio {word} è" for word in _ITALIAN_NAME_WORDS),
        "mi chiamo",
        *(f"meu {word} é" for word in _PORTUGUESE_NAME_WORDS),
        "me chamo|chamo-me",
    ]
)
_SELF_INTRODUCTION_PATTERNS: list[list[dict[str, Any]]] = [
    [{"LOWER": "mein"}, {"LOWER": {"IN": _GERMAN_NAME_WORDS}}, {"LOWER": {"IN": ["ist", "lautet"]}}],
    [{"LOWER": "ich"}, {"LOWER": {"IN": ["heiße", "heisse"]}}],
    [{"LOWER": "mijn"}, {"LOWER": {"IN": _DUTCH_NAME_WORDS}}, {"LOWER": "is"}],
    [{"LOWER": "ik"}, {"LOWER": "heet"}],
    [{"LOWER": "mon"}, {"LOWER": {"IN": _FRENCH_NAME_WORDS}}, {"LOWER": "est"}],
    [{"LOWER": "mon"}, {"LOWER": "nom"}, {"LOWER": "de"}, {"LOWER": "famille"}, {"LOWER": "est"}],
    [{"LOWER": "je"}, {"LOWER": {"IN": ["m'appelle", "m’appelle"]}}],
    [{"LOWER": "mi"}, {"LOWER": {"IN": _SPANISH_NAME_WORDS}}, {"LOWER": "es"}],
    [{"LOWER": "me"}, {"LOWER": {"IN": ["llamo", "chamo"]}}],
    [{"LOWER": "mio"}, {"LOWER": {"IN": _ITALIAN_NAME_WORDS}}, {"LOWER": "è"}],
    [{"LOWER": "mi"}, {"LOWER": "chiamo"}],
    [{"LOWER": "meu"}, {"LOWER": {"IN": _PORTUGUESE_NAME_WORDS}}, {"LOWER": "é"}],
    [{"LOWER": "chamo"}, {"TEXT": "-"}, {"LOWER": "me"}],
]
# Every word after which the matcher may take a name (`PERSON_CUE`'s sign-off, "thank you" and comma
# patterns), longest first.
_SIGN_OFF_WORDS = "|".join(sorted(_CLOSING_WORDS | {*_SIGN_OFFS, "thank you"}, key=lambda word: (-len(word), word)))
# What may come between a sign-off word and the name (`PiiDetector` skips whitespace tokens and
# commas before a name): a "," or "." token (`_INLINE_SIGN_OFFS` and the comma cues), or an
# optional punctuation token and then whitespace spaCy makes a token of its own (the `_SIGN_OFFS`
# and "thank you" cues), that is any whitespace but one plain space: "Thank you!\n\nElena".
_SIGN_OFF_SEPARATOR = r" ?(?:[^\w\s]*[,.][^\w\s]*|[^\w\s]*(?: ?[^\S ]| {2}))[\s,]*"
# What the detector skips between a cue and the name (whitespace tokens and commas): some, or
# none after a cue ending in ":" or "," ("name:Ann"). Never nothing after a letter, so "name is"
# does not match in "name ist" and the alternation goes on to "name ist".
_BEFORE_NAME = r"(?:[\s,]+|(?<=[:,]))"
_RELATIVE_WORDS = (
    "partner|wife|husband|son|daughter|mother|father|mum|mom|dad|brother|sister|colleague|boss|friend|tenant|"
    "landlord|grandmother|grandfather"
)
_NAME_CUE_WORDS = (
    "name's|name is|name ?:|name ?,|this is|speaking with|ask for|called|named|signed for by|account holder ?:|"
    "account holder|details ?:|recipient is|addressee is|addressed to|under the name|kontoinhaber ?:|kontoinhaber|"
    "inhaber ?:|titular ?:|titulaire ?:|naam ?:|nom ?:|nombre ?:|apellidos? ?:|nome ?:|apelido ?:|"
    f"{_SELF_INTRODUCTIONS}"
)  # "Name : Ann": spaCy makes the colon a token, a space may come before it
# The cues of `_CUE_FAMILIES` in one regex over the original text, for texts whose lowercasing
# moves offsets and for "at ... dot" addresses.
_PRECHECK_CUES = re.compile(
    rf"(?i:{_NAME_CUE_WORDS}|(?:my|his|her|our) (?:{_RELATIVE_WORDS})){_BEFORE_NAME}[A-ZÀ-Þ]"
    rf"|(?<![^\W\d_])(?i:{_SIGN_OFF_WORDS}){_SIGN_OFF_SEPARATOR}[A-ZÀ-Þ]"  # not the tail of a word: "Augusta  R"
    r"|(?i: at [\w-]+ dot )"
)
_PRECHECK_TITLES = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Mx|Mme|Herr|Frau|MR|MRS|MS)\b\.? ?[A-ZÀ-Þ]")
# Signatures ("\n-- \nLaszlo Kovacs") and headers ("\nFrom: Ann"): the matcher wants whitespace
# that is a token of its own (not one plain space) before the dash or "from:", and the name may
# follow after more whitespace and commas ("From : Ann": the colon is a token, a space may precede it).
_PRECHECK_LINES = re.compile(r"(?:^|[^\S ]| {2})\s*(?:[—–-]{1,2}|(?i:from|to|cc) ?:)[\s,]*[A-ZÀ-Þ]")


_DIGIT_OR_AT = re.compile(r"[\d@]|\(at\)|\[at\]|www\.|https?:")
_DIGIT_OR_AT_MARKS = ("@", "(at)", "[at]", "www.", "http:", "https:")  # what it matches besides a digit


# (key words, pattern over the lowercased text whose end must be followed by a capital letter
# in the original text). A family's pattern runs only when one of its key words is in the text.
_CUE_FAMILIES: tuple[tuple[frozenset[str], re.Pattern[str]], ...] = (
    (
        frozenset(
            "name this speaking ask called named signed holder details recipient addressee addressed under "
            "kontoinhaber inhaber titular titulaire heiße heisse naam heet nom appelle nombre llamo nome chiamo "
            "chamo surname forename vorname nachname voornaam achternaam prénom apellido apellidos cognome "
            "sobrenome apelido".split()
        ),
        re.compile(rf"{_by_first_letter(_NAME_CUE_WORDS)}{_BEFORE_NAME}"),
    ),
    (
        frozenset(_RELATIVE_WORDS.split("|")),
        re.compile(rf"{_by_first_letter('my|his|her|our', word_start=True)} (?:{_RELATIVE_WORDS})[\s,]+"),
    ),
    (
        frozenset(_SIGN_OFF_WORDS.replace(" ", "|").split("|")),
        # The lookahead fails fast on the usual "best food": a lone space and a letter.
        re.compile(rf"{_by_first_letter(_SIGN_OFF_WORDS, word_start=True)}(?=[^\w ]| [^\w]){_SIGN_OFF_SEPARATOR}"),
    ),
)
_TITLE_KEYS = frozenset("mr mrs ms miss dr mx mme herr frau".split())
# The words a prefilter looks among: runs of letters and digits. The detector's tokenizer splits
# words off any punctuation, symbol or emoji ("¡Gracias, Ana", "😀Thanks, Geoff", "*thanks, Ann").
_WORD_RUN = re.compile(r"[^\W_]+")
# Every word a prefilter asks about (each a run of letters), as text and in UTF-8, and every ASCII
# byte but a letter or digit as a word break.
_KEY_WORD_TEXTS = frozenset(
    _STREET_HINTS | _TITLE_KEYS | {"at", "dot"} | frozenset().union(*(keys for keys, _ in _CUE_FAMILIES))
)
_KEY_WORDS = frozenset(word.encode() for word in _KEY_WORD_TEXTS)
_ASCII_NON_WORD = bytes(byte for byte in range(128) if not chr(byte).isalnum())
_BYTES_WORD_BREAKS = bytes.maketrans(_ASCII_NON_WORD, b" " * len(_ASCII_NON_WORD))


def _words(lower: str) -> set[str]:
    """The runs of letters and digits in `lower`: what `_key_words` finds the prefilter's words among."""
    return set(_WORD_RUN.findall(lower))


def _key_words(lower: str) -> set[str]:
    """The words of `_words(lower)` that a prefilter asks about. ASCII text is split as bytes
    (every byte but a letter or digit a break), several times faster than the regex."""
    if lower.isascii():
        data = lower.encode("ascii").translate(_BYTES_WORD_BREAKS)
        return {word.decode("ascii") for word in _KEY_WORDS.intersection(data.split())}
    return set(_KEY_WORD_TEXTS.intersection(_WORD_RUN.findall(lower)))


def _cue_followed_by_capital(text: str, lower: str, words: set[str]) -> bool:
    for keys, pattern in _CUE_FAMILIES:
        if not words.isdisjoint(keys):
            for match in pattern.finditer(lower):
                end = match.end()
                if end < len(text) and text[end].isupper() and not _no_name_after_cue(text, match.group(), end):
                    return True
    return "at" in words and "dot" in words and bool(_PRECHECK_CUES.search(text))


# Words that never start a name (`_name_tokens` stops at a stop word or a `_NAME_STOP` word).
_NOT_NAME_STARTS = frozenset(STOP_WORDS | _NAME_STOP)
_CAPITALIZED_WORD = re.compile(r"[A-Z][a-z]*(?=[ ,])")
_NON_PARTICLE_LOWER_WORD = re.compile(rf"(?!(?:{'|'.join(sorted(_PARTICLES))})\b)[a-z]")
# The matcher takes these only before a comma (the others are sign-offs too).
_COMMA_ONLY_CUES = tuple(cue for cue in _COMMA_CUES if cue not in _INLINE_SIGN_OFFS and cue not in _SIGN_OFFS)
_COMMA_AFTER_CUE = re.compile(rf"(?:{'|'.join(_COMMA_ONLY_CUES)}) ?,")
_FULL_NAME_CUES = ("called", "named", "my ", "his ", "her ", "our ")  # one word must end the clause


def _no_name_after_cue(text: str, cue: str, start: int) -> bool:
    """True if the detector takes no name from the capital at `start` after `cue` (a lowercased
    `_CUE_FAMILIES` match), as `PiiDetector._check_person_cue` and `_name_tokens` decide.

    "Too much. The" has no cue ("much" needs a comma); "Thanks. The", "name, I write": a stop
    word, or "I"/"A" before a lowercase word (an initial needs a name after it), ends the name
    before it starts; "called Delia actually": after "called", "named", "my wife" a one-word name
    must end the clause. Each capitalized word taken is a whole token: a space or comma follows
    it, and whitespace precedes it (the name cues end in whitespace; checked for a stop word,
    which may follow a sign-off's comma or full stop).
    """
    if cue.startswith(_COMMA_ONLY_CUES):
        return _COMMA_AFTER_CUE.match(cue) is None
    word = _CAPITALIZED_WORD.match(text, start)
    if word is None:
        return False
    lowercase_word_next = text.startswith(" ", word.end()) and bool(
        _NON_PARTICLE_LOWER_WORD.match(text, word.end() + 1)
    )
    if word.group().lower() in _NOT_NAME_STARTS and text[start - 1].isspace():
        return len(word.group()) > 1 or lowercase_word_next
    return cue.startswith(_FULL_NAME_CUES) and lowercase_word_next


def _might_hold_pii(text: str) -> bool:
    """True if a text has anything shaped like personal data (so it is worth a spaCy pass)."""
    digit = _DIGIT.search(text) is not None
    # `_DIGIT_OR_AT.search(text)` as substring tests, which are much faster than its alternation
    has_digit = digit or any(mark in text for mark in _DIGIT_OR_AT_MARKS)
    if has_digit and _has_number_or_contact(text, digit):
        return True
    lower = text.lower()
    words = _key_words(lower)
    if has_digit and _has_street(text, lower, words):
        return True
    if not words.isdisjoint(_TITLE_KEYS) and _PRECHECK_TITLES.search(text):
        return True
    if _has_signature_or_header(text, lower):
        return True
    if len(lower) != len(text):  # rare: lowercasing changed the length, offsets would not line up
        return bool(_PRECHECK_CUES.search(text))
    return _cue_followed_by_capital(text, lower, words)


def _has_signature_or_header(text: str, lower: str) -> bool:
    """True if `text` has a dash signature or a "from:" header (`_PRECHECK_LINES`).

    The matcher wants whitespace that is a token of its own right before the dash or "from:"
    (any but one plain space): mostly a line break. Without one, only text starting with a
    space, two spaces right before the dash or header word, or a rarer whitespace character
    can give it. All are single-character or rare-ending substring tests ("  " alone is slow).
    """
    if "\n" not in text:
        dash = "-" in text or "—" in text or "–" in text
        colon = ":" in text
        if not (dash or colon):
            return False
        if not (
            text.startswith(" ")
            or (dash and ("  -" in text or "  —" in text or "  –" in text))
            or (colon and ("  from" in lower or "  to" in lower or "  cc" in lower))
            or _has_rare_whitespace(text)
        ):
            return False
    return _PRECHECK_LINES.search(text) is not None


def _has_rare_whitespace(text: str) -> bool:
    """True if `text` has whitespace other than " " and "\n" (each a token of its own in spaCy)."""
    if not text.isascii():
        return not text.isprintable()  # every whitespace character but " " is unprintable
    return (
        "\t" in text or "\r" in text or "\x0b" in text or "\x0c" in text
        or "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text
    )  # fmt: skip


def _has_number_or_contact(text: str, digit: bool | None = None) -> bool:
    """True if `text` has an e-mail or URL mark, a long digit run, an IBAN or a postcode.

    Substring tests first, then one quick regex per shape; the code shapes run only when a
    letter is followed by a digit somewhere, which all of them need. `digit`: whether the
    caller already knows `text` has a digit.
    """
    if "@" in text or "(at)" in text or "[at]" in text or "www." in text or "http://" in text or "https://" in text:
        return True  # one of _CONTACT_MARKS
    if not (_DIGIT.search(text) is not None if digit is None else digit):
        return False
    if any(not _glued_to_a_code(text, run) for run in _PRECHECK_NUMBER_RUN.finditer(text)):
        return True
    return _LETTER_THEN_DIGIT.search(text) is not None and _PRECHECK_CODES.search(text) is not None


def _glued_to_a_code(text: str, run: re.Match[str]) -> bool:
    """True for a run of plain digits glued by a hyphen to a letter ("KF-3310288"): spaCy keeps
    such a code one token (it splits a hyphen only before a letter or between digits), and no
    NUMBER_RUN token pattern takes it, so it holds no phone or card number."""
    start = run.start()
    before = text[start - 2 : start]
    return (
        len(before) == 2
        and before[1] == "-"
        and before[0].isascii()
        and before[0].isalpha()
        and run.group().isdecimal()
    )


def _has_street(text: str, lower: str, words: set[str]) -> bool:
    """True if `text` has a street-address shape and a street word (or a compound street
    name) backs it up. The slowest shape (a prefix such as "Rua" or "Calle") goes last."""
    if words.isdisjoint(_STREET_HINTS) and not (_may_hold_compound_suffix(lower) and _COMPOUND_HINT.search(lower)):
        return False
    if _PRECHECK_NUMBERED_STREET.search(text):
        return True
    # In the lowercased text, as the matcher's compound street ignores case ("HauptStraße 5";
    # not quite: a long s or a dotted capital I lowercases to other letters than it matches).
    if any(suffix in lower for suffix in _COMPOUND_SUFFIX_TEXTS) and _PRECHECK_COMPOUND_STREET.search(lower):
        return True
    if text.isascii():
        if _PRECHECK_PREFIXED_STREET_ASCII_LOWER.search(lower) is not None:
            return True
    elif _PRECHECK_PREFIXED_STREET.search(text) is not None:
        return True
    return not words.isdisjoint(_FRENCH_STREET_TYPES) and _PRECHECK_FRENCH_STREET.search(text) is not None


def _may_hold_compound_suffix(lower: str) -> bool:
    """False if no `_COMPOUND_SUFFIX_TEXTS` is in `lower` (substring tests: "str" stands for
    straße, strasse, str. and straat)."""
    return (
        "str" in lower or "gasse" in lower or "weg" in lower or "allee" in lower or "platz" in lower
        or "gracht" in lower or "laan" in lower or "plein" in lower or "kade" in lower or "dijk" in lower
        or "vej" in lower or "gatan" in lower or "gade" in lower
    )  # fmt: skip


def _name_tokens(doc: Doc, start: int, limit: int = 4) -> int:
    """End index of a name from `start`: capitalized words, with particles inside (van Dijk, O'Connell)."""
    end = start
    while end < len(doc) and end - start < limit:
        tok = doc[end]
        if tok.lower_ in _PARTICLES and end > start:
            following = end + 1
            while following < len(doc) and doc[following].lower_ in _PARTICLES:
                following += 1  # van der Merwe
            if following < len(doc) and _NAME_TOKEN.match(doc[following].text):
                end = following
                continue
        if tok.text in "-‐" and end > start and end + 1 < len(doc) and _NAME_TOKEN.match(doc[end + 1].text):
            end += 2  # Marsh-Abbott
            continue
        if re.fullmatch(r"[A-Z]\.?", tok.text) and end + 1 < len(doc) and _NAME_TOKEN.match(doc[end + 1].text):
            end += 1  # J. Whitmore
            continue
        if not _NAME_TOKEN.match(tok.text) or tok.lower_ in _NAME_STOP or (tok.is_stop and end == start):
            break
        end += 1
    while end > start and doc[end - 1].lower_ in _PARTICLES:
        end -= 1
    return end


def _sentence_stop(doc: Doc, k: int) -> bool:
    """True if token k is a full stop ending the sentence (not the dot of "Int. 7" or "Co. Cork")."""
    if doc[k].text != ".":
        return False
    if k + 1 >= len(doc) or doc[k + 1].is_space:
        return True
    before = doc[k - 1] if k > 0 else None
    abbreviation = before is not None and before.is_alpha and (before.lower_ in _ADDRESS_PART_WORDS or len(before) <= 3)
    return bool(doc[k].whitespace_) and not abbreviation


def _address_part_end(doc: Doc, j: int) -> int:
    """End of the comma-separated address part starting at token j (== j if it is not one).

    A part is a town, region or postcode ("Edinburgh EH6 6QW", "IL 62704"), or a short unit
    part led by a number or unit word ("3. OG links", "lgh 1102", "int. 9") taken up to the
    next comma.
    """
    first = doc[j] if j < len(doc) else None
    if first is None or first.is_space:
        return j
    if any(ch.isdigit() for ch in first.text) or first.lower_.rstrip(".") in _ADDRESS_PART_WORDS:
        k = j
        while k < len(doc) and k - j < 5 and doc[k].text not in ",;" and not doc[k].is_space:
            if _sentence_stop(doc, k) and not (k == j + 1 and doc[j].like_num):  # "3. OG" is a floor
                break
            k += 1
        if (k < len(doc) and doc[k].text == ",") or k >= len(doc) or doc[k].is_space or doc[k].text in ".;":
            return k
    k = j
    while (
        k < len(doc)
        and k - j < 5
        and doc[k].text not in ",;"
        and not doc[k].is_space
        and (
            doc[k].is_title
            or doc[k].is_upper
            or doc[k].like_num
            or any(ch.isdigit() for ch in doc[k].text)
            or (doc[k].text in "-–." and k > j)
            or doc[k].lower_.rstrip(".") in _ADDRESS_PART_WORDS
        )
    ):
        if _sentence_stop(doc, k):
            break
        k += 1
    return k


def _dated_number(doc: Doc, start: int, end: int) -> bool:
    """True if an address match's house number is a day of a date: a prefixed street ending in a
    number that a month follows ("via Expedia, 3 June"), or a number followed by a month
    abbreviated with a period ("16 Feb. Rooftop terrace"). "12 March Road" and "Hauptstraße 5
    Mai" stay addresses."""
    if (
        doc[end - 1].like_num and end < len(doc) and doc[end].lower_.rstrip(".") in _MONTHS
        and not _COMPOUND_STREET.match(doc[start].text)
    ):  # fmt: skip
        return True
    first = doc[start + 1] if start + 1 < end else None
    return bool(doc[start].like_num and first is not None and first.text.endswith(".")
                and first.lower_.rstrip(".") in _MONTHS)  # fmt: skip


class PiiDetector:
    """spaCy component that puts validated personal-data spans in `doc.spans["pii"]`."""

    def __init__(self, nlp: Language, name: str = "touchtext_pii") -> None:
        self.name = name
        self.matcher = Matcher(nlp.vocab)
        self.matcher.add("NUMBER_RUN", [_NUMBER_RUN], greedy="LONGEST")
        self.matcher.add("EMAIL", [[{"LIKE_EMAIL": True}], [{"TEXT": {"REGEX": r"@[A-Za-z0-9-]+\.[A-Za-z]"}}]])
        self.matcher.add(
            "EMAIL_SPELLED",
            [
                [{"TEXT": {"REGEX": r"^[\w.+-]+(?:\(at\)|\[at\])[\w-]+(?:\.|\(dot\)|\[dot\])[\w.]+$"}}],
                [
                    {"TEXT": {"REGEX": r"^[\w.+-]*[._\d][\w.+-]*$"}},
                    {"LOWER": {"IN": ["at", "(at)", "[at]"]}},
                    {"TEXT": {"REGEX": r"^[\w-]+$"}},
                    {"LOWER": {"IN": ["dot", "(dot)", "[dot]"]}},
                    {"TEXT": {"REGEX": r"^[a-z]{2,6}$"}},
                ],
            ],
        )
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
        suffix = {"LOWER": {"IN": sorted(_STREET_SUFFIXES)}}
        address_patterns: dict[str, list[dict[str, Any]]] = {
            "ADDRESS_NUMBERED": [number, {"IS_TITLE": True, "OP": "+"}, suffix],
            "ADDRESS_COMPOUND": [{"TEXT": {"REGEX": _COMPOUND_STREET.pattern}}, number],
            "ADDRESS_PREFIXED": [
                {"LOWER": {"IN": sorted(_STREET_PREFIXES)}},
                {"TEXT": ".", "OP": "?"}, {"IS_ALPHA": True, "OP": "{1,4}"},
                {"TEXT": ",", "OP": "?"}, number,
            ],
            "ADDRESS_FRENCH": [
                number, {"LOWER": {"IN": ["bis", "ter"]}, "OP": "?"}, {"LOWER": {"IN": _FRENCH_STREET_TYPES}},
                {"IS_ALPHA": True, "OP": "{1,4}"},
            ],
            "ADDRESS_NAMED": [{"IS_TITLE": True, "OP": "{1,3}"}, suffix, {"TEXT": ","}],
        }  # fmt: skip
        for key, pattern in address_patterns.items():
            self.matcher.add(key, [pattern], greedy="LONGEST")
        self.matcher.add(
            "PERSON_CUE",
            [
                [{"LOWER": "name"}, {"LOWER": {"IN": ["is", "'s", ":", ","]}}],
                [{"LOWER": {"IN": ["surname", "forename"]}}, {"LOWER": {"IN": ["is", ":"]}}],
                [{"LOWER": {"IN": _FIELD_LABELS}}, {"TEXT": ":"}],
                *_SELF_INTRODUCTION_PATTERNS,
                [{"LOWER": "this"}, {"LOWER": "is"}],
                [{"LOWER": {"IN": _TITLES}}],
                [{"LOWER": "account"}, {"LOWER": "holder"}, {"TEXT": ":", "OP": "?"}],
                [{"IS_SPACE": True}, {"LOWER": {"IN": ["from", "to", "cc"]}}, {"TEXT": ":"}],
                [{"LOWER": {"IN": ["recipient", "addressee"]}}, {"LOWER": "is"}],
                [{"LOWER": "speaking"}, {"LOWER": "with"}],
                [{"LOWER": "ask"}, {"LOWER": "for"}],
                [{"LOWER": {"IN": ["called", "named"]}}],
                [{"LOWER": "signed"}, {"LOWER": "for"}, {"LOWER": "by"}],
                [
                    {"LOWER": {"IN": ["details", "kontoinhaber", "inhaber", "titular", "titulaire", "intestatario"]}},
                    {"TEXT": ":"},
                ],
                [{"LOWER": {"IN": ["my", "his", "her", "our"]}}, {"LOWER": {"IN": _RELATIVES}}],
                [{"LOWER": {"IN": _INLINE_SIGN_OFFS}}, {"TEXT": {"IN": [",", "."]}}],
                [{"LOWER": {"IN": list(_COMMA_CUES)}}, {"TEXT": ","}],
                [{"LOWER": "addressed"}, {"LOWER": "to"}],
                [{"LOWER": "under"}, {"LOWER": "the"}, {"LOWER": "name"}, {"IS_PUNCT": True, "OP": "?"}],
                [{"LOWER": {"IN": _SIGN_OFFS}}, {"IS_PUNCT": True, "OP": "?"}, {"IS_SPACE": True}],
                [{"LOWER": "thank"}, {"LOWER": "you"}, {"IS_PUNCT": True, "OP": "?"}, {"IS_SPACE": True}],
                [{"IS_SPACE": True}, {"TEXT": {"IN": ["—", "–", "-", "--"]}}],
            ],
        )

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        for match_id, start, end in self.matcher(doc):
            kind = doc.vocab.strings[match_id]
            if kind.startswith("ADDRESS"):
                span = self._check_address(doc, start, end, named=kind == "ADDRESS_NAMED")
            else:
                span = getattr(self, f"_check_{kind.lower()}")(doc, start, end)
            if span is not None:
                spans.append(span)
        doc.spans["pii"] = spacy.util.filter_spans(spans)
        return doc

    # Each check returns a labeled span (possibly trimmed or extended) or None.
    def _check_email_spelled(self, doc: Doc, start: int, end: int) -> Span | None:
        return Span(doc, start, end, label="EMAIL")

    def _check_email(self, doc: Doc, start: int, end: int) -> Span | None:
        return Span(doc, start, end, label="EMAIL") if _EMAIL_CORE.search(doc[start:end].text) else None

    def _check_url(self, doc: Doc, start: int, end: int) -> Span | None:
        text = doc[start:end].text
        if "@" in text or any(p.search(text) for p in (_URL_SECRET, _URL_RANDOM_VALUE, _URL_SECRET_PATH)):
            return Span(doc, start, end, label="URL")
        return None

    def _check_iban(self, doc: Doc, start: int, end: int) -> Span | None:
        for stop in range(end, start, -1):
            if iban_valid("".join(t.text for t in doc[start:stop])):
                return Span(doc, start, stop, label="IBAN")
        return None

    def _check_number_run(self, doc: Doc, start: int, end: int) -> Span | None:
        while end > start and doc[end - 1].text in "-.()/":
            end -= 1
        if end <= start:
            return None
        text = doc[start:end].text
        if _DATE_LIKE.match(text.strip("()")):
            return None
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
        before = [t.lower_.strip(":#.") for t in doc[max(0, start - 4) : start]]
        k = start - 1
        while k >= 0 and start - k <= 4 and doc[k].lower_ in _REFERENCE_FILLERS:
            k -= 1
        if k >= 0 and (doc[k].lower_ in _REFERENCE_CUES or doc[k].lower_.endswith(("nummer", "number"))):
            return False
        previous = doc[start - 1] if start > 0 else None
        if (
            previous is not None
            and re.fullmatch(r"[A-Z]{2}\d{2}|[A-Z]{2,4}", previous.text)
            and (previous.lower_ not in _PHONE_CUES)
        ):
            return False  # "NL83 BUNQ 4436 9102 45", "CN 448 120 331": the tail of a code, not a phone
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
        spaced = text.split()
        if 2 <= len(spaced) <= 5 and all(g.isdigit() for g in spaced) and 9 <= len(digits) <= 12:
            return all(2 <= len(g) <= 4 for g in spaced[:-1]) and len(spaced[-1]) >= 2  # 612 55 50 19, 347 5550198
        return len(tokens) == 1 and digits.startswith("0") and 10 <= len(digits) <= 11

    def _check_address(self, doc: Doc, start: int, end: int, named: bool = False) -> Span | None:
        if named:
            end -= 1  # the pattern ends on the comma after the street
        if _dated_number(doc, start, end):
            return None
        # "Witte de Withstraat 160": street-name words and particles before a compound street.
        if _COMPOUND_STREET.match(doc[start].text):
            while start > 0 and end - start < 6 and (doc[start - 1].is_title or doc[start - 1].lower_ in _PARTICLES):
                start -= 1
            while doc[start].lower_ in _PARTICLES:
                start += 1
        # "Flat 3, 157 Kingsley Crescent": take a unit prefix in front.
        if (
            start >= 3
            and doc[start - 1].text == ","
            and doc[start - 2].like_num
            and doc[start - 3].lower_ in _UNIT_WORDS
        ):
            start -= 3
        elif start >= 2 and doc[start - 1].like_num and doc[start - 2].lower_ in _UNIT_WORDS:
            start -= 2
        stop = end
        # "67 bus 2", "188-A", "115 bis": short suffixes straight after the house number.
        while (
            stop < len(doc)
            and stop - end < 3
            and (
                doc[stop].lower_ in _ADDRESS_SUFFIX_WORDS
                or (doc[stop].text in "-/" and stop + 1 < len(doc) and len(doc[stop + 1].text) <= 3)
                or (stop > end and len(doc[stop].text) <= 3 and doc[stop - 1].text in "-/")
                or (stop > end and doc[stop - 1].lower_ in _ADDRESS_SUFFIX_WORDS and doc[stop].like_num)
            )
        ):
            stop += 1
        # ", Leith", ", Edinburgh EH6 6QW", ", IL 62704", ", 1º izq.", ", 3. OG links", ", 1015 CJ Amsterdam".
        parts = 0
        while stop < len(doc) - 1 and doc[stop].text == "," and parts < 5:
            part_end = _address_part_end(doc, stop + 1)
            if part_end == stop + 1:
                break
            stop = part_end
            parts += 1
        if named:
            # "Rose Cottage, Rowan Crescent, Manchester M14 3GL": only with a postcode, with the house name.
            if not (_UK_POSTCODE.search(doc[start:stop].text) or _EIRCODE.search(doc[start:stop].text)):
                return None
            if start >= 2 and doc[start - 1].text == ",":
                house = start - 1
                while house > 0 and start - house < 4 and doc[house - 1].is_title:
                    house -= 1
                if house < start - 1:
                    start = house
        return Span(doc, start, stop, label="ADDRESS")

    def _check_person_cue(self, doc: Doc, start: int, end: int) -> Span | None:
        cue = doc[start:end].text.lower().strip()
        name_start = end
        while name_start < len(doc) and (doc[name_start].is_space or doc[name_start].text == ","):
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
        if cue.startswith("chamo") and cue != "chamo-me":
            return None  # "chamo - me": the prefilter asks for the written form
        first = cue.split()[0] if cue.split() else ""
        tokens = cue.split()
        after = doc[name_end] if name_end < len(doc) else None
        ends_clause = after is None or after.is_space or after.text in ".,;!?—–"
        inline_sign_off = tokens[-1] in {",", "."} and tokens[0] in _CLOSING_WORDS
        trailing_words = after is not None and not after.is_space and after.text not in ".!" and name_end < len(doc) - 1
        if inline_sign_off and (not ends_clause or trailing_words):
            return None  # "Thanks, Tom for ..." or "Cheers, Great stay" are not signatures
        if (
            tokens[0] in {"my", "his", "her", "our", "called", "named"}
            and name_end - name_start < 2
            and not ends_clause
        ):
            return None
        if first in {"—", "–", "-", "--"} and name_end - name_start < 2:
            return None  # "- Great stay" is a bullet; a dash signature carries a full name
        if (first in _SIGN_OFFS or first == "thank") and (
            name_end < len(doc) and not doc[name_end].is_space and not doc[name_end].is_punct
        ):
            return None  # "Thanks\nJo for ..." is a sentence, not a signature
        return Span(doc, name_start, name_end, label="PERSON")


@Language.factory("touchtext_pii")
def _make_pii_detector(nlp: Language, name: str) -> PiiDetector:
    return PiiDetector(nlp, name)


_RECENT_SIZE = 64  # texts whose `find` result a Redactor remembers ...
_RECENT_MAX_CHARS = 20_000  # ... when they are no longer than this


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
        # The last few `find` results by text: cleaning redacts a cell's cleaned text and then
        # its raw text, which for most reviews are the same string. Not pickled (see __getstate__).
        self._recent: OrderedDict[str, list[PiiSpan]] = OrderedDict()

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])  # type: ignore[misc]

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            nlp = spacy.blank("en")
            tokenizer: Any = nlp.tokenizer
            tokenizer.token_match = _WHOLE_TOKEN.fullmatch  # keep e-mail addresses and URLs whole
            nlp.add_pipe("touchtext_pii")
            self._nlp = nlp
        return self._nlp

    def find(self, text: str) -> list[PiiSpan]:
        """Personal data in `text`, as non-overlapping spans in text order."""
        if not self.settings.enabled or not text:
            return []
        found = self._recent.get(text)
        if found is None:
            found = self._find(text)
            if len(text) <= _RECENT_MAX_CHARS:
                if len(self._recent) >= _RECENT_SIZE:
                    self._recent.popitem(last=False)
                self._recent[text] = found
        return list(found)

    def _find(self, text: str) -> list[PiiSpan]:
        found: list[PiiSpan] = []
        if _might_hold_pii(text):
            doc = self.nlp(text)
            found = [_narrow(PiiSpan(s.label_, s.start_char, s.end_char, s.text)) for s in doc.spans["pii"]]
        for kind, pattern in self._extra:
            found += [PiiSpan(kind, m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]
        if self._deny is not None:
            found += [PiiSpan("PERSON", m.start(), m.end(), m.group(0)) for m in self._deny.finditer(text)]
        found = [s for s in found if s.text.lower() not in self._allow]
        return _non_overlapping(found)

    def redact(self, aligned: Aligned) -> tuple[Aligned, list[PiiSpan]]:
        """Replace personal data in an aligned text with typed placeholders.

        Repeats until nothing new is found (a replacement changes tokenization around it), so
        redacting redacted text changes nothing.
        """
        found: list[PiiSpan] = []
        for _ in range(4):
            spans = self.find(aligned.text)
            if not spans:
                break
            found += spans
            aligned = aligned.replace_spans([(s.start, s.end, f"[{s.type}]") for s in spans])
        return aligned, found

    def redact_text(self, text: str) -> str:
        """Plain-string convenience for `redact`."""
        return self.redact(Aligned(text))[0].text


def _narrow(span: PiiSpan) -> PiiSpan:
    """Trim wrappers a token carries: `mailto:` around an e-mail, `tel:` before a number."""
    if span.type == "EMAIL":
        core = _EMAIL_CORE.search(span.text)
    elif span.type == "PHONE":
        core = re.search(r"[+(]?\d.*", span.text)
    else:
        return span
    if core is None or core.group(0) == span.text:
        return span
    return PiiSpan(span.type, span.start + core.start(), span.start + core.end(), core.group(0))


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


def score_redaction(cases: Sequence[dict[str, Any]], redactor: Redactor | None = None) -> pd.DataFrame:
    """Recall and precision per type on labeled cases, and how many look-alikes survived.

    Each case is `{"text": ..., "pii": [{"type", "value"}], "keep": [{"type", "value"}]}`. A
    planted value counts as found when one span of its type covers it entirely; a found span
    is correct when it overlaps a planted value of its type; a look-alike survives when no
    span touches it.
    """
    redactor = redactor or Redactor()
    stats: dict[str, dict[str, int]] = {t: {"planted": 0, "found": 0, "predicted": 0, "correct": 0} for t in PII_TYPES}
    kept = total_keep = 0
    for case in cases:
        text = case["text"]
        spans = redactor.find(text)
        planted = [(p["type"], *_locate(text, p["value"])) for p in case.get("pii", [])]
        for kind, start, end in planted:
            stats[kind]["planted"] += 1
            if any(s.type == kind and s.start <= start and end <= s.end for s in spans):
                stats[kind]["found"] += 1
        for s in spans:
            row = stats.setdefault(s.type, {"planted": 0, "found": 0, "predicted": 0, "correct": 0})
            row["predicted"] += 1
            if any(kind == s.type and s.start < end and start < s.end for kind, start, end in planted):
                row["correct"] += 1
        for keep in case.get("keep", []):
            start, end = _locate(text, keep["value"])
            total_keep += 1
            kept += not any(s.start < end and start < s.end for s in spans)
    rows = [
        {"type": t, "planted": v["planted"], "found": v["found"], "predicted": v["predicted"],
         "recall": v["found"] / v["planted"] if v["planted"] else float("nan"),
         "precision": v["correct"] / v["predicted"] if v["predicted"] else float("nan")}
        for t, v in stats.items()
    ]  # fmt: skip
    planted_total = sum(v["planted"] for v in stats.values())
    predicted_total = sum(v["predicted"] for v in stats.values())
    rows.append({
        "type": "ALL", "planted": planted_total, "found": sum(v["found"] for v in stats.values()),
        "predicted": predicted_total,
        "recall": sum(v["found"] for v in stats.values()) / max(planted_total, 1),
        "precision": sum(v["correct"] for v in stats.values()) / max(predicted_total, 1),
    })  # fmt: skip
    rows.append({"type": "LOOK-ALIKES KEPT", "planted": total_keep, "found": kept, "predicted": 0,
                 "recall": kept / max(total_keep, 1), "precision": float("nan")})  # fmt: skip
    return pd.DataFrame(rows)


def _locate(text: str, value: str) -> tuple[int, int]:
    start = text.find(value)
    return (start, start + len(value)) if start >= 0 else (0, 0)
