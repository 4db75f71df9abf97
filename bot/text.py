"""Echoing what people wrote, safely: nothing the bot posts may ping anyone or break formatting."""

from __future__ import annotations

import re

_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
ZWSP = "\u200b"


def from_plain(text: str) -> str:
    """Mrkdwn for text typed into a modal: & < > escaped, so <!channel> stays literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def from_slack(text: str) -> str:
    """Mrkdwn for text from a Slack message: links kept, mentions and broadcasts defused.

    Slack already escapes & < > in message text, so only its <...> markup needs care.
    """
    return _SLACK_MARKUP.sub(_defuse, text)


def _defuse(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + ZWSP + (label or target[1:])
    if target.startswith("!"):
        name = label.lstrip("@") if label else target[1:].split("^")[0]
        return "@" + ZWSP + name
    if target.startswith("#"):
        return match.group(0)
    if target.startswith(("http://", "https://", "mailto:")):
        return match.group(0)
    return from_plain(match.group(0))


def shorten(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters, marking the cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # never leave half a <...> markup or &entity; at the cut
    for opener, closer in (("<", ">"), ("&", ";")):
        start = cut.rfind(opener)
        if start != -1 and cut.find(closer, start) == -1:
            cut = cut[:start]
    return cut.rstrip() + "…"
