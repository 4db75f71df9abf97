"""Starting a review from the intake form: the initiative, its review, its adoption baseline if given, what the
intake already answers proposed as evidence, the root message in the team channel and each owner's checklist, in one
unit of work; the messages are delivered
once the form is acknowledged (`Services.deliver`)."""

from __future__ import annotations

from bot.domain import answering, baseline
from bot.domain.approvals import Approvers
from bot.domain.initiatives import IntakeErrors, create_initiative
from bot.domain.progress import ReviewState
from bot.services import Services
from bot.slack import conversation
from storage import outbox
from storage.models import InitiativeCreate


def start(services: Services, form: InitiativeCreate, scorecard: baseline.BaselineInput, *, user_id: str,
          approvers: Approvers) -> list[int]:
    """Store the intake and write the review's first messages; the messages written, to deliver once the form is
    acknowledged. The questions of an approver group (risk and compliance) are asked of its people in `approvers`
    (found before the unit). IntakeErrors (every field's problem, the scorecard's too) when the form does not do."""
    with services.session(deliver=False) as session:
        wrong = baseline.problems(scorecard)  # the adoption scorecard's optional fields
        try:
            _, review = create_initiative(form, session=session, framework=services.framework,
                                          now=services.clock.now())
        except IntakeErrors as invalid:
            raise IntakeErrors({**wrong, **invalid.errors}) from None
        if wrong:
            raise IntakeErrors(wrong)
        if not scorecard.empty:
            baseline.record(review.initiative_id, scorecard, user_id=user_id, session=session)
        review.routed = {role: sorted(people) for role, people in approvers.groups.items() if people}
        session.add(review)
        session.flush()
        state = ReviewState.load(review.id, session=session, framework=services.framework)
        answering.propose_from_intake(state, session=session)
        conversation.start_thread(session, state, services.framework, started_by=user_id)
        return outbox.queued(session)

