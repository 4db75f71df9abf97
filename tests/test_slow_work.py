"""Model calls run on slow workers of their own (bot/slack/slow_work.py): listeners hand them over and are free for
the next acknowledgement, whatever the model does; when the workers and their queue are full, the person gets the
fallback at once."""

import pytest
from sqlmodel import Session, select

from bot.slack.ids import Action
from storage.models import Answer, Evidence
from tests.conftest import RunningBot
from tests.review_driver import ReviewDriver, complete_review, open_request_form

REPLIES = [f"Finance owns the KPI, reply number {n}" for n in range(3)]


@pytest.fixture
def served(engine, database_url, fake_slack, fake_openai, clock):
    """Start the bot with AI assist (a budget the held model calls stay within) and the slow workers given."""
    running: list[RunningBot] = []

    def start(**workers) -> RunningBot:
        running.append(RunningBot(database_url, fake_slack, openai_url=fake_openai.url, ai_budget=60.0, clock=clock,
                                  **workers).start())
        return running[-1]

    yield start
    for bot in running:
        bot.stop()


def _proposals(bot, thread: str) -> list[str]:
    return [str(p["blocks"]) for p in bot.fake.posts(thread_ts=thread) if p["text"].startswith("AI proposal")]


def _reply(bot, thread: str, text: str) -> None:
    """A thread reply, acknowledged; its listener has finished (it handed the model call over)."""
    assert bot.slack.thread_reply(text, thread_ts=thread).status == 200
    assert bot.executor.drain_listeners(15.0), "a listener waited for the model"


def test_listeners_are_free_while_the_model_is_held_and_every_proposal_comes_once(served, fake_openai):
    bot = served()
    thread = ReviewDriver(bot).start()
    fake_openai.hold()
    for text in REPLIES:
        _reply(bot, thread, text)
    bot.fake.wait_for(lambda: fake_openai.held == len(REPLIES))
    assert bot.slack.command("help").status == 200
    assert bot.executor.drain_listeners(15.0), "the command's listener waited for the model"
    assert "/readiness help" in bot.fake.responses()[-1]["text"], "answered while the model calls are held"
    assert _proposals(bot, thread) == []
    fake_openai.release()
    bot.idle()
    proposals = _proposals(bot, thread)
    assert len(proposals) == len(REPLIES)
    assert [sum(text in p for p in proposals) for text in REPLIES] == [1] * len(REPLIES)


def test_the_pre_read_and_the_summary_paragraph_wait_on_the_slow_workers_too(served, fake_openai, framework):
    bot = served()
    complete_review(bot, framework, tier="low")
    view = open_request_form(bot)
    fake_openai.hold()
    assert bot.slack.submit_view(view, {}).status == 200
    assert bot.slack.command("summary Invoice assistant").status == 200  # a preview: the model is not asked
    bot.fake.wait_for(lambda: bot.fake.responses() and bot.fake.responses()[-1]["text"].startswith("Preview"))
    post = next(e for b in bot.fake.responses()[-1]["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == Action.POST_SUMMARY)
    assert bot.slack.click(Action.POST_SUMMARY, post["value"], ephemeral=True).status == 200
    bot.fake.wait_for(lambda: fake_openai.held == 2)
    assert bot.executor.drain_listeners(15.0), "a listener waited for the model"
    assert "Release request for Invoice assistant sent" in bot.fake.ephemerals()[-1]
    assert "Posted the summary of Invoice assistant" in bot.fake.responses()[-1]["text"]
    summaries = [p for p in bot.fake.posts(top_level=True) if p["text"].startswith("Readiness summary")]
    assert not [p for p in bot.fake.posts(channel="D200") if p["text"].startswith("⏳ Release approval")]
    fake_openai.release()
    bot.idle()
    [dm] = [p for p in bot.fake.posts(channel="D200") if p["text"].startswith("⏳ Release approval")]
    assert "Pre-read (AI-written)" in str(dm["blocks"])
    assert [p for p in bot.fake.posts(top_level=True) if p["text"].startswith("Readiness summary")] == summaries
    updated = [c.params for c in bot.fake.calls_to("chat.update") if c.params["text"].startswith("Readiness summary")]
    assert updated[-1]["ts"] == summaries[-1]["ts"], "the posted summary, updated in place"
    assert updated[-1]["blocks"][1]["text"]["text"][:13] == "Not ready yet"


def test_a_reply_the_busy_workers_cannot_take_gets_the_fallback_and_stores_nothing(served, fake_openai):
    bot = served(slow_workers=1, slow_waiting=1)
    thread = ReviewDriver(bot).start()
    fake_openai.hold()
    _reply(bot, thread, REPLIES[0])
    bot.fake.wait_for(lambda: fake_openai.held == 1)
    _reply(bot, thread, REPLIES[1])  # waits for the one worker
    _reply(bot, thread, REPLIES[2])  # no room: refused at once
    assert "AI assist could not help this time (ai assist is busy with other requests)" in bot.fake.ephemerals()[-1]
    assert "Answer with the buttons, or start a reply with yes, no, partly or n/a" in bot.fake.ephemerals()[-1]
    fake_openai.release()
    bot.idle()
    proposals = _proposals(bot, thread)
    assert [sum(text in p for p in proposals) for text in REPLIES] == [1, 1, 0]
    assert len(fake_openai.requests) == 2, "the refused reply never went to the model"
    with Session(bot.engine) as session:
        assert session.exec(select(Answer)).all() == [], "a proposal is not an answer"
        kept = session.exec(select(Evidence.text)).all()
    assert [sum(text in k for k in kept) for text in REPLIES] == [0, 0, 0], "chatter is not evidence"
