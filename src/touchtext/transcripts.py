"""Call and chat transcripts: speaker turns, who is the customer, and the customer's words.

Formats read: `Agent:` / `Customer:` prefixes (any speaker name), `[00:01:23] Speaker 1:`
timestamps, chat exports like `14:02:11 Priya (Brightwave): ...`, WebVTT and SRT captions
(with `<v Name>` voice tags or `Name:` prefixes) and JSON turn lists
(`[{"speaker": ..., "text": ...}]`).

Roles: a speaker named like an agent (agent, advisor, support, a `(Company)` tag, ...) or a
customer (customer, caller, client, guest, ...; also Kunde, Mitarbeiter, conseiller, cliente,
klant, atendente, ...) takes that role; bots and `*** ... ***`
lines are `system`. When speakers are only `Speaker 1/2` or first names, each speaker is
scored on contact-centre phrases ("thank you for calling", "how can I help", "can I take
your account number" for agents; "I'm calling about", "my bill" for customers): the
highest agent score is the agent, the other speaker the customer. With no evidence either
way the first speaker is taken as the agent (inbound calls and chats are answered by the
agent), and `role_reason` says so.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from . import schema
from ._alignment import Aligned
from ._langid import UNDETERMINED, detect_language
from .io import detect_text_column

__all__ = ["ROLES", "Turn", "looks_like_transcript", "parse_turns", "turns"]

ROLES = ("customer", "agent", "system", "unknown")

_TIME = r"\[?\(?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?(?:\s?[AaPp][Mm])?\)?\]?"
_TURN = re.compile(
    rf"^[ \t]*(?:(?P<time>{_TIME})[ \t]*[-–]?[ \t]*)?"
    r"(?P<speaker>[A-Za-z][\w .'’-]{0,40}?(?:[ \t]*\([^()\n]{1,40}\))?|Speaker[ \t]*\w{1,3})"
    r"[ \t]*:[ \t]*(?P<text>.*)$"
)
_SYSTEM_LINE = re.compile(
    r"^[ \t]*(?:\*{2,}.*\*{2,}|\[(?:customer|agent|visitor|user)[^\]]{0,40}\]|-{3,}.*-{3,})[ \t]*$", re.I
)
_VTT_TIMING = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2})?[.,]\d{3}\s*-->\s*\d{1,2}:\d{2}(?::\d{2})?[.,]\d{3}.*$")
_VOICE_TAG = re.compile(r"^\s*<v(?:\.[\w.-]+)?\s+([^>]{1,40})>(.*?)(?:</v>)?\s*$")
_CUE_NUMBER = re.compile(r"^\s*\d{1,6}\s*$")
_NOISE = re.compile(
    r"\[(?:crosstalk|cross-talk|silence|inaudible|pause|music|noise|laughs?|laughter|background noise|hold music|"
    r"overlapping|unintelligible|indistinct|sighs?|coughs?)[^\]]{0,30}\]|\((?:laughs?|sighs?|pause|inaudible|"
    r"crosstalk)\)|<(?:noise|silence|unk)>",
    re.I,
)
_FILLER = re.compile(r"(?i)(?<![\w'])(?:u+h+|u+m+|e+rm+|u+hm+|hmm+|mm+|er)(?![\w'])[,.]?[ \t]?")
# Elsewhere "um" and "er" are words (German "around", "he"; Dutch "there"); "äh", "euh", "ehm" are fillers.
_NON_ENGLISH_FILLER = re.compile(
    r"(?i)(?<![\w'])(?:u+h+|e+rm+|u+hm+|hmm+|mm+|ä+h+m*|ö+h+m*|e+u+h+|e+h+m+)(?![\w'])[,.]?[ \t]?"
)

_AGENT_NAMES = re.compile(
    r"(?i)\b(?:agent|advis[oe]r|rep|representative|support|operator|csr|associate|specialist|consultant|staff|"
    r"service|care|team|helpdesk|help desk|concierge|receptionist|desk"
    # the same in the other languages a model can be trained in (de, fr, es, it, nl, pt)
    r"|mitarbeiter(?:in)?|berater(?:in)?|kundenservice|kundendienst|servicemitarbeiter(?:in)?|conseill(?:er|ère)|"
    r"agente|asesor(?:a)?|operador(?:a)?|operatore|operatrice|medewerker|klantenservice|atendente|assistente)\b"
    r"|\([^)]*\)"
)
_CUSTOMER_NAMES = re.compile(
    r"(?i)^(?:customer|cust|caller|client|user|guest|member|visitor|passenger|patient|me|you"
    r"|kunde|kundin|anrufer(?:in)?|gast|cliente|klant|beller|passagier|usuario|usuaria|utente|hôte)\b"
)
_SYSTEM_NAMES = re.compile(r"(?i)\b(?:system|bot|chatbot|virtual assistant|ivr|automated|auto[- ]?attendant)\b")
_GENERIC = re.compile(r"(?i)^(?:speaker|spk|participant|person|voice)[ _-]*\w{1,3}$")

_AGENT_CUES = re.compile(
    r"(?i)thank(?:s| you) for (?:calling|contacting|waiting|holding|your patience|choosing)|"
    r"you(?:'re| are) (?:through|speaking) to|how (?:can|may) i (?:help|assist)|"
    r"can i (?:take|have|get|grab) (?:your|the) (?:name|full name|account|postcode|zip|date of birth|booking|order|"
    r"reference|email|phone|number)|is there anything else|let me (?:check|look|see|pull)|"
    r"i(?:'ll| will) (?:transfer|put you through|pass you)|for security|bear with me|i can see (?:that|your|the)|"
    r"i(?:'ve| have) (?:applied|raised|credited|logged|escalated|refunded)|apologi[sz]e for (?:the|any)"
)
_CUSTOMER_CUES = re.compile(
    r"(?i)i(?:'m| am) (?:calling|ringing|contacting|writing|phoning)|\bmy (?:bill|account|order|router|bag|luggage|"
    r"booking|card|internet|broadband|phone|refund|flight|parcel|meter|contract)\b|"
    r"i (?:want|need|would like|'d like) to|why (?:was|were|is|am|have) (?:i|my)|"
    r"i (?:was|got|have been|'ve been) (?:charged|told|promised|waiting|billed)"
)


@dataclass(frozen=True)
class Turn:
    """One speaker turn: who spoke, in which role, what they said, and where it sits in the raw text."""

    turn: int
    speaker: str
    role: str
    text: str
    timestamp: str
    start: int  # offsets of `text` in the raw transcript (JSON lists: of the turn's text)
    end: int


def looks_like_transcript(text: str) -> bool:
    """True if a text has at least two speaker-prefixed lines or is WebVTT/SRT/JSON turns."""
    if not isinstance(text, str):
        return False
    head = text.lstrip()[:4000]
    if head.startswith("WEBVTT") or _VTT_TIMING.search(head) or (head.startswith("[") and '"speaker"' in head):
        return True
    prefixed = [m.group("speaker") for line in head.splitlines() if (m := _TURN.match(line))]
    return len(prefixed) >= 2 and len({p.strip().lower() for p in prefixed}) >= 2


def _raw_turns(text: str) -> list[tuple[str, str, str, int, int]]:
    """(speaker, text, timestamp, start, end) in order, before roles are assigned."""
    stripped = text.lstrip()
    if stripped.startswith("[") and '"speaker"' in stripped[:2000]:
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError:
            items = None
        if isinstance(items, list):
            from_json: list[tuple[str, str, str, int, int]] = []
            for item in items:
                if not isinstance(item, dict):
                    continue
                said = str(item.get("text") or item.get("utterance") or item.get("content") or "")
                speaker = str(item.get("speaker") or item.get("role") or item.get("participant") or "unknown")
                stamp = str(item.get("start") or item.get("timestamp") or item.get("time") or "")
                pos = text.find(json.dumps(said, ensure_ascii=False)[1:-1])
                start = pos if pos >= 0 else 0
                from_json.append((speaker, said, stamp, start, start + len(said) if pos >= 0 else 0))
            return from_json
    out: list[tuple[str, str, str, int, int]] = []
    offset = 0
    stamp = ""
    for line in text.splitlines(keepends=True):
        line_start, body = offset, line.rstrip("\r\n")
        offset += len(line)
        if not body.strip() or body.strip() == "WEBVTT" or _CUE_NUMBER.match(body):
            continue
        if _VTT_TIMING.match(body):
            stamp = body.split("-->")[0].strip()
            continue
        voice = _VOICE_TAG.match(body)
        if voice:
            said = voice.group(2)
            start = line_start + body.index(said) if said else line_start
            out.append((voice.group(1).strip(), said, stamp, start, start + len(said)))
            stamp = ""
            continue
        if _SYSTEM_LINE.match(body):
            out.append(("system", body.strip(), stamp, line_start, line_start + len(body)))
            continue
        match = _TURN.match(body)
        if match:
            start = line_start + match.start("text")
            out.append((match.group("speaker").strip(), match.group("text"), match.group("time") or stamp,
                        start, line_start + len(body)))  # fmt: skip
            stamp = ""
        elif out:  # a continuation line belongs to the previous turn
            speaker, said, ts, start, _ = out[-1]
            out[-1] = (speaker, said + "\n" + body, ts, start, line_start + len(body))
        else:
            out.append(("unknown", body, stamp, line_start, line_start + len(body)))
    return out


def _roles(raw: list[tuple[str, str, str, int, int]]) -> tuple[dict[str, str], str]:
    """Role per speaker label, and how generic speakers were resolved."""
    roles: dict[str, str] = {}
    undecided: list[str] = []
    for speaker, *_ in raw:
        if speaker in roles or speaker in undecided:
            continue
        if speaker == "system" or _SYSTEM_NAMES.search(speaker):
            roles[speaker] = "system"
        elif _CUSTOMER_NAMES.search(speaker):
            roles[speaker] = "customer"
        elif _AGENT_NAMES.search(speaker) and not _GENERIC.match(speaker):
            roles[speaker] = "agent"
        elif speaker == "unknown":
            roles[speaker] = "unknown"
        else:
            undecided.append(speaker)
    if not undecided:
        return roles, "named speakers"
    scores: dict[str, int] = defaultdict(int)
    for speaker, said, *_ in raw:
        if speaker in undecided:
            scores[speaker] += 2 * len(_AGENT_CUES.findall(said)) - len(_CUSTOMER_CUES.findall(said))
    has_agent = "agent" in roles.values()
    has_customer = "customer" in roles.values()
    ranked = sorted(undecided, key=lambda s: -scores[s])
    if has_agent:
        reason = "the other speakers were named as agents"
        roles.update({s: "customer" for s in undecided})
    elif has_customer:
        reason = "the other speakers were named as customers"
        roles.update({s: "agent" for s in undecided})
    elif len(ranked) >= 2 and scores[ranked[0]] > scores[ranked[1]]:
        reason = f"{ranked[0]} used contact-centre phrases, so is the agent"
        roles.update({s: ("agent" if s == ranked[0] else "customer") for s in ranked})
    else:
        first = undecided[0]
        reason = f"no phrases told the speakers apart; {first} spoke first, so is taken as the agent"
        roles.update({s: ("agent" if s == first else "customer") for s in undecided})
    return roles, reason


def parse_turns(text: str) -> tuple[list[Turn], str]:
    """Speaker turns of one transcript, with roles, and the reason for the role assignment.

    Example:
        >>> parse_turns("Agent: How can I help?\\nCustomer: My router never arrived")[0][1].role
        'customer'
    """
    if not isinstance(text, str) or not text.strip():
        return [], "no text"
    raw = _raw_turns(text)
    roles, reason = _roles(raw)
    return [
        Turn(i + 1, speaker, roles.get(speaker, "unknown"), said, stamp, start, end)
        for i, (speaker, said, stamp, start, end) in enumerate(raw)
    ], reason


_RUNS_OF_SPACE = re.compile(r"[ \t]{2,}")
_LINE_EDGE_SPACE = re.compile(r"^[ \t]+|[ \t]+$", re.MULTILINE)


def clean_turn_text(aligned: Aligned, english: bool | None = None) -> Aligned:
    """Remove noise markers ([crosstalk], [silence], ...) and fillers (uh, um, erm; in a text
    not in English: uh, äh, euh, ehm, but not "um" or "er", words there). Whether the text is
    English is detected unless given (a turn alone may be too short to tell)."""
    if english is None:
        english = detect_language(aligned.text) in ("en", UNDETERMINED)
    without_noise = aligned.sub(_NOISE, "").sub(_FILLER if english else _NON_ENGLISH_FILLER, "")
    return without_noise.sub(_RUNS_OF_SPACE, " ").sub(_LINE_EDGE_SPACE, "")


def customer_text(text: str, roles: tuple[str, ...] = ("customer",)) -> tuple[Aligned, str, int]:
    """The words of speakers in `roles`, one turn per line, aligned to the raw transcript.

    Falls back to every non-system turn when no speaker has a wanted role. Returns the aligned
    text, the role reason and the number of turns kept.
    """
    parsed, reason = parse_turns(text)
    wanted = [t for t in parsed if t.role in roles]
    if not wanted:
        wanted = [t for t in parsed if t.role != "system"]
        reason += "; no customer turns found, all speakers kept"
    pieces: list[str] = []
    origin: list[int] = []
    for t in wanted:
        if pieces:
            pieces.append("\n")
            origin.append(origin[-1] if origin else t.start)
        pieces.append(t.text)
        if t.end - t.start == len(t.text):
            origin.extend(range(t.start, t.end))
        else:
            origin.extend([t.start] * len(t.text))
    ends = [o + 1 for o in origin]
    return Aligned("".join(pieces), origin, ends, len(text)), reason, len(wanted)


def turns(df: pd.DataFrame, *, text_column: str | None = None) -> pd.DataFrame:
    """One row per speaker turn of every transcript in `df`, keyed by the source `row_id`.

    Columns: row_id, turn, speaker, role, text (cleaned of fillers and noise markers),
    timestamp, role_reason.

    Example:
        >>> turns(pd.DataFrame({"transcript": ["Agent: Hi\\nCustomer: my bill is wrong"]}))["role"].tolist()
        ['agent', 'customer']
    """
    column = detect_text_column(df, text_column)
    row_ids = df[schema.ROW_ID] if schema.ROW_ID in df.columns else pd.Series(range(1, len(df) + 1))
    records = []
    for row_id, text in zip(row_ids, df[column], strict=True):
        parsed, reason = parse_turns(text)
        english = detect_language(text) in ("en", UNDETERMINED)
        for t in parsed:
            said = clean_turn_text(Aligned(t.text), english).text.strip()
            records.append({schema.ROW_ID: row_id, "turn": t.turn, "speaker": t.speaker, "role": t.role,
                            "text": said, "timestamp": t.timestamp, "role_reason": reason})  # fmt: skip
    return pd.DataFrame(records, columns=[schema.ROW_ID, "turn", "speaker", "role", "text", "timestamp", "role_reason"])
