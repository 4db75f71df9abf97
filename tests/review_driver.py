"""Drives a review through the served bot the way people do in Slack, and reads what the bot posted."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, select

from bot.framework import EvidenceKind
from bot.slack.ids import Action, Field, FormField, View, parse_question_ref
from storage.models import AnswerStatus, ReleaseRequest
from tests.slack_requests import CHANNEL

BUSINESS, TECHNICAL, RISK, OUTSIDER, REQUESTER = "U200", "U300", "U900", "U999", "U100"

EVIDENCE_REPLIES = {
    EvidenceKind.LINK: "See https://wiki.example.com/readiness/evidence for the details",
    EvidenceKind.NUMBER: "Baseline is 45 minutes per invoice and a 4% error rate",
    EvidenceKind.PERSON: "<@U300> owns this",
    EvidenceKind.TEXT: "Written down in the runbook, agreed with the team last week",
}


def intake_values(name: str, *, tier: str = "high", business: str = "U200", technical: str = "U300",
                  channel: str = CHANNEL, go_live: str | None = "2099-01-15", purpose: str = "Drafts invoice "
                  "replies for the AP team", asks_in: str = "thread") -> dict:
    values = {
        Field.NAME: {"type": "plain_text_input", "value": name},
        Field.PURPOSE: {"type": "plain_text_input", "value": purpose},
        Field.DATA_SOURCES: {"type": "plain_text_input", "value": "ERP invoices, vendor master"},
        Field.INTEGRATIONS: {"type": "plain_text_input", "value": "SAP, ServiceNow"},
        Field.BUSINESS_OWNER: {"type": "users_select", "selected_user": business},
        Field.TECHNICAL_OWNER: {"type": "users_select", "selected_user": technical},
        Field.RISK_TIER: {"type": "radio_buttons",
                          "selected_option": {"value": tier, "text": {"type": "plain_text", "text": tier}}},
        Field.CHANNEL: {"type": "conversations_select", "selected_conversation": channel},
        Field.GO_LIVE: {"type": "datepicker", "selected_date": go_live},
        Field.ASKS_IN: {"type": "radio_buttons",
                        "selected_option": {"value": asks_in, "text": {"type": "plain_text", "text": asks_in}}},
    }
    return {k.value: v for k, v in values.items()}


@dataclass
class QuestionPost:
    """One question as its checklist message shows it now."""

    ts: str
    review_id: int
    question_id: str
    text: str
    number: int
    answered: bool


def checklist_questions(fake, posts: list[dict]) -> list[QuestionPost]:
    """The questions of the checklist messages among `posts`, as they read now, in the review's order."""
    found = []
    for post in posts:
        blocks = fake.shown(post).get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        for line, row in zip(blocks, blocks[1:], strict=False):
            if row.get("type") != "actions" or not str(row.get("block_id", "")).startswith("answer_"):
                continue
            review_id, question_id = parse_question_ref(row["elements"][0]["value"])
            text = line["text"]["text"]
            found.append(QuestionPost(post["ts"], review_id, question_id, text,
                                      int(text.split(".", 1)[0].strip("*")),
                                      any(e.get("style") == "primary" for e in row["elements"])))
    return sorted(found, key=lambda q: q.number)


class ReviewDriver:
    def __init__(self, bot) -> None:
        self.bot = bot

    @property
    def fake(self):
        return self.bot.fake

    def open_intake(self, text: str = "new Invoice assistant", **kwargs) -> dict:
        before = len(self.fake.calls_to("views.open"))
        response = self.bot.slack.command(text, **kwargs)
        assert response.status == 200, response
        self.bot.idle()
        opened = self.fake.calls_to("views.open")
        assert len(opened) == before + 1, "the intake modal was not opened"
        return opened[-1].params["view"]

    def start(self, name: str = "Invoice assistant", **values) -> str:
        """Open and submit the intake; return the review thread's ts."""
        view = self.open_intake(f"new {name}")
        response = self.bot.slack.submit_view(view, intake_values(name, **values))
        assert response.status == 200 and not response.body, response
        self.bot.idle()
        root = self.fake.posts(channel=values.get("channel", CHANNEL), top_level=True)[-1]
        assert root["text"].startswith("Readiness review:")
        return root["ts"]

    def questions(self, thread_ts: str) -> list[QuestionPost]:
        """Every question of the review's checklists in its thread, as they read now."""
        return checklist_questions(self.fake, self.fake.posts(thread_ts=thread_ts))

    def dm_questions(self, user: str) -> list[QuestionPost]:
        """The questions the bot sent `user` in their DM, as they read now."""
        return checklist_questions(self.fake, self.fake.posts(channel=self.fake.dm(user)))

    def current(self, thread_ts: str) -> QuestionPost:
        """The first question nobody answered yet (in the review's order)."""
        return next(q for q in self.questions(thread_ts) if not q.answered)

    def click(self, question: QuestionPost, action: Action, *, user: str = "U100"):
        response = self.bot.slack.click(action, f"{question.review_id}:{question.question_id}", user=user,
                                        message_ts=question.ts)
        assert response.status == 200, response
        self.bot.idle()
        return response

    def reply(self, thread_ts: str, text: str, **kwargs):
        response = self.bot.slack.thread_reply(text, thread_ts=thread_ts, **kwargs)
        assert response.status == 200, response
        self.bot.idle()
        return response

    def edit(self, thread_ts: str, ts: str, before: str, text: str, **kwargs):
        """The person edits their reply `ts` (which read `before`) to read `text`."""
        response = self.bot.slack.edit_reply(text, ts=ts, before=before, thread_ts=thread_ts, **kwargs)
        assert response.status == 200, response
        self.bot.idle()
        return response

    def delete(self, thread_ts: str, ts: str, before: str, **kwargs):
        """The person deletes their reply `ts` (which read `before`)."""
        response = self.bot.slack.delete_reply(ts=ts, before=before, thread_ts=thread_ts, **kwargs)
        assert response.status == 200, response
        self.bot.idle()
        return response

    def thread_texts(self, thread_ts: str) -> list[str]:
        return [p["text"] for p in self.fake.posts(thread_ts=thread_ts)]


def complete_review(bot, framework, *, tier: str, not_yet: set[str] = frozenset(), name="Invoice assistant"):
    """Answer every question by its buttons, one after another: Met (with the evidence its line asks for, replied in
    the thread) except those named, which are Not yet."""
    driver = ReviewDriver(bot)
    thread = driver.start(name, tier=tier)
    for question in driver.questions(thread):
        spec = framework.question(question.question_id)
        if question.question_id in not_yet:
            driver.click(question, Action.ANSWER_NOT_YET)
        else:
            driver.click(question, Action.ANSWER_MET)
            if spec.evidence and not spec.intake:
                driver.reply(thread, EVIDENCE_REPLIES[spec.evidence.kind])
    assert bot.fake.posts(top_level=True)[-1]["text"].startswith("Readiness summary"), "the review did not finish"
    return driver, thread


def complete_by_area(bot, framework, *, tier: str, not_yet: set[str] = frozenset(), name="Invoice assistant"):
    """`complete_review`'s answers in one area form per area (for tests that need a finished review, not how it was
    played): Met with the evidence asked for, except those named, which are Not yet."""
    driver = ReviewDriver(bot)
    thread = driver.start(name, tier=tier)
    asked = framework.questions_for(tier)
    review_id = driver.questions(thread)[0].review_id
    for area in dict.fromkeys(q.area for q in asked):
        mine = [q for q in asked if q.area == area]
        form = open_area_form(bot, review_id, area)
        values = form_values(form, {q.id: AnswerStatus.NOT_YET if q.id in not_yet else AnswerStatus.MET for q in mine},
                             {q.id: EVIDENCE_REPLIES[q.evidence.kind] for q in mine
                              if q.evidence and not q.intake and q.id not in not_yet})
        response = bot.slack.submit_view(form, values, user=BUSINESS)
        assert response.status == 200 and not response.body, response.body
        bot.idle()
    assert bot.fake.posts(top_level=True)[-1]["text"].startswith("Readiness summary"), "the review did not finish"
    return driver, thread


def blocker_at(framework, tier: str) -> str:
    return next(q.id for q in framework.questions_for(tier) if q.blocks_at(tier) and not q.evidence)


def open_request_form(bot, *, user=REQUESTER) -> dict:
    summary = [p for p in bot.fake.posts(top_level=True) if p["text"].startswith("Readiness summary")][-1]
    button = next(e for b in summary["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == Action.REQUEST_RELEASE)
    bot.slack.click(Action.REQUEST_RELEASE, button["value"], user=user)
    bot.idle()
    return bot.fake.calls_to("views.open")[-1].params["view"]


def waiver_values(key: str, question_ids, *, reason="Manual check by the AP lead until the integration ships",
                  owner=TECHNICAL, due="2099-03-01") -> dict:
    """The form's waiver `key` (1, 2, …) covering the given blockers."""
    return {
        f"waiver_conditions:{key}": {"type": "multi_static_select",
                                     "selected_options": [{"value": qid} for qid in question_ids]},
        f"waiver_reason:{key}": {"type": "plain_text_input", "value": reason},
        f"waiver_owner:{key}": {"type": "users_select", "selected_user": owner},
        f"waiver_due:{key}": {"type": "datepicker", "selected_date": due},
    }


def request_release(bot, framework, *, tier: str, waive: set[str] = frozenset(), user=REQUESTER) -> int:
    """Ask for release, with one waiver covering the blockers named."""
    view = open_request_form(bot, user=user)
    values = waiver_values("1", sorted(waive)) if waive else {}
    response = bot.slack.submit_view(view, values, user=user)
    assert response.status == 200 and not response.body, response.body
    bot.idle()
    with Session(bot.engine) as session:
        return session.exec(select(ReleaseRequest).order_by(ReleaseRequest.id.desc())).first().id


NEW_MESSAGES = ("chat.postMessage", "chat.postEphemeral", "response_url", "files.completeUploadExternal")


@dataclass(frozen=True)
class Reading:
    """What people were given to read: new messages (an update in place is free) and their characters."""

    messages: int
    characters: int


def reading(fake, *, since: int = 0) -> Reading:
    """Every message the bot posted after call `since` (channel, thread, DM, ephemeral, a response to a command or a
    click) and the characters of every text object in its blocks, button labels included (the `text` fallback when
    it has no blocks)."""
    calls = [c for c in fake.calls[since:] if _new_message(c)]
    return Reading(len(calls), sum(_characters(c.params) for c in calls))


def _new_message(call) -> bool:
    """A message the person sees appear (a response that replaces or deletes the clicked one is an update)."""
    in_place = call.params.get("replace_original") in (True, "true") or call.params.get("delete_original")
    return call.method in NEW_MESSAGES and not in_place


def _characters(params: dict) -> int:
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return _text_read(blocks) if blocks else len(params.get("text") or "")


def _text_read(value) -> int:
    """Characters in every text object of a message's blocks (or of anything nested in them)."""
    if isinstance(value, dict):
        own = len(value["text"]) if value.get("type") in ("plain_text", "mrkdwn") and "text" in value else 0
        return own + sum(_text_read(v) for k, v in value.items() if k != "text" or not own)
    if isinstance(value, list):
        return sum(_text_read(v) for v in value)
    return 0


def opened_modal(bot, action: Action, value: str, *, user: str = "U100") -> dict:
    before = len(bot.fake.calls_to("views.open"))
    assert bot.slack.click(action, value, user=user).status == 200
    bot.idle()
    opened = bot.fake.calls_to("views.open")
    assert len(opened) == before + 1, "no modal was opened"
    return opened[-1].params["view"]


def form_values(view: dict, answers: dict[str, AnswerStatus] | None = None,
                evidence: dict[str, str] | None = None) -> dict:
    """The state Slack submits: each answer chosen, else the one the form showed first; each evidence written."""
    values = {}
    for block in view["blocks"]:
        block_id = block.get("block_id", "")
        if block_id.startswith(f"{FormField.ANSWER}:"):
            chosen = (answers or {}).get(block_id.partition(":")[2])
            shown = block["element"].get("initial_option")
            option = {"value": chosen.value, "text": {"type": "plain_text", "text": chosen.value}} if chosen else shown
            values[block_id] = {"type": "radio_buttons", "selected_option": option}
        elif block_id.startswith(f"{FormField.EVIDENCE}:"):
            values[block_id] = {"type": "plain_text_input", "value": (evidence or {}).get(block_id.partition(":")[2])}
    return values


def open_area_form(bot, review_id: int, area_id: str) -> dict:
    """Answer by area, and choose `area_id`: the form that replaces the picker."""
    picker = opened_modal(bot, Action.OPEN_AREA_FORM, str(review_id))
    assert picker["callback_id"] == View.AREA_PICKER
    response = bot.slack.submit_view(picker, {FormField.AREA: {"type": "static_select",
                                                               "selected_option": {"value": area_id}}})
    assert response.status == 200
    body = response.json()
    assert body["response_action"] == "update" and body["view"]["callback_id"] == View.AREA_FORM
    return body["view"]


def replied_evidence(engine) -> list:
    """The evidence people gave in messages (each row has its message's ts), oldest first: not the intake form's."""
    from storage.models import Evidence

    with Session(engine) as session:
        return session.exec(select(Evidence).where(Evidence.message_ts.is_not(None)).order_by(Evidence.id)).all()


def asking(framework, tier: str, kind: EvidenceKind, *, owner: str | None = None):
    """(number, question) of the first question of the tier that asks for this kind of evidence (and falls to the
    owner role given), with nothing proposed for it from the intake form."""
    return next((n, q) for n, q in enumerate(framework.questions_for(tier), 1)
                if q.evidence and q.evidence.kind == kind and not q.intake and owner in (None, q.owner))


def checklists_since(bot, since: int, *, channel: str | None = None, thread_ts: str | None = None) -> list[dict]:
    """The checklist messages the bot posted after its first `since` posts there (in a thread, or a channel/DM)."""
    posts = bot.fake.posts(channel=channel, thread_ts=thread_ts)[since:]
    return [p for p in posts if " questions for <@" in p["text"]]


def question_now(bot, thread_ts: str, question_id: str) -> QuestionPost:
    """A question as the newest checklist in the thread showing it reads now."""
    return [q for q in ReviewDriver(bot).questions(thread_ts) if q.question_id == question_id][-1]


def evidence_asked(question: QuestionPost) -> bool:
    """Whether its checklist line asks for the question's evidence (answered Met or Partly without it)."""
    return "\n📎 _" in question.text
