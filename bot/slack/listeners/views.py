"""Modal submissions: the intake form."""

from __future__ import annotations

import json

from slack_bolt import App

from bot.domain import baseline
from bot.domain.initiatives import IntakeErrors, create_initiative
from bot.domain.progress import ReviewState
from bot.errors import SlackDeliveryError
from bot.services import Services
from bot.slack import conversation
from bot.slack.blocks.adoption import read_baseline
from bot.slack.blocks.modals import read_intake
from bot.slack.failures import reports_errors
from bot.slack.ids import View
from storage import outbox


def handle_intake(ack, body: dict, view: dict, context) -> None:
    """Validate in the ack (field errors stay in the modal), then start the review in the channel."""
    services: Services = context["services"]
    user_id = body["user"]["id"]
    form, scorecard = read_intake(view, user_id=user_id), read_baseline(view)
    try:
        with services.session(deliver=False) as session:  # the form is acknowledged first, then Slack hears of it
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
            state = ReviewState.load(review.id, session=session, framework=services.framework)
            conversation.start_thread(session, state, services.framework, started_by=user_id)
            queued = outbox.queued(session)
    except IntakeErrors as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    context["channel_id"] = json.loads(view.get("private_metadata") or "{}").get("channel_id")  # where to tell them
    refused = services.outbox.deliver(queued)
    if refused:
        raise SlackDeliveryError(refused[0][1])


def register(app: App) -> None:
    app.view(View.INTAKE)(reports_errors(handle_intake))
