"""Only Slack's signed, fresh requests are acted on; everything Slack sends is acknowledged at once."""

import json
import time

from sqlmodel import Session, select

from storage.models import Initiative
from tests.review_driver import ReviewDriver, intake_values
from tests.slack_requests import fixture


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
    old = int(time.time()) - 6 * 60
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
