"""Release approval by button, routed by risk tier, through the served app and the fake Slack."""

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.slack.approval_flow import run_sweep
from bot.slack.ids import Action
from bot.text import from_plain
from storage.models import AuditEvent, Decision, ReleaseRequest, RequestStatus, Waiver, as_utc
from tests.block_kit import copy_problems, message_problems, texts, view_problems
from tests.conftest import GATE_TOKEN, RunningBot
from tests.review_driver import (
    BUSINESS,
    OUTSIDER,
    REQUESTER,
    RISK,
    TECHNICAL,
    blocker_at,
    complete_review,
    open_request_form,
    request_release,
    waiver_values,
)
from tests.slack_requests import CHANNEL

CLI = os.path.join(os.path.dirname(sys.executable), "readiness-bot")


@pytest.fixture(autouse=True)
def risk_group(monkeypatch):
    monkeypatch.setenv("READINESS_RISK_APPROVERS", RISK)


def waivers_as_offered(view: dict, **terms) -> dict:
    """Every waiver of the form filled in, covering the blockers and naming the owner it starts with."""
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if "block_id" in b}
    values = {}
    for block_id, element in elements.items():
        key = block_id.removeprefix("waiver_conditions:")
        if key != block_id and element.get("initial_options"):
            owner = elements[f"waiver_owner:{key}"].get("initial_user")
            values |= waiver_values(key, [o["value"] for o in element["initial_options"]], **{"owner": owner, **terms})
    return values


def decide(bot, request_id: int, user: str, action=Action.APPROVE, message_ts="1700000000.000001"):
    response = bot.slack.click(action, str(request_id), user=user, message_ts=message_ts)
    assert response.status == 200
    bot.idle()


def request_row(bot, request_id) -> ReleaseRequest:
    with Session(bot.engine) as session:
        return session.get(ReleaseRequest, request_id)


def audit_kinds(bot) -> list[str]:
    with Session(bot.engine) as session:
        return [e.kind for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]


def gate_http(bot, name: str, token: str = GATE_TOKEN) -> tuple[int, dict]:
    import json

    request = urllib.request.Request(f"{bot.url}/gate?initiative={urllib.parse.quote(name)}",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def gate_cli(bot, name: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": bot.database_url}
    return subprocess.run([CLI, "gate", name], env=env, capture_output=True, text=True, cwd="/tmp", timeout=60)


def test_high_tier_request_with_a_waiver_is_approved_by_all_three_roles(bot, framework):
    blocker = blocker_at(framework, "high")
    complete_review(bot, framework, tier="high", not_yet={blocker})
    assert gate_cli(bot, "Invoice assistant").returncode == 1

    view = open_request_form(bot)
    assert waivers_as_offered(view)["waiver_conditions:1"]["selected_options"] == [{"value": blocker}]
    missing = bot.slack.submit_view(view, {}).json()
    assert missing["response_action"] == "errors" and "Not waived yet: 1" in missing["errors"]["waiver_conditions:1"]
    past = bot.slack.submit_view(view, waiver_values("1", [blocker], due="2001-01-01")).json()
    assert "in the past" in past["errors"]["waiver_due:1"]
    with Session(bot.engine) as session:
        assert session.exec(select(ReleaseRequest)).all() == [], "nothing is sent without a waiver per blocker"

    request_id = request_release(bot, framework, tier="high", waive={blocker})
    dms = [c.params["users"] for c in bot.fake.calls_to("conversations.open")]
    assert sorted(dms) == [BUSINESS, TECHNICAL, RISK]
    copies = [p for p in bot.fake.posts() if p["text"].startswith("⏳ Release approval")]
    assert {p["channel"] for p in copies} == {CHANNEL, "D200", "D300", "D900"}
    approve = next(e for b in copies[0]["blocks"] if b.get("block_id") == "decision" for e in b["elements"]
                   if e["action_id"] == Action.APPROVE)
    assert framework.question(blocker).text[:40] in approve["confirm"]["text"]["text"], "the confirm names the waiver"

    for approver in (BUSINESS, TECHNICAL):
        decide(bot, request_id, approver)
        assert request_row(bot, request_id).status == RequestStatus.PENDING
    assert gate_http(bot, "Invoice assistant")[0] == 409
    decide(bot, request_id, RISK)
    assert request_row(bot, request_id).status == RequestStatus.APPROVED

    final_updates = bot.fake.calls_to("chat.update")[-4:]
    assert {u.params["channel"] for u in final_updates} == {CHANNEL, "D200", "D300", "D900"}
    for update in final_updates:
        assert not any(b.get("block_id") == "decision" for b in update.params["blocks"]), "buttons are gone"
        assert f"approved by <@{RISK}>" in str(update.params["blocks"])
    assert "is approved by every required approver" in bot.fake.posts(channel=CHANNEL, top_level=True)[-1]["text"]
    assert gate_cli(bot, "Invoice assistant").returncode == 0
    status, body = gate_http(bot, "invoice assistant")
    assert status == 200 and body["allowed"] is True
    kinds = audit_kinds(bot)
    assert kinds.count("release_approved") == 3 and "waiver_granted" in kinds and "release_requested" in kinds


def test_the_requester_cannot_approve_their_own_request_at_medium(bot, framework):
    complete_review(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium", user=BUSINESS)
    decide(bot, request_id, BUSINESS)
    assert "can't approve it yourself" in bot.fake.responses()[-1]["text"]
    with Session(bot.engine) as session:
        assert session.exec(select(Decision)).all() == []
    assert audit_kinds(bot)[-1] == "approval_refused"


def test_an_outsider_is_told_who_can_approve_and_the_attempt_is_audited(bot, framework):
    complete_review(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    decide(bot, request_id, OUTSIDER)
    reply = bot.fake.responses()[-1]
    assert reply["response_type"] == "ephemeral"
    assert f"Only <@{BUSINESS}> (business owner), <@{TECHNICAL}> (technical owner) can decide" in reply["text"]
    decide(bot, request_id, OUTSIDER, action=Action.REJECT)
    assert bot.fake.calls_to("views.open")[-1].params["view"]["callback_id"] != "reject_reason"
    assert audit_kinds(bot)[-2:] == ["approval_refused", "approval_refused"]
    assert request_row(bot, request_id).status == RequestStatus.PENDING


def test_a_rejection_needs_a_reason_and_decides_the_request(bot, framework):
    complete_review(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    decide(bot, request_id, BUSINESS)
    decide(bot, request_id, TECHNICAL, action=Action.REJECT)
    modal = bot.fake.calls_to("views.open")[-1].params["view"]
    assert modal["callback_id"] == "reject_reason"
    empty = bot.slack.submit_view(modal, {"reason": {"type": "plain_text_input", "value": "  "}}, user=TECHNICAL)
    assert "Say why" in empty.json()["errors"]["reason"]
    reason = "Evaluation used demo data only <!channel>"
    bot.slack.submit_view(modal, {"reason": {"type": "plain_text_input", "value": reason}}, user=TECHNICAL)
    bot.idle()
    row = request_row(bot, request_id)
    assert row.status == RequestStatus.REJECTED and row.reject_reason == reason
    told = bot.fake.posts(channel=CHANNEL, top_level=True)[-1]["text"]
    assert "was rejected: Evaluation used demo data only &lt;!channel&gt;" in told
    assert "Reason: Evaluation used demo data only" in str(bot.fake.calls_to("chat.update")[-1].params["blocks"])
    result = gate_cli(bot, "Invoice assistant")
    assert result.returncode == 1 and "was rejected" in result.stdout


def test_a_pending_request_is_reminded_once_then_expires_and_the_requester_is_told(bot, framework):
    complete_review(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    expires = as_utc(request_row(bot, request_id).expires_at)

    def sweep(at):
        bot.clock.set(at)
        return run_sweep(bot.app.client, bot.services)

    assert sweep(expires - timedelta(hours=30)) == []
    reminded = sweep(expires - timedelta(hours=2))
    assert reminded == [f"reminded: release request {request_id} (Invoice assistant)"]
    reminders = [p for p in bot.fake.posts() if p["text"].startswith("⏰")]
    assert sorted(p["channel"] for p in reminders) == [BUSINESS, TECHNICAL]
    assert sweep(expires - timedelta(hours=1)) == [], "reminded once"
    assert sweep(expires + timedelta(minutes=1)) == [
        f"expired: release request {request_id} (Invoice assistant)"]
    assert request_row(bot, request_id).status == RequestStatus.EXPIRED
    assert bot.fake.posts(channel=REQUESTER)[-1]["text"].startswith("⌛")
    assert not any(b.get("block_id") == "decision" for b in bot.fake.calls_to("chat.update")[-1].params["blocks"])
    assert audit_kinds(bot)[-2:] == ["release_reminded", "release_expired"]
    assert gate_cli(bot, "Invoice assistant").returncode == 1


def test_a_changed_answer_turns_the_approval_stale_and_asks_only_whom_it_concerns(bot, framework):
    driver, thread = complete_review(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    decide(bot, request_id, BUSINESS)
    decide(bot, request_id, TECHNICAL)
    assert gate_cli(bot, "Invoice assistant").returncode == 0
    technical_question = next(q for q in driver.questions(thread)
                              if framework.question(q.question_id).owner == "technical_owner")
    dms_before = len(bot.fake.calls_to("conversations.open"))
    driver.click(technical_question, Action.ANSWER_NOT_YET, user="U555")
    stale_note = bot.fake.posts(channel=CHANNEL, top_level=True)[-1]["text"]
    assert "is stale" in stale_note and framework.question(technical_question.question_id).text in stale_note
    assert [c.params["users"] for c in bot.fake.calls_to("conversations.open")[dms_before:]] == [TECHNICAL]
    row = request_row(bot, request_id)
    assert row.status == RequestStatus.PENDING and row.stale_since is not None
    result = gate_cli(bot, "Invoice assistant")
    assert result.returncode == 1 and "again" in result.stdout
    decide(bot, request_id, BUSINESS)
    assert request_row(bot, request_id).status == RequestStatus.PENDING, "the business owner's approval still stands"
    decide(bot, request_id, TECHNICAL)
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
    assert gate_cli(bot, "Invoice assistant").returncode == 0
    assert "approval_stale" in audit_kinds(bot)


def test_gate_exit_codes_and_http_answers(bot, framework):
    assert gate_cli(bot, "Nothing here").returncode == 2
    complete_review(bot, framework, tier="low")
    result = gate_cli(bot, "Invoice assistant")
    assert result.returncode == 1 and "no release request" in result.stdout
    assert gate_http(bot, "Invoice assistant", token="wrong")[0] == 401
    assert gate_http(bot, "Nothing here")[0] == 404
    status, body = gate_http(bot, "Invoice assistant")
    assert status == 409 and body == {"initiative": "Invoice assistant", "allowed": False, "status": "none",
                                      "reason": "Invoice assistant has no release request."}


def test_low_tier_requester_may_approve_when_they_are_the_business_owner(bot, framework):
    complete_review(bot, framework, tier="low")
    request_id = request_release(bot, framework, tier="low", user=BUSINESS)
    decide(bot, request_id, BUSINESS)
    assert request_row(bot, request_id).status == RequestStatus.APPROVED


def test_a_double_click_records_one_decision(bot, framework):
    complete_review(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    clicks = [threading.Thread(target=bot.slack.click, args=(Action.APPROVE, str(request_id)),
                               kwargs={"user": BUSINESS}) for _ in range(2)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    bot.idle()
    decide(bot, request_id, BUSINESS)
    with Session(bot.engine) as session:
        assert len(session.exec(select(Decision)).all()) == 1


def test_two_approvers_at_once_through_two_app_processes_both_count(bot, framework, database_url, fake_slack):
    complete_review(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    other = RunningBot(database_url, fake_slack, clock=bot.clock).start()
    try:
        barrier = threading.Barrier(2)

        def click(app, user):
            barrier.wait()
            app.slack.click(Action.APPROVE, str(request_id), user=user)

        threads = [threading.Thread(target=click, args=(bot, BUSINESS)),
                   threading.Thread(target=click, args=(other, TECHNICAL))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        bot.idle()
        other.idle()
    finally:
        other.stop()
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
    approvals = [p for p in bot.fake.posts(channel=CHANNEL, top_level=True) if "is approved" in p["text"]]
    assert len(approvals) == 1, "the outcome is announced once"


def test_a_forged_or_replayed_click_changes_nothing(bot, framework):
    complete_review(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    bot.slack.secret = "forged"
    assert bot.slack.click(Action.APPROVE, str(request_id), user=BUSINESS).status == 401
    bot.slack.secret = "8f742231b10e8888abcd99yyyzzz85a5"
    stale = bot.slack.interactive({"type": "block_actions"}, timestamp=bot.slack.now() - 3600)
    assert stale.status == 401
    bot.idle()
    with Session(bot.engine) as session:
        assert session.exec(select(Decision)).all() == []


def test_a_failed_message_update_keeps_the_decision_and_is_put_right_next_time(bot, framework):
    complete_review(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    bot.fake.fail("chat.update", "message_not_found", times=3)
    decide(bot, request_id, BUSINESS)
    with Session(bot.engine) as session:
        assert len(session.exec(select(Decision)).all()) == 1
    decide(bot, request_id, TECHNICAL)
    last = bot.fake.calls_to("chat.update")[-3:]
    for update in last:
        text = str(update.params["blocks"])
        assert f"approved by <@{BUSINESS}>" in text and f"approved by <@{TECHNICAL}>" in text


def test_a_high_tier_review_with_every_question_unmet_can_request_release(bot, framework):
    high = framework.questions_for("high")
    complete_review(bot, framework, tier="high", not_yet={q.id for q in high})
    blockers = [q.id for q in high if q.blocks_at("high")]
    view = open_request_form(bot)
    assert view_problems(view) == [] and copy_problems(view) == []
    reason = "Pilot: every draft is checked by hand & logged"
    offered = waivers_as_offered(view, reason=reason)
    covered = [o["value"] for key, v in offered.items() if key.startswith("waiver_conditions:")
               for o in v["selected_options"]]
    assert sorted(covered) == sorted(blockers), "the form starts with every blocker in a waiver (one per owner)"
    owners = [offered[f"waiver_owner:{key}"]["selected_user"] for key in (1, 2)]
    assert owners == [BUSINESS, TECHNICAL], "one waiver per owner, each naming them"

    unreasoned = offered | {"waiver_reason:2": {"type": "plain_text_input", "value": " "}}
    twice = waiver_values("3", [blockers[0]])
    errors = bot.slack.submit_view(view, unreasoned | twice).json()
    assert errors["response_action"] == "errors", "the form stays open with everything typed"
    assert errors["errors"] == {"waiver_reason:2": "Say why releasing before these are met is acceptable.",
                                "waiver_conditions:3": "Already in a waiver above: 1."}
    left_out = {key: value for key, value in offered.items() if not key.endswith(":2")}
    missing = bot.slack.submit_view(view, left_out).json()["errors"]
    assert list(missing) == ["waiver_conditions:2"] and missing["waiver_conditions:2"].startswith("Not waived yet: ")
    with Session(bot.engine) as session:
        assert session.exec(select(ReleaseRequest)).all() == []

    response = bot.slack.submit_view(view, offered)
    assert response.status == 200 and not response.body, response.body
    bot.idle()
    copies = [p for p in bot.fake.posts() if p["text"].startswith("⏳ Release approval")]
    assert {p["channel"] for p in copies} == {CHANNEL, "D200", "D300", "D900"}
    for copy in copies:
        assert message_problems(copy["text"], copy["blocks"]) == [] and copy_problems(copy["blocks"]) == []
        shown = "\n".join(texts(copy["blocks"]))
        assert all(framework.question(qid).text[:150].replace("&", "&amp;") in shown for qid in blockers)
        assert shown.count(from_plain(reason)) == 2, "each waiver once, with the conditions it covers"
    with Session(bot.engine) as session:
        waivers = session.exec(select(Waiver)).all()
    assert sorted(w.question_id for w in waivers) == sorted(blockers)
    request_id = waivers[0].request_id
    for approver in (BUSINESS, TECHNICAL, RISK):
        decide(bot, request_id, approver)
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
    sent = [*bot.fake.posts(), *(c.params for c in bot.fake.calls_to("chat.update"))]
    assert [p for p in sent if copy_problems(p.get("blocks") or [], fallback=p["text"])] == []
    assert [text for text in bot.fake.ephemerals() if copy_problems([], fallback=text)] == []


def test_approvers_the_bot_cannot_reach_are_named_in_one_plain_sentence_each(bot, framework):
    blocker = blocker_at(framework, "high")
    complete_review(bot, framework, tier="high", not_yet={blocker})
    bot.fake.fail("chat.postMessage", "not_in_channel")  # the approvals channel
    bot.fake.fail("conversations.open", "cannot_dm_bot")  # the first approver's DM
    request_release(bot, framework, tier="high", waive={blocker})
    told = bot.fake.ephemerals()[-1]
    assert told == ("Release request for Invoice assistant sent to its approvers. I can't post in "
                    f"<#{CHANNEL}>: invite me there with `/invite @Readiness Bot`. I could not DM <@{BUSINESS}>.")
    assert copy_problems([], fallback=told) == []


def test_a_request_refused_as_a_whole_shows_why_above_the_form_it_keeps(bot, framework):
    complete_review(bot, framework, tier="medium")
    request_release(bot, framework, tier="medium")
    view = open_request_form(bot)
    response = bot.slack.submit_view(view, {}).json()
    assert response["response_action"] == "push", "closing the notice goes back to the form as it was"
    assert "already waiting for approval" in str(response["view"]["blocks"])
    assert view_problems(response["view"]) == [] and copy_problems(response["view"]) == []
