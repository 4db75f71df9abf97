"""Every ephemeral error says what to do next: a command to run, an answer to pick, or whom to ask."""

from bot.slack.ids import Action
from tests.review_driver import BUSINESS, REQUESTER, TECHNICAL, ReviewDriver


def _told(bot) -> str:
    bot.idle()
    reply = bot.fake.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    return reply["text"]


def test_a_button_of_an_initiative_that_no_longer_exists_points_to_the_portfolio(bot):
    bot.slack.click(Action.REPORT_WEEK, "999999:2026-06-01")
    assert _told(bot) == "That initiative no longer exists. `/readiness portfolio` lists the ones you can see."


def test_na_where_it_is_not_allowed_says_which_answers_are(bot, framework):
    driver = ReviewDriver(bot)
    question = driver.current(driver.start("Invoice assistant"))
    assert not framework.question(question.question_id).allow_na
    driver.click(question, Action.ANSWER_NA)
    assert _told(bot).endswith("answer Met, Partly or Not yet.")


def test_owners_only_refusals_name_the_owners_to_ask(bot):
    ReviewDriver(bot).start("Invoice <assistant>", tier="medium")
    for command in ("edit Invoice <assistant>", "retire Invoice <assistant>"):
        bot.slack.command(command, user=REQUESTER)
        text = _told(bot)
        assert text.startswith("Only the owners of Invoice &lt;assistant&gt; can ")
        assert text.endswith(f": ask its business owner <@{BUSINESS}> or technical owner <@{TECHNICAL}>.")
