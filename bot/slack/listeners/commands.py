"""/readiness and its subcommands."""

from __future__ import annotations

import html

from slack_bolt import App

from bot.domain.initiatives import WEEKDAYS, find_initiative, latest_review, retire, set_schedule
from bot.domain.nudges import reporting_week
from bot.domain.progress import ReviewState
from bot.services import Services
from bot.slack import conversation
from bot.slack.blocks import messages, modals
from bot.slack.failures import reports_errors
from bot.slack.listeners.adoption import open_report_form
from bot.slack.listeners.approvals import open_request_form
from bot.text import from_plain
from storage.db import session_scope
from storage.models import Initiative, utcnow

COMMAND = "/readiness"
NEEDS_NAME = {"status", "summary", "continue", "release", "report", "retire"}


def handle_readiness(ack, command: dict, respond, client, context) -> None:
    ack()
    services: Services = context["services"]
    text = html.unescape(command.get("text") or "").strip()
    sub, _, name = text.partition(" ")
    sub, name = sub.lower(), name.strip()
    if not sub:
        reply, blocks = messages.build_start_prompt()
    elif sub in ("new", "start"):
        client.views_open(
            trigger_id=command["trigger_id"],
            view=modals.build_intake_modal(
                services.framework, name=name, channel_id=command.get("channel_id", ""), team_id=command["team_id"],
            ),
        )
        return
    elif sub == "help":
        reply, blocks = messages.build_help()
    elif sub == "schedule":
        reply, blocks = _schedule(command, name, services), None
    elif sub not in NEEDS_NAME:
        reply, blocks = messages.build_help(f"I don't know `{from_plain(sub)}`. Here is what I can do:")
    elif not name:
        reply, blocks = messages.build_help(f"Which initiative? Use `/readiness {sub} <name>`.")
    else:
        state = _state(command["team_id"], name, services)
        if sub == "release":
            open_request_form(client, command["trigger_id"], state.initiative.id, services)
            return
        if sub == "report":
            with session_scope(services.engine) as session:
                week = reporting_week(state.initiative, session=session, now=utcnow())
            open_report_form(client, command["trigger_id"], state.initiative.id, week, services)
            return
        if sub == "retire":
            with session_scope(services.engine) as session:
                retire(session.get(Initiative, state.initiative.id), user_id=command["user_id"], session=session,
                       now=utcnow())
            respond(text=f"{from_plain(state.initiative.name)} is retired: no more weekly nudges.",
                    response_type="in_channel")
            return
        if sub == "status":
            reply, blocks = messages.build_status_message(state)
        elif sub == "summary":
            conversation.post_summary(client, state, services)
            reply, blocks = f"Posted the summary of {from_plain(state.initiative.name)} to <#{state.review.channel_id}>.", None
        else:
            conversation.ask_current(client, state, services)
            reply, blocks = f"Picked up {from_plain(state.initiative.name)} in <#{state.review.channel_id}>.", None
    respond(text=reply, blocks=blocks, response_type="ephemeral")


def _schedule(command: dict, args: str, services: Services) -> str:
    weekday, _, hour = args.partition(" ")
    with session_scope(services.engine) as session:
        workspace = set_schedule(command["team_id"], weekday, hour.strip(), user_id=command["user_id"],
                                 session=session)
    return (f"Weekly check-ins now go out on {WEEKDAYS[workspace.nudge_weekday].capitalize()}s at "
            f"{workspace.nudge_hour}:00, in each business owner's own timezone.")


def _state(team_id: str, name: str, services: Services) -> ReviewState:
    with session_scope(services.engine) as session:
        initiative = find_initiative(team_id, name, session=session)
        review = latest_review(initiative, session=session)
        return ReviewState.load(review.id, session=session, framework=services.framework)


def register(app: App) -> None:
    app.command(COMMAND)(reports_errors(handle_readiness))
