"""The intake modal: invalid input gets field errors in the modal, and nothing is saved."""

import pytest
from sqlmodel import Session, select

from bot.framework import Owner
from bot.slack.ids import Field
from storage.models import AuditEvent, Initiative, Review
from tests.review_driver import BUSINESS, TECHNICAL, ReviewDriver, intake_values
from tests.slack_requests import CHANNEL


def _count(engine, model) -> int:
    with Session(engine) as session:
        return len(session.exec(select(model)).all())


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"name": "   "}, "name", "Give the system a name"),
        ({"business": None}, "business_owner_id", "Choose the business owner"),
        ({"technical": ""}, "technical_owner_id", "Choose the technical owner"),
        ({"go_live": "2001-01-01"}, "go_live_date", "in the past"),
    ],
)
def test_invalid_intake_gets_field_errors_in_the_modal(bot, engine, overrides, field, words):
    view = ReviewDriver(bot).open_intake()
    overrides = dict(overrides)  # the parameter is shared by both database runs
    values = intake_values(overrides.pop("name", "Invoice assistant"), **overrides)
    response = bot.slack.submit_view(view, values)
    assert response.status == 200
    body = response.json()
    assert body["response_action"] == "errors" and words in body["errors"][field]
    bot.idle()
    assert _count(engine, Initiative) == 0 and bot.fake.posts() == []


def test_a_name_already_used_in_the_workspace_is_refused_whatever_its_case(bot, engine):
    driver = ReviewDriver(bot)
    driver.start("Invoice assistant")
    view = driver.open_intake("new INVOICE  Assistant")
    response = bot.slack.submit_view(view, intake_values("INVOICE  Assistant"))
    assert "already used" in response.json()["errors"]["name"]
    assert _count(engine, Initiative) == 1


def test_submitted_intake_saves_the_initiative_and_posts_each_owners_checklist_in_the_thread(bot, engine, framework):
    driver = ReviewDriver(bot)
    thread = driver.start("Claims triage", tier="medium", business="U200", technical="U300")
    with Session(engine) as session:
        initiative = session.exec(select(Initiative)).one()
        assert (initiative.name, initiative.risk_tier, initiative.business_owner_id) == ("Claims triage", "medium", "U200")
        review = session.exec(select(Review)).one()
        assert review.thread_ts == thread
        assert session.exec(select(AuditEvent)).one().kind == "initiative_created"
    assert review.asks_in == "thread"
    asked = framework.questions_for("medium")
    assert [q.question_id for q in driver.questions(thread)] == [q.id for q in asked]
    checklists = [p["text"] for p in bot.fake.posts(thread_ts=thread)]
    mine = sum(1 for q in asked if q.owner == Owner.BUSINESS)
    assert checklists == [f"{mine} questions for <@U200> in the readiness review of Claims triage",
                          f"{len(asked) - mine} questions for <@U300> in the readiness review of Claims triage"]


def test_the_intake_asks_where_each_owner_gets_their_questions_the_thread_unless_changed(bot):
    view = ReviewDriver(bot).open_intake()
    [radio] = [b for b in view["blocks"] if b.get("block_id") == Field.ASKS_IN]
    assert [o["value"] for o in radio["element"]["options"]] == ["thread", "dm"] and radio["optional"]
    assert radio["element"]["initial_option"]["value"] == "thread"


def test_an_intake_that_asks_by_dm_sends_each_owner_their_checklist_in_a_dm(bot, engine, framework):
    driver = ReviewDriver(bot)
    thread = driver.start("Claims triage", tier="low", asks_in="dm")
    with Session(engine) as session:
        assert session.exec(select(Review)).one().asks_in == "dm"
    root = bot.fake.posts(channel=CHANNEL, top_level=True)[-1]
    assert "Each owner gets their questions by DM" in str(root["blocks"])
    assert bot.fake.posts(thread_ts=thread) == [], "nothing is asked in the thread"
    for person, owns in ((BUSINESS, {Owner.BUSINESS}), (TECHNICAL, {Owner.TECHNICAL, Owner.RISK})):
        questions = driver.dm_questions(person)
        assert questions and {framework.question(q.question_id).owner for q in questions} <= owns
    assert len(driver.dm_questions(BUSINESS)) + len(driver.dm_questions(TECHNICAL)) == len(
        framework.questions_for("low"))


def test_an_intake_without_the_radio_asks_in_the_thread(bot, engine):
    driver = ReviewDriver(bot)
    view = driver.open_intake("new Claims triage")
    values = intake_values("Claims triage")
    del values[Field.ASKS_IN]  # left out, as an older client may
    assert bot.slack.submit_view(view, values).status == 200
    bot.idle()
    with Session(engine) as session:
        assert session.exec(select(Review)).one().asks_in == "thread"
    thread = bot.fake.posts(channel=CHANNEL, top_level=True)[-1]["ts"]
    assert driver.questions(thread), "each owner's checklist is in the thread"
