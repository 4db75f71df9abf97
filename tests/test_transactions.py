"""Units of work: no Slack call while a write transaction is open, and read-only work without the write lock."""

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, func, select

from bot.app.sweep_approvals import run as run_sweep
from bot.domain.approvals import RATIONALE
from bot.slack.ids import Action, View
from storage.db import moment, read_scope, session_scope
from storage.models import ReleaseRequest, RequestStatus, Workspace
from tests import nudge_driver
from tests.review_driver import (
    BUSINESS,
    RISK,
    TECHNICAL,
    blocker_at,
    complete_review,
    request_release,
)

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def approve(bot, request_id: int, user: str) -> None:
    """Approve from the request's message: the form it opens, every waiver accepted, with a rationale."""
    bot.slack.click(Action.APPROVE, str(request_id), user=user)
    bot.idle()
    view = bot.fake.calls_to("views.open")[-1].params["view"]
    assert view["callback_id"] == View.APPROVE
    values = {RATIONALE: {"type": "plain_text_input", "value": "Fifty invoices a day, each draft reviewed"}}
    for block in view["blocks"]:
        if block.get("block_id", "").startswith("waiver_accept:"):
            values[block["block_id"]] = {"type": "radio_buttons", "selected_option": {
                "value": "accept", "text": {"type": "plain_text", "text": "Accept"}}}
    assert bot.slack.submit_view(view, values, user=user).status == 200
    bot.idle()


@SQLITE_ONLY
def test_no_slack_call_is_made_while_a_write_transaction_is_open(bot, framework, monkeypatch, owners_in_new_york):
    monkeypatch.setenv("READINESS_RISK_USERGROUP", "S0RISK")  # approvers asked of Slack (usergroups.users.list)
    bot.fake.usergroups["S0RISK"] = [RISK]
    bot.fake.watch_write_lock(bot.engine.url.database)
    holder = sqlite3.connect(bot.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    bot.app.client.auth_test()
    holder.close()
    assert bot.fake.while_locked == ["auth.test"], "the probe sees a write lock held elsewhere"
    bot.fake.while_locked.clear()

    for person in (BUSINESS, TECHNICAL, RISK):
        bot.slack.home_opened(user=person)  # so every change republishes their Home
        bot.idle()
    blocker = blocker_at(framework, "high")
    driver, thread = complete_review(bot, framework, tier="high", not_yet={blocker})
    for command in ("status", "continue", "summary", "export", "report", "release", "edit", "decide", "score"):
        bot.slack.command(f"{command} Invoice assistant", user=BUSINESS)
        bot.idle()
    bot.slack.command("portfolio", user=BUSINESS)
    bot.idle()
    request_id = request_release(bot, framework, tier="high", waive={blocker})
    for approver in (BUSINESS, TECHNICAL, RISK):
        approve(bot, request_id, approver)
    with Session(bot.engine) as session:
        assert session.get(ReleaseRequest, request_id).status == RequestStatus.APPROVED
    driver.click(driver.questions(thread)[0], Action.ANSWER_NOT_YET, user=BUSINESS)  # the approval goes stale
    assert nudge_driver.run(bot, nudge_driver.monday(10, 5)), "the weekly run sent something"
    bot.clock.advance(timedelta(days=30))
    assert run_sweep(bot.app.client, bot.services), "the stale request expired"

    methods = {call.method for call in bot.fake.calls}
    assert {"chat.postMessage", "chat.update", "views.open", "views.publish", "usergroups.users.list",
            "conversations.open", "response_url", "files.completeUploadExternal"} <= methods
    assert bot.fake.while_locked == []


@SQLITE_ONLY
def test_a_read_only_unit_is_not_queued_behind_a_writer(engine, clock):
    with session_scope(engine, now=clock.now()) as session:
        session.add(Workspace(team_id="T1"))
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer holds the lock (a reader queued behind it would time out)
    try:
        with read_scope(engine, now=clock.now()) as session:
            assert session.exec(select(func.count()).select_from(Workspace)).one() == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_write_in_a_read_only_unit_fails_and_the_connection_stays_writable(engine, clock):
    with pytest.raises(DBAPIError):
        with read_scope(engine, now=clock.now()) as session:
            assert moment(session) == clock.now()
            session.add(Workspace(team_id="T1"))
    with session_scope(engine, now=clock.now()) as session:
        session.add(Workspace(team_id="T2"))
    with read_scope(engine, now=clock.now()) as session:
        assert session.exec(select(Workspace.team_id)).all() == ["T2"]
