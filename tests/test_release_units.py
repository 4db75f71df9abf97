"""Release approval as units of work: a request is stored with its copies, a decision or a stale check asks Slack
nothing while its transaction is open, and what Slack is asked (approver groups, the review's link) is remembered."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.app import release_staleness, request_release
from bot.app.sweep_approvals import run as run_sweep
from bot.domain import answering
from bot.slack.ids import Action
from storage import outbox
from storage.models import AnswerStatus, Initiative, OutboxMessage, ReleaseRequest, RequestMessage
from storage.outbox import RETRY_AFTER
from tests.review_driver import BUSINESS, REQUESTER, RISK, TECHNICAL, complete_by_area
from tests.review_driver import request_release as request_through_slack
from tests.slack_requests import CHANNEL


def _initiative_id(bot) -> int:
    with Session(bot.engine) as session:
        return session.exec(select(Initiative.id)).one()


def _copies(bot, request_id: int) -> list[OutboxMessage]:
    with Session(bot.engine) as session:
        return [m for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
                if (m.then or {}).get("request_copy") == request_id]


def test_a_request_is_stored_with_its_copies_which_the_sweep_delivers_when_slack_failed(bot, framework):
    complete_by_area(bot, framework, tier="medium")
    initiative_id = _initiative_id(bot)
    bot.fake.server_error("chat.postMessage", status=500, times=6)
    requested = request_release.request(bot.app.client, bot.services, initiative_id=initiative_id,
                                        user_id=REQUESTER, waivers=[])
    # the process could stop here (before the acknowledgement's delivery, before the pre-read): nothing is lost
    copies = _copies(bot, requested.view.request.id)
    assert [m.conversation for m in copies] == [CHANNEL, BUSINESS, TECHNICAL]
    assert all(m.delivered_at is None for m in copies)
    for _ in range(6):  # the sweeps of the worker, a few seconds apart, while Slack fails then recovers
        bot.clock.advance(RETRY_AFTER)
        bot.services.outbox.deliver()
    assert all(m.delivered_at is not None for m in _copies(bot, requested.view.request.id))
    with Session(bot.engine) as session:
        recorded = session.exec(select(RequestMessage.channel_id).order_by(RequestMessage.id)).all()
    assert len(recorded) == 3 and recorded[0] == CHANNEL, "each copy recorded once, to be updated in place"
    posted = [p for p in bot.fake.posts() if "Release approval" in p["text"]]
    assert len(posted) == 3, "each copy posted once"


def test_a_stale_check_asks_slack_nothing_inside_the_unit_of_the_answer(bot, framework, monkeypatch):
    monkeypatch.setenv("READINESS_RISK_USERGROUP", "S0RISK")  # risk and compliance: asked of Slack
    bot.fake.usergroups["S0RISK"] = [RISK]
    driver, thread = complete_by_area(bot, framework, tier="high")
    request_id = request_through_slack(bot, framework, tier="high")
    question = driver.questions(thread)[0]
    asked = len(bot.fake.calls_to("usergroups.users.list"))
    initiative_id = _initiative_id(bot)
    approvers = release_staleness.approvers(bot.app.client, bot.services)  # before the unit
    calls = len(bot.fake.calls)
    with bot.services.session(deliver=False) as session:
        answering.answer(question.review_id, question.question_id, AnswerStatus.NOT_YET, user_id=BUSINESS,
                         source="button", session=session, framework=framework)
        stale = release_staleness.write_if_stale(session, bot.services, initiative_id, approvers=approvers)
        assert len(bot.fake.calls) == calls, "no Slack call while the transaction is open"
        queued = list(outbox.queued(session))
    assert stale is not None and stale.view.request.id == request_id
    assert len(bot.fake.calls_to("usergroups.users.list")) == asked, "the group's members, remembered for a minute"
    bot.services.deliver(queued)
    assert "is stale" in bot.fake.posts(channel=CHANNEL, top_level=True)[-1]["text"]
    updated = {c.params["channel"] for c in bot.fake.calls[calls:] if c.method == "chat.update"}
    assert CHANNEL in updated and len(updated) == 4, "every copy shows it stale: the approvals channel's, 3 DMs"
    again = [p for p in bot.fake.posts() if "Release approval" in p["text"]][4:]
    assert len(again) == len(stale.asked_again) >= 1, "a new copy for each person asked again"
    assert queued and all(m.delivered_at is not None for m in _delivered(bot, queued))
    bot.clock.advance(timedelta(seconds=61))
    release_staleness.approvers(bot.app.client, bot.services)
    assert len(bot.fake.calls_to("usergroups.users.list")) == asked + 1, "asked again once a minute went by"


def _delivered(bot, ids: list[int]) -> list[OutboxMessage]:
    with Session(bot.engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all())


def test_the_review_link_is_asked_of_slack_once_for_a_request_and_its_decisions(bot, framework):
    complete_by_area(bot, framework, tier="medium")
    request_id = request_through_slack(bot, framework, tier="medium")
    for approver in (BUSINESS, TECHNICAL):
        assert bot.slack.click(Action.APPROVE, str(request_id), user=approver).status == 200
        bot.idle()
    with Session(bot.engine) as session:
        assert session.get(ReleaseRequest, request_id).status == "approved"
    assert len(bot.fake.calls_to("chat.getPermalink")) == 1
    updates = [c.params for c in bot.fake.calls_to("chat.update") if "Release approval" in c.params["text"]]
    assert len(updates) == 6 and {str(u["blocks"]).count("|the review>") for u in updates} == {1}, \
        "each decision updates the 3 copies, each still linking to the review"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sweep_with_nothing_due_takes_no_write_lock_and_asks_slack_nothing(bot, framework):
    complete_by_area(bot, framework, tier="medium")
    request_through_slack(bot, framework, tier="medium")
    calls = len(bot.fake.calls)
    holder = sqlite3.connect(bot.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer holds the lock: a sweep that wanted it would wait, then fail
    try:
        assert run_sweep(bot.app.client, bot.services) == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(bot.fake.calls) == calls
