"""App Home: opening the Home tab, turning its pages, and its Continue button (its other buttons are the ones the
review, request and check-in messages carry, handled where those are)."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.domain.access import Attempt
from bot.domain.initiatives import latest_review
from bot.domain.progress import ReviewState
from bot.errors import NotFoundError
from bot.services import Services
from bot.slack import conversation, home_flow
from bot.slack.authorization import authorize
from bot.slack.failures import reports_errors, tell
from bot.slack.ids import Action
from storage.models import Initiative


def handle_home_opened(event: dict, client, context: BoltContext) -> None:
    """The person opened the Home tab (not the Messages tab): publish it fresh, on its first page."""
    if event.get("tab") != "home":
        return
    home_flow.show(client, context["services"], user_id=event["user"], team_id=context.team_id, page=0)


def handle_page(ack, action: dict, client, context: BoltContext) -> None:
    ack()
    value = action.get("value") or ""
    home_flow.show(client, context["services"], user_id=context.user_id,
                   team_id=context.actor_team_id or context.team_id, page=int(value) if value.isdigit() else 0)


def handle_continue(ack, action: dict, client, context: BoltContext) -> None:
    """As `/readiness continue`: ask the review's current question again in its thread, and say where."""
    ack()
    services: Services = context["services"]
    value = action.get("value") or ""
    if not value.isdigit():
        raise NotFoundError("That button no longer matches an initiative. Try `/readiness continue <name>`.")
    authorize(context, Attempt.CONTINUE, initiative_id=int(value))
    with services.reading() as session:
        initiative = session.get(Initiative, int(value))
        state = ReviewState.load(latest_review(initiative, session=session).id, session=session,
                                 framework=services.framework)
    tell(conversation.pick_up(client, state, services), context)


def register(app: App) -> None:
    app.event("app_home_opened")(reports_errors(handle_home_opened))
    app.action(Action.HOME_PREVIOUS)(reports_errors(handle_page))
    app.action(Action.HOME_NEXT)(reports_errors(handle_page))
    app.action(Action.CONTINUE_REVIEW)(reports_errors(handle_continue))
