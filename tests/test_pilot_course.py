"""After intake, through the served bot: the owners change the risk tier and the go/no-go date (a release approval
made before turns stale, the next request is routed by the new tier, the review asks the new tier's questions), and
the go / no-go decision is recorded with its history, shown, and stops the past-its-date nudge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.domain import approvals
from bot.framework import Tier
from bot.slack.ids import Action, DecisionField, Field
from storage.models import (
    AuditEvent,
    Baseline,
    GoDecision,
    Initiative,
    ReleaseRequest,
    RequestStatus,
    Review,
    ReviewStatus,
)
from tests.nudge_driver import monday, run
from tests.review_driver import (
    BUSINESS,
    EVIDENCE_REPLIES,
    REQUESTER,
    RISK,
    TECHNICAL,
    ReviewDriver,
    complete_review,
    request_release,
)
from tests.slack_requests import CHANNEL

NAME = "Invoice assistant"


@pytest.fixture(autouse=True)
def risk_group(monkeypatch):
    monkeypatch.setenv("READINESS_RISK_APPROVERS", RISK)


def approve(bot, request_id: int, user: str) -> None:
    assert bot.slack.click(Action.APPROVE, str(request_id), user=user).status == 200
    bot.idle()


def open_form(bot, command: str, *, user: str) -> dict:
    before = len(bot.fake.calls_to("views.open"))
    assert bot.slack.command(command, user=user).status == 200
    bot.idle()
    opened = bot.fake.calls_to("views.open")
    assert len(opened) == before + 1, bot.fake.responses()[-1:]
    return opened[-1].params["view"]


def edit_values(*, tier: str, go_live: str | None, reason: str = "It now drafts replies suppliers read") -> dict:
    return {
        Field.RISK_TIER: {"type": "radio_buttons", "selected_option": {"value": tier}},
        Field.GO_LIVE: {"type": "datepicker", "selected_date": go_live},
        Field.REASON: {"type": "plain_text_input", "value": reason},
    }


def edit(bot, *, tier: str, go_live: str | None, user: str = BUSINESS, **kwargs) -> dict:
    """Change the tier and date with the owners' form; the response (errors) if the form refused it."""
    view = open_form(bot, f"edit {NAME}", user=user)
    response = bot.slack.submit_view(view, edit_values(tier=tier, go_live=go_live, **kwargs), user=user)
    assert response.status == 200
    bot.idle()
    return response.json()


def decision_values(outcome: str, *, by: str = BUSINESS, on: str | None = "2026-06-03",
                    reason: str = "Pilot met its targets on real invoices", new_date: str | None = None) -> dict:
    return {
        DecisionField.OUTCOME: {"type": "radio_buttons", "selected_option": {"value": outcome}},
        DecisionField.DECIDED_BY: {"type": "users_select", "selected_user": by},
        DecisionField.DECIDED_ON: {"type": "datepicker", "selected_date": on},
        DecisionField.REASON: {"type": "plain_text_input", "value": reason},
        DecisionField.NEW_DATE: {"type": "datepicker", "selected_date": new_date},
    }


def channel_posts(bot, start: str) -> list[str]:
    return [p["text"] for p in bot.fake.posts(channel=CHANNEL, top_level=True) if p["text"].startswith(start)]


def audit(bot, kind: str) -> list[dict]:
    with Session(bot.engine) as session:
        return [e.detail | {"actor": e.actor} for e in session.exec(
            select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)).all()]


def newest_request(bot) -> ReleaseRequest:
    with Session(bot.engine) as session:
        return session.exec(select(ReleaseRequest).order_by(ReleaseRequest.id.desc())).first()


def gate(bot) -> approvals.GateResult:
    with bot.services.session() as session:
        return approvals.gate(NAME, team_id="T111", session=session, framework=bot.services.framework)


def answer_the_rest(bot, framework, driver: ReviewDriver, thread: str) -> None:
    """Answer Met (with evidence) until the review is complete again (its posted summary is updated in place)."""
    summaries = len(channel_posts(bot, "Readiness summary"))
    for _ in range(60):
        question = driver.current(thread)
        driver.click(question, Action.ANSWER_MET)
        spec = framework.question(question.question_id)
        if spec.evidence:
            driver.reply(thread, EVIDENCE_REPLIES[spec.evidence.kind])
        with Session(bot.engine) as session:
            if session.exec(select(Review)).one().status == ReviewStatus.COMPLETE:
                assert len(channel_posts(bot, "Readiness summary")) == summaries, "updated, not posted again"
                return
    raise AssertionError("the review did not finish")


def test_raising_the_tier_makes_the_approval_stale_asks_the_new_questions_and_routes_the_next_request(bot, framework):
    driver, thread = complete_review(bot, framework, tier="low")
    request_id = request_release(bot, framework, tier="low")
    approve(bot, request_id, BUSINESS)
    assert newest_request(bot).status == RequestStatus.APPROVED and gate(bot).allowed

    view = open_form(bot, f"edit {NAME}", user=BUSINESS)
    assert next(b for b in view["blocks"] if b.get("block_id") == Field.RISK_TIER)["element"]["initial_option"][
        "value"] == "low", "the form shows the tier as it is"
    refused = bot.slack.submit_view(view, edit_values(tier="low", go_live="2099-01-15"), user=BUSINESS).json()
    assert "Nothing changed" in refused["errors"][Field.RISK_TIER]
    refused = bot.slack.submit_view(view, edit_values(tier="high", go_live="2001-01-01", reason=" "),
                                    user=BUSINESS).json()
    assert set(refused["errors"]) == {Field.GO_LIVE, Field.REASON} and "in the past" in refused["errors"][Field.GO_LIVE]
    assert newest_request(bot).status == RequestStatus.APPROVED, "a refused form changes nothing"

    posts_before = len(bot.fake.posts(thread_ts=thread))
    assert bot.slack.submit_view(view, edit_values(tier="high", go_live="2099-01-15"), user=BUSINESS).status == 200
    bot.idle()
    stale = newest_request(bot)
    assert (stale.id, stale.status, stale.tier) == (request_id, RequestStatus.STALE, "low")
    verdict = gate(bot)
    assert not verdict.allowed and "was made at risk tier low, and the tier is high now" in verdict.reason
    [news] = channel_posts(bot, "🔁")
    assert f"<@{BUSINESS}> changed *{NAME}*: risk tier Low risk → High risk." in news
    assert "It now drafts replies suppliers read" in news and "is stale" in news
    assert "goes to the business owner, technical owner and risk and compliance" in news
    added = [q for q in framework.questions_for(Tier.HIGH) if not q.asked_at(Tier.LOW)]
    assert f"asks {len(added)} more questions; the {len(added)} not answered yet come back" in news
    updates = [u for u in bot.fake.calls_to("chat.update") if "Release approval" in u.params["text"]]
    assert updates and all(not any(b.get("block_id") == "decision" for b in u.params["blocks"])
                           for u in updates[-2:]), "the request's copies lose their buttons"
    assert [a["tier"] for a in audit(bot, "risk_tier_changed")] == ["high"]
    assert audit(bot, "approval_stale")[-1]["cause"] == "risk_tier_changed"

    with Session(bot.engine) as session:
        assert session.exec(select(Review)).one().status == ReviewStatus.IN_PROGRESS
    [said] = bot.fake.posts(thread_ts=thread)[posts_before:]
    assert said["text"].startswith(f"🔁 The risk tier is now High risk: {len(added)} questions it asks")
    shown = driver.questions(thread)  # the owners' checklists, redrawn in place
    assert [q.question_id for q in shown] == [q.id for q in framework.questions_for(Tier.HIGH)]
    back = [q for q in shown if not q.answered]
    assert [q.question_id for q in back] == [q.id for q in added], "each new question once, in the review's order"
    assert driver.current(thread).question_id == added[0].id

    answer_the_rest(bot, framework, driver, thread)
    second = request_release(bot, framework, tier="high")
    row = newest_request(bot)
    assert (row.id, row.tier, row.status) == (second, "high", RequestStatus.PENDING)
    asked_by_dm = [c.params["users"] for c in bot.fake.calls_to("conversations.open")][-3:]
    assert sorted(asked_by_dm) == sorted([BUSINESS, TECHNICAL, RISK]), "routed by the new tier"


def test_only_owners_change_the_tier_or_date_and_the_attempt_is_audited(bot, framework):
    ReviewDriver(bot).start(NAME, tier="medium")
    assert bot.slack.command(f"edit {NAME}", user=REQUESTER).status == 200
    bot.idle()
    assert "Only the owners of Invoice assistant" in bot.fake.responses()[-1]["text"]
    view = open_form(bot, f"edit {NAME}", user=TECHNICAL)
    bot.slack.submit_view(view, edit_values(tier="low", go_live=None), user=REQUESTER)
    bot.idle()
    with Session(bot.engine) as session:
        assert session.exec(select(Initiative)).one().risk_tier == "medium"
    assert [a["actor"] for a in audit(bot, "refused_owners_only")] == [REQUESTER, REQUESTER]


def test_a_date_change_makes_a_waiting_request_stale_and_lowering_the_tier_drops_questions(bot, framework):
    driver, thread = complete_review(bot, framework, tier="medium")
    request_release(bot, framework, tier="medium")
    assert newest_request(bot).status == RequestStatus.PENDING

    assert edit(bot, tier="medium", go_live="2099-03-01", user=TECHNICAL) == {}
    assert newest_request(bot).status == RequestStatus.STALE
    [news] = channel_posts(bot, "🔁")
    assert "go/no-go date 2099-01-15 → 2099-03-01" in news and "risk tier" not in news
    assert "The release request waiting for approval, made before the date moved, is stale" in news
    assert "was made before the go/no-go date changed" in gate(bot).reason
    [moved] = audit(bot, "go_live_date_changed")
    assert (moved["previous"], moved["date"], moved["actor"]) == ("2099-01-15", "2099-03-01", TECHNICAL)
    again = request_release(bot, framework, tier="medium")
    assert newest_request(bot).id == again, "a stale request does not hold up the next one"

    summaries = len(channel_posts(bot, "Readiness summary"))
    assert edit(bot, tier="low", go_live="2099-03-01") == {}
    news = channel_posts(bot, "🔁")[-1]
    dropped = [q for q in framework.questions_for(Tier.MEDIUM) if not q.asked_at(Tier.LOW)]
    assert f"At Low risk {len(dropped)} questions are no longer asked; their answers stay in the history." in news
    assert newest_request(bot).status == RequestStatus.STALE
    with Session(bot.engine) as session:
        assert session.exec(select(Review)).one().status == ReviewStatus.COMPLETE
    assert len(channel_posts(bot, "Readiness summary")) == summaries, "nothing more to ask"
    bot.slack.command(f"status {NAME}")
    bot.idle()
    low = len(framework.questions_for(Tier.LOW))
    assert f"{low} of {low} questions answered" in str(bot.fake.responses()[-1])
    shown = driver.questions(thread)  # the checklists, redrawn in place: the dropped questions are gone
    assert [q.question_id for q in shown] == [q.id for q in framework.questions_for(Tier.LOW)]
    assert all(q.answered for q in shown)


def test_a_go_decision_is_recorded_shown_and_stops_the_past_date_nudge(bot, framework, owners_in_new_york):  # noqa: F811
    go_live = (monday(10) + timedelta(days=3)).date()
    ReviewDriver(bot).start(NAME, tier="low", business="U201", go_live=go_live.isoformat())
    assert "past_go_live to C111 for Invoice assistant" in run(bot, monday(10, 5, weeks=2))

    view = open_form(bot, f"decide {NAME}", user=REQUESTER)
    outcomes = next(b for b in view["blocks"] if b.get("block_id") == DecisionField.OUTCOME)["element"]["options"]
    assert [o["value"] for o in outcomes] == ["go", "no_go", "extend"]
    today = bot.clock.now().date()
    wrong = bot.slack.submit_view(view, decision_values("extend", on=(today + timedelta(days=5)).isoformat(),
                                                        reason=""), user=REQUESTER).json()["errors"]
    assert set(wrong) == {DecisionField.OUTCOME, DecisionField.DECIDED_ON, DecisionField.REASON,
                          DecisionField.NEW_DATE}
    assert "Only the owners" in wrong[DecisionField.OUTCOME], "extending moves the date: owners only"
    response = bot.slack.submit_view(view, decision_values("go", by="U201", on=today.isoformat()), user=REQUESTER)
    assert response.status == 200 and not response.body
    bot.idle()
    [news] = channel_posts(bot, "🚦")
    assert f"*{NAME}*: ✅ Go. Decided by <@U201> on {today.isoformat()}, recorded by <@{REQUESTER}>." in news
    assert "Pilot met its targets on real invoices" in news and f"`/readiness release {NAME}`" in news
    assert audit(bot, "go_decision_recorded")[-1]["outcome"] == "go"

    assert not [line for line in run(bot, monday(10, 5, weeks=3)) if line.startswith("past_go_live")], \
        "the nudge stops once a decision is recorded"

    bot.slack.command(f"status {NAME}")
    bot.idle()
    assert f"Go/no-go decision:* ✅ Go · decided by <@U201> on {today.isoformat()}" in str(bot.fake.responses()[-1])
    bot.slack.command(f"summary {NAME}")
    bot.idle()
    assert "Go/no-go decision:* ✅ Go" in str(bot.fake.responses()[-1]["blocks"]), "in the summary's preview"


def test_extending_the_pilot_moves_the_date_keeps_the_history_and_the_nudge_comes_back_after(
        bot, framework, owners_in_new_york):  # noqa: F811
    go_live = (monday(10) + timedelta(days=3)).date()
    ReviewDriver(bot).start(NAME, tier="low", business="U201", go_live=go_live.isoformat())
    view = open_form(bot, f"decide {NAME}", user="U201")
    today = bot.clock.now().date()
    early = bot.slack.submit_view(view, decision_values("extend", by="U201", on=today.isoformat(),
                                                        new_date=go_live.isoformat()), user="U201").json()
    assert "later than" in early["errors"][DecisionField.NEW_DATE]
    new_date = go_live + timedelta(weeks=2)
    bot.slack.submit_view(view, decision_values("extend", by="U201", on=today.isoformat(),
                                                reason="Needs two more weeks of month-end volume",
                                                new_date=new_date.isoformat()), user="U201")
    bot.idle()
    with Session(bot.engine) as session:
        assert session.exec(select(Initiative)).one().go_live_date == new_date
    news = channel_posts(bot, "🚦")[-1]
    assert "⏩ Extend the pilot" in news and f"The pilot runs until {new_date.isoformat()}" in news
    assert audit(bot, "go_live_date_changed")[-1]["date"] == new_date.isoformat()

    assert not [line for line in run(bot, monday(10, 5, weeks=2)) if line.startswith("past_go_live")]
    assert [line for line in run(bot, monday(10, 5, weeks=4)) if line.startswith("past_go_live")], \
        "past the new date, with no go or no-go for it, the nudge comes back"
    view = open_form(bot, f"decide {NAME}", user="U201")
    bot.slack.submit_view(view, decision_values("no_go", by="U201", on=bot.clock.now().date().isoformat(),
                                                reason="Error rate stayed above the manual process"), user="U201")
    bot.idle()
    assert not [line for line in run(bot, monday(10, 5, weeks=5)) if line.startswith("past_go_live")]
    with Session(bot.engine) as session:
        history = session.exec(select(GoDecision).order_by(GoDecision.id)).all()
    assert [(d.outcome, d.for_date) for d in history] == [("extend", go_live), ("no_go", new_date)]
    bot.slack.command(f"status {NAME}", user="U201")
    bot.idle()
    shown = str(bot.fake.responses()[-1])
    assert "🛑 No-go" in shown and "Earlier: ⏩ Extend the pilot on" in shown


@pytest.mark.parametrize("form", ["edit", "decide", "baseline"])
def test_the_forms_refuse_people_outside_the_channel_and_change_nothing(bot, form):
    ReviewDriver(bot).start(NAME, tier="low")
    view = open_form(bot, f"{form} {NAME}", user=BUSINESS)
    values = {"edit": edit_values(tier="high", go_live=None), "decide": decision_values("go"),
              "baseline": {"time_per_task_minutes": {"type": "number_input", "value": "45"}}}[form]
    with Session(bot.engine) as session:
        before = (session.exec(select(Initiative)).one().model_dump(), session.exec(select(GoDecision)).all(),
                  session.exec(select(Baseline)).all())
    since = len(bot.fake.calls)
    assert bot.slack.submit_view(view, values, user="U999").status == 200
    bot.idle()
    told = [c.params["text"] for c in bot.fake.calls[since:] if c.method == "chat.postMessage"]
    assert len(told) == 1 and told[0].startswith("You can't ") and f"<#{CHANNEL}>" in told[0]
    with Session(bot.engine) as session:
        after = (session.exec(select(Initiative)).one().model_dump(), session.exec(select(GoDecision)).all(),
                 session.exec(select(Baseline)).all())
    assert after == before
