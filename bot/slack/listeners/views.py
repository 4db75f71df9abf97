"""Modal submissions: the intake form."""

from __future__ import annotations

import json

from slack_bolt import App

from bot.app import start_review
from bot.domain.initiatives import IntakeErrors
from bot.services import Services
from bot.slack.approver_groups import approvers
from bot.slack.blocks.adoption import read_baseline
from bot.slack.blocks.modals import read_intake
from bot.slack.failures import reports_errors
from bot.slack.ids import View


def handle_intake(ack, body: dict, view: dict, context) -> None:
    """Validate in the ack (field errors stay in the modal), then start the review in the channel."""
    services: Services = context["services"]
    user_id = body["user"]["id"]
    try:
        queued = start_review.start(services, read_intake(view, user_id=user_id), read_baseline(view),
                                    user_id=user_id, approvers=approvers(context.client, services))
    except IntakeErrors as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    context["channel_id"] = json.loads(view.get("private_metadata") or "{}").get("channel_id")  # where to tell them
    services.deliver(queued)


def register(app: App) -> None:
    app.view(View.INTAKE)(reports_errors(handle_intake))
