"""The review conversation's messages in Slack: what each step the domain takes causes, written to the outbox in the
caller's unit of work (delivered once it commits). The use cases in bot/app decide when these are written."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.domain import go_decisions
from bot.domain.answering import Step, mark_summary_posted
from bot.domain.progress import ReviewState
from bot.domain.summary import summarize
from bot.framework import Framework, Question
from bot.slack.blocks import checklist, messages
from bot.slack.blocks import summary as summary_blocks
from bot.text import from_plain
from storage import outbox, summary_posts
from storage.models import OutboxMessage, ReviewPost

DM = "dm"  # a review whose owners get their questions in a DM with the bot (else in the review thread)
CHECKLIST = "checklist"
Where = tuple[str, str | None]  # a channel, and a thread in it


def retry_hint(state: ReviewState) -> str:
    return (
        "Nothing you entered was lost: once that is fixed, run "
        f"`/readiness continue {from_plain(state.initiative.name)}`."
    )


def start_thread(session: Session, state: ReviewState, framework: Framework, *, started_by: str) -> None:
    """The review's root message in the team channel, then each owner's checklist: in the root's thread, or by DM."""
    review = state.review
    text, blocks = messages.build_root_message(state.initiative, framework, review_id=review.id,
                                               started_by=started_by, in_dm=review.asks_in == DM)
    root = outbox.post(session, conversation=review.channel_id, text=text, blocks=blocks,
                       workspace_id=state.initiative.workspace_id, then={"review_thread": review.id},
                       tell=started_by, hint=retry_hint(state))
    post_checklists(session, state, root=root, tell=started_by)


def ask_current(session: Session, state: ReviewState, framework: Framework) -> bool:
    """Post the open questions again (each owner's checklist that holds one), starting the thread if it has none;
    False when no question is open (the summary is due)."""
    root = outbox.thread_root(state.review.id, session=session) if state.review.thread_ts is None else None
    if state.review.thread_ts is None and root is None:
        start_thread(session, state, framework, started_by=state.initiative.created_by)
        return True
    still = {q.id for q in state.open_questions()}
    if not still:
        return False
    post_checklists(session, state, root=root, only=still)
    return True


def post_checklists(session: Session, state: ReviewState, *, root: OutboxMessage | None = None,
                    tell: str | None = None, only: set[str] | None = None) -> None:
    """Each person's checklist (those holding a question in `only`, when given), in the thread or in their DM; the
    newest post of each is the one kept up to date."""
    review = state.review
    kept = _checklist_posts(session, review.id)
    for person, part, questions in checklist.parts(state):
        if only is not None and not only & {q.id for q in questions}:
            continue
        text, blocks = checklist.build_checklist(state, person, questions, part=part, in_dm=review.asks_in == DM)
        if review.asks_in == DM:
            post = outbox.post(session, conversation=person, text=text, blocks=blocks,
                               workspace_id=state.initiative.workspace_id, tell=tell, hint=retry_hint(state))
        else:
            post = in_thread(session, state, text, blocks=blocks, root=root, tell=tell)
        row = kept.get((person, part)) or ReviewPost(review_id=review.id, kind=CHECKLIST, person_id=person, part=part,
                                                     outbox_id=post.id)
        row.outbox_id = post.id
        session.add(row)


def show_again(session: Session, state: ReviewState, questions: list[Question], *, tell: str | None = None) -> None:
    """Update in place the checklist messages that show these questions; `tell` hears of it if Slack refuses."""
    touched = {q.id for q in questions}
    kept = _checklist_posts(session, state.review.id)
    for person, part, shown in checklist.parts(state):
        row = kept.get((person, part))
        if row is None or not touched & {q.id for q in shown}:
            continue
        text, blocks = checklist.build_checklist(state, person, shown, part=part, in_dm=state.review.asks_in == DM)
        outbox.update_post(session, session.get(OutboxMessage, row.outbox_id), text=text, blocks=blocks, tell=tell,
                           hint=retry_hint(state))


def redraw(session: Session, state: ReviewState) -> None:
    """After the questions changed (a new risk tier): every checklist posted is updated in place to the questions the
    review asks now, and a part that has no message yet (more questions, someone new) is posted."""
    kept = _checklist_posts(session, state.review.id)
    show_again(session, state, state.questions)
    parts = checklist.parts(state)
    new = {q.id for person, part, questions in parts if (person, part) not in kept for q in questions}
    if new:
        post_checklists(session, state, only=new)
    now = {(person, part) for person, part, _ in parts}
    for key, row in kept.items():
        if key not in now:  # its questions are no longer asked
            text, blocks = checklist.build_emptied(state)
            outbox.update_post(session, session.get(OutboxMessage, row.outbox_id), text=text, blocks=blocks)


def _checklist_posts(session: Session, review_id: int) -> dict[tuple[str, int], ReviewPost]:
    rows = session.exec(select(ReviewPost).where(ReviewPost.review_id == review_id, ReviewPost.kind == CHECKLIST))
    return {(row.person_id, row.part): row for row in rows}


def in_thread(session: Session, state: ReviewState, text: str, *, blocks: list[dict] | None = None,
              root: OutboxMessage | None = None, tell: str | None = None) -> OutboxMessage:
    """A message in the review's thread."""
    review = state.review
    if review.thread_ts is None and root is None:
        root = outbox.thread_root(review.id, session=session)
    return outbox.post(session, conversation=review.channel_id, thread_ts=review.thread_ts, thread_of=root,
                       text=text, blocks=blocks, workspace_id=state.initiative.workspace_id, tell=tell,
                       hint=retry_hint(state))


def write_step(session: Session, step: Step, *, user_id: str, hint: bool = True, where: Where | None = None) -> None:
    """What a step changes in Slack: the checklists showing its questions, updated in place; only for the person,
    who answered already, and a hint (unless `hint` is False: the model reads the reply instead), where they wrote
    (`where`, else the review thread)."""
    state, question = step.state, step.question
    review = state.review
    channel, thread_ts = where or (review.channel_id, review.thread_ts)
    only_them = dict(channel=channel, user_id=user_id, thread_ts=thread_ts, workspace_id=state.initiative.workspace_id)
    if step.answered_by:
        outbox.ephemeral(session, text=messages.build_already_answered(question, state.status(question.id),
                                                                       step.answered_by), **only_them)
    if step.hint and hint:
        outbox.ephemeral(session, text=step.hint, **only_them)
    if step.changes:
        show_again(session, state, step.touched, tell=user_id)


def write_summary(session: Session, state: ReviewState, framework: Framework, *, paragraph: str | None,
                  posting: bool = True) -> None:
    """The summary in the team channel itself (not the thread), one message kept up to date in place: posted once,
    then updated, with the model's `paragraph` (asked for before the unit of work, never inside it). When `posting`,
    the review records it was posted; otherwise only an already posted summary is updated (an answer changed)."""
    previous = summary_posts.posted(state.review.id, session=session)
    if previous is None and not posting:
        return
    decisions = go_decisions.history(state.initiative.id, session=session)
    text, blocks = summary_blocks.build_summary(summarize(state), framework, ai_paragraph=paragraph,
                                                decisions=decisions)
    if previous is not None:
        outbox.update_post(session, previous, text=text, blocks=blocks)
    else:
        summary_posts.record(state.review.id, outbox.post(
            session, conversation=state.review.channel_id, text=text, blocks=blocks,
            workspace_id=state.initiative.workspace_id, hint=retry_hint(state)), session=session)
    if posting:
        mark_summary_posted(state.review, session=session)
