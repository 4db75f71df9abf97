"""AI assist in Slack: proposals a person confirms or changes, the summary paragraph, the approver pre-read.

Every model call runs after Slack's ack, on the slow workers (bot/slack/slow_work.py); any failure, or workers too busy
to take it, falls back to the buttons in one line.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from bot.ai.assist import AIUnavailable, Assessment, prompt
from bot.domain.answering import Step
from bot.domain.approvals import RequestView
from bot.domain.summary import Summary, describe
from bot.services import Services
from bot.slack.blocks.limits import context, section
from bot.slack.blocks.messages import status_label
from bot.slack.conversation import Where
from bot.slack.ids import Action, proposal_ref
from bot.text import from_model, shorten
from storage import outbox
from storage.models import AnswerStatus, Initiative, Workspace

logger = logging.getLogger(__name__)
FALLBACK = ("🤖 AI assist could not help this time ({why}). Answer with the buttons, or start a reply with yes, no, "
            "partly or n/a.")
BUSY = "AI assist is busy with other requests."
SUMMARY_UNAVAILABLE = "_AI summary unavailable right now; the summary below is complete._"


def enabled(services: Services, workspace_id: int | None, *, session: Session | None = None) -> bool:
    """Whether AI assist is on for the workspace: read in `session` (a unit of work under way), else in a read-only
    unit of its own."""
    if services.assistant is None or workspace_id is None:
        return False
    if session is not None:
        return _switched_on(session, workspace_id)
    with services.reading() as reading:
        return _switched_on(reading, workspace_id)


def _switched_on(session: Session, workspace_id: int) -> bool:
    workspace = session.get(Workspace, workspace_id)
    return bool(workspace and workspace.ai_assist_enabled)


def reads_reply(step: Step, *, assist: bool) -> bool:
    """A reply that answered nothing goes to the model (when AI assist is on), which proposes an answer to the
    replying person's next question."""
    return assist and bool(step.note)


def propose(services: Services, step: Step, *, user_id: str, where: Where | None = None) -> None:
    """Read a reply that answered nothing with the model (AI assist is on), then post its proposal where the reply
    was written (`where`, else the review thread); if the model cannot help, tell the person in one line."""
    initiative, question, review = step.state.initiative, step.question, step.state.review
    try:
        assessment = services.assistant.assess(question.text, question.met_looks_like, step.note,
                                               workspace_id=initiative.workspace_id, initiative_id=initiative.id)
    except AIUnavailable as why:
        fall_back(services, step, user_id=user_id, why=str(why), where=where)
        return
    text, blocks = build_proposal(assessment, step)
    channel, thread_ts = where or (review.channel_id, review.thread_ts)
    with services.session() as session:
        outbox.post(session, conversation=channel, thread_ts=thread_ts, text=text, blocks=blocks,
                    workspace_id=initiative.workspace_id)


def fall_back(services: Services, step: Step, *, user_id: str, why: str = BUSY, where: Where | None = None) -> None:
    """Tell the person in one line, where they wrote (`where`, else the review thread), that the model could not read
    their reply, and why."""
    initiative, review = step.state.initiative, step.state.review
    channel, thread_ts = where or (review.channel_id, review.thread_ts)
    with services.session() as session:
        outbox.ephemeral(session, channel=channel, user_id=user_id, thread_ts=thread_ts,
                         text=FALLBACK.format(why=why.rstrip(".").lower()), workspace_id=initiative.workspace_id)


def build_proposal(assessment: Assessment, step: Step) -> tuple[str, list[dict]]:
    reply = step.note or ""
    reason = from_model(assessment.reason, source=reply)
    ref = proposal_ref(step.state.review.id, step.question.id, prompt("assess_answer").version)
    if assessment.status == "unclear":
        follow_up = from_model(assessment.follow_up or "Could you say more about how this is done today?",
                               source=reply)
        text = f"🤖 Follow-up: {follow_up}"
        return text, [section(text), context("AI-written question. Reply here, or answer with the buttons above.")]
    status = AnswerStatus(assessment.status)
    lines = [f"🤖 *Proposed: {status_label(status)}*: {reason}"]
    if assessment.missing_evidence:
        lines.append(f"*Still missing:* {from_model(assessment.missing_evidence, source=reply)}")
    blocks = [
        section("\n".join(lines)),
        context("An AI reading of the reply above. Nothing is recorded until a person confirms or changes it."),
        {"type": "actions", "block_id": "ai_proposal", "elements": [
            {"type": "button", "action_id": Action.AI_CONFIRM, "style": "primary", "value": f"{ref}:{status.value}",
             "text": {"type": "plain_text", "text": f"Confirm {status_label(status).split(' ', 1)[1]}"}},
            {"type": "button", "action_id": Action.AI_CHANGE, "value": f"{ref}:{status.value}",
             "text": {"type": "plain_text", "text": "Change"}},
        ]},
    ]
    return f"AI proposal: {status_label(status)}", blocks


def build_proposal_decided(status: AnswerStatus, *, confirmed: bool, user_id: str) -> tuple[str, list[dict]]:
    """What the proposal's message shows once a person confirmed it or gave their own answer instead."""
    text = f"🤖 Proposal {'confirmed' if confirmed else 'changed'} by <@{user_id}>: {status_label(status)}."
    return text, [section(text)]


def summary_paragraph(services: Services, summary: Summary) -> str | None:
    """An executive paragraph from the stored answers, or None (AI off, or it could not help)."""
    initiative: Initiative = summary.initiative
    if not enabled(services, initiative.workspace_id):
        return None
    review_text = describe(summary)
    try:
        paragraph = services.assistant.executive_summary(review_text, workspace_id=initiative.workspace_id,
                                                         initiative_id=initiative.id)
    except AIUnavailable:
        return SUMMARY_UNAVAILABLE
    return from_model(shorten(paragraph, 1200), source=review_text)


def preread(services: Services, view: RequestView) -> list[str] | None:
    """Three hard questions for approvers, drawn from the answers (stored with the request)."""
    initiative = view.initiative
    if not enabled(services, initiative.workspace_id):
        return None
    waivers = "\n".join(f"Waiver for {w.question_id}: {w.reason} (owner {w.owner_id}, due {w.due_date})"
                        for w in view.waivers)
    try:
        return services.assistant.preread(f"{describe(view.summary)}\n{waivers}",
                                          workspace_id=initiative.workspace_id, initiative_id=initiative.id)
    except AIUnavailable as why:
        logger.info("No pre-read for request %s: %s", view.request.id, why)
        return None
