"""When Slack fails: retried where that helps, explained in plain words otherwise, nothing lost."""

from sqlmodel import Session, select

from bot.slack.ids import Action
from storage.models import Answer, Initiative, OutboxMessage, Review
from tests.review_driver import ReviewDriver, intake_values


def test_rate_limited_post_waits_for_retry_after_and_goes_through(bot):
    bot.fake.rate_limit("chat.postMessage", retry_after=1)
    driver = ReviewDriver(bot)
    thread = driver.start()
    assert driver.current(thread)
    posted = bot.fake.posts()
    assert len(bot.fake.calls_to("chat.postMessage")) == len(posted) + 1, "the 429, then each message once"
    assert posted[0]["ts"] == thread and all(p["thread_ts"] == thread for p in posted[1:]), \
        "the root (retried), then the owners' checklists in its thread"


def test_bot_not_in_channel_is_explained_and_the_review_picks_up_later(bot, engine):
    bot.fake.fail("chat.postMessage", "not_in_channel")
    driver = ReviewDriver(bot)
    view = driver.open_intake()
    assert bot.slack.submit_view(view, intake_values("Invoice assistant")).status == 200
    bot.idle()
    told = bot.fake.ephemerals()
    assert "invite me there with `/invite @Readiness Bot`" in told[-1]
    assert "/readiness continue Invoice assistant" in told[-1]
    with Session(engine) as session:
        assert session.exec(select(Initiative)).one().name == "Invoice assistant"
        assert session.exec(select(Review)).one().thread_ts is None
    bot.slack.command("continue Invoice assistant")
    bot.idle()
    root = bot.fake.posts(top_level=True)[-1]
    assert root["text"].startswith("Readiness review")
    assert driver.current(root["ts"])


def test_channel_not_found_on_a_click_keeps_the_answer_and_says_why(bot, engine):
    driver = ReviewDriver(bot)
    thread = driver.start("Tiny", tier="low")
    bot.fake.fail("chat.update", "channel_not_found")
    driver.click(driver.current(thread), Action.ANSWER_NOT_YET)
    with Session(engine) as session:
        assert len(session.exec(select(Answer)).all()) == 1
        [update] = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "update")).all()
    assert update.error == "channel_not_found", "refused for good: recorded, not tried again"
    told = bot.fake.responses()[-1]["text"]
    assert "I can't post in <#C111>" in told and "/readiness continue Tiny" in told


def test_click_on_a_review_that_no_longer_exists_gets_an_explanation(bot):
    bot.slack.click(Action.ANSWER_MET, "999999:ownership.business_owner")
    bot.idle()
    reply = bot.fake.responses()[-1]
    assert reply["response_type"] == "ephemeral" and "no longer exists" in reply["text"]


def test_unexpected_failure_gets_a_reference_not_a_stack_trace(bot):
    bot.fake.fail("views.open", "invalid_arguments")
    bot.slack.command("new Something")
    bot.idle()
    text = bot.fake.responses()[-1]["text"]
    assert "something went wrong on my side (ref" in text and "Traceback" not in text
