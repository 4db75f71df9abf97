"""The review's summary as a document: one message on one screen (the verdict, the first blockers with their owners
and next steps, counts per area), the preview only the person sees before it is posted, and the full list of
conditions in a modal."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.progress import AreaProgress
from bot.domain.summary import Condition, Summary, headline
from bot.framework import Framework
from bot.slack.blocks.decisions import decision_lines
from bot.slack.blocks.limits import MAX_FALLBACK, MAX_VIEW_BLOCKS, context, packed_sections, section
from bot.slack.blocks.messages import VERDICT_LABELS, release_button, status_label
from bot.slack.ids import Action
from bot.text import from_plain, shorten
from storage.models import AnswerStatus, GoDecision

BLOCKERS_SHOWN = 5
AREAS_TEXT = 800  # the counts per area at most; past it the rest are only counted
QUESTION_SHOWN, NEXT_STEP_SHOWN = 150, 200  # of a blocker in the message; the full list shows them whole
FULL_QUESTION, FULL_NEXT_STEP = 300, 400  # the framework's longest
AI_PARAGRAPH = 1000  # of the model's paragraph at most
DONE = (AnswerStatus.MET, AnswerStatus.NA)


def build_summary(summary: Summary, framework: Framework, *, ai_paragraph: str | None = None,
                  decisions: Sequence[GoDecision] = ()) -> tuple[str, list[dict]]:
    """The summary as one message of bounded size, however large the review: an AI-written paragraph, when given,
    first and marked as such; the go / no-go decision (`decisions`, newest first) after the verdict."""
    blocks = _document(summary, framework, ai_paragraph=ai_paragraph, decisions=decisions)
    return _fallback(summary), [*blocks, _buttons(summary)]


def build_summary_preview(summary: Summary, framework: Framework, *,
                          decisions: Sequence[GoDecision] = ()) -> tuple[str, list[dict]]:
    """The summary as only the person sees it before it goes to the team channel: the same, with Post to channel."""
    post = {"type": "button", "action_id": Action.POST_SUMMARY, "value": str(summary.review_id), "style": "primary",
            "text": {"type": "plain_text", "text": "Post to channel"}}
    buttons = _buttons(summary)
    blocks = [*_document(summary, framework, ai_paragraph=None, decisions=decisions),
              {**buttons, "elements": [post, *buttons["elements"]]}]
    return f"Preview, only you see it: {_fallback(summary)}", blocks


def build_posted_notice(summary: Summary, channel_id: str) -> str:
    """What replaces the preview once the summary is in the team channel."""
    return f"Posted the summary of {from_plain(summary.initiative.name)} to <#{channel_id}>."


def build_full_list(summary: Summary, framework: Framework) -> dict:
    """Every condition in a modal (blocking, the others, met with evidence missing), each with its owner and next
    step; past Slack's 100 blocks the last line says how many more and where they all are."""
    tier = framework.tier_info(summary.tier)
    name = from_plain(summary.initiative.name)
    others = [c for c in summary.conditions if not c.blocking]
    lines = []
    for heading, conditions, evidence in (
            (_blocking_heading(tier.label, len(summary.blockers)), summary.blockers, False),
            (f"*Other conditions to meet ({len(others)})*", others, False),
            (f"*Met, evidence missing ({len(summary.evidence_missing)})*", summary.evidence_missing, True)):
        if conditions:
            lines += [heading, *(_condition_line(c, FULL_QUESTION, FULL_NEXT_STEP, evidence=evidence)
                                 for c in conditions)]
    top = section(f"*{name}* · {VERDICT_LABELS[summary.verdict]} · risk tier {tier.label}")
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Readiness summary"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [top, *_fitting(lines or ["Every condition is met. 🎉"], MAX_VIEW_BLOCKS - 1, name)],
    }


def _document(summary: Summary, framework: Framework, *, ai_paragraph: str | None,
              decisions: Sequence[GoDecision]) -> list[dict]:
    initiative = summary.initiative
    tier = framework.tier_info(summary.tier)
    title = shorten(f"Readiness summary: {initiative.name}", 150)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        *([section(shorten(ai_paragraph, AI_PARAGRAPH)),
           context("✨ AI-written from the answers below: check it against them."), {"type": "divider"}]
          if ai_paragraph else []),
        section(f"*Verdict:* {VERDICT_LABELS[summary.verdict]}"),
        context(f"Risk tier: {tier.label} · {summary.answered} of {summary.total} questions answered · "
                f"owners <@{initiative.business_owner_id}> (business), <@{initiative.technical_owner_id}> "
                "(technical)"),
        *packed_sections(decision_lines(initiative, list(decisions))),
        section(f"*By area:* {_areas(summary.areas)}"),
    ]
    blockers = summary.blockers
    if blockers:
        more = len(blockers) - BLOCKERS_SHOWN
        blocks += [{"type": "divider"}, *packed_sections([
            _blocking_heading(tier.label, len(blockers)),
            *(_condition_line(c, QUESTION_SHOWN, NEXT_STEP_SHOWN) for c in blockers[:BLOCKERS_SHOWN]),
            *([f"…and {more} more blocking: see *Full list*."] if more > 0 else []),
        ])]
    others = len(summary.conditions) - len(blockers)
    counts = [f"{others} other condition{'s' if others != 1 else ''} to meet"] if others else []
    counts += [f"{len(summary.evidence_missing)} met, evidence missing"] if summary.evidence_missing else []
    if not summary.conditions:
        blocks.append(section("Every condition is met. 🎉"))
    if counts:
        blocks.append(context(f"{' · '.join(counts)}: each with its owner and next step in *Full list*."))
    return blocks


def _blocking_heading(tier_label: str, count: int) -> str:
    return f"*⛔ Blocking release at this risk tier: {tier_label} ({count})*"


def _buttons(summary: Summary) -> dict:
    full_list = {"type": "button", "action_id": Action.SUMMARY_FULL_LIST, "value": str(summary.review_id),
                 "text": {"type": "plain_text", "text": "Full list"}}
    return {"type": "actions", "elements": [full_list, release_button(summary.initiative.id)]}


def _fallback(summary: Summary) -> str:
    return shorten(f"Readiness summary: {from_plain(headline(summary))}", MAX_FALLBACK)


def _areas(areas: list[AreaProgress]) -> str:
    """Each area's count on one line ("Ownership ✅ 5 · Trust 🟡 2/3"), within AREAS_TEXT."""
    items = []
    for progress in areas:
        done = sum(progress.counts[s] for s in DONE)
        if done == progress.total:
            items.append(f"{progress.area.name} ✅ {done}")
            continue
        unmet = progress.counts[AnswerStatus.NOT_YET] or progress.answered < progress.total
        items.append(f"{progress.area.name} {'❌' if unmet else '🟡'} {done}/{progress.total}")
    shown = []
    for n, item in enumerate(items):
        if len(" · ".join([*shown, item])) > AREAS_TEXT:
            return " · ".join(shown) + f" · and {len(items) - n} more areas"
        shown.append(item)
    return " · ".join(shown)


def _condition_line(condition: Condition, question_max: int, step_max: int, *, evidence: bool = False) -> str:
    """A condition with its owner and next step; for one met but missing its `evidence`, giving it is the step."""
    q = condition.question
    step = f"add the evidence: {q.evidence.prompt}" if evidence else q.next_step
    return (f"• {status_label(condition.status)}: *{shorten(q.text, question_max)}*\n"
            f"    Owner <@{condition.owner_id}> · Next step: {shorten(step, step_max)}")


def _fitting(lines: list[str], budget: int, name: str) -> list[dict]:
    """The lines packed into at most `budget` sections; if they do not fit, as many as do and a last line."""
    blocks = packed_sections(lines)
    if len(blocks) <= budget:
        return blocks
    low, high = 0, len(lines)
    while low < high:  # the most lines that fit, one block kept for the last line
        middle = (low + high + 1) // 2
        low, high = (middle, high) if len(packed_sections(lines[:middle])) < budget else (low, middle - 1)
    hidden = sum(line.startswith("• ") for line in lines[low:])
    return [*packed_sections(lines[:low]),
            context(f"…and {hidden} more: `/readiness export {name}` sends you the whole review by DM.")]
