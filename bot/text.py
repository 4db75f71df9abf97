"""Echoing what people wrote, safely: nothing the bot posts may ping anyone or break formatting, nor run as a
formula in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_UNBREAKABLE = re.compile(r"<[^<>]*>|&(?:[a-zA-Z]+|#\d+);")
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
    """Cut text to at most `limit` characters, marking the cut; never inside <...> markup or an &entity;."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = limit - 1
    for token in _UNBREAKABLE.finditer(text):
        if token.start() < cut < token.end():
            cut = token.start()
            break
    return text[:cut].rstrip() + "…"


_URL = re.compile(r"(?:https?://|www\.)[^\s<>|]+", re.IGNORECASE)


def from_model(text: str, *, source: str) -> str:
    """Mrkdwn for what a model wrote: escaped like people's text, and no link that was not in `source`."""
    def keep_if_quoted(match: re.Match[str]) -> str:
        return match.group(0) if match.group(0) in source else "[link removed]"

    return from_plain(_URL.sub(keep_if_quoted, text))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula (CSV injection)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file for spreadsheets (UTF-8 with a byte order mark); text people typed never runs as a formula.

    None is an empty cell; a text cell starting with = + - @ (or a tab or carriage return) gets a leading '.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def _csv_cell(cell: object) -> object:
    if cell is None:
        return ""
    return f"'{cell}" if isinstance(cell, str) and cell.startswith(_FORMULA_START) else cell
