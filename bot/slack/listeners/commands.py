"""/readiness and its subcommands."""

from __future__ import annotations

import html

from slack_bolt import App

from bot.domain.initiatives import find_initiative, latest_review
from bot.domain.progress import ReviewState
from bot.services import Services
from bot.slack import conversation
from bot.slack.blocks import messages, modals
from bot.slack.failures import reports_errors
from bot.slack.listeners.approvals import open_request_form
from bot.text import from_plain
from storage.db import session_scope

COMMAND = "/readiness"
NEEDS_NAME = {"status", "summary", "continue", "release"}


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
    elif sub not in NEEDS_NAME:
        reply, blocks = messages.build_help(f"I don't know `{from_plain(sub)}`. Here is what I can do:")
    elif not name:
        reply, blocks = messages.build_help(f"Which initiative? Use `/readiness {sub} <name>`.")
    else:
        state = _state(command["team_id"], name, services)
        if sub == "release":
            open_request_form(client, command["trigger_id"], state.initiative.id, services)
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


def _state(team_id: str, name: str, services: Services) -> ReviewState:
    with session_scope(services.engine) as session:
        initiative = find_initiative(team_id, name, session=session)
        review = latest_review(initiative, session=session)
        return ReviewState.load(review.id, session=session, framework=services.framework)


def register(app: App) -> None:
    app.command(COMMAND)(reports_errors(handle_readiness))
