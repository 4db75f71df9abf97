"""Reading a free-text reply in a review thread: a leading yes/no/partly/n/a is an answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.framework import EvidenceKind
from storage.models import AnswerStatus

_LEADING = re.compile(
    r"^\s*(?P<word>yes|yep|yeah|met|no|nope|not\s+yet|partly|partially|partial|n/a|na|not\s+applicable)"
    r"(?=$|[\s,.:;!\-])[\s,.:;!\-]*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_WORDS = {
    "yes": AnswerStatus.MET, "yep": AnswerStatus.MET, "yeah": AnswerStatus.MET, "met": AnswerStatus.MET,
    "no": AnswerStatus.NOT_YET, "nope": AnswerStatus.NOT_YET, "not yet": AnswerStatus.NOT_YET,
    "partly": AnswerStatus.PARTLY, "partially": AnswerStatus.PARTLY, "partial": AnswerStatus.PARTLY,
    "n/a": AnswerStatus.NA, "na": AnswerStatus.NA, "not applicable": AnswerStatus.NA,
}


@dataclass(frozen=True)
class ParsedReply:
    status: AnswerStatus | None
    rest: str


def parse_reply(text: str, *, allow_na: bool = True) -> ParsedReply:
    """Split a reply into a clear leading answer (if any; N/A only where allowed) and the rest of the text."""
    match = _LEADING.match(text)
    if not match:
        return ParsedReply(None, text.strip())
    status = _WORDS[re.sub(r"\s+", " ", match.group("word").lower())]
    if status is AnswerStatus.NA and not allow_na:
        return ParsedReply(None, text.strip())
    return ParsedReply(status, match.group("rest").strip())


_LINK = re.compile(r"<https?://|https?://", re.IGNORECASE)
_MENTION = re.compile(r"<@[UW][A-Z0-9]+")
_DIGIT = re.compile(r"\d")


def evidence_problem(kind: EvidenceKind, text: str) -> str | None:
    """Why this text is not the evidence asked for, or None when it will do."""
    if kind is EvidenceKind.LINK and not _LINK.search(text):
        return "That doesn't contain a link. Please paste a link (https://…)."
    if kind is EvidenceKind.NUMBER and not _DIGIT.search(text):
        return "That doesn't contain a number. Please include the figure."
    if kind is EvidenceKind.PERSON and not _MENTION.search(text):
        return "That doesn't name anyone. Please @-mention the person."
    return None
