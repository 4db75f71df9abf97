"""AI assist through the real openai client against a fake OpenAI-compatible server: a person always decides."""

import json

from sqlmodel import Session, select

from bot.ai.assist import Structured, prompt
from bot.domain.progress import ReviewState
from bot.domain.summary import summarize
from bot.framework import Owner
from bot.slack.blocks.summary import build_summary
from bot.slack.ids import Action, parse_proposal_ref
from storage.models import Answer, AnswerStatus, Evidence, ModelCall, Review
from tests.fake_openai import completion
from tests.review_driver import (
    EVIDENCE_REPLIES,
    TECHNICAL,
    ReviewDriver,
    evidence_asked,
    question_now,
)
from tests.slack_requests import CHANNEL


def _calls(bot) -> list[ModelCall]:
    with Session(bot.engine) as session:
        return session.exec(select(ModelCall).order_by(ModelCall.id)).all()


def _answers(bot) -> list[Answer]:
    with Session(bot.engine) as session:
        return session.exec(select(Answer).order_by(Answer.id)).all()


def _proposal(bot, thread: str) -> dict:
    return [p for p in bot.fake.posts(thread_ts=thread) if p["text"].startswith("AI proposal")][-1]


def _button(post: dict, action: Action) -> dict:
    return next(e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action)


def _question_of(proposal: dict) -> str:
    """The id of the question a proposal answers."""
    return parse_proposal_ref(_button(proposal, Action.AI_CONFIRM)["value"].rpartition(":")[0])[1]


def test_free_text_reply_gets_a_proposal_that_becomes_an_answer_only_when_confirmed(ai_bot, fake_openai):
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    first = driver.current(thread)
    driver.reply(thread, "Some of it: Dana in Finance owns the KPI but the ops handoff is half done", user="U400")
    proposal = _proposal(ai_bot, thread)
    assert "Proposed: 🟡 Partly" in str(proposal["blocks"]) and "Nothing is recorded" in str(proposal["blocks"])
    assert _answers(ai_bot) == [], "a proposal is not an answer"
    [call] = _calls(ai_bot)
    assert (call.purpose, call.model, call.outcome) == ("assess_answer", "gpt-4o-mini", "ok")
    assert call.prompt_version == prompt("assess_answer").version and (call.tokens_in, call.tokens_out) == (120, 40)
    ai_bot.slack.click(Action.AI_CONFIRM, _button(proposal, Action.AI_CONFIRM)["value"], user="U500",
                       message_ts=proposal["ts"])
    ai_bot.idle()
    [answer] = _answers(ai_bot)
    assert (answer.question_id, answer.status, answer.answered_by, answer.source) == (
        first.question_id, AnswerStatus.PARTLY, "U500", "ai_confirmed")
    confirmed = ai_bot.fake.shown(proposal)
    assert "confirmed by <@U500>" in confirmed["text"] and "actions" not in str(confirmed["blocks"])
    assert question_now(ai_bot, thread, first.question_id).answered, "its checklist shows the answer"
    request = fake_openai.requests[0]
    shape = request["response_format"]
    assert request["model"] == "gpt-4o-mini" and shape["type"] == "json_schema", "Structured Outputs first"
    assert shape["json_schema"]["strict"] is True and shape["json_schema"]["name"] == "Assessment"


def test_an_owners_chatter_is_read_for_their_own_next_open_question(ai_bot, framework):
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    first, then = [q for q in driver.questions(thread)
                   if framework.question(q.question_id).owner != Owner.BUSINESS][:2]  # the technical owner's
    driver.click(first, Action.ANSWER_NOT_YET, user=TECHNICAL)
    driver.reply(thread, "We page the on-call engineer and fix it within a day", user=TECHNICAL)
    proposal = _proposal(ai_bot, thread)
    assert _question_of(proposal) == then.question_id, "not the first open question: the first of theirs"
    assert [a.question_id for a in _answers(ai_bot)] == [first.question_id], "the proposal is not an answer"


def test_chatter_in_a_dm_gets_its_proposal_in_that_dm_never_in_the_channel(ai_bot):
    driver = ReviewDriver(ai_bot)
    thread = driver.start(asks_in="dm")
    ai_bot.slack.direct_message("We page the on-call engineer and fix it within a day", user=TECHNICAL)
    ai_bot.idle()
    in_dm = ai_bot.fake.posts(channel=ai_bot.fake.dm(TECHNICAL))
    [proposal] = [p for p in in_dm if p["text"].startswith("AI proposal")]
    assert "thread_ts" not in proposal or not proposal["thread_ts"]
    assert not [p for p in ai_bot.fake.posts(thread_ts=thread) if p["text"].startswith("AI proposal")]


def _change(ai_bot, proposal: dict, answer: str, reason: str, *, user: str = "U100"):
    """Click Change on a proposal and save one's own answer in the form it opens."""
    ai_bot.slack.click(Action.AI_CHANGE, _button(proposal, Action.AI_CHANGE)["value"], message_ts=proposal["ts"],
                       user=user)
    ai_bot.idle()
    modal = ai_bot.fake.calls_to("views.open")[-1].params["view"]
    values = {"answer": {"type": "radio_buttons", "selected_option": {"value": answer}},
              "reason": {"type": "plain_text_input", "value": reason}}
    assert ai_bot.slack.submit_view(modal, values, user=user).status == 200
    ai_bot.idle()
    return modal


def test_change_records_the_persons_own_answer_and_why_the_proposal_was_wrong(ai_bot):
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    first = driver.current(thread)
    driver.reply(thread, "Dana owns it and signed the charter last week")
    proposal = _proposal(ai_bot, thread)
    modal = _change(ai_bot, proposal, "not_yet", "Dana left the company in May")
    offered = [o["value"] for o in modal["blocks"][1]["element"]["options"]]
    assert "met" not in offered, "the form offers the answers other than the proposal's"
    [answer] = _answers(ai_bot)
    assert (answer.question_id, answer.status, answer.source) == (first.question_id, AnswerStatus.NOT_YET,
                                                                 "ai_changed")
    assert "changed by <@U100>" in ai_bot.fake.shown(proposal)["text"]
    assert driver.current(thread).question_id != first.question_id, "the review moves on"


def test_unclear_reply_leads_to_the_follow_up_question(ai_bot):
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "depends what you mean by owner?")
    follow_up = ai_bot.fake.posts(thread_ts=thread)[-1]
    assert follow_up["text"] == "🤖 Follow-up: Who owns this today, by name?"
    assert _answers(ai_bot) == []


def test_an_unusable_answer_is_tried_once_more_then_handed_over_in_one_line(ai_bot, fake_openai):
    fake_openai.queue(body=completion('{"status": "maybe", "reason": '))
    fake_openai.queue(body=completion('{"status": "met", "reason": "Dana owns it", "missi', finish_reason="length"))
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "Dana owns it")
    assert len(fake_openai.requests) == 2, "one more try after the first unusable answer"
    assert ai_bot.fake.ephemerals()[-1] == (
        "🤖 AI assist could not help this time (the model's answer was not usable twice; over to a human). "
        "Answer with the buttons, or start a reply with yes, no, partly or n/a.")
    [call] = _calls(ai_bot)
    assert (call.outcome, call.tokens_in) == ("cut_off", 240) and _answers(ai_bot) == []


def test_a_cut_off_answer_then_a_good_one_gives_the_proposal(ai_bot, fake_openai):
    fake_openai.queue(body=completion('{"status": "met", "rea', finish_reason="length"))
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "Dana owns it and reviews the numbers weekly")
    assert "Proposed: ✅ Met" in str(_proposal(ai_bot, thread)["blocks"])
    assert _calls(ai_bot)[-1].outcome == "ok"


def test_a_server_that_refuses_schemas_gets_json_mode_from_then_on(ai_bot, fake_openai):
    fake_openai.refuses_schemas = True
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "Dana owns it and reviews the numbers weekly")
    assert "Proposed: ✅ Met" in str(_proposal(ai_bot, thread)["blocks"])
    driver.reply(thread, "Some of it is done")
    shapes = [r["response_format"]["type"] for r in fake_openai.requests]
    assert shapes == ["json_schema", "json_object", "json_object"], "the schema is tried once per process"
    assert [c.outcome for c in _calls(ai_bot)] == ["ok", "ok"]


def test_json_schema_only_says_so_in_one_line_when_the_server_refuses_schemas(ai_bot, fake_openai):
    ai_bot.services.assistant.structured = Structured.JSON_SCHEMA  # OPENAI_STRUCTURED=json_schema
    fake_openai.refuses_schemas = True
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "Dana owns it")
    assert "the model refused the request" in ai_bot.fake.ephemerals()[-1]
    assert [r["response_format"]["type"] for r in fake_openai.requests] == ["json_schema"]


def test_json_mode_answered_with_prose_is_handed_over_after_one_more_try(ai_bot, fake_openai):
    ai_bot.services.assistant.structured = Structured.JSON_OBJECT  # OPENAI_STRUCTURED=json_object
    fake_openai.prose_in_json_mode = True
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "Dana owns it")
    assert [r["response_format"]["type"] for r in fake_openai.requests] == ["json_object", "json_object"]
    assert "over to a human" in ai_bot.fake.ephemerals()[-1] and _calls(ai_bot)[-1].outcome == "malformed"


def test_a_refusal_falls_back(ai_bot, fake_openai):
    fake_openai.queue(body=completion(None, refusal="I can't help with that."))
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "Dana owns it")
    assert "the model declined to read this" in ai_bot.fake.ephemerals()[-1]
    assert _calls(ai_bot)[-1].outcome == "refused"


def test_rate_limited_then_successful_call_is_retried(ai_bot, fake_openai):
    fake_openai.queue(status=429, body={"error": {"message": "slow down", "type": "rate_limit"}},
                      headers={"Retry-After": "0.2"})
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "Dana owns it and reviews the numbers weekly")
    assert len(fake_openai.requests) == 2
    assert "Proposed: ✅ Met" in str(_proposal(ai_bot, thread)["blocks"])
    assert _calls(ai_bot)[-1].outcome == "ok"


def test_a_model_that_does_not_answer_in_time_falls_back_without_delaying_the_ack(ai_bot, fake_openai):
    for _ in range(3):
        fake_openai.queue(delay=5.0, body=completion("{}"))
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    response = ai_bot.slack.thread_reply("Dana owns it", thread_ts=thread)
    assert response.status == 200, "acknowledged before the model is called"
    ai_bot.idle()
    assert "the model did not answer in time" in ai_bot.fake.ephemerals()[-1]
    call = _calls(ai_bot)[-1]
    assert call.outcome == "unavailable" and call.latency_ms < 5000, "within the 3-second budget"


def test_what_leaves_the_process_is_redacted(ai_bot, fake_openai):
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "Dana (dana.lopez@example.com, +1 555 0100) owns it; bot token xoxb-123-456-abcdef, "
                         "key sk-live-abcdefghijklmnop")
    sent = "\n".join(fake_openai.sent_texts())
    for secret in ("dana.lopez@example.com", "555 0100", "xoxb-123-456-abcdef", "sk-live-abcdefghijklmnop"):
        assert secret not in sent
    assert "[email]" in sent and "[phone]" in sent and "[slack-token]" in sent and "[api-key]" in sent
    assert "sk-test-key-not-real" not in sent


def test_model_output_is_untrusted_text(ai_bot, fake_openai):
    fake_openai.queue(body=completion(json.dumps({
        "status": "met", "reason": "<!channel> <@U999> see https://evil.example.com/proof and https://wiki.example.com/x",
        "missing_evidence": "", "follow_up": None})))
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "Owned by Dana, charter at https://wiki.example.com/x")
    shown = str(_proposal(ai_bot, thread)["blocks"])
    assert "<!channel>" not in shown and "<@U999>" not in shown
    assert "evil.example.com" not in shown and "[link removed]" in shown
    assert "https://wiki.example.com/x" in shown, "a link the person wrote may stay"


def test_workspace_can_turn_ai_assist_off(ai_bot, fake_openai):
    ai_bot.slack.command("ai off")
    ai_bot.idle()
    assert "AI assist is off" in ai_bot.fake.responses()[-1]["text"]
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    posted = len(ai_bot.fake.posts(thread_ts=thread))
    driver.reply(thread, "Dana owns it")
    assert fake_openai.requests == []
    assert ai_bot.fake.ephemerals() == [] and len(ai_bot.fake.posts(thread_ts=thread)) == posted, "chatter: no message"
    with Session(ai_bot.engine) as session:
        assert "Dana owns it" not in session.exec(select(Evidence.text)).all()
    assert _answers(ai_bot) == []


def test_summary_gets_an_ai_paragraph_above_the_unchanged_summary(ai_bot, framework):
    driver = ReviewDriver(ai_bot)
    thread = driver.start("Tiny", tier="low")
    for _ in range(20):
        driver.click(driver.current(thread), Action.ANSWER_NOT_YET)
        if ai_bot.fake.posts(top_level=True)[-1]["text"].startswith("Readiness summary"):
            break
    summary = ai_bot.fake.posts(top_level=True)[-1]
    blocks = summary["blocks"]
    assert blocks[1]["text"]["text"].startswith("Not ready yet: two conditions block release")
    assert "AI-written" in blocks[2]["elements"][0]["text"]
    with Session(ai_bot.engine) as session:
        state = ReviewState.load(session.exec(select(Review)).one().id, session=session, framework=framework)
    _, plain = build_summary(summarize(state), framework)
    assert blocks[0] == plain[0] and blocks[4:] == plain[1:], "the deterministic summary is unchanged beneath it"
    assert [c.purpose for c in _calls(ai_bot)] == ["executive_summary"]


def test_usage_shows_this_months_calls_tokens_and_cost(ai_bot):
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    driver.reply(thread, "Dana owns it")
    driver.reply(thread, "Dana owns it, really")
    ai_bot.slack.command("usage")
    ai_bot.idle()
    text = ai_bot.fake.responses()[-1]["text"]
    assert "Invoice assistant" in text and "    2" in text and "240" in text and "$0.0001" in text


def test_usage_shows_how_often_people_change_proposals_and_why_per_prompt_version(ai_bot, framework):
    driver = ReviewDriver(ai_bot)
    thread = driver.start()
    for n in range(3):
        driver.reply(thread, "Dana owns it and reviews it weekly")
        proposal = _proposal(ai_bot, thread)
        if n == 0:
            _change(ai_bot, proposal, "partly", "Only half the team knows Dana owns it")
        else:
            ai_bot.slack.click(Action.AI_CONFIRM, _button(proposal, Action.AI_CONFIRM)["value"],
                               message_ts=proposal["ts"])
            ai_bot.idle()
        decided = question_now(ai_bot, thread, _question_of(proposal))
        if evidence_asked(decided):  # else the next reply would be its evidence, not chatter
            driver.reply(thread, EVIDENCE_REPLIES[framework.question(decided.question_id).evidence.kind])
    ai_bot.slack.command("usage")
    ai_bot.idle()
    text = ai_bot.fake.responses()[-1]["text"]
    version = prompt("assess_answer").version
    assert f"Proposals (prompt {version}):* 3 decided by people, 1 changed (33% override rate)" in text
    assert "Why: Only half the team knows Dana owns it" in text


def test_end_to_end_review_with_free_text_answers_confirmed_by_a_button(ai_bot, framework):
    driver = ReviewDriver(ai_bot)
    thread = driver.start("Claims triage", tier="low")
    for _ in range(40):
        question = driver.current(thread)
        spec = framework.question(question.question_id)
        driver.reply(thread, f"We have this in place: {spec.met_looks_like[:60]}")
        proposal = _proposal(ai_bot, thread)
        ai_bot.slack.click(Action.AI_CONFIRM, _button(proposal, Action.AI_CONFIRM)["value"], message_ts=proposal["ts"])
        ai_bot.idle()
        if evidence_asked(question_now(ai_bot, thread, question.question_id)):
            driver.reply(thread, EVIDENCE_REPLIES[spec.evidence.kind])
        if ai_bot.fake.posts(top_level=True)[-1]["text"].startswith("Readiness summary"):
            break
    answers = _answers(ai_bot)
    assert len(answers) == len(framework.questions_for("low"))
    assert {a.source for a in answers} == {"ai_confirmed"} and {a.status for a in answers} == {AnswerStatus.MET}
    summary = ai_bot.fake.posts(channel=CHANNEL, top_level=True)[-1]
    assert "🟢 Ready" in str(summary["blocks"])


def test_approvers_get_an_ai_written_pre_read_with_the_request(ai_bot, framework):
    from tests.review_driver import complete_review, request_release

    complete_review(ai_bot, framework, tier="low")
    request_release(ai_bot, framework, tier="low")
    [dm] = [p for p in ai_bot.fake.posts(channel="D200") if p["text"].startswith("⏳ Release approval")]
    shown = str(dm["blocks"])
    assert "Pre-read (AI-written)" in shown and "3. Who is paged when quality drops?" in shown
    assert "approver_preread" in [c.purpose for c in _calls(ai_bot)]
