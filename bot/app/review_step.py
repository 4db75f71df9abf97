"""One step of a review (an answer, a skip, a reply, an edited or deleted reply) as one unit of work: the change, the
messages it causes, the summary when it completes the review and a release approval it made stale are stored
together. Slack is asked before the unit (approver groups, the thread's link) and after it (App Home); the model
reads an unclear reply, or writes the summary's paragraph, once the unit has committed, on the slow workers (with
what follows it), so the listener is soon free again."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.app import release_staleness, summary
from bot.app.request_copies import review_link
from bot.domain import approvals
from bot.domain.answering import Step
from bot.services import Services
from bot.slack import ai_flow, conversation, home_flow, slow_work
from storage.models import Initiative, Review


def take(client: WebClient, services: Services, review_id: int, act: Callable[[Session], Step | None], *,
         user_id: str, where: conversation.Where | None = None) -> None:
    """Run `act` (the domain change on the review, and any message of its own) in one unit with what its step causes;
    what only the person sees goes `where` they wrote (else the review thread)."""
    approvers = _approvers(client, services, review_id)
    with services.session() as session:
        step = act(session)
        if step is None:
            return
        state = step.state
        assist = ai_flow.enabled(services, state.initiative.workspace_id, session=session)
        model_reads = ai_flow.reads_reply(step, assist=assist)
        conversation.write_step(session, step, user_id=user_id, hint=not model_reads, where=where)
        summary_later = step.completed and summary.write_unless_model(session, state, services, assist=assist)
        changed = step.recorded is not None  # an answer changed (evidence alone does not stale an approval)
        if step.changes and not step.completed:
            summary.refresh_posted(session, state, services)
        stale = release_staleness.write_if_stale(session, services, state.initiative.id,
                                                 approvers=approvers) if changed else None
    also = (user_id, stale.view.request.requested_by) if stale else (user_id,)

    def then() -> None:
        if summary_later:
            summary.post(client, services, review_id=review_id, also=also)  # the model's paragraph: slow work too
        elif step.changes or step.completed:
            home_flow.refresh(client, services, state.initiative.id, *also)

    def read_reply(*, busy: bool) -> None:
        """The model's reading of the reply (or the fallback, when the slow workers are `busy`), then `then`."""
        if busy:
            ai_flow.fall_back(services, step, user_id=user_id, where=where)
        else:
            ai_flow.propose(services, step, user_id=user_id, where=where)
        then()

    if model_reads:
        slow_work.hand_off(partial(read_reply, busy=False), refused=partial(read_reply, busy=True))
    else:
        then()


def _approvers(client: WebClient, services: Services, review_id: int) -> approvals.Approvers:
    """Who is in each approver group, asked of Slack before the unit (for a release approval the step may make
    stale); with the review thread's link, asked once per thread, where the initiative has a release request."""
    with services.reading() as session:
        initiative = session.get(Initiative, session.get(Review, review_id).initiative_id)
        requested = approvals.newest_request(initiative, session=session) is not None
    if requested:
        review_link(client, services, initiative.id)  # remembered, for the copies the unit may update
    return release_staleness.approvers(client, services)
