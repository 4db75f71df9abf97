"""The pieces every form is made of: an input block (its action id is its block id) and its common elements."""

from __future__ import annotations

from datetime import date


def input_block(block_id: str, label: str, element: dict, *, optional: bool = False,
                hint: str | None = None) -> dict:
    """An input block; Slack shows "(optional)" beside an optional one's label itself."""
    block = {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
             "element": {**element, "action_id": block_id}, "optional": optional}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def text_element(placeholder: str, *, multiline: bool = True, max_length: int = 3000, initial: str = "") -> dict:
    element = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length,
               "placeholder": {"type": "plain_text", "text": placeholder}}
    if initial:
        element["initial_value"] = initial
    return element


def date_element(initial: date | None) -> dict:
    element = {"type": "datepicker"}
    if initial:
        element["initial_date"] = initial.isoformat()
    return element
