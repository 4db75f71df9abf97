"""The data boundary: what is removed from any text before it leaves for a model."""

from __future__ import annotations

import re

PATTERNS = [
    ("[slack-token]", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{6,}|\bxapp-[A-Za-z0-9-]{6,}")),
    ("[api-key]", re.compile(r"\bsk-[A-Za-z0-9_-]{12,}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{20,}"
                             r"|\b(?:api[_-]?key|secret|token)\s*[:=]\s*\S{8,}", re.IGNORECASE)),
    ("[email]", re.compile(r"(?:mailto:)?[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("[phone]", re.compile(r"\+\d[\d\s().-]{6,}\d"  # international: +44 20 7946 0958
                           r"|\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b"  # North American: (555) 010-0100
                           r"|\b0\d{2,4}[\s-]\d{3,4}[\s-]?\d{3,4}\b")),  # national trunk prefix: 020 7946 0958
]


def redact(text: str) -> str:
    """Text with emails, phone numbers, Slack tokens and API keys replaced by placeholders."""
    for placeholder, pattern in PATTERNS:
        text = pattern.sub(placeholder, text)
    return text
