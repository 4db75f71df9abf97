"""The answer forms: a question's details modal, the area picker, and the form answering one area's questions at once;
and reading what was submitted in them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.answering import Given
from bot.domain.progress import ReviewState
from bot.framework import EvidenceKind, Question
from bot.slack.blocks.inputs import input_block, text_element
from bot.slack.blocks.limits import MAX_OPTION_TEXT, MAX_OPTIONS, MAX_VIEW_BLOCKS, context, packed_sections, section
from bot.slack.blocks.messages import status_label
from bot.slack.ids import FormField, View, form_field
from bot.text import from_plain, from_slack, shorten
from storage.models import Answer, AnswerStatus, Evidence

CHOICES = (AnswerStatus.MET, AnswerStatus.PARTLY, AnswerStatus.NOT_YET, AnswerStatus.NA)
EVIDENCE_SHOWN = 5  # the newest evidence a details modal shows
EVIDENCE_CHARS = 500  # of each
EVIDENCE_MAX = 3000  # what one evidence input takes
AREA_FIXED_BLOCKS = 3  # the area form's intro, its how-to and the line saying which of its questions it holds
PER_AREA_FORM = (MAX_VIEW_BLOCKS - AREA_FIXED_BLOCKS) // 2  # each question: its answer and its evidence input
PLACEHOLDERS = {
    EvidenceKind.LINK: "A link to it",
    EvidenceKind.NUMBER: "The number, with its unit",
    EvidenceKind.PERSON: "Who it is: @name",
    EvidenceKind.TEXT: "What was done, and where it is written down",
}
NOTHING_GIVEN_AREA = ("Choose an answer or add evidence for at least one question, or close the form to leave them "
                      "as they are.")
NOTHING_GIVEN_DETAILS = "Add evidence or choose an answer, then save. To leave the question as it is, close the form."


# ------------------------------------------------------------------ the question's details


def build_details_modal(state: ReviewState, question: Question) -> dict:
    """Everything about one question (why, what Met looks like, the evidence asked for, its source), its answer and
    evidence so far, and inputs to add evidence and answer it."""
    number, total = state.position(question)
    area = state.framework.area(question.area)
    blocks = [
        section(f"*{from_plain(area.name)} · Question {number} of {total}*\n*{from_plain(question.text)}*"),
        context(_answer_line(state.latest(question.id))),
        *_evidence_blocks(state.evidence_for(question.id)),
        {"type": "divider"},
        section(f"*Why we ask:* {from_plain(question.why)}"),
        section(f"*Met looks like:* {from_plain(question.met_looks_like)}"),
    ]
    if question.evidence:
        blocks.append(section(f"*Evidence asked for:* {from_plain(question.evidence.prompt)}"))
    blocks += [
        context(_source_line(state, question)),
        {"type": "divider"},
        _answer_input(question, label="Answer", current=None),
        input_block(form_field(FormField.EVIDENCE, question.id), "Add evidence",
                    text_element(_placeholder(question), max_length=EVIDENCE_MAX), optional=True,
                    hint="Kept with the evidence already given; nothing is replaced."),
    ]
    return _modal(View.QUESTION_DETAILS, "Question details", "Save", blocks,
                  {"review_id": state.review.id, "question_id": question.id})


@dataclass(frozen=True)
class DetailsSubmission:
    review_id: int
    question_id: str
    status: AnswerStatus | None
    evidence: str | None


def read_details(view: dict) -> DetailsSubmission:
    meta = json.loads(view["private_metadata"])
    given = _given(view, meta["question_id"])
    return DetailsSubmission(meta["review_id"], meta["question_id"], given.status, given.evidence)


def details_errors(submitted: DetailsSubmission) -> dict[str, str] | None:
    """The field error for a submission that gives nothing, else None."""
    if submitted.status is None and submitted.evidence is None:
        return {form_field(FormField.EVIDENCE, submitted.question_id): NOTHING_GIVEN_DETAILS}
    return None


def _answer_line(latest: Answer | None) -> str:
    if latest is None:
        return f"*Answer:* {status_label(None)}"
    return f"*Answer:* {status_label(latest.status)} by <@{latest.answered_by}> · {_when(latest.answered_at)}"


def _evidence_blocks(evidence: list[Evidence]) -> list[dict]:
    if not evidence:
        return [context("*Evidence so far:* none yet.")]
    shown = evidence[-EVIDENCE_SHOWN:]
    lines = ["*Evidence so far*"] + [
        f"• {shorten(from_slack(e.text), EVIDENCE_CHARS)} (<@{e.provided_by}>, {_when(e.provided_at)})"
        for e in reversed(shown)
    ]
    if len(evidence) > len(shown):
        lines.append(f"…and {len(evidence) - len(shown)} earlier, all in the audit report: `/readiness export`.")
    return packed_sections(lines)


def _source_line(state: ReviewState, question: Question) -> str:
    line = f"*Source:* {from_plain(question.source)}"
    if question.standards:
        cited = [f"<{state.framework.reference(ref.standard).url}|{ref.label}>" for ref in question.standards]
        line += f"\n*Standards:* {', '.join(cited)}"
    return line


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# ------------------------------------------------------------------ answering by area


def build_area_picker(state: ReviewState) -> dict:
    """Which area to answer: each of the review's areas, with how many of its questions are answered."""
    options = [
        {"text": {"type": "plain_text",
                  "text": shorten(f"{p.area.name} ({p.answered} of {p.total} answered)", MAX_OPTION_TEXT)},
         "value": p.area.id}
        for p in state.areas()[:MAX_OPTIONS]
    ]
    blocks = [
        section(f"Answer all the questions of one area of *{from_plain(state.initiative.name)}* in one form."),
        input_block(FormField.AREA, "Area", {"type": "static_select", "options": options,
                                             "placeholder": {"type": "plain_text", "text": "Choose an area"}}),
    ]
    return _modal(View.AREA_PICKER, "Answer by area", "Next", blocks, {"review_id": state.review.id})


def read_area_choice(view: dict) -> tuple[int, str | None]:
    """The review and the area chosen (None if none was)."""
    chosen = view["state"]["values"].get(FormField.AREA, {}).get(FormField.AREA, {}).get("selected_option")
    return json.loads(view["private_metadata"])["review_id"], (chosen or {}).get("value")


def area_choice_errors() -> dict[str, str]:
    return {FormField.AREA: "Choose an area to answer."}


def build_area_form(state: ReviewState, area_id: str, *, start: int = 0) -> dict:
    """One area's questions from `start`, as many as a modal holds: each an answer (initially the current one) and
    evidence to add. An area with more says the rest are in the next form, which saving this one opens."""
    area = state.framework.area(area_id)
    questions = area_questions(state, area_id)
    part = questions[start:start + PER_AREA_FORM]
    end = start + len(part)
    blocks = [
        section(f"*{from_plain(area.name)}*\n{from_plain(area.description)}"),
        context("An answer left as it is stays as it is. Evidence you add is kept with what was given before. "
                "*More* on a question in the checklist says why we ask and what Met looks like."),
    ]
    for question in part:
        number, total = state.position(question)
        blocks += [
            _answer_input(question, label=f"{number}/{total}. {question.text}", current=state.status(question.id)),
            input_block(form_field(FormField.EVIDENCE, question.id), _evidence_label(question),
                        text_element(_placeholder(question), max_length=EVIDENCE_MAX), optional=True),
        ]
    blocks.append(context(_part_line(start, end, len(questions))))
    return _modal(View.AREA_FORM, "Answer by area", "Save and continue" if end < len(questions) else "Save", blocks,
                  {"review_id": state.review.id, "area_id": area_id, "start": start})


def area_questions(state: ReviewState, area_id: str) -> list[Question]:
    """The area's questions this review asks, in the framework's order."""
    return [q for q in state.questions if q.area == area_id]


@dataclass(frozen=True)
class AreaSubmission:
    review_id: int
    area_id: str
    start: int  # the first of the area's questions the form held
    given: list[Given]  # only the answers changed and the evidence written


def read_area_form(view: dict) -> AreaSubmission:
    meta = json.loads(view["private_metadata"])
    prefix = f"{FormField.ANSWER}:"
    questions = [b["block_id"].removeprefix(prefix) for b in view["blocks"] if b.get("block_id", "").startswith(prefix)]
    given = [g for g in (_given(view, q) for q in questions) if g.status is not None or g.evidence is not None]
    return AreaSubmission(meta["review_id"], meta["area_id"], meta["start"], given)


def area_form_errors(view: dict, submitted: AreaSubmission) -> dict[str, str] | None:
    """The field error, on the form's first answer, for a submission that gives nothing, else None."""
    if submitted.given:
        return None
    first = next(b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith(f"{FormField.ANSWER}:"))
    return {first: NOTHING_GIVEN_AREA}


def _evidence_label(question: Question) -> str:
    return f"Evidence: {question.evidence.prompt}" if question.evidence else "Evidence or a note"


def _part_line(start: int, end: int, total: int) -> str:
    if start == 0 and end == total:
        return f"{total} question{'s' if total != 1 else ''} in this area."
    rest = ("The rest are in the next form, which opens when you save this one." if end < total
            else "The last of them.")
    return f"Questions {start + 1} to {end} of {total} in this area. {rest}"


# ------------------------------------------------------------------ shared


def _answer_input(question: Question, *, label: str, current: AnswerStatus | None) -> dict:
    """An optional radio of the answers the question allows; `current` is chosen initially, where it is one."""
    options = {s: {"text": {"type": "plain_text", "text": status_label(s)}, "value": s.value}
               for s in CHOICES if s is not AnswerStatus.NA or question.allow_na}
    element = {"type": "radio_buttons", "options": list(options.values())}
    if current in options:
        element["initial_option"] = options[current]
    return input_block(form_field(FormField.ANSWER, question.id), label, element, optional=True)


def _given(view: dict, question_id: str) -> Given:
    """What the form gives for one question: its answer where it differs from the one it showed first, and the
    evidence written (None for either when nothing was)."""
    values = view["state"]["values"]
    answer_id, evidence_id = form_field(FormField.ANSWER, question_id), form_field(FormField.EVIDENCE, question_id)
    chosen = (values.get(answer_id, {}).get(answer_id, {}).get("selected_option") or {}).get("value")
    shown = next((b["element"].get("initial_option", {}).get("value") for b in view["blocks"]
                  if b.get("block_id") == answer_id), None)
    text = (values.get(evidence_id, {}).get(evidence_id, {}).get("value") or "").strip()
    status = AnswerStatus(chosen) if chosen and chosen != shown else None
    return Given(question_id, status, text or None)


def _placeholder(question: Question) -> str:
    return PLACEHOLDERS[question.evidence.kind] if question.evidence else "A link, a number or a note"


def _modal(callback_id: View, title: str, submit: str, blocks: list[dict], metadata: dict) -> dict:
    return {
        "type": "modal", "callback_id": callback_id, "private_metadata": json.dumps(metadata),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }
