import json

import pandas as pd
import pytest

from touchtext.transcripts import customer_text, looks_like_transcript, parse_turns, turns

PREFIXED = "Agent: Thanks for calling, how can I help?\nCustomer: um, my bill is wrong [crosstalk] again\nAgent: Sorry."
TIMESTAMPED_CUSTOMER_FIRST = (
    "[00:00:01] Speaker 1: hi, I'm calling about my router, it never arrived\n"
    "[00:00:06] Speaker 2: Thank you for calling Brightwave, can I take your account number?\n"
    "[00:00:09] Speaker 1: ACC-1234\n"
)
CHAT = "14:02:11 Priya (Brightwave): Hello, how can I help?\n14:02:40 Customer: app keeps crashing\n*** Chat transferred to Billing ***"
VTT = (
    "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n<v Speaker 1>Thanks for calling, how may I help?</v>\n\n"
    "2\n00:00:04.500 --> 00:00:09.000\n<v Speaker 2>Hi, uh, my parcel is late</v>\n"
)
SRT = "1\n00:00:01,000 --> 00:00:04,000\nRep: How can I help?\n\n2\n00:00:05,000 --> 00:00:08,000\nCaller: my flight was cancelled\n"
JSON_TURNS = json.dumps([{"speaker": "spk_0", "text": "You're through to Acme, how can I help?"},
                         {"speaker": "spk_1", "text": "my refund never came"}])  # fmt: skip


@pytest.mark.parametrize(
    ("text", "roles", "customer"),
    [
        (PREFIXED, ["agent", "customer", "agent"], "my bill is wrong again"),
        (TIMESTAMPED_CUSTOMER_FIRST, ["customer", "agent", "customer"], "hi, I'm calling about my router, it never arrived\nACC-1234"),
        (CHAT, ["agent", "customer", "system"], "app keeps crashing"),
        (VTT, ["agent", "customer"], "Hi, my parcel is late"),
        (SRT, ["agent", "customer"], "my flight was cancelled"),
        (JSON_TURNS, ["agent", "customer"], "my refund never came"),
    ],
)  # fmt: skip
def test_formats_roles_and_customer_words(text, roles, customer):
    parsed, _ = parse_turns(text)
    assert [t.role for t in parsed] == roles
    assert looks_like_transcript(text)
    from touchtext.cleaning import clean_one

    assert clean_one(text, "transcript").text == customer


def test_customer_text_maps_back_to_the_raw_transcript():
    aligned, _, kept = customer_text(TIMESTAMPED_CUSTOMER_FIRST)
    assert kept == 2
    start = aligned.text.index("router")
    o_start, o_end = aligned.original_span(start, start + len("router"))
    assert TIMESTAMPED_CUSTOMER_FIRST[o_start:o_end] == "router"


def test_generic_speakers_without_cues_fall_back_to_first_speaker_as_agent():
    parsed, reason = parse_turns("Speaker A: hello\nSpeaker B: hello\nSpeaker A: ok")
    assert [t.role for t in parsed] == ["agent", "customer", "agent"]
    assert "spoke first" in reason


def test_turns_table_keeps_source_row_ids():
    df = pd.DataFrame({"row_id": [7, 9], "transcript": [PREFIXED, SRT]})
    table = turns(df)
    assert table["row_id"].tolist() == [7, 7, 7, 9, 9]
    assert table["turn"].tolist() == [1, 2, 3, 1, 2]
    assert table.loc[1, "text"] == "my bill is wrong again"


def test_plain_reviews_are_not_transcripts():
    assert not looks_like_transcript("Great hotel. Note: breakfast ends at 10.")
    assert not looks_like_transcript(None)


def test_speakers_named_in_other_languages_take_their_roles():
    """The customer speaks first here, so without the names the first speaker would be the agent."""
    text = "Kunde: Meine Rechnung ist falsch.\nMitarbeiter: Das tut mir leid, ich schaue nach.\nKunde: Danke."
    assert [t.role for t in parse_turns(text)[0]] == ["customer", "agent", "customer"]
    assert [t.role for t in parse_turns("Cliente: Hola\nAsesora: Buenos días")[0]] == ["customer", "agent"]
    assert [t.role for t in parse_turns("Klant: Hallo\nMedewerker: Goedemiddag")[0]] == ["customer", "agent"]


def test_fillers_are_those_of_the_text_language():
    """'um' and 'er' are English fillers but German words ('around', 'he'); 'äh' is a German filler."""
    german = "Kunde: Die Rechnung ist um 30 Euro zu hoch, äh, und er hat nicht angerufen.\nAgent: Oh."
    assert (
        turns(pd.DataFrame({"text": [german]}))["text"][0]
        == "Die Rechnung ist um 30 Euro zu hoch, und er hat nicht angerufen."
    )
    english = "Customer: um, my bill is, er, wrong again this month\nAgent: Let me check."
    assert turns(pd.DataFrame({"text": [english]}))["text"][0] == "my bill is, wrong again this month"
