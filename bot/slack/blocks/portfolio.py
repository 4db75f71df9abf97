"""The portfolio: its scores' inputs (intake and the score form), the score form, and the ranked message."""

from __future__ import annotations

import json

from bot.domain.portfolio import Entry, Portfolio
from bot.domain.scores import FIELDS, HIGHEST, LENSES, LOWEST, Scores
from bot.portfolio_formula import Factor
from bot.slack.blocks.limits import MAX_FALLBACK, context, packed_sections, section
from bot.slack.ids import ScoreField, View
from bot.text import from_plain, shorten

RANKED_SHOWN = 40  # initiatives listed by rank in the message; the CSV has them all
UNSCORED_SHOWN = 30
LEVELS = {1: "very low", 2: "low", 3: "medium", 4: "high", 5: "very high"}


def _option(level: int) -> dict:
    return {"text": {"type": "plain_text", "text": f"{level}: {LEVELS[level]}"}, "value": str(level)}


def build_score_inputs(current: Scores, *, optional: bool) -> list[dict]:
    """Value, feasibility and risk, 1 to 5 each, with what each lens weighs (the seed's scoring matrix)."""
    blocks = []
    for factor, value in current.by_factor().items():
        field = ScoreField(FIELDS[factor])
        element = {"type": "static_select", "action_id": field,
                   "placeholder": {"type": "plain_text", "text": f"{LOWEST} to {HIGHEST}"},
                   "options": [_option(level) for level in range(LOWEST, HIGHEST + 1)]}
        if value is not None:
            element["initial_option"] = _option(value)
        blocks.append({"type": "input", "block_id": field, "optional": optional, "element": element,
                       "label": {"type": "plain_text", "text": factor.value.capitalize()},
                       "hint": {"type": "plain_text", "text": LENSES[factor]}})
    return blocks


def read_scores(view: dict) -> Scores:
    """The scores chosen in a form (None where left empty)."""
    values = view["state"]["values"]

    def chosen(factor: Factor) -> int | None:
        option = values.get(FIELDS[factor], {}).get(FIELDS[factor], {}).get("selected_option") or {}
        return int(option["value"]) if str(option.get("value", "")).isdigit() else None

    return Scores(*(chosen(factor) for factor in Factor))


def build_score_modal(name: str, initiative_id: int, current: Scores, *, formula: str) -> dict:
    return {
        "type": "modal", "callback_id": View.SCORES,
        "private_metadata": json.dumps({"initiative_id": initiative_id}),
        "title": {"type": "plain_text", "text": "Portfolio scores"},
        "submit": {"type": "plain_text", "text": "Save the scores"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"*{from_plain(name)}*"),
            context(f"The portfolio ranks initiatives by {from_plain(formula)}. Re-score each quarter, as the "
                    "scoring matrix advises; the audit log keeps the earlier scores."),
            *build_score_inputs(current, optional=False),
        ],
    }


def score_modal_initiative(view: dict) -> int:
    return int(json.loads(view.get("private_metadata") or "{}")["initiative_id"])


def _scores_line(entry: Entry) -> str:
    s = entry.scores
    return f"value {s.value} · feasibility {s.feasibility} · risk {s.risk}"


def build_portfolio_message(portfolio: Portfolio, *, csv_sent: str) -> tuple[str, list[dict]]:
    """The ranked initiatives (the first RANKED_SHOWN), the unscored ones, counts per stage and per risk tier, and
    `csv_sent`: a line on where the CSV went (or why it did not)."""
    entries = portfolio.entries
    how_many = f"{len(entries):,} initiative{'s' if len(entries) != 1 else ''}"
    stages = " · ".join(f"{stage.label} {count:,}" for stage, count in portfolio.by_stage.items())
    tiers = " · ".join(f"{tier.value} {count:,}" for tier, count in portfolio.by_tier.items())
    ranked = [f"{n}. *{from_plain(e.initiative.name)}*: {e.score:g} ({_scores_line(e)}) · {e.standing.stage.label}"
              f" · {e.initiative.risk_tier} risk tier"
              for n, e in enumerate(portfolio.ranked[:RANKED_SHOWN], 1)]
    if len(portfolio.ranked) > RANKED_SHOWN:
        ranked.append(f"…and {len(portfolio.ranked) - RANKED_SHOWN} more, in the CSV.")
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Portfolio"}},
        section(f"*{how_many} you can see*, ranked by "
                f"{from_plain(portfolio.formula.describe())}.\n*By stage:* {stages}\n*By risk tier:* {tiers}"),
    ]
    if ranked:
        blocks += [{"type": "divider"}, *packed_sections(ranked)]
    if portfolio.unscored:
        unscored = [(f"*Not scored yet ({len(portfolio.unscored)}):* score each with `/readiness score <name>`: "
                     "value, feasibility and risk, 1 to 5."),
                    *(f"• *{from_plain(e.initiative.name)}* · {e.standing.stage.label}"
                      for e in portfolio.unscored[:UNSCORED_SHOWN])]
        if len(portfolio.unscored) > UNSCORED_SHOWN:
            unscored.append(f"…and {len(portfolio.unscored) - UNSCORED_SHOWN} more, in the CSV.")
        blocks += [{"type": "divider"}, *packed_sections(unscored)]
    blocks.append(context(csv_sent))
    top = portfolio.ranked[0].initiative.name if portfolio.ranked else None
    text = f"Portfolio: {how_many}" + (f", {from_plain(top)} first" if top else "")
    return shorten(text, MAX_FALLBACK), blocks
