"""What Slack would refuse in a message or a modal (slack_sdk's Block Kit models plus the counts), and bad copy."""

from __future__ import annotations

import re
from collections.abc import Iterator

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, Option, OptionGroup
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FALLBACK_TEXT = 4000
# Slack's limits on the texts people read as labels: a "…" well short of one means a short text was cut
LABEL_LIMITS = {"label": 2000, "button": 75, "header": 150, "option": 75, "group": 75, "title": 24}


def message_problems(text: str, blocks: list[dict]) -> list[str]:
    """What Slack would refuse in a chat.postMessage with this fallback text and these blocks."""
    problems = [] if 0 < len(text.strip()) and len(text) <= FALLBACK_TEXT else [f"fallback text of {len(text)}"]
    if not 1 <= len(blocks) <= MESSAGE_BLOCKS:
        problems.append(f"{len(blocks)} blocks (a message holds 1 to {MESSAGE_BLOCKS})")
    return problems + _blocks_problems(blocks)


def view_problems(view: dict) -> list[str]:
    """What Slack would refuse in a views.open of this modal (or a views.publish of a Home tab)."""
    problems = []
    if not 1 <= len(view["blocks"]) <= VIEW_BLOCKS:
        problems.append(f"{len(view['blocks'])} blocks (a view holds 1 to {VIEW_BLOCKS})")
    try:
        if View(**view).to_dict() != view:
            problems.append("slack_sdk's View reads this view differently (an unknown or misspelt field)")
    except SlackObjectFormationError as error:
        problems.append(f"view: {error}")
    return problems + _blocks_problems(view["blocks"])


def _blocks_problems(blocks: list[dict]) -> list[str]:
    problems = []
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(ids) != len(set(ids)):
        problems.append("a block_id is repeated")
    for n, block in enumerate(blocks):
        where = f"block {n} ({block.get('type')})"
        parsed = Block.parse(block)
        if parsed is None:
            problems.append(f"{where}: not a block slack_sdk knows")
            continue
        try:
            if parsed.to_dict() != block:  # to_dict validates the block and everything inside it
                problems.append(f"{where}: slack_sdk reads it differently (an unknown or misspelt field)")
        except SlackObjectFormationError as error:
            problems.append(f"{where}: {error}")
        problems += [f"{where}: {problem}" for problem in _option_problems(block)]
        if block.get("type") == "section" and len(block.get("text", {}).get("text", "")) > SECTION_TEXT:
            problems.append(f"{where}: section text over {SECTION_TEXT} characters")
    return problems


def _option_problems(node: object) -> Iterator[str]:
    """slack_sdk keeps a static menu's options as given, unchecked: check each option and option group."""
    if isinstance(node, list):
        for value in node:
            yield from _option_problems(value)
    elif isinstance(node, dict):
        for key, value in node.items():
            parse = {"options": Option, "initial_options": Option, "initial_option": Option,
                     "option_groups": OptionGroup}.get(key)
            for item in ([value] if isinstance(value, dict) else value) if parse else []:
                try:
                    parse.parse_all([item])[0].to_dict()
                except SlackObjectFormationError as error:
                    yield f"{key}: {error}"
            yield from _option_problems(value)


# ------------------------------------------------------------------ copy

_MARKUP = re.compile(r"<[^<>]*>")  # Slack's mentions, links and channels
_DEFUSED = re.compile("@\u200b\\S*")  # a mention the bot defused with a zero-width space
_DOUBLED_WORD = re.compile(r"\b([A-Za-z]+)\s+\1\b", re.IGNORECASE)
_DOUBLED_STOP = re.compile(r"(?<![.…])\.\s*\.(?![.])")
_PAIRS = {")": "(", "]": "[", "}": "{"}


def texts(node: object) -> Iterator[str]:
    """Every plain_text and mrkdwn text in blocks, a view or any part of them."""
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value)


def copy_problems(node: object, *, fallback: str = "") -> list[str]:
    """Bad copy in what people read: doubled words or stops, unbalanced brackets, cut-off or "optional" labels."""
    problems = []
    for text in [fallback, *texts(node)] if fallback else texts(node):
        problems += [f"{problem}: {text[:120]!r}" for problem in _text_problems(text)]
    return problems + [f"label {label!r}: {problem}" for label, problem in _label_problems(node)]


def _text_problems(text: str) -> list[str]:
    prose = _DEFUSED.sub("", _MARKUP.sub("", text))
    problems = [f"doubled word {m.group(0)!r}" for m in _DOUBLED_WORD.finditer(prose)]
    problems += ["doubled full stop"] if _DOUBLED_STOP.search(prose) else []
    open_brackets: list[str] = []
    for char in prose:
        if char == "…":
            open_brackets.clear()  # a text cut short may leave brackets open
        elif char in "([{":
            open_brackets.append(char)
        elif char in _PAIRS:
            if not open_brackets or open_brackets.pop() != _PAIRS[char]:
                return [*problems, f"unbalanced {char!r}"]
    return [*problems, *(f"unclosed {b!r}" for b in open_brackets)]


def _label_problems(node: object) -> Iterator[tuple[str, str]]:
    for kind, text, optional in _labels(node):
        if optional and "optional" in text.lower():
            yield text, "Slack adds (optional) itself"
        if text.endswith("…") and len(text) < LABEL_LIMITS[kind] - 10:
            yield text, "cut short although Slack allows more"


def _labels(node: object) -> Iterator[tuple[str, str, bool]]:
    """(kind, text, whether its input is optional) of every label-like text: inputs, buttons, headers, options."""
    if isinstance(node, list):
        for value in node:
            yield from _labels(value)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "input":
        yield "label", node["label"]["text"], bool(node.get("optional"))
    elif kind == "button":
        yield "button", node["text"]["text"], False
    elif kind == "header":
        yield "header", node["text"]["text"], False
    elif kind == "modal":
        yield from (("title", node[k]["text"], False) for k in ("title", "submit", "close") if k in node)
    if "label" in node and "options" in node:  # an option group
        yield "group", node["label"]["text"], False
    if "value" in node and isinstance(node.get("text"), dict) and kind is None:  # an option
        yield "option", node["text"]["text"], False
    for value in node.values():
        yield from _labels(value)
