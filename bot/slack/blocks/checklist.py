"""A person's checklist: the review's questions that fall to them, each a line with its answer buttons, kept up to
date in place as anyone answers. "Why we ask", what Met looks like and the evidence asked for are behind More."""

from __future__ import annotations

from bot.domain.answering import NEEDS_EVIDENCE, has_good_evidence
from bot.domain.progress import ReviewState
from bot.framework import Question
from bot.slack.blocks.limits import MAX_BLOCKS, section
from bot.slack.blocks.messages import status_label
from bot.slack.ids import Action, question_ref
from bot.text import from_plain, from_slack, shorten
from storage.models import AnswerStatus

PER_MESSAGE = (MAX_BLOCKS - 1) // 2  # a heading, then a line and a row of buttons per question
EVIDENCE_SHOWN = 80
BUTTONS = (
    (Action.ANSWER_MET, "Met", AnswerStatus.MET),
    (Action.ANSWER_PARTLY, "Partly", AnswerStatus.PARTLY),
    (Action.ANSWER_NOT_YET, "Not yet", AnswerStatus.NOT_YET),
    (Action.ANSWER_NA, "N/A", AnswerStatus.NA),
)


def parts(state: ReviewState) -> list[tuple[str, int, list[Question]]]:
    """Each checklist message of the review: (the person it asks, its part, its questions)."""
    return [(person, start // PER_MESSAGE, questions[start : start + PER_MESSAGE])
            for person, questions in state.by_owner().items()
            for start in range(0, len(questions), PER_MESSAGE)]


def build_checklist(state: ReviewState, person_id: str, questions: list[Question], *, part: int,
                    in_dm: bool) -> tuple[str, list[dict]]:
    """One checklist message: at most PER_MESSAGE questions (`part` counts from 0)."""
    name = from_plain(state.initiative.name)
    theirs = state.by_owner()[person_id]
    mine = len(theirs)
    where = "here" if in_dm else "in this thread"
    whom = ", ".join(f"<@{p}>" for p in state.people(theirs))
    these = f"{mine} questions are" if mine != 1 else "1 question is"
    heading = f"*{name}*: {these} yours." if in_dm else f"*{whom}, {these} yours.*"
    heading += f" Click, or reply {where} with yes, no, partly or n/a (`#7 yes` for 7)."
    if part:
        heading = f"*<@{person_id}>, more of yours:*"
    blocks = [section(heading)]
    for question in questions:
        blocks += [section(_line(state, question)), _buttons(state, question)]
    return f"{mine} question{'s' if mine != 1 else ''} for <@{person_id}> in the readiness review of {name}", blocks


def build_emptied(state: ReviewState) -> tuple[str, list[dict]]:
    """A checklist whose questions the review no longer asks (its risk tier changed)."""
    text = (f"The readiness review of {from_plain(state.initiative.name)} no longer asks these questions at its "
            "risk tier; the answers given stay in its history.")
    return text, [section(text)]


def _line(state: ReviewState, question: Question) -> str:
    number, _ = state.position(question)
    line = f"*{number}.* {question.text}"
    latest = state.latest(question.id)
    evidence = state.evidence_for(question.id)
    if latest is None or latest.status == AnswerStatus.SKIPPED:
        return f"{line}\n📎 {shorten(from_slack(evidence[-1].text), EVIDENCE_SHOWN)}" if evidence else line
    line += f"\n{status_label(latest.status)} by <@{latest.answered_by}>"
    if evidence:
        line += f" · 📎 {shorten(from_slack(evidence[-1].text), EVIDENCE_SHOWN)}"
    if latest.status in NEEDS_EVIDENCE and question.evidence and not has_good_evidence(state, question):
        line += f"\n📎 _{question.evidence.prompt}_ Reply {'' if evidence else 'with it '}here, or use More."
    return line


def _buttons(state: ReviewState, question: Question) -> dict:
    value = question_ref(state.review.id, question.id)
    current = state.status(question.id)
    elements = []
    for action, label, status in BUTTONS:
        if status is AnswerStatus.NA and not question.allow_na:
            continue
        button = {"type": "button", "action_id": action, "value": value, "text": {"type": "plain_text", "text": label}}
        if current == status:
            button["style"] = "primary"
        elements.append(button)
    elements.append({"type": "button", "action_id": Action.QUESTION_DETAILS, "value": value,
                     "text": {"type": "plain_text", "text": "More"}})
    return {"type": "actions", "block_id": f"answer_{question.id}"[:255], "elements": elements}
