"""App Home through the served bot: what a person with 0, 1 or 150 initiatives sees, page by page, that it shows
nothing of channels they are not in, that its buttons work, and that it is republished when something changes."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.approval_policy import load_policy
from bot.domain import home
from bot.domain.initiatives import create_initiative, retire
from bot.slack.ids import Action, View
from storage.models import Decision, Initiative, InitiativeCreate, Scorecard
from tests.block_kit import copy_problems, texts, view_problems
from tests.review_driver import (
    BUSINESS,
    EVIDENCE_REPLIES,
    OUTSIDER,
    REQUESTER,
    RISK,
    TECHNICAL,
    ReviewDriver,
    checklist_questions,
    checklists_since,
    complete_by_area,
    request_release,
)
from tests.slack_requests import CHANNEL, TEAM

NAME = "Invoice assistant"
CARD_NAME = re.compile(r"^\*(.+?)\* · ", re.MULTILINE)


@pytest.fixture(autouse=True)
def risk_group(monkeypatch):
    monkeypatch.setenv("READINESS_RISK_APPROVERS", RISK)


def publishes(bot, user: str) -> int:
    return sum(1 for c in bot.fake.calls_to("views.publish") if c.params["user_id"] == user)


def checked(view: dict) -> dict:
    assert view["type"] == "home"
    assert view_problems(view) == [] and copy_problems(view) == []
    return view


def open_home(bot, user: str) -> dict:
    """The person opens the Home tab: the view published for them."""
    before = publishes(bot, user)
    assert bot.slack.home_opened(user=user).status == 200
    bot.idle()
    assert publishes(bot, user) == before + 1
    return checked(bot.fake.home(user))


def click(bot, view: dict, action: Action, value: str, *, user: str) -> None:
    assert bot.slack.click_in_home(action, value, view=view, user=user).status == 200
    bot.idle()


def shown(view: dict) -> str:
    return "\n".join(texts(view["blocks"]))


def names(view: dict) -> list[str]:
    return CARD_NAME.findall(shown(view))


def buttons(view: dict) -> list[tuple[str, str]]:
    """(action id, value) of every button in the view."""
    return [(e["action_id"], e.get("value", "")) for b in view["blocks"] if b["type"] == "actions"
            for e in b["elements"]]


def add(bot, name: str, *, channel: str = CHANNEL, owner: str = BUSINESS, tier: str = "low") -> int:
    """An initiative added as the intake form does, without its conversation."""
    form = InitiativeCreate(team_id=TEAM, created_by=REQUESTER, name=name, purpose="Helps the team",
                            business_owner_id=owner, technical_owner_id=TECHNICAL, risk_tier=tier, channel_id=channel)
    with bot.services.session() as session:
        return create_initiative(form, session=session, framework=bot.services.framework, now=bot.clock.now())[0].id


def test_a_person_with_no_initiatives_is_shown_how_to_start(bot):
    view = open_home(bot, OUTSIDER)
    text = shown(view)
    assert "Nothing here yet" in text and "`/readiness new <name>`" in text and "`/invite @Readiness Bot`" in text
    assert buttons(view) == [(Action.START_REVIEW, "")]
    click(bot, view, Action.START_REVIEW, "", user=OUTSIDER)
    assert bot.fake.calls_to("views.open")[-1].params["view"]["callback_id"] == View.INTAKE
    assert bot.slack.home_opened(user=OUTSIDER, tab="messages").status == 200
    bot.idle()
    assert publishes(bot, OUTSIDER) == 1, "opening the Messages tab publishes nothing"


def test_one_initiative_in_review_its_stage_readiness_gaps_and_what_is_due(bot, framework):
    driver = ReviewDriver(bot)
    thread = driver.start(NAME, tier="low")
    first = driver.current(thread)
    assert framework.question(first.question_id).blocks_at("low")
    driver.click(first, Action.ANSWER_NOT_YET)
    view = open_home(bot, BUSINESS)
    text = shown(view)
    asked = len(framework.questions_for("low"))
    assert names(view) == [NAME] and "1–1 of 1" in text and "🔍 In review" in text and f"<#{CHANNEL}>" in text
    assert f"Readiness `▱▱▱▱▱▱▱▱▱▱` 0 of {asked} conditions met" in text
    assert f"⛔ 1 condition blocks release: {framework.question(first.question_id).text[:60]}" in text
    assert "first weekly check-in comes once its first week is over" in text
    mine = sum(1 for q in framework.questions_for("low") if q.owner == "business_owner")
    assert f"*Due from you:* answer {mine} questions you own." in text
    [(action, initiative_id)] = buttons(view)
    assert action == Action.CONTINUE_REVIEW

    posted = len(bot.fake.posts(thread_ts=thread))
    click(bot, view, Action.CONTINUE_REVIEW, initiative_id, user=BUSINESS)
    again = checklist_questions(bot.fake, checklists_since(bot, posted, thread_ts=thread))
    assert [q.question_id for q in again] == [q.id for q in framework.questions_for("low")], \
        "both owners' checklists are posted again: each holds an open question"
    assert [q.question_id for q in again if q.answered] == [first.question_id]
    assert bot.fake.posts(channel=BUSINESS)[-1]["text"] == f"Picked up {NAME} in <#{CHANNEL}>."

    bot.clock.advance(timedelta(days=7))  # its first week is over: the check-in asks about it
    view = open_home(bot, BUSINESS)
    assert "📊 Adoption, the week of 01 Jun 2026: not reported yet." in shown(view)
    assert "report this week's adoption" in shown(view)
    report = next(v for a, v in buttons(view) if a == Action.REPORT_WEEK)
    click(bot, view, Action.REPORT_WEEK, report, user=BUSINESS)
    modal = bot.fake.calls_to("views.open")[-1].params["view"]
    assert modal["callback_id"] == View.SCORECARD
    numbers = {"active_users": "40", "repeat_users": "25", "hours_saved": "12.5", "feedback_count": "7",
               "escalations": "1", "incidents": "0"}
    open_home(bot, TECHNICAL)
    before = publishes(bot, TECHNICAL)
    bot.slack.submit_view(modal, {k: {"type": "number_input", "value": v} for k, v in numbers.items()}, user=BUSINESS)
    bot.idle()
    with Session(bot.engine) as session:
        assert session.exec(select(Scorecard.active_users)).one() == 40
    text = shown(checked(bot.fake.home(BUSINESS)))
    assert "the week of 01 Jun 2026: 40 active users, 25 repeat users, 12.5 hours saved, 1 escalation, 0 " \
           "incidents." in text and "report this week's adoption" not in text
    assert publishes(bot, TECHNICAL) == before + 1, "the report republished Home for the owners"


def test_home_is_republished_for_the_owners_and_the_person_acting_after_an_answer(bot, framework):
    driver = ReviewDriver(bot)
    thread = driver.start(NAME, tier="low")
    asked = len(framework.questions_for("low"))
    for person in (BUSINESS, TECHNICAL, REQUESTER):
        assert f"0 of {asked} conditions met" in shown(open_home(bot, person))
    seen = {person: publishes(bot, person) for person in (BUSINESS, TECHNICAL, REQUESTER, "U400")}
    question = driver.current(thread)
    driver.click(question, Action.ANSWER_MET, user=REQUESTER)
    driver.reply(thread, EVIDENCE_REPLIES[framework.question(question.question_id).evidence.kind], user=REQUESTER)
    for person in (BUSINESS, TECHNICAL, REQUESTER):
        assert publishes(bot, person) == seen[person] + 1, person
        assert f"1 of {asked} conditions met" in shown(checked(bot.fake.home(person)))
    assert publishes(bot, "U400") == seen["U400"] == 0, "nobody else: they get fresh data when they open it"


def test_home_is_not_published_for_people_who_never_opened_it(bot):
    driver = ReviewDriver(bot)
    thread = driver.start(NAME, tier="low")
    driver.click(driver.current(thread), Action.ANSWER_NOT_YET, user=REQUESTER)
    assert not bot.fake.calls_to("views.publish"), "their Home is fresh when they first open it"


def test_a_person_sees_only_channels_they_are_in_and_what_they_own_or_approve(bot):
    ReviewDriver(bot).start(NAME, tier="high")  # in the team channel, which OUTSIDER is not in
    bot.fake.channel_members["C0OUTSIDER"] = [OUTSIDER]
    bot.fake.channel_members["C0ELSEWHERE"] = []
    add(bot, "Outsider's own channel", channel="C0OUTSIDER")
    add(bot, "Risky elsewhere", channel="C0ELSEWHERE", tier="high")
    add(bot, "Harmless elsewhere", channel="C0ELSEWHERE", tier="low")
    add(bot, "Owned elsewhere", channel="C0ELSEWHERE", owner=OUTSIDER)
    retired = add(bot, "Aardvark", channel="C0ELSEWHERE", owner=OUTSIDER)
    with bot.services.session() as session:
        retire(session.get(Initiative, retired), user_id=OUTSIDER, session=session)
    view = open_home(bot, OUTSIDER)
    assert names(view) == ["Outsider's own channel", "Owned elsewhere", "Aardvark"], "retired ones last"
    assert "*Aardvark* · 🗄️ Retired" in shown(view) and NAME not in shown(view)
    assert not [b for b in view["blocks"] if b.get("block_id") == f"home_{retired}"], "nothing to do on it"
    bot.fake.channel_members[CHANNEL].remove(RISK)
    assert names(open_home(bot, RISK)) == [NAME, "Risky elsewhere"], "a risk approver sees every high-risk one"
    assert names(open_home(bot, "U400")) == [NAME], "a member of the team channel"


def test_a_person_with_150_initiatives_pages_through_every_one(bot):
    bot.fake.channel_members.update({f"C{n:04d}": ["U400"] for n in range(250)})  # users.conversations in pages
    expected = {add(bot, f"Team {n:03d}", channel=CHANNEL if n % 3 else f"C{n:04d}", owner="U200") for n in range(100)}
    bot.fake.channel_members["C0OWNED"] = []
    expected |= {add(bot, f"Owned {n:03d}", channel="C0OWNED", owner="U400") for n in range(50)}
    bot.fake.channel_members["C0HIDDEN"] = []
    for n in range(10):
        add(bot, f"Hidden {n:03d}", channel="C0HIDDEN")
    view = open_home(bot, "U400")
    assert len(bot.fake.calls_to("users.conversations")) == 3, "every page of the person's channels"
    seen, pages = [], []
    while True:
        seen += names(view)
        pages.append(re.search(r"page (\d+) of (\d+)", shown(view)).groups())
        assert len(view["blocks"]) <= 100
        following = [v for a, v in buttons(view) if a == Action.HOME_NEXT]
        if not following:
            break
        click(bot, view, Action.HOME_NEXT, following[0], user="U400")
        view = checked(bot.fake.home("U400"))
    assert len(seen) == len(set(seen)) == 150 and not any(n.startswith("Hidden") for n in seen)
    assert seen == sorted(seen, key=str.casefold) and len(expected) == 150
    last = math.ceil(150 / home.PAGE_SIZE)
    assert pages == [(str(n), str(last)) for n in range(1, last + 1)] and "–150 of 150" in shown(view)
    click(bot, view, Action.HOME_PREVIOUS, next(v for a, v in buttons(view) if a == Action.HOME_PREVIOUS),
          user="U400")
    assert names(checked(bot.fake.home("U400"))) == seen[-home.PAGE_SIZE - len(names(view)):-len(names(view))]
    assert len(bot.fake.calls_to("users.conversations")) == 3, "remembered for a minute"


def test_an_approver_sees_the_request_waiting_for_them_and_its_buttons_work(bot, framework):
    complete_by_area(bot, framework, tier="medium")
    for approver in (BUSINESS, TECHNICAL):
        open_home(bot, approver)
    request_id = request_release(bot, framework, tier="medium")
    value = str(request_id)
    decision = [(Action.APPROVE, value), (Action.REQUEST_CHANGES, value), (Action.REJECT, value)]
    business = checked(bot.fake.home(BUSINESS))  # the request republished Home for its approvers
    assert "⏳ Awaiting approval" in shown(business) and f"request by <@{REQUESTER}> waits for your decision" in \
        shown(business) and "decide the release request" in shown(business)
    assert buttons(business)[:3] == decision
    assert not set(decision) & set(buttons(open_home(bot, REQUESTER))), "the requester may not approve at medium"

    click(bot, business, Action.APPROVE, value, user=BUSINESS)  # at Ready: one click, no form
    with Session(bot.engine) as session:
        assert [(d.role, d.approver_id) for d in session.exec(select(Decision)).all()] == [("business_owner",
                                                                                              BUSINESS)]
    assert not set(decision) & set(buttons(checked(bot.fake.home(BUSINESS)))), "decided: no more buttons"
    assert "Approved" not in shown(bot.fake.home(BUSINESS)) and bot.fake.calls_to("chat.update"), "copies updated"

    technical = checked(bot.fake.home(TECHNICAL))
    assert buttons(technical)[:3] == decision
    click(bot, technical, Action.REQUEST_CHANGES, value, user=TECHNICAL)
    assert bot.fake.calls_to("views.open")[-1].params["view"]["callback_id"] == View.REQUEST_CHANGES
    click(bot, technical, Action.REJECT, value, user=OUTSIDER)  # someone else's Home, clicked all the same
    assert bot.fake.posts(channel=OUTSIDER)[-1]["text"].startswith(f"Only <@{TECHNICAL}> (technical owner)")
    click(bot, technical, Action.APPROVE, value, user=TECHNICAL)
    assert "✅ Approved" in shown(checked(bot.fake.home(TECHNICAL)))


def test_a_page_takes_the_same_queries_however_many_initiatives(bot):
    for n in range(150):
        add(bot, f"Team {n:03d}", owner="U400")
    statements = []
    event.listen(bot.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    counts = []
    for page in (0, 7):
        statements.clear()
        with bot.services.session() as session:
            found = home.page("U400", team_id=TEAM, channels=set(), number=page, session=session,
                              framework=bot.services.framework, policy=load_policy(), in_group=lambda *_: False,
                              now=bot.clock.now())
        counts.append(len(statements))
        assert len(found.cards) == (home.PAGE_SIZE if page == 0 else 150 - 7 * home.PAGE_SIZE)
    assert counts[0] == counts[1] <= 12
