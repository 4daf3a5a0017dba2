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
        # Self-introductions in the other model languages, and the look-alikes they must leave alone.
        ("Mein Name ist Peter Schulz, Kundennummer 4471", "Mein Name ist [PERSON], Kundennummer 4471"),
        ("Hallo, ich heiße Jürgen Weiß und warte seit Mai", "Hallo, ich heiße [PERSON] und warte seit Mai"),
        ("Wir heißen Sie herzlich willkommen", "Wir heißen Sie herzlich willkommen"),
        ("Ich heiße Sie willkommen", "Ich heiße Sie willkommen"),
        ("Ich heiße Ihre Entscheidung gut.", "Ich heiße Ihre Entscheidung gut."),
        ("Ich heiße Euch herzlich willkommen", "Ich heiße Euch herzlich willkommen"),
        ("Der Name ist Programm: super schnelle Lieferung.", "Der Name ist Programm: super schnelle Lieferung."),
        ("Mein Name lautet Anna Becker.", "Mein Name lautet [PERSON]."),
        ("Mijn naam is Sanne de Vries.", "Mijn naam is [PERSON]."),
        ("ik heet Daan en de bezorging was laat", "ik heet [PERSON] en de bezorging was laat"),
        ("Bonjour, je m'appelle Claire Dubois et j'attends", "Bonjour, je m'appelle [PERSON] et j'attends"),
        ("Mon nom est Luc Martin.", "Mon nom est [PERSON]."),
        ("je m’appelle Élodie", "je m’appelle [PERSON]"),
        ("Hola, me llamo Lucía Pérez y", "Hola, me llamo [PERSON] y"),
        ("Mi nombre es Ana García.", "Mi nombre es [PERSON]."),
        ("me llamó la atención el precio", "me llamó la atención el precio"),
        ("Mi chiamo Giulia Rossi e", "Mi chiamo [PERSON] e"),
        ("Il mio nome è Marco Bianchi.", "Il mio nome è [PERSON]."),
        ("Meu nome é João Silva e", "Meu nome é [PERSON] e"),
        ("Chamo-me Ana Souza.", "Chamo-me [PERSON]."),
        ("Me chamo Rafael", "Me chamo [PERSON]"),
        ("my name is, Ann", "my name is, [PERSON]"),
        # First names and surnames, in every model language, and form labels before a name; a
        # noun after "Der Vorname ist" stays (the cue needs "mein"), as does "surname, Address".
        ("My surname is Whitfield and the bill was wrong", "My surname is [PERSON] and the bill was wrong"),
        ("Forename: Ann, surname: Lee", "Forename: [PERSON], surname: [PERSON]"),
        ("Mein Vorname ist Peter, mein Nachname lautet Schulz.", "Mein Vorname ist [PERSON], mein Nachname lautet [PERSON]."),
        ("Der Vorname ist Nebensache, die Lieferung nicht.", "Der Vorname ist Nebensache, die Lieferung nicht."),
        ("Mijn voornaam is Sanne en", "Mijn voornaam is [PERSON] en"),
        ("Mon prénom est Claire, mon nom de famille est Dubois.", "Mon prénom est [PERSON], mon nom de famille est [PERSON]."),
        ("Mi apellido es García y", "Mi apellido es [PERSON] y"),
        ("Il mio cognome è Rossi.", "Il mio cognome è [PERSON]."),
        ("Meu sobrenome é Silva e", "Meu sobrenome é [PERSON] e"),
        ("Username: Admin123 never worked", "Username: Admin123 never worked"),
        ("surname, Address and phone were all wrong", "surname, Address and phone were all wrong"),
        ("Surname : Lee, the refund never came", "Surname : [PERSON], the refund never came"),
        ("Name : Ann Lee", "Name : [PERSON]"),
        ("Vorname: Peter, Nachname: Schulz", "Vorname: [PERSON], Nachname: [PERSON]"),
        ("Nom : Dubois, Prénom : Claire", "Nom : [PERSON], Prénom : [PERSON]"),
        ("Nombre y apellidos: Ana García", "Nombre y apellidos: [PERSON]"),
        ("Cognome: Rossi, nome: Marco", "Cognome: [PERSON], nome: [PERSON]"),
        # A cue word glued to punctuation, a symbol or an emoji: the prefilter splits words as the tokenizer does.
        ("¡Gracias, Ana!", "¡Gracias, [PERSON]!"),
        ("«Merci, Claire»", "«Merci, [PERSON]»"),
        ("“Thanks, Ann”", "“Thanks, [PERSON]”"),
        ("Great stay 😀Thanks, Geoff", "Great stay 😀Thanks, [PERSON]"),
        ("*thanks, Ann", "*thanks, [PERSON]"),
        ("Ring me (+Dr. J. Whitmore)", "Ring me (+[PERSON])"),
        ("It was a 😀great stay", "It was a 😀great stay"),
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
def test_split_prefilter_regexes_flag_no_more_than_the_combined_ones(text):
    # Only as much: glued codes and prefixed streets without a house number are skipped since
    # (see test_prefilter_skips_only_texts_the_detector_finds_nothing_in), and beyond them only
    # the street shapes of the closed gaps are flagged.
    lower = text.lower()
    words = redaction._words(lower)
    assert redaction._has_number_or_contact(text) <= bool(_COMBINED_NUMBERS.search(text))
    hinted = not words.isdisjoint(redaction._STREET_HINTS) or bool(redaction._COMPOUND_HINT.search(lower))
    combined = bool(_COMBINED_STREETS.search(text) or _CLOSED_GAPS.search(text))
    assert redaction._has_street(text, lower, words) <= (hinted and combined)


def test_every_name_cue_holds_one_of_its_family_key_words():
    """The name family's pattern runs only when a key word is in the text; the keys are picked by
    hand (the rarest word of each cue), so a cue added without one would never be looked for."""
    keys = redaction._CUE_FAMILIES[0][0]
    for cue in redaction._NAME_CUE_WORDS.split("|"):
        assert redaction._words(cue) & keys, cue


# The cue patterns without letter grouping: the grouped ones must find the same matches.
_PLAIN_CUE_PATTERNS = [
    re.compile(rf"(?:{redaction._NAME_CUE_WORDS})(?:[\s,]+|(?<=[:,]))"),
    re.compile(rf"\b(?:my|his|her|our) (?:{redaction._RELATIVE_WORDS})[\s,]+"),
    re.compile(rf"\b(?:{redaction._SIGN_OFF_WORDS})(?=[^\w ]| [^\w]){redaction._SIGN_OFF_SEPARATOR}"),
]

# The prefilter as it was before its fast paths (substring tests, bytes splitting, letter-grouped
# alternations, the lowercased ASCII street regex) and before its gaps were closed: the fast one
# flags no more than it, except for the shapes of the closed gaps (`_CLOSED_GAPS`).
_OLD_SIGN_OFF_WORDS = (
    "regards|wishes|thanks|thank you|cheers|best|sincerely|danke|gracias|cordialement|grazie|obrigado|obrigada|"
    "groeten|saludos|merci|bedankt|tack|mvg|mfg|million|much|advance"
)
_OLD_CUE_PATTERNS = [
    *_PLAIN_CUE_PATTERNS[:2],
    re.compile(rf"\b(?:{_OLD_SIGN_OFF_WORDS})[,.!]?[ \t]*[\n,.][ \t]*"),
]
_OLD_PRECHECK_CUES = re.compile(
    r"(?i:name(?:'s| is|:|,)|this is|speaking with|ask for|called|named|signed for by|account holder:?|"
    r"details:|recipient is|addressee is|addressed to|under the name|kontoinhaber:?|inhaber:|titular:|titulaire:|"
    r"(?:my|his|her|our) (?:partner|wife|husband|son|daughter|mother|father|mum|mom|dad|brother|sister|"
    r"colleague|boss|friend|tenant|landlord|grandmother|grandfather),?)\s+[A-ZÀ-Þ]"
    rf"|(?i:{_OLD_SIGN_OFF_WORDS})[,.!]?[ \t]*(?:\n|,|\.)[ \t]*[A-ZÀ-Þ]"
    r"|(?i: at [\w-]+ dot )"
)
_OLD_PRECHECK_LINES = re.compile(r"(?:^|\n)[ \t]*(?:[—–-]{1,2}|(?i:from|to|cc):) ?[A-ZÀ-Þ]")
# The shapes the old prefilter skipped although the detector takes them, written plainly: a
# sign-off and a name apart by punctuation and whitespace with a "," or "." or whitespace other
# than one space in it; a dash or header after such whitespace; a prefixed street with its house
# number after a comma or a glued "."; a French street with the house number first.
_FRENCH_TYPES = "|".join(redaction._FRENCH_STREET_TYPES)
_CLOSED_GAPS = re.compile(
    rf"(?<![^\W\d_])(?i:{redaction._SIGN_OFF_WORDS})\W*?(?:[,.]|[^\S ]|  )\W*?[A-ZÀ-Þ]"
    r"|(?:^|\s)\s*(?:[—–-]{1,2}|(?i:from|to|cc) ?:)[\s,]*[A-ZÀ-Þ]"
    rf"|\b(?i:{redaction._STREET_PREFIXES_PATTERN})\b ?\.? ?[^\W\d_]+(?: [^\W\d_]+){{0,3}} ?,? ?\d"
    rf"|\d[A-Za-z]? (?:(?i:bis|ter) )?(?i:{_FRENCH_TYPES}) [^\W\d_]"
    rf"|\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-ZÀ-Þ][\w'’-]*\s+){{5,}}(?i:{redaction._STREET_WORDS})\b"  # long street names
    r"|(?i:[a-zäöüß](?:straße|strasse|str\.|gasse|weg|allee|platz|straat|gracht|laan|plein|kade|dijk|vej|gatan|gade))"
    r"\s+\d"  # a compound street name in any case ("HauptStraße 5")
    # a name cue with a comma before the name ("my name is, Ann"), or one in another language
    rf"|(?i:{redaction._NAME_CUE_WORDS}|(?:my|his|her|our) (?:{redaction._RELATIVE_WORDS}))[\s,]*[A-ZÀ-Þ]"
)


def _reference_might_hold_pii(text):
    has_digit = redaction._DIGIT_OR_AT.search(text) is not None
    if has_digit and _COMBINED_NUMBERS.search(text):
        return True
    lower = text.lower()
    words = redaction._words(lower)
    hinted = not words.isdisjoint(redaction._STREET_HINTS) or bool(redaction._COMPOUND_HINT.search(lower))
    if has_digit and hinted and _COMBINED_STREETS.search(text):
        return True
    if not words.isdisjoint(redaction._TITLE_KEYS) and redaction._PRECHECK_TITLES.search(text):
        return True
    if "\n" in text and _OLD_PRECHECK_LINES.search(text):
        return True
    if len(lower) != len(text):
        return bool(_OLD_PRECHECK_CUES.search(text))
    for (keys, _), pattern in zip(redaction._CUE_FAMILIES, _OLD_CUE_PATTERNS, strict=True):
        if not words.isdisjoint(keys) and any(
            m.end() < len(text) and text[m.end()].isupper() for m in pattern.finditer(lower)
        ):
            return True
    return "at" in words and "dot" in words and bool(_OLD_PRECHECK_CUES.search(text))


_GATE_PIECES = [
    *_PREFILTER_PIECES, "name is Ann", "recalled Bo", "this is Jo", "my wife Eva", "his boss,  Li", "thanks,\nTom",
    "thank you.\nAnn", "Best, Max", "*thanks, Ann", "much. Bea", "Mr Smith", "Dr. Who", "\nFrom: Ann", "— Ann",
    "at x dot com", "account holder: Ann", "under the name Bo", "Rua Augusta ", "*rua X ", "RUE de ", "ſt", "K",
    "\x1c", "\u2028", "–", "£5", "😀", "é", "Straße 5", "allée X ", "praça Y ", "×", "Ÿ", "called", "Called",
    "mein name ist Ann", "Name ist", "ich heiße", "Sie", "je m'appelle", "je m’appelle Bo", "me llamo", "Me",
    "mio nome è", "meu nome é Li", "nome è", "chamo-me", "chamo", "-me", "ik heet", "mijn naam is", "mi chiamo",
    "mon nom est", ",", "Ann", "my wife,Eva", "Mein Name lautet", "Ihre", "surname is", "Forename:", "Vorname ist",
    "mein Nachname ist", "mijn achternaam is", "mon prénom est", "nom de famille est", "mi apellido es", "mio cognome è",
    "meu apelido é", "HauptStraße 5", "STRASSE 5", "username:", "name :", "surname ,", "Nachname:", "prénom :",
    "apellidos :",
]  # fmt: skip


@given(
    st.lists(st.sampled_from(_GATE_PIECES), max_size=8).map(" ".join)
    | st.lists(st.sampled_from(_GATE_PIECES), max_size=8).map("".join)
    | st.text(alphabet=st.sampled_from(list("aA1 .,:\n\tmyhisr@ſKıİ£😀é—–\u00a0\x1c")), max_size=40)
    | st.text(max_size=40)
)
@settings(max_examples=3000, deadline=None)
def test_fast_prefilter_flags_no_more_than_the_reference(text):
    assert redaction._might_hold_pii(text) <= (_reference_might_hold_pii(text) or bool(_CLOSED_GAPS.search(text)))


def _detector_spans(redactor, text):
    """What the spaCy pass finds in `text`, run whatever the prefilter says."""
    doc = redactor.nlp(text)
    return [(span.label_, span.text) for span in doc.spans["pii"]]


def _assert_prefilter_skips_only_what_holds_nothing(redactor, text):
    """The prefilter flags every text the detector finds something in, and beyond the reference
    only texts with a shape of the closed gaps: so `find` returns what it did, or more."""
    fast = redaction._might_hold_pii(text)
    assert fast or not _detector_spans(redactor, text), text
    assert not fast or _reference_might_hold_pii(text) or _CLOSED_GAPS.search(text), text


# Pieces of personal data (and their look-alikes) in several languages, and ordinary review text.
_PII_PIECES = [
    "my name is Joanna Whitfield", "My name's Ann", "name: Bo Li", "name, I write", "company name, I write 3 times",
    "this is Kelly.", "this is Kelly calling", "you're speaking with Alan, can I", "ask for Priya", "ask for the manager",
    "a supervisor called Delia actually sorted it", "called Delia.", "called Delia, who", "named Jo Marsh-Abbott",
    "called Tom van der Berg today", "my wife Eva went", "my wife Eva van Dijk went", "his boss, Li", "our son I think",
    "Regards,\nTom", "Kind regards,\nAnn Lee", "Thanks, Geoff", "Thanks, Geoff for nothing", "Cheers, Great stay",
    "thanks.\nThe", "Thanks. The food", "at best. They emailed", "didnt say much. Gnocchi", "Thanks so much, Ann",
    "thanks in advance, Bea", "thanks in advance. Bea", "a million, Jo", "\n— Ann Smith", "\nFrom: Ann", "Mr Smith",
    "Dr. J. Whitmore", "Mrs O'Connell", "Herr Müller", "Mme Dubois", "Miss January", "Danke, Jürgen", "Gracias, Ana",
    "Cordialement,\nMarie", "I answered, I think", "Thanks, I will", "A lot", "Best, Max", "account holder: Ann Lee",
    "jo.doe+bills@mail.example.co.uk", "mailto:ann@example.com", "x (at) y dot com", "ann at example dot com",
    "https://x.example/reset?token=ab12cd34", "www.brightwave.example/help", "call 07700 900123", "+44 7700 900123",
    "(020) 7946 0018", "555-010-4477", "612 55 50 19", "tel:+33612345678", "order 4402918833", "ORD-559201",
    "account KF-3310288", "order FF-2204871", "ACC-22718864", "KF-3310288 07700 900123", "x-0770090012",
    "ref 0044712345", "4111 1111 1111 1111", "card 4111-1111-1111-1111", "GB82 WEST 1234 5698 7654 32",
    "DE89 3704 0044 0532 0130 00", "NL83 BUNQ 4436 9102 45", "EH6 6QW", "D02 X285", "SW1A 1AA", "14 Harbour Road",
    "14 Harbour Road, Leith, Edinburgh EH6 6QW", "Flat 3, 157 Kingsley Crescent", "Hauptstraße 5", "Kanalweg 12",
    "Witte de Withstraat 160", "Rua Augusta 5", "via Roma 3", "via the app",
    "via the app 5", "via invoice instead", "Ordered via the Mama Zaza's app", "Avenida da Liberdade 110",
    "av. Paulista 1578", "12 bis rue des Lilas", "rue des Lilas",
    "Rose Cottage, Rowan Crescent, Manchester M14 3GL", "Thank you!\n\nElena", "Thank you.\n\nMarion", "Ta, Geoff",
    "Yours,\nDaniel Okafor", "\n-- \nLaszlo Kovacs", "our thanks.\n\nSheila Dawson", "Thanks :)\n\nJo", "Best  Anna",
    "stay  - Tom Smith", "stay\t— Ann Smith", "\xa0From: Ann Lee", "\nFrom : Ann Lee", "a  To : Bo Li", "Rua Augusta, 27", "Calle Mayor, 12",
    "av.Paulista 1578", "43 bis boulevard Voltaire, 33800 Bordeaux", "5 place Bellecour", "5 route de Lyon",
    "in 1 place", "The room was fine", "Staff were lovely", "3 times", "£40 off", "10/10", "2 hours", "Flight BA 2490",
    "seat 14C", "on 12/03/2026", "€120.50", "Great stay", "the app keeps crashing", "Called the bank", "\n", "\n\n",
    "Mein Name ist Peter Schulz", "ich heiße Jürgen Weiß", "ich heiße Sie willkommen", "Mijn naam is Sanne de Vries",
    "ik heet Daan", "je m'appelle Claire Dubois", "Mon nom est Luc Martin", "me llamo Lucía Pérez",
    "Mi nombre es Ana", "Mi chiamo Giulia Rossi", "il mio nome è Marco", "meu nome é João Silva", "Chamo-me Ana",
    "chamo - me Ana", "Me chamo Rafael", "Der Name ist Programm", "Ich heiße Ihre Idee gut", "my name is, Ann", "called,Bo", "my wife,Eva", "¡Gracias, Ana!",
    "«Merci, Claire»", "😀Thanks, Geoff", "*thanks, Ann", "(+Dr. J. Whitmore", "My surname is Lee", "Forename: Ann",
    "Mein Vorname ist Peter", "Der Vorname ist Nebensache", "Mijn achternaam is Jansen", "Mon prénom est Luc",
    "mon nom de famille est Martin", "Mi apellido es Ruiz", "il mio cognome è Rossi", "Meu sobrenome é Silva",
    "HauptStraße 5", "KANALWEG 12", "Surname : Lee", "Name : Ann", "details , Bo", "Nachname: Schulz", "Prénom : Claire",
    "apellidos: Ana", "Cognome : Rossi", "surname, Address", "Naam: Sanne de Vries",
]  # fmt: skip


# Personal data the prefilter used to skip, and so never redacted, although the detector finds
# it (from the labeled data and the samples, and the same shapes without a line break).
_CLOSED_PREFILTER_GAPS = [
    ("Receipt attached.\n\nYours,\nDaniel Okafor", "PERSON", "Daniel Okafor"),
    ("Flight is in 6 hours.\n\n-- \nLaszlo Kovacs", "PERSON", "Laszlo Kovacs"),
    ("No reply yet.\n\n--\nLaszlo Kovacs", "PERSON", "Laszlo Kovacs"),
    ("Whoever pushed for that feature, thank you!\n\nHarriet Boyd\nTreasurer, Millbrook Allotment Society",
     "PERSON", "Harriet Boyd"),
    ("Much easier with bags of coins. Thank you!\n\nGail Moreton\nMoreton's Bakery", "PERSON", "Gail Moreton"),
    ("They couldn't do anything.\n\nTa,\nLily", "PERSON", "Lily"),
    ("Could it be moved to 2pm instead? Thank you!\n\nElena", "PERSON", "Elena"),
    ("Will pop in Friday if you've got it. Ta, Geoff", "PERSON", "Geoff"),
    ("Much faster than I expected. Thank you.\n\nMarion Fitch", "PERSON", "Marion Fitch"),
    ("Much faster than I expected. Thank you.\n\nHarriet", "PERSON", "Harriet"),
    ("Please send someone to label them.\n\nYours,\nKevin Brisco, Flat 5", "PERSON", "Kevin Brisco"),
    ("Please pass on our thanks.\n\nSheila Dawson", "PERSON", "Sheila Dawson"),
    ("Great stay  - Tom Smith", "PERSON", "Tom Smith"),
    ("Lovely.\xa0From: Ann Lee", "PERSON", "Ann Lee"),
    ("Customer: It's 43 bis boulevard Voltaire, 33800 Bordeaux.", "ADDRESS", "43 bis boulevard Voltaire, 33800 Bordeaux"),
    ("I live at Rua Augusta, 27 now", "ADDRESS", "Rua Augusta, 27"),
    ("Send it to Calle Mayor, 12, Madrid", "ADDRESS", "Calle Mayor, 12, Madrid"),
    ("We are at 5 place Bellecour, Lyon", "ADDRESS", "5 place Bellecour, Lyon"),
    ("moved to 5 route de Lyon", "ADDRESS", "5 route de Lyon"),
    ("Visit us at av.Paulista 1578", "ADDRESS", "av.Paulista 1578"),
    ("deliver to 12 Saint John The Baptist Church Road please", "ADDRESS", "12 Saint John The Baptist Church Road"),
    ("14 Harbour Road14 Harbour Road14 Harbour Road ", "ADDRESS", "14 Harbour Road14 Harbour Road14 Harbour Road"),
    ("Bitte an die HauptStraße 5 liefern", "ADDRESS", "HauptStraße 5"),
    ("Lieferung an HAUPTSTRASSE 12 kam nie", "ADDRESS", "HAUPTSTRASSE 12"),
    ("My surname is Whitfield", "PERSON", "Whitfield"),
    ("Mein Vorname ist Peter", "PERSON", "Peter"),
    ("Name : Ann Lee", "PERSON", "Ann Lee"),
    ("Surname : Lee, the refund never came", "PERSON", "Lee"),
    ("account holder : Max Muster", "PERSON", "Max Muster"),
    ("Nachname: Schulz", "PERSON", "Schulz"),
    ("Prénom : Claire", "PERSON", "Claire"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "found"), _CLOSED_PREFILTER_GAPS)
def test_prefilter_flags_the_personal_data_it_used_to_skip(redactor, text, kind, found):
    assert redaction._might_hold_pii(text)
    assert (kind, found) in [(span.type, span.text) for span in redactor.find(text)]


def test_a_sign_off_word_must_start_a_word_where_lowercasing_changes_the_length(redactor):
    # "İ" lowercases to two characters, so only `_PRECHECK_CUES` decides: "Augusta  R" ends in
    # "ta" (a sign-off) before two spaces and a capital, but spaCy never splits it off.
    assert not redaction._might_hold_pii("İ Rua Augusta  Rua Augusta ")
    text = "İ _thanks,\nTom"  # "_" is split off: a sign-off token and a name
    assert redaction._might_hold_pii(text) and ("PERSON", "Tom") in _detector_spans(redactor, text)


def test_prefilter_still_skips_a_text_the_detector_mistakes_for_personal_data(redactor):
    text = "I didn't miss January, the payment"
    assert _detector_spans(redactor, text) == [("PERSON", "miss January")]  # a title and a name
    assert not redaction._might_hold_pii(text) and not redactor.find(text)


@pytest.mark.parametrize(
    "text",
    [
        "Ordered fibre on 2 Feb, go-live 16 Feb. Rooftop terrace is gorgeous",
        "Order 5521 via FeastFleet, 12 March, arrived cold",
        "booked via Expedia, 3 June 2025 for the whole family",
        "came in via Heathrow, 14 Aug. and the queue was huge",
        "réservé via Booking, 12 juillet",
    ],
)
def test_a_house_number_that_a_month_follows_is_a_date(redactor, text):
    assert _detector_spans(redactor, text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("We live at 12 March Road now", "12 March Road"),
        ("Hauptstraße 5 Mai geliefert", "Hauptstraße 5"),
        ("Send it to Calle Mayor, 12, Madrid by 3 May", "Calle Mayor, 12, Madrid"),
        ("Flat 2, 14 Harbour Road, since 1 June", "Flat 2, 14 Harbour Road"),
    ],
)
def test_addresses_beside_dates_are_still_found(redactor, text, found):
    assert ("ADDRESS", found) in _detector_spans(redactor, text)


@given(
    st.lists(
        st.tuples(st.sampled_from(_PII_PIECES), st.sampled_from([" ", ". ", ", ", "\n", "\n\n", ""])), max_size=6
    ).map(lambda parts: "".join(piece + sep for piece, sep in parts))
)
@settings(max_examples=2500, deadline=None)
def test_prefilter_skips_only_texts_the_detector_finds_nothing_in(redactor, text):
    _assert_prefilter_skips_only_what_holds_nothing(redactor, text)


def test_no_name_starts_with_a_stop_word_after_a_cue(redactor):
    """`_no_name_after_cue` takes a capitalized stop word for the end of a name: check each."""
    for word in sorted(redaction._NOT_NAME_STARTS):
        if re.fullmatch(r"[a-z]+", word):
            name = word.capitalize()
            text = f"my name is {name} too. Thanks, {name} here\nRegards,\n{name}, and called {name} x"
            assert not [span for span in _detector_spans(redactor, text) if span[0] == "PERSON"], name


@given(st.text(alphabet=st.sampled_from(list("ab tYs.,;!?-—–'\"()\n\t\x1c\xa0\u2028\u3000é😀ç*+_¡«’£")), max_size=50))
@settings(max_examples=2000, deadline=None)
def test_key_words_are_the_runs_of_letters_the_prefilter_asks_about(text):
    lower = text.lower()
    keys = {w.decode() for w in redaction._KEY_WORDS}
    assert keys == redaction._KEY_WORD_TEXTS and all(redaction._words(k) == {k} for k in keys)
    for word in ("at", "dot", "you", "st", "rua", "allée", "praça", "mr", "gracias", "heiße"):
        assert word in keys
        for variant in (f"{word} {text}", f"{text}—{word}\xa0", f"x{word}", f"{word}\x1c{text}", f"¡{word}*{text}"):
            low = variant.lower()
            assert redaction._key_words(low) == redaction._words(low) & keys
    assert redaction._key_words(lower) == redaction._words(lower) & keys


@given(st.lists(st.sampled_from(_GATE_PIECES), max_size=8).map(" ".join) | st.text(max_size=40))
@settings(max_examples=1500, deadline=None)
def test_letter_grouped_cue_patterns_find_the_same_matches(text):
    lower = text.lower()
    for (_, pattern), plain in zip(redaction._CUE_FAMILIES, _PLAIN_CUE_PATTERNS, strict=True):
        assert [m.span() for m in pattern.finditer(lower)] == [m.span() for m in plain.finditer(lower)]


@given(
    st.lists(st.sampled_from([*_PREFILTER_PIECES, "RUA x ", "Calle y ", "bd. Z ", "*via a "]), max_size=8).map(" ".join)
)
@settings(max_examples=1500, deadline=None)
def test_ascii_prefixed_street_regex_agrees(text):
    if text.isascii():
        fast = redaction._PRECHECK_PREFIXED_STREET_ASCII_LOWER.search(text.lower()) is not None
        assert fast == (redaction._PRECHECK_PREFIXED_STREET.search(text) is not None)


def test_rare_whitespace_covers_every_whitespace_character_spacy_makes_a_token():
    rare = [chr(code) for code in range(0x110000) if chr(code).isspace() and chr(code) not in " \n"]
    assert all(redaction._has_rare_whitespace(f"a{char}b") for char in rare)
    assert not redaction._has_rare_whitespace("a b-c: d é")


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
