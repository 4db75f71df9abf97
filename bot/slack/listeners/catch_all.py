"""Acknowledge every request nothing else handled, so Slack never sees a 404 and never retries."""

import re

from slack_bolt import App

from bot.slack.failures import reports_errors

ANY = re.compile(".*")
RETIRED_BUTTON = "That button is from an older version of Readiness Bot and no longer does anything. Try `/readiness help`."


def ignore_event(context) -> None:
    """Events the bot does not act on are acknowledged (Bolt acks events itself) and dropped."""


def ack_only(ack, context) -> None:
    ack()


def retired_action(ack, respond, body, context) -> None:
    ack()
    if body.get("response_url"):
        respond(text=RETIRED_BUTTON, response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    """Each wrapped like every listener, so what it received is marked processed."""
    app.event(ANY)(reports_errors(ignore_event))
    app.action(ANY)(reports_errors(retired_action))
    app.view(ANY)(reports_errors(ack_only))
    app.view({"type": "view_closed", "callback_id": ANY})(reports_errors(ack_only))
    app.command(ANY)(reports_errors(ack_only))
    app.shortcut(ANY)(reports_errors(ack_only))
    app.options(ANY)(reports_errors(ack_only))
