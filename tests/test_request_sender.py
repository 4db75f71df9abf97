"""Whose request it is, as the inbox hands requests on (each person's one after another), read from Slack's payloads."""

from urllib.parse import parse_qs

from bot.slack.incoming import sender
from tests.slack_requests import FIXTURES, fixture


def test_a_command_a_click_a_form_and_a_dm_are_their_senders():
    form = parse_qs((FIXTURES / "command_body.txt").read_text().strip())
    command = {name: values[0] for name, values in form.items()}
    assert sender(command) == "T111:W111"
    assert sender(fixture("block_actions_button.json")) == "T111:U111"
    assert sender(fixture("view_submission.json")) == "T12345678:U12345678"
    assert sender(fixture("events_message_im.json")) == "T123ABC456:U2147483697"


def test_an_edited_or_deleted_message_is_its_authors_and_an_event_without_a_person_is_nobodys():
    envelope = fixture("events_message_im.json")
    message = {key: value for key, value in envelope["event"].items() if key != "user"}
    edited = {**envelope, "event": {**message, "subtype": "message_changed", "message": envelope["event"]}}
    deleted = {**envelope, "event": {**message, "subtype": "message_deleted", "previous_message": envelope["event"]}}
    assert sender(edited) == sender(deleted) == "T123ABC456:U2147483697"
    assert sender({**envelope, "event": message}) is None
    assert sender({**envelope, "event": {**message, "user": {"id": "U1"}}}) is None, "a user object is no sender"
