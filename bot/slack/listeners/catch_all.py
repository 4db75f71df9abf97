"""Acknowledge every request nothing else handled, so Slack never sees a 404 and never retries."""

import re

from slack_bolt import App

ANY = re.compile(".*")
RETIRED_BUTTON = "That button is from an older version of Readiness Bot and no longer does anything. Try `/readiness help`."


def ignore_event() -> None:
    """Events the bot does not act on are acknowledged (Bolt acks events itself) and dropped."""


def ack_only(ack) -> None:
    ack()


def retired_action(ack, respond, body) -> None:
    ack()
    if body.get("response_url"):
        respond(text=RETIRED_BUTTON, response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    app.event(ANY)(ignore_event)
    app.action(ANY)(retired_action)
    app.view(ANY)(ack_only)
    app.view({"type": "view_closed", "callback_id": ANY})(ack_only)
    app.command(ANY)(ack_only)
    app.shortcut(ANY)(ack_only)
    app.options(ANY)(ack_only)
