"""Only Slack's signed, fresh requests are acted on; everything Slack sends is acknowledged at once."""

import json
import logging
import urllib.error
import urllib.request

import pytest
from sqlmodel import Session, select

from storage.models import Initiative
from tests.conftest import GATE_TOKEN
from tests.request_kinds import FORM, footprint, kinds
from tests.review_driver import ReviewDriver, intake_values
from tests.slack_requests import fixture, signed_headers


def test_request_with_a_bad_signature_gets_401_and_changes_nothing(bot, engine):
    view = ReviewDriver(bot).open_intake()
    payload = json.dumps({"type": "view_submission"})
    forged = bot.slack.post("payload=" + payload, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert forged.status == 401
    bot.slack.secret = "not-the-signing-secret"
    response = bot.slack.submit_view(view, intake_values("Forged"))
    assert response.status == 401
    bot.idle()
    with Session(engine) as session:
        assert session.exec(select(Initiative)).all() == []


def test_request_older_than_five_minutes_gets_401(bot, engine):
    old = bot.slack.now() - 6 * 60
    response = bot.slack.command("help", timestamp=old)
    assert response.status == 401
    bot.idle()
    assert bot.fake.responses() == []


def test_signature_is_checked_against_slacks_own_test_vector(bot):
    vector = fixture("signature_test_vector.json")
    bot.slack.secret = vector["signing_secret"]
    # Slack's example is years old: correctly signed, but stale, so it must still be refused
    response = bot.slack.post(vector["body"], "application/x-www-form-urlencoded",
                              timestamp=int(vector["headers"]["X-Slack-Request-Timestamp"]),
                              signature=vector["headers"]["X-Slack-Signature"])
    assert response.status == 401


def test_events_the_bot_ignores_are_acknowledged(bot):
    for name in ("events_app_mention.json", "events_message_bot.json"):
        envelope = fixture(name)
        response = bot.slack.post(json.dumps(envelope), "application/json")
        assert response.status == 200, name
    bot.idle()
    assert bot.fake.posts() == []


def test_url_verification_is_answered_with_the_challenge(bot):
    envelope = fixture("events_url_verification.json")
    response = bot.slack.post(json.dumps(envelope), "application/json")
    assert response.status == 200 and envelope["challenge"] in response.body


def test_unknown_buttons_and_views_are_acknowledged_never_404(bot):
    assert bot.slack.click("some_retired_button", "x").status == 200
    closed = fixture("view_closed.json")
    assert bot.slack.interactive(closed).status == 200
    unknown_view = {"callback_id": "old_modal", "blocks": []}
    assert bot.slack.submit_view(unknown_view, {}).status == 200
    bot.idle()
    assert "no longer does anything" in bot.fake.responses()[0]["text"]


def test_health_check_reaches_the_database(bot):
    import urllib.request

    with urllib.request.urlopen(bot.url + "/healthz") as response:
        assert response.status == 200 and json.loads(response.read()) == {"ok": True}


def test_an_unsigned_click_with_a_non_numeric_timestamp_never_reaches_the_error_handler(bot, caplog):
    """The attack in issue 10: the error handler used to answer the body's response_url and message its user."""
    payload = {**fixture("block_actions_button.json"), "response_url": bot.fake.root + "/hooks/chosen-by-attacker"}
    body = "payload=" + json.dumps(payload)
    before = footprint(bot)
    with caplog.at_level(logging.INFO):
        response = bot.slack.post(body, FORM, headers={"X-Slack-Request-Timestamp": "abc"})
    assert response.status == 401
    assert footprint(bot) == before, "no Web API call, no response_url, no row"
    [line] = [r.getMessage() for r in caplog.records if r.name.startswith(("bot", "slack_bolt"))]
    assert "Refused an unverified request" in line and "\n" not in line and "chosen-by-attacker" not in line


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"null", b"payload=notjson", b"payload=null", b"",
                                  b"command=%2Freadiness&text=help"])
def test_signed_bodies_slack_never_sends_get_400_and_change_nothing(bot, body):
    before = footprint(bot)
    response = bot.slack.send(body, signed_headers(body, FORM, bot.slack.now()))
    assert response.status == 400
    assert footprint(bot) == before


@pytest.mark.parametrize("kind, field", [("block_actions", "user"), ("view_submission", "view"),
                                         ("event_callback", "event_id"), ("url_verification", "challenge")])
def test_signed_payloads_missing_what_their_kind_carries_get_400(bot, kind, field):
    request = kinds(bot.fake.root + "/hooks/x")[kind]
    body, content_type = request.encode({k: v for k, v in request.content.items() if k != field})
    assert bot.slack.send(body, signed_headers(body, content_type, bot.slack.now())).status == 400


def test_ssl_check_is_answered_only_when_signed_and_does_nothing(bot):
    body, content_type = kinds(bot.fake.root + "/hooks/x")["ssl_check"].encode()
    before = footprint(bot)
    assert bot.slack.send(body, {"Content-Type": content_type}).status == 401
    assert bot.slack.send(body, signed_headers(body, content_type, bot.slack.now())).status == 200
    assert footprint(bot) == before


@pytest.mark.parametrize("authorization, status", [(f"Bearer {GATE_TOKEN}", 404), (f"bearer {GATE_TOKEN}", 404),
                                                   (GATE_TOKEN, 401), (f"Basic {GATE_TOKEN}", 401), ("Bearer ", 401)])
def test_the_gate_takes_only_a_bearer_token(bot, authorization, status):
    request = urllib.request.Request(f"{bot.url}/gate?initiative=Nothing%20here",
                                     headers={"Authorization": authorization})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request)
    assert answer.value.code == status
