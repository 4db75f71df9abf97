"""Who may act on an initiative: every guarded click, form, reply and command, through the served app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bot.ai.assist import prompt
from bot.approval_policy import DEFAULT_POLICY_PATH, load_policy
from bot.domain.access import Actor, Attempt, refusal
from bot.slack.ids import Action, question_ref, week_ref
from bot.slack.listeners.commands import NAMED_COMMANDS
from storage.models import (
    Answer,
    AuditEvent,
    Decision,
    Evidence,
    Initiative,
    ReleaseRequest,
    RequestMessage,
    Review,
    Scorecard,
    Waiver,
    Workspace,
)
from tests.builders import BUSINESS_OWNER, make_initiative
from tests.other_workspace import FOREIGN_TEAM, FOREIGN_USER, OtherWorkspace
from tests.review_driver import BUSINESS, OUTSIDER, QuestionPost, ReviewDriver
from tests.slack_requests import CHANNEL, TEAM, fixture

NAME = "Invoice assistant"
KEPT = (Workspace, Initiative, Review, Answer, Evidence, Scorecard, ReleaseRequest, Waiver, Decision, RequestMessage)


@dataclass
class Scene:
    """A review with every question open (`question` its first); the weekly report and release forms as its owner
    opened them."""

    thread: str
    question: QuestionPost
    initiative_id: int
    week: str  # the value of a check-in's Report and Snooze buttons
    report_form: dict
    release_form: dict

    @property
    def ref(self) -> str:
        return question_ref(self.question.review_id, self.question.question_id)


@pytest.fixture
def scene(bot) -> Scene:
    driver = ReviewDriver(bot)
    thread = driver.start(NAME, tier="low")
    forms = []
    for sub in ("report", "release"):
        bot.slack.command(f"{sub} {NAME}", user=BUSINESS)
        bot.idle()
        forms.append(bot.fake.calls_to("views.open")[-1].params["view"])
    meta = json.loads(forms[0]["private_metadata"])
    week = week_ref(meta["initiative_id"], date.fromisoformat(meta["week_start"]))
    return Scene(thread, driver.current(thread), meta["initiative_id"], week, *forms)


PROMPT_VERSION = prompt("assess_answer").version  # a proposal's buttons name the prompt that wrote it


def _click(action: Action, value):
    return lambda sender, scene, user: sender.click(action, value(scene), user=user, message_ts=scene.question.ts)


def _snooze_until(sender, scene: Scene, user: str):
    """The check-in's date picker: the initiative is named by the Report button beside it."""
    payload = fixture("block_actions_button.json")
    payload["user"]["id"] = user
    payload["response_url"] = f"{sender.response_url_base}/actions/{TEAM}/1/x"
    payload["message"]["blocks"] = [{"type": "actions", "block_id": "checkin", "elements": [
        {"type": "button", "action_id": Action.REPORT_WEEK, "value": scene.week}]}]
    payload["actions"] = [{"type": "datepicker", "action_id": Action.SNOOZE_UNTIL, "block_id": "checkin",
                           "selected_date": "2026-07-31", "action_ts": "1"}]
    return sender.interactive(payload)


def _command(sub: str):
    return lambda sender, scene, user: sender.command(f"{sub} {NAME}", user=user)


ATTEMPTS = {  # every guarded request: what it attempts, and how Slack sends it
    "answer": (Attempt.ANSWER, _click(Action.ANSWER_MET, lambda s: s.ref)),
    "more": (Attempt.ANSWER, _click(Action.QUESTION_DETAILS, lambda s: s.ref)),
    "answer_by_area": (Attempt.ANSWER, _click(Action.OPEN_AREA_FORM, lambda s: str(s.question.review_id))),
    "ai_confirm": (Attempt.ANSWER, _click(Action.AI_CONFIRM, lambda s: f"{s.ref}:{PROMPT_VERSION}:met")),
    "ai_change": (Attempt.ANSWER, _click(Action.AI_CHANGE, lambda s: f"{s.ref}:{PROMPT_VERSION}:met")),
    "revisit": (Attempt.REVISIT, lambda sender, scene, user: sender.click(
        Action.REVISIT_QUESTION, scene.ref, user=user, selected=True)),
    "snooze_week": (Attempt.SNOOZE, _click(Action.SNOOZE_WEEK, lambda s: s.week)),
    "snooze_until": (Attempt.SNOOZE, _snooze_until),
    "report_button": (Attempt.REPORT, _click(Action.REPORT_WEEK, lambda s: s.week)),
    "report_form": (Attempt.REPORT, lambda sender, scene, user: sender.submit_view(scene.report_form, {}, user=user)),
    "release_button": (Attempt.RELEASE, _click(Action.REQUEST_RELEASE, lambda s: str(s.initiative_id))),
    "release_form": (Attempt.RELEASE,
                     lambda sender, scene, user: sender.submit_view(scene.release_form, {}, user=user)),
    **{f"/readiness {sub}": (attempt, _command(sub)) for sub, (_, attempt) in NAMED_COMMANDS.items()},
}


def kept_rows(bot) -> dict[str, list[tuple]]:
    """Everything a refused attempt must leave as it was."""
    with bot.engine.connect() as connection:
        return {model.__name__: [tuple(row) for row in connection.execute(
            select(model.__table__).order_by(model.__table__.c.id))] for model in KEPT}


def refusals(bot) -> list[tuple]:
    with Session(bot.engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.kind == "refused_access")
                              .order_by(AuditEvent.id)).all()
    return [(e.actor, e.initiative_id, e.detail["attempted"], e.detail["why"], e.detail["team_id"]) for e in events]


def told(bot, user: str, *, since: int) -> list[str]:
    """What the bot said to this person after call number `since`: replies, ephemerals and DMs."""
    said = []
    for call in bot.fake.calls[since:]:
        p = call.params
        if call.method == "response_url" or (call.method == "chat.postEphemeral" and p.get("user") == user) or (
                call.method == "chat.postMessage" and p.get("channel") == user):
            said.append(p["text"])
    return said


def answers(bot) -> list[tuple[str, str, str]]:
    with Session(bot.engine) as session:
        return [(a.question_id, a.answered_by, a.source)
                for a in session.exec(select(Answer).order_by(Answer.id)).all()]


@pytest.mark.parametrize("kind", ATTEMPTS)
def test_every_guarded_action_refuses_other_workspaces_and_non_members_and_changes_nothing(bot, scene, kind):
    attempt, send = ATTEMPTS[kind]
    before = kept_rows(bot)
    for sender, user, why in ((OtherWorkspace(bot.slack), FOREIGN_USER, "other_workspace"),
                              (bot.slack, OUTSIDER, "not_in_channel")):
        since = len(bot.fake.calls)
        assert send(sender, scene, user).status == 200
        bot.idle()
        [line] = told(bot, user, since=since)
        assert line.startswith(f"You can't {attempt} {NAME}: it belongs to ") and "\n" not in line
        assert f"<#{CHANNEL}>" in line and line.endswith("Ask someone in that channel to invite you.")
        assert ("another Slack workspace" in line) == (why == "other_workspace")
        sent = [c for c in bot.fake.calls[since:] if c.method not in ("conversations.members", "response_url")]
        assert all(c.method == "chat.postMessage" and c.params["channel"] == user for c in sent), "only the refusal"
    assert kept_rows(bot) == before
    name = attempt.name.lower()
    assert refusals(bot) == [(FOREIGN_USER, scene.initiative_id, name, "other_workspace", FOREIGN_TEAM),
                             (OUTSIDER, scene.initiative_id, name, "not_in_channel", TEAM)]


def test_an_owner_outside_the_channel_may_act_without_asking_slack(bot, scene):
    bot.fake.channel_members[CHANNEL].remove(BUSINESS)
    ReviewDriver(bot).click(scene.question, Action.ANSWER_NOT_YET, user=BUSINESS)
    bot.slack.command(f"status {NAME}", user=BUSINESS)
    bot.idle()
    assert answers(bot) == [(scene.question.question_id, BUSINESS, "button")]
    assert "questions answered" in json.dumps(bot.fake.responses()[-1]["blocks"])
    assert bot.fake.calls_to("conversations.members") == [] and refusals(bot) == []


def test_a_channel_member_may_act_and_membership_is_asked_of_slack_once_a_minute(bot, scene, clock):
    driver = ReviewDriver(bot)
    driver.click(scene.question, Action.ANSWER_PARTLY)
    bot.slack.command(f"status {NAME}")
    clock.advance(timedelta(seconds=59))
    second = driver.current(scene.thread)
    driver.click(second, Action.ANSWER_NOT_YET)
    assert len(bot.fake.calls_to("conversations.members")) == 1, "remembered for a minute"
    clock.advance(timedelta(seconds=2))
    bot.slack.command(f"status {NAME}")
    bot.idle()
    assert len(bot.fake.calls_to("conversations.members")) == 2, "asked again after a minute"
    assert answers(bot) == [(scene.question.question_id, "U100", "button"), (second.question_id, "U100", "button")]
    assert refusals(bot) == []


def test_membership_of_a_large_channel_is_read_page_by_page(bot, scene):
    bot.fake.channel_members[CHANNEL] = [f"U{n:05d}" for n in range(450)] + ["U100"]
    bot.fake.members_page = 100
    driver = ReviewDriver(bot)
    driver.click(scene.question, Action.ANSWER_NOT_YET)  # U100, on the last page
    pages = bot.fake.calls_to("conversations.members")
    assert len(pages) == 5 and [bool(p.params.get("cursor")) for p in pages] == [False, True, True, True, True]
    assert len({p.params.get("cursor") for p in pages}) == 5
    assert answers(bot) == [(scene.question.question_id, "U100", "button")]
    driver.click(driver.current(scene.thread), Action.ANSWER_NOT_YET, user=OUTSIDER)
    assert len(bot.fake.calls_to("conversations.members")) == 5 and len(answers(bot)) == 1
    assert [r[3] for r in refusals(bot)] == ["not_in_channel"]


def test_a_channel_slack_will_not_list_refuses_in_one_line_and_is_asked_again_next_time(bot, scene):
    bot.fake.fail("conversations.members", "channel_not_found")  # e.g. the bot was removed from the channel
    driver = ReviewDriver(bot)
    since = len(bot.fake.calls)
    driver.click(scene.question, Action.ANSWER_MET)
    [line] = told(bot, "U100", since=since)
    assert line.startswith(f"You can't {Attempt.ANSWER} {NAME} right now: I can't see who is in <#{CHANNEL}>")
    assert "`/invite @Readiness Bot`" in line and "\n" not in line
    assert answers(bot) == [] and [r[3] for r in refusals(bot)] == ["membership_unknown"]
    driver.click(scene.question, Action.ANSWER_NOT_YET)
    assert answers(bot) == [(scene.question.question_id, "U100", "button")], "a failed lookup is not remembered"


def test_a_member_from_another_workspace_in_a_shared_channel_may_act(bot, scene):
    bot.fake.channel_members[CHANNEL].append(FOREIGN_USER)
    foreign = OtherWorkspace(bot.slack)
    foreign.click(Action.ANSWER_NOT_YET, scene.ref, user=FOREIGN_USER, message_ts=scene.question.ts)
    foreign.command(f"status {NAME}", user=FOREIGN_USER)  # named from the shared channel
    bot.idle()
    assert "questions answered" in json.dumps(bot.fake.responses()[-1]["blocks"])
    second = ReviewDriver(bot).current(scene.thread)
    foreign.thread_reply("No, not yet: nobody has looked at it", thread_ts=scene.thread, user=FOREIGN_USER)
    bot.idle()
    assert answers(bot) == [(scene.question.question_id, FOREIGN_USER, "button"),
                            (second.question_id, FOREIGN_USER, "reply")]
    assert refusals(bot) == []


def test_approvers_the_tier_names_may_act_outside_the_channel(bot, monkeypatch):
    monkeypatch.setenv("READINESS_RISK_USERGROUP", "S0RISK")
    bot.fake.usergroups["S0RISK"] = ["U902"]
    driver = ReviewDriver(bot)
    driver.start(NAME, tier="high")
    driver.start("Low pilot", tier="low")  # risk and compliance approves only at high
    for name in (NAME, "Low pilot"):
        bot.slack.command(f"status {name}", user="U902")
        bot.idle()  # each answered before the next is sent, for the order below
    high, low = bot.fake.responses()[-2:]
    assert "questions answered" in json.dumps(high["blocks"])
    assert low["text"].startswith(f"You can't {Attempt.STATUS} Low pilot: it belongs to <#{CHANNEL}>")


# --- the rule itself, without Slack ---------------------------------------------------------------
POLICY = load_policy(DEFAULT_POLICY_PATH)


def _never(*_):
    raise AssertionError("asked Slack")


def test_owners_of_the_workspace_are_known_without_asking_slack():
    initiative = make_initiative("high")
    assert refusal(initiative, workspace_team=TEAM, actor=Actor(BUSINESS_OWNER, TEAM), attempt=Attempt.ANSWER,
                   policy=POLICY, in_channel=_never, in_group=_never) is None


def test_from_another_workspace_only_membership_of_the_channel_counts():
    initiative = make_initiative("high", name="<!channel> & co")
    owner = Actor(BUSINESS_OWNER, FOREIGN_TEAM)
    refused = refusal(initiative, workspace_team=TEAM, actor=owner, attempt=Attempt.RETIRE, policy=POLICY,
                      in_channel=lambda channel, user: False, in_group=_never)
    assert refused.why == "other_workspace"
    assert refused.text.startswith("You can't retire &lt;!channel&gt; &amp; co: it belongs to another Slack workspace")
    assert refusal(initiative, workspace_team=TEAM, actor=owner, attempt=Attempt.RETIRE, policy=POLICY,
                   in_channel=lambda channel, user: channel == initiative.channel_id, in_group=_never) is None
