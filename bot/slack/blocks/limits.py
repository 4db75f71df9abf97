"""Slack's size limits, and packing content so that a message always stays within them."""

from __future__ import annotations

from bot.text import shorten

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # a modal or the Home tab
MAX_TEXT = 3000
MAX_FALLBACK = 4000
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": shorten(text, MAX_TEXT)}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": shorten(text, MAX_TEXT)}]}


def packed_sections(lines: list[str], limit: int = MAX_TEXT) -> list[dict]:
    """As few sections as hold the lines, each within Slack's text limit."""
    sections, current = [], ""
    for line in lines:
        line = shorten(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            sections.append(section(current))
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        sections.append(section(current))
    return sections


def split_messages(blocks: list[dict], limit: int = MAX_BLOCKS) -> list[list[dict]]:
    """Cut a long list of blocks into messages of at most `limit` blocks."""
    return [blocks[i : i + limit] for i in range(0, len(blocks), limit)] or [[]]
