"""Messages the bot posts: the review root, questions, evidence requests, status, help (the summary is in
summary.py)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ai.overrides import OverrideRow
from bot.ai.usage import UsageRow
from bot.domain.progress import AreaProgress, ReviewState
from bot.domain.summary import Verdict
from bot.framework import Framework, Question
from bot.slack.blocks.decisions import decision_lines
from bot.slack.blocks.limits import (
    MAX_FALLBACK,
    MAX_OPTION_TEXT,
    MAX_OPTIONS,
    context,
    packed_sections,
    section,
)
from bot.slack.ids import Action, question_ref
from bot.text import from_plain, shorten
from storage.models import AnswerStatus, GoDecision, Initiative

STATUS_LABELS = {
    AnswerStatus.MET: "✅ Met",
    AnswerStatus.PARTLY: "🟡 Partly",
    AnswerStatus.NOT_YET: "❌ Not yet",
    AnswerStatus.NA: "➖ N/A",
    AnswerStatus.SKIPPED: "⏭️ Skipped",
    None: "⬜ Not answered",
}
VERDICT_LABELS = {
    Verdict.READY: "🟢 Ready",
    Verdict.READY_WITH_CONDITIONS: "🟡 Ready with conditions",
    Verdict.NOT_READY: "🔴 Not ready",
}
EVIDENCE_PREVIEW = 280
COMMANDS = (
    ("/readiness new <name>", "start a readiness review of an AI system (opens the intake form)"),
    ("/readiness status <name>", "progress per area; go back to any question and change its answer"),
    ("/readiness summary <name>", ("preview the verdict, blockers with owners and counts per area, then post it to the "
                                   "team channel (it stays up to date in place)")),
    ("/readiness release <name>", "ask the approvers the risk tier requires to approve a production release"),
    ("/readiness continue <name>", "post the open questions again, each owner's to them"),
    ("/readiness edit <name>", ("change the risk tier or the go/no-go date (owners only); an approval made before "
                                "it turns stale")),
    ("/readiness decide <name>", "record the go / no-go decision: go, no-go or extend the pilot, with who, when and why"),
    ("/readiness report <name>", "report this week's adoption numbers (the weekly check-in asks for them)"),
    ("/readiness baseline <name>", ("the process before the AI, a north-star metric and two guardrails: the "
                                    "weekly digest compares each week with them")),
    ("/readiness schedule <weekday> <hour>", "when the weekly check-in goes out (default monday 10)"),
    ("/readiness score <name>", "score it on value, feasibility and risk, 1 to 5 each, for the portfolio"),
    ("/readiness portfolio", ("every initiative you can see, ranked (as shipped: value × feasibility, lower risk "
                              "first on ties), with counts per stage and risk tier; the CSV comes by DM")),
    ("/readiness export <name>", ("the audit report by DM: every answer with its history and evidence, approvals, "
                                  "refused attempts, AI proposals, the go/no-go decision and adoption")),
    ("/readiness retire <name>", "retire an initiative: no more weekly nudges (owners only)"),
    ("/readiness ai on|off", "AI assist for this workspace (only with an OpenAI key; a person always confirms)"),
    ("/readiness usage", "this month's AI calls, tokens and estimated cost per initiative"),
    ("/readiness help", "this list"),
)


def status_label(status: AnswerStatus | None) -> str:
    return STATUS_LABELS[status]


def build_root_message(initiative: Initiative, framework: Framework, *, review_id: int, started_by: str,
                       in_dm: bool) -> tuple[str, list[dict]]:
    """The review's root message in the team channel: what is reviewed, its owners, where the questions are."""
    tier = framework.tier_info(initiative.risk_tier)
    name = from_plain(initiative.name)
    lines = [
        f"*Risk tier:* {tier.label} · *Owners:* <@{initiative.business_owner_id}> (business), "
        f"<@{initiative.technical_owner_id}> (technical)",
    ]
    if initiative.go_live_date:
        lines.append(f"*Go/no-go date:* {initiative.go_live_date.isoformat()}")
    where = "by DM" if in_dm else "in this thread"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": shorten(f"Readiness review: {initiative.name}", 150)}},
        section("\n".join(lines)),
        context(f"Started by <@{started_by}>. Each owner gets their questions {where}; anyone here may answer."),
        {"type": "actions", "elements": [{
            "type": "button", "action_id": Action.OPEN_AREA_FORM, "value": str(review_id),
            "text": {"type": "plain_text", "text": "Answer by area"}}]},
    ]
    return f"Readiness review: {name}", blocks


def build_usage(rows: list[UsageRow], decided: list[OverrideRow]) -> str:
    """This month's model calls and cost per initiative, and how often people changed its proposals, and why."""
    lines = ["*AI use this month*", "`initiative                      calls  failed  tokens in  tokens out   est. cost`"]
    for row in rows:
        cost = f"${row.cost:,.4f}" if row.cost is not None else "unknown"
        lines.append(f"`{row.initiative[:30]:<30}  {row.calls:>5}  {row.failed:>6}  {row.tokens_in:>9,}  "
                     f"{row.tokens_out:>10,}  {cost:>10}`")
    for row in decided:
        total = row.confirmed + row.changed
        lines.append(f"*Proposals (prompt {row.prompt_version}):* {total} decided by people, {row.changed} changed "
                     f"({row.rate:.0%} override rate).")
        lines += [f"• Why: {shorten(from_plain(reason), 300)}" for reason in row.reasons]
    return shorten("\n".join(lines), MAX_FALLBACK)


def build_already_answered(question: Question, status: AnswerStatus, answered_by: str) -> str:
    """For the second of two people who gave the same answer: who gave it; nothing more was recorded."""
    return (f"<@{answered_by}> already answered “{shorten(question.text, 150)}”: {status_label(status)}. "
            "Click another answer on the question to change it.")


def release_button(initiative_id: int) -> dict:
    """Request release approval (under the summary, and in App Home)."""
    return {"type": "button", "action_id": Action.REQUEST_RELEASE, "value": str(initiative_id),
            "text": {"type": "plain_text", "text": "Request release approval"}}


def _area_line(progress: AreaProgress) -> str:
    counts = progress.counts
    parts = [f"{counts[s]} {STATUS_LABELS[s].split(' ', 1)[1].lower()}"
             for s in (AnswerStatus.MET, AnswerStatus.PARTLY, AnswerStatus.NOT_YET, AnswerStatus.NA) if counts[s]]
    open_count = progress.total - progress.answered
    if open_count:
        parts.append(f"{open_count} open")
    icon = "✅" if counts[AnswerStatus.MET] + counts[AnswerStatus.NA] == progress.total else (
        "❌" if counts[AnswerStatus.NOT_YET] or open_count else "🟡")
    return f"{icon} *{progress.area.name}*: {', '.join(parts)}"


def build_status_message(state: ReviewState, *, decisions: Sequence[GoDecision] = ()) -> tuple[str, list[dict]]:
    """Progress per area, the go / no-go decision, and a menu to go back to any question (one per 100 questions)."""
    name = from_plain(state.initiative.name)
    lines = [f"*{name}*: {state.answered} of {len(state.questions)} questions answered"]
    lines += [_area_line(p) for p in state.areas()]
    lines += decision_lines(state.initiative, list(decisions))
    blocks = packed_sections(lines)
    questions = state.questions
    for start in range(0, len(questions), MAX_OPTIONS):
        chunk = questions[start : start + MAX_OPTIONS]
        blocks.append({
            "type": "section",
            "block_id": f"revisit_{start}",
            "text": {"type": "mrkdwn", "text": "Go back to a question to see or change its answer:"},
            "accessory": {
                "type": "static_select",
                "action_id": Action.REVISIT_QUESTION,
                "placeholder": {"type": "plain_text", "text": "Choose a question"},
                "options": [_question_option(state, q) for q in chunk],
            },
        })
    return f"{name}: {state.answered} of {len(questions)} answered", blocks


def _question_option(state: ReviewState, question: Question) -> dict:
    number, _ = state.position(question)
    mark = STATUS_LABELS[state.status(question.id)].split(" ", 1)[0]
    return {
        "text": {"type": "plain_text", "text": shorten(f"{mark} {number}. {question.text}", MAX_OPTION_TEXT)},
        "value": question_ref(state.review.id, question.id),
    }


def build_help(intro: str | None = None) -> tuple[str, list[dict]]:
    lines = [f"`{usage}`: {what}" for usage, what in COMMANDS]
    blocks = ([section(intro)] if intro else []) + [
        section("*Readiness Bot* runs a production-readiness review of an AI system, right here in Slack."),
        section("\n".join(lines)),
    ]
    return (intro or "Readiness Bot commands") + "\n" + "\n".join(lines), blocks


def build_start_prompt() -> tuple[str, list[dict]]:
    text, blocks = build_help()
    blocks.append({
        "type": "actions",
        "elements": [{
            "type": "button", "action_id": Action.START_REVIEW, "style": "primary",
            "text": {"type": "plain_text", "text": "Start a readiness review"},
        }],
    })
    return text, blocks
