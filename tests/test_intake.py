"""The intake modal: invalid input gets field errors in the modal, and nothing is saved."""

import pytest
from sqlmodel import Session, select

from storage.models import AuditEvent, Initiative, Review
from tests.review_driver import ReviewDriver, intake_values


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


def test_submitted_intake_saves_the_initiative_and_posts_the_first_question(bot, engine, framework):
    driver = ReviewDriver(bot)
    thread = driver.start("Claims triage", tier="medium", business="U200", technical="U300")
    with Session(engine) as session:
        initiative = session.exec(select(Initiative)).one()
        assert (initiative.name, initiative.risk_tier, initiative.business_owner_id) == ("Claims triage", "medium", "U200")
        review = session.exec(select(Review)).one()
        assert review.thread_ts == thread
        assert session.exec(select(AuditEvent)).one().kind == "initiative_created"
    first = driver.current(thread)
    assert first.question_id == framework.questions_for("medium")[0].id
