"""App Home: the initiatives a person sees, a page at a time: each one's stage, readiness, blocking gaps, this
week's adoption, what is due from the person, and the buttons to act on it."""

from __future__ import annotations

from bot.domain.home import Card, Home
from bot.domain.stages import Stage
from bot.framework import Framework
from bot.slack.blocks.adoption import report_button, week_label
from bot.slack.blocks.approvals import decision_buttons
from bot.slack.blocks.limits import context, section
from bot.slack.blocks.messages import release_button
from bot.slack.ids import Action
from bot.text import from_plain, shorten
from storage.models import Scorecard

STAGE_LABELS = {
    Stage.INTAKE: "📝 Intake",
    Stage.IN_REVIEW: "🔍 In review",
    Stage.READY: "🟢 Ready",
    Stage.AWAITING_APPROVAL: "⏳ Awaiting approval",
    Stage.APPROVED: "✅ Approved",
    Stage.IN_PRODUCTION: "🚀 In production",
    Stage.RETIRED: "🗄️ Retired",
}
BAR_WIDTH = 10
GAPS_SHOWN = 3
GAP_TEXT = 120  # of each gap's question
PAGES = "home_pages"
UNKNOWN_CHANNELS = ("⚠️ Slack would not tell me which channels you are in, so this shows only the initiatives you "
                    "own or approve. Open Home again in a minute to try again.")


def build_home(home: Home, framework: Framework) -> dict:
    """The Home tab: a page of at most PAGE_SIZE cards of three blocks each, and the blocks around them: always
    within Slack's 100 blocks."""
    if not home.total:
        return {"type": "home", "blocks": _empty(home)}
    last = home.first + len(home.cards) - 1
    pages = f" · page {home.page + 1} of {home.pages}" if home.pages > 1 else ""
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your AI initiatives"}},
        context(f"{home.first}–{last} of {home.total}: those you own or approve, and those of the channels you are "
                f"in{pages}."),
        *([context(UNKNOWN_CHANNELS)] if not home.channels_known else []),
    ]
    for card in home.cards:
        blocks += _card(card, framework)
    if home.pages > 1:
        blocks += [{"type": "divider"}, _pager(home)]
    return {"type": "home", "blocks": blocks}


def _empty(home: Home) -> list[dict]:
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Readiness Bot"}},
        section("*Nothing here yet.* This is where the AI initiatives you own, approve, or share a channel with show "
                "up: each with its stage, readiness, blocking gaps, this week's adoption and what is due from you."),
        section("*To start*, invite me to your team's channel (`/invite @Readiness Bot`) and run "
                "`/readiness new <name>` there, or click the button. `/readiness help` lists everything I do."),
        *([context(UNKNOWN_CHANNELS)] if not home.channels_known else []),
        {"type": "actions", "block_id": "home_start", "elements": [{
            "type": "button", "action_id": Action.START_REVIEW, "style": "primary",
            "text": {"type": "plain_text", "text": "Start a readiness review"},
        }]},
    ]


def _card(card: Card, framework: Framework) -> list[dict]:
    initiative, stage = card.initiative, card.stage
    tier = framework.tier_info(initiative.risk_tier).label
    lines = [f"*{from_plain(initiative.name)}* · {STAGE_LABELS[stage]} · {tier} · <#{initiative.channel_id}>",
             f"Readiness `{bar(card.met, card.asked)}` {card.met} of {card.asked} conditions met"]
    if card.gaps:
        shown = [shorten(c.question.text, GAP_TEXT) for c in card.gaps[:GAPS_SHOWN]]
        more = len(card.gaps) - len(shown)
        lines.append(f"⛔ {_count(len(card.gaps), 'condition')} {'blocks' if len(card.gaps) == 1 else 'block'} "
                     "release: " + "; ".join(shown) + (f"; and {more} more" if more else ""))
    if stage is not Stage.RETIRED:
        lines.append(_adoption(card))
    if card.deciding:
        lines.append(f"⏳ The release request by <@{card.deciding.requested_by}> waits for your decision.")
    if due := _due(card):
        lines.append("👉 *Due from you:* " + ", ".join(due) + ".")
    blocks = [{"type": "divider"}, section("\n".join(lines))]
    if buttons := _buttons(card):
        blocks.append({"type": "actions", "block_id": f"home_{initiative.id}", "elements": buttons})
    return blocks


def bar(met: int, asked: int) -> str:
    """Readiness as a text bar: the share of conditions met, in BAR_WIDTH steps."""
    filled = round(BAR_WIDTH * met / asked) if asked else 0
    return "▰" * filled + "▱" * (BAR_WIDTH - filled)


def _adoption(card: Card) -> str:
    if card.week is None:
        return "📊 Adoption: the first weekly check-in comes once its first week is over."
    if card.scorecard is None:
        return f"📊 Adoption, {week_label(card.week)}: not reported yet."
    return f"📊 Adoption, {week_label(card.week)}: " + ", ".join(_numbers(card.scorecard)) + "."


def _numbers(card: Scorecard) -> list[str]:
    numbers = [_count(card.active_users, "active user"), _count(card.repeat_users, "repeat user")]
    if card.hours_saved is not None:
        numbers.append(f"{card.hours_saved:,.1f} hours saved")
    if card.cycle_time_minutes is not None:
        numbers.append(f"{card.cycle_time_minutes:,.1f} minutes a task")
    return [*numbers, _count(card.escalations, "escalation"), _count(card.incidents, "incident")]


def _due(card: Card) -> list[str]:
    due = ["report this week's adoption"] if card.report_due else []
    if card.yours:
        verb, what = ("answer", "question") if card.review_open else ("meet", "condition")
        due.append(f"{verb} {_count(card.yours, what)} you own")
    return due + (["decide the release request"] if card.deciding else [])


def _count(number: int, thing: str) -> str:
    return f"{number:,} {thing}{'' if number == 1 else 's'}"


def _buttons(card: Card) -> list[dict]:
    initiative = card.initiative
    buttons = decision_buttons(card.deciding.id) if card.deciding else []
    if card.review_open:
        buttons.append({"type": "button", "action_id": Action.CONTINUE_REVIEW, "value": str(initiative.id),
                        "text": {"type": "plain_text", "text": "Continue the review"}})
    if card.requestable:
        buttons.append(release_button(initiative.id))
    if card.week is not None:
        buttons.append(report_button(initiative.id, card.week))
    return buttons


def _pager(home: Home) -> dict:
    buttons = []
    if home.page > 0:
        buttons.append({"type": "button", "action_id": Action.HOME_PREVIOUS, "value": str(home.page - 1),
                        "text": {"type": "plain_text", "text": "◀ Previous"}})
    if home.page < home.pages - 1:
        buttons.append({"type": "button", "action_id": Action.HOME_NEXT, "value": str(home.page + 1),
                        "text": {"type": "plain_text", "text": "Next ▶"}})
    return {"type": "actions", "block_id": PAGES, "elements": buttons}
