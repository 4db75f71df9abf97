"""/readiness and its subcommands, as Slack sends them."""

from sqlmodel import Session, select

from bot.framework import Owner
from bot.slack.ids import Action
from storage.models import Answer, AnswerStatus
from tests.review_driver import BUSINESS, TECHNICAL, ReviewDriver, checklist_questions, checklists_since
from tests.slack_requests import CHANNEL


def _ephemeral(bot) -> dict:
    bot.idle()
    reply = bot.fake.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    return reply


def test_help_lists_every_command(bot):
    bot.slack.command("help")
    text = _ephemeral(bot)["text"]
    for sub in ("new", "status", "summary", "continue", "help"):
        assert f"/readiness {sub}" in text


def test_bare_command_offers_a_start_button_that_opens_the_intake(bot):
    bot.slack.command("")
    reply = _ephemeral(bot)
    buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"] == Action.START_REVIEW
    bot.slack.click(Action.START_REVIEW, "")
    bot.idle()
    view = bot.fake.calls_to("views.open")[-1].params["view"]
    assert view["callback_id"] == "intake"


def test_new_prefills_the_system_name(bot):
    view = ReviewDriver(bot).open_intake("new Invoice assistant")
    name_block = next(b for b in view["blocks"] if b["block_id"] == "name")
    assert name_block["element"]["initial_value"] == "Invoice assistant"


def test_unknown_subcommand_gets_one_line_pointing_to_help(bot):
    bot.slack.command("frobnicate <!channel>")
    reply = _ephemeral(bot)
    assert reply["text"] == "I don't know `frobnicate`. `/readiness help` lists every command."
    assert not reply.get("blocks"), "not the whole help"


def test_mistyped_subcommand_gets_did_you_mean_with_its_arguments(bot):
    bot.slack.command("stauts Invoice <assistant>")
    reply = _ephemeral(bot)
    assert reply["text"] == ("I don't know `stauts`. Did you mean `/readiness status Invoice &lt;assistant&gt;`? "
                             "`/readiness help` lists every command.")
    bot.slack.command("portfolo")
    assert "Did you mean `/readiness portfolio`?" in _ephemeral(bot)["text"]


def test_name_that_matches_nothing_suggests_close_names(bot):
    ReviewDriver(bot).start("Invoice assistant")
    bot.slack.command("status Invoice asistant")
    text = _ephemeral(bot)["text"]
    assert "No initiative is called" in text and "Did you mean “Invoice assistant”" in text


def test_name_missing_after_a_subcommand_says_how_to_use_it(bot):
    bot.slack.command("status")
    assert "/readiness status &lt;name&gt;" in _ephemeral(bot)["text"] or "/readiness status <name>" in _ephemeral(bot)["text"]


def test_status_shows_progress_per_area_and_goes_back_to_any_question(bot, framework):
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant", tier="low")
    first = driver.current(thread)
    driver.click(first, Action.ANSWER_NOT_YET)
    bot.slack.command("status invoice assistant")
    reply = _ephemeral(bot)
    questions = framework.questions_for("low")
    assert f"1 of {len(questions)} questions answered" in reply["blocks"][0]["text"]["text"]
    menu = next(b for b in reply["blocks"] if b.get("accessory", {}).get("type") == "static_select")
    options = menu["accessory"]["options"]
    assert len(options) == len(questions)
    posted = len(bot.fake.posts(thread_ts=thread))
    bot.slack.click(Action.REVISIT_QUESTION, options[0]["value"], selected=True)
    bot.idle()
    assert bot.fake.responses()[-1]["text"] == f"Posted question 1 again in the review thread in <#{CHANNEL}>."
    [checklist] = checklists_since(bot, posted, thread_ts=thread)
    assert f"<@{BUSINESS}>" in checklist["text"], "only the checklist holding that question"
    reposted = next(q for q in checklist_questions(bot.fake, [checklist]) if q.question_id == first.question_id)
    assert reposted.ts != first.ts and reposted.answered
    driver.click(reposted, Action.ANSWER_MET)
    now = next(q for q in checklist_questions(bot.fake, [checklist]) if q.question_id == first.question_id)
    assert "✅ Met by <@U100>" in now.text, "the checklist shows the new answer in place"
    with Session(bot.engine) as session:
        history = session.exec(select(Answer.status).where(Answer.question_id == first.question_id)
                               .order_by(Answer.id)).all()
    assert history == [AnswerStatus.NOT_YET, AnswerStatus.MET], "the history is kept"


def test_continue_posts_again_only_the_checklists_holding_open_questions(bot, framework):
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant", tier="low")
    for question in driver.questions(thread):
        if framework.question(question.question_id).owner == Owner.BUSINESS:
            driver.click(question, Action.ANSWER_NOT_YET, user=BUSINESS)
    posted = len(bot.fake.posts(thread_ts=thread))
    bot.slack.command("continue Invoice assistant")
    assert _ephemeral(bot)["text"] == f"Picked up Invoice assistant in <#{CHANNEL}>."
    [checklist] = checklists_since(bot, posted, thread_ts=thread)
    assert f"<@{TECHNICAL}>" in checklist["text"], "the business owner's checklist has no open question"
    again = checklist_questions(bot.fake, [checklist])
    assert {q.question_id for q in again} == {q.question_id for q in driver.questions(thread)
                                              if framework.question(q.question_id).owner != Owner.BUSINESS}
    assert not any(q.answered for q in again)


def test_continue_posts_the_checklists_again_in_each_owners_dm_when_the_review_asks_by_dm(bot):
    driver = ReviewDriver(bot)
    driver.start("Invoice assistant", tier="low", asks_in="dm")
    posted = {person: len(bot.fake.posts(channel=bot.fake.dm(person))) for person in (BUSINESS, TECHNICAL)}
    bot.slack.command("continue Invoice assistant")
    assert _ephemeral(bot)["text"] == "Picked up Invoice assistant in each owner's DM with me."
    for person in (BUSINESS, TECHNICAL):
        [checklist] = checklists_since(bot, posted[person], channel=bot.fake.dm(person))
        assert {q.question_id for q in checklist_questions(bot.fake, [checklist])} == {
            q.question_id for q in driver.dm_questions(person)}
    assert not [p for p in bot.fake.posts(channel=CHANNEL) if p.get("thread_ts")], "nothing in the thread"
