import json

import pytest

from tests.conftest import DATA
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
