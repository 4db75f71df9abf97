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

from bot.app.sweep_approvals import run as run_sweep
from bot.domain.approvals import RATIONALE as RATIONALE_FIELD
from bot.slack.ids import Action, View
from bot.text import from_plain
from storage.models import (
    AnswerStatus,
    AuditEvent,
    ChangeRequest,
    Decision,
    Evidence,
    ReleaseRequest,
    RequestStatus,
    Waiver,
    WaiverDecision,
    as_utc,
)
from tests.block_kit import copy_problems, message_problems, texts, view_problems
from tests.conftest import GATE_TOKEN, RunningBot
from tests.review_driver import (
    BUSINESS,
    OUTSIDER,
    REQUESTER,
    RISK,
    TECHNICAL,
    blocker_at,
    complete_by_area,
    form_values,
    open_area_form,
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


RATIONALE = "Pilot limited to 50 invoices a day; the AP lead reviews each draft until the waivers are met"


def approve_form(bot, request_id: int, user: str) -> dict:
    """Click Approve where the approval needs a rationale: the approve form it opens."""
    opened = len(bot.fake.calls_to("views.open"))
    decide(bot, request_id, user)
    assert len(bot.fake.calls_to("views.open")) == opened + 1, "Approve opens the approve form"
    view = bot.fake.calls_to("views.open")[-1].params["view"]
    assert view["callback_id"] == View.APPROVE
    assert view_problems(view) == [] and copy_problems(view) == []
    return view


def approve_values(view: dict, *, rationale: str = RATIONALE, decline: dict[int, str] | None = None) -> dict:
    """The approve form filled in: each waiver accepted unless declined (number: why), and the rationale."""
    values = {RATIONALE_FIELD: {"type": "plain_text_input", "value": rationale}}
    for block in view["blocks"]:
        block_id = block.get("block_id", "")
        if block_id.startswith("waiver_accept:"):
            number = int(block_id.split(":")[1])
            choice = "decline" if number in (decline or {}) else "accept"
            values[block_id] = {"type": "radio_buttons", "selected_option": {
                "value": choice, "text": {"type": "plain_text", "text": choice.capitalize()}}}
            values[f"waiver_decline:{number}"] = {"type": "plain_text_input", "value": (decline or {}).get(number)}
    return values


def approve_with_waivers(bot, request_id: int, user: str, **values) -> dict:
    """Approve through the approve form; return the answer to its submission ({} when it closed)."""
    view = approve_form(bot, request_id, user)
    response = bot.slack.submit_view(view, approve_values(view, **values), user=user)
    assert response.status == 200
    bot.idle()
    return response.json()


def dm_copy_blocks(bot, channel: str) -> str:
    """The newest text of the request's copy in a channel: its latest update, else as posted."""
    updates = [c.params for c in bot.fake.calls_to("chat.update") if c.params["channel"] == channel]
    posted = [p for p in bot.fake.posts(channel=channel) if "Release approval" in p["text"]]
    return "\n".join(texts((updates or posted)[-1]["blocks"]))


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
    complete_by_area(bot, framework, tier="high", not_yet={blocker})
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
    buttons = [e["text"]["text"] for b in copies[0]["blocks"] if b.get("block_id") == "decision" for e in b["elements"]]
    assert buttons == ["Approve", "Request changes", "Reject"]
    shown = "\n".join(texts(copies[0]["blocks"]))
    assert "verdict at request 🔴 Not ready" in shown
    assert "*Waiver 1* · owner <@U300> · met by 2099-03-01: Manual check by the AP lead" in shown
    assert framework.question(blocker).text in shown

    for approver in (BUSINESS, TECHNICAL):
        assert approve_with_waivers(bot, request_id, approver) == {}
        assert request_row(bot, request_id).status == RequestStatus.PENDING
    assert gate_http(bot, "Invoice assistant")[0] == 409
    approve_with_waivers(bot, request_id, RISK)
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
    complete_by_area(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium", user=BUSINESS)
    decide(bot, request_id, BUSINESS)
    assert "can't approve it yourself" in bot.fake.responses()[-1]["text"]
    with Session(bot.engine) as session:
        assert session.exec(select(Decision)).all() == []
    assert audit_kinds(bot)[-1] == "approval_refused"


def test_an_outsider_is_told_who_can_approve_and_the_attempt_is_audited(bot, framework):
    complete_by_area(bot, framework, tier="medium")
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
    complete_by_area(bot, framework, tier="medium")
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
    complete_by_area(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    expires = as_utc(request_row(bot, request_id).expires_at)

    def sweep(at):
        bot.clock.set(at)
        return run_sweep(bot.app.client, bot.services)

    assert sweep(expires - timedelta(hours=30)) == []
    reminded = sweep(expires - timedelta(hours=2))
    assert reminded == [f"reminded: release request {request_id} (Invoice assistant)"]
    reminders = [p for p in bot.fake.posts() if p["text"].startswith("⏰")]
    assert sorted(p["channel"] for p in reminders) == [bot.fake.dm(BUSINESS), bot.fake.dm(TECHNICAL)]
    assert sweep(expires - timedelta(hours=1)) == [], "reminded once"
    assert sweep(expires + timedelta(minutes=1)) == [
        f"expired: release request {request_id} (Invoice assistant)"]
    assert request_row(bot, request_id).status == RequestStatus.EXPIRED
    assert bot.fake.posts(channel=bot.fake.dm(REQUESTER))[-1]["text"].startswith("⌛")
    assert not any(b.get("block_id") == "decision" for b in bot.fake.calls_to("chat.update")[-1].params["blocks"])
    assert audit_kinds(bot)[-2:] == ["release_reminded", "release_expired"]
    assert gate_cli(bot, "Invoice assistant").returncode == 1


def _approved_at_medium(bot, framework):
    """A medium-tier review finished, and its release request approved by both owners: the driver, the review's
    thread and the request's id."""
    driver, thread = complete_by_area(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    decide(bot, request_id, BUSINESS)
    decide(bot, request_id, TECHNICAL)
    assert gate_cli(bot, "Invoice assistant").returncode == 0
    return driver, thread, request_id


def test_a_changed_answer_turns_the_approval_stale_and_asks_only_whom_it_concerns(bot, framework):
    driver, thread, request_id = _approved_at_medium(bot, framework)
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


def test_an_answer_changed_in_an_area_form_turns_the_approval_stale_too(bot, framework):
    driver, thread, request_id = _approved_at_medium(bot, framework)
    question = next(q for q in framework.questions_for("medium") if q.owner == "technical_owner")
    form = open_area_form(bot, driver.questions(thread)[0].review_id, question.area)
    response = bot.slack.submit_view(form, form_values(form, {question.id: AnswerStatus.NOT_YET}), user="U555")
    assert response.status == 200 and not response.body, response.body
    bot.idle()
    assert request_row(bot, request_id).stale_since is not None
    assert gate_cli(bot, "Invoice assistant").returncode == 1


def test_gate_exit_codes_and_http_answers(bot, framework):
    assert gate_cli(bot, "Nothing here").returncode == 2
    complete_by_area(bot, framework, tier="low")
    result = gate_cli(bot, "Invoice assistant")
    assert result.returncode == 1 and "no release request" in result.stdout
    assert gate_http(bot, "Invoice assistant", token="wrong")[0] == 401
    assert gate_http(bot, "Nothing here")[0] == 404
    status, body = gate_http(bot, "Invoice assistant")
    assert status == 409 and body == {"initiative": "Invoice assistant", "allowed": False, "status": "none",
                                      "reason": "Invoice assistant has no release request."}


def test_low_tier_requester_may_approve_when_they_are_the_business_owner(bot, framework):
    complete_by_area(bot, framework, tier="low")
    request_id = request_release(bot, framework, tier="low", user=BUSINESS)
    decide(bot, request_id, BUSINESS)
    assert request_row(bot, request_id).status == RequestStatus.APPROVED


def test_a_double_click_records_one_decision(bot, framework):
    complete_by_area(bot, framework, tier="medium")
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
    complete_by_area(bot, framework, tier="medium")
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
    complete_by_area(bot, framework, tier="medium")
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
    complete_by_area(bot, framework, tier="medium")
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
    complete_by_area(bot, framework, tier="high", not_yet={q.id for q in high})
    blockers = [q.id for q in high if q.blocks_at("high")]
    view = open_request_form(bot)
    assert view_problems(view) == [] and copy_problems(view) == []
    reason = "Pilot: every draft is checked by hand & logged"
    offered = waivers_as_offered(view, reason=reason)
    covered = [o["value"] for key, v in offered.items() if key.startswith("waiver_conditions:")
               for o in v["selected_options"]]
    assert sorted(covered) == sorted(blockers), "the form starts with every blocker in a waiver (one per owner)"
    owners = [v["selected_user"] for key, v in offered.items() if key.startswith("waiver_owner:")]
    assert owners == [BUSINESS, TECHNICAL, RISK][:len(owners)] and len(owners) >= 2, "one waiver per owner"

    unreasoned = offered | {"waiver_reason:2": {"type": "plain_text_input", "value": " "}}
    spare = str(len(owners) + 1)
    twice = waiver_values(spare, [blockers[0]])
    errors = bot.slack.submit_view(view, unreasoned | twice).json()
    assert errors["response_action"] == "errors", "the form stays open with everything typed"
    assert errors["errors"] == {"waiver_reason:2": "Say why releasing before these are met is acceptable.",
                                f"waiver_conditions:{spare}": "Already in a waiver above: 1."}
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
        assert shown.count(from_plain(reason)) == len(owners), "each waiver once, with the conditions it covers"
    with Session(bot.engine) as session:
        waivers = session.exec(select(Waiver)).all()
    assert sorted(w.question_id for w in waivers) == sorted(blockers)
    request_id = waivers[0].request_id
    for approver in (BUSINESS, TECHNICAL, RISK):
        assert approve_with_waivers(bot, request_id, approver) == {}
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
    sent = [*bot.fake.posts(), *(c.params for c in bot.fake.calls_to("chat.update"))]
    assert [p for p in sent if copy_problems(p.get("blocks") or [], fallback=p["text"])] == []
    assert [text for text in bot.fake.ephemerals() if copy_problems([], fallback=text)] == []


def test_approvers_the_bot_cannot_reach_are_named_in_one_plain_sentence_each(bot, framework):
    blocker = blocker_at(framework, "high")
    complete_by_area(bot, framework, tier="high", not_yet={blocker})
    bot.fake.fail("chat.postMessage", "not_in_channel")  # the approvals channel
    bot.fake.fail("conversations.open", "cannot_dm_bot")  # the first approver's DM
    request_release(bot, framework, tier="high", waive={blocker})
    told = bot.fake.ephemerals()[-1]
    assert told == ("Release request for Invoice assistant sent to its approvers. I can't post in "
                    f"<#{CHANNEL}>: invite me there with `/invite @Readiness Bot`. I could not DM <@{BUSINESS}>.")
    assert copy_problems([], fallback=told) == []


def test_a_request_refused_as_a_whole_shows_why_above_the_form_it_keeps(bot, framework):
    complete_by_area(bot, framework, tier="medium")
    request_release(bot, framework, tier="medium")
    view = open_request_form(bot)
    response = bot.slack.submit_view(view, {}).json()
    assert response["response_action"] == "push", "closing the notice goes back to the form as it was"
    assert "already waiting for approval" in str(response["view"]["blocks"])
    assert view_problems(response["view"]) == [] and copy_problems(response["view"]) == []


# ------------------------------------------------------------------ approval depth: what approvers decide, and how


def two_blockers(framework, tier: str) -> list[str]:
    return [q.id for q in framework.questions_for(tier) if q.blocks_at(tier) and not q.evidence][:2]


def request_with_two_waivers(bot, framework, *, tier: str, user=REQUESTER) -> tuple[int, list[str]]:
    """A request whose two blockers are each under a waiver of its own (waiver 1 and waiver 2)."""
    blockers = two_blockers(framework, tier)
    complete_by_area(bot, framework, tier=tier, not_yet=set(blockers))
    view = open_request_form(bot, user=user)
    values = waiver_values("1", blockers[:1]) | waiver_values("2", blockers[1:], reason="Vendor fix due in March",
                                                              owner=BUSINESS)
    response = bot.slack.submit_view(view, values, user=user)
    assert response.status == 200 and not response.body, response.body
    bot.idle()
    with Session(bot.engine) as session:
        return session.exec(select(ReleaseRequest).order_by(ReleaseRequest.id.desc())).first().id, blockers


def recorded(bot, table) -> list:
    with Session(bot.engine) as session:
        return session.exec(select(table).order_by(table.id)).all()


def test_approving_at_ready_without_waivers_takes_one_click_and_no_rationale(bot, framework):
    complete_by_area(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    opened = len(bot.fake.calls_to("views.open"))
    for approver in (BUSINESS, TECHNICAL):
        decide(bot, request_id, approver)
    assert len(bot.fake.calls_to("views.open")) == opened, "no form: there is nothing to weigh"
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
    assert [d.rationale for d in recorded(bot, Decision)] == [None, None]
    assert gate_cli(bot, "Invoice assistant").returncode == 0


def test_approving_with_waivers_needs_a_written_rationale_and_a_choice_on_each_waiver(bot, framework):
    request_id, blockers = request_with_two_waivers(bot, framework, tier="medium")
    with Session(bot.engine) as session:  # evidence given in the review, with a link
        review_id = session.exec(select(ReleaseRequest)).first().review_id
        session.add(Evidence(review_id=review_id, question_id=blockers[0], provided_by="U100",
                             text="Partly: see <https://wiki.example.com/ap-pilot|the pilot log> <!channel>",
                             provided_at=bot.clock.now()))
        session.commit()
    view = approve_form(bot, request_id, BUSINESS)
    shown = "\n".join(texts(view["blocks"]))
    assert "*Waiver 2* · owner <@U200> · met by 2099-03-01" in shown and "Vendor fix due in March" in shown
    assert framework.question(blockers[1]).text in shown

    for values, field, words in (
        (approve_values(view, rationale="  "), "rationale", "Say why releasing with these waivers is acceptable"),
        ({k: v for k, v in approve_values(view).items() if k != "waiver_accept:2"}, "waiver_accept:2",
         "Accept or decline this waiver."),
        (approve_values(view, decline={1: " "}), "waiver_decline:1", "Say why you decline it"),
    ):
        answer = bot.slack.submit_view(view, values, user=BUSINESS).json()
        assert answer["response_action"] == "errors" and words in answer["errors"][field], answer
        bot.idle()
    assert recorded(bot, Decision) == [] and recorded(bot, WaiverDecision) == [], "nothing recorded"

    assert bot.slack.submit_view(view, approve_values(view), user=BUSINESS).json() == {}
    bot.idle()
    [decision] = recorded(bot, Decision)
    assert (decision.approver_id, decision.rationale) == (BUSINESS, RATIONALE)
    assert [(w.number, w.role, w.accepted) for w in recorded(bot, WaiverDecision)] == [
        (1, "business_owner", True), (2, "business_owner", True)]
    copy = dm_copy_blocks(bot, "D300")
    assert f"approved by <@{BUSINESS}>" in copy and f"Rationale: {RATIONALE}" in copy
    assert f"✅ Accepted by <@{BUSINESS}> (business owner)" in copy
    assert "Evidence: Partly: see <https://wiki.example.com/ap-pilot|the pilot log> @\u200bchannel" in copy
    assert "_No evidence recorded._" in copy
    assert gate_cli(bot, "Invoice assistant").returncode == 1

    approve_with_waivers(bot, request_id, TECHNICAL)
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
    assert gate_cli(bot, "Invoice assistant").returncode == 0
    assert audit_kinds(bot).count("release_approved") == 2


def test_a_declined_waiver_blocks_the_approval_and_the_requester_is_told_which_and_why(bot, framework):
    request_id, blockers = request_with_two_waivers(bot, framework, tier="medium")
    approve_with_waivers(bot, request_id, BUSINESS)
    why = "The vendor fix has slipped twice <!here>; meet this one first"
    assert approve_with_waivers(bot, request_id, TECHNICAL, decline={2: why}) == {}

    assert [d.role for d in recorded(bot, Decision)] == ["business_owner"], "the declining approval does not count"
    assert [(w.number, w.accepted, w.reason) for w in recorded(bot, WaiverDecision) if w.role == "technical_owner"] \
        == [(1, True, None), (2, False, why)]
    assert request_row(bot, request_id).status == RequestStatus.PENDING
    told = bot.fake.posts(channel=bot.fake.dm(REQUESTER))[-1]["text"]
    assert told.startswith(f"⛔ <@{TECHNICAL}> declined a waiver of your release request for *Invoice assistant*")
    assert f"*Waiver 2*: {from_plain(why)}" in told and framework.question(blockers[1]).text in told
    assert copy_problems([], fallback=told) == []
    for channel in (CHANNEL, "D200", "D300"):
        copy = dm_copy_blocks(bot, channel)
        assert f"❌ Declined by <@{TECHNICAL}> (technical owner): {from_plain(why)}" in copy
        assert f"⛔ Technical owner: <@{TECHNICAL}> declined waiver 2" in copy
    result = gate_cli(bot, "Invoice assistant")
    assert result.returncode == 1 and "waiver 2 is declined" in result.stdout
    status, body = gate_http(bot, "Invoice assistant")
    assert status == 409 and "waiver 2 is declined" in body["reason"]
    assert "waiver_declined" in audit_kinds(bot)

    approve_with_waivers(bot, request_id, TECHNICAL)  # they think again and accept it
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
    assert [w for w in recorded(bot, WaiverDecision) if w.superseded_at is None and not w.accepted] == []
    assert gate_cli(bot, "Invoice assistant").returncode == 0


def test_request_changes_keeps_the_request_open_and_tells_the_requester_and_the_channel(bot, framework):
    complete_by_area(bot, framework, tier="medium")
    request_id = request_release(bot, framework, tier="medium")
    decide(bot, request_id, OUTSIDER, action=Action.REQUEST_CHANGES)
    assert "Only <@U200> (business owner)" in bot.fake.responses()[-1]["text"]
    decide(bot, request_id, TECHNICAL, action=Action.REQUEST_CHANGES)
    modal = bot.fake.calls_to("views.open")[-1].params["view"]
    assert modal["callback_id"] == View.REQUEST_CHANGES
    assert view_problems(modal) == [] and copy_problems(modal) == []
    empty = bot.slack.submit_view(modal, {"changes": {"type": "plain_text_input", "value": " "}}, user=TECHNICAL)
    assert "Say what must change" in empty.json()["errors"]["changes"]
    bot.idle()
    assert recorded(bot, ChangeRequest) == []

    what = "Attach the load test at 2x volume & the rollback runbook"
    assert bot.slack.submit_view(modal, {"changes": {"type": "plain_text_input", "value": what}},
                                 user=TECHNICAL).json() == {}
    bot.idle()
    [change] = recorded(bot, ChangeRequest)
    assert (change.approver_id, change.what) == (TECHNICAL, what)
    assert request_row(bot, request_id).status == RequestStatus.PENDING
    expected = f"🔁 <@{TECHNICAL}> asks for changes before deciding on the release of *Invoice assistant*: " \
               f"{from_plain(what)}"
    assert bot.fake.posts(channel=bot.fake.dm(REQUESTER))[-1]["text"].startswith(expected)
    assert bot.fake.posts(channel=CHANNEL, top_level=True)[-1]["text"].startswith(expected)
    assert f"<@{TECHNICAL}>" in dm_copy_blocks(bot, "D200") and from_plain(what) in dm_copy_blocks(bot, "D200")
    result = gate_cli(bot, "Invoice assistant")
    assert result.returncode == 1 and "is waiting for approval" in result.stdout
    assert "release_changes_requested" in audit_kinds(bot)

    decide(bot, request_id, BUSINESS)
    decide(bot, request_id, TECHNICAL)  # later, the same approver approves
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
    assert gate_cli(bot, "Invoice assistant").returncode == 0


def test_a_low_tier_requester_who_alone_approves_cannot_waive_every_blocker_alone(bot, framework):
    """The loophole: a business owner asks for release at low risk, waives every blocker and approves it."""
    blockers = [q.id for q in framework.questions_for("low") if q.blocks_at("low")]
    complete_by_area(bot, framework, tier="low", not_yet=set(blockers))
    view = open_request_form(bot, user=BUSINESS)
    response = bot.slack.submit_view(view, waivers_as_offered(view, owner=BUSINESS), user=BUSINESS)
    assert response.status == 200 and not response.body, response.body
    bot.idle()
    with Session(bot.engine) as session:
        request = session.exec(select(ReleaseRequest)).one()
    request_id = request.id
    assert request.waivers_by == "technical_owner"
    assert sorted(c.params["users"] for c in bot.fake.calls_to("conversations.open")) == [BUSINESS, TECHNICAL], \
        "the technical owner gets the request by DM"
    assert f"⏳ Technical owner, for the waivers: <@{TECHNICAL}>" in dm_copy_blocks(bot, "D300")

    assert approve_with_waivers(bot, request_id, BUSINESS) == {}
    assert [d.role for d in recorded(bot, Decision)] == ["business_owner"]
    assert request_row(bot, request_id).status == RequestStatus.PENDING, "approving alone does not count"
    result = gate_cli(bot, "Invoice assistant")
    assert result.returncode == 1 and "waiting for approval" in result.stdout
    assert gate_http(bot, "Invoice assistant")[0] == 409
    decide(bot, request_id, BUSINESS)
    assert bot.fake.responses()[-1]["text"] == "You have already decided this request.", \
        "the requester cannot also be the second person"

    why = "Fallback plan is not written down; meet it first"
    approve_with_waivers(bot, request_id, TECHNICAL, decline={1: why})
    assert request_row(bot, request_id).status == RequestStatus.PENDING
    assert from_plain(why) in bot.fake.posts(channel=bot.fake.dm(BUSINESS))[-1]["text"], "the requester is told"
    assert gate_cli(bot, "Invoice assistant").returncode == 1

    approve_with_waivers(bot, request_id, TECHNICAL)  # the second person accepts the waivers
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
    assert {d.role: d.approver_id for d in recorded(bot, Decision)} == {"business_owner": BUSINESS,
                                                                        "waivers": TECHNICAL}
    assert f"approved by <@{TECHNICAL}>" in dm_copy_blocks(bot, CHANNEL)
    assert gate_cli(bot, "Invoice assistant").returncode == 0
    assert gate_http(bot, "Invoice assistant")[0] == 200


def test_a_low_tier_request_approved_by_someone_else_needs_no_second_person(bot, framework):
    blocker = next(q.id for q in framework.questions_for("low") if q.blocks_at("low"))
    complete_by_area(bot, framework, tier="low", not_yet={blocker})
    request_id = request_release(bot, framework, tier="low", waive={blocker})
    assert request_row(bot, request_id).waivers_by is None, "the requester and the approver are two people"
    approve_with_waivers(bot, request_id, BUSINESS)
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
    assert gate_cli(bot, "Invoice assistant").returncode == 0


def test_a_changed_waived_answer_asks_the_second_person_again(bot, framework):
    blockers = [q.id for q in framework.questions_for("low") if q.blocks_at("low")]
    driver, thread = complete_by_area(bot, framework, tier="low", not_yet=set(blockers))
    view = open_request_form(bot, user=BUSINESS)
    bot.slack.submit_view(view, waivers_as_offered(view, owner=BUSINESS), user=BUSINESS)
    bot.idle()
    request_id = recorded(bot, ReleaseRequest)[0].id
    approve_with_waivers(bot, request_id, BUSINESS)
    approve_with_waivers(bot, request_id, TECHNICAL)
    assert gate_cli(bot, "Invoice assistant").returncode == 0

    waived = next(q for q in driver.questions(thread) if q.question_id == blockers[0])
    dms_before = len(bot.fake.calls_to("conversations.open"))
    driver.click(waived, Action.ANSWER_PARTLY, user="U555")
    asked = sorted(c.params["users"] for c in bot.fake.calls_to("conversations.open")[dms_before:])
    assert asked == [BUSINESS, TECHNICAL], "the approver and the second person for the waivers"
    assert request_row(bot, request_id).status == RequestStatus.PENDING
    assert [w for w in recorded(bot, WaiverDecision) if w.superseded_at is None] == [], "asked again, afresh"
    approve_with_waivers(bot, request_id, BUSINESS)
    assert request_row(bot, request_id).status == RequestStatus.PENDING
    approve_with_waivers(bot, request_id, TECHNICAL)
    assert request_row(bot, request_id).status == RequestStatus.APPROVED
