"""App Home: opening the Home tab, turning its pages, and its Continue button (its other buttons are the ones the
review, request and check-in messages carry, handled where those are)."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.app import continue_review
from bot.domain.access import Attempt
from bot.errors import NotFoundError
from bot.slack import home_flow
from bot.slack.authorization import authorize
from bot.slack.failures import reports_errors, tell
from bot.slack.ids import Action


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
    """As `/readiness continue`: post the review's open questions again, and say where."""
    ack()
    value = action.get("value") or ""
    if not value.isdigit():
        raise NotFoundError("That button no longer matches an initiative. Try `/readiness continue <name>`.")
    authorize(context, Attempt.CONTINUE, initiative_id=int(value))
    tell(continue_review.pick_up(client, context["services"], initiative_id=int(value)), context)


def register(app: App) -> None:
    app.event("app_home_opened")(reports_errors(handle_home_opened))
    app.action(Action.HOME_PREVIOUS)(reports_errors(handle_page))
    app.action(Action.HOME_NEXT)(reports_errors(handle_page))
    app.action(Action.CONTINUE_REVIEW)(reports_errors(handle_continue))
