"""Ticket and email noise removal (touchtext._email), through the public cleaner."""

import pytest

from touchtext.cleaning import clean_one

GMAIL = """Subject: Re: Wrong bill

Hello Brightwave,

My September bill shows two line rentals. Please correct it.

Thanks,
Jo Bloggs
Operations Lead | Northwind Ltd

On Mon, 8 Sep 2026 at 09:12, Brightwave Support <support@brightwave.example> wrote:
> Thank you for contacting us.
> We will get back to you shortly."""

OUTLOOK = """The engineer did not turn up again on Tuesday.

Regards
Sam

________________________________
From: Brightwave Care <care@brightwave.example>
Sent: Monday, 6 October 2026 10:02
To: Sam Keller
Subject: Your appointment

Your engineer will arrive between 8am and 1pm."""

ORIGINAL_MESSAGE = """Still no refund for the returned router.

-----Original Message-----
From: returns@brightwave.example
Sent: 01 October 2026 12:00
To: me
Subject: Return received
We have received your router."""

DISCLAIMER = """Please cancel my contract at the end of the month.

Best regards,
Anna

CONFIDENTIALITY NOTICE: This email and any attachments are confidential and intended solely for the addressee."""

PHONE_FOOTER = """my internet keeps dropping every evening since the upgrade

Sent from my iPhone"""

HELPDESK = """##- Please type your reply above this line -##
[Ticket #48213] Broadband outage
Your request (#48213) has been received and is being reviewed by our support staff.
To add additional comments, reply to this email."""


@pytest.mark.parametrize(
    ("raw", "expected", "notes"),
    [
        (GMAIL, "Wrong bill.\nMy September bill shows two line rentals. Please correct it.",
         {"quoted_reply", "sign_off", "greeting"}),
        (OUTLOOK, "The engineer did not turn up again on Tuesday.", {"quoted_reply", "sign_off"}),
        (ORIGINAL_MESSAGE, "Still no refund for the returned router.", {"quoted_reply"}),
        (DISCLAIMER, "Please cancel my contract at the end of the month.", {"disclaimer", "sign_off"}),
        (PHONE_FOOTER, "my internet keeps dropping every evening since the upgrade", {"mobile_footer"}),
    ],
)  # fmt: skip
def test_email_noise_is_removed(raw, expected, notes):
    cleaned = clean_one(raw, "ticket")
    assert cleaned.text == expected
    assert notes <= set(cleaned.notes)
    assert clean_one(cleaned.text, "ticket").text == cleaned.text  # idempotent


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Betreff: Rechnung falsch\n\nSehr geehrte Damen und Herren,\n\ndie Rechnung ist doppelt so hoch.\n\n"
         "Mit freundlichen Grüßen\nSabine Krämer", "Rechnung falsch.\ndie Rechnung ist doppelt so hoch."),
        ("Hallo,\nmein Paket fehlt.\n\nViele Grüße\nTobias", "mein Paket fehlt."),
        ("Objet : Colis abîmé\nBonjour,\nle colis est arrivé abîmé.\nCordialement,\nMarie Dupont",
         "Colis abîmé.\nle colis est arrivé abîmé."),  # French sets a space before the colon
        ("Hola,\nno me han devuelto el dinero.\nUn saludo\nJavier", "no me han devuelto el dinero."),
        ("Buongiorno,\nla fattura è sbagliata.\nCordiali saluti\nGiulia Rossi", "la fattura è sbagliata."),
        ("Beste,\nde bezorging is te laat.\nMet vriendelijke groet,\nJan de Vries", "de bezorging is te laat."),
        ("Olá,\na entrega atrasou.\nAtenciosamente,\nAna Souza", "a entrega atrasou."),
    ],
)  # fmt: skip
def test_greetings_subjects_and_sign_offs_of_the_model_languages_are_removed(raw, expected):
    """Texts of models in German, French, Spanish, Italian, Dutch or Portuguese: the sign-off
    and the name under it go, as in English."""
    assert clean_one(raw, "ticket").text == expected


def test_helpdesk_boilerplate_leaves_nothing():
    cleaned = clean_one(HELPDESK, "ticket")
    assert cleaned.status == "empty"
    assert "helpdesk_boilerplate" in cleaned.notes


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Automatic reply: Billing query", "I am out of the office until 14 October with limited access to email."),
        ("Out of Office", "Thanks for your message, I'm currently out of office."),
        ("Re: your ticket", "Abwesenheitsnotiz: ich bin bis Montag nicht erreichbar."),
    ],
)
def test_auto_replies_are_flagged(subject, body):
    assert clean_one(body, "ticket", subject=subject).status == "auto_reply"


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("Router never arrived", "Ordered on the 3rd, still nothing.", "Router never arrived.\nOrdered on the 3rd, still nothing."),
        ("RE: FW: Router never arrived", "Still nothing.", "Router never arrived.\nStill nothing."),
        ("(no subject)", "Still nothing.", "Still nothing."),
        ("Help", "Still nothing.", "Still nothing."),
        ("Still nothing", "Still nothing at all.", "Still nothing at all."),
    ],
)  # fmt: skip
def test_subject_is_combined_sensibly(subject, body, expected):
    assert clean_one(body, "ticket", subject=subject).text == expected


def test_a_thanks_inside_prose_is_not_a_signature():
    body = "Thanks\nfor nothing: the router still has no signal after three visits and two replacements and I am done."
    assert clean_one(body, "ticket").text.startswith("Thanks")
