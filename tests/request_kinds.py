"""One request of every kind Slack sends, in its real payload shape, to sign, replay or spoil; and what the
served bot has done so far, to tell whether a request left anything behind."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from tests.slack_requests import CHANNEL, FIXTURES, TEAM, fixture

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Kind:
    """A kind of request: its content (form fields or a payload) and how it travels (form, payload or json)."""

    name: str
    wire: str
    content: dict

    def encode(self, content: dict | None = None) -> tuple[bytes, str]:
        """The body and its content type, for this kind's content or another."""
        content = self.content if content is None else content
        if self.wire == "json":
            return json.dumps(content).encode(), "application/json"
        fields = {"payload": json.dumps(content)} if self.wire == "payload" else content
        return urlencode(fields).encode(), FORM


def kinds(response_url: str) -> dict[str, Kind]:
    """A slash command, a click, a modal submitted and closed, an event, the URL check and the SSL check;
    the command and the click carry response_url."""
    command = dict(parse_qsl((FIXTURES / "command_body.txt").read_text().strip(), keep_blank_values=True))
    command.update(command="/readiness", text="help", team_id=TEAM, channel_id=CHANNEL, response_url=response_url)
    click = copy.deepcopy(fixture("block_actions_button.json"))
    click["response_url"] = response_url
    event = fixture("events_message_channel_thread_reply.json")
    event["event"].update(channel=CHANNEL, thread_ts="1700000000.000001")
    found = [
        Kind("command", "form", command),
        Kind("block_actions", "payload", click),
        Kind("view_submission", "payload", fixture("view_submission.json")),
        Kind("view_closed", "payload", fixture("view_closed.json")),
        Kind("event_callback", "json", event),
        Kind("url_verification", "json", fixture("events_url_verification.json")),
        Kind("ssl_check", "form", {"ssl_check": "1", "token": "legacy-fixed-value"}),
    ]
    return {kind.name: kind for kind in found}


def footprint(bot) -> tuple[int, int]:
    """Calls the bot made to Slack (Web API and response_urls) and rows in all its tables, once its work is done."""
    bot.idle()
    with Session(bot.engine) as session:
        rows = sum(session.execute(select(func.count()).select_from(table)).scalar_one()
                   for table in SQLModel.metadata.sorted_tables)
    return len(bot.fake.calls), rows
