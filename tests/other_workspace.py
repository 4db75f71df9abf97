"""Signed requests from a person of another Slack workspace: Enterprise Grid, or a channel shared between two."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from tests.slack_requests import SlackSender

FOREIGN_TEAM = "T999"
FOREIGN_USER = "U888"


class OtherWorkspace(SlackSender):
    """The bot's own sender, but every request says it comes from FOREIGN_TEAM, as Slack says it.

    Commands carry the team in `team_id`; clicks and forms in `team.id` and `user.team_id`; a message in a
    shared channel is delivered to the bot's workspace, flagged as shared, with the writer's team in the event.
    """

    def __init__(self, sender: SlackSender) -> None:
        vars(self).update(vars(sender))  # the same bot, secret and clock

    def post(self, body: str, content_type: str, **kwargs):
        if content_type == "application/json":
            envelope = json.loads(body)
            envelope["is_ext_shared_channel"] = True
            envelope["event"].update(team=FOREIGN_TEAM, user_team=FOREIGN_TEAM, source_team=FOREIGN_TEAM)
            body = json.dumps(envelope)
        else:
            fields = dict(parse_qsl(body, keep_blank_values=True))
            if "payload" in fields:
                payload = json.loads(fields["payload"])
                payload["team"]["id"] = payload["user"]["team_id"] = FOREIGN_TEAM
                fields["payload"] = json.dumps(payload)
            else:
                fields["team_id"] = FOREIGN_TEAM
            body = urlencode(fields)
        return super().post(body, content_type, **kwargs)
