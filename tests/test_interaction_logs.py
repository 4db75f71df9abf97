"""One log line per interaction: its request id, kind, what it was, who, the outcome and how long it took; JSON with
LOG_FORMAT=json; never a token, a secret or what a person typed."""

from __future__ import annotations

import json
import logging
import subprocess

import pytest
from slack_bolt import BoltRequest
from sqlmodel import Session

from bot.slack.ids import Action, View
from bot.slack.incoming import RESUMED
from storage import inbox
from storage.models import InboxEntry
from tests.review_driver import ReviewDriver
from tests.served import CLI, bot_env, serve
from tests.slack_requests import SIGNING_SECRET, TEAM

FIELDS = {"request_id", "kind", "what", "team", "user", "outcome", "duration_ms"}
TYPED = "my-private-words Jane Doe"  # what a person types: never logged
SECRETS = ("xoxb-", SIGNING_SECRET)


@pytest.fixture
def lines(caplog):
    """The interaction lines logged so far, as their fields."""
    caplog.set_level(logging.INFO, logger="bot.interactions")
    return lambda: [{name: getattr(r, name) for name in FIELDS} for r in caplog.records
                    if r.name == "bot.interactions"]


def test_each_interaction_is_one_line_with_what_it_was_and_its_outcome(bot, lines, caplog):
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant", tier="low")
    driver.click(driver.current(thread), Action.ANSWER_PARTLY)
    driver.reply(thread, f"partly, {TYPED}")
    bot.slack.command(f"status {TYPED}")
    bot.idle()  # each logs when its work is done: one at a time, for the order below
    bot.slack.command(TYPED)
    bot.idle()

    logged = lines()
    assert [(line["kind"], line["what"], line["outcome"]) for line in logged] == [
        ("command", "/readiness new", "ok"),
        ("view_submission", View.INTAKE, "ok"),
        ("block_actions", Action.ANSWER_PARTLY, "ok"),
        ("event_callback", "message", "ok"),
        ("command", "/readiness status", "refused"),  # no such initiative
        ("command", "/readiness (unknown)", "ok"),
    ]
    assert all(line["team"] == TEAM and line["user"] == "U100" for line in logged)
    assert all(len(line["request_id"]) == 12 and isinstance(line["duration_ms"], int) and line["duration_ms"] >= 0
               for line in logged)
    assert len({line["request_id"] for line in logged}) == len(logged)
    assert "Jane" not in caplog.text and "private" not in caplog.text
    assert not any(secret in caplog.text for secret in SECRETS)


def test_a_replay_gets_a_line_of_its_own_with_the_request_id_of_the_first(bot, lines):
    bot.slack.command("help")
    bot.idle()
    bot.slack.replay()
    bot.idle()
    first, again = lines()
    assert (first["outcome"], again["outcome"]) == ("ok", "replay")
    assert again["request_id"] == first["request_id"] and again["what"] == "/readiness"  # not yet read: the text


def test_a_request_the_bot_could_not_act_on_says_error(bot, lines):
    bot.fake.fail("views.open", "invalid_arguments")
    bot.slack.command("new Something")
    bot.idle()
    [line] = lines()
    assert (line["what"], line["outcome"]) == ("/readiness new", "error")


def test_a_stored_request_acted_on_already_says_so(bot, lines):
    thread = ReviewDriver(bot).start("Twice", tier="low")
    envelope = bot.slack.envelope(bot.slack.thread_reply_event("partly, twice", thread_ts=thread))
    key = envelope["event_id"]
    with bot.services.session() as session:
        inbox.record(key=key, kind="event_callback", body=json.dumps(envelope), session=session)
        inbox.settle(key, session=session)
    with Session(bot.engine) as session:
        payload = session.get(InboxEntry, key).body
    bot.app.dispatch(BoltRequest(body=payload, context={RESUMED: key}))
    bot.idle()
    assert lines()[-1]["outcome"] == "already-processed"


def test_lines_are_json_when_log_format_is_json(tmp_path, fake_slack, database_url, engine):
    with serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=database_url, LOG_FORMAT="json") as served:
        assert served.slack.command(f"status {TYPED}").status == 200
        fake_slack.wait_for(lambda: fake_slack.responses())
    records = [json.loads(line) for line in served.output.splitlines() if line.strip()]
    [line] = [r for r in records if r["logger"] == "bot.interactions"]
    assert FIELDS <= set(line) and (line["what"], line["outcome"]) == ("/readiness status", "refused")
    assert {"time", "level", "message"} <= set(line)
    assert "Jane" not in served.output and not any(secret in served.output for secret in SECRETS)


def test_an_unknown_log_format_stops_the_command_with_one_line(tmp_path):
    env = bot_env(DATABASE_URL=f"sqlite:///{tmp_path}/x.db", LOG_FORMAT="xml")
    result = subprocess.run([str(CLI), "migrate"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "readiness-bot: LOG_FORMAT is 'xml'; use `text` or `json`."
