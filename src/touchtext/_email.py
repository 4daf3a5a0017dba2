"""Removing what is not the customer's own words from support tickets and emails.

Quoted replies (Gmail, Outlook, Apple Mail, Thunderbird and several languages), `>` quotes,
signatures and sign-offs, "Sent from my phone" footers, legal disclaimers and help-desk
boilerplate are cut; auto-replies are recognised so they can be flagged rather than analysed.
"""

from __future__ import annotations

import re

from ._alignment import Aligned

__all__ = ["is_auto_reply", "prepend_subject", "split_inline_subject", "strip_email_noise"]

_M = re.MULTILINE | re.IGNORECASE

# Where a quoted earlier message begins: everything from here on is dropped.
_REPLY_HEADERS = re.compile(
    r"^[ \t]*(?:"
    r"On\b[^\n]{0,200}?(?:\n[^\n]{0,200}?)?\bwrote:[ \t]*$"  # Gmail / Apple Mail (may wrap)
    r"|-{2,}[ \t]*(?:Original Message|Reply message|Ursprüngliche Nachricht|Message d'origine)[ \t]*-{2,}"
    r"|_{10,}[ \t]*\n[ \t]*From:"  # Outlook web / mobile separator
    r"|From:[^\n]*\n[ \t]*(?:Sent|Date):[^\n]*\n[ \t]*To:"  # Outlook desktop header block
    r"|\*?From:\*?[^\n]*\n\*?Sent:\*?"  # Outlook with bold labels
    r"|Le\b[^\n]{0,200}a écrit[ \t]*:"  # French
    r"|Am\b[^\n]{0,200}schrieb[^\n]{0,100}:"  # German
    r"|El\b[^\n]{0,200}escribió[ \t]*:"  # Spanish
    r"|Op\b[^\n]{0,200}schreef[^\n]{0,100}:"  # Dutch
    r")",
    _M,
)
# Help-desk notification markers: the customer's reply is above them, the thread below.
_HELPDESK_MARKER = re.compile(
    r"^[ \t]*(?:##-[^\n]*reply above this line[^\n]*-##|-{2,}[ \t]*reply above this line[ \t]*-{2,})", _M
)
_QUOTE_MARK = re.compile(r"^[ \t]*> ?", re.MULTILINE)
_QUOTED_LINE = re.compile(r"^[ \t]*>[^\n]*(?:\n|$)", re.MULTILINE)
_MOBILE_FOOTER = re.compile(
    r"^[ \t]*(?:Sent from my [^\n]{1,40}|Sent from (?:Mail|Outlook|Yahoo Mail|Gmail)[^\n]{0,40}|"
    r"Get Outlook for (?:iOS|Android)[^\n]{0,20}|Sent via [^\n]{1,40}|Von meinem [^\n]{1,40} gesendet|"
    r"Envoyé de mon [^\n]{1,40}|Enviado desde mi [^\n]{1,40})[ \t]*$\n?",
    _M,
)
_DISCLAIMER = re.compile(
    r"^[ \t]*(?:\**(?:CONFIDENTIALITY NOTICE|DISCLAIMER|LEGAL NOTICE|IMPORTANT NOTICE)\b"
    r"|This (?:e-?mail|message|communication)(?: and any (?:files|attachments)[^\n]{0,40})? "
    r"(?:is|are|may be|contains?) "
    r"(?:confidential|intended|privileged|strictly)"
    r"|The information (?:contained )?in this (?:e-?mail|message)"
    r"|If you (?:are not|have received this)[^\n]{0,30}(?:intended recipient|in error)"
    r"|Please consider the environment before printing)",
    _M,
)
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$", re.MULTILINE)
_SIGN_OFF = re.compile(
    r"^[ \t]*(?:(?:kind|best|warm|warmest|many|with)?[ \t]*(?:regards|wishes|thanks|thank you|cheers|sincerely|"
    r"best|respectfully|yours(?: truly| sincerely| faithfully)?|br|thx|ta|mfg|cordialement|saludos|groeten)"
    r"(?:[ \t]+(?:again|in advance|so much))?"
    # the sign-offs of the other languages a model can be trained in (de, fr, es, it, nl, pt)
    r"|(?:mit )?(?:freundlichen|besten|herzlichen|lieben|vielen) gr(?:ü|ue|u)(?:ß|ss)en|(?:viele|beste|liebe|herzliche|"
    r"freundliche) gr(?:ü|ue|u)(?:ß|ss)e|gru(?:ß|ss)|lg|vg|bien (?:à vous|cordialement)|salutations(?: distinguées)?|"
    r"(?:un )?saludos? cordiales|un saludo|atentamente|cordialmente|(?:cordiali|distinti) saluti|saluti|"
    r"(?:met )?vriendelijke groet(?:en)?|hartelijke groet(?:en)?|mvg|atenciosamente|cumprimentos)"
    r"[ \t]*[,.!]*[ \t]*$",
    _M,
)
_HELPDESK_BOILERPLATE = re.compile(
    r"^[ \t]*(?:\[?(?:Ticket|Case|Request) ?#?\s?\d+\]?[^\n]{0,60}$"
    r"|This (?:is an automated|message was sent automatically)[^\n]*$"
    r"|Please do not reply (?:to|directly to) this (?:e-?mail|message)[^\n]*$"
    r"|Your (?:request|ticket|case) (?:\(#?\d+\) )?has been (?:received|updated|created)[^\n]*$"
    r"|To add additional comments, reply to this email\.?[^\n]*$"
    r"|Powered by (?:Zendesk|Freshdesk|Help Scout|Intercom|Jira Service Management)[^\n]*$"
    r"|You are receiving this (?:e-?mail|message) because[^\n]*$)\n?",
    _M,
)
_AUTO_REPLY = re.compile(
    r"(?i)\b(?:automatic reply|auto(?:matic)?[- ]?reply|autoreply|out of (?:the )?office|"
    r"i am (?:currently )?(?:out of|away from) (?:the|my) office|"
    r"i'?m (?:currently )?(?:out of|away from) (?:the )?office|"
    r"(?:on|during) (?:annual )?leave until|will (?:respond|reply|get back to you) (?:on|upon|after) my return|"
    r"limited access to (?:my )?e-?mail|abwesenheitsnotiz|absence du bureau|fuera de la oficina)\b"
)
_GREETING = re.compile(
    r"\A[ \t]*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|to whom it may concern|greetings"
    r"|hallo|guten (?:tag|morgen|abend)|sehr geehrte[rs]?|bonjour|bonsoir|madame|monsieur|hola|estimad[oa]s?"
    r"|buen(?:os|as) (?:días|dias|tardes|noches)|buongiorno|buonasera|gentil[ei]|geachte|beste|olá|bom dia"
    r"|boa (?:tarde|noite)|prezad[oa]s?)\b"
    r"[^\n]{0,40}?[,!:]?[ \t]*(?:\n|$)",
    re.IGNORECASE,
)
_SUBJECT_PREFIX = re.compile(r"^(?:\s*(?:re|fw|fwd|aw|wg|tr|sv|antw)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_SUBJECT_LINE = re.compile(
    r"\A[ \t]*(?:Subject|Betreff|Objet|Asunto|Oggetto|Onderwerp|Assunto)[ \t]?:[ \t]*([^\n]*)\n", re.IGNORECASE
)
_EMPTY_SUBJECTS = frozenset(
    {"", "(no subject)", "no subject", "help", "question", "query", "enquiry", "inquiry", "hi", "hello", "urgent",
     "complaint", "feedback", "support", "contact form", "web form", "message", "request", "issue"}
)  # fmt: skip
_SIGNATURE_MAX_LINES = 8
_SIGNATURE_MAX_LINE_LENGTH = 70


def _cut_from(aligned: Aligned, position: int) -> Aligned:
    return aligned.replace_spans([(position, len(aligned.text), "")])


def _looks_like_signature(tail: str) -> bool:
    """The lines after a sign-off: few, short, no sentence-like prose."""
    lines = [ln for ln in tail.strip().splitlines() if ln.strip()]
    return len(lines) <= _SIGNATURE_MAX_LINES and all(len(ln) <= _SIGNATURE_MAX_LINE_LENGTH for ln in lines)


def strip_email_noise(aligned: Aligned) -> tuple[Aligned, list[str], str]:
    """Cut `Subject:` lines, quoted replies, signatures, footers, disclaimers and help-desk boilerplate.

    Repeats until nothing more is removed (cutting one part can bring another to the top), so
    the result is a fixed point. Returns the cleaned body, the names of what was removed and
    the first inline subject found.
    """
    notes: list[str] = []
    subject = ""
    for _ in range(6):
        inline, updated = split_inline_subject(aligned)
        subject = subject or inline
        updated, removed = _strip_once(updated)
        notes += [n for n in removed if n not in notes]
        if updated.text == aligned.text:
            return updated, notes, subject
        aligned = updated.strip()
    return aligned, notes, subject


def _strip_once(aligned: Aligned) -> tuple[Aligned, list[str]]:
    notes: list[str] = []
    match = _HELPDESK_MARKER.search(aligned.text)
    if match:
        aligned = _cut_from(aligned, match.start())
        notes.append("helpdesk_boilerplate")
    match = _REPLY_HEADERS.search(aligned.text)
    if match and aligned.text[: match.start()].strip():
        aligned = _cut_from(aligned, match.start())
        notes.append("quoted_reply")
    elif match:  # nothing above the header: a forwarded message whose content is the quote
        aligned = aligned.replace_spans([(match.start(), match.end(), "")]).sub(_QUOTE_MARK, "").strip()
        notes.append("forwarded")
    for pattern, note in ((_QUOTED_LINE, "quoted_lines"), (_MOBILE_FOOTER, "mobile_footer"),
                          (_HELPDESK_BOILERPLATE, "helpdesk_boilerplate")):  # fmt: skip
        updated = aligned.sub(pattern, "")
        if updated is not aligned:
            notes.append(note)
            aligned = updated
    body_start = _GREETING.match(aligned.text)
    if body_start and body_start.end() < len(aligned.text):
        aligned = aligned.replace_spans([(0, body_start.end(), "")])
        notes.append("greeting")
    match = _DISCLAIMER.search(aligned.text)
    if match:
        aligned = _cut_from(aligned, match.start())
        notes.append("disclaimer")
    match = _SIGNATURE_DELIMITER.search(aligned.text)
    if match:
        aligned = _cut_from(aligned, match.start())
        notes.append("signature")
    while sign_offs := list(_SIGN_OFF.finditer(aligned.text)):  # "Thanks,\nRegards,\nJo": cut both
        last = sign_offs[-1]
        if not _looks_like_signature(aligned.text[last.end() :]):
            break
        aligned = _cut_from(aligned, last.start()).strip()
        if "sign_off" not in notes:
            notes.append("sign_off")
    return aligned, notes


def is_auto_reply(subject: str, body: str) -> bool:
    """True for out-of-office and other automatic replies."""
    return bool(_AUTO_REPLY.search(subject) or _AUTO_REPLY.search(body[:400]))


def split_inline_subject(body: Aligned) -> tuple[str, Aligned]:
    """Take `Subject:` lines off the top of a body, returning (first subject, rest)."""
    subject = ""
    while inline := _SUBJECT_LINE.match(body.text):
        subject = subject or inline.group(1)
        body = body.replace_spans([(0, inline.end(), "")]).strip()
    return subject, body


def prepend_subject(subject: str, body: Aligned) -> Aligned:
    """Put an informative subject line before the body; skip empty, generic or repeated ones."""
    clean_subject = _SUBJECT_PREFIX.sub("", subject or "").strip()
    if clean_subject.lower().strip(" .!?:") in _EMPTY_SUBJECTS:
        return body
    if clean_subject.lower() in body.text[: len(clean_subject) + 40].lower():
        return body
    ending = "" if clean_subject.endswith((".", "!", "?")) else "."
    return body.replace_spans([(0, 0, f"{clean_subject}{ending}\n")])
