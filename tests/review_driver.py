"""Drives a review through the served bot the way people do in Slack, and reads what the bot posted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from bot.framework import EvidenceKind
from bot.slack.ids import Action, Field, parse_question_ref
from storage.models import ReleaseRequest
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
                  "replies for the AP team") -> dict:
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
    }
    return {k.value: v for k, v in values.items()}


@dataclass
class QuestionPost:
    ts: str
    review_id: int
    question_id: str
    text: str


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
        root = self.fake.posts(top_level=True)[-1]
        assert root["text"].startswith("Readiness review:")
        return root["ts"]

    def questions(self, thread_ts: str) -> list[QuestionPost]:
        found = []
        for post in self.fake.posts(thread_ts=thread_ts):
            for block in post.get("blocks") or []:
                if block.get("block_id") == "answer":
                    review_id, question_id = parse_question_ref(block["elements"][0]["value"])
                    found.append(QuestionPost(post["ts"], review_id, question_id, post["text"]))
        return found

    def current(self, thread_ts: str) -> QuestionPost:
        return self.questions(thread_ts)[-1]

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
    """Answer every question: Met (with evidence) except those named, which are Not yet."""
    driver = ReviewDriver(bot)
    thread = driver.start(name, tier=tier)
    for _ in range(60):
        question = driver.current(thread)
        spec = framework.question(question.question_id)
        if question.question_id in not_yet:
            driver.click(question, Action.ANSWER_NOT_YET)
        else:
            driver.click(question, Action.ANSWER_MET)
            if spec.evidence:
                driver.reply(thread, EVIDENCE_REPLIES[spec.evidence.kind])
        if bot.fake.posts(top_level=True)[-1]["text"].startswith("Readiness summary"):
            return driver, thread
    raise AssertionError("the review did not finish")


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
